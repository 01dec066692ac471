/* cred_timed DELAY STAY: after DELAY seconds, calls setuid(getuid()) (a
 * credential change that changes nothing, but makes glibc visit every
 * thread, so the tracer stops its own around it), prints how long it took,
 * then lives STAY seconds more. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    sleep((unsigned)atoi(argv[1]));
    double t0 = now();
    int rc = setuid(getuid());
    printf("setuid %d in %.1f s\n", rc, now() - t0);
    sleep((unsigned)atoi(argv[2]));
    return 0;
}

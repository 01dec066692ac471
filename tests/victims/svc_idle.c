/* An idle service: leaks N blocks of SIZE in leak_held, prints "ready" and
 * sleeps (60 s at most, then exits 3), with no signal handler of its own.
 *
 * usage: svc_idle N SIZE */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;

NOINLINE void leak_held(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        sink = malloc(size);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: svc_idle N SIZE\n");
        return 2;
    }
    leak_held(atoi(argv[1]), (size_t)atol(argv[2]));
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 600; i++)
        usleep(100000);
    return 3;
}

/* A process that caps its own address space after start-up (a service's
 * setrlimit, bash's `ulimit -v`).
 *
 *   rlimit_as MB COUNT SIZE
 *
 * Sets RLIMIT_AS to MB megabytes, then leaks COUNT blocks of SIZE bytes
 * from leak_after_limit() and prints "done". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

__attribute__((noinline)) static int leak_after_limit(long count, long size)
{
    for (long i = 0; i < count; i++) {
        char *p = malloc((size_t)size);
        if (!p)
            return 1;
        memset(p, 1, (size_t)size);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    rlim_t limit = (rlim_t)atol(argv[1]) << 20;
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_AS, &rl) != 0) {
        perror("rlimit_as: setrlimit");
        return 2;
    }
    if (leak_after_limit(atol(argv[2]), atol(argv[3])) != 0)
        return 1;
    puts("done");
    return 0;
}

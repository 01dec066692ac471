/* quick_exit N SIZE CODE: leaks N blocks of SIZE bytes in
 * leak_before_quick_exit, registers an at_quick_exit handler that prints
 * "handler ran", and ends with quick_exit(CODE): no atexit handler, no
 * destructor runs, only the at_quick_exit ones. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void leak_before_quick_exit(int n, size_t size)
{
    for (int i = 0; i < n; i++) {
        char *volatile p = malloc(size);
        p[0] = 1;
    }
}

static void handler(void)
{
    printf("handler ran\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: quick_exit N SIZE CODE\n");
        return 2;
    }
    leak_before_quick_exit(atoi(argv[1]), (size_t)atol(argv[2]));
    at_quick_exit(handler);
    quick_exit(atoi(argv[3]));
}

/* Blocks freed behind the tracer's back: N blocks of S bytes allocated at
 * lost_free are released with glibc's __libc_free, which no hook sees; then
 * N blocks of S bytes are allocated at reuse, which glibc serves from the
 * same addresses. The tracer learns of each lost free when its address comes
 * back (the live table finds the pointer already there).
 *
 *   live_reuse N S
 *
 * Prints "reused R": how many of reuse's blocks came back at an address
 * lost_free had; lost_free's blocks at the other addresses stay in use as far
 * as any tracer can tell. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

extern void __libc_free(void *p);

NOINLINE static void lost_free(void **blocks, long n, size_t s)
{
    for (long i = 0; i < n; i++)
        if (!(blocks[i] = malloc(s)))
            exit(3);
}

NOINLINE static void reuse(void **blocks, long n, size_t s)
{
    for (long i = 0; i < n; i++)
        if (!(blocks[i] = malloc(s)))
            exit(3);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: live_reuse N S\n");
        return 2;
    }
    long n = atol(argv[1]);
    size_t s = (size_t)atol(argv[2]);
    void **first = calloc((size_t)n, sizeof *first), **second = calloc((size_t)n, sizeof *second);
    if (!first || !second)
        return 3;
    lost_free(first, n, s);
    for (long i = 0; i < n; i++)
        __libc_free(first[i]);
    reuse(second, n, s);
    long reused = 0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++)
            if (second[i] == first[j]) {
                reused++;
                break;
            }
    printf("reused %ld\n", reused);
    return 0;
}

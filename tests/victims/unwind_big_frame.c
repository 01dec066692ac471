/* A function whose frame is over 1 MiB leaks COUNT blocks of SIZE bytes
 * through a leaf. Built without frame pointers (unwind_big_frame.cmake), its
 * CFA rule is rsp plus 1.2 MB: more than a 20-bit field holds.
 *
 *   unwind_big_frame COUNT SIZE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG (1200 * 1000)

__attribute__((noinline)) static void *leaf_alloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        memset(p, 7, n);
    return p;
}

__attribute__((noinline)) void *big_frame_leak(size_t n, unsigned seed)
{
    volatile char buf[BIG];
    buf[seed % BIG] = (char)seed;
    char *p = leaf_alloc(n);
    if (p)
        p[0] = buf[(seed * 7u) % BIG];
    return p;
}

int main(int argc, char **argv)
{
    int count = argc > 2 ? atoi(argv[1]) : 10;
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 100;
    int made = 0;
    for (int i = 0; i < count; i++)
        made += big_frame_leak(size, (unsigned)i) != NULL; /* leaked on purpose */
    printf("leaked %d blocks of %zu bytes\n", made, size);
    return 0;
}

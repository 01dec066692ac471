/* sym_inline COUNT SIZE: built with -O2 (sym_inline.cmake); leaks COUNT
 * blocks of SIZE bytes through a helper inlined into outer_leak_site. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline __attribute__((always_inline)) void *inline_leak_helper(size_t n)
{
    void *p = malloc(n);
    if (p)
        memset(p, 4, n);
    return p;
}

__attribute__((noinline)) void *outer_leak_site(size_t n)
{
    void *p = inline_leak_helper(n);
    __asm__ volatile("" : : "r"(p) : "memory"); /* keep the call a call */
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int count = atoi(argv[1]);
    size_t size = strtoul(argv[2], NULL, 10);
    for (int i = 0; i < count; i++)
        outer_leak_site(size);
    puts("done");
    return 0;
}

/* Built twice (upgrade_host.cmake): libupgrade_a.so, and libupgrade_b.so
 * with UPGRADED defined, whose upgrade_middle has a frame 4 KiB smaller: the
 * same functions at nearly the same addresses, other unwind rules. Read
 * with b's rule, a's frame ends inside its zeroed pad: a walk trusting it
 * would take a 0 there for the end of the stack. */
#include <stdlib.h>

#ifdef UPGRADED
#define PAD 16
#else
#define PAD 4096
#endif

__attribute__((noinline)) static void *upgrade_leaf(size_t n)
{
    return malloc(n);
}

__attribute__((noinline)) void *upgrade_middle(size_t n, unsigned seed)
{
    volatile char pad[PAD];
    for (int i = 0; i < PAD; i++)
        pad[i] = 0;
    pad[seed % 8] = 1;
    char *p = upgrade_leaf(n);
    if (p)
        p[0] = pad[seed % 8];
    return p;
}

void *upgrade_leak(size_t n, unsigned seed)
{
    return upgrade_middle(n, seed);
}

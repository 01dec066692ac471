/* Built twice (upgrade_host.cmake): libupgrade_a.so, and libupgrade_b.so
 * with UPGRADED defined: a new function first, so the old build's addresses
 * fall on other names, and an upgrade_middle whose frame is 4 KiB smaller.
 * Read with b's rule, a's frame ends inside its zeroed pad: a walk trusting
 * it would take a 0 there for the end of the stack. */
#include <stdlib.h>

#ifdef UPGRADED
#define PAD 16
#else
#define PAD 4096
#endif

#ifdef UPGRADED
/* New in the upgrade, placed first: the old build's addresses fall on other
 * names in this one. */
__attribute__((noinline)) unsigned upgrade_new_feature(unsigned x)
{
    volatile unsigned v[8] = {x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6, x + 7};
    return v[0] * v[1] + v[2] * v[3] + v[4] * v[5] + v[6] * v[7] + v[x % 8] * v[(x + 3) % 8] +
           v[(x + 5) % 8] * v[(x + 7) % 8];
}
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

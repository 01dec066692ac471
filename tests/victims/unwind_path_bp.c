/* A path (walk.c) starts at the hook's caller: its return address, its
 * stack pointer and, when a step reads it before reloading it, its frame
 * pointer. Here two chains reach one allocation call (leak_vla's, a
 * function with a variable-length array, so its frame is found from rbp)
 * with the same return address and the same stack pointer, and different
 * frame pointers: from_b's frame is larger, and leak_vla's array is made
 * smaller by as much. The stack words the left chain's walk read are then
 * inside from_b's frame, which from_b fills with those very values, as a
 * stale stack may hold them: only the frame pointer tells the chains apart.
 *
 * unwind_path_bp N M S: N leaks of S bytes through from_a, then M through
 * from_b; prints "aligned" when both chains called malloc from the same
 * stack pointer (else the case is not made: exit 3). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHAIN __attribute__((noinline, noclone))

static void *volatile sink;
static uintptr_t malloc_sp;     /* where leak_vla called malloc from, last */
static uintptr_t ret_into_a;    /* leak_vla's return address when from_a calls it */
static uintptr_t pad_a, pad_b;  /* leak_vla's array sizes, per chain */

CHAIN void leak_vla(size_t pad, size_t size, int record)
{
    volatile char vla[pad];
    vla[0] = 0;
    malloc_sp = (uintptr_t)&vla[0]; /* the stack pointer: nothing is pushed after it */
    if (record)
        ret_into_a = (uintptr_t)__builtin_return_address(0);
    sink = malloc(size);
    __asm__ volatile("" ::: "memory");
}

CHAIN void from_a(size_t size)
{
    leak_vla(pad_a, size, 1);
    __asm__ volatile("" ::: "memory");
}

CHAIN void from_b(size_t size)
{
    /* Each 16-byte pair as leak_vla's frame in chain A held it: the saved
     * frame pointer (from_a's, which is from_b's: one call site in main),
     * then the return address into from_a. */
    volatile uintptr_t stale[256] __attribute__((aligned(16)));
    for (int i = 0; i < 256; i += 2) {
        stale[i] = (uintptr_t)__builtin_frame_address(0);
        stale[i + 1] = ret_into_a;
    }
    leak_vla(pad_b, size, 0);
    __asm__ volatile("" : : "r"(stale) : "memory");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: unwind_path_bp N M S\n");
        return 2;
    }
    int n = atoi(argv[1]), m = atoi(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    void (*chain)(size_t);
    /* Calibrate the arrays so that both chains call malloc from one sp. */
    pad_a = pad_b = 256;
    uintptr_t sp_a, sp_b;
    for (int probe = 0; probe < 2; probe++) {
        chain = probe ? from_b : from_a;
        chain(0); /* malloc(0): a block of its own, freed below */
        free(sink);
        if (probe)
            sp_b = malloc_sp;
        else
            sp_a = malloc_sp;
    }
    pad_a += sp_a - sp_b;
    for (int i = 0; i < n + m; i++) {
        chain = i < n ? from_a : from_b;
        chain(size); /* one call site for both */
        if (i == 0)
            sp_a = malloc_sp;
    }
    if (malloc_sp != sp_a) {
        printf("not aligned: %#lx vs %#lx\n", (unsigned long)sp_a, (unsigned long)malloc_sp);
        return 3;
    }
    printf("aligned\n");
    return 0;
}

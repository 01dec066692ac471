/* Allocations called from generated code, as from a JIT's (node's V8): the
 * code lies in an anonymous executable mapping, in no loaded object, with
 * no unwind rules, and keeps a frame pointer.
 *
 *   jit_frames COUNT SIZE
 *
 * The generated function calls leak_from_jit(), which leaks one block of
 * SIZE bytes; main calls it COUNT times through through_jit() and prints
 * "ok". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static long size;

__attribute__((noinline)) static void leak_from_jit(void)
{
    memset(malloc((size_t)size), 1, (size_t)size);
}

/* push rbp; mov rbp, rsp; movabs rax, leak_from_jit; call rax; pop rbp; ret */
static void (*generate(void))(void)
{
    uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
                      0xff, 0xd0, 0x5d, 0xc3};
    uintptr_t target = (uintptr_t)&leak_from_jit;
    memcpy(code + 6, &target, sizeof target);
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return NULL;
    memcpy(page, code, sizeof code);
    if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
        return NULL;
    return (void (*)(void))page;
}

__attribute__((noinline)) static void through_jit(void (*jitted)(void))
{
    jitted();
    __asm__ volatile("" ::: "memory"); /* a call, not a jump */
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    long count = atol(argv[1]);
    size = atol(argv[2]);
    void (*jitted)(void) = generate();
    if (!jitted)
        return 1;
    for (long i = 0; i < count; i++)
        through_jit(jitted);
    puts("ok");
    return 0;
}

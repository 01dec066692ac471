/* A stack switched by hand onto a block of the heap, with a junk rbp, as a
 * coroutine library might leave it: under `ulimit -s unlimited` glibc
 * reports the main thread's stack as reaching down past the heap, and the
 * walk, taking the coroutine's frames for the main stack's, once read the
 * unmapped gap above them (SIGSEGV, 5 of 5). Leaks LEAK_SIZE bytes in
 * leak_on_heap_stack, prints "ok". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LEAK_SIZE 100

void *volatile sink;
void *saved_sp __attribute__((used));

__attribute__((noinline)) void leak_on_heap_stack(void)
{
    sink = malloc(LEAK_SIZE);
}

__attribute__((noinline)) void on_heap_stack(void)
{
    leak_on_heap_stack();
    __asm__ volatile("" ::: "memory");
}

/* Runs fn on the stack at sp with rbp = junk, then comes back. */
__attribute__((naked, noinline)) void run_on_stack(void *sp, void (*fn)(void), uintptr_t junk)
{
    __asm__ volatile("push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
                     "mov %rsp, saved_sp(%rip)\n mov %rdi, %rsp\n mov %rdx, %rbp\n call *%rsi\n"
                     "mov saved_sp(%rip), %rsp\n"
                     "pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n ret\n");
}

int main(void)
{
    for (int i = 0; i < 8; i++)
        sink = malloc(100000); /* the heap grows (brk) past where it ended at start-up */
    size_t size = 64 * 1024;
    char *stack = malloc(size);
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    ((void **)top)[-2] = (char *)&main + 40; /* a return address into main, as junk */
    run_on_stack((void *)(top - 16), on_heap_stack, 0x600000000000);
    free(stack);
    printf("ok\n");
    return 0;
}

/* vfork(): the child runs in the parent's memory until it calls exec or
 * _exit. Whatever it does through our hooks would land in the parent's
 * tables: Python's subprocess (vfork since 3.10) closes every descriptor in
 * the child, which would release all of the parent's records. So the child
 * runs with the guard set to LT_GUARD_VFORK, and every hook passes straight
 * through. The flag is thread-local: the parent's other threads, which keep
 * running meanwhile, are not affected.
 *
 * A C wrapper cannot call the real vfork: the child returns from it and
 * reuses its stack frame before the parent resumes there. So, as glibc's own
 * vfork does, the wrapper keeps its return address in a register across the
 * system call (x86-64). Elsewhere vfork is fork, which POSIX allows. */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "guard.h"

/* The guard the thread had when it called vfork: a signal handler of the
 * program may call it on top of a hook, whose guard must come back. */
static __thread int guard_before_vfork __attribute__((tls_model("initial-exec")));

/* Called by the wrapper on both sides; pid is vfork's result. */
__attribute__((used)) void lt_vfork_returned(int pid)
{
    if (pid == 0) {
        guard_before_vfork = lt_guard_flag;
        lt_guard_flag = LT_GUARD_VFORK;
    } else if (lt_guard_flag == LT_GUARD_VFORK) { /* the child's mark, in our shared memory */
        lt_guard_flag = guard_before_vfork;
    }
}

__attribute__((used)) int lt_vfork_failed(int err)
{
    errno = err;
    return -1;
}

#if defined(__x86_64__)
__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "    .cfi_startproc\n"
        "    popq %rdi\n" /* the return address: the child may overwrite its slot */
        "    .cfi_adjust_cfa_offset -8\n"
        "    .cfi_register %rip, %rdi\n"
        "    movl $58, %eax\n" /* SYS_vfork */
        "    syscall\n"
        "    pushq %rdi\n"
        "    .cfi_adjust_cfa_offset 8\n"
        "    .cfi_rel_offset %rip, 0\n"
        "    cmpq $-4095, %rax\n"
        "    jae 1f\n"
        "    pushq %rax\n" /* the stack is 16-byte aligned for the call */
        "    .cfi_adjust_cfa_offset 8\n"
        "    movl %eax, %edi\n"
        "    call lt_vfork_returned\n"
        "    popq %rax\n"
        "    .cfi_adjust_cfa_offset -8\n"
        "    ret\n"
        "1:  negl %eax\n"
        "    movl %eax, %edi\n"
        "    jmp lt_vfork_failed\n" /* returns -1 to vfork's caller */
        "    .cfi_endproc\n"
        ".size vfork, .-vfork\n"
        ".globl __vfork\n"
        ".set __vfork, vfork\n");
#else
LT_EXPORT pid_t vfork(void)
{
    return fork();
}
#endif

/* seccomp: the tracer steps back before a filter goes in (sandbox.h).
 * Filters come through prctl(PR_SET_SECCOMP) or the seccomp system call,
 * which glibc does not wrap: programs and libseccomp make it with
 * syscall(). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "guard.h"
#include "resolve.h"
#include "sandbox.h"
#include "trigger.h"

_Atomic int lt_sandbox;
__thread bool lt_on_tracer_thread __attribute__((tls_model("initial-exec")));

/* Whom a seccomp(2) call confines, or LT_SANDBOX_NONE when it installs
 * nothing: another operation, or one of libseccomp's probes (a strict mode
 * with flags, a filter with no program: the kernel refuses both). */
static enum lt_sandbox seccomp_scope(unsigned long op, unsigned long flags, const void *prog)
{
    if (op == SECCOMP_SET_MODE_STRICT && flags == 0)
        return LT_SANDBOX_THREADS;
    if (op == SECCOMP_SET_MODE_FILTER && prog)
        return flags & SECCOMP_FILTER_FLAG_TSYNC ? LT_SANDBOX_ALL : LT_SANDBOX_THREADS;
    return LT_SANDBOX_NONE;
}

static enum lt_sandbox prctl_scope(int option, unsigned long mode, const void *prog)
{
    if (option != PR_SET_SECCOMP)
        return LT_SANDBOX_NONE;
    if (mode == SECCOMP_MODE_STRICT)
        return LT_SANDBOX_THREADS;
    return mode == SECCOMP_MODE_FILTER && prog ? LT_SANDBOX_THREADS : LT_SANDBOX_NONE;
}

static bool before_confining(enum lt_sandbox scope)
{
    if (scope == LT_SANDBOX_NONE || !lt_guard_enter()) /* the tracer's own: threads it starts */
        return false;
    lt_trigger_before_sandbox(scope);
    lt_guard_leave();
    return true;
}

static void after_confining(bool confining, bool confined)
{
    if (!confining)
        return;
    int saved = errno;
    lt_guard_enter();
    lt_trigger_after_sandbox(confined);
    lt_guard_leave();
    errno = saved;
}

LT_EXPORT int prctl(int option, ...)
{
    static void *_Atomic real_prctl;
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
                  a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    int (*real)(int, ...) = lt_resolve_next_once(&real_prctl, "prctl");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    bool confining = before_confining(prctl_scope(option, a2, (const void *)a3));
    int rc = real(option, a2, a3, a4, a5);
    after_confining(confining, rc == 0);
    return rc;
}

/* Six arguments are read whatever the call passed, as glibc's own syscall()
 * does: the surplus is the caller's stack and registers, which the kernel
 * ignores. */
LT_EXPORT long syscall(long number, ...)
{
    static void *_Atomic real_syscall;
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long),
         a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    long (*real)(long, ...) = lt_resolve_next_once(&real_syscall, "syscall");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    bool confining = number == SYS_seccomp &&
                     before_confining(seccomp_scope((unsigned long)a1, (unsigned long)a2,
                                                    (const void *)a3));
    long rc = real(number, a1, a2, a3, a4, a5, a6);
    /* A filter with a listener returns its descriptor; a TSYNC one that
     * could not bind some thread returns that thread's id, and binds none. */
    after_confining(confining,
                    rc == 0 || (rc > 0 && ((unsigned long)a2 & SECCOMP_FILTER_FLAG_NEW_LISTENER)));
    return rc;
}

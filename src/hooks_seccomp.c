/* seccomp: the tracer steps back before a filter goes in (sandbox.h).
 * Filters come through prctl(PR_SET_SECCOMP) or the seccomp system call,
 * which glibc does not wrap: programs and libseccomp make it with
 * syscall(). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "guard.h"
#include "resolve.h"
#include "sandbox.h"
#include "trigger.h"

_Atomic int lt_sandbox;
__thread bool lt_on_tracer_thread __attribute__((tls_model("initial-exec")));

static void *_Atomic real_prctl, *_Atomic real_syscall;

void lt_sandbox_init(void)
{
    /* now, not on first use: that may be in a signal handler (a crash
     * handler's syscall(SYS_tgkill)) or after strict mode, where dlsym is
     * no call to make */
    lt_resolve_next_once(&real_prctl, "prctl");
    lt_resolve_next_once(&real_syscall, "syscall");
}

/* Whom a seccomp(2) call confines, or LT_SANDBOX_NONE when it installs
 * nothing: another operation, or one of libseccomp's probes (a strict mode
 * with flags, a filter with no program: the kernel refuses both). Strict
 * mode (*strict) binds the calling thread only, but the tracer's threads
 * stop for it too: the thread may end only by SYS_exit, and if it is the
 * last of the program's, theirs would keep the process alive. */
static enum lt_sandbox seccomp_scope(unsigned int op, unsigned int flags, const void *prog,
                                     bool *strict)
{
    *strict = op == SECCOMP_SET_MODE_STRICT && flags == 0;
    if (*strict)
        return LT_SANDBOX_ALL;
    if (op == SECCOMP_SET_MODE_FILTER && prog)
        return flags & SECCOMP_FILTER_FLAG_TSYNC ? LT_SANDBOX_ALL : LT_SANDBOX_THREADS;
    return LT_SANDBOX_NONE;
}

static enum lt_sandbox prctl_scope(int option, unsigned long mode, const void *prog, bool *strict)
{
    *strict = option == PR_SET_SECCOMP && mode == SECCOMP_MODE_STRICT;
    if (*strict)
        return LT_SANDBOX_ALL;
    return option == PR_SET_SECCOMP && mode == SECCOMP_MODE_FILTER && prog ? LT_SANDBOX_THREADS
                                                                            : LT_SANDBOX_NONE;
}

/* A program a confined process starts inherits the filter, and the
 * tracer's start-up there could get it killed (it reads files, starts a
 * thread): the library leaves LD_PRELOAD (only this one: other preloaded
 * libraries stay), and such programs run untraced. The value before is
 * kept, to be put back if the call fails. */
static char *preload_before;

/* Whether the n-byte entry names the same file as `ours` (by its last
 * component: the wrapper, a user or an installed copy may spell the
 * directory differently). */
static bool same_library(const char *entry, size_t n, const char *ours)
{
    const char *slash = memrchr(entry, '/', n);
    size_t skip = slash ? (size_t)(slash + 1 - entry) : 0;
    return n - skip == strlen(ours) && memcmp(entry + skip, ours, n - skip) == 0;
}

static void leave_preload(void)
{
    Dl_info self;
    const char *v = getenv("LD_PRELOAD");
    if (!v || !dladdr((void *)&leave_preload, &self) || !self.dli_fname)
        return;
    const char *ours = basename(self.dli_fname); /* GNU's: the part after the last '/' */
    size_t len = strlen(v), kept_len = 0;
    char *kept = lt_raw_malloc(len + 1), *before = lt_raw_malloc(len + 1);
    if (!kept || !before)
        goto out;
    for (const char *p = v; *p;) { /* ld.so splits on spaces and colons */
        size_t n = strcspn(p, " :");
        if (n && !same_library(p, n, ours)) {
            if (kept_len)
                kept[kept_len++] = ' ';
            memcpy(kept + kept_len, p, n);
            kept_len += n;
        }
        p += n + (p[n] != 0);
    }
    kept[kept_len] = 0;
    if (kept_len == len)
        goto out; /* not there */
    memcpy(before, v, len + 1);
    preload_before = before;
    before = NULL;
    if (kept_len)
        setenv("LD_PRELOAD", kept, 1);
    else
        unsetenv("LD_PRELOAD");
out:
    lt_raw_free(kept);
    lt_raw_free(before);
}

static void restore_preload(void)
{
    if (!preload_before)
        return;
    setenv("LD_PRELOAD", preload_before, 1);
    lt_raw_free(preload_before);
    preload_before = NULL;
}

static bool before_confining(enum lt_sandbox scope)
{
    if (scope == LT_SANDBOX_NONE || !lt_guard_enter()) /* the tracer's own: threads it starts */
        return false;
    lt_trigger_before_sandbox(scope);
    leave_preload();
    lt_guard_leave();
    return true;
}

static void after_confining(bool confining, bool confined, bool strict)
{
    if (!confining)
        return;
    int saved = errno;
    lt_guard_enter();
    if (!confined) {
        restore_preload();
    } else if (preload_before) { /* for good */
        lt_raw_free(preload_before);
        preload_before = NULL;
    }
    lt_trigger_after_sandbox(confined);
    lt_guard_flag = confined && strict ? LT_GUARD_STRICT : 0; /* strict: hooks pass through */
    errno = saved;
}

LT_EXPORT int prctl(int option, ...)
{
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
    bool strict;
    bool confining = before_confining(prctl_scope(option, a2, (const void *)a3, &strict));
    int rc = real(option, a2, a3, a4, a5);
    after_confining(confining, rc == 0, strict);
    return rc;
}

/* Six arguments are read whatever the call passed, as glibc's own syscall()
 * does: the surplus is the caller's stack and registers, which the kernel
 * ignores. */
LT_EXPORT long syscall(long number, ...)
{
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
    bool strict = false;
    /* the kernel reads the number, operation and flags as 32-bit */
    bool confining = (int)number == SYS_seccomp &&
                     before_confining(seccomp_scope((unsigned int)a1, (unsigned int)a2,
                                                    (const void *)a3, &strict));
    long rc = real(number, a1, a2, a3, a4, a5, a6);
    /* A filter with a listener returns its descriptor; a TSYNC one that
     * could not bind some thread returns that thread's id, and binds none. */
    after_confining(confining,
                    rc == 0 || (rc > 0 && ((unsigned int)a2 & SECCOMP_FILTER_FLAG_NEW_LISTENER)),
                    strict);
    return rc;
}

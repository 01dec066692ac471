#define _GNU_SOURCE
#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "fdtable.h"
#include "io.h"
#include "sandbox.h"
#include "stack.h"
#include "trigger.h"

/* Where the tracer's lines go: the stderr the program started with, and
 * only while the program keeps it.
 *
 * A private duplicate is kept, because many programs close stderr just
 * before they exit (GNU tools in an atexit handler; tar, xz, mawk by an
 * fclose in main), before the exit snapshot's line and the leak report are
 * printed. But a program that closes or replaces its stderr and runs on (a
 * daemon pointing it at /dev/null) must not find the caller's pipe,
 * terminal or socket held open by us: a `$(daemon)` in a shell, ssh, or the
 * client of an inetd-style service would wait for the daemon's end. So the
 * fd hooks tell lt_log_stderr_dropped: unless exit() is on the stack, the
 * duplicate goes RELEASE_GRACE_MS later (the snapshot thread sees to it; at
 * once if there is none), unless the process exits first. Without the
 * duplicate, lines go to descriptor 2 while it is the original file (same
 * device and inode: a log file reopened in place), and are dropped
 * otherwise: never into a file or socket that took number 2. Before
 * lt_log_init, descriptor 2. */
#define RELEASE_GRACE_MS 500
static bool log_checked, log_open;
static dev_t log_dev;
static ino_t log_ino;
static _Atomic int log_dup = -1;
static _Atomic int64_t release_due_ms; /* 0: no release pending */
static uintptr_t exit_lo, exit_hi; /* libc's exit() */

static void find_exit(void)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    void *addr = (void *)&exit;
    if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size) {
        exit_lo = (uintptr_t)addr;
        exit_hi = exit_lo + sym->st_size;
    }
}

void lt_log_init(void)
{
    struct stat st;
    log_open = fstat(STDERR_FILENO, &st) == 0; /* else no stderr at start: nowhere to write */
    log_dev = st.st_dev;
    log_ino = st.st_ino;
    if (log_open) /* under the guard: adopted as the tracer's, moved out of the program's way */
        atomic_store(&log_dup, fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
    find_exit();
    log_checked = true;
}

static bool is_original(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == log_dev && st.st_ino == log_ino;
}

/* The descriptor to write a line to, or -1. A thread of the program may
 * close descriptor 2 and open something else between this check and the
 * write; the window is a few instructions wide. */
static int log_target(void)
{
    if (!log_checked)
        return STDERR_FILENO;
    if (!log_open)
        return -1;
    int fd = atomic_load(&log_dup);
    if (fd >= 0)
        return is_original(fd) ? fd : -1;
    return is_original(STDERR_FILENO) ? STDERR_FILENO : -1;
}

static bool exit_on_stack(void)
{
    uintptr_t frames[LT_DEPTH_MAX];
    uint64_t hash;
    int n = exit_lo ? lt_stack_capture(frames, LT_DEPTH_MAX, &hash, NULL) : 0;
    for (int i = 0; i < n; i++) /* a return address: the call lies just before it */
        if (frames[i] - 1 - exit_lo < exit_hi - exit_lo)
            return true;
    return false;
}

/* Guard held: the close is the tracer's own. */
static void release_now(void)
{
    atomic_store(&release_due_ms, 0);
    int fd = atomic_exchange(&log_dup, -1);
    if (fd >= 0 && lt_fd_disown(fd))
        close(fd);
}

void lt_log_stderr_dropped(void)
{
    if (atomic_load(&log_dup) < 0 || exit_on_stack())
        return;
    atomic_store(&release_due_ms, lt_now_ms() + RELEASE_GRACE_MS);
    if (!lt_trigger_nudge() && lt_may_syscall())
        release_now(); /* no snapshot thread to wait for the grace */
}

int64_t lt_log_release_due(void)
{
    return atomic_load(&release_due_ms);
}

void lt_log_release_if_due(void)
{
    int64_t due = atomic_load(&release_due_ms);
    if (due && lt_now_ms() >= due)
        release_now();
}

void lt_log_keep_stderr(void)
{
    atomic_store(&release_due_ms, 0);
}

/* A write to a pipe whose reader is gone raises SIGPIPE, whose default
 * action would kill the program (at exit, changing its status): it is held
 * off, and a SIGPIPE we caused is taken back. */
static void write_line(const char *line, size_t n)
{
    if (!lt_may_syscall()) /* under seccomp: even a write may be refused by a kill */
        return;
    int fd = log_target();
    if (fd < 0)
        return;
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    if (!lt_write_all(fd, line, n, false) && errno == EPIPE && !was_pending) {
        struct timespec now = {0, 0};
        sigtimedwait(&pipe_only, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void emit(const char *fmt, va_list ap)
{
    char line[1024] = "leaktrace: ";
    int saved = errno;
    size_t n = 11;
    int k = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    if (k > 0)
        n += (size_t)k < sizeof line - n - 1 ? (size_t)k : sizeof line - n - 2;
    line[n++] = '\n';
    write_line(line, n);
    errno = saved;
}

void lt_info(const char *fmt, ...)
{
    if (lt_config.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

void lt_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

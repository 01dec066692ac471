/* The exported descriptor calls: every libc entry point that makes or
 * releases a descriptor, including those that open or close internally
 * without an interposable call (stdio, dirent, popen, mkstemp, closefrom).
 *
 * Each hook calls the real function first, without the guard: it may block
 * (accept, open of a FIFO, pclose), a signal handler of the program that
 * runs meanwhile makes the program's descriptors, and what fopen allocates
 * belongs in the program's heap profile. The result is then booked: for the
 * program, under the guard, at the caller's stack; for the tracer (guard
 * already held), as one of its own descriptors. A release comes before the
 * real close: once closed, the number can be handed out again at once.
 * errno is always the real call's. With LEAKTRACE_FD=0 the program's
 * descriptors are not recorded (a hook is the real call plus two
 * predictable tests), but its closes still spare the tracer's own. */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fdtable.h"
#include "init.h"
#include "log.h"
#include "resolve.h"
#include "trigger.h"

/* _FORTIFY_SOURCE's checked entry points: glibc's open() and openat()
 * inline wrappers call these. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* The real functions, resolved on first use. */
#define REAL(fn)                                                                                   \
    ({                                                                                             \
        static void *_Atomic real_##fn;                                                            \
        (__typeof__(&fn))lt_resolve_next_once(&real_##fn, #fn);                                    \
    })

/* True when the program's descriptors are to be tracked; initializes the
 * tracer if this is the first hook ever called. */
static inline bool fd_tracking(void)
{
    if (lt_likely(lt_fd_on))
        return true;
    return atomic_load_explicit(&lt_state, memory_order_acquire) == LT_UNINIT && lt_init() &&
           lt_fd_on;
}

/* fds[0..n) were just made by a real call. The program's are recorded at
 * the caller's stack; a dup (orig >= 0) takes orig's kind. The tracer
 * proper's are adopted (moved out of the program's way when `movable`).
 * Those made inside a hook's bookkeeping (a signal handler of the program
 * running on top of it; libdw reading a file for the unwinder, which closes
 * it at once) are left alone: untracked, the program's to close. */
static void book(int *fds, int n, enum lt_fd_kind kind, int orig, bool movable)
{
    if (lt_in_tracer()) {
        for (int i = 0; lt_in_tracer_proper() && i < n; i++)
            fds[i] = lt_fd_adopt(fds[i], movable);
        return;
    }
    if (!fd_tracking() || !lt_hook_enter())
        return;
    int saved = errno;
    struct lt_fd_site site;
    lt_fd_site_capture(&site);
    for (int i = 0; i < n; i++)
        lt_fd_record(fds[i], &site, orig >= 0 ? lt_fd_dup_kind(orig, fds[i]) : kind);
    errno = saved;
    lt_hook_leave();
}

static int booked(int fd, enum lt_fd_kind kind)
{
    if (fd >= 0)
        book(&fd, 1, kind, -1, true);
    return fd;
}

static int booked_dup(int fd, int orig, bool movable)
{
    if (fd >= 0)
        book(&fd, 1, LT_FD_OTHER, orig, movable);
    return fd;
}

static int booked_pair(int rc, int fds[2], enum lt_fd_kind kind)
{
    if (rc == 0)
        book(fds, 2, kind, -1, true);
    return rc;
}

/* A stream or directory owns its descriptor: it cannot be moved. */
static void book_stream_fd(int fd, enum lt_fd_kind kind)
{
    if (fd >= 0)
        book(&fd, 1, kind, -1, false);
}

static FILE *booked_stream(FILE *f, enum lt_fd_kind kind)
{
    if (f) {
        int saved = errno;
        book_stream_fd(fileno(f), kind);
        errno = saved;
    }
    return f;
}

/* The program closes or replaces its descriptor 2 (before the real call):
 * the tracer lets its copy of stderr go, unless the program is exiting
 * (log.c). Nothing inside the tracer or a vfork child: lt_hook_enter says
 * no there. */
static void stderr_dropped(void)
{
    if (!lt_hook_enter())
        return;
    int saved = errno;
    lt_log_stderr_dropped();
    errno = saved;
    lt_hook_leave();
}

/* Before the real close of fd. False: the close must not happen (the
 * program's close of a tracer descriptor, or the tracer's close of a number
 * the program has taken over). A close inside a hook's bookkeeping always
 * happens: it may be a signal handler's, and whatever record the number
 * had goes with it. A vfork child's leaves its parent's table alone. */
static bool releasing(int fd)
{
    if (lt_in_tracer_proper())
        return lt_fd_disown(fd);
    if (lt_guard_flag == LT_GUARD_HOOK)
        lt_fd_forget(fd);
    if (lt_in_tracer())
        return true;
    if (fd == STDERR_FILENO)
        stderr_dropped();
    (void)fd_tracking(); /* starts the tracer if this is its first call */
    return lt_fd_release(fd);
}

/* Before the real fclose/pclose/closedir: the stream goes either way. */
static void releasing_stream_fd(int fd)
{
    if (fd >= 0)
        releasing(fd);
}

static void releasing_stream(FILE *f)
{
    if (f) {
        int saved = errno;
        releasing_stream_fd(fileno(f));
        errno = saved;
    }
}

/* --- open and its variants --- */

#define OPEN_KIND(flags) ((flags) & O_DIRECTORY ? LT_FD_DIR : LT_FD_PROBE)

static mode_t mode_arg(int flags, va_list ap)
{
    return __OPEN_NEEDS_MODE(flags) ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_HOOK(name)                                                                            \
    LT_EXPORT int name(const char *path, int flags, ...)                                           \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode_t mode = mode_arg(flags, ap);                                                         \
        va_end(ap);                                                                                \
        return booked(REAL(name)(path, flags, mode), OPEN_KIND(flags));                           \
    }

#define OPENAT_HOOK(name)                                                                          \
    LT_EXPORT int name(int dirfd, const char *path, int flags, ...)                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode_t mode = mode_arg(flags, ap);                                                         \
        va_end(ap);                                                                                \
        return booked(REAL(name)(dirfd, path, flags, mode), OPEN_KIND(flags));                    \
    }

OPEN_HOOK(open)
OPEN_HOOK(open64)
OPENAT_HOOK(openat)
OPENAT_HOOK(openat64)
LT_EXPORT int __open(const char *path, int flags, ...) __attribute__((alias("open"), copy(open)));
LT_EXPORT int __open64(const char *path, int flags, ...) __attribute__((alias("open64"), copy(open64)));

LT_EXPORT int __open_2(const char *path, int flags)
{
    return booked(REAL(__open_2)(path, flags), OPEN_KIND(flags));
}

LT_EXPORT int __open64_2(const char *path, int flags)
{
    return booked(REAL(__open64_2)(path, flags), OPEN_KIND(flags));
}

LT_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    return booked(REAL(__openat_2)(dirfd, path, flags), OPEN_KIND(flags));
}

LT_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    return booked(REAL(__openat64_2)(dirfd, path, flags), OPEN_KIND(flags));
}

/* Calls that return one new descriptor of a kind known from the call. */
#define NEW_FD_HOOK(kind, name, params, args)                                                      \
    LT_EXPORT int name params { return booked(REAL(name) args, kind); }

NEW_FD_HOOK(LT_FD_PROBE, creat, (const char *path, mode_t mode), (path, mode))
NEW_FD_HOOK(LT_FD_PROBE, creat64, (const char *path, mode_t mode), (path, mode))
NEW_FD_HOOK(LT_FD_PROBE, open_by_handle_at, (int mount_fd, struct file_handle *h, int flags),
            (mount_fd, h, flags))
NEW_FD_HOOK(LT_FD_FILE, mkstemp, (char *tmpl), (tmpl))
NEW_FD_HOOK(LT_FD_FILE, mkstemp64, (char *tmpl), (tmpl))
NEW_FD_HOOK(LT_FD_FILE, mkostemp, (char *tmpl, int flags), (tmpl, flags))
NEW_FD_HOOK(LT_FD_FILE, mkostemp64, (char *tmpl, int flags), (tmpl, flags))
NEW_FD_HOOK(LT_FD_FILE, mkstemps, (char *tmpl, int suffix), (tmpl, suffix))
NEW_FD_HOOK(LT_FD_FILE, mkstemps64, (char *tmpl, int suffix), (tmpl, suffix))
NEW_FD_HOOK(LT_FD_FILE, mkostemps, (char *tmpl, int suffix, int flags), (tmpl, suffix, flags))
NEW_FD_HOOK(LT_FD_FILE, mkostemps64, (char *tmpl, int suffix, int flags), (tmpl, suffix, flags))
NEW_FD_HOOK(LT_FD_FILE, posix_openpt, (int flags), (flags))
NEW_FD_HOOK(LT_FD_FILE, getpt, (void), ())
NEW_FD_HOOK(LT_FD_FILE, shm_open, (const char *name, int flags, mode_t mode), (name, flags, mode))
NEW_FD_HOOK(LT_FD_MEMFD, memfd_create, (const char *name, unsigned flags), (name, flags))

/* --- sockets, pipes, event descriptors --- */

NEW_FD_HOOK(LT_FD_SOCKET, socket, (int domain, int type, int proto), (domain, type, proto))
NEW_FD_HOOK(LT_FD_SOCKET, accept, (int s, struct sockaddr *addr, socklen_t *len), (s, addr, len))
NEW_FD_HOOK(LT_FD_SOCKET, accept4, (int s, struct sockaddr *addr, socklen_t *len, int flags),
            (s, addr, len, flags))
NEW_FD_HOOK(LT_FD_EPOLL, epoll_create, (int size), (size))
NEW_FD_HOOK(LT_FD_EPOLL, epoll_create1, (int flags), (flags))
NEW_FD_HOOK(LT_FD_EVENTFD, eventfd, (unsigned value, int flags), (value, flags))
NEW_FD_HOOK(LT_FD_TIMERFD, timerfd_create, (clockid_t clock, int flags), (clock, flags))
NEW_FD_HOOK(LT_FD_INOTIFY, inotify_init, (void), ())
NEW_FD_HOOK(LT_FD_INOTIFY, inotify_init1, (int flags), (flags))
NEW_FD_HOOK(LT_FD_OTHER, fanotify_init, (unsigned flags, unsigned event_flags),
            (flags, event_flags))
NEW_FD_HOOK(LT_FD_OTHER, pidfd_open, (pid_t pid, unsigned flags), (pid, flags))
NEW_FD_HOOK(LT_FD_PROBE, pidfd_getfd, (int pidfd, int target, unsigned flags),
            (pidfd, target, flags))

/* signalfd(-1, ...) makes a descriptor; signalfd(fd, ...) changes fd's mask. */
LT_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
    int r = REAL(signalfd)(fd, mask, flags);
    return fd == -1 ? booked(r, LT_FD_SIGNALFD) : r;
}

LT_EXPORT int pipe(int fds[2])
{
    return booked_pair(REAL(pipe)(fds), fds, LT_FD_PIPE);
}
LT_EXPORT int __pipe(int fds[2]) __attribute__((alias("pipe"), copy(pipe)));

LT_EXPORT int pipe2(int fds[2], int flags)
{
    return booked_pair(REAL(pipe2)(fds, flags), fds, LT_FD_PIPE);
}

LT_EXPORT int socketpair(int domain, int type, int proto, int fds[2])
{
    return booked_pair(REAL(socketpair)(domain, type, proto, fds), fds, LT_FD_SOCKET);
}

LT_EXPORT int openpty(int *master, int *slave, char *name, const struct termios *tio,
                      const struct winsize *win)
{
    int rc = REAL(openpty)(master, slave, name, tio, win);
    if (rc == 0) {
        int fds[2] = {*master, *slave};
        book(fds, 2, LT_FD_FILE, -1, false); /* openpty's caller holds both numbers */
    }
    return rc;
}

/* Descriptors passed over a unix socket (SCM_RIGHTS) are new here. */
static void book_rights(struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            book((int *)CMSG_DATA(c), (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)),
                 LT_FD_PROBE, -1, false);
}

LT_EXPORT ssize_t recvmsg(int s, struct msghdr *msg, int flags)
{
    ssize_t n = REAL(recvmsg)(s, msg, flags);
    if (n >= 0 && msg->msg_controllen)
        book_rights(msg);
    return n;
}

LT_EXPORT int recvmmsg(int s, struct mmsghdr *vec, unsigned len, int flags, struct timespec *tmo)
{
    int n = REAL(recvmmsg)(s, vec, len, flags, tmo);
    for (int i = 0; i < n; i++)
        if (vec[i].msg_hdr.msg_controllen)
            book_rights(&vec[i].msg_hdr);
    return n;
}

/* --- duplicates: the original's kind, the dup call's stack --- */

LT_EXPORT int dup(int fd)
{
    return booked_dup(REAL(dup)(fd), fd, true);
}

/* dup2/dup3 gave the program newfd: whatever the number held is gone,
 * one of the tracer's descriptors too (fdtable.c). Its mark goes even when
 * no record replaces it (LEAKTRACE_FD=0): else the program's close of its
 * own descriptor would be refused, and the tracer would close it as its. */
static int taken_over(int newfd)
{
    if (newfd >= 0 && !lt_in_tracer())
        lt_fd_forget(newfd);
    return newfd;
}

/* dup2/dup3 close newfd if it was open, atomically: its number is never
 * free in between, so its record is replaced after the call. */
LT_EXPORT int dup2(int fd, int newfd)
{
    if (newfd == STDERR_FILENO && fd != newfd)
        stderr_dropped();
    int r = REAL(dup2)(fd, newfd);
    return fd == newfd ? r : booked_dup(taken_over(r), fd, false);
}
LT_EXPORT int __dup2(int fd, int newfd) __attribute__((alias("dup2"), copy(dup2)));

LT_EXPORT int dup3(int fd, int newfd, int flags)
{
    if (newfd == STDERR_FILENO && fd != newfd)
        stderr_dropped();
    return booked_dup(taken_over(REAL(dup3)(fd, newfd, flags)), fd, false);
}

static int fcntl_booked(int r, int fd, int cmd)
{
    return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? booked_dup(r, fd, true) : r;
}

/* fcntl is variadic; glibc itself reads its argument as a pointer. */
#define FCNTL_HOOK(name)                                                                           \
    LT_EXPORT int name(int fd, int cmd, ...)                                                       \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, cmd);                                                                         \
        void *arg = va_arg(ap, void *);                                                            \
        va_end(ap);                                                                                \
        return fcntl_booked(REAL(name)(fd, cmd, arg), fd, cmd);                                    \
    }

FCNTL_HOOK(fcntl)
FCNTL_HOOK(fcntl64)
LT_EXPORT int __fcntl(int fd, int cmd, ...) __attribute__((alias("fcntl"), copy(fcntl)));

/* --- stdio and dirent: they open and close without an interposable call --- */

LT_EXPORT FILE *fopen(const char *path, const char *mode)
{
    return booked_stream(REAL(fopen)(path, mode), LT_FD_PROBE);
}

LT_EXPORT FILE *fopen64(const char *path, const char *mode)
{
    return booked_stream(REAL(fopen64)(path, mode), LT_FD_PROBE);
}

/* freopen closes the stream's descriptor and opens another (possibly onto
 * the same number): a release, then a new descriptor at freopen's caller. */
LT_EXPORT FILE *freopen(const char *path, const char *mode, FILE *f)
{
    releasing_stream(f);
    return booked_stream(REAL(freopen)(path, mode, f), LT_FD_PROBE);
}

LT_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f)
{
    releasing_stream(f);
    return booked_stream(REAL(freopen64)(path, mode, f), LT_FD_PROBE);
}

LT_EXPORT FILE *tmpfile(void)
{
    return booked_stream(REAL(tmpfile)(), LT_FD_FILE);
}

LT_EXPORT FILE *tmpfile64(void)
{
    return booked_stream(REAL(tmpfile64)(), LT_FD_FILE);
}

LT_EXPORT FILE *popen(const char *cmd, const char *mode)
{
    return booked_stream(REAL(popen)(cmd, mode), LT_FD_PIPE);
}

LT_EXPORT DIR *opendir(const char *path)
{
    DIR *d = REAL(opendir)(path);
    if (d)
        book_stream_fd(dirfd(d), LT_FD_DIR);
    return d;
}

/* fdopen and fdopendir make no descriptor: the one they wrap was booked
 * when it was made, and fclose/closedir release it. */

LT_EXPORT int fclose(FILE *f)
{
    releasing_stream(f);
    return REAL(fclose)(f);
}

LT_EXPORT int pclose(FILE *f)
{
    releasing_stream(f);
    return REAL(pclose)(f);
}

/* closedir is declared nonnull, yet glibc's accepts NULL (EINVAL): the test
 * must survive the optimizer. */
static inline bool present(const void *p)
{
    __asm__("" : "+r"(p));
    return p != NULL;
}

LT_EXPORT int closedir(DIR *d)
{
    if (present(d))
        releasing_stream_fd(dirfd(d));
    return REAL(closedir)(d);
}

/* glibc's daemon() points descriptors 0-2 at /dev/null through an internal
 * dup2 that no hook sees: it returns in the detached child only. */
LT_EXPORT int daemon(int nochdir, int noclose)
{
    int r = REAL(daemon)(nochdir, noclose);
    if (r == 0 && !noclose)
        stderr_dropped();
    return r;
}

/* --- close --- */

LT_EXPORT int close(int fd)
{
    if (!releasing(fd))
        return 0; /* see fdtable.c: a tracer descriptor outlives the program's close */
    return REAL(close)(fd);
}
LT_EXPORT int __close(int fd) __attribute__((alias("close"), copy(close)));

static int span_close_range(unsigned lo, unsigned hi, void *flags)
{
    return REAL(close_range)(lo, hi, *(int *)flags);
}

static int close_range_booked(unsigned first, unsigned last, int flags)
{
    if (lt_in_tracer() || (flags & ~CLOSE_RANGE_UNSHARE) || first > last ||
        (!fd_tracking() && !lt_fd_guards_own()))
        return REAL(close_range)(first, last, flags); /* CLOEXEC only marks; bad flags fail */
    return lt_fd_close_range(first, last, span_close_range, &flags);
}

/* CLOSE_RANGE_UNSHARE closes in a copy of the table when other threads
 * share it: as unshare(CLONE_FILES) (hooks_ns.c), the tracer's threads step
 * aside, else they would keep the closed descriptors open. */
LT_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    if (first <= STDERR_FILENO && STDERR_FILENO <= last && !(flags & CLOSE_RANGE_CLOEXEC))
        stderr_dropped();
    bool stepped = lt_trigger_step_aside_for((flags & CLOSE_RANGE_UNSHARE) != 0);
    return lt_trigger_step_back_after(stepped, close_range_booked(first, last, flags));
}

/* closefrom(lo) closes through an internal close_range. */
static int span_closefrom(unsigned lo, unsigned hi, void *unused)
{
    (void)unused;
    if (hi == ~0u)
        REAL(closefrom)((int)lo);
    else if (REAL(close_range)(lo, hi, 0) != 0) /* a kernel before 5.9 */
        for (unsigned fd = lo; fd <= hi; fd++)
            REAL(close)((int)fd);
    return 0;
}

LT_EXPORT void closefrom(int lo)
{
    if (lo <= STDERR_FILENO)
        stderr_dropped();
    if (lt_in_tracer() || (!fd_tracking() && !lt_fd_guards_own())) {
        REAL(closefrom)(lo);
        return;
    }
    int saved = errno;
    lt_fd_close_range(lo < 0 ? 0 : (unsigned)lo, ~0u, span_closefrom, NULL);
    errno = saved;
}

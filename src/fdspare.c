/* The spare descriptor.
 *
 * A descriptor leak ends with the program holding every number its
 * RLIMIT_NOFILE allows: each open fails with EMFILE, the tracer's too, and
 * the very snapshot that would show the leak could not be created. So the
 * tracer holds one number more than it needs (/dev/null, in its range at
 * the top: the program's numbers are what they would be untraced) and lets
 * it go only when an open of its own fails with EMFILE: the open is tried
 * again on the freed number, and once that descriptor is closed, the spare
 * is taken back. Only the snapshot lock's holder (snapshot files, the
 * symbolizer's reads) uses it, one descriptor at a time.
 *
 * The spare is never put back with dup2 over its old number: a thread of
 * the program may have opened a descriptor there in between. It is opened
 * anew, wherever the kernel puts it, and moved up as the tracer's others
 * are. One that stays below both the tracer's range and its old number
 * (the program holds the range, and has let a lower number go) is let go,
 * and asked for again after the next use: that number is one the program
 * would get untraced. (Below the range but not below its old number: the
 * program raised its limit since, and the old number is where it was.) */
#define _GNU_SOURCE
#include "fdspare.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtable.h"

static int spare = -1;
static int last_number = -1; /* the spare's, before it was let go */

/* Raw calls: the spare is made and let go by this file only, adopted
 * explicitly rather than through the descriptor hooks. */
static void take_spare(void)
{
    if (spare >= 0 || !lt_fd_guards_own())
        return;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    fd = lt_fd_adopt(fd, true);
    if (lt_fd_in_own_range(fd) || (last_number >= 0 && fd >= last_number)) {
        spare = last_number = fd;
        return;
    }
    lt_fd_disown(fd);
    syscall(SYS_close, fd);
}

void lt_fd_spare_init(void)
{
    int saved = errno;
    take_spare();
    errno = saved;
}

/* False when there was none to let go: never made, not taken back yet, or
 * lost (the program dup2'ed over its number, which is then the program's:
 * it is not closed). */
static bool lend_spare(void)
{
    int fd = spare;
    spare = -1;
    if (fd < 0 || !lt_fd_is_own(fd))
        return false;
    lt_fd_disown(fd);
    return syscall(SYS_close, fd) == 0;
}

/* make(arg) once, and when it failed with EMFILE once more with the spare
 * let go, on the number that frees. */
static int with_spare(int (*make)(const void *arg), const void *arg)
{
    int fd = make(arg);
    if (fd >= 0 || errno != EMFILE || !lend_spare())
        return fd;
    fd = make(arg);
    if (fd < 0) { /* a thread of the program took the number first */
        int err = errno;
        take_spare();
        errno = err;
    }
    return fd;
}

struct open_args {
    const char *path;
    int flags;
    mode_t mode;
};

static int open_own(const void *arg)
{
    const struct open_args *a = arg;
    return open(a->path, a->flags, a->mode); /* the descriptor hook adopts it */
}

int lt_fd_open_own(const char *path, int flags, mode_t mode)
{
    return with_spare(open_own, &(struct open_args){path, flags, mode});
}

struct accept_args {
    int listen_fd, flags;
};

static int accept_own(const void *arg)
{
    const struct accept_args *a = arg;
    return accept4(a->listen_fd, NULL, NULL, a->flags); /* the descriptor hook adopts it */
}

int lt_fd_accept_own(int listen_fd, int flags)
{
    return with_spare(accept_own, &(struct accept_args){listen_fd, flags});
}

int lt_fd_close_own(int fd)
{
    int rc = close(fd);
    int err = errno;
    take_spare();
    errno = err;
    return rc;
}

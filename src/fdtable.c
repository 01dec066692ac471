/* The descriptor table and the rules for the tracer's own descriptors.
 *
 * Descriptors are small integers handed out lowest-first, so an array
 * indexed by fd beats any hash: one atomic word a slot, reserved for the
 * hard RLIMIT_NOFILE (capped: see FD_CAP_MAX) and only touched pages cost
 * memory. A forked child inherits the array (private mapping) and with it
 * the parent's records: its inuse_fds keep the parent's stacks.
 *
 * The tracer's own descriptors (separate debug files libdwfl reads, the
 * snapshot files, the HTTP endpoint's sockets, the spare: fdspare.c) are
 * marked LT_FD_OWN when a hook sees them made by the tracer proper
 * (LT_GUARD_TRACER, see guard.h). They are moved
 * to the top of the range, so the program's descriptors get the numbers
 * they would get untraced, and they are protected: the program's close() of
 * one is a successful no-op and its close_range/closefrom go around them. A
 * daemon that closes "everything" therefore keeps a working tracer, and the
 * tracer never closes a number that has become the program's. A close is
 * refused rather than followed by a re-creation because the owners (libdwfl)
 * keep the number in their own variables. dup2/dup3 onto one is let
 * through: the program asked for that exact number; the owner then loses
 * the descriptor, and lt_fd_disown keeps it from closing the program's. The
 * snapshot wake-up is a semaphore, not a descriptor (trigger.c). */
#define _GNU_SOURCE
#include "fdtable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"
#include "stack.h"
#include "stacks.h"

/* The kernel's default fs.nr_open: descriptors above it need a sysctl
 * first; they go untracked (4 bytes a slot: 4 MiB of address space). */
#define FD_CAP_MAX (1u << 20)
#define LT_FD_OWN UINT32_MAX
/* The tracer's descriptors go this far below the soft limit. */
#define OWN_ROOM 256

static const char *const kind_names[LT_FD_KIND_COUNT] = {
    "file", "dir", "socket", "pipe", "epoll", "eventfd",
    "timerfd", "signalfd", "inotify", "memfd", "other",
};

bool lt_fd_on;
static _Atomic uint32_t *slots;
static unsigned cap;
static _Atomic int high_water = -1; /* highest fd ever put in the table */

const char *lt_fd_kind_name(enum lt_fd_kind kind)
{
    return kind >= 0 && kind < LT_FD_KIND_COUNT ? kind_names[kind] : "other";
}

/* The table is made even with LEAKTRACE_FD=0: the tracer's own descriptors
 * (its copy of stderr, the HTTP socket, libunwind's pipe, files read for
 * symbols) are marked in it, moved out of the program's numbers and kept
 * from its close loops all the same. */
void lt_fd_init(void)
{
    struct rlimit rl;
    rlim_t want = FD_CAP_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY)
        want = rl.rlim_max > rl.rlim_cur ? rl.rlim_max : rl.rlim_cur;
    unsigned n = want > FD_CAP_MAX ? FD_CAP_MAX : want < 1024 ? 1024 : (unsigned)want;
    void *p = mmap(NULL, (size_t)n * sizeof *slots, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return; /* descriptors go untracked; the heap tracer carries on */
    slots = p;
    cap = n; /* in_table() says yes only once there are slots */
    lt_fd_on = lt_config.fd;
}

bool lt_fd_guards_own(void)
{
    return slots != NULL;
}

static void raise_high_water(int fd)
{
    int seen = atomic_load_explicit(&high_water, memory_order_relaxed);
    while (fd > seen && !atomic_compare_exchange_weak(&high_water, &seen, fd)) {
    }
}

static bool in_table(int fd)
{
    return fd >= 0 && (unsigned)fd < cap;
}

static enum lt_fd_kind kind_of_id(uint32_t id)
{
    return (enum lt_fd_kind)(lt_stacks_get(id)->tag - LT_TAG_FD_FIRST);
}

/* Anonymous inodes and memfds say what they are only in their link name. */
static enum lt_fd_kind probe_link(int fd, bool regular)
{
    static const struct { const char *prefix; enum lt_fd_kind kind; } names[] = {
        {"anon_inode:[eventpoll]", LT_FD_EPOLL},   {"anon_inode:[eventfd]", LT_FD_EVENTFD},
        {"anon_inode:[timerfd]", LT_FD_TIMERFD},   {"anon_inode:[signalfd]", LT_FD_SIGNALFD},
        {"anon_inode:inotify", LT_FD_INOTIFY},     {"/memfd:", LT_FD_MEMFD},
    };
    char path[64], link[96];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n > 0) {
        link[n] = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strncmp(link, names[i].prefix, strlen(names[i].prefix)) == 0)
                return names[i].kind;
    }
    return regular ? LT_FD_FILE : LT_FD_OTHER;
}

enum lt_fd_kind lt_fd_probe(int fd)
{
    struct stat st;
    if (!lt_may_syscall() || fstat(fd, &st) != 0) /* under seccomp: not asked */
        return LT_FD_OTHER;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG: /* a memfd is an unlinked regular file */
        return st.st_nlink == 0 ? probe_link(fd, true) : LT_FD_FILE;
    case S_IFCHR:
    case S_IFBLK:
        return LT_FD_FILE;
    case S_IFDIR:
        return LT_FD_DIR;
    case S_IFIFO:
        return LT_FD_PIPE;
    case S_IFSOCK:
        return LT_FD_SOCKET;
    default:
        return probe_link(fd, false);
    }
}

enum lt_fd_kind lt_fd_dup_kind(int orig, int copy)
{
    uint32_t id = in_table(orig) ? atomic_load_explicit(&slots[orig], memory_order_relaxed) : 0;
    return id && id != LT_FD_OWN ? kind_of_id(id) : lt_fd_probe(copy);
}

void lt_fd_site_capture(struct lt_fd_site *site)
{
    site->depth = lt_stack_capture(site->frames, lt_config.depth, &site->hash, NULL);
}

/* Takes fd's record out of the table and its count off its stack. */
static void drop(int fd)
{
    uint32_t id = atomic_exchange_explicit(&slots[fd], 0, memory_order_relaxed);
    if (id && id != LT_FD_OWN)
        lt_stack_sub(id, LT_OBJ_ONE, 0);
}

void lt_fd_record(int fd, const struct lt_fd_site *site, enum lt_fd_kind kind)
{
    if (!in_table(fd))
        return;
    if (kind == LT_FD_PROBE)
        kind = lt_fd_probe(fd);
    uint32_t id = lt_stacks_intern(site->frames, site->depth, site->hash,
                                   LT_TAG_FD_FIRST + (unsigned)kind);
    lt_stack_add(id, LT_OBJ_ONE, 0);
    uint32_t old = atomic_exchange_explicit(&slots[fd], id, memory_order_relaxed);
    /* Closed by a path we do not see (a raw syscall, a dup2 over it): it is
     * gone now that the number is back. */
    if (old && old != LT_FD_OWN)
        lt_stack_sub(old, LT_OBJ_ONE, 0);
    raise_high_water(fd);
}

bool lt_fd_release(int fd)
{
    if (!in_table(fd))
        return true;
    uint32_t id = atomic_load_explicit(&slots[fd], memory_order_relaxed);
    if (id == LT_FD_OWN)
        return false;
    if (id)
        drop(fd);
    return true;
}

int lt_fd_close_range(unsigned first, unsigned last,
                      int (*close_span)(unsigned lo, unsigned hi, void *arg), void *arg)
{
    int top = atomic_load_explicit(&high_water, memory_order_relaxed);
    unsigned end = top < 0 ? 0 : (unsigned)top + 1; /* slots past it were never used */
    if (end > cap)
        end = cap;
    if (last < end)
        end = last + 1;
    unsigned lo = first;
    int rc = 0, err = 0;
    for (unsigned fd = first; fd < end; fd++) {
        uint32_t id = atomic_load_explicit(&slots[fd], memory_order_relaxed);
        if (id != LT_FD_OWN) {
            if (id)
                drop((int)fd);
            continue;
        }
        if (fd > lo && close_span(lo, fd - 1, arg) != 0 && rc == 0) {
            rc = -1;
            err = errno;
        }
        lo = fd + 1;
    }
    if (lo <= last && close_span(lo, last, arg) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc)
        errno = err;
    return rc;
}

static bool kept_by_writer(unsigned fd)
{
    return fd == STDERR_FILENO || lt_fd_is_own((int)fd);
}

/* A descriptor with no peer. With every number taken, one of the
 * program's (closed in this process only) makes room. */
static long stand_in_below(unsigned end)
{
    long fd = syscall(SYS_eventfd2, 0, EFD_CLOEXEC);
    for (unsigned n = 0; fd < 0 && n < end; n++)
        if (!kept_by_writer(n) && syscall(SYS_close, n) == 0)
            fd = syscall(SYS_eventfd2, 0, EFD_CLOEXEC);
    return fd;
}

void lt_fd_close_inherited(void)
{
    if (!slots)
        return; /* the tracer's own are not known */
    int top = atomic_load_explicit(&high_water, memory_order_relaxed);
    unsigned end = top < 0 ? 0 : (unsigned)top + 1;
    if (end > cap)
        end = cap;
    /* A recorded number stays taken, by the stand-in: were it free, the
     * writer's own files could land on it, and their adoption would drop
     * its record from the profile. */
    long stand_in = stand_in_below(end);
    for (unsigned fd = 0; fd < end; fd++) {
        if (kept_by_writer(fd) || (long)fd == stand_in)
            continue;
        bool recorded = atomic_load_explicit(&slots[fd], memory_order_relaxed) != 0;
        if (!recorded || stand_in < 0 || syscall(SYS_dup2, stand_in, fd) < 0)
            syscall(SYS_close, fd);
    }
    syscall(SYS_close_range, end > STDERR_FILENO + 1 ? end : STDERR_FILENO + 1, ~0u, 0);
}

/* Raw system calls: these must not come back through our descriptor hooks
 * (syscall() is hooked too, but passes them straight through). */
static int raw_fcntl(int fd, int cmd, long arg)
{
    return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

/* The first number of the tracer's range under the soft limit as it is
 * now; false if the limit cannot be read. */
static bool own_range_base(rlim_t *base)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return false;
    rlim_t soft = rl.rlim_cur > cap ? cap : rl.rlim_cur;
    *base = soft >= 4 * OWN_ROOM ? soft - OWN_ROOM : soft / 2;
    return true;
}

bool lt_fd_in_own_range(int fd)
{
    rlim_t base;
    return fd >= 0 && own_range_base(&base) && (rlim_t)fd >= base;
}

/* Moves fd to the top of the range the soft limit allows (or leaves it
 * where it is if that part is full or the limit is tiny). */
static int move_high(int fd)
{
    rlim_t base;
    if (!own_range_base(&base) || (rlim_t)fd >= base)
        return fd;
    int high = raw_fcntl(fd, F_DUPFD_CLOEXEC, (long)base);
    if (high < 0)
        return fd;
    syscall(SYS_close, fd);
    return high;
}

int lt_fd_adopt(int fd, bool movable)
{
    if (fd < 0 || !slots)
        return fd;
    int saved = errno;
    if (movable)
        fd = move_high(fd);
    else
        raw_fcntl(fd, F_SETFD, FD_CLOEXEC); /* the tracer's never outlive an exec */
    if (in_table(fd)) {
        drop(fd); /* a stale record: the number was free, whatever the table said */
        atomic_store_explicit(&slots[fd], LT_FD_OWN, memory_order_relaxed);
        raise_high_water(fd);
    }
    errno = saved;
    return fd;
}

bool lt_fd_disown(int fd)
{
    if (!in_table(fd))
        return true;
    uint32_t id = atomic_load_explicit(&slots[fd], memory_order_relaxed);
    if (id == LT_FD_OWN) {
        atomic_store_explicit(&slots[fd], 0, memory_order_relaxed);
        return true;
    }
    return id == 0;
}

void lt_fd_forget(int fd)
{
    if (in_table(fd))
        drop(fd);
}

bool lt_fd_is_own(int fd)
{
    return in_table(fd) && atomic_load_explicit(&slots[fd], memory_order_relaxed) == LT_FD_OWN;
}

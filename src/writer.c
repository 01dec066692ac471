/* Snapshots of a single-threaded program, written by a forked copy of it.
 *
 * A second thread costs a program every malloc and free, idle or not:
 * glibc's allocator takes its arena lock and uses locked instructions once
 * a process has two threads (perl, single-threaded and malloc-heavy: 2.6%
 * of its CPU time exact, 3.5% sampled, with the snapshot thread asleep).
 * So while the program has one thread and only the signal asks for
 * snapshots, the tracer starts no thread: the signal's handler clones the
 * process, and the clone writes the snapshot from its copy of the tables
 * while the program runs on, paused only for the clone (its page tables
 * copied).
 *
 * Why the copy may write: the handler clones only when it interrupted the
 * program outside the tracer (else it comes back a few milliseconds later,
 * by a timer that sends the same signal), so the tables are whole, and no
 * other thread exists to hold a lock. The allocator may have been
 * interrupted anywhere (sampling's fast paths call it outside the tracer),
 * so the copy never calls it: its allocations come from a heap of its own.
 *
 * The writer is not the program's child (see launch below): the program's
 * wait() never sees it, no SIGCHLD reaches the program, and no zombie
 * stays. A pidfd says when it has ended: the handler starts no second one
 * before, exit and the snapshot thread wait for it. */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fdtable.h"
#include "guard.h"
#include "live.h"
#include "log.h"
#include "resolve.h"
#include "snapshot.h"

/* A writer that has not finished by then is stuck (a lock of libc's held
 * by the interrupted program, say): its SIGALRM ends it. Exit (and the
 * snapshot thread when it takes over) waits for it WRITER_WAIT_S at most. */
#define WRITER_LIMIT_S 300
#define WRITER_WAIT_S 60
#define WRITER_STACK (8u << 20)

/* Sends the snapshot signal when the handler has to come back. */
static timer_t tick_timer;
static bool tick_timer_made;

/* The last writer (0: none, or done with), a pidfd for it, its SEQ.
 * Touched by the handler and by the program's thread with the handler's
 * signal blocked or after forked snapshots ended. */
static _Atomic pid_t writer_pid;
static int writer_pidfd = -1;
static unsigned writer_seq;
static int writer_of_pid;

/* --- the writer's own heap --- */

/* Bump allocation from mappings of its own, nothing ever freed: the writer
 * lives for one snapshot. Each block is preceded by its size and a tag that
 * tells it from a block the copy inherited from the real allocator. */
#define CHUNK (4u << 20)
#define HEADER 16
#define TAG 0x6c74777269746572ull /* "ltwriter" */

static struct lt_real_heap inherited;
static unsigned char *chunk_next, *chunk_end;

struct header {
    size_t size;
    uint64_t tag;
};

/* Where a block aligned to align goes, its header just before, in the
 * chunk's free part from `next` on. */
static uintptr_t block_after(const unsigned char *next, size_t align)
{
    return ((uintptr_t)next + HEADER + align - 1) & ~(uintptr_t)(align - 1);
}

static void *own_alloc(size_t n, size_t align)
{
    if (align < HEADER)
        align = HEADER;
    if (n > SIZE_MAX / 2 || align > CHUNK / 2)
        return NULL;
    uintptr_t at = block_after(chunk_next, align);
    if (!chunk_next || at + n > (uintptr_t)chunk_end) {
        size_t len = (n + align + HEADER + CHUNK - 1) / CHUNK * CHUNK;
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        chunk_next = m;
        chunk_end = chunk_next + len;
        at = block_after(chunk_next, align);
    }
    chunk_next = (unsigned char *)(at + n);
    struct header h = {n, TAG ^ at};
    memcpy((void *)(at - HEADER), &h, sizeof h);
    return (void *)at; /* fresh mapping, never reused: zeroed */
}

static size_t size_of(void *p)
{
    if (lt_bootstrap_owns(p))
        return lt_bootstrap_size(p);
    struct header h; /* a real allocator's block has its own header there */
    memcpy(&h, (char *)p - HEADER, sizeof h);
    if (h.tag == (TAG ^ (uintptr_t)p))
        return h.size;
    return inherited.malloc_usable_size ? inherited.malloc_usable_size(p) : 0;
}

static void *own_malloc(size_t n) { return own_alloc(n, HEADER); }

static void *own_calloc(size_t n, size_t m)
{
    size_t total;
    return __builtin_mul_overflow(n, m, &total) ? NULL : own_alloc(total, HEADER);
}

static void *own_realloc(void *p, size_t n)
{
    void *q = own_alloc(n, HEADER);
    if (q && p) {
        size_t old = size_of(p);
        memcpy(q, p, old < n ? old : n);
    }
    return q;
}

static void own_free(void *p) { (void)p; }

static int own_posix_memalign(void **out, size_t align, size_t n)
{
    void *p = own_alloc(n, align);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static void *own_memalign(size_t align, size_t n) { return own_alloc(n, align); }
static void *own_valloc(size_t n) { return own_alloc(n, 4096); }
static void *own_pvalloc(size_t n) { return own_alloc((n + 4095) & ~(size_t)4095, 4096); }

static void use_own_heap(void)
{
    inherited = lt_real;
    lt_real.malloc = own_malloc;
    lt_real.calloc = own_calloc;
    lt_real.realloc = own_realloc;
    lt_real.free = own_free;
    lt_real.posix_memalign = own_posix_memalign;
    lt_real.aligned_alloc = own_memalign;
    lt_real.memalign = own_memalign;
    lt_real.valloc = own_valloc;
    lt_real.pvalloc = own_pvalloc;
    lt_real.malloc_usable_size = size_of;
}

/* --- the writer --- */

/* The line for a writer ended for taking too long: by its own alarm, or by
 * the program's exit waiting for it. */
static void warn_writer_stopped(pid_t writer, int after_s)
{
    lt_warn("snapshot %04u of process %d not written: its writer process %d was stopped "
            "after %d s",
            writer_seq, writer_of_pid, (int)writer, after_s);
}

/* A crash (or SIGALRM: stuck) ends the writer with one line. */
static void writer_died(int sig)
{
    if (sig == SIGALRM)
        warn_writer_stopped(getpid(), WRITER_LIMIT_S);
    else
        lt_warn("snapshot %04u of process %d not written: its writer process %d crashed "
                "(signal %d)",
                writer_seq, writer_of_pid, (int)getpid(), sig);
    _exit(1);
}

static void catch_writer_deaths(sigset_t *mask)
{
    static const int deaths[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGALRM};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = writer_died;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof deaths / sizeof *deaths; i++) {
        sigaction(deaths[i], &sa, NULL);
        sigdelset(mask, deaths[i]);
    }
}

static int writer_main(void *unused)
{
    (void)unused;
    /* Everything this process does is the tracer's. No handler of the
     * program runs here; a crash ends the writer with one line, as
     * SIGALRM does a stuck one. It keeps none of the program's
     * descriptors but stderr: a socket the program closes meanwhile is
     * closed. */
    lt_guard_flag = LT_GUARD_TRACER;
    prctl(PR_SET_NAME, "leaktrace"); /* what ps shows */
    sigset_t mask;
    sigfillset(&mask);
    catch_writer_deaths(&mask);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    alarm(WRITER_LIMIT_S);
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    if (errno == 0) /* behind the program on a busy machine, as the snapshot thread */
        setpriority(PRIO_PROCESS, 0, nice_now + 10 > 19 ? 19 : nice_now + 10);
    lt_fd_close_inherited();
    use_own_heap();
    _exit(lt_snapshot_write_as(writer_of_pid, writer_seq) ? 0 : 1);
}

/* --- starting it: the program is never its parent ---
 *
 * A launcher shares the program's memory and descriptors, as a vfork
 * child does, while the program waits for it (no page table is copied for
 * it): it clones the writer, taking a pidfd for it, and ends at once. The
 * writer, orphaned, is handed to init (or the nearest subreaper), which
 * reaps it: no zombie stays in the program, whose wait() never sees it.
 * The pidfd tells the program when the writer has ended. */
struct launch {
    void *stack_top;
    pid_t pid;
    int pidfd, err;
};

static int launch_writer(void *arg)
{
    struct launch *l = arg;
    l->pid = clone(writer_main, l->stack_top, CLONE_PIDFD | SIGCHLD, NULL, &l->pidfd);
    if (l->pid < 0) { /* every number taken, or a kernel before 5.2 */
        l->pidfd = -1;
        l->pid = clone(writer_main, l->stack_top, SIGCHLD, NULL);
    }
    l->err = errno;
    return 0;
}

static pid_t launch(void *writer_stack_top, int *pidfd, int *err)
{
    static char launcher_stack[64 << 10] __attribute__((aligned(64)));
    struct launch l = {writer_stack_top, -1, -1, 0};
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old); /* no handler may run on the launcher */
    pid_t launcher = clone(launch_writer, launcher_stack + sizeof launcher_stack,
                           CLONE_VM | CLONE_VFORK | CLONE_FILES, &l);
    if (launcher < 0)
        l.err = errno;
    else
        while (waitpid(launcher, NULL, __WCLONE) < 0 && errno == EINTR) {
        }
    sigprocmask(SIG_SETMASK, &old, NULL);
    *pidfd = l.pidfd;
    *err = l.err;
    return l.pid;
}

/* Without a pidfd (the program held every number, an old kernel): its PID, which
 * answers until the writer is reaped (by init, or by the program when it
 * is the subreaper: the PID 1 of a container). */
static bool writer_pid_ended(pid_t pid)
{
    return waitpid(pid, NULL, WNOHANG | __WALL) == pid || kill(pid, 0) != 0;
}

/* True once the writer has ended, waiting up to timeout_ms for it. */
static bool writer_ended(int timeout_ms)
{
    if (writer_pidfd >= 0) {
        struct pollfd end = {.fd = writer_pidfd, .events = POLLIN};
        int r;
        while ((r = poll(&end, 1, timeout_ms)) < 0 && errno == EINTR) {
        }
        return r != 0;
    }
    pid_t pid = atomic_load(&writer_pid);
    for (int waited = 0, step = 1; !writer_pid_ended(pid); waited += step) {
        if (waited >= timeout_ms)
            return false;
        struct timespec pause = {0, step * 1000000L};
        nanosleep(&pause, NULL);
        step = step < 16 ? step * 2 : 16;
    }
    return true;
}

/* An ended writer is the program's to reap only when the program is the
 * subreaper it was handed to (the PID 1 of a container, say). */
static void forget_writer(void)
{
    pid_t pid = atomic_load(&writer_pid);
    if (pid)
        waitpid(pid, NULL, WNOHANG | __WALL);
    if (writer_pidfd >= 0 && lt_fd_disown(writer_pidfd))
        syscall(SYS_close, writer_pidfd);
    writer_pidfd = -1;
    atomic_store(&writer_pid, 0);
}

/* Once the writer has ended, forgets it; with `wait`, waits for that
 * (WRITER_WAIT_S at most, then ends it). */
static bool done_with_writer(bool wait)
{
    if (!atomic_load(&writer_pid))
        return true;
    if (!writer_ended(wait ? WRITER_WAIT_S * 1000 : 0)) {
        if (!wait)
            return false;
        if (writer_pidfd >= 0)
            syscall(SYS_pidfd_send_signal, writer_pidfd, SIGKILL, NULL, 0);
        else
            kill(atomic_load(&writer_pid), SIGKILL);
        warn_writer_stopped(atomic_load(&writer_pid), WRITER_WAIT_S);
    }
    forget_writer();
    return true;
}

bool lt_writer_busy(void)
{
    int saved = errno;
    bool busy = !done_with_writer(false);
    errno = saved;
    return busy;
}

void lt_writer_wait(void)
{
    int saved = errno;
    done_with_writer(true);
    errno = saved;
}

bool lt_writer_start(int pid, unsigned seq)
{
    writer_of_pid = pid;
    writer_seq = seq;
    /* The writer's stack: the handler may run on a small alternate stack */
    void *stack = mmap(NULL, WRITER_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    pid_t writer = -1;
    int pidfd = -1, err = errno;
    if (stack != MAP_FAILED) {
        lt_live_leave_out_of_copies(true); /* the writer never reads it */
        writer = launch((char *)stack + WRITER_STACK, &pidfd, &err);
        lt_live_leave_out_of_copies(false);
        munmap(stack, WRITER_STACK); /* the writer has its copy */
    }
    if (writer < 0) {
        lt_warn("snapshot %04u of process %d not written: cannot start its writer process: %s",
                seq, pid, strerror(err));
        return false;
    }
    writer_pidfd = lt_fd_adopt(pidfd, true); /* the tracer's, out of the program's way (-1 stays) */
    atomic_store(&writer_pid, writer);
    return true;
}

bool lt_writer_init(void)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = lt_config.signal;
    ev.sigev_value.sival_ptr = &tick_timer;
    tick_timer_made = timer_create(CLOCK_MONOTONIC, &ev, &tick_timer) == 0;
    return tick_timer_made;
}

bool lt_writer_is_tick(const siginfo_t *info)
{
    return info && info->si_code == SI_TIMER && info->si_value.sival_ptr == &tick_timer;
}

void lt_writer_tick_in(int64_t ms)
{
    struct itimerspec at = {{0, 0}, {ms / 1000, ms % 1000 * 1000000L}};
    if (tick_timer_made && ms > 0)
        timer_settime(tick_timer, 0, &at, NULL);
}

void lt_writer_forget_signal(void)
{
    if (tick_timer_made)
        timer_delete(tick_timer);
    tick_timer_made = false;
}

bool lt_writer_after_fork_child(bool wanted)
{
    forget_writer();          /* the parent's */
    tick_timer_made = false; /* timers are not inherited */
    return wanted && lt_writer_init();
}

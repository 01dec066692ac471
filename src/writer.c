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
 * The clone is a "clone child" (no termination signal): the program's
 * wait() and waitpid(-1) do not see it and no SIGCHLD reaches it. The
 * handler reaps it before starting the next one, exit and the snapshot
 * thread wait for it; until then a finished writer is a zombie. */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fdtable.h"
#include "guard.h"
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

/* The writer running or not yet reaped (0: none), its SEQ. Touched by the
 * handler and by the program's thread with the handler's signal blocked or
 * after forked snapshots ended. */
static _Atomic pid_t writer_pid;
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

static void *own_alloc(size_t n, size_t align)
{
    if (align < HEADER)
        align = HEADER;
    if (n > SIZE_MAX / 2 || align > CHUNK / 2)
        return NULL;
    uintptr_t at = ((uintptr_t)chunk_next + HEADER + align - 1) & ~(uintptr_t)(align - 1);
    if (!chunk_next || at + n > (uintptr_t)chunk_end) {
        size_t len = (n + align + HEADER + CHUNK - 1) / CHUNK * CHUNK;
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        chunk_next = m;
        chunk_end = chunk_next + len;
        at = ((uintptr_t)chunk_next + HEADER + align - 1) & ~(uintptr_t)(align - 1);
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

static int writer_main(void *unused)
{
    (void)unused;
    /* Everything this process does is the tracer's. No handler of the
     * program runs here (a crash ends the writer, without a core file);
     * SIGALRM ends a stuck one. It keeps none of the program's descriptors
     * but stderr: a socket the program closes meanwhile is closed. */
    lt_guard_flag = LT_GUARD_TRACER;
    prctl(PR_SET_NAME, "leaktrace"); /* what ps shows, a zombie included */
    sigset_t all_but_alarm;
    sigfillset(&all_but_alarm);
    sigdelset(&all_but_alarm, SIGALRM);
    signal(SIGALRM, SIG_DFL);
    sigprocmask(SIG_SETMASK, &all_but_alarm, NULL);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    alarm(WRITER_LIMIT_S);
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    if (errno == 0) /* behind the program on a busy machine, as the snapshot thread */
        setpriority(PRIO_PROCESS, 0, nice_now + 10 > 19 ? 19 : nice_now + 10);
    lt_fd_close_inherited();
    use_own_heap();
    _exit(lt_snapshot_write_as(writer_of_pid, writer_seq) ? 0 : 1);
}

/* Reaps the writer if it has ended, or once it has (a wait of at most
 * WRITER_WAIT_S, then it is killed); says so if it ended without writing
 * (it says why itself when a file could not be written). No SIGCHLD comes
 * for a clone child: the wait looks every few milliseconds. */
static bool reap(bool wait)
{
    pid_t pid = atomic_load(&writer_pid);
    if (!pid)
        return true;
    int status = 0, waited_ms = 0, step_ms = 1;
    bool killed = false;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG | __WCLONE)) == 0 ||
           (r < 0 && errno == EINTR)) {
        if (r < 0)
            continue;
        if (!wait)
            return false;
        if (waited_ms >= WRITER_WAIT_S * 1000 && !killed) {
            killed = kill(pid, SIGKILL) == 0;
            continue;
        }
        struct timespec pause = {0, step_ms * 1000000L};
        nanosleep(&pause, NULL);
        waited_ms += step_ms;
        step_ms = step_ms < 16 ? step_ms * 2 : 16;
    }
    atomic_store(&writer_pid, 0);
    if (r == pid && killed)
        lt_warn("snapshot %04u of process %d not written: its writer process %d was stopped "
                "after %d s",
                writer_seq, writer_of_pid, (int)pid, WRITER_WAIT_S);
    else if (r == pid && WIFSIGNALED(status))
        lt_warn("snapshot %04u of process %d not written: its writer process %d was killed by "
                "signal %d",
                writer_seq, writer_of_pid, (int)pid, WTERMSIG(status));
    return true; /* or ECHILD: the program reaped it (waitpid with __WALL) */
}

bool lt_writer_busy(void)
{
    int saved = errno;
    bool busy = !reap(false);
    errno = saved;
    return busy;
}

void lt_writer_wait(void)
{
    int saved = errno;
    reap(true);
    errno = saved;
}

bool lt_writer_start(int pid, unsigned seq)
{
    writer_of_pid = pid;
    writer_seq = seq;
    /* The writer's stack: the handler may run on a small alternate stack */
    void *stack = mmap(NULL, WRITER_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    pid_t child = -1;
    int err = errno;
    if (stack != MAP_FAILED) {
        /* no termination signal: a clone child, unseen by the program's waits */
        child = clone(writer_main, (char *)stack + WRITER_STACK, 0, NULL);
        err = errno;
        munmap(stack, WRITER_STACK); /* the writer has its copy */
    }
    if (child < 0) {
        lt_warn("snapshot %04u of process %d not written: cannot start its writer process: %s",
                seq, pid, strerror(err));
        return false;
    }
    atomic_store(&writer_pid, child);
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
    atomic_store(&writer_pid, 0); /* the parent's child */
    tick_timer_made = false;     /* timers are not inherited */
    return wanted && lt_writer_init();
}

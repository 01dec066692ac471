#define _GNU_SOURCE
#include "trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "cfi.h"
#include "clock.h"
#include "config.h"
#include "fdspare.h"
#include "http.h"
#include "init.h"
#include "live.h"
#include "log.h"
#include "report.h"
#include "retired.h"
#include "sandbox.h"
#include "snapshot.h"
#include "stacks.h"
#include "symbolize.h"
#include "thread_slot.h"
#include "walk.h"
#include "writer.h"

/* The snapshot signal's handler counts a request and posts the semaphore
 * (both async-signal-safe); the snapshot thread waits on it (or, in a
 * single-threaded program, the handler starts a writer process: see
 * forked_snapshots). No descriptor:
 * a program that closes every descriptor at start-up (a close loop,
 * close_range, closefrom) or dup2s over one cannot take the wake-up channel
 * away, nor have the handler write into a file that reused its number.
 * Requests are taken only under the snapshot lock, so exit sees each one
 * either pending or written. */
static sem_t wake;
static bool wake_ready;
static _Atomic unsigned wake_requests;

static _Atomic bool signal_owned;

/* Captures in their locking parts, counted per shard: each thread keeps to
 * one shard (its thread slot), so the two atomic updates stay in a cache
 * line that threads rarely share. fork sums the shards. */
#define GATE_SHARDS 64
static struct {
    _Atomic int in_flight;
} __attribute__((aligned(64))) gate[GATE_SHARDS];
static _Atomic bool fork_pending;

static _Atomic int *my_gate_counter(void)
{
    return &gate[lt_thread_slot() % GATE_SHARDS].in_flight;
}

bool lt_capture_gate_enter(void)
{
    _Atomic int *counter = my_gate_counter();
    atomic_fetch_add(counter, 1); /* seq_cst, against fork_pending's store */
    if (lt_likely(!atomic_load(&fork_pending))) {
        lt_held.gate = true;
        return true;
    }
    /* Never wait here: this thread may hold the loader lock (a constructor
     * run by dlopen) that an in-flight capture is waiting for, and fork
     * waits for that capture. The allocation goes without a stack. */
    atomic_fetch_sub(counter, 1);
    return false;
}

void lt_capture_gate_leave(void)
{
    lt_held.gate = false;
    atomic_fetch_sub_explicit(my_gate_counter(), 1, memory_order_release);
}

static bool captures_in_flight(void)
{
    for (int i = 0; i < GATE_SHARDS; i++)
        if (atomic_load(&gate[i].in_flight))
            return true;
    return false;
}

/* True while the program has one thread and asks for snapshots by signal
 * only: the handler starts a writer process (writer.c), and the tracer has
 * no thread. Ends for good when the program starts a thread, confines one
 * with seccomp, or exits. */
static _Atomic bool forked_snapshots;

static bool take_requests(void);

/* The handler's work while forked_snapshots: on the program's only
 * thread. Interrupted inside the tracer (or before it is ready), the
 * tables may be half-changed: the timer brings the signal back soon
 * (writer.h), as it does while a writer still runs with requests waiting,
 * and when the stderr copy's release is due (log.c). A user's signal sent
 * while the timer's is pending is merged into it by the kernel (one
 * pending instance of a standard signal), so it counts no request; in the
 * first two cases a request is waiting already, and is answered after. */
#define RETRY_MS 10
#define WRITER_POLL_MS 100

static int64_t next_tick_ms(bool retry, bool writer_busy)
{
    int64_t delay = retry ? RETRY_MS : writer_busy ? WRITER_POLL_MS : 0;
    int64_t release = lt_log_release_due();
    if (release) {
        int64_t left = release - lt_now_ms();
        left = left < 1 ? 1 : left;
        delay = delay && delay < left ? delay : left;
    }
    return delay;
}

static void forked_tick(void)
{
    if (!lt_may_syscall())
        return; /* under seccomp: a clone, even a timer, could get the process killed */
    int state = atomic_load(&lt_state);
    if (state == LT_DISABLED)
        return;
    bool retry = state != LT_READY || lt_in_tracer(), busy = false;
    if (!retry) {
        lt_guard_enter();
        lt_log_release_if_due();
        busy = lt_writer_busy() && atomic_load(&wake_requests);
        if (!busy && take_requests()) {
            int pid = (int)getpid();
            lt_writer_start(pid, lt_snapshot_take_seq(pid));
        }
        lt_guard_leave();
    }
    lt_writer_tick_in(next_tick_ms(retry, busy));
}

/* glibc started a thread by a call the tracer does not watch: no writer
 * may copy the process now, and no thread can be started from a handler.
 * The request waits for exit. */
static void tell_of_unseen_thread(void)
{
    static _Atomic bool told;
    if (!atomic_exchange(&told, true))
        lt_warn("process %d started a thread the tracer did not see start: its signal "
                "snapshots wait for its exit", (int)getpid());
}

static void on_snapshot_signal(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    int saved = errno;
    if (!lt_writer_is_tick(info))
        atomic_fetch_add(&wake_requests, 1);
    bool forked = atomic_load(&forked_snapshots);
    if (forked && __libc_single_threaded)
        forked_tick();
    else if (forked)
        tell_of_unseen_thread();
    else
        sem_post(&wake); /* EOVERFLOW: a wake-up is pending anyway */
    errno = saved;
}

static bool open_wake(void)
{
    atomic_store(&wake_requests, 0);
    wake_ready = sem_init(&wake, 0, 0) == 0;
    if (!wake_ready)
        lt_warn("cannot create the snapshot wake-up semaphore: %s; signal and interval "
                "snapshots are off", strerror(errno));
    return wake_ready;
}

static const char *signal_name(int sig)
{
    return sigabbrev_np(sig) ? sigabbrev_np(sig) : "the snapshot signal";
}

/* Other signals to suggest: not the one that was just taken. */
static const char *other_signals(int taken)
{
    return taken == SIGUSR2 ? "RTMIN+3 or RTMIN+4" : "USR2 or RTMIN+3";
}

static bool take_signal(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_snapshot_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART; /* the program's system calls carry on */
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL) == 0;
}

/* The program's disposition of sig, unless it is the default action: an
 * ignore inherited through exec (`trap '' USR1`, nohup), a handler a
 * constructor installed before ours. The tracer takes only the default. */
static bool program_has(int sig, struct sigaction *sa)
{
    return sigaction(sig, NULL, sa) == 0 && sa->sa_handler != SIG_DFL;
}

static void install_signal_handler(void)
{
    struct sigaction sa;
    if (program_has(lt_config.signal, &sa)) {
        lt_warn("the program %s %s already: signal snapshots are off in process %d; "
                "choose another signal with LEAKTRACE_SIGNAL (e.g. %s)",
                sa.sa_handler == SIG_IGN ? "ignores" : "handles", signal_name(lt_config.signal),
                (int)getpid(), other_signals(lt_config.signal));
        return;
    }
    if (!take_signal(lt_config.signal)) {
        /* config.c refuses the signals known to be refused; one the kernel or
         * libc refuses all the same falls back to the default */
        int err = errno;
        if (lt_config.signal == SIGUSR1 || program_has(SIGUSR1, &sa) || !take_signal(SIGUSR1)) {
            lt_warn("cannot install the snapshot signal handler: %s", strerror(err));
            return;
        }
        lt_warn("LEAKTRACE_SIGNAL=%s: cannot install a handler (%s); using USR1",
                signal_name(lt_config.signal), strerror(err));
        lt_config.signal = SIGUSR1;
    }
    atomic_store(&signal_owned, true);
}

bool lt_trigger_owns_signal(int sig)
{
    return sig == lt_config.signal && sig != 0 && atomic_load(&signal_owned);
}

void lt_trigger_give_up_signal(int sig)
{
    bool owned = true;
    if (!atomic_compare_exchange_strong(&signal_owned, &owned, false))
        return;
    lt_writer_forget_signal(); /* its retries would go to the program's handler */
    lt_warn("the program handles %s itself: signal snapshots are off in process %d; "
            "choose another signal with LEAKTRACE_SIGNAL (e.g. %s)",
            signal_name(sig), (int)getpid(), other_signals(sig));
}

/* True if a snapshot was asked for; the caller holds the snapshot lock. */
static bool take_requests(void)
{
    return atomic_exchange(&wake_requests, 0) != 0;
}

/* --- a program whose threads all ended ---
 *
 * glibc ends a process when its last thread ends (the main thread by
 * pthread_exit, the others by returning), counting the tracer's threads
 * too: with them alive, such a program would run on forever with no thread
 * of its own. The leader (the main thread, or a fork child's only thread)
 * can only be gone by pthread_exit, which runs its thread-specific data's
 * destructor: from then on, the tracer's threads look every WATCH_MS at
 * /proc/self/stat, and once the leader is a zombie and every other
 * thread is theirs, they return; the last one's end then runs exit(0) as
 * it would have untraced (exit handlers, the exit snapshot). */
#define WATCH_MS 100
static pthread_key_t leader_key;
static bool leader_key_made;
static _Atomic bool leader_gone;

static void leader_ended(void *unused)
{
    (void)unused;
    atomic_store(&leader_gone, true);
    if (wake_ready)
        sem_post(&wake);
}

/* On the leader thread: at start-up, and in a fork child. */
static void watch_leader(void)
{
    if (!leader_key_made)
        leader_key_made = pthread_key_create(&leader_key, leader_ended) == 0;
    if (leader_key_made)
        pthread_setspecific(leader_key, (void *)1);
}

/* Once true, for good: no thread of the program is left to start one (and
 * no signal handler to run: the tracer's threads block every signal). */
static _Atomic bool program_ended;

/* /proc/self/stat into buf (NUL-terminated); false if it cannot be read
 * now. The program's threads may have ended holding every descriptor
 * number it may use: the read borrows the spare's (fdspare.c), under the
 * snapshot lock. While a snapshot holds that lock, the read waits for the
 * next look, WATCH_MS later: a wait here could be on this very thread. */
static bool read_own_stat(char *buf, size_t cap)
{
    if (!lt_snapshot_trylock())
        return false;
    ssize_t n = -1;
    int fd = lt_fd_open_own("/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
    if (fd >= 0) {
        n = read(fd, buf, cap - 1);
        lt_fd_close_own(fd);
    }
    lt_snapshot_unlock();
    if (n <= 0)
        return false;
    buf[n] = 0;
    return true;
}

/* /proc/self/stat: the leader's state is field 3, the thread count field
 * 20 (counting a zombie leader). Short, unlike /proc/self/status, whose
 * Groups line can push what follows past any fixed buffer. */
static bool only_tracer_threads_left(const char *stat)
{
    const char *p = strrchr(stat, ')'); /* the command name may hold anything */
    if (!p || p[1] != ' ')
        return false;
    char state = p[2];
    p += 2;
    for (int field = 3; field < 20 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p && state == 'Z' && atoi(p) <= 1 + lt_tracer_thread_count();
}

bool lt_trigger_program_gone(void)
{
    if (!atomic_load_explicit(&leader_gone, memory_order_relaxed))
        return false;
    if (atomic_load(&program_ended))
        return true;
    char buf[1024];
    if (!read_own_stat(buf, sizeof buf) || !only_tracer_threads_left(buf))
        return false;
    atomic_store(&program_ended, true);
    return true;
}

static pthread_t snapshot_tid;
static _Atomic bool snapshot_running;
static _Atomic bool snapshot_quit;

/* A program thread under seccomp is exiting: the snapshot thread does the
 * exit's work (sandbox.h) and posts exit_done, as it does when it ends for
 * another reason (snapshot_ended then tells the exiting thread not to wait:
 * each of the two sets its flag, then reads the other's). */
static _Atomic bool exit_handed_over, snapshot_ended;
static sem_t exit_done;
static void exit_work(void);

/* True if this thread blocks the snapshot signal now: the timer's ticks
 * would not come. */
static bool signal_blocked_here(void)
{
    sigset_t mask;
    return pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0 && sigismember(&mask, lt_config.signal);
}

bool lt_trigger_nudge(void)
{
    if (atomic_load(&forked_snapshots)) {
        if (signal_blocked_here())
            return false;
        lt_writer_tick_in(next_tick_ms(false, false));
        return true;
    }
    if (!atomic_load(&snapshot_running))
        return false;
    sem_post(&wake);
    return true;
}

/* The snapshot thread's wait: for a wake-up, until the next interval
 * snapshot is due (0: none), and in steps of WATCH_MS once the leader is
 * gone. */
static int64_t earliest(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

static int wait_for_wake(int64_t due_ms)
{
    if (atomic_load(&leader_gone))
        due_ms = earliest(due_ms, lt_now_ms() + WATCH_MS);
    due_ms = earliest(due_ms, lt_log_release_due());
    if (!due_ms)
        return sem_wait(&wake);
    struct timespec until = {due_ms / 1000, due_ms % 1000 * 1000000};
    return sem_clockwait(&wake, CLOCK_MONOTONIC, &until);
}

static void snapshot_loop(void)
{
    int64_t period = (int64_t)(lt_config.interval * 1000 + 0.5);
    int64_t next = period ? lt_now_ms() + period : 0;
    for (;;) {
        int r = wait_for_wake(next);
        lt_log_release_if_due();
        if (r != 0 && errno != EINTR && errno != ETIMEDOUT) {
            lt_warn("the snapshot thread stopped: %s; signal and interval snapshots are off",
                    strerror(errno));
            return;
        }
        if (atomic_load(&exit_handed_over)) {
            exit_work();
            return;
        }
        if (atomic_load(&snapshot_quit) || lt_trigger_program_gone())
            return;
        while (sem_trywait(&wake) == 0) { /* one snapshot answers them all */
        }
        bool due = period && lt_now_ms() >= next;
        if (r != 0 && !due)
            continue;
        /* Taken under the lock, so exit sees either the request or the
         * finished snapshot, never a half-written file. */
        lt_snapshot_lock();
        if (take_requests() || due)
            lt_snapshot_write();
        lt_snapshot_unlock();
        if (due)
            next = lt_now_ms() + period;
    }
}

static void *snapshot_thread(void *arg)
{
    (void)arg;
    lt_become_tracer_thread();
    lt_writer_wait(); /* one started before the program's second thread: SEQs in order */
    snapshot_loop();
    atomic_store(&snapshot_ended, true);
    if (atomic_load(&exit_handed_over))
        sem_post(&exit_done);
    lt_tracer_thread_ends();
    return NULL;
}

/* The signal mask of the thread that started a tracer thread, which starts
 * with every signal blocked (none of the program's may land there). */
static sigset_t program_mask;

void lt_trigger_thread_hands_back(void)
{
    /* glibc runs exit() on the process's last thread: if that is ours, the
     * program's exit handlers (and a child they start, which inherits it)
     * get the program's mask back, and its pending signals are delivered. */
    if (lt_trigger_program_gone())
        pthread_sigmask(SIG_SETMASK, &program_mask, NULL);
}

void lt_trigger_start_thread(void)
{
    /* under seccomp, a thread it starts would be confined too */
    if (!wake_ready || snapshot_running || !lt_may_syscall() || atomic_load(&forked_snapshots))
        return;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &program_mask); /* the thread inherits: no signal lands there */
    atomic_store(&snapshot_ended, false);
    int rc = pthread_create(&snapshot_tid, NULL, snapshot_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &program_mask, NULL);
    if (rc != 0) {
        lt_warn("cannot start the snapshot thread: %s; signal and interval snapshots are off",
                strerror(rc));
        return;
    }
    snapshot_running = true;
    pthread_setname_np(snapshot_tid, "leaktrace");
    if (atomic_load(&wake_requests))
        sem_post(&wake); /* asked for while the thread was stopped */
}

/* The snapshot thread takes over from the writer processes. */
void lt_trigger_program_starts_thread(void)
{
    if (!atomic_exchange(&forked_snapshots, false))
        return;
    bool entered = lt_guard_enter();
    lt_trigger_start_thread();
    if (entered)
        lt_guard_leave();
}

static void stop_snapshot_thread(void)
{
    if (!snapshot_running)
        return;
    atomic_store(&snapshot_quit, true);
    sem_post(&wake);
    pthread_join(snapshot_tid, NULL);
    atomic_store(&snapshot_quit, false);
    snapshot_running = false;
}

/* --- credential changes --- */

/* glibc applies setuid() and its kin to every thread of the process, and
 * aborts the process if one thread fails; a thread that lacks the caller's
 * per-thread capabilities (setpriv, capsh) fails. So the tracer's threads
 * are not there during the call: stopped before, started again after (with
 * the new credentials). Nested and concurrent calls are counted. */
static pthread_mutex_t pause_lock = PTHREAD_MUTEX_INITIALIZER;
static int pause_depth;
static bool paused_snapshot, paused_http;

void lt_trigger_pause_threads(void)
{
    pthread_mutex_lock(&pause_lock);
    if (pause_depth++ == 0) {
        paused_snapshot = snapshot_running;
        stop_snapshot_thread();
        paused_http = lt_http_stop_thread();
    }
    pthread_mutex_unlock(&pause_lock);
}

void lt_trigger_resume_threads(void)
{
    pthread_mutex_lock(&pause_lock);
    if (pause_depth > 0 && --pause_depth == 0) {
        if (!lt_may_syscall()) {
            /* under seccomp: a thread started from here would be confined */
            atomic_store(&lt_sandbox, LT_SANDBOX_ALL);
        } else {
            if (paused_snapshot)
                lt_trigger_start_thread();
            if (paused_http)
                lt_http_start_thread();
        }
    }
    pthread_mutex_unlock(&pause_lock);
}

bool lt_trigger_step_aside_for(bool needed)
{
    if (!needed || lt_in_tracer() || atomic_load(&lt_state) != LT_READY)
        return false;
    lt_guard_enter();
    int cancel = lt_cancel_off(); /* pthread_join, under pause_lock: cancel.h */
    lt_trigger_pause_threads();
    lt_tracer_threads_wait_gone();
    lt_cancel_restore(cancel);
    lt_guard_leave();
    return true;
}

int lt_trigger_step_back_after(bool stepped, int rc)
{
    int saved = errno;
    if (stepped) {
        lt_guard_enter();
        lt_trigger_resume_threads();
        lt_guard_leave();
    }
    errno = saved;
    return rc;
}

/* A snapshot asked for just before exit is still written; one in progress is
 * finished first. The lock is kept: the process is exiting, and the snapshot
 * thread must not start another one that exit would cut short. */
static void exit_work(void)
{
    lt_snapshot_lock();
    if (take_requests())
        lt_snapshot_write();
    const char *heap_path = lt_config.at_exit ? lt_snapshot_write() : NULL;
    lt_report_at_exit(heap_path);
}

void lt_trigger_at_exit(void)
{
    static _Atomic bool done; /* exit_work keeps the snapshot lock */
    if (atomic_exchange(&done, true))
        return;
    lt_log_keep_stderr();
    atomic_store(&forked_snapshots, false); /* no copy of a process tearing down */
    if (lt_may_syscall()) {
        lt_writer_wait(); /* its files are whole once the program has exited */
        exit_work();
        return;
    }
    /* A thread under seccomp: the snapshot thread, which no filter binds,
     * does the work while this one waits (futex: a threaded program's
     * filter lets it through). */
    if (atomic_load(&lt_sandbox) != LT_SANDBOX_THREADS || !snapshot_running)
        return;
    atomic_store(&exit_handed_over, true);
    sem_post(&wake);
    if (atomic_load(&snapshot_ended))
        return;
    while (sem_wait(&exit_done) != 0 && errno == EINTR) {
    }
}

/* --- seccomp (sandbox.h) --- */

static int sandbox_before_call;

static void tell_sandbox(int scope)
{
    if (scope == LT_SANDBOX_ALL)
        lt_warn("process %d confines itself with seccomp: no snapshot is written from now on "
                "(a system call of the tracer's could get it killed)", (int)getpid());
    else
        lt_warn("process %d confines a thread with seccomp: from now on the tracer's own thread "
                "writes its snapshots, and processes it forks write none", (int)getpid());
}

/* Before the filter goes in: the tracer's threads, unconfined so far, stay
 * (the snapshot thread started now if it was wanted), or stop when the
 * filter binds them too. The lock is held until lt_trigger_after_sandbox. */
void lt_trigger_before_sandbox(int scope)
{
    pthread_mutex_lock(&pause_lock);
    sandbox_before_call = atomic_load(&lt_sandbox);
    if (scope <= sandbox_before_call)
        return;
    /* What a confined thread could not do later: open every loaded object's
     * unwind rules, learn this thread's stack bounds, end the live table's
     * solo mode (membarrier). */
    lt_cfi_open_all();
    lt_walk_learn_bounds();
    lt_live_share();
    if (scope == LT_SANDBOX_THREADS) {
        /* the exit snapshot needs the thread, signal and interval or not */
        if (!wake_ready && open_wake())
            sem_init(&exit_done, 0, 0);
        atomic_store(&forked_snapshots, false); /* a confined thread may not clone */
        lt_trigger_start_thread();
    }
    if (scope == LT_SANDBOX_ALL || !snapshot_running) {
        scope = LT_SANDBOX_ALL;
        paused_snapshot = snapshot_running;
        stop_snapshot_thread();
        paused_http = lt_http_stop_thread();
    }
    tell_sandbox(scope);
    atomic_store(&lt_sandbox, scope);
}

/* The call failed: nothing was confined, and what stopped starts again,
 * unless a thread was confined before (a TSYNC refused because another
 * thread has a filter of its own): the tracer's threads could then only
 * come back confined, and the process stays without snapshots. */
void lt_trigger_after_sandbox(bool confined)
{
    if (!confined && atomic_load(&lt_sandbox) != sandbox_before_call) {
        bool stopped = atomic_load(&lt_sandbox) == LT_SANDBOX_ALL;
        if (!stopped || sandbox_before_call == LT_SANDBOX_NONE)
            atomic_store(&lt_sandbox, sandbox_before_call);
        if (stopped && sandbox_before_call == LT_SANDBOX_NONE && pause_depth == 0) {
            if (paused_snapshot)
                lt_trigger_start_thread();
            if (paused_http)
                lt_http_start_thread();
        }
    }
    pthread_mutex_unlock(&pause_lock);
}

/* Writer processes rather than a thread: see forked_snapshots. */
static bool want_forked_snapshots(void)
{
    return atomic_load(&signal_owned) && lt_config.interval == 0 && !lt_config.http[0] &&
           __libc_single_threaded && lt_may_syscall();
}

/* --- fork --- */

/* fork() from a signal handler of the program that interrupted this very
 * thread inside the tracer: the locks the interrupted code holds would never
 * come free, so none is taken (the parent's tables carry on as they were),
 * and the child, whose tables other threads may have left half-changed, is
 * not traced. Thread-local: the three handlers of one fork run on the
 * forking thread, and glibc lets two threads' forks interleave theirs. */
static __thread bool forking_inside_tracer __attribute__((tls_model("initial-exec")));
static bool told_of_fork_inside_tracer;

static void prepare_fork(void)
{
    forking_inside_tracer = lt_in_tracer();
    if (forking_inside_tracer)
        return;
    atomic_store(&fork_pending, true);
    while (captures_in_flight())
        lt_yield();
    lt_cfi_lock(); /* no capture holds it now; a dlclose's lt_cfi_forget may */
    lt_stacks_lock();
    lt_live_lock_all();
}

static void after_fork_parent(void)
{
    if (forking_inside_tracer) {
        told_of_fork_inside_tracer = true; /* by the first such child: later ones say nothing */
        return;
    }
    lt_live_unlock_all();
    lt_stacks_unlock();
    lt_cfi_unlock();
    atomic_store(&fork_pending, false);
}

/* The child's clean-up closes the tracer's descriptors (the endpoint's,
 * libdwfl's): with the guard held, the descriptor hooks know them as ours. */
static void after_fork_child(void)
{
    if (forking_inside_tracer) {
        lt_disable_in_child();
        if (!told_of_fork_inside_tracer)
            lt_warn("process %d was forked by a signal handler that interrupted the tracer: "
                    "it and later such children are not traced", (int)getpid());
        return;
    }
    bool entered = lt_guard_enter();
    lt_live_after_fork_child();
    lt_stacks_reinit_lock(); /* error-checking: the child's thread has another id than its locker */
    lt_cfi_unlock();
    for (int i = 0; i < GATE_SHARDS; i++)
        atomic_store(&gate[i].in_flight, 0);
    atomic_store(&fork_pending, false);
    lt_stacks_reset_alloc();
    lt_retired_after_fork_child();
    /* The symbolizer (with its caches) is kept unless the parent was using
     * it when it forked: every snapshot holds the snapshot lock. Under
     * seccomp the child lets both go unreleased: closing takes a system
     * call. */
    bool confined = atomic_load(&lt_sandbox) != LT_SANDBOX_NONE;
    if (!lt_snapshot_after_fork_child() && !confined)
        lt_symbolize_forget();
    if (!confined)
        lt_http_after_fork_child();
    snapshot_running = false;
    lt_tracer_threads_forget();
    atomic_store(&leader_gone, false);
    atomic_store(&program_ended, false);
    watch_leader(); /* the child's only thread leads it */
    pause_depth = 0;
    pthread_mutex_init(&pause_lock, NULL);
    /* Forked after a seccomp filter went in: the forking thread may be
     * under it, and so would be every thread of the child. */
    if (confined)
        atomic_store(&lt_sandbox, LT_SANDBOX_ALL);
    /* The parent's thread is the parent's: make our own, now. Started by
     * the child's first hooked call instead, it never came in a child that
     * makes none (a worker waiting on a descriptor it inherited), whose
     * snapshot signal then went unanswered. */
    else if (wake_ready && open_wake()) {
        atomic_store(&forked_snapshots, lt_writer_after_fork_child(want_forked_snapshots()));
        lt_trigger_start_thread();
    }
    if (entered)
        lt_guard_leave();
}

void lt_trigger_init(void)
{
    pthread_atfork(prepare_fork, after_fork_parent, after_fork_child);
    if (gettid() == getpid())
        watch_leader();
    if (lt_config.signal == 0 && lt_config.interval == 0)
        return;
    if (!open_wake())
        return;
    sem_init(&exit_done, 0, 0);
    if (lt_config.signal)
        install_signal_handler();
    atomic_store(&forked_snapshots, want_forked_snapshots() && lt_writer_init());
}

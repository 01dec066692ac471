#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cancel.h"
#include "clock.h"
#include "config.h"
#include "fdspare.h"
#include "fdtable.h"
#include "heap.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "resolve.h"
#include "sandbox.h"
#include "stack.h"
#include "stacks.h"
#include "trigger.h"
#include "walk.h"

__thread int lt_guard_flag __attribute__((tls_model("initial-exec")));
__thread uintptr_t lt_guard_frame __attribute__((tls_model("initial-exec")));
__thread struct lt_held lt_held __attribute__((tls_model("initial-exec")));
_Atomic int lt_state = LT_UNINIT;

static _Atomic int tracer_threads;
static __thread int nice_before __attribute__((tls_model("initial-exec")));

/* The kernel ids of the tracer threads that ended last. pthread_join
 * returns once a thread has let its memory go, before the kernel takes it
 * out of the process: lt_tracer_threads_wait_gone waits for that. A ring:
 * older ones are long gone. */
#define ENDED_SLOTS 8
static _Atomic pid_t ended[ENDED_SLOTS];
static _Atomic unsigned ended_next;

void lt_become_tracer_thread(void)
{
    lt_guard_flag = LT_GUARD_TRACER;
    lt_on_tracer_thread = true;
    lt_heap_no_fast_paths_here();
    atomic_fetch_add(&tracer_threads, 1);
    /* Linux keeps a nice value per thread; raising one's own needs no
     * privilege. On failure the thread just keeps the program's priority. */
    pid_t tid = gettid();
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0) {
        nice_before = nice_now;
        setpriority(PRIO_PROCESS, (id_t)tid, nice_now + 10 > 19 ? 19 : nice_now + 10);
    }
}

void lt_disable_in_child(void)
{
    lt_heap_sampling = false; /* its fast paths skip the state check */
    atomic_store_explicit(&lt_state, LT_DISABLED, memory_order_release);
}

void lt_tracer_thread_ends(void)
{
    lt_trigger_thread_hands_back();
    /* Back to the program's nice value where allowed (lowering it needs
     * RLIMIT_NICE room or privilege): exit may run on this thread next. */
    setpriority(PRIO_PROCESS, (id_t)gettid(), nice_before);
    atomic_store(&ended[atomic_fetch_add(&ended_next, 1) % ENDED_SLOTS], gettid());
    atomic_fetch_sub(&tracer_threads, 1);
    lt_guard_leave();
}

void lt_tracer_threads_wait_gone(void)
{
    if (!lt_may_syscall())
        return; /* a filter may kill on tgkill */
    pid_t pid = getpid();
    int64_t deadline = lt_now_ms() + 100; /* a number some new thread took meanwhile */
    for (int i = 0; i < ENDED_SLOTS; i++) {
        pid_t tid = atomic_exchange(&ended[i], 0);
        while (tid && tgkill(pid, tid, 0) == 0 && lt_now_ms() < deadline)
            lt_yield();
    }
}

int lt_tracer_thread_count(void)
{
    return atomic_load(&tracer_threads);
}

void lt_tracer_threads_forget(void)
{
    atomic_store(&tracer_threads, 0);
    for (int i = 0; i < ENDED_SLOTS; i++)
        atomic_store(&ended[i], 0); /* the parent's */
}

static int init_tables(void)
{
    lt_config_load();
    lt_stack_init();
    lt_live_init(lt_config.sample != 0);
    if (!lt_stacks_init()) {
        lt_warn("cannot reserve memory for the tracer's tables; tracing is off");
        return LT_DISABLED;
    }
    lt_heap_init();
    lt_new_init();
    lt_sandbox_init();
    lt_walk_hooks_init();
    lt_jump_hooks_init();
    lt_fd_init();
    lt_log_init();
    lt_fd_spare_init();
    lt_trigger_init();
    lt_http_init();
    return LT_READY;
}

bool lt_init(void)
{
    int expected = LT_UNINIT;
    if (atomic_compare_exchange_strong(&lt_state, &expected, LT_INITIALIZING)) {
        bool entered = lt_guard_enter();
        lt_resolve_heap();
        lt_clock_init();
        /* a filter installed before the tracer started (by a library's
         * constructor) leaves it off; one inherited through exec goes
         * unseen (the library leaves LD_PRELOAD before a filter: sandbox.h) */
        bool usable = lt_real.malloc && lt_real.free && lt_may_syscall();
        int state = usable ? init_tables() : LT_DISABLED;
        atomic_store_explicit(&lt_state, state, memory_order_release);
        if (state == LT_READY)
            lt_heap_enable_fast_paths();
        if (entered)
            lt_guard_leave();
        return state == LT_READY;
    }
    /* Another thread is initializing: it takes microseconds. */
    while (atomic_load_explicit(&lt_state, memory_order_acquire) == LT_INITIALIZING)
        lt_yield();
    return atomic_load_explicit(&lt_state, memory_order_acquire) == LT_READY;
}

/* Exits that must not write a snapshot. exit() from a signal handler of
 * the program on top of the real allocator (a SIGTERM handler that interrupted a malloc or a free, the
 * program's or one the tracer made for itself): the thread may hold the
 * allocator's lock, and the snapshot's first allocation waited for it for
 * good (the process hung where untraced it exited). Told by the frames
 * under the signal frame, read once here, at no cost to the allocations.
 * The snapshot is skipped, and one line says why. */
static bool exit_snapshot_refused(void)
{
    /* exit() in a vfork child (which may only _exit or exec): it runs in its
     * parent's memory, and would write the parent's tables under its own
     * pid. Its exit also uses up the exit handlers the two share, ours and
     * the program's, so the parent's exit runs none: untraced too, the
     * program's handlers are lost. */
    if (lt_guard_flag == LT_GUARD_VFORK) {
        lt_warn("process %d, a vfork child, calls exit(): no exit snapshot, here or in its "
                "parent (their exit handlers are shared, and this exit uses them up)",
                (int)getpid());
        return true;
    }
    if (!lt_stack_interrupted_in(lt_real_allocator_at))
        return false;
    lt_warn("process %d exits from a signal handler that interrupted an allocation: "
            "no exit snapshot (it would wait for the allocator's lock)", (int)getpid());
    return true;
}

static void exit_snapshot(void)
{
    if (atomic_load(&lt_state) != LT_READY || exit_snapshot_refused())
        return;
    bool entered = lt_guard_enter();
    int cancel = lt_cancel_off(); /* the files' writes, under the snapshot lock: cancel.h */
    lt_trigger_at_exit();
    lt_cancel_restore(cancel);
    if (entered)
        lt_guard_leave();
}

/* The exit snapshot comes after every library's destructors: a block a
 * library frees in its destructor (a C++ library's static objects) is not
 * a leak. Our own destructor came too early for those of the libraries the
 * program links (they are initialized before us, so finalized after us:
 * their frees were missed, and the blocks reported live at exit). An exit
 * handler registered by our constructor, with no object of its own, runs
 * after _dl_fini, which the program's start-up registers later, and so
 * after every destructor and every handler of the program. */
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
static bool exit_handler_registered;

static void exit_snapshot_last(void *unused)
{
    (void)unused;
    exit_snapshot();
}

__attribute__((constructor)) static void lt_constructor(void)
{
    if (!lt_init())
        return;
    bool entered = lt_guard_enter();
    lt_walk_learn_bounds(); /* the main thread's: a seccomp filter could forbid it later */
    /* Here, not when the first hook starts the tracer: that hook may be
     * libunwind's own pipe2, under its lock (an allocator preloaded before
     * the tracer that unwinds its allocations, tcmalloc), and this would
     * wait for that lock: the program hung at start-up. */
    lt_stack_open_fallback();
    /* quick_exit runs no destructor, only these, the program's first: ours
     * was registered before any of theirs */
    at_quick_exit(exit_snapshot);
    exit_handler_registered = __cxa_atexit(exit_snapshot_last, NULL, NULL) == 0;
    lt_trigger_start_thread();
    lt_http_start_thread();
    if (entered)
        lt_guard_leave();
}

/* Runs from _dl_fini: the exit snapshot's place only when the handler
 * above could not be registered. */
__attribute__((destructor)) static void lt_destructor(void)
{
    if (!exit_handler_registered)
        exit_snapshot();
}

/* Per-thread reentrancy guard.
 *
 * While a thread is inside the tracer (recording an allocation, writing a
 * snapshot, symbolizing), every allocation it makes -- ours, libunwind's,
 * zlib's, libdw's -- must go straight to the real allocator, untracked.
 * The flag is initial-exec TLS: a general-dynamic access may call
 * __tls_get_addr, which can allocate, which would re-enter the hook. */
#ifndef LT_GUARD_H
#define LT_GUARD_H

#include <stdbool.h>
#include <stdint.h>

extern __thread int lt_guard_flag __attribute__((tls_model("initial-exec")));
/* The frame address of the hook that set LT_GUARD_HOOK (hooks_jump.c). */
extern __thread uintptr_t lt_guard_frame __attribute__((tls_model("initial-exec")));
/* The tracer's locks the thread holds now, so that a jump out of a hook
 * (hooks_jump.c) can let go of them: the stack table's insert lock, the
 * capture gate, the rule reader's lock. (A live-table stripe's lock holds
 * the address of the thread's lt_held: live.c finds it by that.) */
struct lt_held {
    bool insert_lock, gate, rule_lock;
};
extern __thread struct lt_held lt_held __attribute__((tls_model("initial-exec")));

#define LT_EXPORT __attribute__((visibility("default")))
#define lt_likely(x) __builtin_expect(!!(x), 1)
#define lt_unlikely(x) __builtin_expect(!!(x), 0)
/* The per-allocation path (hooks, walk, intern, live table): placed
 * together in .text.hot, so that its few kilobytes share instruction-cache
 * lines and pages instead of lying among cold code. Placement only: the
 * `hot` attribute would also change how they are compiled (the walk's
 * loop took 4% more instructions). */
#define LT_HOT __attribute__((section(".text.hot.leaktrace")))

/* The flag's two values. A hook's bookkeeping on a program thread holds
 * LT_GUARD_HOOK: a signal handler of the program may run on top of it, and
 * its calls are the program's, only not recorded. The tracer proper (its
 * threads, start-up, exit, the fork handlers) holds LT_GUARD_TRACER: the
 * descriptors it makes are its own (see fdtable.c). A vfork child holds
 * LT_GUARD_VFORK until exec: it must not touch its parent's tables. A thread
 * in seccomp's strict mode holds LT_GUARD_STRICT for good: only read,
 * write, exit and sigreturn are left to it, not even the mmap that growing
 * a table takes. */
enum { LT_GUARD_HOOK = 1, LT_GUARD_TRACER = 2, LT_GUARD_VFORK = 3, LT_GUARD_STRICT = 4 };

static inline bool lt_in_tracer(void) { return lt_guard_flag != 0; }
static inline bool lt_in_tracer_proper(void) { return lt_guard_flag == LT_GUARD_TRACER; }

/* Returns false when the thread is already inside the tracer. */
static inline bool lt_guard_enter(void)
{
    if (lt_guard_flag)
        return false;
    lt_guard_flag = LT_GUARD_TRACER;
    return true;
}

static inline void lt_guard_leave(void) { lt_guard_flag = 0; }

/* First call of each of the tracer's own threads (snapshot, HTTP): all it
 * does is the tracer's, and it runs 10 nice levels below the thread that
 * started it, so that the program's threads win the cores while it writes a
 * profile (on 2 busy cores a snapshot otherwise preempts them for a whole
 * time slice). */
void lt_become_tracer_thread(void);
/* Last call of a tracer thread before it returns: the guard is left (if
 * it is the process's last thread, glibc runs exit() on it next). */
void lt_tracer_thread_ends(void);
/* How many tracer threads are running; a fork child has none. */
int lt_tracer_thread_count(void);
void lt_tracer_threads_forget(void);
/* After stopping them: returns once the kernel no longer counts the
 * tracer's ended threads in the process (100 ms at most). */
void lt_tracer_threads_wait_gone(void);

#endif

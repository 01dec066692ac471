/* The live table's stripe locks, and solo mode, which does without them.
 *
 * A stripe's lock is a word taken with one compare-and-swap: it is held
 * for a probe and a store, and uncontended a pthread mutex costs three
 * times the instructions (callgrind: about 57 a lock and unlock, 20 here).
 * Its value is the holder's mark (lt_lock_token), so that the locks a jump
 * abandoned (hooks_jump.c) are found by their owner and let go only by
 * their holder.
 *
 * Solo mode: while one thread alone has used the table (perl, python3,
 * bash, git, a single-threaded server: the tracer's own threads never do),
 * it enters stripes without their locks. perf put a third of an insert's
 * samples and a quarter of a remove's on the locked compare-and-swap (it
 * waits for the core's store buffer to drain; the table's cache misses wait
 * for it); without it perl took 1.6% less CPU time (paired runs): the
 * misses hid most of what the lock cost. The solo thread marks itself
 * busy, then checks that it is still the solo thread: Dekker's exclusion,
 * with the full barrier that the check needs after the mark paid by the
 * other side, once. The first other thread to want the table ends solo
 * mode for good: it says so (LT_SOLO_SWITCHING), has the kernel put a full
 * barrier on every thread of the process (membarrier; after it, the solo
 * thread's busy mark is seen or its check sees the switch), waits until
 * the solo thread is not busy, and from then on (LT_SOLO_SHARED) every
 * thread takes the stripes' locks. The asymmetric fence of userspace RCU
 * and folly's asymmetric locks. A thread that may not make system calls
 * (seccomp) never starts solo mode, and a filter's installation ends it
 * first (lt_live_share). */
#ifndef LT_LIVE_LOCK_H
#define LT_LIVE_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "guard.h"

struct lt_stripe_lock {
    _Atomic uintptr_t owner; /* 0: free; else the holder's lt_lock_token() */
};

#define LT_SOLO_UNCLAIMED 0
#define LT_SOLO_SWITCHING 1
#define LT_SOLO_SHARED 2 /* any other value: the solo thread's lt_lock_token() */

/* A line of its own: read on every insert and remove. */
extern struct lt_solo {
    _Atomic uintptr_t owner;
    _Atomic uintptr_t busy; /* the solo thread's token while it is inside; written by it only */
    char line_end[64 - 2 * sizeof(uintptr_t)];
} lt_solo __attribute__((aligned(64), visibility("hidden"))); /* addressed directly */

/* How a hook entered a stripe, and so how it leaves. */
enum lt_entry_mode { LT_ENTERED_LOCKED, LT_ENTERED_ALONE, LT_NOT_ENTERED };

/* The running thread's mark: the address of its lt_held, unique among
 * live threads. */
static inline uintptr_t lt_lock_token(void)
{
    return (uintptr_t)&lt_held;
}

static inline bool lt_stripe_try_lock(struct lt_stripe_lock *l, uintptr_t me)
{
    uintptr_t free_ = 0;
    return atomic_compare_exchange_strong_explicit(&l->owner, &free_, me, memory_order_acquire,
                                                   memory_order_relaxed);
}

void lt_stripe_lock_contended(struct lt_stripe_lock *l, uintptr_t me);

static inline void lt_stripe_lock(struct lt_stripe_lock *l)
{
    if (__builtin_expect(!lt_stripe_try_lock(l, lt_lock_token()), 0))
        lt_stripe_lock_contended(l, lt_lock_token());
}

static inline void lt_stripe_unlock(struct lt_stripe_lock *l)
{
    atomic_store_explicit(&l->owner, 0, memory_order_release);
}

/* The hot paths' entry: alone (the solo thread), with the stripe's lock
 * taken at once, or not entered (a thread to settle, a lock another thread
 * holds: lt_stripe_enter_slowly). */
static inline enum lt_entry_mode lt_stripe_enter(struct lt_stripe_lock *l)
{
    uintptr_t me = lt_lock_token();
    uintptr_t owner = atomic_load_explicit(&lt_solo.owner, memory_order_acquire);
    if (__builtin_expect(owner == me, 1)) {
        atomic_store_explicit(&lt_solo.busy, me, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst); /* the switcher's membarrier is the fence */
        if (__builtin_expect(atomic_load_explicit(&lt_solo.owner, memory_order_relaxed) == me, 1))
            return LT_ENTERED_ALONE;
        atomic_store_explicit(&lt_solo.busy, 0, memory_order_release);
        return LT_NOT_ENTERED;
    }
    return owner == LT_SOLO_SHARED && lt_stripe_try_lock(l, me) ? LT_ENTERED_LOCKED
                                                                 : LT_NOT_ENTERED;
}

/* Waits as long as it takes: never LT_NOT_ENTERED. */
enum lt_entry_mode lt_stripe_enter_slowly(struct lt_stripe_lock *l);

static inline void lt_stripe_leave(struct lt_stripe_lock *l, enum lt_entry_mode how)
{
    if (how == LT_ENTERED_ALONE)
        atomic_store_explicit(&lt_solo.busy, 0, memory_order_release);
    else
        lt_stripe_unlock(l);
}

/* Registers for membarrier, at start-up and in a fork child, which must
 * have a single thread then: registering costs 3 us, but 13 ms (an RCU
 * grace period) once a process has two threads. */
void lt_solo_prepare(bool single_threaded);

/* Returns once solo mode is settled for this thread: it is the solo
 * thread, or every thread locks (fork's prepare, before taking every lock:
 * another solo thread could change the table meanwhile). */
void lt_solo_settle(void);

/* The fork child's one thread claims solo mode again. */
void lt_solo_reset(void);

/* A jump out of a hook: the busy mark, if the thread left it. */
void lt_solo_release_abandoned(void);

#endif

/* The live table's stripe locks' slow paths, and solo mode's claims and
 * switches (live_lock.h). */
#define _GNU_SOURCE
#include "live_lock.h"

#include "live.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

struct lt_solo lt_solo;

/* Whether the kernel will give a switch its barrier: the process registered
 * for membarrier while it had a single thread. */
static bool solo_possible;

/* A waiter spins a little (the holder is running: it is done within a
 * microsecond), then yields, then sleeps: a real-time thread yields only to
 * its peers, and must not spin forever over a holder preempted on its own
 * core. */
static void wait_a_little(unsigned spins)
{
    if (spins < 64 || !lt_may_syscall()) { /* under seccomp: spin only */
        lt_cpu_relax();
    } else if (spins < 80) {
        sched_yield();
    } else {
        struct timespec pause = {0, 10 * 1000};
        nanosleep(&pause, NULL);
    }
}

__attribute__((noinline, cold)) void lt_stripe_lock_contended(struct lt_stripe_lock *l,
                                                              uintptr_t me)
{
    unsigned spins = 0;
    do {
        while (atomic_load_explicit(&l->owner, memory_order_relaxed))
            wait_a_little(spins++);
    } while (!lt_stripe_try_lock(l, me));
}

static bool membarrier_cmd(int cmd)
{
    return syscall(SYS_membarrier, cmd, 0, 0) == 0;
}

void lt_solo_prepare(bool single_threaded)
{
    solo_possible = single_threaded && lt_may_syscall() &&
                    membarrier_cmd(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

/* From unclaimed: this thread becomes the solo thread if a later switch can
 * have its barrier; else every thread locks. */
static void solo_claim(uintptr_t me)
{
    uintptr_t unclaimed = LT_SOLO_UNCLAIMED;
    atomic_compare_exchange_strong(&lt_solo.owner, &unclaimed,
                                   solo_possible ? me : LT_SOLO_SHARED);
}

/* Ends the solo mode of owner (a thread, or no one yet). */
static void solo_end(uintptr_t owner)
{
    if (owner == LT_SOLO_UNCLAIMED) { /* no one is inside alone: nothing to wait for */
        atomic_compare_exchange_strong(&lt_solo.owner, &owner, LT_SOLO_SHARED);
        return;
    }
    if (!atomic_compare_exchange_strong(&lt_solo.owner, &owner, LT_SOLO_SWITCHING))
        return;
    if (!lt_may_syscall() || !membarrier_cmd(MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
        /* cannot be (registered before the claim, shared before any
         * seccomp filter): a store leaves a store buffer within
         * microseconds */
        for (unsigned i = 0; i < 100000; i++)
            lt_cpu_relax();
    }
    unsigned spins = 0;
    while (atomic_load_explicit(&lt_solo.busy, memory_order_acquire) != 0)
        wait_a_little(spins++);
    atomic_store_explicit(&lt_solo.owner, LT_SOLO_SHARED, memory_order_release);
}

/* Until this thread is the solo thread or every thread locks; for good:
 * until every thread locks (solo mode ended, whoever had it). */
static void solo_drive(bool for_good)
{
    uintptr_t me = lt_lock_token();
    unsigned spins = 0;
    for (;;) {
        uintptr_t owner = atomic_load_explicit(&lt_solo.owner, memory_order_acquire);
        if (owner == LT_SOLO_SHARED || (owner == me && !for_good))
            return;
        if (owner == LT_SOLO_SWITCHING)
            wait_a_little(spins++);
        else if (owner == LT_SOLO_UNCLAIMED && !for_good)
            solo_claim(me);
        else
            solo_end(owner);
    }
}

void lt_solo_settle(void)
{
    solo_drive(false);
}

__attribute__((noinline, cold)) enum lt_entry_mode lt_stripe_enter_slowly(struct lt_stripe_lock *l)
{
    for (;;) {
        lt_solo_settle();
        enum lt_entry_mode how = lt_stripe_enter(l);
        if (how != LT_NOT_ENTERED)
            return how;
        if (atomic_load_explicit(&lt_solo.owner, memory_order_acquire) == LT_SOLO_SHARED) {
            lt_stripe_lock_contended(l, lt_lock_token());
            return LT_ENTERED_LOCKED;
        }
    }
}

void lt_live_share(void)
{
    solo_drive(true);
}

void lt_solo_reset(void)
{
    lt_solo_prepare(true);
    atomic_store_explicit(&lt_solo.busy, 0, memory_order_relaxed);
    atomic_store_explicit(&lt_solo.owner, LT_SOLO_UNCLAIMED, memory_order_release);
}

void lt_solo_release_abandoned(void)
{
    if (atomic_load_explicit(&lt_solo.busy, memory_order_relaxed) == lt_lock_token())
        atomic_store_explicit(&lt_solo.busy, 0, memory_order_release); /* solo, or being ended */
}

/* A small per-thread number, handed out round-robin at a thread's first
 * use: it picks which shard of a contended counter the thread updates, so
 * that threads on different cores rarely write the same cache line. */
#ifndef LT_THREAD_SLOT_H
#define LT_THREAD_SLOT_H

#include <stdatomic.h>

extern _Atomic unsigned lt_thread_slot_next;
extern __thread unsigned lt_thread_slot_plus_one __attribute__((tls_model("initial-exec")));

static inline unsigned lt_thread_slot(void)
{
    if (__builtin_expect(lt_thread_slot_plus_one == 0, 0))
        lt_thread_slot_plus_one = atomic_fetch_add(&lt_thread_slot_next, 1) + 1;
    return lt_thread_slot_plus_one - 1;
}

#endif

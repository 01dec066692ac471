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

extern __thread int lt_guard_flag __attribute__((tls_model("initial-exec")));

#define LT_EXPORT __attribute__((visibility("default")))
#define lt_likely(x) __builtin_expect(!!(x), 1)
#define lt_unlikely(x) __builtin_expect(!!(x), 0)

static inline bool lt_in_tracer(void) { return lt_guard_flag != 0; }

/* Returns false when the thread is already inside the tracer. */
static inline bool lt_guard_enter(void)
{
    if (lt_guard_flag)
        return false;
    lt_guard_flag = 1;
    return true;
}

static inline void lt_guard_leave(void) { lt_guard_flag = 0; }

#endif

/* Tracer lifecycle: lazy initialization on the first hook call (which can
 * come before our constructor, from another library's), the entry test every
 * hook makes, and the constructor/destructor. */
#ifndef LT_INIT_H
#define LT_INIT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "guard.h"

enum lt_state { LT_UNINIT, LT_INITIALIZING, LT_READY, LT_DISABLED };

extern _Atomic int lt_state;

/* Initializes once; returns true when the tracer is ready. */
bool lt_init(void);
/* In a fork child whose tables cannot be trusted: every hook passes
 * straight through from now on, and no exit snapshot is written. */
void lt_disable_in_child(void);

/* Every hook's entry: true means "track this call"; the guard is then held
 * and lt_hook_leave() must follow. False means "pass straight through": the
 * thread is already inside the tracer, or the tracer is not (yet) usable. */
static inline bool lt_hook_enter(void)
{
    if (lt_in_tracer())
        return false;
    if (lt_unlikely(atomic_load_explicit(&lt_state, memory_order_acquire) != LT_READY) &&
        !lt_init())
        return false;
    lt_guard_flag = LT_GUARD_HOOK;
    lt_guard_frame = (uintptr_t)__builtin_frame_address(0);
    return true;
}

static inline void lt_hook_leave(void) { lt_guard_leave(); }

#endif

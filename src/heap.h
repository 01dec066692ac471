/* Heap bookkeeping behind the hooks: capture, intern, live table, counters.
 * Every function here runs with the guard held. */
#ifndef LT_HEAP_H
#define LT_HEAP_H

#include <stdbool.h>
#include <stddef.h>

#include "live.h"

#include <stdint.h>

void lt_heap_init(void);

/* hooks_new.c, at start-up: which allocator operator new and delete pair
 * with (the program's; one warning line when it is not ours: resolve.h), and
 * which base forms of them the program replaced with its own (its other
 * forms then go to libstdc++, which forwards to the replacement). */
void lt_new_init(void);

/* Sampling mode: most calls are not sampled, and need neither the guard nor
 * a lock. lt_heap_sampling is set once the tracer is ready. */
extern bool lt_heap_sampling;
extern __thread int64_t lt_bytes_to_next_sample __attribute__((tls_model("initial-exec")));

/* The tracer's own threads never take the fast paths: their allocations go
 * through the guarded ones to resolve.c's lt_raw_*, which maps the large
 * blocks itself (large.h) instead of leaving them to the real allocator. */
static inline void lt_heap_no_fast_paths_here(void) { lt_bytes_to_next_sample = INT64_MIN; }

/* Called when the tracer is ready: the fast paths may be taken from then on. */
void lt_heap_enable_fast_paths(void);

/* True when an allocation of n bytes is certainly not sampled (and counts it
 * against the thread's distance to the next sample, as the slow path would). */
static inline bool lt_heap_unsampled(size_t n)
{
    if (!lt_heap_sampling || lt_bytes_to_next_sample <= (int64_t)n)
        return false;
    lt_bytes_to_next_sample -= (int64_t)n;
    return true;
}

/* A block of `size` requested bytes was just allocated at p, by a call of
 * the program into the function whose frame address is hook_frame (its
 * __builtin_frame_address(0), where the stack walk starts; NULL: here). */
void lt_heap_track(void *p, size_t size, const void *hook_frame);
/* p is about to be freed (call before the real free). */
void lt_heap_untrack(void *p);

/* realloc: take p out of the table without counting a free yet ... */
bool lt_heap_detach(void *p, struct lt_live_rec *rec);
/* ... then either put it back (the real realloc failed) ... */
void lt_heap_reattach(void *p, struct lt_live_rec rec);
/* ... or count it freed (the real realloc succeeded). */
void lt_heap_release(struct lt_live_rec rec);

#endif

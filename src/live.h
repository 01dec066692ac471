/* The live table: every tracked block, pointer -> (size, stack id).
 * Lock-striped open addressing, 16 bytes an entry; no lock taken while a
 * single thread uses it. */
#ifndef LT_LIVE_H
#define LT_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LT_LIVE_SIZE_BITS 40 /* sizes above 1 TiB are recorded as 1 TiB - 1 */
#define LT_LIVE_STACK_BITS 24

struct lt_live_rec {
    size_t size;
    uint32_t stack;
};

/* sampled: most blocks are not in the table (LEAKTRACE_SAMPLE): put a
 * lock-free filter in front of lookups. */
void lt_live_init(bool sampled);
enum lt_live_result {
    LT_LIVE_ADDED,
    LT_LIVE_REPLACED, /* p was already there (freed behind our back): *stale is set */
    LT_LIVE_FULL,     /* the table cannot grow: the block goes untracked */
};
enum lt_live_result lt_live_insert(const void *p, struct lt_live_rec rec,
                                   struct lt_live_rec *stale);
/* Removes p; false when it was not tracked. */
bool lt_live_remove(const void *p, struct lt_live_rec *out);

/* Sampling mode's filter (all zero and unused otherwise), exposed for the
 * free hook's lock-free fast path: a zero counter means no tracked block
 * starts in that granule. Indexed by address, not by hash: blocks allocated
 * together lie together, so a program's frees read a few of its cache lines
 * (a hashed index missed the L1 cache on 42% of the storm's frees). 256-byte
 * granules: 16 MiB of heap before two granules share a counter. */
#define LT_LIVE_FILTER_BITS 16
#define LT_LIVE_FILTER_GRANULE_BITS 8
extern _Atomic uint8_t lt_live_filter[1u << LT_LIVE_FILTER_BITS];

static inline uint64_t lt_live_hash(uintptr_t p)
{
    return (uint64_t)(p >> 4) * 0x9E3779B97F4A7C15ull;
}

static inline _Atomic uint8_t *lt_live_filter_slot(const void *p)
{
    uintptr_t granule = (uintptr_t)p >> LT_LIVE_FILTER_GRANULE_BITS;
    return &lt_live_filter[granule & ((1u << LT_LIVE_FILTER_BITS) - 1)];
}

static inline bool lt_live_may_hold(const void *p)
{
    return atomic_load_explicit(lt_live_filter_slot(p), memory_order_relaxed) != 0;
}

/* A block of the tracer's own that the free hook must not pass to the real
 * free on the fast path (large.c's, mapped by the tracer): counted in the
 * filter as a tracked one is, until unmarked. No-ops in exact mode. */
void lt_live_filter_mark(const void *p);
void lt_live_filter_unmark(const void *p);
/* Marks every granule of [p, p + n), for good (the bootstrap arena's). */
void lt_live_filter_mark_range(const void *p, size_t n);

/* A jump out of a hook (hooks_jump.c) abandoned an operation on the table:
 * lets go of the stripe lock the thread holds, if any. */
void lt_live_release_abandoned(void);

/* fork: take every stripe in prepare, release in the parent, reset in the
 * child. */
void lt_live_lock_all(void);
void lt_live_unlock_all(void);
void lt_live_after_fork_child(void);

/* The writer process (writer.c) never reads the table: with `out`, its
 * mapped tables are marked to stay out of a copy of the process made by
 * clone or fork (MADV_DONTFORK), until called again without. Only while
 * no other thread can change the table: the writer's clone of a
 * single-threaded program, in its signal handler. */
void lt_live_leave_out_of_copies(bool out);

/* Ends solo mode (live.c) for good: before a seccomp filter, which may
 * forbid the system call that ending it later takes. */
void lt_live_share(void);

#endif

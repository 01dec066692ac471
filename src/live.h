/* The live table: every tracked block, pointer -> (size, stack id).
 * Lock-striped open addressing, 16 bytes an entry. */
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
bool lt_live_init(bool sampled);
enum lt_live_result {
    LT_LIVE_ADDED,
    LT_LIVE_REPLACED, /* p was already there (freed behind our back): *stale is set */
    LT_LIVE_FULL,     /* the table cannot grow: the block goes untracked */
};
enum lt_live_result lt_live_insert(const void *p, struct lt_live_rec rec,
                                   struct lt_live_rec *stale);
/* Removes p; false when it was not tracked. */
bool lt_live_remove(const void *p, struct lt_live_rec *out);

/* Sampling mode's filter (NULL otherwise), exposed for the free hook's
 * lock-free fast path: false means p was certainly never tracked. */
extern _Atomic uint8_t *lt_live_filter;
#define LT_LIVE_FILTER_BITS 16

static inline uint64_t lt_live_hash(uintptr_t p)
{
    return (uint64_t)(p >> 4) * 0x9E3779B97F4A7C15ull;
}

static inline _Atomic uint8_t *lt_live_filter_slot(uint64_t h)
{
    return &lt_live_filter[(h >> 20) & ((1u << LT_LIVE_FILTER_BITS) - 1)];
}

static inline bool lt_live_may_hold(const void *p)
{
    return atomic_load_explicit(lt_live_filter_slot(lt_live_hash((uintptr_t)p)),
                                memory_order_relaxed) != 0;
}

size_t lt_live_count(void);
size_t lt_live_memory(void); /* bytes the table occupies */

/* fork: take every stripe in prepare, release in parent, re-create in child. */
void lt_live_lock_all(void);
void lt_live_unlock_all(void);
void lt_live_reinit_locks(void);

#endif

/* The live table: every tracked block, pointer -> (size, stack id).
 * Lock-striped open addressing, 16 bytes an entry. */
#ifndef LT_LIVE_H
#define LT_LIVE_H

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

size_t lt_live_count(void);
size_t lt_live_memory(void); /* bytes the table occupies */

/* fork: take every stripe in prepare, release in parent, re-create in child. */
void lt_live_lock_all(void);
void lt_live_unlock_all(void);
void lt_live_reinit_locks(void);

#endif

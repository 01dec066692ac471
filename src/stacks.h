/* The stack table: each distinct (call stack, tag) interned once, with the
 * counters a profile reads. A snapshot walks this table, never the live
 * allocations, so its cost is O(distinct stacks). */
#ifndef LT_STACKS_H
#define LT_STACKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thread_slot.h"

/* A tag separates what the counters count: heap bytes, or descriptors of
 * one kind. */
enum lt_tag {
    LT_TAG_HEAP = 0,
    LT_TAG_FD_FIRST = 1, /* LT_TAG_FD_FIRST + enum lt_fd_kind */
    LT_TAG_COUNT = 16,
};

/* Object counts are fixed point so that sampled allocations can carry a
 * fractional weight; exact mode adds LT_OBJ_ONE per object. */
#define LT_OBJ_ONE 65536

/* Counters are sharded: two threads allocating from the same stack on two
 * cores would otherwise fight over one cache line on every malloc and free.
 * lt_stack_add picks the shard by thread slot; the heap hooks' updates
 * (lt_stack_add_hooked) by the shard their thread owns. A reader sums the
 * shards. */
#define LT_COUNTER_SHARDS 4

/* Allocated and freed since start: a malloc adds to two counters and a free
 * to two (live = allocated - freed), where counting live ones directly
 * would cost a malloc four atomic additions. */
struct lt_stack_counters {
    _Atomic int64_t alloc_objects, alloc_bytes;
    _Atomic int64_t freed_objects, freed_bytes;
} __attribute__((aligned(64)));

struct lt_stack {
    uint64_t hash;
    const uintptr_t *frames;
    uint16_t depth;
    uint8_t tag;
    uint32_t generation; /* libraries unloaded before it was first seen (retired.h) */
    uint64_t alloc_objects_base, alloc_bytes_base; /* allocated before a fork (in the child) */
    struct lt_stack_counters shard[LT_COUNTER_SHARDS];
} __attribute__((aligned(64)));

/* A stack's counters summed over the shards. */
struct lt_stack_totals {
    int64_t alloc_objects, alloc_bytes, inuse_objects, inuse_bytes;
};

/* Reserves the table's address space; false if the kernel refuses. */
bool lt_stacks_init(void);

/* Returns the id (>= 1) of the stack, whose frames hash to frames_hash
 * (lt_stack_capture's); when the table is full, the id of a catch-all stack
 * with no frames for that tag. Lock-free when the stack is known; a new
 * stack takes the table's insert lock. */
uint32_t lt_stacks_intern(const uintptr_t *frames, int depth, uint64_t frames_hash,
                          unsigned tag);

static inline struct lt_stack *lt_stacks_get(uint32_t id);

/* Number of ids in use: valid ids are 1..lt_stacks_count(). */
uint32_t lt_stacks_count(void);

/* Counter updates. A free's are release operations so that a reader that
 * sees a free also sees the allocation it undoes (lt_stack_read). An owned
 * shard (below) is written by its thread alone: a plain load and store,
 * where a locked addition costs some 20 cycles. */
static inline void counter_add(_Atomic int64_t *c, int64_t v, bool owned, memory_order order)
{
    if (owned) /* the sum modulo 2^64, as an atomic addition's */
        atomic_store_explicit(
            c, (int64_t)((uint64_t)atomic_load_explicit(c, memory_order_relaxed) + (uint64_t)v),
            order);
    else
        atomic_fetch_add_explicit(c, v, order);
}

static inline void count_alloc(struct lt_stack_counters *c, bool owned, int64_t objects,
                               int64_t bytes)
{
    counter_add(&c->alloc_objects, objects, owned, memory_order_relaxed);
    counter_add(&c->alloc_bytes, bytes, owned, memory_order_relaxed);
}

static inline void count_freed(struct lt_stack_counters *c, bool owned, int64_t objects,
                               int64_t bytes)
{
    counter_add(&c->freed_objects, objects, owned, memory_order_release);
    counter_add(&c->freed_bytes, bytes, owned, memory_order_release);
}

static inline struct lt_stack_counters *slot_counters(struct lt_stack *s)
{
    return &s->shard[lt_thread_slot() % LT_COUNTER_SHARDS];
}

static inline void lt_stack_add(struct lt_stack *s, int64_t objects, int64_t bytes)
{
    count_alloc(slot_counters(s), false, objects, bytes);
}

static inline void lt_stack_sub(struct lt_stack *s, int64_t objects, int64_t bytes)
{
    count_freed(slot_counters(s), false, objects, bytes);
}

/* The same, for a hook's bookkeeping under the guard (the heap hooks'),
 * where no other update of the thread's can come in between (a signal
 * handler's allocations go untracked meanwhile). The first
 * LT_COUNTER_SHARDS - 1 threads to count this way each own a shard, which
 * only they write (four locked additions a malloc+free saved). Later
 * threads share the last shard, adding atomically. An owned shard stays its
 * thread's: threads that come and go share the last one. */
extern __thread unsigned lt_owned_shard_plus_one __attribute__((tls_model("initial-exec")));
unsigned lt_take_shard(void); /* returns the thread's shard + 1 */

static inline struct lt_stack_counters *hooked_counters(struct lt_stack *s, bool *owned)
{
    unsigned plus_one = lt_owned_shard_plus_one;
    if (__builtin_expect(plus_one == 0, 0))
        plus_one = lt_take_shard();
    *owned = plus_one < LT_COUNTER_SHARDS;
    return &s->shard[plus_one - 1];
}

static inline void lt_stack_add_hooked(struct lt_stack *s, int64_t objects, int64_t bytes)
{
    bool owned;
    struct lt_stack_counters *c = hooked_counters(s, &owned);
    count_alloc(c, owned, objects, bytes);
}

static inline void lt_stack_sub_hooked(struct lt_stack *s, int64_t objects, int64_t bytes)
{
    bool owned;
    struct lt_stack_counters *c = hooked_counters(s, &owned);
    count_freed(c, owned, objects, bytes);
}

/* Frees are read first, then allocations: a free counted here has its
 * allocation counted too, so live counts never go below zero. Sums and
 * differences are taken modulo 2^64 (atomic additions wrap): live counts
 * stay right even after the running totals wrap, which a stack allocating
 * ten million objects a second (65536 a count in fixed point) does in
 * about five months. */
static inline struct lt_stack_totals lt_stack_read(const struct lt_stack *s)
{
    uint64_t freed_objects = 0, freed_bytes = 0, alloc_objects = 0, alloc_bytes = 0;
    for (int i = 0; i < LT_COUNTER_SHARDS; i++) {
        freed_objects += (uint64_t)atomic_load_explicit(&s->shard[i].freed_objects,
                                                        memory_order_acquire);
        freed_bytes += (uint64_t)atomic_load_explicit(&s->shard[i].freed_bytes,
                                                      memory_order_acquire);
    }
    for (int i = 0; i < LT_COUNTER_SHARDS; i++) {
        alloc_objects += (uint64_t)atomic_load_explicit(&s->shard[i].alloc_objects,
                                                        memory_order_relaxed);
        alloc_bytes += (uint64_t)atomic_load_explicit(&s->shard[i].alloc_bytes,
                                                      memory_order_relaxed);
    }
    return (struct lt_stack_totals){
        (int64_t)(alloc_objects - s->alloc_objects_base),
        (int64_t)(alloc_bytes - s->alloc_bytes_base),
        (int64_t)(alloc_objects - freed_objects), (int64_t)(alloc_bytes - freed_bytes)};
}

/* In a forked child: alloc_* restart from zero, inuse_* are inherited
 * (call while the child has one thread). */
void lt_stacks_reset_alloc(void);

/* Bytes the table occupies (for the memory figures). */
size_t lt_stacks_memory(void);

/* A jump out of a hook (hooks_jump.c) abandoned an insert
 * (lt_held.insert_lock): lets go of its lock. */
void lt_stacks_release_abandoned(void);

void lt_stacks_lock(void);
void lt_stacks_unlock(void);
void lt_stacks_reinit_lock(void);

extern struct lt_stack *lt_stacks_records;
static inline struct lt_stack *lt_stacks_get(uint32_t id) { return &lt_stacks_records[id]; }

#endif

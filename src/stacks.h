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

/* A fixed-point count as whole objects, to the nearest. */
static inline int64_t lt_whole_objects(int64_t fixed)
{
    return (fixed + LT_OBJ_ONE / 2) / LT_OBJ_ONE;
}

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
};

/* A stack's record: what interning compares, and what a profile prints.
 * Its counters live apart, shard by shard (lt_stack_counters_of). Its
 * frames, innermost first, are in two runs of the frame arena: its own
 * `own` frames, then a tail it shares with a stack interned before it (the
 * same outer frames: main, an event loop, a request handler), depth - own
 * frames at the end of that stack's runs. Read them with lt_stack_frame. */
struct lt_stack {
    uint64_t hash;
    uint32_t own_at, tail_at; /* arena offsets of the two runs */
    uint16_t depth, own;
    uint8_t tag;
    uint32_t generation; /* libraries unloaded before it was first seen (retired.h) */
};

/* A stack's counters summed over the shards. */
struct lt_stack_totals {
    int64_t alloc_objects, alloc_bytes, inuse_objects, inuse_bytes;
};

/* In a forked child, what its stacks had allocated before the fork: its
 * alloc_* start from zero (lt_stacks_reset_alloc). */
struct lt_stack_alloc_base {
    uint64_t objects, bytes;
};

#define LT_MAX_STACKS (1u << 19) /* ids are below it */

/* Reserved address space, indexed by id: pages cost memory once touched. */
extern struct lt_stack *lt_stacks_records;
extern struct lt_stack_counters *lt_stacks_counters; /* LT_COUNTER_SHARDS arrays */
extern struct lt_stack_alloc_base *lt_stacks_alloc_bases; /* touched in fork children only */

static inline struct lt_stack *lt_stacks_get(uint32_t id) { return &lt_stacks_records[id]; }

extern uintptr_t *lt_stacks_frame_arena;

/* Frame i (< s->depth) of a stack, innermost first. */
static inline uintptr_t lt_stack_frame(const struct lt_stack *s, unsigned i)
{
    return lt_stacks_frame_arena[i < s->own ? s->own_at + i : s->tail_at + (i - s->own)];
}

/* The counters of stack id in one shard. Each shard is an array of its own
 * (shard-major), not a part of the record: a record carrying its four
 * shards, each on a cache line of its own, took 320 bytes a stack, where a
 * single-threaded program now touches 64 (the record and its one shard's
 * counters), one using every shard 160. Two stacks' counters share a line,
 * which only the threads of that shard write. */
static inline struct lt_stack_counters *lt_stack_counters_of(uint32_t id, unsigned shard)
{
    return &lt_stacks_counters[(size_t)shard * LT_MAX_STACKS + id];
}

/* Reserves the table's address space; false if the kernel refuses. */
bool lt_stacks_init(void);

/* Returns the id (>= 1) of the stack, whose frames hash to frames_hash
 * (lt_stack_capture's); when the table is full, the id of a catch-all stack
 * with no frames for that tag. Lock-free when the stack is known; a new
 * stack takes the table's insert lock. */
uint32_t lt_stacks_intern(const uintptr_t *frames, int depth, uint64_t frames_hash,
                          unsigned tag);

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

static inline struct lt_stack_counters *slot_counters(uint32_t id)
{
    return lt_stack_counters_of(id, lt_thread_slot() % LT_COUNTER_SHARDS);
}

static inline void lt_stack_add(uint32_t id, int64_t objects, int64_t bytes)
{
    count_alloc(slot_counters(id), false, objects, bytes);
}

static inline void lt_stack_sub(uint32_t id, int64_t objects, int64_t bytes)
{
    count_freed(slot_counters(id), false, objects, bytes);
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

static inline struct lt_stack_counters *hooked_counters(uint32_t id, bool *owned)
{
    unsigned plus_one = lt_owned_shard_plus_one;
    if (__builtin_expect(plus_one == 0, 0))
        plus_one = lt_take_shard();
    *owned = plus_one < LT_COUNTER_SHARDS;
    return lt_stack_counters_of(id, plus_one - 1);
}

static inline void lt_stack_add_hooked(uint32_t id, int64_t objects, int64_t bytes)
{
    bool owned;
    struct lt_stack_counters *c = hooked_counters(id, &owned);
    count_alloc(c, owned, objects, bytes);
}

static inline void lt_stack_sub_hooked(uint32_t id, int64_t objects, int64_t bytes)
{
    bool owned;
    struct lt_stack_counters *c = hooked_counters(id, &owned);
    count_freed(c, owned, objects, bytes);
}

/* Frees are read first, then allocations: a free counted here has its
 * allocation counted too, so live counts never go below zero. Sums and
 * differences are taken modulo 2^64 (atomic additions wrap): live counts
 * stay right even after the running totals wrap, which a stack allocating
 * ten million objects a second (65536 a count in fixed point) does in
 * about five months. */
static inline struct lt_stack_totals lt_stack_read(uint32_t id)
{
    uint64_t freed_objects = 0, freed_bytes = 0, alloc_objects = 0, alloc_bytes = 0;
    for (unsigned i = 0; i < LT_COUNTER_SHARDS; i++) {
        const struct lt_stack_counters *c = lt_stack_counters_of(id, i);
        freed_objects += (uint64_t)atomic_load_explicit(&c->freed_objects, memory_order_acquire);
        freed_bytes += (uint64_t)atomic_load_explicit(&c->freed_bytes, memory_order_acquire);
    }
    for (unsigned i = 0; i < LT_COUNTER_SHARDS; i++) {
        const struct lt_stack_counters *c = lt_stack_counters_of(id, i);
        alloc_objects += (uint64_t)atomic_load_explicit(&c->alloc_objects, memory_order_relaxed);
        alloc_bytes += (uint64_t)atomic_load_explicit(&c->alloc_bytes, memory_order_relaxed);
    }
    const struct lt_stack_alloc_base *b = &lt_stacks_alloc_bases[id];
    return (struct lt_stack_totals){
        (int64_t)(alloc_objects - b->objects), (int64_t)(alloc_bytes - b->bytes),
        (int64_t)(alloc_objects - freed_objects), (int64_t)(alloc_bytes - freed_bytes)};
}

/* In a forked child: alloc_* restart from zero, inuse_* are inherited
 * (call while the child has one thread). */
void lt_stacks_reset_alloc(void);

/* A jump out of a hook (hooks_jump.c) abandoned an insert
 * (lt_held.insert_lock): lets go of its lock. */
void lt_stacks_release_abandoned(void);

void lt_stacks_lock(void);
void lt_stacks_unlock(void);
void lt_stacks_reinit_lock(void);

#endif

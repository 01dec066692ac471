/* Interning table: open addressing over ids, records and frames in
 * reserved address space (touched pages only cost memory), lookups
 * lock-free, inserts serialized by one mutex (new stacks are rare). */
#define _GNU_SOURCE
#include "stacks.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "guard.h"
#include "retired.h"
#include "stack.h"

/* Records, counters, slots and frames are reserved, not committed, until
 * used: about 220 MB of address space, which an RLIMIT_AS counts (a process
 * that lowers its own below what it already has gets no more memory at
 * all). */
#define MAX_STACKS LT_MAX_STACKS /* 16 MiB of records, 64 MiB of counters */
#define FRAME_ARENA_WORDS (16u << 20) /* 128 MiB: 32 frames a stack on average */

struct lt_stack *lt_stacks_records;
struct lt_stack_counters *lt_stacks_counters;
struct lt_stack_alloc_base *lt_stacks_alloc_bases;

/* The ids by hash, open addressing at a load of 1/2 at most. The slot
 * array starts small and grows 4x at a time, up to 2 * MAX_STACKS slots:
 * one array of that size from the start was 4 MiB, all of it touched once
 * a program had some thousands of stacks (each lands on a random page), and
 * a page or so for each of the storm's 66. A grown array is filled under the insert lock
 * and then published; lookups still probing the one before miss only the
 * stacks added since, and look again under the lock. Old arrays stay (a
 * lookup may be in one): a third of the last one's size. All of them are
 * carved from one reservation, so growing makes no system call. */
#define FIRST_SLOTS_LOG2 14
#define SLOT_GROWTH_LOG2 2
#define SLOT_TABLES 4 /* 2^14, 2^16, 2^18, 2^20 slots */
_Static_assert(FIRST_SLOTS_LOG2 + SLOT_GROWTH_LOG2 * (SLOT_TABLES - 1) == 20 &&
                   (1u << 20) == 2 * MAX_STACKS,
               "the last slot array holds every id at a load of 1/2");

struct slot_table {
    uint32_t mask; /* slots - 1 */
    _Atomic uint32_t *slot;
};

/* A slot holds an id and, above it, 13 bits of its stack's hash (bits the
 * slot's index does not come from): a probe reads a record only when they
 * match. Without them every id a probe passed cost a cache miss on its
 * record, and a lookup in a fuller array more of them (cc1plus in 256 K
 * slots, load 0.28: 1.055x the CPU time of 1 M). 0: empty (ids start at 1). */
#define ID_BITS 19
_Static_assert(MAX_STACKS <= 1u << ID_BITS, "an id fits below the slot's tag");

static inline uint32_t slot_tag(uint64_t hash)
{
    return (uint32_t)(hash >> (64 - (32 - ID_BITS))) << ID_BITS;
}

static struct slot_table slot_tables[SLOT_TABLES];
static _Atomic(struct slot_table *) slots_now;
uintptr_t *lt_stacks_frame_arena;
static size_t frame_used;
_Static_assert(FRAME_ARENA_WORDS <= UINT32_MAX, "a record holds arena offsets in 32 bits");

/* The last stack this thread interned: its next one most often ends with
 * the same frames (shared_tail). */
static __thread uint32_t last_interned __attribute__((tls_model("initial-exec")));
static _Atomic uint32_t stack_count;
static uint32_t overflow_id[LT_TAG_COUNT];
/* Error-checking: a jump out of a hook (hooks_jump.c) lets it go only if
 * this thread holds it. */
static pthread_mutex_t insert_lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;

_Atomic unsigned lt_thread_slot_next;
__thread unsigned lt_thread_slot_plus_one __attribute__((tls_model("initial-exec")));
__thread unsigned lt_owned_shard_plus_one __attribute__((tls_model("initial-exec")));
static _Atomic unsigned owned_shards_taken; /* saturates: an owned shard is never handed out twice */

unsigned lt_take_shard(void)
{
    unsigned taken = atomic_load_explicit(&owned_shards_taken, memory_order_relaxed);
    while (taken < LT_COUNTER_SHARDS - 1 &&
           !atomic_compare_exchange_weak_explicit(&owned_shards_taken, &taken, taken + 1,
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
    unsigned shard = taken < LT_COUNTER_SHARDS - 1 ? taken : LT_COUNTER_SHARDS - 1;
    lt_owned_shard_plus_one = shard + 1;
    return shard + 1;
}

static void *reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* The frames' hash (lt_stack_hash_step) with depth and tag, its high bits
 * mixed into the low ones, which pick the slot. */
static uint64_t stack_hash(uint64_t frames_hash, int depth, unsigned tag)
{
    uint64_t h = frames_hash ^ ((uint64_t)depth << 8 | tag);
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h | 1; /* never 0 */
}

/* A loop, not memcmp: stacks are a few words long, and glibc's vector
 * memcmp is a kilobyte more of code competing for the instruction cache on
 * every allocation. */
static bool same_frames(const uintptr_t *a, const uintptr_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static bool same_stack(const struct lt_stack *s, uint64_t hash, const uintptr_t *frames,
                       int depth, unsigned tag)
{
    return s->hash == hash && s->depth == depth && s->tag == tag &&
           same_frames(lt_stacks_frame_arena + s->own_at, frames, s->own) &&
           same_frames(lt_stacks_frame_arena + s->tail_at, frames + s->own,
                       (unsigned)depth - s->own);
}

/* Returns the id, or 0 with *slot_out set to the empty slot where it goes. */
static LT_HOT uint32_t lookup(uint64_t hash, const uintptr_t *frames, int depth, unsigned tag,
                              uint32_t *slot_out)
{
    const struct slot_table *t = atomic_load_explicit(&slots_now, memory_order_acquire);
    uint32_t i = (uint32_t)hash & t->mask, want = slot_tag(hash);
    for (;; i = (i + 1) & t->mask) {
        uint32_t v = atomic_load_explicit(&t->slot[i], memory_order_acquire);
        if (v == 0) {
            *slot_out = i;
            return 0;
        }
        uint32_t id = v & ((1u << ID_BITS) - 1);
        if ((v & ~((1u << ID_BITS) - 1)) == want &&
            same_stack(&lt_stacks_records[id], hash, frames, depth, tag))
            return id;
    }
}

/* Every id into t, which then replaces the current array. Caller holds
 * insert_lock, or is lt_stacks_init. */
static void place_ids(struct slot_table *t)
{
    uint32_t n = atomic_load_explicit(&stack_count, memory_order_relaxed);
    for (uint32_t id = 1; id <= n; id++) {
        uint64_t hash = lt_stacks_records[id].hash;
        uint32_t i = (uint32_t)hash & t->mask;
        while (atomic_load_explicit(&t->slot[i], memory_order_relaxed) != 0)
            i = (i + 1) & t->mask;
        atomic_store_explicit(&t->slot[i], id | slot_tag(hash), memory_order_relaxed);
    }
    atomic_store_explicit(&slots_now, t, memory_order_release);
}

/* The array after the current one replaces it. Zeroed first: a jump out
 * of a hook (hooks_jump.c) may have left a fill half done. About 25 ns an
 * id (a cache miss on its record), paid once by the thread adding the stack
 * that crosses the load: 0.15, 0.75 and 3.1-3.5 ms at 8,192, 32,768 and
 * 131,072 stacks (stack_fanout, timed in a scratch build). */
static void grow_slots(void)
{
    struct slot_table *next = atomic_load_explicit(&slots_now, memory_order_relaxed) + 1;
    memset((void *)next->slot, 0, ((size_t)next->mask + 1) * sizeof *next->slot);
    place_ids(next);
}

/* How many of its outer frames a new stack of depth frames shares with
 * stack r, as a run at the end of r's last run in the arena (where it
 * starts: *at). A run, not the whole of r: a record's frames are two runs.
 * Shared only when it is at least half the new stack: a stack that shared
 * less keeps all its frames, and so offers its next ones a long run. */
static unsigned shared_tail(const struct lt_stack *r, const uintptr_t *frames, unsigned depth,
                            uint32_t *at)
{
    unsigned run_n = r->depth - r->own;
    uint32_t run_at = r->tail_at;
    if (run_n == 0) {
        run_n = r->own;
        run_at = r->own_at;
    }
    unsigned k = lt_shared_outer_frames(lt_stacks_frame_arena + run_at, run_n, frames, depth);
    *at = run_at + (run_n - k);
    return 2 * k >= depth ? k : 0;
}

/* Caller holds insert_lock. */
static uint32_t add_record(uint64_t hash, const uintptr_t *frames, int depth, unsigned tag)
{
    uint32_t id = atomic_load_explicit(&stack_count, memory_order_relaxed) + 1;
    uint32_t tail_at = 0;
    unsigned tail_n = last_interned && last_interned < id
                          ? shared_tail(&lt_stacks_records[last_interned], frames,
                                        (unsigned)depth, &tail_at)
                          : 0;
    unsigned own = (unsigned)depth - tail_n;
    if (id >= MAX_STACKS || frame_used + own > FRAME_ARENA_WORDS)
        return 0;
    memcpy(lt_stacks_frame_arena + frame_used, frames, own * sizeof *frames);
    struct lt_stack *s = &lt_stacks_records[id];
    *s = (struct lt_stack){.hash = hash, .own_at = (uint32_t)frame_used, .tail_at = tail_at,
                           .depth = (uint16_t)depth, .own = (uint16_t)own, .tag = (uint8_t)tag,
                           .generation = lt_retired_generation()};
    frame_used += own;
    last_interned = id;
    atomic_store_explicit(&stack_count, id, memory_order_release);
    return id;
}

/* Makes a new id findable, at the slot lookup found free unless the array
 * had to grow first. Caller holds insert_lock. */
static void publish_id(uint32_t id, uint64_t hash, uint32_t slot)
{
    struct slot_table *t = atomic_load_explicit(&slots_now, memory_order_relaxed);
    if ((uint64_t)id * 2 > t->mask + 1 && t + 1 < slot_tables + SLOT_TABLES) {
        grow_slots(); /* it places id too */
        return;
    }
    atomic_store_explicit(&t->slot[slot], id | slot_tag(hash), memory_order_release);
}

LT_HOT uint32_t lt_stacks_intern(const uintptr_t *frames, int depth, uint64_t frames_hash,
                                 unsigned tag)
{
    uint64_t hash = stack_hash(frames_hash, depth, tag);
    uint32_t slot;
    uint32_t id = lookup(hash, frames, depth, tag, &slot);
    if (id)
        return id;
    lt_held.insert_lock = true; /* first: a jump right after the lock finds it */
    pthread_mutex_lock(&insert_lock);
    id = lookup(hash, frames, depth, tag, &slot); /* another thread may have won */
    if (!id) {
        id = add_record(hash, frames, depth, tag);
        if (id)
            publish_id(id, hash, slot);
        else
            id = overflow_id[tag];
    }
    pthread_mutex_unlock(&insert_lock);
    lt_held.insert_lock = false;
    return id;
}

bool lt_stacks_init(void)
{
    lt_stacks_records = reserve(sizeof(struct lt_stack) * MAX_STACKS);
    lt_stacks_counters =
        reserve(sizeof(struct lt_stack_counters) * LT_COUNTER_SHARDS * MAX_STACKS);
    lt_stacks_alloc_bases = reserve(sizeof(struct lt_stack_alloc_base) * MAX_STACKS);
    size_t all_slots = 0;
    for (unsigned k = 0; k < SLOT_TABLES; k++)
        all_slots += (size_t)1 << (FIRST_SLOTS_LOG2 + SLOT_GROWTH_LOG2 * k);
    _Atomic uint32_t *slot_space = reserve(sizeof(uint32_t) * all_slots);
    lt_stacks_frame_arena = reserve(sizeof(uintptr_t) * FRAME_ARENA_WORDS);
    if (!lt_stacks_records || !lt_stacks_counters || !lt_stacks_alloc_bases || !slot_space ||
        !lt_stacks_frame_arena)
        return false;
    for (unsigned k = 0; k < SLOT_TABLES; k++) {
        uint32_t size = 1u << (FIRST_SLOTS_LOG2 + SLOT_GROWTH_LOG2 * k);
        slot_tables[k] = (struct slot_table){.mask = size - 1, .slot = slot_space};
        slot_space += size;
    }
    /* The catch-alls come first, so they exist however full the table gets;
     * a stack of no frames is its tag's catch-all. */
    for (unsigned tag = 0; tag < LT_TAG_COUNT; tag++)
        overflow_id[tag] = add_record(stack_hash(LT_STACK_HASH_SEED, 0, tag), NULL, 0, tag);
    place_ids(&slot_tables[0]);
    return true;
}

uint32_t lt_stacks_count(void)
{
    return atomic_load_explicit(&stack_count, memory_order_acquire);
}

void lt_stacks_reset_alloc(void)
{
    uint32_t n = lt_stacks_count();
    for (uint32_t id = 1; id <= n; id++) {
        struct lt_stack_totals t = lt_stack_read(id); /* since the last base */
        lt_stacks_alloc_bases[id].objects += (uint64_t)t.alloc_objects;
        lt_stacks_alloc_bases[id].bytes += (uint64_t)t.alloc_bytes;
    }
}

/* An abandoned insert is at worst a record not yet findable: the stack
 * gets another when it comes again. */
void lt_stacks_release_abandoned(void)
{
    pthread_mutex_unlock(&insert_lock); /* EPERM if not ours: nothing */
    lt_held.insert_lock = false;
}

void lt_stacks_lock(void) { pthread_mutex_lock(&insert_lock); }
void lt_stacks_unlock(void) { pthread_mutex_unlock(&insert_lock); }
void lt_stacks_reinit_lock(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&insert_lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

/* Striped hash table of live blocks.
 *
 * Each stripe is a linear-probing table with backward-shift deletion (no
 * tombstones), grown by 1.25x at 3/4 load, so an entry costs 16/load
 * bytes: 21 to 27 (growing by 1.5x, 21 to 32, and which one a program got
 * depended on where its count fell in the growth steps; the smaller step
 * moves each entry four times instead of two while a table grows).
 *
 * A stripe's first table is a small slice of a static array (a program
 * with few live blocks touches a few pages of it, not a page per stripe);
 * the larger ones are mmap'ed. None is taken from the real malloc, so no
 * allocator lock is ever taken while a stripe lock is held. */
#define _GNU_SOURCE
#include "live.h"

#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "guard.h"
#include "sandbox.h"

/* Stripes come in groups, one group per 64 MiB region of the address
 * space (hashed into 2^GROUP_BITS groups), a stripe within its group by the
 * block's hash. glibc gives each thread an arena whose heaps are 64 MiB
 * regions, so two threads allocating at once mostly lock and write
 * different stripes' cache lines: with stripes picked by the hash alone,
 * every stripe's line went back and forth between the two cores (storm, 2
 * threads: 553 -> 460 ns added a malloc+free, 1 thread 382 -> 391). */
#define REGION_SHIFT 26
#define GROUP_BITS 4
#define STRIPES_PER_GROUP_BITS 6
#define STRIPE_BITS (GROUP_BITS + STRIPES_PER_GROUP_BITS)
#define STRIPES (1u << STRIPE_BITS)
#define FIRST_CAP 16 /* a stripe's first table: 256 bytes, in first_tables */
#define MIN_CAP 256  /* mapped tables: a multiple of a page's entries */

struct entry {
    uintptr_t ptr; /* 0: empty */
    uint64_t meta; /* size << 24 | stack */
};

struct stripe {
    _Atomic uintptr_t owner; /* 0: free; else the holder's lock_token() */
    struct entry *table;
    uint32_t cap, count;
} __attribute__((aligned(64)));

static struct stripe stripes[STRIPES];
static struct entry first_tables[STRIPES][FIRST_CAP];

/* A stripe's lock is a flag taken with one atomic exchange: it is held for a
 * probe and a store, and uncontended a pthread mutex costs three times the
 * instructions (callgrind: about 57 a lock and unlock, 20 here). A waiter
 * spins a little (the holder is running: it is done within a microsecond),
 * then yields, then sleeps: a real-time thread yields only to its peers, and
 * must not spin forever over a holder preempted on its own core. */
static void wait_a_little(unsigned spins)
{
    if (spins < 64 || !lt_may_syscall()) { /* under seccomp: spin only */
        lt_cpu_relax();
    } else if (spins < 80) {
        sched_yield();
    } else {
        struct timespec pause = {0, 10 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* The holder's mark: its thread's lt_held, unique among live threads, so
 * that a lock a jump abandoned (hooks_jump.c) is let go only by its holder. */
static inline uintptr_t lock_token(void)
{
    return (uintptr_t)&lt_held;
}

static inline bool stripe_try_lock(struct stripe *s, uintptr_t me)
{
    uintptr_t free_ = 0;
    return atomic_compare_exchange_strong_explicit(&s->owner, &free_, me, memory_order_acquire,
                                                   memory_order_relaxed);
}

static __attribute__((noinline, cold)) void stripe_lock_contended(struct stripe *s, uintptr_t me)
{
    unsigned spins = 0;
    do {
        while (atomic_load_explicit(&s->owner, memory_order_relaxed))
            wait_a_little(spins++);
    } while (!stripe_try_lock(s, me));
}

/* lt_held.stripe is set first, and cleared after: a jump at any point
 * finds the stripe if this thread may hold it. */
static inline void stripe_lock(struct stripe *s)
{
    uintptr_t me = lock_token();
    lt_held.stripe = s;
    if (__builtin_expect(!stripe_try_lock(s, me), 0))
        stripe_lock_contended(s, me);
}

static void stripe_unlock(struct stripe *s)
{
    atomic_store_explicit(&s->owner, 0, memory_order_release);
    lt_held.stripe = NULL;
}

/* A jump left the table's operation half done (an entry stored without its
 * count, a backward shift part way): at worst a block is counted live twice
 * or its free goes unseen; not a lock held for good. Let go only if this
 * thread holds it (the jump may have come before it took it, or after it
 * let go). */
void lt_live_release_abandoned(void *stripe)
{
    struct stripe *s = stripe;
    uintptr_t me = lock_token();
    atomic_compare_exchange_strong_explicit(&s->owner, &me, 0, memory_order_release,
                                            memory_order_relaxed);
    lt_held.stripe = NULL;
}

/* Sampling mode only: a counting filter in front of the table (live.h).
 * Most frees are of blocks that were never sampled; a zero counter says so
 * without the stripe lock. A counter that reaches its maximum stays there
 * (the filter then only costs a lookup, never a wrong answer). 64 KiB of
 * byte counters in .bss: resident only where sampling mode writes them. A
 * false positive, one locked lookup, is the free of a block sharing a
 * granule (or a granule 16 MiB away) with a sampled live one. */
#define FILTER_MAX UINT8_MAX
_Atomic uint8_t lt_live_filter[1u << LT_LIVE_FILTER_BITS];
static bool filtering;

static void filter_add(const void *p)
{
    _Atomic uint8_t *c = lt_live_filter_slot(p);
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != FILTER_MAX &&
           !atomic_compare_exchange_weak_explicit(c, &v, v + 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

static void filter_remove(const void *p)
{
    _Atomic uint8_t *c = lt_live_filter_slot(p);
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != FILTER_MAX && v != 0 &&
           !atomic_compare_exchange_weak_explicit(c, &v, v - 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}


static struct stripe *stripe_of(uintptr_t p, uint64_t h)
{
    uint64_t region = (uint64_t)(p >> REGION_SHIFT) * 0x9E3779B97F4A7C15ull;
    uint64_t group = region >> (64 - GROUP_BITS);
    return &stripes[group << STRIPES_PER_GROUP_BITS | h >> (64 - STRIPES_PER_GROUP_BITS)];
}

static uint32_t home_slot(uint64_t h, uint32_t cap)
{
    return (uint32_t)(((h & 0xffffffffu) * (uint64_t)cap) >> 32);
}

static struct entry *map_table(uint32_t cap)
{
    void *p = mmap(NULL, (size_t)cap * sizeof(struct entry), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void place(struct entry *table, uint32_t cap, struct entry e)
{
    uint32_t i = home_slot(lt_live_hash(e.ptr), cap);
    while (table[i].ptr)
        i = i + 1 == cap ? 0 : i + 1;
    table[i] = e;
}

static __attribute__((noinline, cold)) bool grow(struct stripe *s)
{
    struct entry *first = first_tables[s - stripes];
    if (!s->table) {
        s->table = first;
        s->cap = FIRST_CAP;
        return true;
    }
    uint32_t cap = (s->cap + s->cap / 4 + MIN_CAP - 1) / MIN_CAP * MIN_CAP;
    struct entry *table = map_table(cap);
    if (!table)
        return false;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->table[i].ptr)
            place(table, cap, s->table[i]);
    /* the new table in place before the old one goes: a jump out of a hook
     * (hooks_jump.c) must not leave the stripe on an unmapped table */
    struct entry *old = s->table;
    uint32_t old_cap = s->cap;
    s->table = table;
    s->cap = cap;
    if (old != first)
        munmap(old, (size_t)old_cap * sizeof(struct entry));
    return true;
}

static uint64_t pack(struct lt_live_rec rec)
{
    uint64_t size = rec.size < (1ull << LT_LIVE_SIZE_BITS) ? rec.size
                                                           : (1ull << LT_LIVE_SIZE_BITS) - 1;
    return size << LT_LIVE_STACK_BITS | rec.stack;
}

static struct lt_live_rec unpack(uint64_t meta)
{
    return (struct lt_live_rec){meta >> LT_LIVE_STACK_BITS,
                                (uint32_t)(meta & ((1u << LT_LIVE_STACK_BITS) - 1))};
}

void lt_live_init(bool sampled)
{
    filtering = sampled;
}

LT_HOT enum lt_live_result lt_live_insert(const void *p, struct lt_live_rec rec,
                                          struct lt_live_rec *stale)
{
    uint64_t h = lt_live_hash((uintptr_t)p);
    struct stripe *s = stripe_of((uintptr_t)p, h);
    enum lt_live_result result = LT_LIVE_ADDED;
    stripe_lock(s);
    if ((uint64_t)(s->count + 1) * 4 > (uint64_t)s->cap * 3 && !grow(s)) {
        result = LT_LIVE_FULL;
    } else {
        uint32_t i = home_slot(h, s->cap);
        while (s->table[i].ptr && s->table[i].ptr != (uintptr_t)p)
            i = i + 1 == s->cap ? 0 : i + 1;
        if (s->table[i].ptr) {
            *stale = unpack(s->table[i].meta);
            result = LT_LIVE_REPLACED;
        } else {
            s->table[i].ptr = (uintptr_t)p;
            s->count++;
            if (filtering)
                filter_add(p);
        }
        s->table[i].meta = pack(rec);
    }
    stripe_unlock(s);
    return result;
}

/* Backward-shift deletion: pull later entries of the probe run into the hole
 * unless their home lies cyclically in (hole, j]. */
static void delete_at(struct stripe *s, uint32_t hole)
{
    uint32_t cap = s->cap, j = hole;
    for (;;) {
        j = j + 1 == cap ? 0 : j + 1;
        if (!s->table[j].ptr)
            break;
        uint32_t home = home_slot(lt_live_hash(s->table[j].ptr), cap);
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays)
            continue;
        s->table[hole] = s->table[j];
        hole = j;
    }
    s->table[hole].ptr = 0;
    s->count--;
}

LT_HOT bool lt_live_remove(const void *p, struct lt_live_rec *out)
{
    uint64_t h = lt_live_hash((uintptr_t)p);
    if (filtering && !lt_live_may_hold(p))
        return false; /* never sampled: no lock taken */
    struct stripe *s = stripe_of((uintptr_t)p, h);
    bool found = false;
    stripe_lock(s);
    if (s->cap) {
        for (uint32_t i = home_slot(h, s->cap); s->table[i].ptr; i = i + 1 == s->cap ? 0 : i + 1) {
            if (s->table[i].ptr == (uintptr_t)p) {
                *out = unpack(s->table[i].meta);
                delete_at(s, i);
                if (filtering)
                    filter_remove(p);
                found = true;
                break;
            }
        }
    }
    stripe_unlock(s);
    return found;
}

size_t lt_live_count(void)
{
    size_t n = 0;
    for (uint32_t i = 0; i < STRIPES; i++)
        n += __atomic_load_n(&stripes[i].count, __ATOMIC_RELAXED);
    return n;
}

size_t lt_live_memory(void)
{
    size_t n = sizeof stripes;
    for (uint32_t i = 0; i < STRIPES; i++)
        n += (size_t)__atomic_load_n(&stripes[i].cap, __ATOMIC_RELAXED) * sizeof(struct entry);
    return n;
}

void lt_live_lock_all(void)
{
    for (uint32_t i = 0; i < STRIPES; i++)
        stripe_lock(&stripes[i]);
}

void lt_live_unlock_all(void)
{
    for (uint32_t i = 0; i < STRIPES; i++)
        stripe_unlock(&stripes[i]);
}

void lt_live_reinit_locks(void)
{
    for (uint32_t i = 0; i < STRIPES; i++)
        atomic_store_explicit(&stripes[i].owner, 0, memory_order_relaxed);
}

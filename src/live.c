/* Striped hash table of live blocks.
 *
 * Each stripe is an open-addressing table probed a group of 16 slots at a
 * time (as SwissTable and hashbrown do): a control byte per slot holds 8
 * bits of the block's hash (or says empty / deleted), and one SSE2 compare
 * of a group's 16 control bytes finds the slots that may hold a pointer.
 * A lookup reads one group's control bytes and, almost always, one entry:
 * no loop over entries whose trip count the branch predictor must guess
 * (linear probing over the entries took a mispredicted branch on nearly
 * every insert and remove, perl: 2.7 a malloc+free).
 *
 * A table grows (or is rebuilt to drop deleted marks) at 4/5 of its slots
 * used, to 0.64 load: 17 bytes a slot, 21 to 27 a live block. Perl's
 * probes read 1.04 groups on average; at 7/8 (as SwissTable) 1.66, and the
 * whole run took 10% more mispredicted branches.
 *
 * Inserts and removes settle in their home group, their fast paths: an
 * insert whose home group matches no tag and has an empty slot (so p
 * cannot be further on), a remove that finds p there. Those paths make no
 * call (a lock another thread holds, a probe on, a table to grow go on in
 * functions of their own), so they save no registers: perl, 83 and 92
 * instructions where the general probe took 117 and 98.
 *
 * A stripe's first table is a small slice of a static array (a program
 * with few live blocks touches a few pages of it, not a page per stripe);
 * the larger ones are mmap'ed. None is taken from the real malloc, so no
 * allocator lock is ever taken while a stripe lock is held.
 *
 * While one thread alone has used the table, it takes no stripe lock
 * (solo mode, live_lock.h): most programs never take one. */
#define _GNU_SOURCE
#include "live.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "live_lock.h"

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
#define GROUP 16             /* slots probed at once */
#define FIRST_CAP GROUP      /* a stripe's first table, in first_tables */
#define PAGE 4096

struct entry {
    uintptr_t ptr;
    uint64_t meta; /* size << 24 | stack */
};

/* A slot's bytes in a table: its entry and its control byte. */
#define SLOT_BYTES (sizeof(struct entry) + 1)

/* A slot's control byte: its hash's tag when full, one of 254 values; the
 * two lowest as signed bytes when free, so that one signed compare of a
 * group finds its free slots. A tag that matches another pointer's slot
 * costs a read of that slot's entry, most often a cache miss: with 7-bit
 * tags (SwissTable's, free slots having the high bit set) twice as often
 * (bench/random_free: 369 -> 335 ns a free+malloc). */
#define CTRL_EMPTY 0x80
#define CTRL_DELETED 0x81 /* a removed entry a probe must pass over */

static inline bool ctrl_free(uint8_t c) /* empty or deleted */
{
    return (int8_t)c <= (int8_t)CTRL_DELETED;
}

struct stripe {
    struct lt_stripe_lock lock;
    struct entry *slots;     /* cap entries, then cap control bytes */
    uint8_t *ctrl;
    uint32_t cap;         /* a multiple of GROUP; 0 before the first insert */
    uint32_t growth_left; /* empty slots inserts may fill before the table grows */
} __attribute__((aligned(64)));

static struct stripe stripes[STRIPES];
static struct first_table {
    struct entry slots[FIRST_CAP];
    uint8_t ctrl[FIRST_CAP];
} __attribute__((aligned(GROUP))) first_tables[STRIPES]; /* groups are loaded aligned */

/* A jump left the table's operation half done (an entry stored without its
 * control byte, or a slot marked without its growth count): at worst a free
 * goes unseen or the table grows a little early; not a lock held for good,
 * nor a busy mark a thread ending solo mode would wait on for good.
 * The stripe it held is the one whose owner is this thread's mark: found
 * by looking at them all (rare enough), where remembering it in the
 * thread's lt_held cost every insert and remove two stores. */
void lt_live_release_abandoned(void)
{
    uintptr_t me = lt_lock_token();
    lt_solo_release_abandoned();
    for (uint32_t i = 0; i < STRIPES; i++)
        if (atomic_load_explicit(&stripes[i].lock.owner, memory_order_relaxed) == me)
            lt_stripe_unlock(&stripes[i].lock);
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

void lt_live_filter_mark(const void *p)
{
    if (filtering)
        filter_add(p);
}

void lt_live_filter_unmark(const void *p)
{
    if (filtering)
        filter_remove(p);
}

void lt_live_filter_mark_range(const void *p, size_t n)
{
    uintptr_t granule = (uintptr_t)1 << LT_LIVE_FILTER_GRANULE_BITS;
    for (uintptr_t at = (uintptr_t)p & ~(granule - 1); at < (uintptr_t)p + n; at += granule)
        lt_live_filter_mark((const void *)at);
}

static struct stripe *stripe_of(uintptr_t p, uint64_t h)
{
    uint64_t region = (uint64_t)(p >> REGION_SHIFT) * 0x9E3779B97F4A7C15ull;
    uint64_t group = region >> (64 - GROUP_BITS);
    return &stripes[group << STRIPES_PER_GROUP_BITS | h >> (64 - STRIPES_PER_GROUP_BITS)];
}

/* The hash's bits: the stripe takes the top 6 (stripe_of), the home group
 * the low 32, the tag 8 from bit 32 on, the slot quarter 2 from bit 40:
 * independent of one another. */
static uint32_t home_group(uint64_t h, uint32_t cap)
{
    return (uint32_t)(((h & 0xffffffffu) * (uint64_t)(cap / GROUP)) >> 32);
}

static uint8_t tag_of(uint64_t h)
{
    uint8_t t = (uint8_t)(h >> 32);
    return (uint8_t)(t + 2 * ((t & 0xfe) == CTRL_EMPTY)); /* 0x80, 0x81 -> 0x82, 0x83 */
}

/* A group's 16 entries fill four cache lines. An entry goes in the quarter
 * (line) its hash names when that has a free slot, so a lookup fetches that
 * line at the same time as the control bytes, not after them: perl's
 * removes waited on both, one after the other. 70% of perl's removes find
 * their entry in that line, 90% of bench/random_free's (prefetching the
 * next line too, and placing entries from the quarter on: 84% on perl, but
 * random_free 18% slower). */
#define QUARTER (GROUP / 4)

static uint32_t quarter_of(uint64_t h)
{
    return (uint32_t)(h >> 40) & 3;
}

/* The slot a group's free mask offers h: in h's quarter if it can. */
static uint32_t pick_free(uint32_t free, uint64_t h)
{
    uint32_t near = free & ((1u << QUARTER) - 1) << quarter_of(h) * QUARTER;
    return (uint32_t)__builtin_ctz(near ? near : free);
}

static void prefetch_quarter(const struct stripe *s, uint32_t g, uint64_t h, int for_write)
{
    const struct entry *e = &s->slots[g + quarter_of(h) * QUARTER];
    if (for_write)
        __builtin_prefetch(e, 1);
    else
        __builtin_prefetch(e, 0);
}

static uint32_t next_group(uint32_t g, uint32_t cap)
{
    return (g + 1) * GROUP == cap ? 0 : g + 1;
}

/* Bit i of a mask: slot i of the group. */
#if defined(__SSE2__)
static inline uint32_t group_match(const uint8_t *ctrl, uint8_t byte)
{
    __m128i group = _mm_load_si128((const __m128i *)ctrl);
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(group, _mm_set1_epi8((char)byte)));
}

static inline uint32_t group_free(const uint8_t *ctrl) /* empty or deleted */
{
    __m128i group = _mm_load_si128((const __m128i *)ctrl);
    __m128i above_free = _mm_set1_epi8((char)(CTRL_DELETED + 1));
    return (uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi8(above_free, group));
}
#else
static inline uint32_t group_match(const uint8_t *ctrl, uint8_t byte)
{
    uint32_t m = 0;
    for (unsigned i = 0; i < GROUP; i++)
        m |= (uint32_t)(ctrl[i] == byte) << i;
    return m;
}

static inline uint32_t group_free(const uint8_t *ctrl)
{
    uint32_t m = 0;
    for (unsigned i = 0; i < GROUP; i++)
        m |= (uint32_t)ctrl_free(ctrl[i]) << i;
    return m;
}
#endif

/* rec.size < 2^LT_LIVE_SIZE_BITS: heap.c keeps larger sizes at the maximum. */
static uint64_t pack(struct lt_live_rec rec)
{
    return (uint64_t)rec.size << LT_LIVE_STACK_BITS | rec.stack;
}

static struct lt_live_rec unpack(uint64_t meta)
{
    return (struct lt_live_rec){meta >> LT_LIVE_STACK_BITS,
                                (uint32_t)(meta & ((1u << LT_LIVE_STACK_BITS) - 1))};
}

/* What a probe for p found: its slot or -1; whether its slot's group has
 * an empty slot (so no probe goes past that group); the first empty or
 * deleted slot it passed (where an insert puts p). */
struct probe {
    int64_t at;
    bool group_has_empty;
    uint32_t free_at;
};

static struct probe find(const struct stripe *s, uintptr_t p, uint64_t h)
{
    uint8_t tag = tag_of(h);
    struct probe r = {.at = -1, .free_at = UINT32_MAX};
    for (uint32_t g = home_group(h, s->cap);; g = next_group(g, s->cap)) {
        const uint8_t *ctrl = s->ctrl + g * GROUP;
        uint32_t empty = group_match(ctrl, CTRL_EMPTY);
        for (uint32_t m = group_match(ctrl, tag); m; m &= m - 1) {
            uint32_t i = g * GROUP + (uint32_t)__builtin_ctz(m);
            if (s->slots[i].ptr == p) {
                r.at = i;
                r.group_has_empty = empty != 0;
                return r;
            }
        }
        uint32_t free = group_free(ctrl);
        if (free && r.free_at == UINT32_MAX)
            r.free_at = g * GROUP + pick_free(free, h);
        if (empty)
            return r; /* tables keep an empty slot: every probe ends */
    }
}

/* The first empty or deleted slot of h's probe (a table being rebuilt). */
static uint32_t free_slot(const struct stripe *s, uint64_t h)
{
    for (uint32_t g = home_group(h, s->cap);; g = next_group(g, s->cap)) {
        uint32_t m = group_free(s->ctrl + g * GROUP);
        if (lt_likely(m))
            return g * GROUP + pick_free(m, h);
    }
}

static void put(struct stripe *s, uint32_t i, struct entry e, uint64_t h)
{
    s->growth_left -= s->ctrl[i] == CTRL_EMPTY;
    s->slots[i] = e;
    s->ctrl[i] = tag_of(h); /* last: a jump out of the hook leaves no half entry */
}

/* Removes p, found at slot i. The slot is marked empty when its group has
 * an empty slot: no probe passes a group with one, so none needs to pass
 * this one. */
static inline __attribute__((always_inline)) void
take(struct stripe *s, uint32_t i, bool group_has_empty, const void *p,
     struct lt_live_rec *out)
{
    *out = unpack(s->slots[i].meta);
    s->ctrl[i] = group_has_empty ? CTRL_EMPTY : CTRL_DELETED;
    s->growth_left += group_has_empty;
    if (filtering)
        filter_remove(p);
}

/* Slots a table of cap may fill (entries and deleted marks) before it
 * grows: 4/5, which leaves an empty slot in every probe's way. */
static uint32_t growth_limit(uint32_t cap)
{
    return (uint32_t)((uint64_t)cap * 4 / 5);
}

/* The pages a mapped table of cap slots takes. */
static size_t mapped_bytes(uint32_t cap)
{
    return ((size_t)cap * SLOT_BYTES + PAGE - 1) / PAGE * PAGE;
}

/* A mapped table for at least want slots, using all of its pages. */
static bool map_table(uint32_t want, struct stripe *t)
{
    size_t bytes = mapped_bytes(want);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    t->cap = (uint32_t)(bytes / SLOT_BYTES) / GROUP * GROUP;
    t->slots = p;
    t->ctrl = (uint8_t *)p + (size_t)t->cap * sizeof(struct entry);
    t->growth_left = growth_limit(t->cap);
    memset(t->ctrl, CTRL_EMPTY, t->cap);
    return true;
}

static uint32_t entries(const struct stripe *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->cap; i++)
        n += !ctrl_free(s->ctrl[i]);
    return n;
}

/* To 0.64 load (or from the static first table to a mapped one), dropping
 * deleted marks. */
static __attribute__((noinline, cold)) bool grow(struct stripe *s)
{
    struct first_table *first = &first_tables[s - stripes];
    if (!s->cap) {
        memset(first->ctrl, CTRL_EMPTY, FIRST_CAP);
        s->slots = first->slots;
        s->ctrl = first->ctrl;
        s->cap = FIRST_CAP;
        s->growth_left = growth_limit(FIRST_CAP);
        return true;
    }
    struct stripe bigger;
    if (!map_table((uint32_t)(((uint64_t)entries(s) + 1) * 25 / 16), &bigger))
        return false;
    for (uint32_t i = 0; i < s->cap; i++) {
        if (ctrl_free(s->ctrl[i]))
            continue;
        uint64_t h = lt_live_hash(s->slots[i].ptr);
        put(&bigger, free_slot(&bigger, h), s->slots[i], h);
    }
    /* the new table in place before the old one goes: a jump out of a hook
     * (hooks_jump.c) must not leave the stripe on an unmapped table */
    struct entry *old = s->slots;
    uint32_t old_cap = s->cap;
    s->slots = bigger.slots;
    s->ctrl = bigger.ctrl;
    s->cap = bigger.cap;
    s->growth_left = bigger.growth_left;
    if (old != first->slots)
        munmap(old, mapped_bytes(old_cap));
    return true;
}

/* The stripe grown, and where the insert that found it full puts h. */
static bool rebuild(struct stripe *s, uint64_t h, struct probe *found)
{
    if (!grow(s))
        return false;
    found->free_at = free_slot(s, h);
    return true;
}

void lt_live_init(bool sampled)
{
    filtering = sampled;
    lt_solo_prepare(__libc_single_threaded); /* not when started late, by a dlopen */
}

/* An insert its home group alone cannot settle (s entered): p may be in the
 * table already (a tag there matched, or the group is full), or the table
 * must grow. Leaves s. */
static __attribute__((noinline)) enum lt_live_result
insert_probing(struct stripe *s, const void *p, uint64_t h, uint64_t meta,
               struct lt_live_rec *stale, enum lt_entry_mode how)
{
    enum lt_live_result result = LT_LIVE_ADDED;
    struct probe found = {.at = -1, .free_at = UINT32_MAX};
    if (s->cap)
        found = find(s, (uintptr_t)p, h);
    if (found.at >= 0) {
        *stale = unpack(s->slots[found.at].meta);
        s->slots[found.at].meta = meta;
        result = LT_LIVE_REPLACED;
    } else if (s->growth_left == 0 && !rebuild(s, h, &found)) {
        result = LT_LIVE_FULL;
    } else {
        put(s, found.free_at, (struct entry){(uintptr_t)p, meta}, h);
        if (filtering)
            filter_add(p);
    }
    lt_stripe_leave(&s->lock, how);
    return result;
}

static __attribute__((noinline)) enum lt_live_result
insert_contended(struct stripe *s, const void *p, uint64_t h, struct lt_live_rec rec,
                 struct lt_live_rec *stale)
{
    return insert_probing(s, p, h, pack(rec), stale, lt_stripe_enter_slowly(&s->lock));
}

/* Most inserts: no tag in p's home group matches (so p is not there) and
 * the group has an empty slot (so no probe for p goes further): p is not
 * in the table, and goes in a free slot of the group (pick_free). */
static inline __attribute__((always_inline)) enum lt_live_result
insert_entered(struct stripe *s, const void *p, uint64_t h, struct lt_live_rec rec,
               struct lt_live_rec *stale, enum lt_entry_mode how)
{
    if (lt_unlikely(s->growth_left == 0)) /* also a stripe with no table yet */
        return insert_probing(s, p, h, pack(rec), stale, how);
    uint32_t g = home_group(h, s->cap) * GROUP;
    prefetch_quarter(s, g, h, 1);
    const uint8_t *ctrl = s->ctrl + g;
    uint32_t empty = group_match(ctrl, CTRL_EMPTY);
    if (lt_unlikely(group_match(ctrl, tag_of(h)) != 0 || empty == 0))
        return insert_probing(s, p, h, pack(rec), stale, how);
    put(s, g + pick_free(group_free(ctrl), h), (struct entry){(uintptr_t)p, pack(rec)}, h);
    if (filtering)
        filter_add(p);
    lt_stripe_leave(&s->lock, how);
    return LT_LIVE_ADDED;
}

/* Each way of entering has its own copy of the fast path (how a constant
 * in it): with how kept in a register the path saved two more. */
LT_HOT enum lt_live_result lt_live_insert(const void *p, struct lt_live_rec rec,
                                          struct lt_live_rec *stale)
{
    uint64_t h = lt_live_hash((uintptr_t)p);
    struct stripe *s = stripe_of((uintptr_t)p, h);
    enum lt_entry_mode how = lt_stripe_enter(&s->lock);
    if (lt_likely(how == LT_ENTERED_ALONE))
        return insert_entered(s, p, h, rec, stale, LT_ENTERED_ALONE);
    if (lt_likely(how == LT_ENTERED_LOCKED))
        return insert_entered(s, p, h, rec, stale, LT_ENTERED_LOCKED);
    return insert_contended(s, p, h, rec, stale);
}

/* A remove whose home group neither holds p nor ends its probe (s
 * entered). Leaves s. */
static __attribute__((noinline)) bool remove_probing(struct stripe *s, const void *p,
                                                     uint64_t h, struct lt_live_rec *out,
                                                     enum lt_entry_mode how)
{
    struct probe found = {.at = -1};
    if (s->cap)
        found = find(s, (uintptr_t)p, h);
    if (found.at >= 0)
        take(s, (uint32_t)found.at, found.group_has_empty, p, out);
    lt_stripe_leave(&s->lock, how);
    return found.at >= 0;
}

static __attribute__((noinline)) bool remove_contended(struct stripe *s, const void *p,
                                                       uint64_t h, struct lt_live_rec *out)
{
    return remove_probing(s, p, h, out, lt_stripe_enter_slowly(&s->lock));
}

/* Most removes find p in its home group. */
static inline __attribute__((always_inline)) bool
remove_entered(struct stripe *s, const void *p, uint64_t h, struct lt_live_rec *out,
               enum lt_entry_mode how)
{
    if (lt_unlikely(!s->cap)) {
        lt_stripe_leave(&s->lock, how);
        return false;
    }
    uint32_t g = home_group(h, s->cap) * GROUP;
    prefetch_quarter(s, g, h, 0);
    const uint8_t *ctrl = s->ctrl + g;
    for (uint32_t m = group_match(ctrl, tag_of(h)); m; m &= m - 1) {
        uint32_t i = g + (uint32_t)__builtin_ctz(m);
        if (lt_likely(s->slots[i].ptr == (uintptr_t)p)) {
            take(s, i, group_match(ctrl, CTRL_EMPTY) != 0, p, out);
            lt_stripe_leave(&s->lock, how);
            return true;
        }
    }
    if (lt_likely(group_match(ctrl, CTRL_EMPTY))) {
        lt_stripe_leave(&s->lock, how);
        return false; /* p's probe ends here */
    }
    return remove_probing(s, p, h, out, how);
}

LT_HOT bool lt_live_remove(const void *p, struct lt_live_rec *out)
{
    uint64_t h = lt_live_hash((uintptr_t)p);
    if (filtering && !lt_live_may_hold(p))
        return false; /* never sampled: no lock taken */
    struct stripe *s = stripe_of((uintptr_t)p, h);
    enum lt_entry_mode how = lt_stripe_enter(&s->lock);
    if (lt_likely(how == LT_ENTERED_ALONE))
        return remove_entered(s, p, h, out, LT_ENTERED_ALONE);
    if (lt_likely(how == LT_ENTERED_LOCKED))
        return remove_entered(s, p, h, out, LT_ENTERED_LOCKED);
    return remove_contended(s, p, h, out);
}

/* --- left out of the writer's copy ---
 *
 * The writer of a single-threaded program's snapshots is a clone of it
 * (writer.c), which the program waits for while the kernel copies its page
 * tables. Those of this table need no copy: 24 of the 112 MiB of a program
 * with 1M live blocks from 100,000 stacks, and the pause went from 5.4 to
 * 3.2 ms (medians of 15 paired runs). The tables touching one another (the
 * kernel maps them next to one another) are marked by one call, not one
 * each: 1,024 calls a way took 2 ms. */
struct span {
    uintptr_t lo, hi;
};
static struct span spans[STRIPES]; /* static: the handler allocates nothing */

static void sift_down(struct span *a, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && a[child + 1].lo > a[child].lo)
            child++;
        if (a[root].lo >= a[child].lo)
            return;
        struct span t = a[root];
        a[root] = a[child];
        a[child] = t;
    }
}

/* Heapsort by start: qsort may allocate, and this runs in a handler. */
static void sort_spans(struct span *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        struct span t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

/* The mapped tables (a stripe's first table is in .bss, and small), sorted. */
static size_t mapped_spans(void)
{
    size_t n = 0;
    for (uint32_t i = 0; i < STRIPES; i++)
        if (stripes[i].cap && stripes[i].slots != first_tables[i].slots)
            spans[n++] = (struct span){(uintptr_t)stripes[i].slots,
                                       (uintptr_t)stripes[i].slots + mapped_bytes(stripes[i].cap)};
    sort_spans(spans, n);
    return n;
}

/* How many of spans[] the last call marked out: the call after marks
 * those back, without collecting and sorting them again. */
static size_t spans_out;

void lt_live_leave_out_of_copies(bool out)
{
    if (out)
        spans_out = mapped_spans();
    int advice = out ? MADV_DONTFORK : MADV_DOFORK;
    for (size_t i = 0, run; i < spans_out; i = run) {
        for (run = i + 1; run < spans_out && spans[run].lo == spans[run - 1].hi; run++) {
        }
        madvise((void *)spans[i].lo, spans[run - 1].hi - spans[i].lo, advice);
    }
    if (!out)
        spans_out = 0;
}

/* The forking thread settles first: were another thread solo, it could
 * change the table during the fork without a lock. */
void lt_live_lock_all(void)
{
    lt_solo_settle();
    for (uint32_t i = 0; i < STRIPES; i++)
        lt_stripe_lock(&stripes[i].lock);
}

void lt_live_unlock_all(void)
{
    for (uint32_t i = 0; i < STRIPES; i++)
        lt_stripe_unlock(&stripes[i].lock);
}

/* The child's one thread: unlocked stripes, and a solo mode to claim
 * again (a membarrier registration is the parent's, not inherited). */
void lt_live_after_fork_child(void)
{
    lt_live_unlock_all();
    lt_solo_reset();
}

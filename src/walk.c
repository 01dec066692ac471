/* The fast stack walk: each frame stepped with its CFA rule, cached per
 * return address (cfi.c), and no lock. Any frame it cannot follow exactly
 * (no simple rule, a signal frame, a stack outside the thread's bounds)
 * makes it give up, and stack.c asks libunwind instead.
 *
 * A walk that finds every rule in the cache takes no lock, so it needs no
 * protection from fork; what takes locks (reading a rule with libdw, asking
 * pthread_getattr_np for the stack's bounds) runs inside the capture gate
 * (trigger.h).
 *
 * Cost (callgrind): a frame stepped takes about 50 instructions (the cache
 * lookup, the rule, the bounds checks, the stack hash's step; libunwind's
 * unw_backtrace spends about 90), a frame replayed from the thread's base
 * (below) about 15 with its check: on perl, about 420 a capture for some 4
 * frames stepped and 6 replayed (540 when all 10 were stepped). The walk
 * starts at the hook's frame when the hook passes it (the heap hooks do),
 * so the tracer's frames above it cost nothing; its frames further down (a
 * descriptor hook whose real call allocates) cost about 25 each, stepped by
 * frame pointer once the CFI has confirmed that rule for the return
 * address.
 *
 * A thread's stacks mostly share their outer frames (main and the libc
 * start-up under it, a thread's start routine, an event loop). The walk
 * records them once, as a "base" (below), and a later walk that reaches the
 * base's first frame in the same state replays it after checking the stack
 * words its steps read. Recording is rare (a base is kept while walks join
 * it), which is what an earlier per-thread memo of every walk got wrong:
 * recording each walk for the next one cost about what replaying saved
 * (perl +25% in the walk).
 *
 * A stack to be interned (the heap hooks') needs its id, not its frames.
 * Two memos per thread give it sooner (below): a path from the hook's
 * caller to the base, whose stack words are checked as the base's are,
 * gives the id without a frame stepped (lt_walk_known; perl: 99% of
 * captures, about 180 instructions with the lookup of the path among its
 * set's and some 11 words checked); else a walk that joins the base after
 * stepping frames the base's memo knows needs neither the replay nor the
 * table's lookup. Perl's captures: 420 instructions each before either,
 * about 190 on average with both.
 */
#define _GNU_SOURCE
#include "walk.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "cancel.h"
#include "cfi.h"
#include "guard.h"
#include "sandbox.h"
#include "stack.h"
#include "trigger.h"

static uintptr_t own_lo, own_len;

/* The running thread's stack, [lo, hi): every read of the walk is bounded
 * by it. hi == 1 marks a thread whose bounds are unknown. */
static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));
__thread int lt_walk_in_getattr __attribute__((tls_model("initial-exec")));
__thread bool lt_walk_joined __attribute__((tls_model("initial-exec")));

/* Return addresses inside the tracer whose frame has the frame-pointer rule
 * (checked against the CFI once, then remembered here): the walk steps over
 * them with two loads instead of a rule lookup. The tracer is built with
 * frame pointers, but a few functions (crt code, shrink-wrapped fast paths)
 * are not, hence the check. Direct-mapped: a collision costs a lookup. */
#define OWN_FP_SLOTS 256
static _Atomic uintptr_t own_fp_frames[OWN_FP_SLOTS];
static uint64_t frame_pointer_rule; /* CFA = rbp + 16, rbp saved at CFA - 16 */

static inline unsigned own_slot(uintptr_t ip)
{
    return (unsigned)(ip ^ ip >> 8) % OWN_FP_SLOTS;
}

static void memos_init(void);

void lt_walk_init(uintptr_t own_start, uintptr_t own_end)
{
    lt_cfi_init();
    memos_init();
    own_lo = own_start;
    own_len = own_end - own_start;
    frame_pointer_rule = lt_cfi_pack((struct lt_frame_rule){
        .kind = LT_RULE_STEP, .cfa_from_rbp = true, .cfa_offset = 16, .rbp_saved = true,
        .rbp_offset = -16});
}

/* The main thread's stack as the walk bounds it: with `ulimit -s
 * unlimited` glibc reports it as reaching down to the mapping below it
 * (44 TB, the heap's end included), and a walk that started on a stack
 * made in that range (a coroutine's, on the heap) would have read the
 * unmapped gap above it. A stack deeper than this is libunwind's. */
#define MAIN_STACK_MAX ((size_t)1 << 30)

static void learn_stack_bounds(void)
{
    pthread_attr_t attr;
    void *base;
    size_t size;
    stack_hi = 1;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &base, &size) == 0) {
        stack_hi = (uintptr_t)base + size;
        if (size > MAIN_STACK_MAX && getpid() == gettid())
            size = MAIN_STACK_MAX; /* its top, where the stack is */
        stack_lo = stack_hi - size;
    }
    pthread_attr_destroy(&attr);
}

/* A return address seen for the first time: its packed rule, read under
 * the capture gate, or RULE_REFUSED while a fork is being prepared (a packed
 * rule is never all ones: kind 3 does not exist). Out of line, so that the
 * walk's loop keeps its registers. */
#define RULE_REFUSED UINT64_MAX

static __attribute__((noinline, cold)) uint64_t rule_on_miss(uintptr_t ip)
{
    if (!lt_capture_gate_enter())
        return RULE_REFUSED;
    uint64_t w = lt_cfi_pack(lt_cfi_rule(ip - 1));
    lt_capture_gate_leave();
    if (w == frame_pointer_rule && ip - own_lo < own_len)
        atomic_store_explicit(&own_fp_frames[own_slot(ip)], ip, memory_order_relaxed);
    return w;
}

/* On the alternate signal stack, where a handler of the program runs: a
 * walk started there is outside the thread's stack. */
static bool on_alternate_stack(stack_t *ss)
{
    return sigaltstack(NULL, ss) == 0 && (ss->ss_flags & SS_ONSTACK);
}

/* The base: the outer part of the thread's last recorded stack, from the
 * frame where a walk joins it (its ip, sp and, when a replayed step reads it
 * before reloading it, bp) to the end of the stack. The walk from a frame is
 * a function of that state, the words it reads from the stack and the rules
 * of its return addresses: so a walk in the same state, finding the same
 * words at the same places, under the same rule generation, would find the
 * same frames, which are replayed instead. The base is per thread (no lock,
 * and a hook never nests on its thread), so is the stack it describes.
 *
 * How many outer frames it takes (goal) adapts: a walk that misses it
 * re-records it, no longer than what the two stacks share at their ends;
 * every GROW_AFTER joins it tries one frame more. A try that a walk soon
 * misses doubles the joins before the next (up to GROW_AFTER <<
 * GROW_BACKOFF_MAX); one that holds halves them: every base recorded
 * makes the paths (below) of the one before useless, and on perl the tries
 * that failed, each undone by the next walk that missed, caused more than
 * half of the walks (13,117 on 4,000 lines, 5,469 with the backoff; 1,165
 * bases recorded, 31 with it). A thread whose
 * stacks share too little (BASE_MAX_MISSES recordings, none joined)
 * pauses for BASE_REST walks. */
#define BASE_FRAMES 24
#define BASE_WORDS 48
_Static_assert(BASE_WORDS % 4 == 0, "pad_checks pads the base's words to a multiple of 4");
#define BASE_MIN_GOAL 2
#define GROW_AFTER 1024
#define GROW_BACKOFF_MAX 10
#define BASE_MAX_MISSES 32
#define BASE_REST 65535

struct base {
    uintptr_t sp, ip, bp; /* the join state; sp 0: no base */
    uint32_t generation;  /* lt_cfi_generation when recorded */
    bool bp_needed;
    uint8_t frames_n, words_n;
    uint8_t checks_n;     /* words_n padded to a multiple of 4 (pad_checks) */
    uint8_t goal;         /* frames the next base is to take (0: as many as it can) */
    uint8_t misses;       /* recordings since the last join */
    uint8_t grow_backoff; /* the next try waits GROW_AFTER << grow_backoff joins */
    bool grown;           /* this base is a try of one frame more */
    uint32_t joins;       /* since the last recording */
    uint16_t rest;        /* walks to go before recording again */
    uint32_t word_at[BASE_WORDS]; /* offsets from sp */
    uintptr_t word[BASE_WORDS];
    uintptr_t frames[BASE_FRAMES];
    uint64_t hash_mult, hash_add; /* the frames fold h into h * mult + add */
    uint64_t epoch;               /* bumped each time a base is made: memo entries and paths name it */
};

static __thread struct base thread_base __attribute__((tls_model("initial-exec")));

/* The base's memo: the ids of stacks whose walks joined the base, by the
 * frames stepped before the join (the "top", at most MEMO_TOP). Such a
 * stack is its top and the base's frames, so a walk that joins the same
 * base after stepping the same top has the same stack: its id comes from
 * here, without the replay or the stack table's lookup, each a pass over
 * every frame (callgrind, the storm's 26 frames: about 340 instructions a
 * malloc). Direct-mapped by the top's hash; an entry made for an earlier
 * base is told by that base's epoch (64 bits: never wraps). The memo is
 * per thread, as the base is (in the thread's mapped memos, below). */
#define MEMO_SLOTS 32
#define MEMO_TOP 5

struct memo_entry {
    uint64_t h;     /* the top's hash (from LT_STACK_HASH_SEED) */
    uint64_t epoch; /* the base's; 0: empty */
    uint32_t id;
    uint32_t shape; /* memo_shape(): the top's length, the tag, the walk's max */
    uintptr_t top[MEMO_TOP];
};

/* What else makes the stack: the top's n frames (the walk truncates at max). */
static inline uint32_t memo_shape(unsigned n, int max, unsigned tag)
{
    return (uint32_t)n | (uint32_t)tag << 8 | (uint32_t)max << 16;
}

/* The last memo walk joined the base with a top the memo lacks: what
 * lt_walk_memo_keep needs to remember its id. */
static __thread struct {
    uint64_t h, epoch; /* epoch 0: none */
    uint16_t max;
    uint8_t n;
} memo_pending __attribute__((tls_model("initial-exec")));

static inline struct memo_entry *memo_slot(struct memo_entry *memo, uint64_t h)
{
    return &memo[h >> (64 - 5)];
}
_Static_assert(MEMO_SLOTS == 1 << 5, "memo_slot takes the hash's top 5 bits");

/* The id of the stack of `top` (n frames, hash h) and the base, or 0. */
static inline uint32_t memo_find(struct memo_entry *memo, const struct base *b,
                                 const uintptr_t *top, unsigned n, uint64_t h, int max,
                                 unsigned tag)
{
    const struct memo_entry *e = memo_slot(memo, h);
    if (e->h != h || e->epoch != b->epoch || e->shape != memo_shape(n, max, tag))
        return 0;
    for (unsigned i = 0; i < n; i++)
        if (e->top[i] != top[i])
            return 0;
    return e->id;
}

/* The n words a recorded walk's steps read, at offsets from sp, are what
 * they were. Every offset was in [sp, hi) when recorded, and this thread's
 * bounds do not change. Four words at a time (n a multiple of 4,
 * pad_checks): one branch for four. A loop over the words mispredicted its
 * exit on a third of perl's captures, the count varying from path to path,
 * and took 7 instructions a word: the storm's base (some 45 words, two a
 * frame built with frame pointers) cost 315 a capture that way, and its
 * malloc+free 88 instructions more than now (callgrind). */
static inline bool checks_hold(uintptr_t sp, const uint32_t *at, const uintptr_t *word, unsigned n)
{
    for (const uint32_t *end = at + n; at < end; at += 4, word += 4) {
        uintptr_t differ = (*(const uintptr_t *)(sp + at[0]) ^ word[0]) |
                           (*(const uintptr_t *)(sp + at[1]) ^ word[1]) |
                           (*(const uintptr_t *)(sp + at[2]) ^ word[2]) |
                           (*(const uintptr_t *)(sp + at[3]) ^ word[3]);
        if (differ)
            return false;
    }
    return true;
}

/* Pads n recorded words to a multiple of 4 with copies of the last (there
 * is room: the arrays' sizes are multiples of 4); returns the count. */
static unsigned pad_checks(uint32_t *at, uintptr_t *word, unsigned n)
{
    for (; n % 4 && n > 0; n++) {
        at[n] = at[n - 1];
        word[n] = word[n - 1];
    }
    return n;
}

static inline bool base_holds(const struct base *b)
{
    return checks_hold(b->sp, b->word_at, b->word, b->checks_n);
}

/* Appends the base's frames at out (as many as fit before end), folding
 * them into *h. */
static inline uintptr_t *replay(const struct base *b, uintptr_t *out, uintptr_t *end, uint64_t *h)
{
    if (lt_likely(b->frames_n <= end - out)) {
        for (unsigned i = 0; i < b->frames_n; i++)
            out[i] = b->frames[i];
        *h = *h * b->hash_mult + b->hash_add;
        return out + b->frames_n;
    }
    for (unsigned i = 0; out < end; i++) {
        *out++ = b->frames[i];
        *h = lt_stack_hash_step(*h, b->frames[i]);
    }
    return out;
}

/* Filled by a recording walk from the frame numbered join_index (0: the
 * first the walk returns) on: the words its steps read, as offsets from the
 * sp there, into a base's or a path's arrays. */
struct recorder {
    uint32_t *word_at;
    uintptr_t *word;
    uint8_t *words_n;
    unsigned words_cap;
    bool *bp_needed; /* set when bp is read before the walk reloads it */
    int join_index;
    uintptr_t sp, ip, bp; /* the state there, published when the record is whole */
    bool joined;          /* the walk is at or past the join frame */
    bool bp_known;        /* bp has been reloaded since */
    bool overflow;
    bool bp_word_pending; /* the word bp was last reloaded from, not yet needed */
    uintptr_t bp_word_at;
};

/* A recorder into a base's or a path's word arrays (cap of them), emptied. */
static inline struct recorder recorder_into(uint32_t *word_at, uintptr_t *word, uint8_t *words_n,
                                            unsigned cap, bool *bp_needed)
{
    *words_n = 0;
    *bp_needed = false;
    return (struct recorder){.word_at = word_at, .word = word, .words_n = words_n,
                             .words_cap = cap, .bp_needed = bp_needed};
}

static void keep_word(struct recorder *rec, uintptr_t at, uintptr_t v)
{
    if (*rec->words_n == rec->words_cap || at - rec->sp > UINT32_MAX) {
        rec->overflow = true;
        return;
    }
    rec->word_at[*rec->words_n] = (uint32_t)(at - rec->sp);
    rec->word[(*rec->words_n)++] = v;
}

/* A word a step reads for the return address. */
static inline uintptr_t read_word(struct recorder *rec, uintptr_t at)
{
    uintptr_t v = *(const uintptr_t *)at;
    if (rec && rec->joined)
        keep_word(rec, at, v);
    return v;
}

/* A word a step reloads bp from: it matters only if bp is read before the
 * next reload (most frames of code without frame pointers save rbp as any
 * other register, and no rule reads it), so it is kept only then. */
static inline uintptr_t read_bp_word(struct recorder *rec, uintptr_t at)
{
    if (rec && rec->joined) {
        rec->bp_known = true;
        rec->bp_word_pending = true;
        rec->bp_word_at = at;
    }
    return *(const uintptr_t *)at;
}

static inline void note_bp_read(struct recorder *rec, uintptr_t bp)
{
    if (!rec || !rec->joined)
        return;
    if (!rec->bp_known)
        *rec->bp_needed = true;
    if (rec->bp_word_pending) {
        keep_word(rec, rec->bp_word_at, bp);
        rec->bp_word_pending = false;
    }
}

/* Paths: how walks from a given start reach the base. A walk is a function
 * of its start state (the hook's caller's ip, sp and, when a step reads it
 * first, bp), the words its steps read and the rules; so a walk from the
 * same start, finding the same words, steps the same frames to the same
 * join with the base: a path records those words and the stack's id, and a
 * capture whose start, path words and base words are all as recorded takes
 * the id without stepping a frame (perl: 99% of captures; redis-server:
 * 99.5%, 69% before paths took 28 words). Per thread; a set of PATH_WAYS
 * by the start, as one start often has several paths (a malloc wrapper's,
 * one a caller at that depth), told apart by their words: more than that
 * in turn from one start push each other out. Recorded by the walk that
 * missed (its reads, a few instructions each), valid for the base's epoch. */
#define PATH_SETS 8
#define PATH_WAYS 4
/* A path's walk reads a word a frame (the return address), two where the
 * next rule reads rbp: 28 words take redis-server's paths (the longest it
 * recorded under redis-benchmark read 27; its stacks average 16 frames),
 * 14 frames of code built with frame pointers. With 10, 31% of its
 * captures found no path (their walks read more) and were walked to their
 * end. */
#define PATH_WORDS 28 /* read by the walk from the start to the join */
#define PATH_CHECKS 32 /* and the base's words, when they fit: checked as one */
_Static_assert(PATH_CHECKS % 4 == 0 && PATH_WORDS <= PATH_CHECKS,
               "path_checks pads the words to a multiple of 4 within PATH_CHECKS");

struct path {
    uintptr_t sp, ip, bp; /* the start; sp 0: none, or being recorded */
    uint64_t epoch;       /* the base's */
    uint32_t id;
    uint32_t shape; /* memo_shape(0, max, tag) */
    bool bp_needed;
    bool base_in;     /* the base's words are among the checks */
    uint8_t words_n;  /* the path's own words */
    uint8_t checks_n; /* words to check: a multiple of 4 (path_checks) */
    uint32_t word_at[PATH_CHECKS]; /* offsets from sp */
    uintptr_t word[PATH_CHECKS];
};

/* A thread's memo and paths, 16 KiB: mapped at its first capture, not in
 * its TLS, which glibc carves out of the thread's stack (a program's thread
 * made with a 16 KiB stack would have lost half of it). Unmapped when the
 * thread ends (a key's destructor); MEMOS_NONE after that, or when it
 * cannot be mapped. */
struct memos {
    struct memo_entry memo[MEMO_SLOTS];
    struct {
        struct path way[PATH_WAYS];
        unsigned next; /* the way the next recording takes */
    } paths[PATH_SETS];
};

#define MEMOS_NONE ((struct memos *)1)
static __thread struct memos *thread_memos __attribute__((tls_model("initial-exec")));
static pthread_key_t memos_key;
static bool memos_key_made;

static void memos_unmap(void *m)
{
    thread_memos = MEMOS_NONE;
    if (m)
        munmap(m, sizeof(struct memos));
}

static void memos_init(void)
{
    memos_key_made = pthread_key_create(&memos_key, memos_unmap) == 0;
}

/* The running thread's memos, mapped now if need be; NULL when it has none. */
static struct memos *my_memos(void)
{
    struct memos *m = thread_memos;
    if (lt_likely(m != NULL))
        return m == MEMOS_NONE ? NULL : m;
    thread_memos = MEMOS_NONE;
    if (!memos_key_made || !lt_may_syscall())
        return NULL;
    m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (pthread_setspecific(memos_key, m) != 0) {
        munmap(m, sizeof *m);
        return NULL;
    }
    thread_memos = m;
    return m;
}

static inline unsigned path_set(uintptr_t ip, uintptr_t sp)
{
    return (unsigned)(((ip ^ sp) * LT_STACK_HASH_K) >> (64 - 3));
}
_Static_assert(PATH_SETS == 1 << 3, "path_set takes the top 3 bits");

/* The id of the stack from this start, if a path from it and the base are
 * as recorded; 0 else. */
static inline __attribute__((always_inline)) uint32_t
path_find(const struct memos *m, unsigned set, const struct base *b, uintptr_t ip, uintptr_t sp,
          uintptr_t bp, uint32_t shape)
{
    if (b->sp == 0)
        return 0;
    for (unsigned i = 0; i < PATH_WAYS; i++) {
        const struct path *p = &m->paths[set].way[i];
        if (p->sp != sp || p->ip != ip || p->epoch != b->epoch || p->shape != shape ||
            (p->bp_needed && p->bp != bp))
            continue;
        if (checks_hold(sp, p->word_at, p->word, p->checks_n))
            return p->base_in || base_holds(b) ? p->id : 0;
    }
    return 0;
}

/* A recorder for a path from this start, into a way of its set. */
static inline struct recorder path_recorder(struct path *p, uintptr_t ip, uintptr_t sp,
                                            uintptr_t bp)
{
    p->sp = 0;
    p->ip = ip;
    p->bp = bp;
    struct recorder rec =
        recorder_into(p->word_at, p->word, &p->words_n, PATH_WORDS, &p->bp_needed);
    rec.join_index = -1; /* recording from the start */
    rec.joined = true;
    rec.ip = ip;
    rec.sp = sp;
    rec.bp = bp;
    return rec;
}

/* How a walk ended, for the base's bookkeeping. */
enum walk_end {
    END_FAILED,    /* gave up, or returned early: says nothing of the base */
    END_TRUNCATED, /* max frames reached first */
    END_NATURAL,   /* the stack's end, without the base */
    END_JOINED,    /* through the base */
    END_KNOWN,     /* through the base, to a stack the memo knows: frames not replayed */
};

/* How a walk goes: `partial`: a frame it cannot follow ends the stack there
 * instead of failing; `read_rules`: a rule not cached yet is read (else the
 * frame cannot be followed); `join`: the thread's base, joined when met;
 * `rec`: the base being recorded. Constants at every call, so that each
 * walk compiles to a loop with only what it needs. */
struct walk_mode {
    bool partial, read_rules;
    struct base *join;
    struct recorder *rec;
    struct memos *memo; /* look the stack up in its memo when the walk joins */
    bool memo_verify; /* and replay it anyway (LEAKTRACE_UNWIND_CHECK) */
    unsigned tag;
    uint32_t *memo_id; /* what the memo knew, or 0 */
};

/* Where a walk starts: the caller of the frame at fp. The tracer keeps
 * frame pointers: a frame holds the caller's rbp, then the return address;
 * the caller's sp is just above. */
struct walk_start {
    uintptr_t ip, sp, bp;
};

static inline struct walk_start start_at(const uintptr_t *fp)
{
    return (struct walk_start){.ip = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0]};
}

/* A memo walk has joined the base after stepping frames[0..out): the
 * memo's id for the stack into *mode.memo_id, true when known; else what
 * lt_walk_memo_keep will need to remember it. */
static inline bool join_memo(const struct base *b, const uintptr_t *frames, const uintptr_t *out,
                             uint64_t h, int max, struct walk_mode mode)
{
    unsigned n = (unsigned)(out - frames);
    memo_pending.epoch = 0;
    if (n > MEMO_TOP)
        return false;
    *mode.memo_id = memo_find(mode.memo->memo, b, frames, n, h, max, mode.tag);
    if (*mode.memo_id)
        return true;
    memo_pending.h = h;
    memo_pending.epoch = b->epoch;
    memo_pending.max = (uint16_t)max;
    memo_pending.n = (uint8_t)n;
    return false;
}

/* The walk proper, every read bounded by [lo, hi). A frame it cannot follow
 * makes it give up (-1), or, when partial, end the stack there. Our own
 * frames, at the top or further down, are left out: a descriptor hook calls
 * the real fopen, which allocates. */
static inline __attribute__((always_inline)) int
walk_between(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame,
             const struct lt_cfi_slot *cache, uintptr_t lo, uintptr_t hi, struct walk_mode mode,
             enum walk_end *how)
{
    struct recorder *const rec = mode.rec;
    struct walk_start start = start_at(hook_frame ? hook_frame : __builtin_frame_address(0));
    uintptr_t ip = start.ip, sp = start.sp, bp = start.bp;
    *how = END_FAILED;
    if (sp < lo || sp >= hi)
        return LT_WALK_FOREIGN;
    uintptr_t *out = frames, *const end = frames + max;
    uint64_t h = LT_STACK_HASH_SEED;
    /* Locals, not the globals: a store through `out` could alias those, and
     * the compiler would read them again on every frame. */
    const uintptr_t own_start = own_lo, own_size = own_len;
    uint32_t generation = atomic_load_explicit(&lt_cfi_generation, memory_order_acquire);
    /* Frames lie at rising sp: past the base's sp, the walk cannot meet it. */
    uintptr_t join_sp = UINTPTR_MAX;
    if (mode.join && mode.join->sp && mode.join->generation == generation)
        join_sp = mode.join->sp;
    for (;;) {
        if (mode.join && lt_unlikely(sp >= join_sp)) {
            const struct base *b = mode.join;
            if (rec && sp == join_sp && ip == b->ip && b->bp_needed)
                note_bp_read(rec, bp); /* a path to the base depends on bp there */
            if (sp == join_sp && ip == b->ip && (!b->bp_needed || bp == b->bp) && base_holds(b)) {
                if (mode.memo && join_memo(b, frames, out, h, max, mode) && !mode.memo_verify) {
                    *how = END_KNOWN;
                    goto done;
                }
                out = replay(b, out, end, &h);
                *how = END_JOINED;
                goto done;
            }
            join_sp = UINTPTR_MAX;
        }
        if (rec && !rec->joined && out - frames == rec->join_index) {
            rec->joined = true;
            rec->ip = ip;
            rec->sp = sp;
            rec->bp = bp;
        }
        if (ip - own_start >= own_size) { /* one unsigned compare: not ours */
            *out++ = ip;
            h = lt_stack_hash_step(h, ip);
            if (out == end) {
                *how = END_TRUNCATED;
                goto done;
            }
        } else if (atomic_load_explicit(&own_fp_frames[own_slot(ip)], memory_order_relaxed) == ip) {
            /* CFA = rbp + 16, the caller's rbp at rbp, the return address above */
            note_bp_read(rec, bp);
            if (bp < sp || bp > hi - 16) /* the frame's two words inside [sp, hi) */
                goto unfollowable;
            ip = read_word(rec, bp + 8);
            sp = bp + 16;
            bp = read_bp_word(rec, bp);
            if (ip == 0)
                break;
            continue;
        }
        uint64_t w = lt_cfi_cached(cache, ip - 1);
        if (lt_unlikely(LT_CFI_KIND(w) != LT_RULE_STEP)) { /* a miss (0) is not a step */
            if (w == 0 && !mode.read_rules)
                goto unfollowable;
            if (w == 0)
                w = rule_on_miss(ip);
            if (w == RULE_REFUSED)
                return LT_WALK_REFUSED;
            if (LT_CFI_KIND(w) == LT_RULE_OUTERMOST)
                break;
            if (LT_CFI_KIND(w) != LT_RULE_STEP)
                goto unfollowable;
        }
        if (LT_CFI_FROM_RBP(w))
            note_bp_read(rec, bp);
        uintptr_t cfa = (LT_CFI_FROM_RBP(w) ? bp : sp) + (uintptr_t)LT_CFI_CFA_OFFSET(w);
        if (cfa < sp + 8 || cfa > hi) /* callers' frames lie above, inside the stack */
            goto unfollowable;
        if (LT_CFI_RBP_SAVED(w)) {
            /* at <= cfa - 8 <= hi - 8: a packed rule saves rbp below the CFA */
            uintptr_t at = cfa + (uintptr_t)LT_CFI_RBP_OFFSET(w);
            if (at < sp)
                goto unfollowable;
            bp = read_bp_word(rec, at);
        }
        ip = read_word(rec, cfa - 8);
        sp = cfa;
        if (ip == 0)
            break;
    }
    *how = END_NATURAL; /* the loop breaks at the stack's end */
done:
    if (atomic_load_explicit(&lt_cfi_generation, memory_order_acquire) != generation) {
        *how = END_FAILED;
        return -1; /* a library went away meanwhile: a rule read may be another's */
    }
    *hash = h;
    return (int)(out - frames);
unfollowable:
    if (mode.partial)
        goto done;
    return -1;
}

/* A walk of n frames ended at the stack's end without joining the base:
 * record a new base by walking again, into the same frames (the walk is the
 * same, so it writes what is there). False when the second walk did not
 * find the same stack (a library went away in between): the frames are
 * then not to be trusted. */
static __attribute__((noinline, cold)) bool
record_base(uintptr_t *frames, int max, int n, const void *hook_frame,
            const struct lt_cfi_slot *cache)
{
    struct base *b = &thread_base;
    uint32_t generation = atomic_load_explicit(&lt_cfi_generation, memory_order_acquire);
    unsigned goal = b->goal;
    if (b->sp && b->generation == generation) {
        /* missed: the next base takes less, and no more than both stacks share */
        unsigned shared = lt_shared_outer_frames(frames, (unsigned)n, b->frames, b->frames_n);
        goal = shared < goal ? shared : goal > 0 ? goal - 1 : 0;
        if (b->grown && b->grow_backoff < GROW_BACKOFF_MAX)
            b->grow_backoff++; /* the try failed: wait longer before the next */
        b->grown = false;
    }
    b->sp = 0;
    if (++b->misses > BASE_MAX_MISSES) { /* this thread's stacks share too little */
        b->misses = 0;
        b->rest = BASE_REST;
        return true;
    }
    if (goal < BASE_MIN_GOAL)
        goal = BASE_FRAMES; /* start over from this stack */
    if (goal > (unsigned)n)
        goal = (unsigned)n;
    b->goal = (uint8_t)goal;
    b->joins = 0;
    b->generation = generation;
    struct recorder rec =
        recorder_into(b->word_at, b->word, &b->words_n, BASE_WORDS, &b->bp_needed);
    rec.join_index = n - (int)goal;
    uint64_t hash;
    enum walk_end how;
    int m = walk_between(frames, max, &hash, hook_frame, cache, stack_lo, stack_hi,
                         (struct walk_mode){.read_rules = true, .rec = &rec}, &how);
    if (m != n || how != END_NATURAL)
        return false;
    if (!rec.joined || rec.overflow)
        return true; /* no base this time */
    b->frames_n = (uint8_t)goal;
    b->hash_mult = 1;
    b->hash_add = 0;
    for (unsigned i = 0; i < goal; i++) {
        b->frames[i] = frames[rec.join_index + (int)i];
        b->hash_mult *= LT_STACK_HASH_K;
        b->hash_add = lt_stack_hash_step(b->hash_add, b->frames[i]);
    }
    b->checks_n = (uint8_t)pad_checks(b->word_at, b->word, b->words_n);
    b->ip = rec.ip;
    b->bp = rec.bp;
    b->epoch++;
    b->sp = rec.sp;
    return true;
}

/* The running thread's bounds, unless known or not to be learned now: on an
 * alternate signal stack (pthread_getattr_np needs more stack than one may
 * have), under seccomp (both take system calls: lt_walk_confined instead),
 * inside pthread_getattr_np (it holds the lock it would take again), while
 * a fork is being prepared (LT_WALK_REFUSED). -1: libunwind does this
 * capture. */
static int learn_bounds_once(void)
{
    if (lt_likely(stack_hi != 0))
        return 0;
    if (!lt_may_syscall() || lt_walk_in_getattr)
        return -1;
    stack_t ss;
    if (on_alternate_stack(&ss))
        return LT_WALK_FOREIGN;
    if (!lt_capture_gate_enter())
        return LT_WALK_REFUSED;
    int cancel = lt_cancel_off(); /* /proc/self/maps: cancel.h */
    learn_stack_bounds();
    lt_cancel_restore(cancel);
    lt_capture_gate_leave();
    return 0;
}

bool lt_walk_on_thread_stack(uintptr_t a)
{
    return stack_hi > 1 && a >= stack_lo && a < stack_hi;
}

void lt_walk_learn_bounds(void)
{
    learn_bounds_once();
}

/* Enough joins since the base was recorded: one frame more, which the next
 * walk records. */
static __attribute__((noinline, cold)) void try_growing(struct base *b)
{
    if (b->grown && b->grow_backoff > 0)
        b->grow_backoff--; /* the last try held */
    b->grown = false;
    if (b->goal < BASE_FRAMES) {
        b->goal++;
        b->sp = 0;
        b->grown = true;
    }
}

/* A walk joined the base (or a capture took a path to it): every
 * GROW_AFTER << grow_backoff joins the base tries one frame more. */
static inline void count_join(struct base *b)
{
    if (lt_unlikely(++b->joins == (uint32_t)GROW_AFTER << b->grow_backoff))
        try_growing(b);
    b->misses = 0;
}

/* The walk of the running thread's stack, joining its base, and the base's
 * bookkeeping. Inlined into its two callers, each with its mode. */
static inline __attribute__((always_inline)) int
walk_thread(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame,
            struct walk_mode mode, enum walk_end *how)
{
    *how = END_FAILED;
    if (lt_unlikely(stack_hi == 0)) {
        int why = learn_bounds_once();
        if (why != 0)
            return why;
    }
    const struct lt_cfi_slot *cache = atomic_load_explicit(&lt_cfi_cache, memory_order_acquire);
    if (stack_hi == 1 || !cache)
        return -1;
    struct base *b = &thread_base;
    mode.read_rules = true;
    mode.join = b;
    int n = walk_between(frames, max, hash, hook_frame, cache, stack_lo, stack_hi, mode, how);
    if (lt_unlikely(lt_stack_checking))
        lt_walk_joined = *how == END_JOINED;
    if (*how == END_JOINED || *how == END_KNOWN) {
        count_join(b);
        if (*how == END_KNOWN)
            return LT_WALK_KNOWN;
    } else if (*how == END_NATURAL) {
        if (b->rest)
            b->rest--;
        else if (!record_base(frames, max, n, hook_frame, cache))
            return -1;
    }
    return n;
}

LT_HOT int lt_walk(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame)
{
    enum walk_end how;
    return walk_thread(frames, max, hash, hook_frame, (struct walk_mode){0}, &how);
}

/* The path recorded by the last memo walk that joined the base, waiting
 * for its stack's id (lt_walk_memo_keep). */
static __thread struct {
    struct path *path; /* NULL: none */
    uintptr_t sp;
    uint64_t epoch;
    uint32_t shape;
} path_pending __attribute__((tls_model("initial-exec")));

/* A recorded path's checks: its words, then the base's (at offsets from
 * the path's start) when they fit, padded to a multiple of 4 with copies of
 * the last. */
static void path_checks(struct path *p, uintptr_t sp, const struct base *b)
{
    unsigned n = p->words_n;
    p->base_in = n + b->words_n <= PATH_CHECKS && b->sp >= sp;
    for (unsigned i = 0; p->base_in && i < b->words_n; i++, n++) {
        uintptr_t at = b->sp + b->word_at[i] - sp;
        p->base_in = at <= UINT32_MAX;
        p->word_at[n] = (uint32_t)at;
        p->word[n] = b->word[i];
    }
    if (!p->base_in)
        n = p->words_n;
    p->checks_n = (uint8_t)pad_checks(p->word_at, p->word, n);
}

static void path_publish(uint32_t id)
{
    struct path *p = path_pending.path;
    path_pending.path = NULL;
    if (!p || path_pending.epoch != thread_base.epoch || id == 0)
        return;
    path_checks(p, path_pending.sp, &thread_base);
    p->epoch = path_pending.epoch;
    p->shape = path_pending.shape;
    p->id = id;
    p->sp = path_pending.sp; /* last: the path is whole */
}

/* The id a path from this start gives, under the rules of the base's
 * generation, or 0. */
static inline __attribute__((always_inline)) uint32_t
known_path(const struct memos *m, const struct base *b, struct walk_start start, uint32_t shape)
{
    uint32_t generation = atomic_load_explicit(&lt_cfi_generation, memory_order_acquire);
    if (lt_unlikely(b->generation != generation))
        return 0;
    uint32_t known =
        path_find(m, path_set(start.ip, start.sp), b, start.ip, start.sp, start.bp, shape);
    if (atomic_load_explicit(&lt_cfi_generation, memory_order_acquire) != generation)
        return 0; /* a library went away meanwhile */
    return known;
}

LT_HOT int lt_walk_memo(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame,
                        unsigned tag, uint32_t *id)
{
    *id = 0;
    memo_pending.epoch = 0;
    path_pending.path = NULL;
    struct memos *m = hook_frame ? my_memos() : NULL; /* a path starts at a hook's caller */
    if (!m)
        return lt_walk(frames, max, hash, hook_frame);
    struct walk_start start = start_at(hook_frame);
    uintptr_t ip = start.ip, sp = start.sp, bp = start.bp;
    struct base *b = &thread_base;
    unsigned set = path_set(ip, sp);
    uint32_t shape = memo_shape(0, max, tag);
    /* lt_walk_known found no path (it looks for none under the check, which
     * compares what the path says with the walk) */
    uint32_t known = lt_stack_checking ? known_path(m, b, start, shape) : 0;
    /* Walk, recording the path; with LEAKTRACE_UNWIND_CHECK, to the end
     * whatever the path or the memo knew, for the check to compare. */
    uint32_t memo_id = 0;
    struct path *p = &m->paths[set].way[m->paths[set].next++ % PATH_WAYS];
    struct recorder rec = path_recorder(p, ip, sp, bp);
    enum walk_end how;
    int n = walk_thread(frames, max, hash, hook_frame,
                        (struct walk_mode){.memo = m, .memo_verify = lt_stack_checking,
                                           .tag = tag, .memo_id = &memo_id, .rec = &rec},
                        &how);
    *id = known ? known : memo_id;
    if ((how == END_JOINED || how == END_KNOWN) && !rec.overflow) {
        path_pending.path = p;
        path_pending.sp = sp;
        path_pending.epoch = b->epoch;
        path_pending.shape = shape;
        if (n == LT_WALK_KNOWN)
            path_publish(memo_id);
    }
    return n;
}

LT_HOT uint32_t lt_walk_known(const void *hook_frame, int max, unsigned tag)
{
    struct memos *m = thread_memos;
    if (lt_unlikely((uintptr_t)m <= (uintptr_t)MEMOS_NONE || !hook_frame || lt_stack_checking))
        return 0;
    struct base *b = &thread_base;
    uint32_t known = known_path(m, b, start_at(hook_frame), memo_shape(0, max, tag));
    if (lt_likely(known))
        count_join(b);
    return known;
}

void lt_walk_memo_keep(const uintptr_t *frames, unsigned tag, uint32_t id)
{
    path_publish(id);
    if (memo_pending.epoch == 0 || memo_pending.epoch != thread_base.epoch || id == 0)
        return; /* no join to remember, or the base has changed since */
    struct memo_entry *e = memo_slot(thread_memos->memo, memo_pending.h);
    e->h = memo_pending.h;
    e->epoch = memo_pending.epoch;
    e->id = id;
    e->shape = memo_shape(memo_pending.n, memo_pending.max, tag);
    for (unsigned i = 0; i < memo_pending.n; i++)
        e->top[i] = frames[i];
    memo_pending.epoch = 0;
}

int lt_walk_alternate(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame)
{
    stack_t ss;
    const struct lt_cfi_slot *cache = atomic_load_explicit(&lt_cfi_cache, memory_order_acquire);
    if (!cache || !lt_may_syscall() || !on_alternate_stack(&ss))
        return -1;
    uintptr_t lo = (uintptr_t)ss.ss_sp;
    /* no rule is read there: that takes more stack than such a stack has */
    enum walk_end how;
    return walk_between(frames, max, hash, hook_frame, cache, lo, lo + ss.ss_size,
                        (struct walk_mode){.partial = true}, &how);
}

/* A thread under seccomp whose bounds were never learned (they take system
 * calls) has one bound anyway: glibc puts a thread's descriptor, which
 * pthread_self() points to, at the top of its stack's mapping, with the
 * thread's TLS in between, so all from sp up to it is mapped. Not so for
 * the main thread, whose bounds its first capture learned (the loader and
 * libc allocate on it before any program code runs). A stack in use deeper
 * than CONFINED_MAX_DEPTH, or a descriptor below sp, is not that layout. */
#define CONFINED_MAX_DEPTH (8u << 20)

int lt_walk_confined(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame)
{
    const struct lt_cfi_slot *cache = atomic_load_explicit(&lt_cfi_cache, memory_order_acquire);
    uintptr_t lo = stack_lo, hi = stack_hi;
    if (hi <= 1) {
        lo = (uintptr_t)__builtin_frame_address(0);
        hi = (uintptr_t)pthread_self();
        if (hi <= lo || hi - lo > CONFINED_MAX_DEPTH)
            return 0;
    }
    enum walk_end how;
    int n = cache ? walk_between(frames, max, hash, hook_frame, cache, lo, hi,
                                 (struct walk_mode){.partial = true, .read_rules = true}, &how)
                  : -1;
    return n < 0 ? 0 : n;
}

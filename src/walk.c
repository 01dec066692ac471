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
 * Cost (callgrind): about 540 instructions a capture on perl, some 10
 * program frames at about 50 each (the cache lookup, the rule, the bounds
 * checks, the stack hash's step); libunwind's unw_backtrace spends about 90
 * a frame. The walk starts at the hook's frame when the hook passes it
 * (the heap hooks do), so the tracer's frames above it cost nothing; its
 * frames further down (a descriptor hook whose real call allocates) cost
 * about 25 each, stepped by frame pointer once the CFI has confirmed that
 * rule for the return address.
 *
 * Tried and measured worse (callgrind): a per-thread memo of the last walk,
 * whose frames a new walk replays where it enters a frame at the same sp and
 * ip, checking only the words the old walk read. Recording every walk and
 * checking costs 20-45 instructions a frame, about what it saves at the
 * 10-20 frames real programs have: perl +25% in the walk, the 20-deep storm
 * -7%. */
#define _GNU_SOURCE
#include "walk.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

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

void lt_walk_init(uintptr_t own_start, uintptr_t own_end)
{
    lt_cfi_init();
    own_lo = own_start;
    own_len = own_end - own_start;
    frame_pointer_rule = lt_cfi_pack((struct lt_frame_rule){
        .kind = LT_RULE_STEP, .cfa_from_rbp = true, .cfa_offset = 16, .rbp_saved = true,
        .rbp_offset = -16});
}

static void learn_stack_bounds(void)
{
    pthread_attr_t attr;
    void *base;
    size_t size;
    stack_hi = 1;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &base, &size) == 0) {
        stack_lo = (uintptr_t)base;
        stack_hi = (uintptr_t)base + size;
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

/* The walk proper, every read bounded by [lo, hi). A frame it cannot follow
 * makes it give up (-1), or, when `partial`, end the stack there. A rule
 * not cached yet is read unless !read_rules (the frame then ends a partial
 * stack). Our own frames, at the top or further down, are left out: a
 * descriptor hook calls the real fopen, which allocates. */
static inline __attribute__((always_inline)) int
walk_between(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame,
             const struct lt_cfi_slot *cache, uintptr_t lo, uintptr_t hi, bool partial,
             bool read_rules)
{
    /* The tracer keeps frame pointers: a frame holds the caller's rbp, then
     * the return address; the caller's sp is just above. */
    const uintptr_t *fp = hook_frame ? hook_frame : __builtin_frame_address(0);
    uintptr_t ip = fp[1], sp = (uintptr_t)(fp + 2), bp = fp[0];
    if (sp < lo || sp >= hi)
        return LT_WALK_FOREIGN;
    uintptr_t *out = frames, *const end = frames + max;
    uint64_t h = LT_STACK_HASH_SEED;
    /* Locals, not the globals: a store through `out` could alias those, and
     * the compiler would read them again on every frame. */
    const uintptr_t own_start = own_lo, own_size = own_len;
    uint32_t generation = atomic_load_explicit(&lt_cfi_generation, memory_order_acquire);
    for (;;) {
        if (ip - own_start >= own_size) { /* one unsigned compare: not ours */
            *out++ = ip;
            h = lt_stack_hash_step(h, ip);
            if (out == end)
                break;
        } else if (atomic_load_explicit(&own_fp_frames[own_slot(ip)], memory_order_relaxed) == ip) {
            /* CFA = rbp + 16, the caller's rbp at rbp, the return address above */
            if (bp < sp || bp > hi - 16) /* the frame's two words inside [sp, hi) */
                goto unfollowable;
            const uintptr_t *frame = (const uintptr_t *)bp;
            ip = frame[1];
            sp = bp + 16;
            bp = frame[0];
            if (ip == 0)
                break;
            continue;
        }
        uint64_t w = lt_cfi_cached(cache, ip - 1);
        if (lt_unlikely(LT_CFI_KIND(w) != LT_RULE_STEP)) { /* a miss (0) is not a step */
            if (w == 0 && !read_rules)
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
        uintptr_t cfa = (LT_CFI_FROM_RBP(w) ? bp : sp) + (uintptr_t)LT_CFI_CFA_OFFSET(w);
        if (cfa < sp + 8 || cfa > hi) /* callers' frames lie above, inside the stack */
            goto unfollowable;
        if (LT_CFI_RBP_SAVED(w)) {
            /* at <= cfa - 8 <= hi - 8: a packed rule saves rbp below the CFA */
            uintptr_t at = cfa + (uintptr_t)LT_CFI_RBP_OFFSET(w);
            if (at < sp)
                goto unfollowable;
            bp = *(uintptr_t *)at;
        }
        ip = *(uintptr_t *)(cfa - 8);
        sp = cfa;
        if (ip == 0)
            break;
    }
done:
    if (atomic_load_explicit(&lt_cfi_generation, memory_order_acquire) != generation)
        return -1; /* a library went away meanwhile: a rule read may be another's */
    *hash = h;
    return (int)(out - frames);
unfollowable:
    if (partial)
        goto done;
    return -1;
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
    learn_stack_bounds();
    lt_capture_gate_leave();
    return 0;
}

void lt_walk_learn_bounds(void)
{
    learn_bounds_once();
}

LT_HOT int lt_walk(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame)
{
    if (lt_unlikely(stack_hi == 0)) {
        int why = learn_bounds_once();
        if (why != 0)
            return why;
    }
    const struct lt_cfi_slot *cache = atomic_load_explicit(&lt_cfi_cache, memory_order_acquire);
    if (stack_hi == 1 || !cache)
        return -1;
    return walk_between(frames, max, hash, hook_frame, cache, stack_lo, stack_hi, false, true);
}

int lt_walk_alternate(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame)
{
    stack_t ss;
    const struct lt_cfi_slot *cache = atomic_load_explicit(&lt_cfi_cache, memory_order_acquire);
    if (!cache || !lt_may_syscall() || !on_alternate_stack(&ss))
        return -1;
    uintptr_t lo = (uintptr_t)ss.ss_sp;
    /* no rule is read there: that takes more stack than such a stack has */
    return walk_between(frames, max, hash, hook_frame, cache, lo, lo + ss.ss_size, true, false);
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
    int n = cache ? walk_between(frames, max, hash, hook_frame, cache, lo, hi, true, true) : -1;
    return n < 0 ? 0 : n;
}

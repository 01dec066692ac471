/* Call-stack capture.
 *
 * Fast path: walk the stack ourselves with each frame's CFA rule, cached per
 * return address (cfi.c): about 60 instructions a frame and no lock, where
 * libunwind's unw_backtrace spends about 90 (callgrind, a 20-deep storm).
 * Any frame the fast walk cannot
 * follow exactly (no simple rule, a signal frame, a stack outside the
 * thread's bounds) sends the whole capture to libunwind, so stacks are the
 * same either way; LEAKTRACE_UNWIND_CHECK=1 compares the two on every
 * capture (a test switch). */
#define _GNU_SOURCE
#include "stack.h"

#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "cfi.h"
#include "config.h"
#include "guard.h"
#include "log.h"
#include "trigger.h"

/* Leading frames belong to the hook, the recorder and unw_backtrace itself:
 * at most this many, whatever the compiler inlined. */
#define LT_SKIP_MAX 16
#define RAW_MAX (LT_DEPTH_MAX + LT_SKIP_MAX)

struct addr_range { uintptr_t lo, hi; };
static struct addr_range own_range, unwind_range;
static bool check_unwinder;

/* Return addresses inside the tracer whose frame has the frame-pointer rule
 * (checked against the CFI once, then remembered here): the walk steps over
 * them with two loads instead of a rule lookup. The tracer is built with
 * frame pointers, but a few functions (crt code, shrink-wrapped fast paths)
 * are not, hence the check. Direct-mapped: a collision costs a lookup. */
#define OWN_FP_SLOTS 256
static _Atomic uintptr_t own_fp_frames[OWN_FP_SLOTS];
static uint32_t frame_pointer_rule; /* CFA = rbp + 16, rbp saved at CFA - 16 */

static inline unsigned own_slot(uintptr_t ip)
{
    return (unsigned)(ip ^ ip >> 8) % OWN_FP_SLOTS;
}
static _Atomic unsigned long checked_fast, checked_fallback, checked_mismatch;

/* The running thread's stack, [lo, hi): every read of the fast walk is
 * bounded by it. hi == 1 marks a thread whose bounds are unknown. */
static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));

struct range_query { uintptr_t addr; struct addr_range *out; };

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct range_query *q = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool contains = false;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        if (q->addr >= start && q->addr < end)
            contains = true;
        lo = start < lo ? start : lo;
        hi = end > hi ? end : hi;
    }
    if (!contains)
        return 0;
    q->out->lo = lo;
    q->out->hi = hi;
    return 1;
}

static void range_of(uintptr_t addr, struct addr_range *out)
{
    struct range_query q = {addr, out};
    dl_iterate_phdr(find_object, &q);
}

void lt_stack_init(void)
{
    range_of((uintptr_t)&lt_stack_init, &own_range);
    range_of((uintptr_t)&unw_backtrace, &unwind_range);
    const char *check = getenv("LEAKTRACE_UNWIND_CHECK");
    check_unwinder = check && strcmp(check, "1") == 0;
    frame_pointer_rule = lt_cfi_pack((struct lt_frame_rule){
        .kind = LT_RULE_STEP, .cfa_from_rbp = true, .cfa_offset = 16, .rbp_saved = true,
        .rbp_offset = -16});
}

static bool in_range(const struct addr_range *r, uintptr_t pc)
{
    return pc >= r->lo && pc < r->hi;
}

bool lt_stack_is_own(uintptr_t pc)
{
    return in_range(&own_range, pc);
}

static bool is_tracer_frame(uintptr_t pc)
{
    return in_range(&own_range, pc) || in_range(&unwind_range, pc);
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

/* Fills frames[] with the program's return addresses, innermost first (our
 * own frames, at the top or further down, left out: a descriptor hook calls
 * the real fopen, which allocates); returns the count, or -1 when libunwind
 * must do it. */
static __attribute__((noinline)) int fast_walk(uintptr_t *frames, int max)
{
    if (lt_unlikely(stack_hi == 0))
        learn_stack_bounds();
    uintptr_t *fp = __builtin_frame_address(0); /* this file keeps frame pointers */
    uintptr_t ip = (uintptr_t)__builtin_return_address(0);
    uintptr_t sp = (uintptr_t)(fp + 2), bp = fp[0];
    uintptr_t lo = stack_lo, hi = stack_hi;
    uintptr_t own_lo = own_range.lo, own_len = own_range.hi - own_range.lo;
    if (sp < lo || sp >= hi)
        return -1;
    int n = 0;
    const struct lt_cfi_slot *cache = atomic_load_explicit(&lt_cfi_cache, memory_order_acquire);
    for (;;) {
        if (ip - own_lo >= own_len) { /* one unsigned compare: not ours */
            frames[n++] = ip;
            if (n == max)
                break;
        } else if (atomic_load_explicit(&own_fp_frames[own_slot(ip)], memory_order_relaxed) == ip) {
            /* A tracer frame known to keep the frame pointer: CFA = rbp + 16,
             * the caller's rbp at rbp, the return address above it. */
            if (bp < sp || hi - bp < 16)
                return -1;
            const uintptr_t *frame = (const uintptr_t *)bp;
            ip = frame[1];
            sp = bp + 16;
            bp = frame[0];
            if (ip == 0)
                break;
            continue;
        }
        uint32_t w = cache ? lt_cfi_cached(cache, ip - 1) : 0;
        if (lt_unlikely(w == 0)) {
            w = lt_cfi_pack(lt_cfi_rule(ip - 1));
            cache = atomic_load_explicit(&lt_cfi_cache, memory_order_acquire);
            if (w == frame_pointer_rule && ip - own_lo < own_len)
                atomic_store_explicit(&own_fp_frames[own_slot(ip)], ip, memory_order_relaxed);
        }
        if (LT_CFI_KIND(w) == LT_RULE_OUTERMOST)
            break;
        if (LT_CFI_KIND(w) != LT_RULE_STEP)
            return -1;
        uintptr_t cfa = (LT_CFI_FROM_RBP(w) ? bp : sp) + (intptr_t)LT_CFI_CFA_OFFSET(w);
        if (cfa < sp + 8 || cfa > hi) /* callers' frames lie above, inside the stack */
            return -1;
        if (LT_CFI_RBP_SAVED(w)) {
            uintptr_t at = cfa + (intptr_t)LT_CFI_RBP_OFFSET(w);
            if (at < sp || at + 8 > hi)
                return -1;
            bp = *(uintptr_t *)at;
        }
        ip = *(uintptr_t *)(cfa - 8);
        sp = cfa;
        if (ip == 0)
            break;
    }
    return n;
}

/* Drops the tracer's frames: libunwind's and ours on top, and ours further
 * down too (see fast_walk). */
static int keep_program_frames(const uintptr_t *raw, int n, uintptr_t *frames, int max)
{
    int kept = 0;
    for (int i = 0; i < n && kept < max; i++)
        if (!is_tracer_frame(raw[i]))
            frames[kept++] = raw[i];
    return kept;
}

static int libunwind_capture(uintptr_t *frames, int max)
{
    void *raw[RAW_MAX];
    int want = max + LT_SKIP_MAX < RAW_MAX ? max + LT_SKIP_MAX : RAW_MAX;
    int n = unw_backtrace(raw, want);
    return keep_program_frames((const uintptr_t *)raw, n, frames, max);
}

static void compare_with_libunwind(const uintptr_t *frames, int n, int max)
{
    uintptr_t expected[LT_DEPTH_MAX];
    int m = libunwind_capture(expected, max);
    if (m == n && memcmp(frames, expected, (size_t)n * sizeof *frames) == 0)
        return;
    atomic_fetch_add(&checked_mismatch, 1);
    int i = 0;
    while (i < n && i < m && frames[i] == expected[i])
        i++;
    lt_warn("unwind check: fast walk gave %d frames, libunwind %d; first difference at frame %d "
            "(%#lx vs %#lx)", n, m, i, i < n ? (unsigned long)frames[i] : 0UL,
            i < m ? (unsigned long)expected[i] : 0UL);
}

int lt_stack_capture(uintptr_t *frames, int max)
{
    if (!lt_capture_gate_enter())
        return 0;
    int n = stack_hi == 1 ? -1 : fast_walk(frames, max);
    int kept = n >= 0 ? n : libunwind_capture(frames, max);
    if (lt_unlikely(check_unwinder)) {
        atomic_fetch_add(n >= 0 ? &checked_fast : &checked_fallback, 1);
        if (n >= 0)
            compare_with_libunwind(frames, kept, max);
    }
    lt_capture_gate_leave();
    return kept;
}

__attribute__((destructor)) static void report_unwind_check(void)
{
    if (check_unwinder)
        lt_warn("unwind check: %lu fast captures, %lu by libunwind, %lu mismatches",
                atomic_load(&checked_fast), atomic_load(&checked_fallback),
                atomic_load(&checked_mismatch));
}

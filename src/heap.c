#include "heap.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "guard.h"
#include "resolve.h"
#include "sample_math.h"
#include "stack.h"
#include "stacks.h"

/* Sampling (LEAKTRACE_SAMPLE=R): allocations are sampled as points of a
 * Poisson process with one point every R bytes on average, as Go and
 * jemalloc do. A block of s bytes is sampled with probability 1-exp(-s/R), so
 * it is counted with weight 1/(1-exp(-s/R)): expectations stay exact. */
__thread int64_t lt_bytes_to_next_sample __attribute__((tls_model("initial-exec")));
bool lt_heap_sampling;
static __thread uint64_t sample_rng __attribute__((tls_model("initial-exec")));
static double sample_rate;
static uint64_t process_seed; /* the pid: read once, not on a thread seccomp may confine */

void lt_heap_init(void)
{
    sample_rate = (double)lt_config.sample;
    process_seed = (uint64_t)getpid() << 40;
}

void lt_heap_enable_fast_paths(void)
{
    /* The free hook's fast path does not test for the bootstrap arena's
     * blocks: their granules are in the filter, as a sampled block's are. */
    if (sample_rate != 0)
        lt_live_filter_mark_range(lt_bootstrap_arena, lt_bootstrap_used());
    lt_heap_sampling = sample_rate != 0;
}

static double uniform01(void)
{
    if (!sample_rng) {
        /* Seeded per thread from its TLS address, the time and the pid, so
         * that runs differ even with address randomization off. */
        uint64_t ns = (uint64_t)lt_clock_ns(CLOCK_MONOTONIC);
        sample_rng = ((uintptr_t)&sample_rng ^ ns << 20 ^ ns / 1000000000 ^ process_seed) *
                         0x9E3779B97F4A7C15ull | 1;
    }
    sample_rng ^= sample_rng << 13; /* xorshift64 */
    sample_rng ^= sample_rng >> 7;
    sample_rng ^= sample_rng << 17;
    return ((sample_rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static int64_t next_sample_gap(void)
{
    return (int64_t)(-lt_ln(uniform01()) * sample_rate) + 1;
}

static bool is_sampled(size_t size)
{
    if (sample_rate == 0)
        return true;
    if (lt_bytes_to_next_sample == 0)
        lt_bytes_to_next_sample = next_sample_gap();
    if (lt_bytes_to_next_sample > (int64_t)size) {
        lt_bytes_to_next_sample -= (int64_t)size;
        return false;
    }
    lt_bytes_to_next_sample = next_sample_gap();
    return true;
}

/* What a block counts for: objects in LT_OBJ_ONE units, and bytes. */
struct weight {
    int64_t objects, bytes;
};

static __attribute__((noinline)) struct weight weigh_sampled(size_t size)
{
    double w = 1.0 / lt_one_minus_exp_neg((double)size / sample_rate);
    return (struct weight){(int64_t)(w * LT_OBJ_ONE + 0.5), /* positive: rounded to nearest */
                           (int64_t)(w * (double)size + 0.5)};
}

/* The weight is a function of the size alone, so a free subtracts exactly
 * what the allocation added. Inlined, and returned in registers: exact
 * mode's answer is the size. */
static inline __attribute__((always_inline)) struct weight weigh(size_t size)
{
    if (sample_rate != 0)
        return weigh_sampled(size);
    return (struct weight){LT_OBJ_ONE, (int64_t)size};
}

/* Inlined into the free path, which it ends. */
static inline __attribute__((always_inline)) void count_free(struct lt_live_rec rec)
{
    struct weight w = weigh(rec.size);
    lt_stack_sub_hooked(rec.stack, w.objects, w.bytes);
}

LT_HOT void lt_heap_track(void *p, size_t size, const void *hook_frame)
{
    if (!is_sampled(size))
        return;
    struct lt_live_rec rec = {size, lt_stack_capture_id(lt_config.depth, LT_TAG_HEAP, hook_frame)},
                       stale;
    if (size >= (1ull << LT_LIVE_SIZE_BITS))
        rec.size = (1ull << LT_LIVE_SIZE_BITS) - 1; /* what the table can hold */
    switch (lt_live_insert(p, rec, &stale)) {
    case LT_LIVE_FULL:
        return;
    case LT_LIVE_REPLACED: /* the old block was freed by a path we do not see */
        count_free(stale);
        break;
    case LT_LIVE_ADDED:
        break;
    }
    struct weight w = weigh(rec.size);
    lt_stack_add_hooked(rec.stack, w.objects, w.bytes);
}

LT_HOT void lt_heap_untrack(void *p)
{
    struct lt_live_rec rec;
    if (lt_live_remove(p, &rec))
        count_free(rec);
}

bool lt_heap_detach(void *p, struct lt_live_rec *rec)
{
    return lt_live_remove(p, rec);
}

void lt_heap_reattach(void *p, struct lt_live_rec rec)
{
    struct lt_live_rec stale;
    lt_live_insert(p, rec, &stale);
}

void lt_heap_release(struct lt_live_rec rec)
{
    count_free(rec);
}

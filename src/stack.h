/* Call-stack capture: return addresses of the program, innermost first. */
#ifndef LT_STACK_H
#define LT_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "stacks.h"
#include "walk.h"

/* Finds the address ranges of the tracer and of libunwind, whose frames are
 * cut from the top of every captured stack. */
void lt_stack_init(void);

/* A stack's hash, built frame by frame as the walk finds them (cheaper than
 * a second pass over the frames when it is interned): start from
 * LT_STACK_HASH_SEED, fold every frame in order. One add and one multiply
 * by an odd constant, both invertible: stacks of one depth differing in one
 * frame never collide. Being linear, frames folded in from any h give
 * h * K^n + (what they give from 0): the walk folds a run of frames it
 * knows in advance in one step (walk.c). lt_stacks_intern mixes the high
 * bits down. */
#define LT_STACK_HASH_SEED 0x9E3779B97F4A7C15ull
#define LT_STACK_HASH_K 0xff51afd7ed558ccdull
static inline uint64_t lt_stack_hash_step(uint64_t h, uintptr_t pc)
{
    return (h + pc) * LT_STACK_HASH_K;
}

/* How many frames two stacks (innermost first) share at their outer ends:
 * the walk's base against a new stack, a stack record's tail against the
 * next one interned (stacks.c). */
static inline unsigned lt_shared_outer_frames(const uintptr_t *a, unsigned na,
                                              const uintptr_t *b, unsigned nb)
{
    unsigned n = 0;
    while (n < na && n < nb && a[na - 1 - n] == b[nb - 1 - n])
        n++;
    return n;
}

/* libunwind opens a pipe on its first use (it checks addresses by writing
 * from them) and keeps it for good. Called by the tracer proper, from its
 * constructor (and by a capture that needs libunwind before the constructor
 * ran), so that the pipe is adopted as the tracer's: moved out of the
 * program's numbers. Opened inside a hook's bookkeeping, it would take the
 * program's lowest free numbers (3 and 4). */
void lt_stack_open_fallback(void);

/* True when this thread runs a signal handler (under its signal frame) that
 * interrupted code for which inside(pc) says true, at any depth; libunwind
 * reads the frames. For the exit path: cheap enough only there. */
bool lt_stack_interrupted_in(bool (*inside)(uintptr_t pc));

/* True when pc lies inside libleaktrace.so. */
bool lt_stack_is_own(uintptr_t pc);

/* LEAKTRACE_UNWIND_CHECK=1: every capture also asks libunwind. */
extern bool lt_stack_checking;

/* What the fast walk could not do alone (n: its answer): libunwind, the
 * check, a capture refused during fork. */
int lt_stack_capture_slow(uintptr_t *frames, int max, uint64_t *hash, int n,
                          const void *hook_frame);

/* Fills frames[0..max) with the return addresses of the caller of the
 * interposed function and its callers, and *hash with their hash; hook_frame
 * is the interposed function's __builtin_frame_address(0), or NULL (a walk
 * from here then steps over the tracer's frames). Returns how many (0 while
 * a fork is being prepared). Takes no lock when every frame's rule is
 * cached; the first sight of a return address reads its rule under cfi.c's
 * lock, and libunwind, the fallback, may take the loader's.
 * Inline: the fast walk's answer is most captures' whole story. */
static inline int lt_stack_capture(uintptr_t *frames, int max, uint64_t *hash,
                                   const void *hook_frame)
{
    int n = lt_walk(frames, max, hash, hook_frame);
    if (__builtin_expect(n >= 0 && !lt_stack_checking, 1))
        return n;
    return lt_stack_capture_slow(frames, max, hash, n, hook_frame);
}

/* What lt_stack_capture_id's fast path cannot do alone: as
 * lt_stack_capture_slow, then interning; memo_id is what the memo said
 * (LEAKTRACE_UNWIND_CHECK compares it). */
uint32_t lt_stack_capture_id_slow(uintptr_t *frames, int max, uint64_t hash, int n,
                                  const void *hook_frame, unsigned tag, uint32_t memo_id);

/* The id (lt_stacks_intern) of the caller's stack, for tag: lt_stack_capture
 * and lt_stacks_intern in one, except that a stack the thread's memo knows
 * (walk.c) is neither walked to its end nor looked up in the table. Always
 * inlined: as a function of its own, its call and frame cost the heap hooks
 * about 17 instructions a malloc (perl). */
static inline __attribute__((always_inline)) uint32_t
lt_stack_capture_id(int max, unsigned tag, const void *hook_frame)
{
    uint32_t id = lt_walk_known(hook_frame, max, tag);
    if (__builtin_expect(id != 0, 1))
        return id;
    uintptr_t frames[LT_DEPTH_MAX];
    uint64_t hash;
    int n = lt_walk_memo(frames, max, &hash, hook_frame, tag, &id);
    if (__builtin_expect(n == LT_WALK_KNOWN, 1))
        return id;
    if (__builtin_expect(n >= 0 && !lt_stack_checking, 1)) {
        id = lt_stacks_intern(frames, n, hash, tag);
        lt_walk_memo_keep(frames, tag, id);
        return id;
    }
    return lt_stack_capture_id_slow(frames, max, hash, n, hook_frame, tag, id);
}

#endif

/* The fast stack walk (CFA rules cached per return address), behind
 * lt_stack_capture. */
#ifndef LT_WALK_H
#define LT_WALK_H

#include <stdint.h>

/* Leading frames of the tracer's own, at most (the hook, the recorder, the
 * unwinder), whatever the compiler inlined. */
#define LT_WALK_SKIP_MAX 16

/* [own_start, own_end): the tracer's code, whose frames are walked but not
 * returned. */
void lt_walk_init(uintptr_t own_start, uintptr_t own_end);

/* Fills frames[0..max) with the program's return addresses above the
 * caller, innermost first, and *hash with their hash (lt_stack_hash_step);
 * the walk starts at hook_frame, the frame address (__builtin_frame_address)
 * of a tracer function the program called into, when given: the frames
 * between it and the walk need not be stepped. Returns how many, or -1 when some frame is not
 * one the fast walk follows exactly (libunwind must do it), or
 * LT_WALK_REFUSED when it needed the capture gate while a fork was being
 * prepared (the allocation then goes without a stack). */
#define LT_WALK_REFUSED (-2)
int lt_walk(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame);

#endif

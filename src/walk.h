/* The fast stack walk (CFA rules cached per return address), behind
 * lt_stack_capture. */
#ifndef LT_WALK_H
#define LT_WALK_H

#include <stdbool.h>
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
/* Or LT_WALK_FOREIGN: the walk would start outside the thread's stack (an
 * alternate signal stack, a coroutine's). */
#define LT_WALK_FOREIGN (-3)
int lt_walk(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame);

/* lt_walk for a stack about to be interned with tag, once lt_walk_known
 * (below) has found no path for it: when the thread's base's
 * memo (walk.c) knows its id, returns LT_WALK_KNOWN with the id in *id,
 * frames and hash unset; else as lt_walk (*id 0), and the caller interns
 * the frames and hands the id to lt_walk_memo_keep. With
 * LEAKTRACE_UNWIND_CHECK the frames are always walked, *id being what the
 * memo said, for the check to compare. */
#define LT_WALK_KNOWN (-4)
int lt_walk_memo(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame,
                 unsigned tag, uint32_t *id);
void lt_walk_memo_keep(const uintptr_t *frames, unsigned tag, uint32_t id);

/* Most captures of the heap hooks: the id a recorded path from the hook's
 * caller gives (walk.c), or 0 (then lt_walk_memo). A function of few
 * arguments and no call, so that it keeps its values in registers; 0
 * always with LEAKTRACE_UNWIND_CHECK. */
uint32_t lt_walk_known(const void *hook_frame, int max, unsigned tag);

/* The walk on the alternate signal stack the thread is running on, bounded
 * by it: the frames up to the first it cannot follow (the signal frame, or
 * one whose rule is not cached yet), so a handler's allocations keep at
 * least their handler's frame. Neither libunwind nor the rule reader is
 * asked there: they need more stack than such a stack often has (8 KiB,
 * SIGSTKSZ).
 * -1 when the thread is not on its alternate stack. */
int lt_walk_alternate(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame);

/* Whether the running thread's last fast walk replayed the thread's base
 * of outer frames (walk.c), for LEAKTRACE_UNWIND_CHECK's count (kept only
 * then). */
extern __thread bool lt_walk_joined __attribute__((tls_model("initial-exec")));

/* How deep the running thread is in pthread_getattr_np (hooks_thread.c):
 * the bounds are not learned meanwhile. */
extern __thread int lt_walk_in_getattr __attribute__((tls_model("initial-exec")));
/* True when a lies on the running thread's stack, as far as its bounds
 * are known. */
bool lt_walk_on_thread_stack(uintptr_t a);

/* Resolves the real longjmp family (hooks_jump.c) at start-up. */
void lt_jump_hooks_init(void);

/* Resolves the real pthread_getattr_np (hooks_thread.c) at start-up. */
void lt_walk_hooks_init(void);

/* Learns the running thread's stack bounds now, if not known yet: at
 * start-up and before a seccomp filter, after which it could not. */
void lt_walk_learn_bounds(void);

/* Under seccomp (sandbox.h), where libunwind cannot be asked (it makes
 * system calls): the frames up to the first the walk cannot follow, or none
 * when the thread's stack cannot be bounded without a system call. */
int lt_walk_confined(uintptr_t *frames, int max, uint64_t *hash, const void *hook_frame);

#endif

/* The exported malloc family. Each hook passes straight through when the
 * thread is inside the tracer, else calls the real function and tells
 * heap.c what happened. errno is the real function's, whatever the
 * bookkeeping did. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "heap.h"
#include "init.h"
#include "resolve.h"

/* errno's address, the thread's for its life: read once, not by a call to
 * __errno_location at every hook (it was two calls a malloc+free). */
static __thread int *errno_at __attribute__((tls_model("initial-exec")));

static inline int *thread_errno(void)
{
    int *e = errno_at;
    if (lt_unlikely(!e))
        errno_at = e = &errno;
    return e;
}

/* Records a block the real allocator returned; the guard is held. Inlined,
 * so that the frame it passes on is the hook's: the walk starts there. */
static inline __attribute__((always_inline)) void *tracked(void *p, size_t size)
{
    if (p) {
        int *err = thread_errno(), saved = *err;
        lt_heap_track(p, size, __builtin_frame_address(0));
        *err = saved;
    }
    return p;
}

static LT_HOT __attribute__((noinline)) void *malloc_tracked(size_t n)
{
    if (!lt_hook_enter())
        return lt_raw_malloc(n);
    void *p = tracked(lt_real.malloc(n), n);
    lt_hook_leave();
    return p;
}

/* The sampling fast paths are tail calls to the real functions: the rest,
 * with its guard and bookkeeping, lives in functions of its own. */
LT_EXPORT LT_HOT void *malloc(size_t n)
{
    if (lt_heap_unsampled(n))
        return lt_real.malloc(n); /* sampling mode, not sampled: nothing to record */
    return malloc_tracked(n);
}

static LT_HOT __attribute__((noinline)) void *calloc_tracked(size_t n, size_t m, size_t total)
{
    if (!lt_hook_enter())
        return lt_raw_calloc(n, m);
    void *p = tracked(lt_real.calloc(n, m), total);
    lt_hook_leave();
    return p;
}

LT_EXPORT LT_HOT void *calloc(size_t n, size_t m)
{
    size_t total;
    bool overflow = __builtin_mul_overflow(n, m, &total); /* the real calloc fails then */
    if (lt_heap_sampling && !overflow && lt_heap_unsampled(total))
        return lt_real.calloc(n, m);
    return calloc_tracked(n, m, total);
}

static LT_HOT __attribute__((noinline)) void free_tracked(void *p)
{
    if (!lt_hook_enter()) {
        lt_raw_free(p);
        return;
    }
    int *err = thread_errno(), saved = *err;
    lt_heap_untrack(p); /* first: once freed, another thread may get p back */
    lt_real.free(p);
    *err = saved;
    lt_hook_leave();
}

/* Sampling mode's fast path needs no test for NULL, which the real free
 * takes, nor for the bootstrap arena, whose granules are in the filter
 * (heap.c): 7 instructions fewer a free. */
LT_EXPORT LT_HOT void free(void *p)
{
    if (lt_heap_sampling && !lt_live_may_hold(p)) {
        lt_real.free(p); /* sampling mode, never sampled: nothing to forget */
        return;
    }
    if (!p || lt_bootstrap_owns(p))
        return;
    free_tracked(p);
}

/* A block from the bootstrap arena moves to the real heap on realloc. */
static void *realloc_bootstrap(void *p, size_t n)
{
    if (!lt_hook_enter())
        return lt_raw_realloc(p, n);
    void *q = tracked(lt_raw_realloc(p, n), n);
    lt_hook_leave();
    return q;
}

LT_EXPORT LT_HOT void *realloc(void *p, size_t n)
{
    if (p && lt_bootstrap_owns(p))
        return realloc_bootstrap(p, n);
    /* Sampling mode: neither the old block nor the new one is sampled. */
    if (lt_heap_sampling && (!p || !lt_live_may_hold(p)) && n != 0 && lt_heap_unsampled(n))
        return lt_real.realloc(p, n);
    if (!lt_hook_enter())
        return lt_raw_realloc(p, n);
    struct lt_live_rec old;
    bool had = p && lt_heap_detach(p, &old);
    void *q = lt_real.realloc(p, n);
    int *err = thread_errno(), saved = *err;
    bool old_freed = q != NULL || (p != NULL && n == 0); /* glibc: realloc(p, 0) frees p */
    if (had && old_freed)
        lt_heap_release(old);
    else if (had)
        lt_heap_reattach(p, old);
    if (q)
        lt_heap_track(q, n, __builtin_frame_address(0));
    *err = saved;
    lt_hook_leave();
    return q;
}

LT_EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

LT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (!lt_hook_enter()) {
        if (lt_real.posix_memalign)
            return lt_real.posix_memalign(out, align, n);
        void *p = lt_bootstrap_alloc(n, align);
        return p ? (*out = p, 0) : ENOMEM;
    }
    int rc = lt_real.posix_memalign(out, align, n);
    if (rc == 0)
        tracked(*out, n);
    lt_hook_leave();
    return rc;
}

/* aligned_alloc, memalign, valloc, pvalloc: same shape, different real call. */
#define ALIGNED_HOOK(name, params, args, fallback_align, size)                                     \
    LT_EXPORT void *name params                                                                    \
    {                                                                                              \
        if (!lt_hook_enter())                                                                      \
            return lt_real.name ? lt_real.name args : lt_bootstrap_alloc(size, fallback_align);   \
        void *p = tracked(lt_real.name args, size);                                                \
        lt_hook_leave();                                                                           \
        return p;                                                                                  \
    }

ALIGNED_HOOK(aligned_alloc, (size_t align, size_t n), (align, n), align, n)
ALIGNED_HOOK(memalign, (size_t align, size_t n), (align, n), align, n)
ALIGNED_HOOK(valloc, (size_t n), (n), 4096, n)
ALIGNED_HOOK(pvalloc, (size_t n), (n), 4096, n)

/* Called before the real functions are resolved (a constructor that runs
 * before ours). Out of line, so that malloc_usable_size itself sets up no
 * frame: a program that counts its memory calls it on every allocation and
 * free (redis-server's zmalloc: 1.8 a malloc, 19 instructions a call here
 * before, 11 now). */
static __attribute__((noinline, cold)) size_t usable_size_unresolved(void *p)
{
    lt_resolve_heap();
    return lt_real.malloc_usable_size ? lt_real.malloc_usable_size(p) : 0;
}

LT_EXPORT LT_HOT size_t malloc_usable_size(void *p)
{
    if (p && lt_bootstrap_owns(p))
        return lt_bootstrap_size(p);
    size_t (*real)(void *) = lt_real.malloc_usable_size;
    if (lt_likely(real != NULL))
        return real(p);
    return usable_size_unresolved(p);
}

/* The C++ operator new / delete family, interposed directly: `new` does not
 * always reach malloc through the PLT (static libstdc++, -fno-plt), and the
 * stack must start at the caller of `new`.
 *
 * The block comes from the real malloc (or memalign), as libstdc++'s own
 * operator new does. Only when that fails do we call libstdc++'s operator
 * new, which runs the new-handler loop and throws std::bad_alloc (this file
 * is built with -fexceptions, so the exception passes through us). */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>

#include "heap.h"
#include "init.h"
#include "resolve.h"

/* Tracked allocation for new; NULL on failure, nothing counted. */
static void *new_block(size_t n, size_t align)
{
    if (!lt_hook_enter())
        return align ? lt_raw_memalign(align, n) : lt_raw_malloc(n);
    void *p = align ? lt_real.memalign(align, n) : lt_real.malloc(n);
    if (p)
        lt_heap_track(p, n, __builtin_frame_address(0));
    lt_hook_leave();
    return p;
}

/* libstdc++ may be dlopen'ed after we resolved: look again when needed. */
#define REAL_NEW(field, sym) \
    (lt_real.field ? lt_real.field : (*(void **)&lt_real.field = lt_resolve_next(sym)))

static void *new_failed(size_t n)
{
    void *(*real)(size_t) = REAL_NEW(cxx_new, "_Znwm");
    return real ? real(n) : NULL;
}

static void *new_failed_nothrow(size_t n, const void *tag)
{
    void *(*real)(size_t, const void *) = REAL_NEW(cxx_new_nothrow, "_ZnwmRKSt9nothrow_t");
    return real ? real(n, tag) : NULL;
}

static void *new_aligned_failed(size_t n, size_t align)
{
    void *(*real)(size_t, size_t) = REAL_NEW(cxx_new_aligned, "_ZnwmSt11align_val_t");
    return real ? real(n, align) : NULL;
}

static void *new_aligned_failed_nothrow(size_t n, size_t align, const void *tag)
{
    void *(*real)(size_t, size_t, const void *) =
        REAL_NEW(cxx_new_aligned_nothrow, "_ZnwmSt11align_val_tRKSt9nothrow_t");
    return real ? real(n, align, tag) : NULL;
}

static void *new_throwing(size_t n)
{
    void *p = new_block(n, 0);
    return p ? p : new_failed(n);
}

static void *new_nothrow(size_t n, const void *tag)
{
    void *p = new_block(n, 0);
    return p ? p : new_failed_nothrow(n, tag);
}

static void *new_aligned(size_t n, size_t align)
{
    void *p = new_block(n, align);
    return p ? p : new_aligned_failed(n, align);
}

static void *new_aligned_nothrow(size_t n, size_t align, const void *tag)
{
    void *p = new_block(n, align);
    return p ? p : new_aligned_failed_nothrow(n, align, tag);
}

/* operator new(size_t), new[](size_t) */
LT_EXPORT void *_Znwm(size_t n) { return new_throwing(n); }
LT_EXPORT void *_Znam(size_t n) { return new_throwing(n); }
/* nothrow */
LT_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *t) { return new_nothrow(n, t); }
LT_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *t) { return new_nothrow(n, t); }
/* align_val_t */
LT_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t a) { return new_aligned(n, a); }
LT_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t a) { return new_aligned(n, a); }
LT_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *t)
{
    return new_aligned_nothrow(n, a, t);
}
LT_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *t)
{
    return new_aligned_nothrow(n, a, t);
}

/* Every delete is a free: the size and alignment arguments add nothing. */
LT_EXPORT void _ZdlPv(void *p) { free(p); }
LT_EXPORT void _ZdaPv(void *p) { free(p); }
LT_EXPORT void _ZdlPvm(void *p, size_t n) { (void)n; free(p); }
LT_EXPORT void _ZdaPvm(void *p, size_t n) { (void)n; free(p); }
LT_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, const void *t) { (void)t; free(p); }
LT_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, const void *t) { (void)t; free(p); }
LT_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t a) { (void)a; free(p); }
LT_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t a) { (void)a; free(p); }
LT_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t a) { (void)n; (void)a; free(p); }
LT_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t a) { (void)n; (void)a; free(p); }
LT_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *t)
{
    (void)a; (void)t;
    free(p);
}
LT_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *t)
{
    (void)a; (void)t;
    free(p);
}

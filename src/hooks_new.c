/* The C++ operator new / delete family, interposed directly: `new` does not
 * always reach malloc through the PLT (static libstdc++, -fno-plt), and the
 * stack must start at the caller of `new`.
 *
 * new and delete always pair with the allocator behind the program's own
 * malloc and free (resolve.h), as libstdc++'s do: blocks cross between C
 * and C++ code. Usually that is ours: the block comes from the real malloc
 * (or memalign) and is tracked, and delete is our free. When an allocator
 * loaded before us serves the program's malloc (and lacks operator new, as
 * libc_malloc_debug does), new takes its malloc (or memalign) and
 * delete its free, untracked as the program's other blocks are. Before,
 * new took the real malloc (the one after us, glibc's) and delete's free
 * bound to the first one: free(): invalid pointer.
 *
 * Only when the allocation fails do we call libstdc++'s operator new, which
 * runs the new-handler loop and throws std::bad_alloc (this file is built
 * with -fexceptions, so the exception passes through us). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>

#include "heap.h"
#include "init.h"
#include "resolve.h"

/* Tracked allocation, for our free; NULL on failure, nothing counted. */
static void *tracked_block(size_t n, size_t align)
{
    if (!lt_hook_enter())
        return align ? lt_raw_memalign(align, n) : lt_raw_malloc(n);
    void *p = align ? lt_real.memalign(align, n) : lt_real.malloc(n);
    if (p)
        lt_heap_track(p, n, __builtin_frame_address(0));
    lt_hook_leave();
    return p;
}

/* A block for new from the program's allocator (align 0: malloc's
 * alignment); NULL on failure. */
static void *new_block(size_t n, size_t align)
{
    struct lt_program_heap heap = lt_program_heap();
    if (heap.ours)
        return tracked_block(n, align);
    if (!align)
        return heap.malloc(n);
    return heap.memalign ? heap.memalign(align, n) : NULL;
}

/* Every delete that is ours: the free of the allocator new used. */
static void delete_block(void *p) { lt_program_heap().free(p); }

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

/* A program may replace operator new(size_t) and operator delete(void *)
 * (or their aligned forms) with its own, as the C++ standard allows; the
 * other forms of libstdc++ (array, nothrow, sized) then reach the
 * replacement, because they forward to it. A replacement in the program
 * hides ours from everyone (the executable comes first in symbol lookup),
 * but not our other forms: where a base form is replaced, they are
 * libstdc++'s own, and a block is tracked where the replacement gets it (its
 * malloc). Before, new[] bypassed the program's operator new, and the sized
 * delete freed the program's pointer (with its header offset) directly. */
enum base_form { SCALAR_NEW, ALIGNED_NEW, SCALAR_DELETE, ALIGNED_DELETE, BASE_FORMS };
static bool replaced[BASE_FORMS];

/* The exported forms' bodies, under local names: `&_Znwm` itself would be
 * the program's replacement, taken through the GOT. */
static void *scalar_new(size_t n) { return new_throwing(n); }
static void *aligned_new(size_t n, size_t a) { return new_aligned(n, a); }
static void scalar_delete(void *p) { delete_block(p); }
static void aligned_delete(void *p, size_t a) { (void)a; delete_block(p); }

static bool replaced_elsewhere(const char *name, void *ours)
{
    void *def = dlsym(RTLD_DEFAULT, name);
    return def && def != ours;
}

void lt_new_init(void)
{
    lt_program_heap(); /* known from now on: looked up here, not in a signal handler's new */
    lt_warn_if_heap_bypassed();
    replaced[SCALAR_NEW] = replaced_elsewhere("_Znwm", (void *)scalar_new);
    replaced[ALIGNED_NEW] = replaced_elsewhere("_ZnwmSt11align_val_t", (void *)aligned_new);
    replaced[SCALAR_DELETE] = replaced_elsewhere("_ZdlPv", (void *)scalar_delete);
    replaced[ALIGNED_DELETE] = replaced_elsewhere("_ZdlPvSt11align_val_t", (void *)aligned_delete);
}

/* libstdc++'s own `name`, when `base` is replaced and libstdc++ is loaded;
 * else NULL, and ours does the work. */
#define LIBSTDCXX(base, name, type)                                                                \
    ({                                                                                             \
        static void *_Atomic slot_##name;                                                          \
        (type)(replaced[base] ? lt_resolve_next_once(&slot_##name, #name) : NULL);                 \
    })

/* A form derived from `base`: libstdc++'s when base is replaced, else ours. */
#define DERIVED_NEW(base, name, params, args, ours)                                                \
    LT_EXPORT void *name params                                                                    \
    {                                                                                              \
        void *(*lib) params = LIBSTDCXX(base, name, void *(*) params);                             \
        return lib ? lib args : ours;                                                              \
    }
#define DERIVED_DELETE(base, name, params, args)                                                   \
    LT_EXPORT void name params                                                                     \
    {                                                                                              \
        void (*lib) params = LIBSTDCXX(base, name, void (*) params);                               \
        if (lib)                                                                                   \
            lib args;                                                                              \
        else                                                                                       \
            delete_block(p);                                                                       \
    }

/* The base forms */
LT_EXPORT void *_Znwm(size_t n) __attribute__((alias("scalar_new")));
LT_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t a) __attribute__((alias("aligned_new")));
LT_EXPORT void _ZdlPv(void *p) __attribute__((alias("scalar_delete")));
LT_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t a) __attribute__((alias("aligned_delete")));

/* new[] and nothrow new */
DERIVED_NEW(SCALAR_NEW, _Znam, (size_t n), (n), new_throwing(n))
DERIVED_NEW(SCALAR_NEW, _ZnwmRKSt9nothrow_t, (size_t n, const void *t), (n, t), new_nothrow(n, t))
DERIVED_NEW(SCALAR_NEW, _ZnamRKSt9nothrow_t, (size_t n, const void *t), (n, t), new_nothrow(n, t))
DERIVED_NEW(ALIGNED_NEW, _ZnamSt11align_val_t, (size_t n, size_t a), (n, a), new_aligned(n, a))
DERIVED_NEW(ALIGNED_NEW, _ZnwmSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const void *t),
            (n, a, t), new_aligned_nothrow(n, a, t))
DERIVED_NEW(ALIGNED_NEW, _ZnamSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const void *t),
            (n, a, t), new_aligned_nothrow(n, a, t))

/* Every other delete is the paired free: the size and alignment arguments
 * add nothing (unless the base delete is replaced). */
DERIVED_DELETE(SCALAR_DELETE, _ZdaPv, (void *p), (p))
DERIVED_DELETE(SCALAR_DELETE, _ZdlPvm, (void *p, size_t n), (p, n))
DERIVED_DELETE(SCALAR_DELETE, _ZdaPvm, (void *p, size_t n), (p, n))
DERIVED_DELETE(SCALAR_DELETE, _ZdlPvRKSt9nothrow_t, (void *p, const void *t), (p, t))
DERIVED_DELETE(SCALAR_DELETE, _ZdaPvRKSt9nothrow_t, (void *p, const void *t), (p, t))
DERIVED_DELETE(ALIGNED_DELETE, _ZdaPvSt11align_val_t, (void *p, size_t a), (p, a))
DERIVED_DELETE(ALIGNED_DELETE, _ZdlPvmSt11align_val_t, (void *p, size_t n, size_t a), (p, n, a))
DERIVED_DELETE(ALIGNED_DELETE, _ZdaPvmSt11align_val_t, (void *p, size_t n, size_t a), (p, n, a))
DERIVED_DELETE(ALIGNED_DELETE, _ZdlPvSt11align_val_tRKSt9nothrow_t,
               (void *p, size_t a, const void *t), (p, a, t))
DERIVED_DELETE(ALIGNED_DELETE, _ZdaPvSt11align_val_tRKSt9nothrow_t,
               (void *p, size_t a, const void *t), (p, a, t))

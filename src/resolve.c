/* Resolution of the real functions and the bootstrap arena.
 *
 * dlsym() calls calloc() (for its error buffer) before we know where the
 * real calloc is. Those few allocations are served from a static arena and
 * recognised later by free/realloc/malloc_usable_size, which must never hand
 * them to the real allocator. */
#define _GNU_SOURCE
#include "resolve.h"

#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#include "guard.h"

struct lt_real_heap lt_real;

#define BOOTSTRAP_HEADER 16 /* holds the block size; keeps 16-byte alignment */

_Alignas(64) unsigned char lt_bootstrap_arena[LT_BOOTSTRAP_SIZE];
static size_t bootstrap_used; /* only touched by the initializing thread */

size_t lt_bootstrap_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - BOOTSTRAP_HEADER, sizeof n);
    return n;
}

void *lt_bootstrap_alloc(size_t n, size_t align)
{
    if (align < BOOTSTRAP_HEADER)
        align = BOOTSTRAP_HEADER;
    if (align & (align - 1))
        return NULL;
    size_t start = (bootstrap_used + BOOTSTRAP_HEADER + align - 1) & ~(align - 1);
    if (n > LT_BOOTSTRAP_SIZE || start + n > LT_BOOTSTRAP_SIZE)
        return NULL;
    bootstrap_used = start + n;
    memcpy(lt_bootstrap_arena + start - BOOTSTRAP_HEADER, &n, sizeof n);
    return lt_bootstrap_arena + start; /* static storage: already zeroed */
}

void *lt_resolve_next(const char *name)
{
    bool entered = lt_guard_enter();
    void *fn = dlsym(RTLD_NEXT, name);
    if (entered)
        lt_guard_leave();
    return fn;
}

#define RESOLVE(field, sym) (*(void **)&lt_real.field = lt_resolve_next(sym))

void lt_resolve_heap(void)
{
    if (lt_real.free)
        return;
    RESOLVE(calloc, "calloc");
    RESOLVE(malloc, "malloc");
    RESOLVE(realloc, "realloc");
    RESOLVE(posix_memalign, "posix_memalign");
    RESOLVE(aligned_alloc, "aligned_alloc");
    RESOLVE(memalign, "memalign");
    RESOLVE(valloc, "valloc");
    RESOLVE(pvalloc, "pvalloc");
    RESOLVE(malloc_usable_size, "malloc_usable_size");
    RESOLVE(cxx_new, "_Znwm");
    RESOLVE(cxx_new_nothrow, "_ZnwmRKSt9nothrow_t");
    RESOLVE(cxx_new_aligned, "_ZnwmSt11align_val_t");
    RESOLVE(cxx_new_aligned_nothrow, "_ZnwmSt11align_val_tRKSt9nothrow_t");
    RESOLVE(free, "free"); /* last: its presence marks resolution as done */
}

void *lt_raw_malloc(size_t n)
{
    return lt_real.malloc ? lt_real.malloc(n) : lt_bootstrap_alloc(n, 16);
}

void *lt_raw_calloc(size_t n, size_t m)
{
    if (lt_real.calloc)
        return lt_real.calloc(n, m);
    size_t total;
    if (__builtin_mul_overflow(n, m, &total))
        return NULL;
    return lt_bootstrap_alloc(total, 16);
}

void *lt_raw_memalign(size_t align, size_t n)
{
    return lt_real.memalign ? lt_real.memalign(align, n) : lt_bootstrap_alloc(n, align);
}

void *lt_raw_realloc(void *p, size_t n)
{
    if (p && lt_bootstrap_owns(p)) {
        if (n == 0)
            return NULL; /* glibc's realloc(p, 0) frees p; the arena never reuses it */
        void *q = lt_raw_malloc(n);
        if (q) {
            size_t old = lt_bootstrap_size(p);
            memcpy(q, p, old < n ? old : n);
        }
        return q;
    }
    return lt_real.realloc ? lt_real.realloc(p, n) : NULL;
}

void lt_raw_free(void *p)
{
    if (p && !lt_bootstrap_owns(p) && lt_real.free)
        lt_real.free(p);
}

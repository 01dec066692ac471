/* Resolution of the real functions and the bootstrap arena.
 *
 * dlsym() calls calloc() (for its error buffer) before we know where the
 * real calloc is. Those few allocations are served from a static arena and
 * recognised later by free/realloc/malloc_usable_size, which must never hand
 * them to the real allocator. */
#define _GNU_SOURCE
#include "resolve.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "guard.h"
#include "large.h"
#include "log.h"

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

size_t lt_bootstrap_used(void) { return bootstrap_used; }

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

/* The loaded object that defines the function at fn, or NULL. */
static struct link_map *object_of(void *fn)
{
    Dl_info info;
    struct link_map *map = NULL;
    return fn && dladdr1(fn, &info, (void **)&map, RTLD_DL_LINKMAP) ? map : NULL;
}

static struct link_map *this_library(void) { return object_of((void *)&object_of); }

/* Where the object comes in the search order of the program's symbols: the
 * loader's list starts with the executable, then LD_PRELOAD in order, then
 * the libraries they need. */
static int search_position(struct link_map *map)
{
    int position = 0;
    for (; map && map->l_prev; map = map->l_prev)
        position++;
    return map ? position : INT_MAX;
}

/* The version that glibc gives malloc, free and memalign: its first on the
 * architecture. The program's references to them carry it. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define GLIBC_FIRST_VERSION "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define GLIBC_FIRST_VERSION "GLIBC_2.17"
#elif defined(__i386__)
#define GLIBC_FIRST_VERSION "GLIBC_2.0"
#endif

/* The definition of `name` that the program's own calls reach. A reference
 * with a version binds to the first object that defines the name either
 * without a version (ours, jemalloc's: dlsym finds it) or with that very
 * version (libc_malloc_debug's malloc@GLIBC_2.2.5, which dlsym does not see:
 * it is not the default version there). */
static void *program_symbol(const char *name)
{
    void *plain = dlsym(RTLD_DEFAULT, name);
#ifdef GLIBC_FIRST_VERSION
    void *versioned = dlvsym(RTLD_DEFAULT, name, GLIBC_FIRST_VERSION);
    if (versioned && (!plain || search_position(object_of(versioned)) <
                                    search_position(object_of(plain))))
        return versioned;
#endif
    return plain;
}

static struct lt_program_heap find_program_heap(void)
{
    bool entered = lt_guard_enter(); /* dlsym may allocate */
    /* Never NULL: libc's when nothing comes before them. */
    struct lt_program_heap heap = {
        .malloc = (void *(*)(size_t))program_symbol("malloc"),
        .memalign = (void *(*)(size_t, size_t))program_symbol("memalign"),
        .free = (void (*)(void *))program_symbol("free"),
    };
    struct link_map *self = this_library();
    heap.ours = object_of((void *)heap.malloc) == self && object_of((void *)heap.free) == self;
    if (entered)
        lt_guard_leave();
    return heap;
}

enum { HEAP_UNKNOWN, HEAP_PUBLISHING, HEAP_KNOWN };
static struct lt_program_heap program_heap;
static _Atomic int program_heap_state;

/* Never waits: a thread that finds the answer unpublished (another one is
 * publishing it, or a signal handler interrupted its own lookup) looks it
 * up itself; the lookups agree. */
struct lt_program_heap lt_program_heap(void)
{
    if (lt_likely(atomic_load_explicit(&program_heap_state, memory_order_acquire) == HEAP_KNOWN))
        return program_heap;
    struct lt_program_heap found = find_program_heap();
    int expected = HEAP_UNKNOWN;
    if (atomic_compare_exchange_strong(&program_heap_state, &expected, HEAP_PUBLISHING)) {
        program_heap = found;
        atomic_store_explicit(&program_heap_state, HEAP_KNOWN, memory_order_release);
    }
    return found;
}

void lt_warn_if_heap_bypassed(void)
{
    struct lt_program_heap heap = lt_program_heap();
    if (heap.ours)
        return;
    struct link_map *self = this_library();
    struct link_map *provider = object_of((void *)heap.malloc);
    if (provider == self)
        provider = object_of((void *)heap.free);
    /* no path to name, or the executable's own malloc (a limitation that
     * no LD_PRELOAD order changes) */
    if (!provider || !provider->l_prev || !provider->l_name[0] || !self)
        return;
    const char *ours = basename(self->l_name); /* GNU's: the part after the last '/' */
    lt_warn("malloc and free come from %s, which is loaded before %s: the heap is not traced; "
            "put %s first in LD_PRELOAD",
            provider->l_name, ours, ours);
}

static bool inside_function(void *fn, uintptr_t pc)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!fn || !dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym || !info.dli_saddr)
        return false;
    uintptr_t start = (uintptr_t)info.dli_saddr;
    return pc >= start && pc < start + sym->st_size;
}

bool lt_real_allocator_at(uintptr_t pc)
{
    void *entries[] = {(void *)lt_real.malloc,        (void *)lt_real.calloc,
                       (void *)lt_real.realloc,       (void *)lt_real.free,
                       (void *)lt_real.posix_memalign, (void *)lt_real.aligned_alloc,
                       (void *)lt_real.memalign,      (void *)lt_real.valloc,
                       (void *)lt_real.pvalloc};
    for (size_t i = 0; i < sizeof entries / sizeof *entries; i++)
        if (inside_function(entries[i], pc))
            return true;
    return false;
}

void *lt_raw_malloc(size_t n)
{
    if (!lt_real.malloc)
        return lt_bootstrap_alloc(n, 16);
    void *p = lt_large_alloc(n);
    return p ? p : lt_real.malloc(n);
}

void *lt_raw_calloc(size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total))
        return NULL;
    if (!lt_real.calloc)
        return lt_bootstrap_alloc(total, 16);
    void *p = lt_large_alloc(total);
    return p ? p : lt_real.calloc(n, m);
}

void *lt_raw_memalign(size_t align, size_t n)
{
    return lt_real.memalign ? lt_real.memalign(align, n) : lt_bootstrap_alloc(n, align);
}

/* A block that is or becomes large moves: copied into a new one. */
static void *raw_move(void *p, size_t old, size_t n)
{
    if (n == 0) {
        lt_raw_free(p); /* as glibc's realloc(p, 0) */
        return NULL;
    }
    void *q = lt_raw_malloc(n);
    if (q && p) {
        memcpy(q, p, old < n ? old : n);
        lt_raw_free(p);
    }
    return q;
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
    size_t large = p ? lt_large_size(p) : 0;
    if (large)
        return raw_move(p, large, n);
    if (n >= LT_LARGE_MIN && lt_real.malloc_usable_size)
        return raw_move(p, p ? lt_real.malloc_usable_size(p) : 0, n);
    return lt_real.realloc ? lt_real.realloc(p, n) : NULL;
}

void lt_raw_free(void *p)
{
    if (p && !lt_bootstrap_owns(p) && !lt_large_free(p) && lt_real.free)
        lt_real.free(p);
}

char *lt_raw_strndup(const char *s, size_t n)
{
    char *copy = lt_raw_malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = 0;
    }
    return copy;
}

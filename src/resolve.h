/* The real allocation functions (dlsym RTLD_NEXT) and the bootstrap arena
 * that serves allocations made while dlsym itself is running. */
#ifndef LT_RESOLVE_H
#define LT_RESOLVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lt_real_heap {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
    /* libstdc++'s own operator new, used only on its failure paths so that
     * the new-handler and std::bad_alloc keep their semantics. */
    void *(*cxx_new)(size_t);
    void *(*cxx_new_nothrow)(size_t, const void *);
    void *(*cxx_new_aligned)(size_t, size_t);
    void *(*cxx_new_aligned_nothrow)(size_t, size_t, const void *);
};

extern struct lt_real_heap lt_real;

/* Resolves every real heap function; idempotent. */
void lt_resolve_heap(void);
/* dlsym(RTLD_NEXT, name) with the guard held (dlsym may allocate). */
void *lt_resolve_next(const char *name);

/* The same, looked up on first use and kept in *slot (a hook can run
 * before our constructor, from another library's); a name not found is
 * remembered too, and gives NULL. */
#define LT_RESOLVE_MISSING ((void *)1)
static inline void *lt_resolve_next_once(void *_Atomic *slot, const char *name)
{
    void *fn = atomic_load_explicit(slot, memory_order_relaxed);
    if (__builtin_expect(!fn, 0)) {
        fn = lt_resolve_next(name);
        atomic_store_explicit(slot, fn ? fn : LT_RESOLVE_MISSING, memory_order_relaxed);
    }
    return fn == LT_RESOLVE_MISSING ? NULL : fn;
}

/* The allocator behind the program's own calls of malloc and free: the
 * definitions that its references bind to (resolve.c). They are ours
 * when libleaktrace.so comes first in LD_PRELOAD, and every block passes
 * through the hooks. When an object ahead of us defines them (another
 * allocator preloaded before us, an executable with its own malloc), the
 * program's blocks never do, and operator new and delete, which still reach
 * us when that object lacks them, must use its allocator too: C and C++
 * hand blocks to each other, and libstdc++'s frees are that allocator's. */
struct lt_program_heap {
    bool ours; /* malloc and free are the tracer's hooks */
    void *(*malloc)(size_t);
    void *(*memalign)(size_t, size_t);
    void (*free)(void *);
};

/* Looked up on first use (a hook can run before our constructor) and kept. */
struct lt_program_heap lt_program_heap(void);
/* At start-up: one stderr line when a library loaded before us serves the
 * program's malloc and free (an executable with its own is a documented
 * limitation, and no order of LD_PRELOAD changes it). */
void lt_warn_if_heap_bypassed(void);

/* Untracked allocation for the tracer's own data: the real allocator once
 * known, the bootstrap arena before that. */
/* True when pc lies inside one of the real allocator's entry points
 * (lt_real's malloc family, by their symbols' sizes): code that may hold
 * the allocator's lock. */
bool lt_real_allocator_at(uintptr_t pc);

void *lt_raw_malloc(size_t n);
void *lt_raw_calloc(size_t n, size_t m);
void *lt_raw_realloc(void *p, size_t n);
void *lt_raw_memalign(size_t align, size_t n);
void lt_raw_free(void *p);
/* The first n bytes of s, NUL-terminated, in the tracer's own memory. */
char *lt_raw_strndup(const char *s, size_t n);

#define LT_BOOTSTRAP_SIZE (256 * 1024)
extern unsigned char lt_bootstrap_arena[LT_BOOTSTRAP_SIZE];

/* Inline: every free asks. */
static inline bool lt_bootstrap_owns(const void *p)
{
    /* One unsigned compare: an address below the arena wraps to a large offset. */
    return (uintptr_t)p - (uintptr_t)lt_bootstrap_arena < LT_BOOTSTRAP_SIZE;
}
size_t lt_bootstrap_size(const void *p);
/* How much of the arena blocks took (none is taken once the real
 * allocator is resolved). */
size_t lt_bootstrap_used(void);
void *lt_bootstrap_alloc(size_t n, size_t align);

#endif

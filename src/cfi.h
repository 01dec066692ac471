/* How to step from a frame to its caller, per return address: the CFA rule
 * of x86-64 call frame information, read from the object's .eh_frame by
 * libdw on the first sight of an address, then cached (lock-free reads). */
#ifndef LT_CFI_H
#define LT_CFI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum lt_rule_kind {
    LT_RULE_UNKNOWN = 0, /* no simple rule: the caller must use libunwind */
    LT_RULE_STEP,        /* CFA = (rsp or rbp) + offset; return address at CFA - 8 */
    LT_RULE_OUTERMOST,   /* the return address is undefined: the stack ends here */
};

struct lt_frame_rule {
    enum lt_rule_kind kind;
    bool cfa_from_rbp; /* else from rsp */
    int32_t cfa_offset;
    bool rbp_saved;    /* else rbp is unchanged in the caller */
    int32_t rbp_offset; /* from the CFA, where the caller's rbp is saved */
};

/* The rule for the frame executing at `pc` (for a caller, its return address
 * minus one). */
struct lt_frame_rule lt_cfi_rule(uintptr_t pc);

/* The cache, exposed so the unwinder's hot loop can inline a hit. A packed
 * rule, laid out so that the walk decodes it with a shift or two: bits 0-1
 * kind, 2 rbp-based, 3 rbp saved, 8-15 rbp offset / 8 (signed), 32-63 CFA
 * offset (signed). 0 is a miss (kind unknown). */
struct lt_cfi_slot {
    _Atomic uintptr_t pc;    /* 0: empty; published after word */
    _Atomic uint64_t word;   /* the packed rule */
};
#define LT_CFI_SLOT_BITS 16
#define LT_CFI_PROBES 16
extern struct lt_cfi_slot *_Atomic lt_cfi_cache;

static inline uint32_t lt_cfi_slot_of(uintptr_t pc)
{
    return (uint32_t)(((uint64_t)pc * 0x9E3779B97F4A7C15ull) >> (64 - LT_CFI_SLOT_BITS));
}

/* Bumped by lt_cfi_forget before it empties the cache. A slot is written
 * once (its word, then its pc) and rewritten only after a forget, so a
 * reader can get another pc's rule only if a forget ran meanwhile: a walk
 * reads the generation before and after (acquire), and is not trusted when
 * it moved. */
extern _Atomic uint32_t lt_cfi_generation;

/* Maps the cache (address space only: pages cost memory as they fill). If
 * the kernel refuses, lt_cfi_cache stays NULL and the walk always asks
 * libunwind. */
void lt_cfi_init(void);

/* The probes after the first (out of line: most lookups hit at once). */
uint64_t lt_cfi_cached_probe(const struct lt_cfi_slot *cache, uintptr_t pc, uint32_t slot);

/* A cached packed rule for pc in `cache` (lt_cfi_cache, loaded once by the
 * caller), or 0 on a miss: the caller then asks lt_cfi_rule. The word's
 * load is an acquire: a reader that got a rewritten slot's new word also
 * sees the generation that a forget bumped before rewriting it. */
static inline uint64_t lt_cfi_cached(const struct lt_cfi_slot *cache, uintptr_t pc)
{
    uint32_t i = lt_cfi_slot_of(pc);
    uintptr_t key = atomic_load_explicit(&cache[i].pc, memory_order_relaxed);
    if (__builtin_expect(key == pc, 1))
        return atomic_load_explicit(&cache[i].word, memory_order_acquire);
    return key == 0 ? 0 : lt_cfi_cached_probe(cache, pc, i);
}

/* The packed rule, or 0 (unknown) for one the layout cannot hold. */
uint64_t lt_cfi_pack(struct lt_frame_rule r);
#define LT_CFI_KIND(w) ((enum lt_rule_kind)((w) & 3))
#define LT_CFI_FROM_RBP(w) (((w) >> 2) & 1)
#define LT_CFI_RBP_SAVED(w) (((w) >> 3) & 1)
#define LT_CFI_RBP_OFFSET(w) ((int64_t)(int8_t)((w) >> 8) * 8)
#define LT_CFI_CFA_OFFSET(w) ((int64_t)(w) >> 32)

/* Opens the unwind rules of every object loaded now (before a seccomp
 * filter, after which no file is opened: sandbox.h). */
void lt_cfi_open_all(void);

/* A library was unloaded: its addresses may be reused by another. */
void lt_cfi_forget(void);

/* Gives back the pages of the objects' files read for rules so far (clean,
 * read-only mappings: a later miss reads them again from the page cache).
 * Called before a snapshot symbolizes, whose peak they would add to: 0.5
 * MB of libc's and the loader's on a small program. */
void lt_cfi_release_pages(void);

/* fork: held across it (a dlclose may be forgetting in another thread), so
 * that the child never inherits the rule reader's lock held. */
void lt_cfi_lock(void);
void lt_cfi_unlock(void);

#endif

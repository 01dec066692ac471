/* The tracer's own large blocks, mapped from the kernel rather than taken
 * from the program's allocator (resolve.c's lt_raw_* call here).
 *
 * glibc raises its mmap threshold to the size of each mapped block freed
 * (up to 32 MiB) and its trim threshold to twice that. libdw's tables and
 * the profile's buffers, freed after each snapshot, would leave the program
 * with thresholds the tracer set (its own large blocks then carved from its
 * heap), and the snapshot thread's arena keeping megabytes it no longer
 * uses: a threaded python3 with DWARF, 27.2 MB before its first snapshot,
 * kept 35.1 MB after it with libdw let go, 28.9 MB with these blocks
 * mapped. */
#define _GNU_SOURCE
#include "large.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "guard.h"
#include "live.h"
#include "sandbox.h"

#define PAGE 4096
#define MAX_BLOCKS 1024

/* The header glibc gives a block it mapped: a block let go to glibc's free
 * by mistake is unmapped, and malloc_usable_size reads its size right. */
struct header {
    size_t prev_size;   /* 0 */
    size_t size;        /* the mapping's length | IS_MMAPPED */
};
#define IS_MMAPPED 2

/* The mappings' starts (0: a free entry), so that a block is told from any
 * other by its address alone: lock-free, so a fork can come at any time. */
static _Atomic uintptr_t blocks[MAX_BLOCKS];
static _Atomic int blocks_end; /* one past the highest entry ever used */

static bool add_block(uintptr_t base)
{
    for (int i = 0; i < MAX_BLOCKS; i++) {
        uintptr_t empty = 0;
        if (atomic_compare_exchange_strong(&blocks[i], &empty, base)) {
            int end = atomic_load(&blocks_end);
            while (end < i + 1 && !atomic_compare_exchange_weak(&blocks_end, &end, i + 1)) {
            }
            return true;
        }
    }
    return false;
}

static int block_index(const void *p)
{
    if (((uintptr_t)p & (PAGE - 1)) != sizeof(struct header))
        return -1; /* cheap first: few other blocks start there */
    uintptr_t base = (uintptr_t)p - sizeof(struct header);
    int end = atomic_load(&blocks_end);
    for (int i = 0; i < end; i++)
        if (atomic_load_explicit(&blocks[i], memory_order_relaxed) == base)
            return i;
    return -1;
}

static size_t mapping_length(const void *p)
{
    struct header h;
    memcpy(&h, (const char *)p - sizeof h, sizeof h);
    return h.size & ~(size_t)7;
}

void *lt_large_alloc(size_t n)
{
    if (n < LT_LARGE_MIN || n > SIZE_MAX / 2 || !lt_in_tracer_proper() || !lt_may_syscall())
        return NULL;
    size_t len = (n + sizeof(struct header) + PAGE - 1) & ~(size_t)(PAGE - 1);
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (!add_block((uintptr_t)m)) {
        munmap(m, len);
        return NULL; /* the program's allocator takes it */
    }
    struct header h = {0, len | IS_MMAPPED};
    memcpy(m, &h, sizeof h);
    void *p = (char *)m + sizeof h; /* a fresh mapping: zeroed */
    lt_live_filter_mark(p); /* its free is not for sampling mode's fast path */
    return p;
}

size_t lt_large_size(const void *p)
{
    return block_index(p) >= 0 ? mapping_length(p) - sizeof(struct header) : 0;
}

bool lt_large_free(void *p)
{
    int i = block_index(p);
    if (i < 0)
        return false;
    if (!lt_may_syscall())
        return true; /* kept mapped: unmapping takes a system call */
    size_t len = mapping_length(p);
    lt_live_filter_unmark(p);
    atomic_store(&blocks[i], 0);
    munmap((char *)p - sizeof(struct header), len);
    return true;
}

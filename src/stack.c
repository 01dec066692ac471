/* Call-stack capture: the fast walk (walk.c) when it can follow every
 * frame exactly, else libunwind's unw_backtrace, so stacks are the same
 * either way; LEAKTRACE_UNWIND_CHECK=1 compares the two on every capture (a
 * test switch). */
#define _GNU_SOURCE
#include "stack.h"

#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "cancel.h"
#include "config.h"
#include "guard.h"
#include "log.h"
#include "sandbox.h"
#include "trigger.h"
#include "walk.h"

#define RAW_MAX (LT_DEPTH_MAX + LT_WALK_SKIP_MAX)

struct addr_range { uintptr_t lo, hi; };
static struct addr_range own_range, unwind_range;
bool lt_stack_checking;

static _Atomic unsigned long checked_fast, checked_joined, checked_memo, checked_fallback,
    checked_mismatch;

struct range_query { uintptr_t addr; struct addr_range *out; };

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct range_query *q = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool contains = false;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        if (q->addr >= start && q->addr < end)
            contains = true;
        lo = start < lo ? start : lo;
        hi = end > hi ? end : hi;
    }
    if (!contains)
        return 0;
    q->out->lo = lo;
    q->out->hi = hi;
    return 1;
}

static void range_of(uintptr_t addr, struct addr_range *out)
{
    struct range_query q = {addr, out};
    dl_iterate_phdr(find_object, &q);
}

void lt_stack_init(void)
{
    range_of((uintptr_t)&lt_stack_init, &own_range);
    range_of((uintptr_t)&unw_backtrace, &unwind_range);
    const char *check = getenv("LEAKTRACE_UNWIND_CHECK");
    lt_stack_checking = check && strcmp(check, "1") == 0;
    lt_walk_init(own_range.lo, own_range.hi);
}

static _Atomic bool fallback_opened;

void lt_stack_open_fallback(void)
{
    /* A cursor suffices (the pipe is opened by libunwind's initialization):
     * unw_backtrace would also make its per-thread trace cache now, 260 KB
     * of memory that a process whose walks never fall back never needs. */
    unw_context_t context;
    unw_cursor_t cursor;
    if (unw_getcontext(&context) == 0)
        unw_init_local(&cursor, &context);
    atomic_store_explicit(&fallback_opened, true, memory_order_release);
}

/* Before libunwind's first use inside a hook. The constructor opens its
 * pipe, but another library's constructor runs before ours when the
 * program links it (libselinux's, in ls and cp): a block it allocates from
 * there is the first capture, and its stack ends in the loader's
 * _dl_start_user, which only libunwind follows. Opened there under the
 * hook's guard, the pipe took the program's numbers 3 and 4 for good (its
 * first open returned 5). It is opened as the tracer proper's instead,
 * which moves it to the tracer's numbers. */
static void open_fallback_first(void)
{
    if (lt_likely(atomic_load_explicit(&fallback_opened, memory_order_acquire)))
        return;
    int guard = lt_guard_flag;
    lt_guard_flag = LT_GUARD_TRACER;
    lt_stack_open_fallback();
    lt_guard_flag = guard;
}

static bool in_range(const struct addr_range *r, uintptr_t pc)
{
    return pc >= r->lo && pc < r->hi;
}

bool lt_stack_is_own(uintptr_t pc)
{
    return in_range(&own_range, pc);
}

static bool is_tracer_frame(uintptr_t pc)
{
    return in_range(&own_range, pc) || in_range(&unwind_range, pc);
}

/* Drops the tracer's frames: libunwind's and ours on top, and ours further
 * down too (see fast_walk). */
static int keep_program_frames(const uintptr_t *raw, int n, uintptr_t *frames, int max)
{
    int kept = 0;
    for (int i = 0; i < n && kept < max; i++)
        if (!is_tracer_frame(raw[i]))
            frames[kept++] = raw[i];
    return kept;
}

static int libunwind_capture(uintptr_t *frames, int max)
{
    open_fallback_first();
    void *raw[RAW_MAX];
    int want = max + LT_WALK_SKIP_MAX < RAW_MAX ? max + LT_WALK_SKIP_MAX : RAW_MAX;
    int n = unw_backtrace(raw, want);
    return keep_program_frames((const uintptr_t *)raw, n, frames, max);
}

bool lt_stack_interrupted_in(bool (*inside)(uintptr_t pc))
{
    if (!lt_may_syscall())
        return false; /* libunwind checks addresses with a system call */
    open_fallback_first();
    unw_context_t context;
    unw_cursor_t cursor;
    if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0)
        return false;
    /* libunwind marks the frame reached through the signal frame, the
     * interrupted one (the trampoline itself, in other versions: either
     * way, it and every frame under it are checked) */
    bool under_signal = false;
    for (int i = 0; i < RAW_MAX && unw_step(&cursor) > 0; i++) {
        under_signal = under_signal || unw_is_signal_frame(&cursor) > 0;
        unw_word_t ip;
        if (under_signal && unw_get_reg(&cursor, UNW_REG_IP, &ip) == 0 && inside((uintptr_t)ip))
            return true;
    }
    return false;
}

/* hash_right: the walk's hash is its frames'. */
static void compare_with_libunwind(const uintptr_t *frames, int n, int max, bool hash_right)
{
    uintptr_t expected[LT_DEPTH_MAX];
    int m = libunwind_capture(expected, max);
    if (m == n && memcmp(frames, expected, (size_t)n * sizeof *frames) == 0 && hash_right)
        return;
    atomic_fetch_add(&checked_mismatch, 1);
    if (!hash_right)
        lt_warn("unwind check: the fast walk's hash is not its frames'");
    int i = 0;
    while (i < n && i < m && frames[i] == expected[i])
        i++;
    lt_warn("unwind check: fast walk gave %d frames, libunwind %d; first difference at frame %d "
            "(%#lx vs %#lx)", n, m, i, i < n ? (unsigned long)frames[i] : 0UL,
            i < m ? (unsigned long)expected[i] : 0UL);
}

static uint64_t hash_of(const uintptr_t *frames, int n)
{
    uint64_t h = LT_STACK_HASH_SEED;
    for (int i = 0; i < n; i++)
        h = lt_stack_hash_step(h, frames[i]);
    return h;
}

/* A hook called by libunwind itself (its pipe2, when another library's
 * unwinding opens it: tcmalloc preloaded before the tracer) runs under
 * libunwind's lock: asking libunwind again would wait for it for good. The
 * walk's frames up to the first it cannot follow then make the stack. */
static bool called_from_libunwind(uintptr_t *frames, int max, uint64_t *hash,
                                  const void *hook_frame, int *n)
{
    int m = lt_walk_confined(frames, max, hash, hook_frame);
    for (int i = 0; i < m; i++) {
        if (in_range(&unwind_range, frames[i])) {
            *n = m;
            return true;
        }
    }
    return false;
}

static int capture_slow(uintptr_t *frames, int max, uint64_t *hash, int n,
                        const void *hook_frame)
{
    uint64_t walk_hash = *hash; /* the fast walk's, when n >= 0 */
    *hash = LT_STACK_HASH_SEED;
    if (!lt_may_syscall())
        return n == LT_WALK_REFUSED ? 0 : lt_walk_confined(frames, max, hash, hook_frame);
    if (n == LT_WALK_FOREIGN) {
        int m = lt_walk_alternate(frames, max, hash, hook_frame);
        if (m >= 0 || m == LT_WALK_REFUSED)
            return m >= 0 ? m : 0;
        n = -1; /* a coroutine's stack: libunwind */
    }
    if (n < 0 && n != LT_WALK_REFUSED && called_from_libunwind(frames, max, hash, hook_frame, &n))
        return n;
    if (n == LT_WALK_REFUSED || !lt_capture_gate_enter())
        return 0; /* a fork is being prepared */
    int kept = n >= 0 ? n : libunwind_capture(frames, max);
    *hash = hash_of(frames, kept);
    if (lt_unlikely(lt_stack_checking)) {
        atomic_fetch_add(n >= 0 ? &checked_fast : &checked_fallback, 1);
        if (n >= 0 && lt_walk_joined)
            atomic_fetch_add(&checked_joined, 1);
        if (n >= 0)
            compare_with_libunwind(frames, kept, max, walk_hash == *hash);
    }
    lt_capture_gate_leave();
    return kept;
}

uint32_t lt_stack_capture_id_slow(uintptr_t *frames, int max, uint64_t hash, int n,
                                  const void *hook_frame, unsigned tag, uint32_t memo_id)
{
    int kept = lt_stack_capture_slow(frames, max, &hash, n, hook_frame);
    uint32_t id = lt_stacks_intern(frames, kept, hash, tag);
    if (n < 0)
        return id; /* not the fast walk's frames: nothing for the memo */
    if (memo_id)
        atomic_fetch_add(&checked_memo, 1);
    if (memo_id && memo_id != id) {
        atomic_fetch_add(&checked_mismatch, 1);
        lt_warn("unwind check: the memo gave stack %u for stack %u", memo_id, id);
    }
    lt_walk_memo_keep(frames, tag, id);
    return id;
}

/* libunwind writes to its pipe: cancel.h */
int lt_stack_capture_slow(uintptr_t *frames, int max, uint64_t *hash, int n,
                          const void *hook_frame)
{
    int cancel = lt_cancel_off();
    int kept = capture_slow(frames, max, hash, n, hook_frame);
    lt_cancel_restore(cancel);
    return kept;
}

__attribute__((destructor)) static void report_unwind_check(void)
{
    if (lt_stack_checking)
        lt_warn("unwind check: %lu fast captures (%lu through the thread's base, %lu known to "
                "its memo), %lu by libunwind, %lu mismatches",
                atomic_load(&checked_fast), atomic_load(&checked_joined),
                atomic_load(&checked_memo), atomic_load(&checked_fallback),
                atomic_load(&checked_mismatch));
}

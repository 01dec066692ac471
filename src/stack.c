#define _GNU_SOURCE
#include "stack.h"

#include <link.h>
#include <string.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "config.h"
#include "trigger.h"

/* Leading frames belong to the hook, the recorder and unw_backtrace itself:
 * at most this many, whatever the compiler inlined. */
#define LT_SKIP_MAX 16

struct addr_range { uintptr_t lo, hi; };
static struct addr_range own_range, unwind_range;

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
}

static bool in_range(const struct addr_range *r, uintptr_t pc)
{
    return pc >= r->lo && pc < r->hi;
}

bool lt_stack_is_own(uintptr_t pc)
{
    return in_range(&own_range, pc);
}

int lt_stack_capture(uintptr_t *frames, int max)
{
    void *raw[LT_DEPTH_MAX + LT_SKIP_MAX];
    int want = max + LT_SKIP_MAX;
    if (want > (int)(sizeof raw / sizeof raw[0]))
        want = (int)(sizeof raw / sizeof raw[0]);
    if (!lt_capture_gate_enter())
        return 0;
    int n = unw_backtrace(raw, want);
    lt_capture_gate_leave();
    int skip = 0;
    while (skip < n && (in_range(&own_range, (uintptr_t)raw[skip]) ||
                        in_range(&unwind_range, (uintptr_t)raw[skip])))
        skip++;
    int kept = n - skip < max ? n - skip : max;
    memcpy(frames, raw + skip, (size_t)kept * sizeof *frames);
    return kept;
}

#define _GNU_SOURCE /* GNU basename */
#include "report.h"

#include <stdint.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "retired.h"
#include "stacks.h"
#include "symbolize.h"

#define REPORT_STACKS 5
#define REPORT_FRAMES 4

struct site {
    uint32_t id;
    int64_t bytes, objects;
};

/* Keeps top[] sorted by bytes, largest first. */
static void consider(struct site *top, struct site candidate)
{
    for (int i = 0; i < REPORT_STACKS; i++) {
        if (candidate.bytes <= top[i].bytes)
            continue;
        for (int k = REPORT_STACKS - 1; k > i; k--)
            top[k] = top[k - 1];
        top[i] = candidate;
        return;
    }
}

/* A frame without a name: its address, and where it lies in its object
 * (what addr2line or a debugger wants: file+offset), when known. */
static void print_unnamed(int shown, uintptr_t site, int mapping)
{
    const struct lt_sym_mapping *m = mapping >= 0 ? lt_symbolize_mapping(mapping) : NULL;
    if (m && m->path && m->path[0] && site >= m->start && site < m->limit) {
        lt_info("      #%d %#lx (%s+%#lx)", shown, (unsigned long)site, basename(m->path),
                (unsigned long)(site - m->start + m->offset));
    } else {
        lt_info("      #%d %#lx", shown, (unsigned long)site);
    }
}

/* "1 object", "2 objects" */
static const char *plural(int64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void print_frames(const struct lt_stack *s, bool symbolize)
{
    int shown = 0;
    for (int i = 0; i < s->depth && shown < REPORT_FRAMES; i++) {
        struct lt_sym_line lines[REPORT_FRAMES];
        uintptr_t site = lt_stack_frame(s, (unsigned)i) - 1;
        int mapping, retired = lt_retired_find(site, s->generation);
        int n = symbolize ? lt_symbolize_pc(site, retired, lines, REPORT_FRAMES, &mapping) : 0;
        if (n == 0)
            print_unnamed(shown++, site, symbolize ? mapping : -1);
        for (int k = 0; k < n && shown < REPORT_FRAMES; k++) {
            if (lines[k].file)
                lt_info("      #%d %s %s:%ld", shown++, lines[k].function, lines[k].file,
                        (long)lines[k].line);
            else
                lt_info("      #%d %s", shown++, lines[k].function);
        }
    }
}

void lt_report_at_exit(const char *heap_path)
{
    if (!lt_config.report || lt_config.quiet)
        return;
    struct site top[REPORT_STACKS] = {{0}};
    int64_t bytes = 0, objects = 0;
    uint32_t n = lt_stacks_count(), stacks = 0;
    for (uint32_t id = 1; id <= n; id++) {
        if (lt_stacks_get(id)->tag != LT_TAG_HEAP)
            continue;
        struct lt_stack_totals t = lt_stack_read(id); /* once: bytes and objects agree */
        if (t.inuse_bytes <= 0)
            continue;
        struct site site = {id, t.inuse_bytes, lt_whole_objects(t.inuse_objects)};
        bytes += site.bytes;
        objects += site.objects;
        stacks++;
        consider(top, site);
    }
    if (stacks == 0)
        return; /* nothing live: nothing to report, as LeakSanitizer */
    lt_info("%lld %s in %lld %s still live at exit, from %u call %s; the largest:",
            (long long)bytes, plural(bytes, "byte", "bytes"), (long long)objects,
            plural(objects, "object", "objects"), stacks, plural(stacks, "stack", "stacks"));
    bool symbolize = lt_symbolize_begin();
    for (int i = 0; i < REPORT_STACKS && top[i].bytes > 0; i++) {
        lt_info("  %lld %s in %lld %s allocated from:", (long long)top[i].bytes,
                plural(top[i].bytes, "byte", "bytes"), (long long)top[i].objects,
                plural(top[i].objects, "object", "objects"));
        print_frames(lt_stacks_get(top[i].id), symbolize);
    }
    lt_symbolize_end();
    if (heap_path)
        lt_info("full profile: go tool pprof -top %s", heap_path);
}

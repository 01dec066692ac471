/* One sample per interned stack (per stack and kind for descriptors), one
 * location per distinct call site, one function per distinct (name, file).
 * Locations carry the call site (return address - 1), as Go's own
 * profiles do, and are symbolized here so the file is self-contained. */
#define _GNU_SOURCE
#include "profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cfi.h"
#include "clock.h"
#include "config.h"
#include "fdtable.h"
#include "resolve.h"
#include "retired.h"
#include "stacks.h"
#include "symbolize.h"

#undef uthash_malloc
#undef uthash_free
#define uthash_malloc(sz) lt_raw_malloc(sz)
#define uthash_free(ptr, sz) lt_raw_free(ptr)
#include <uthash.h>

#define MAX_LINES 32
/* Frameless stacks: the stack table was full, or a fork was in progress. */
#define NO_STACK_NAME "[leaktrace: no stack recorded]"

/* A location is a return address in one library instance: the same address
 * in two libraries loaded there one after the other is two locations. */
struct location_key {
    uintptr_t pc; /* return address; 0: the frameless catch-all */
    int64_t retired; /* retired.h index, -1: a library loaded now */
};

struct location {
    UT_hash_handle hh;
    struct location_key key;
    uint64_t id;
};

struct function {
    UT_hash_handle hh;
    uint64_t id;
    char key[]; /* name \0 system_name \0 file */
};

struct builder {
    struct lt_pprof enc;
    struct location *locations; /* by pc */
    struct location **order;    /* by id - 1 */
    size_t location_count, order_cap;
    struct function *functions;
    uint64_t function_count;
    bool mapping_used[4096];
    uint64_t *ids; /* scratch: one sample's location ids */
};

struct profile_kind {
    const char *types[4][2];
    int ntypes;
    const char *period_type[2];
    const char *default_type;
};

static const struct profile_kind kinds[] = {
    [LT_PROFILE_HEAP] = {{{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                          {"inuse_objects", "count"}, {"inuse_space", "bytes"}},
                         4, {"space", "bytes"}, "inuse_space"},
    [LT_PROFILE_FD] = {{{"alloc_fds", "count"}, {"inuse_fds", "count"}},
                       2, {"fds", "count"}, "inuse_fds"},
};

/* The sample values of a stack for this kind of profile, less the base if
 * any; false when the stack belongs to the other kind or all values are 0. */
static bool stack_values(enum lt_profile_kind kind, uint32_t id,
                         const struct lt_profile_base *base, int64_t *v)
{
    const struct lt_stack *s = lt_stacks_get(id);
    bool heap = s->tag == LT_TAG_HEAP;
    bool fd = s->tag >= LT_TAG_FD_FIRST && s->tag < LT_TAG_FD_FIRST + LT_FD_KIND_COUNT;
    if (kind == LT_PROFILE_HEAP ? !heap : !fd)
        return false;
    struct lt_stack_totals t = lt_stack_read(id);
    int64_t ao = lt_whole_objects(t.alloc_objects), io = lt_whole_objects(t.inuse_objects);
    int n = kinds[kind].ntypes;
    if (kind == LT_PROFILE_HEAP) {
        v[0] = ao;
        v[1] = t.alloc_bytes;
        v[2] = io;
        v[3] = t.inuse_bytes;
    } else {
        v[0] = ao;
        v[1] = io;
    }
    bool any = false;
    for (int i = 0; i < n; i++) {
        if (base && id <= base->count)
            v[i] -= base->values[id][i];
        any = any || v[i] != 0;
    }
    return any;
}

bool lt_profile_base_take(enum lt_profile_kind kind, struct lt_profile_base *base)
{
    base->taken_ns = lt_clock_ns(CLOCK_MONOTONIC);
    base->count = lt_stacks_count();
    base->values = lt_raw_calloc((size_t)base->count + 1, sizeof *base->values);
    if (!base->values)
        return false;
    for (uint32_t id = 1; id <= base->count; id++)
        stack_values(kind, id, NULL, base->values[id]);
    return true;
}

void lt_profile_base_release(struct lt_profile_base *base)
{
    lt_raw_free(base->values);
    base->values = NULL;
}

/* uthash's own hash (Jenkins's, over the key's 16 bytes) made a lookup 120
 * instructions, half of a snapshot's profile building (snapstacks: 20,000
 * stacks of 50 frames, callgrind), 23 with this one: a multiplication
 * mixes a return address well enough. The high half: uthash's buckets take
 * the low bits. */
static unsigned location_hash(const struct location_key *k)
{
    uint64_t h = ((uint64_t)k->pc ^ (uint64_t)k->retired << 48) * 0x9E3779B97F4A7C15ull;
    return (unsigned)(h >> 32);
}

static uint64_t location_id(struct builder *b, uintptr_t pc, uint32_t generation)
{
    struct location_key key = {pc, pc ? lt_retired_find(pc - 1, generation) : -1};
    unsigned hash = location_hash(&key);
    struct location *loc;
    HASH_FIND_BYHASHVALUE(hh, b->locations, &key, sizeof key, hash, loc);
    if (loc)
        return loc->id;
    if (b->location_count == b->order_cap) {
        size_t cap = b->order_cap ? b->order_cap * 2 : 1024;
        struct location **order = lt_raw_realloc(b->order, cap * sizeof *order);
        if (!order)
            return 0;
        b->order = order;
        b->order_cap = cap;
    }
    loc = lt_raw_malloc(sizeof *loc);
    if (!loc)
        return 0;
    loc->key = key;
    loc->id = ++b->location_count;
    b->order[loc->id - 1] = loc;
    HASH_ADD_BYHASHVALUE(hh, b->locations, key, sizeof key, hash, loc);
    return loc->id;
}

static void add_samples(struct builder *b, enum lt_profile_kind kind,
                        const struct lt_profile_base *base)
{
    uint32_t n = lt_stacks_count();
    for (uint32_t id = 1; id <= n; id++) {
        const struct lt_stack *s = lt_stacks_get(id);
        int64_t values[LT_PROFILE_VALUES_MAX];
        if (!stack_values(kind, id, base, values))
            continue;
        size_t depth = s->depth ? s->depth : 1;
        for (size_t i = 0; i < depth; i++)
            b->ids[i] = location_id(b, s->depth ? lt_stack_frame(s, (unsigned)i) : 0, s->generation);
        const char *label = kind == LT_PROFILE_FD ? lt_fd_kind_name(s->tag - LT_TAG_FD_FIRST) : NULL;
        lt_pprof_sample(&b->enc, b->ids, depth, values, (size_t)kinds[kind].ntypes,
                        label ? "kind" : NULL, label);
    }
}

static uint64_t function_id(struct builder *b, const struct lt_sym_line *l)
{
    const char *file = l->file ? l->file : "";
    const char *sys = l->system_name ? l->system_name : l->function;
    size_t a = strlen(l->function) + 1, s = strlen(sys) + 1, f = strlen(file) + 1;
    char key[a + s + f];
    memcpy(key, l->function, a);
    memcpy(key + a, sys, s);
    memcpy(key + a + s, file, f);
    struct function *fn;
    HASH_FIND(hh, b->functions, key, a + s + f, fn);
    if (fn)
        return fn->id;
    fn = lt_raw_malloc(sizeof *fn + a + s + f);
    if (!fn)
        return 0;
    memcpy(fn->key, key, a + s + f);
    fn->id = ++b->function_count;
    HASH_ADD(hh, b->functions, key, a + s + f, fn);
    lt_pprof_function(&b->enc, fn->id, l->function, sys, l->file, 0);
    return fn->id;
}

static void add_location(struct builder *b, const struct location *loc, bool symbolize)
{
    struct lt_sym_line lines[MAX_LINES];
    struct lt_pprof_line out[MAX_LINES];
    int mapping = -1, n = 0;
    uintptr_t site = loc->key.pc ? loc->key.pc - 1 : 0;
    if (!loc->key.pc) {
        lines[0] = (struct lt_sym_line){NO_STACK_NAME, NO_STACK_NAME, NULL, 0};
        n = 1;
    } else if (symbolize) {
        n = lt_symbolize_pc(site, (int)loc->key.retired, lines, MAX_LINES, &mapping);
    }
    for (int i = 0; i < n; i++)
        out[i] = (struct lt_pprof_line){function_id(b, &lines[i]), lines[i].line};
    if (mapping >= 0 && mapping < (int)(sizeof b->mapping_used))
        b->mapping_used[mapping] = true;
    lt_pprof_location(&b->enc, loc->id, mapping >= 0 ? (uint64_t)mapping + 1 : 0, site, out,
                      (size_t)n);
}

static void add_mapping(struct builder *b, int i, const struct lt_sym_mapping *m)
{
    struct lt_pprof_mapping pm = {
        .id = (uint64_t)i + 1, .start = m->start, .limit = m->limit, .offset = m->offset,
        .file = m->path, .build_id = m->build_id, .has_functions = m->has_functions,
        .has_filenames = m->has_lines, .has_line_numbers = m->has_lines,
        .has_inline_frames = m->has_inline,
    };
    lt_pprof_mapping(&b->enc, &pm);
}

/* In mapping index order: the symbolizer gives the main program index 0, and
 * pprof takes mapping[0] for the main binary ("File:" and "Build ID:"). */
static void add_mappings(struct builder *b)
{
    for (int i = 0; i < (int)(sizeof b->mapping_used); i++) {
        const struct lt_sym_mapping *m = b->mapping_used[i] ? lt_symbolize_mapping(i) : NULL;
        if (m)
            add_mapping(b, i, m);
    }
}

static void release(struct builder *b)
{
    struct location *loc, *ltmp;
    HASH_ITER(hh, b->locations, loc, ltmp) {
        HASH_DEL(b->locations, loc);
        lt_raw_free(loc);
    }
    struct function *fn, *ftmp;
    HASH_ITER(hh, b->functions, fn, ftmp) {
        HASH_DEL(b->functions, fn);
        lt_raw_free(fn);
    }
    lt_raw_free(b->order);
    lt_raw_free(b->ids);
    lt_raw_free(b);
}

bool lt_profile_build(enum lt_profile_kind kind, const struct lt_profile_base *base,
                      const char *default_type, struct lt_buf *gz)
{
    lt_cfi_release_pages(); /* before symbolizing maps files of its own: the peak */
    struct builder *b = lt_raw_calloc(1, sizeof *b);
    if (!b)
        return false;
    b->ids = lt_raw_malloc(sizeof *b->ids * (LT_DEPTH_MAX + 1));
    if (!b->ids) {
        lt_raw_free(b);
        return false;
    }
    /* Where the counters are read: the delta's interval ends here. */
    int64_t duration = base ? lt_clock_ns(CLOCK_MONOTONIC) - base->taken_ns : 0;
    const struct profile_kind *k = &kinds[kind];
    lt_pprof_begin(&b->enc);
    for (int i = 0; i < k->ntypes; i++)
        lt_pprof_sample_type(&b->enc, k->types[i][0], k->types[i][1]);
    add_samples(b, kind, base);
    bool symbolize = lt_symbolize_begin();
    for (size_t i = 0; i < b->location_count; i++)
        add_location(b, b->order[i], symbolize);
    add_mappings(b);
    lt_symbolize_end();
    int64_t period = kind == LT_PROFILE_HEAP && lt_config.sample ? (int64_t)lt_config.sample : 1;
    bool ok = lt_pprof_finish(&b->enc, k->period_type[0], k->period_type[1], period,
                              default_type ? default_type : k->default_type,
                              lt_clock_ns(CLOCK_REALTIME), duration, gz);
    release(b);
    return ok;
}

static void text_printf(struct lt_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text_printf(struct lt_buf *out, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        lt_buf_put(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void text_frames(struct lt_buf *out, const struct lt_stack *s, bool symbolize)
{
    for (int i = 0; i < s->depth; i++) {
        struct lt_sym_line lines[MAX_LINES];
        uintptr_t site = lt_stack_frame(s, (unsigned)i) - 1;
        int mapping, retired = lt_retired_find(site, s->generation);
        int n = symbolize ? lt_symbolize_pc(site, retired, lines, MAX_LINES, &mapping) : 0;
        if (n == 0)
            text_printf(out, "#\t%#lx\n", (unsigned long)site);
        for (int k = 0; k < n; k++)
            text_printf(out, "#\t%#lx\t%s\t%s:%ld\n", (unsigned long)site,
                        lines[k].function, lines[k].file ? lines[k].file : "?", (long)lines[k].line);
    }
    if (s->depth == 0)
        text_printf(out, "#\t%s\n", NO_STACK_NAME);
}

bool lt_profile_text(enum lt_profile_kind kind, const struct lt_profile_base *base,
                     struct lt_buf *out)
{
    const struct profile_kind *k = &kinds[kind];
    text_printf(out, "# leaktrace %s profile%s: one entry per stack\n#", kind == LT_PROFILE_HEAP ? "heap" : "descriptor",
                base ? " (growth over the requested seconds)" : "");
    for (int i = 0; i < k->ntypes; i++)
        text_printf(out, " %s/%s", k->types[i][0], k->types[i][1]);
    text_printf(out, "%s\n", kind == LT_PROFILE_FD ? " kind" : "");
    bool symbolize = lt_symbolize_begin();
    uint32_t n = lt_stacks_count();
    for (uint32_t id = 1; id <= n; id++) {
        const struct lt_stack *s = lt_stacks_get(id);
        int64_t v[LT_PROFILE_VALUES_MAX];
        if (!stack_values(kind, id, base, v))
            continue;
        text_printf(out, "\n");
        for (int i = 0; i < k->ntypes; i++)
            text_printf(out, "%s%ld", i ? " " : "", (long)v[i]);
        if (kind == LT_PROFILE_FD)
            text_printf(out, " %s", lt_fd_kind_name(s->tag - LT_TAG_FD_FIRST));
        text_printf(out, "\n");
        text_frames(out, s, symbolize);
    }
    lt_symbolize_end();
    return !out->failed;
}

#include "pprof_enc.h"

#include <string.h>
#include <zlib.h>

#include "resolve.h"

#undef uthash_malloc
#undef uthash_free
#define uthash_malloc(sz) lt_raw_malloc(sz)
#define uthash_free(ptr, sz) lt_raw_free(ptr)
#include <uthash.h>

/* profile.proto field numbers */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
    PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
    LABEL_KEY = 1, LABEL_STR = 2,
    MAPPING_ID = 1, MAPPING_START = 2, MAPPING_LIMIT = 3, MAPPING_OFFSET = 4,
    MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7,
    MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10,
    LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1, LINE_LINE = 2,
    FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
    FUNCTION_START_LINE = 5,
};
enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

struct lt_pprof_str {
    UT_hash_handle hh;
    int64_t index;
    char text[];
};

static bool reserve(struct lt_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *data = lt_raw_realloc(b->data, cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

void lt_buf_put(struct lt_buf *b, const void *p, size_t n)
{
    if (n && reserve(b, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

void lt_buf_release(struct lt_buf *b)
{
    lt_raw_free(b->data);
    memset(b, 0, sizeof *b);
}

/* --- wire primitives --- */

/* v as a varint at out, which has room for its varint_size; returns that. */
static size_t encode_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    for (; v > 0x7f; v >>= 7)
        out[n++] = (uint8_t)(v | 0x80);
    out[n++] = (uint8_t)v;
    return n;
}

static void put_varint(struct lt_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    lt_buf_put(b, tmp, encode_varint(tmp, v));
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v > 0x7f) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_key(struct lt_buf *b, int field, int wire)
{
    put_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

/* Scalars equal to zero are proto3 defaults and are left out. */
static void put_uint(struct lt_buf *b, int field, uint64_t v)
{
    if (v) {
        put_key(b, field, WIRE_VARINT);
        put_varint(b, v);
    }
}

static void put_bytes(struct lt_buf *b, int field, const void *p, size_t n)
{
    put_key(b, field, WIRE_BYTES);
    put_varint(b, n);
    lt_buf_put(b, p, n);
}

static void put_message(struct lt_buf *b, int field, struct lt_buf *msg)
{
    put_bytes(b, field, msg->data, msg->len);
    msg->len = 0;
}

/* The values straight into the buffer, reserved once: a put_varint each
 * (its own reserve and memcpy) took 48 instructions a value, 30% of a
 * profile's building, most of it for the samples' location ids. */
static void put_packed(struct lt_buf *b, int field, const uint64_t *v, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += varint_size(v[i]);
    put_key(b, field, WIRE_BYTES);
    put_varint(b, bytes);
    if (!bytes || !reserve(b, bytes))
        return;
    uint8_t *out = b->data + b->len;
    for (size_t i = 0; i < n; i++)
        out += encode_varint(out, v[i]);
    b->len += bytes;
}

/* --- Profile messages --- */

void lt_pprof_begin(struct lt_pprof *e)
{
    memset(e, 0, sizeof *e);
    lt_pprof_string(e, ""); /* index 0 is always the empty string */
}

int64_t lt_pprof_string(struct lt_pprof *e, const char *s)
{
    struct lt_pprof_str *entry;
    size_t len = strlen(s);
    HASH_FIND(hh, e->strings, s, len, entry);
    if (entry)
        return entry->index;
    if (e->string_count == e->string_cap) {
        size_t cap = e->string_cap ? e->string_cap * 2 : 256;
        const char **list = lt_raw_realloc(e->string_list, cap * sizeof *list);
        if (!list) {
            e->out.failed = true;
            return 0;
        }
        e->string_list = list;
        e->string_cap = cap;
    }
    entry = lt_raw_malloc(sizeof *entry + len + 1);
    if (!entry) {
        e->out.failed = true;
        return 0;
    }
    memcpy(entry->text, s, len + 1);
    entry->index = (int64_t)e->string_count;
    e->string_list[e->string_count++] = entry->text;
    HASH_ADD(hh, e->strings, text, len, entry);
    return entry->index;
}

static void put_value_type(struct lt_pprof *e, int field, const char *type, const char *unit)
{
    put_uint(&e->msg, VALUE_TYPE_TYPE, (uint64_t)lt_pprof_string(e, type));
    put_uint(&e->msg, VALUE_TYPE_UNIT, (uint64_t)lt_pprof_string(e, unit));
    put_message(&e->out, field, &e->msg);
}

void lt_pprof_sample_type(struct lt_pprof *e, const char *type, const char *unit)
{
    put_value_type(e, PROFILE_SAMPLE_TYPE, type, unit);
}

void lt_pprof_sample(struct lt_pprof *e, const uint64_t *location_ids, size_t nloc,
                     const int64_t *values, size_t nval, const char *label_key,
                     const char *label_value)
{
    put_packed(&e->msg, SAMPLE_LOCATION_ID, location_ids, nloc);
    put_packed(&e->msg, SAMPLE_VALUE, (const uint64_t *)values, nval); /* int64 as two's complement */
    if (label_key) {
        put_uint(&e->sub, LABEL_KEY, (uint64_t)lt_pprof_string(e, label_key));
        put_uint(&e->sub, LABEL_STR, (uint64_t)lt_pprof_string(e, label_value));
        put_message(&e->msg, SAMPLE_LABEL, &e->sub);
    }
    put_message(&e->out, PROFILE_SAMPLE, &e->msg);
}

void lt_pprof_mapping(struct lt_pprof *e, const struct lt_pprof_mapping *m)
{
    struct lt_buf *b = &e->msg;
    put_uint(b, MAPPING_ID, m->id);
    put_uint(b, MAPPING_START, m->start);
    put_uint(b, MAPPING_LIMIT, m->limit);
    put_uint(b, MAPPING_OFFSET, m->offset);
    put_uint(b, MAPPING_FILENAME, (uint64_t)lt_pprof_string(e, m->file ? m->file : ""));
    put_uint(b, MAPPING_BUILD_ID, (uint64_t)lt_pprof_string(e, m->build_id ? m->build_id : ""));
    put_uint(b, MAPPING_HAS_FUNCTIONS, m->has_functions);
    put_uint(b, MAPPING_HAS_FILENAMES, m->has_filenames);
    put_uint(b, MAPPING_HAS_LINE_NUMBERS, m->has_line_numbers);
    put_uint(b, MAPPING_HAS_INLINE_FRAMES, m->has_inline_frames);
    put_message(&e->out, PROFILE_MAPPING, b);
}

void lt_pprof_location(struct lt_pprof *e, uint64_t id, uint64_t mapping_id, uint64_t address,
                       const struct lt_pprof_line *lines, size_t nlines)
{
    put_uint(&e->msg, LOCATION_ID, id);
    put_uint(&e->msg, LOCATION_MAPPING_ID, mapping_id);
    put_uint(&e->msg, LOCATION_ADDRESS, address);
    for (size_t i = 0; i < nlines; i++) {
        put_uint(&e->sub, LINE_FUNCTION_ID, lines[i].function_id);
        put_uint(&e->sub, LINE_LINE, (uint64_t)lines[i].line);
        put_message(&e->msg, LOCATION_LINE, &e->sub);
    }
    put_message(&e->out, PROFILE_LOCATION, &e->msg);
}

void lt_pprof_function(struct lt_pprof *e, uint64_t id, const char *name,
                       const char *system_name, const char *file, int64_t start_line)
{
    struct lt_buf *b = &e->msg;
    put_uint(b, FUNCTION_ID, id);
    put_uint(b, FUNCTION_NAME, (uint64_t)lt_pprof_string(e, name));
    put_uint(b, FUNCTION_SYSTEM_NAME, (uint64_t)lt_pprof_string(e, system_name));
    put_uint(b, FUNCTION_FILENAME, (uint64_t)lt_pprof_string(e, file ? file : ""));
    put_uint(b, FUNCTION_START_LINE, (uint64_t)start_line);
    put_message(&e->out, PROFILE_FUNCTION, b);
}

/* deflate's window: no larger than the input, whose matches it holds all
 * of (9 to 15 bits); its hash table (memLevel) in proportion. zlib's
 * default, 15 and 8, takes 256 KiB, most of a small program's snapshot. */
static int window_bits_for(size_t len)
{
    int bits = 9;
    while (bits < 15 && ((size_t)1 << bits) < len)
        bits++;
    return bits;
}

/* Level 1, as Go's runtime/pprof writes its profiles (gzip.BestSpeed): on
 * bench/snapstacks's 100,000 stacks (5.2 MB of profile.proto), 19 ms and
 * 314 KB, where zlib's default level 6 took 139 ms, 40% of the whole
 * snapshot, for 230 KB. */
#define GZIP_LEVEL 1

static bool gzip(const struct lt_buf *in, struct lt_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    int bits = window_bits_for(in->len);
    /* windowBits + 16: a gzip wrapper, as pprof expects */
    if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, bits + 16, bits - 7, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return false;
    out->len = 0;
    bool ok = reserve(out, deflateBound(&z, in->len) + 64);
    if (ok) {
        z.next_in = in->data;
        z.avail_in = (uInt)in->len;
        z.next_out = out->data;
        z.avail_out = (uInt)out->cap;
        ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
        out->len = z.total_out;
    }
    deflateEnd(&z);
    return ok;
}

static void release(struct lt_pprof *e)
{
    struct lt_pprof_str *s, *tmp;
    HASH_ITER(hh, e->strings, s, tmp) {
        HASH_DEL(e->strings, s);
        lt_raw_free(s);
    }
    lt_raw_free(e->string_list);
    lt_buf_release(&e->out);
    lt_buf_release(&e->msg);
    lt_buf_release(&e->sub);
}

bool lt_pprof_finish(struct lt_pprof *e, const char *period_type, const char *period_unit,
                     int64_t period, const char *default_sample_type, int64_t time_nanos,
                     int64_t duration_nanos, struct lt_buf *gz)
{
    put_value_type(e, PROFILE_PERIOD_TYPE, period_type, period_unit);
    put_uint(&e->out, PROFILE_PERIOD, (uint64_t)period);
    put_uint(&e->out, PROFILE_TIME_NANOS, (uint64_t)time_nanos);
    if (duration_nanos > 0)
        put_uint(&e->out, PROFILE_DURATION_NANOS, (uint64_t)duration_nanos);
    put_uint(&e->out, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)lt_pprof_string(e, default_sample_type));
    for (size_t i = 0; i < e->string_count; i++)
        put_bytes(&e->out, PROFILE_STRING_TABLE, e->string_list[i], strlen(e->string_list[i]));
    bool ok = !e->out.failed && !e->msg.failed && !e->sub.failed && gzip(&e->out, gz);
    release(e);
    return ok;
}

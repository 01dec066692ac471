/* profile.proto wire encoding (github.com/google/pprof/proto/profile.proto)
 * and gzip. Memory comes from the real allocator, never the traced heap.
 * The caller speaks in Profile terms; field numbers live only here. */
#ifndef LT_PPROF_ENC_H
#define LT_PPROF_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lt_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed; /* an allocation failed: the contents are incomplete */
};

void lt_buf_put(struct lt_buf *b, const void *p, size_t n);
void lt_buf_release(struct lt_buf *b);

struct lt_pprof_mapping {
    uint64_t id, start, limit, offset;
    const char *file, *build_id;
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct lt_pprof_line {
    uint64_t function_id;
    int64_t line;
};

struct lt_pprof_str; /* string table entry (uthash) */

struct lt_pprof {
    struct lt_buf out, msg, sub;
    struct lt_pprof_str *strings;  /* by text */
    const char **string_list;      /* by index */
    size_t string_count, string_cap;
};

void lt_pprof_begin(struct lt_pprof *e);
/* Index of s in the string table, adding it if new. */
int64_t lt_pprof_string(struct lt_pprof *e, const char *s);
void lt_pprof_sample_type(struct lt_pprof *e, const char *type, const char *unit);
void lt_pprof_sample(struct lt_pprof *e, const uint64_t *location_ids, size_t nloc,
                     const int64_t *values, size_t nval, const char *label_key,
                     const char *label_value);
void lt_pprof_mapping(struct lt_pprof *e, const struct lt_pprof_mapping *m);
void lt_pprof_location(struct lt_pprof *e, uint64_t id, uint64_t mapping_id, uint64_t address,
                       const struct lt_pprof_line *lines, size_t nlines);
void lt_pprof_function(struct lt_pprof *e, uint64_t id, const char *name,
                       const char *system_name, const char *file, int64_t start_line);
/* Adds the trailing scalar fields and the string table, gzips the message
 * into *gz and frees the encoder. duration_nanos 0: none (not a delta).
 * Returns false if memory ran out. */
bool lt_pprof_finish(struct lt_pprof *e, const char *period_type, const char *period_unit,
                     int64_t period, const char *default_sample_type, int64_t time_nanos,
                     int64_t duration_nanos, struct lt_buf *gz);

#endif

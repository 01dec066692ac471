/* Builds the heap and descriptor profiles from the stack table. */
#ifndef LT_PROFILE_H
#define LT_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "pprof_enc.h"

enum lt_profile_kind { LT_PROFILE_HEAP, LT_PROFILE_FD };

#define LT_PROFILE_VALUES_MAX 4

/* Counter values of every stack at one moment, to report growth since then
 * (the HTTP endpoint's ?seconds=N). */
struct lt_profile_base {
    int64_t taken_ns; /* CLOCK_MONOTONIC: the delta's duration runs from here */
    uint32_t count;
    int64_t (*values)[LT_PROFILE_VALUES_MAX]; /* by stack id */
};

bool lt_profile_base_take(enum lt_profile_kind kind, struct lt_profile_base *base);
void lt_profile_base_release(struct lt_profile_base *base);

/* Writes the gzipped profile.proto into *gz; false if memory ran out. With a
 * base, values are the differences since it was taken, and duration_nanos
 * the time since, as in Go's delta profiles. default_type names
 * the sample type pprof shows unless told otherwise; NULL: the kind's own
 * (inuse_space, inuse_fds). */
bool lt_profile_build(enum lt_profile_kind kind, const struct lt_profile_base *base,
                      const char *default_type, struct lt_buf *gz);

/* The same samples as text, one per stack with its symbolized frames
 * (?debug=1 of the HTTP endpoint). */
bool lt_profile_text(enum lt_profile_kind kind, const struct lt_profile_base *base,
                     struct lt_buf *out);

#endif

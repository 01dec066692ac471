/* Builds the heap and descriptor profiles from the stack table. */
#ifndef LT_PROFILE_H
#define LT_PROFILE_H

#include <stdbool.h>

#include "pprof_enc.h"

enum lt_profile_kind { LT_PROFILE_HEAP, LT_PROFILE_FD };

/* Writes the gzipped profile.proto into *gz; false if memory ran out. */
bool lt_profile_build(enum lt_profile_kind kind, struct lt_buf *gz);

#endif

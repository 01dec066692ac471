/* What the white-box tests share: a reproducible random stream
 * (xorshift64: the same numbers on every run, so a failure repeats). */
#ifndef LT_UNIT_H
#define LT_UNIT_H

#include <stdint.h>

static uint64_t unit_rng = 88172645463325252ull;

static inline uint64_t next_random(void)
{
    unit_rng ^= unit_rng << 13;
    unit_rng ^= unit_rng >> 7;
    unit_rng ^= unit_rng << 17;
    return unit_rng;
}

#endif

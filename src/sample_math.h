/* The two functions sampling needs (heap.c), so that the tracer does not
 * link libm: loading it costs every traced process some 300 KB of resident
 * memory and its relocation time, for two calls made once per sampled
 * allocation. Relative error below 2e-15 (a few ulps) over the domains heap.c uses
 * (tests/victims/sample_math.c checks them against libm). */
#ifndef LT_SAMPLE_MATH_H
#define LT_SAMPLE_MATH_H

#include <stdint.h>
#include <string.h>

#define LT_LN2 0.693147180559945309417

/* x * 2^n for a normal result. */
static inline double lt_scale2(double x, int n)
{
    uint64_t bits = (uint64_t)(1023 + n) << 52;
    double p;
    memcpy(&p, &bits, sizeof p);
    return x * p;
}

/* ln(x) for a normal x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), and
 * ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172: its odd series to s^25
 * leaves less than 1e-19. */
static inline double lt_ln(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.41421356237309504880) {
        m *= 0.5;
        e++;
    }
    double s = (m - 1) / (m + 1), s2 = s * s, series = 0;
    for (int k = 25; k >= 3; k -= 2)
        series = (series + 1.0 / k) * s2;
    return e * LT_LN2 + 2 * s * (1 + series);
}

/* e^r and sinh(r) for 0 <= r < 0.7, from their series: terms all
 * positive, so no cancellation; 25 terms leave less than 1e-20. */
static inline double lt_exp_small(double r)
{
    double term = 1, sum = 1;
    for (int k = 1; k <= 25; k++) {
        term *= r / k;
        sum += term;
    }
    return sum;
}

static inline double lt_sinh_small(double r)
{
    double term = r, sum = r;
    for (int k = 3; k <= 25; k += 2) {
        term *= r * r / ((k - 1) * k);
        sum += term;
    }
    return sum;
}

/* 1 - e^-x for x >= 0, without the cancellation of subtracting e^-x from 1
 * when x is small (sizes far below the sampling rate): below 1.4 it is
 * 2 sinh(x/2) / e^(x/2); above, e^-x = 2^-n / e^r with r in [0, ln 2)
 * is at most 1/4. */
static inline double lt_one_minus_exp_neg(double x)
{
    if (x < 1.4)
        return 2 * lt_sinh_small(x / 2) / lt_exp_small(x / 2);
    if (x > 700)
        return 1;
    int n = (int)(x / LT_LN2);
    return 1 - lt_scale2(1 / lt_exp_small(x - n * LT_LN2), -n);
}

#endif

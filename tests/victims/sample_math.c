/* Checks src/sample_math.h against libm over the domains heap.c uses:
 * ln(u) for u in (0, 1] (the sampling gap draws u >= 2^-54) and
 * 1 - e^-x for x = size / rate >= 0. Prints the largest relative errors;
 * exits 1 when one exceeds the bound given as argv[1]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sample_math.h"

static double rel_error(double got, double want)
{
    double d = fabs(got - want);
    return want == 0 ? d : d / fabs(want);
}

int main(int argc, char **argv)
{
    double bound = argc > 1 ? atof(argv[1]) : 1e-15;
    double worst_ln = 0, worst_exp = 0, at_ln = 0, at_exp = 0;
    unsigned long checked = 0;
    /* ln: every binade from 2^-54 to 1, 20,000 points each, plus the
     * neighbours of sqrt(1/2) where the reduction switches. */
    for (int e = -54; e <= 0; e++) {
        for (int i = 0; i < 20000; i++) {
            double u = ldexp(1.0 + i / 20000.0, e - 1);
            if (u > 1)
                break;
            double err = rel_error(lt_ln(u), log(u));
            if (err > worst_ln) {
                worst_ln = err;
                at_ln = u;
            }
            checked++;
        }
    }
    for (double u = M_SQRT1_2 * (1 - 1e-12); u < M_SQRT1_2 * (1 + 1e-12); u = nextafter(u, 1)) {
        double err = rel_error(lt_ln(u), log(u));
        if (err > worst_ln) {
            worst_ln = err;
            at_ln = u;
        }
        checked++;
        if (checked > 10000000)
            break;
    }
    /* 1 - e^-x: x log-spaced from 1e-15 (a byte at a huge rate) to 700,
     * and densely around the switch at 1.4. */
    for (int i = 0; i <= 2000000; i++) {
        double x = pow(10, -15 + i * (17.845 / 2000000));
        double err = rel_error(lt_one_minus_exp_neg(x), -expm1(-x));
        if (err > worst_exp) {
            worst_exp = err;
            at_exp = x;
        }
        checked++;
    }
    for (int i = -100000; i <= 100000; i++) {
        double x = 1.4 + i * 1e-9;
        double err = rel_error(lt_one_minus_exp_neg(x), -expm1(-x));
        if (err > worst_exp) {
            worst_exp = err;
            at_exp = x;
        }
        checked++;
    }
    printf("checked %lu values; ln: largest relative error %.3g at %.17g; "
           "1-exp(-x): largest relative error %.3g at %.17g\n",
           checked, worst_ln, at_ln, worst_exp, at_exp);
    return worst_ln <= bound && worst_exp <= bound ? 0 : 1;
}

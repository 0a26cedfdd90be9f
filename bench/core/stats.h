/* bench/core/stats.h: summary statistics of a small set of values
 * (repetitions, per-run means). */
#ifndef PROCLAB_BENCH_STATS_H
#define PROCLAB_BENCH_STATS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

double pl_mean(const double *v, size_t n);          /* 0 when n == 0 */
double pl_stddev(const double *v, size_t n);        /* sample stddev (n-1); 0 when n < 2 */
double pl_cv(const double *v, size_t n);            /* stddev / mean; 0 when mean == 0 */
/* Median and percentiles sort v in place. */
double pl_median(double *v, size_t n);              /* 0 when n == 0 */
double pl_percentile(double *v, size_t n, double p);/* linear interpolation, p in 0..100 */

#ifdef __cplusplus
}
#endif
#endif

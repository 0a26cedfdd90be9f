/* bench/core/stats.c: summary statistics of a handful of values. */
#include "core/stats.h"

#include <math.h>
#include <stdlib.h>

double pl_mean(const double *v, size_t n)
{
    double sum = 0.0;
    if (n == 0)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return sum / (double)n;
}

double pl_stddev(const double *v, size_t n)
{
    double mean, sq = 0.0;
    if (n < 2)
        return 0.0;
    mean = pl_mean(v, n);
    for (size_t i = 0; i < n; i++)
        sq += (v[i] - mean) * (v[i] - mean);
    return sqrt(sq / (double)(n - 1));
}

double pl_cv(const double *v, size_t n)
{
    double mean = pl_mean(v, n);
    return mean == 0.0 ? 0.0 : pl_stddev(v, n) / mean;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double pl_percentile(double *v, size_t n, double p)
{
    double pos, frac;
    size_t lo;

    if (n == 0)
        return 0.0;
    if (p < 0.0)
        p = 0.0;
    if (p > 100.0)
        p = 100.0;
    qsort(v, n, sizeof v[0], compare_doubles);
    pos = p / 100.0 * (double)(n - 1);
    lo = (size_t)pos;
    frac = pos - (double)lo;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + frac * (v[lo + 1] - v[lo]);
}

double pl_median(double *v, size_t n)
{
    return pl_percentile(v, n, 50.0);
}

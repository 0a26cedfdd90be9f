/* bench/core/histogram.c: a log-linear histogram of nanosecond values.
 *
 * Values below 128 have a bucket each.  Above, a value with its highest set
 * bit at position e (7 <= e <= 63) falls in one of 64 buckets for [2^e, 2^(e+1)),
 * chosen by the 6 bits after the highest: bucket width 2^(e-6), i.e. 1/64 of
 * the value's magnitude.  A percentile is reported as the middle of its
 * bucket, clamped to the recorded min and max, so it is within 1/128 of
 * some value in the bucket.  57 powers of two x 64 + 128 = 3776 counters
 * cover every uint64_t.
 *
 * Written here rather than taken from a library: Debian ships no C
 * HdrHistogram, and this is small and tested (tests/unit/test_histogram.c). */
#include "core/histogram.h"

#include <stdlib.h>
#include <string.h>

enum {
    EXACT = 128,                 /* values 0..127 have their own bucket */
    SUB_BITS = 6,
    SUB = 1 << SUB_BITS,         /* buckets per power of two */
    POWERS = 64 - 7,             /* e = 7 .. 63 */
    BUCKETS = EXACT + POWERS * SUB,
};

struct pl_hist {
    uint64_t count, min, max;
    long double sum;
    uint64_t bucket[BUCKETS];
};

static int bucket_of(uint64_t v)
{
    if (v < EXACT)
        return (int)v;
    int e = 63 - __builtin_clzll(v);
    int sub = (int)((v >> (e - SUB_BITS)) & (SUB - 1));
    return EXACT + (e - 7) * SUB + sub;
}

/* The middle of bucket i. */
static double bucket_value(int i)
{
    if (i < EXACT)
        return (double)i;
    int e = (i - EXACT) / SUB + 7, sub = (i - EXACT) % SUB;
    double width = (double)(1ULL << (e - SUB_BITS));
    double low = (double)(1ULL << e) + sub * width;
    return low + width / 2.0;
}

pl_hist *pl_hist_new(void)
{
    pl_hist *h = malloc(sizeof *h);
    if (h)
        pl_hist_reset(h);
    return h;
}

void pl_hist_free(pl_hist *h)
{
    free(h);
}

void pl_hist_reset(pl_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void pl_hist_add(pl_hist *h, uint64_t ns)
{
    h->bucket[bucket_of(ns)]++;
    h->count++;
    h->sum += ns;
    if (ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
}

void pl_hist_merge(pl_hist *dst, const pl_hist *src)
{
    for (int i = 0; i < BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t pl_hist_count(const pl_hist *h) { return h->count; }
uint64_t pl_hist_min(const pl_hist *h) { return h->count ? h->min : 0; }
uint64_t pl_hist_max(const pl_hist *h) { return h->max; }

double pl_hist_mean(const pl_hist *h)
{
    return h->count ? (double)(h->sum / h->count) : 0.0;
}

double pl_hist_percentile(const pl_hist *h, double p)
{
    uint64_t rank, seen = 0;

    if (h->count == 0)
        return 0.0;
    if (p <= 0.0)
        return (double)h->min;
    if (p >= 100.0)
        return (double)h->max;
    /* the smallest value with at least p % of samples at or below it */
    rank = (uint64_t)((p / 100.0) * (double)h->count + 0.999999999);
    if (rank == 0)
        rank = 1;
    for (int i = 0; i < BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            double v = bucket_value(i);
            if (v < (double)h->min)
                v = (double)h->min;
            if (v > (double)h->max)
                v = (double)h->max;
            return v;
        }
    }
    return (double)h->max;
}

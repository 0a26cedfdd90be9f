/* bench/core/histogram.h: per-operation latencies for p50/p99/p99.9.
 *
 * A log-linear histogram of nanosecond values: exact below 128 ns, then 64
 * buckets per power of two, so any reported percentile is within 1/64
 * (1.6 %) of a recorded value.  Fixed size (no allocation after new), cheap
 * to add to (a few instructions), and mergeable, so a benchmark can time
 * every single operation without keeping every sample. */
#ifndef PROCLAB_BENCH_HISTOGRAM_H
#define PROCLAB_BENCH_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pl_hist pl_hist;

pl_hist *pl_hist_new(void);                 /* NULL on allocation failure */
void     pl_hist_free(pl_hist *h);
void     pl_hist_reset(pl_hist *h);
void     pl_hist_add(pl_hist *h, uint64_t ns);
void     pl_hist_merge(pl_hist *dst, const pl_hist *src);
uint64_t pl_hist_count(const pl_hist *h);
uint64_t pl_hist_min(const pl_hist *h);     /* 0 when empty */
uint64_t pl_hist_max(const pl_hist *h);     /* 0 when empty */
double   pl_hist_mean(const pl_hist *h);    /* exact mean of recorded values; 0 when empty */
/* The value at percentile p (0..100): the smallest bucket value v such that
 * at least p % of the samples are <= v.  0 when empty. */
double   pl_hist_percentile(const pl_hist *h, double p);

#ifdef __cplusplus
}
#endif
#endif

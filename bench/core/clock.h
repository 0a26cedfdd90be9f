/* bench/core/clock.h: the one clock every proclab benchmark reads.
 *
 * CLOCK_MONOTONIC through the vDSO: no system call, about 20-30 ns a read,
 * unaffected by NTP steps.  pl_clock_overhead_ns() measures what one read
 * costs on this machine, so a report can say when a timed operation is
 * close to the clock's own cost. */
#ifndef PROCLAB_BENCH_CLOCK_H
#define PROCLAB_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline uint64_t pl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Median cost of one pl_now_ns() call, in ns (measured once, then cached). */
double pl_clock_overhead_ns(void);

#ifdef __cplusplus
}
#endif
#endif

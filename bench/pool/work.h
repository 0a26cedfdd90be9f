/* bench/pool/work.h: the task every pool benchmark runs -- G microseconds of
 * CPU work, as a loop of a number of turns calibrated once on this machine.
 *
 * A loop, not a clock: a worker that waits for a CPU (more workers than
 * CPUs) must take longer, or oversubscription would look free.  Python's
 * probe (scripts/families/python/probe.py) calibrates its own loop the same
 * way, so "grain_us" means the same CPU time in both. */
#ifndef PROCLAB_BENCH_POOL_WORK_H
#define PROCLAB_BENCH_POOL_WORK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Run the loop `turns` times; returns a value that depends on every turn. */
uint64_t pl_work(uint64_t turns);

/* Turns per microsecond of CPU time (CLOCK_THREAD_CPUTIME_ID, so other
 * processes on the CPU do not skew it): the fastest of several timed runs.
 * Measured once, then cached. */
double pl_work_turns_per_us(void);

/* The turns of `grain_us` microseconds of work. */
uint64_t pl_work_turns(double grain_us);

#ifdef __cplusplus
}
#endif
#endif

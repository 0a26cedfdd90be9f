/* bench/core/placement.h: where each side of a benchmark runs.
 *
 * Every two-process benchmark runs in one of two placements, always both:
 *   same  (cross = 0): both processes pinned to one CPU: every message is a
 *                      context switch, no cache line leaves the core;
 *   cross (cross = 1): pinned to two CPUs, on two different physical cores
 *                      when the topology (hwloc) has them: every message
 *                      crosses between caches and usually wakes another CPU.
 * CPUs are chosen among those this process may run on (its affinity mask
 * at the first call), so `taskset -c 2,3 bench_ipc` moves the whole run. */
#ifndef PROCLAB_BENCH_PLACEMENT_H
#define PROCLAB_BENCH_PLACEMENT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int self;     /* CPU for the measuring (parent) process */
    int partner;  /* CPU for the partner process; == self when same */
} pl_placement;

/* CPUs allowed at start-up, in order; returns how many (>= 1). */
int pl_cpus_allowed(int *cpus, int max);

/* Choose CPUs for a placement.  Returns 0, or -1 when cross is asked and
 * only one CPU is allowed (errno = ENODEV). */
int pl_placement_pick(int cross, pl_placement *out);

/* Several ordered CPU pairs for --pairs=all: fills up to max pairs
 * (a, b) with a != b over the allowed CPUs; returns the count. */
int pl_placement_all_pairs(pl_placement *out, int max);

/* Pin the calling process (all of it: it is single-threaded) to one CPU.
 * 0 or -1 with errno. */
int pl_pin_self(int cpu);

/* Undo pl_pin_self: back to the mask the process started with. */
int pl_unpin_self(void);

/* "cpu0+cpu1 (different cores)", "cpu0 (same cpu)", "cpu0+cpu1 (SMT siblings)". */
const char *pl_placement_describe(const pl_placement *p, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif

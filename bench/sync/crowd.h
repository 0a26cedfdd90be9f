/* bench/sync/crowd.h: P worker processes hammering one lock, in rounds.
 *
 * The parent releases all workers at once (a futex broadcast), each does
 * ops_per_round critical sections, the last one to finish wakes the parent.
 * One round is one Google Benchmark iteration; ops_per_round is chosen by
 * pl_crowd_calibrate() so a round lasts a few milliseconds and the cost of
 * starting and ending it (two wake-ups) stays around 1 % of it.  Workers are
 * pinned round-robin over the CPUs the process may use. */
#ifndef PROCLAB_BENCH_SYNC_CROWD_H
#define PROCLAB_BENCH_SYNC_CROWD_H

#include "sync/lock.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pl_crowd pl_crowd;

/* Fork procs workers (each attach()es and says ready).  NULL + errno. */
pl_crowd *pl_crowd_start(const pl_lock_kind *kind, pl_lock *lock, int procs);
/* Set ops per worker per round so that a round takes about target_ms. */
int  pl_crowd_calibrate(pl_crowd *c, double target_ms);
long pl_crowd_ops_per_round(const pl_crowd *c);
/* One round.  0, or -1 with errno: EPIPE a worker died, EIO a worker's
 * critical() failed, ETIMEDOUT no progress for 10 s. */
int  pl_crowd_round(pl_crowd *c);
/* The shared counter and how many critical sections were run in all. */
long pl_crowd_counter(const pl_crowd *c);
long pl_crowd_expected(const pl_crowd *c);
/* Stop and reap every worker, free c.  0 if all exited cleanly, else -1. */
int  pl_crowd_stop(pl_crowd *c);
/* From a signal handler (async-signal-safe): SIGKILL every worker of every
 * running crowd, so that the round in progress fails and the benchmark
 * cleans up (removes its lock's objects) before the program dies. */
void pl_crowd_kill_running(void);
/* Test hook: SIGKILL worker i (to check that a dead worker is reported). */
int  pl_crowd_kill_worker(pl_crowd *c, int i);

#ifdef __cplusplus
}
#endif
#endif

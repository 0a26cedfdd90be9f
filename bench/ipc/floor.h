/* bench/ipc/floor.h: the cache-line ping-pong, the floor under any
 * cross-CPU round trip.
 *
 * Two processes share one 64-byte line holding a counter.  The parent
 * stores an odd value and spins until it reads value + 1; the partner spins
 * until it reads an odd value and stores value + 1.  A round trip is then
 * two transfers of that line between the CPUs' caches and nothing else: no
 * copy, no system call, no wake-up.  No IPC mechanism can beat it; a busy-
 * polling one (shm_spin) can come close.  Same-CPU placement is not
 * measured: the spinner would only wait for the scheduler tick.
 *
 * The each_way variant uses two lines: the parent's value in one, the
 * partner's answer in the other -- the least any duplex channel moves
 * (each direction writes its own line, the other side only reads it).  It
 * shows what that layout costs on this machine beside the one-line floor.
 *
 * A spinning side checks every CHECK_EVERY spins that the other is alive
 * (pl_partner_exited in the parent, getppid() in the partner) and fails
 * with EPIPE. */
#ifndef PROCLAB_BENCH_IPC_FLOOR_H
#define PROCLAB_BENCH_IPC_FLOOR_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pl_floor_line pl_floor_line;

/* Shared (fork-inherited) line(s); each_way: one line per direction.
 * NULL + errno. */
pl_floor_line *pl_floor_line_new(int each_way);
void pl_floor_line_free(pl_floor_line *l);

/* Partner: answer until the parent stores the stop value (returns 0) or
 * the parent is gone (-1, EPIPE). */
int pl_floor_line_serve(pl_floor_line *l, pid_t parent);

/* Parent: one round trip.  0, or -1 (EPIPE) when the partner died. */
int pl_floor_line_roundtrip(pl_floor_line *l);

/* Parent: tell the partner to return from pl_floor_line_serve. */
void pl_floor_line_stop(pl_floor_line *l);

#ifdef __cplusplus
}
#endif
#endif

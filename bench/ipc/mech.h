/* bench/ipc/mech.h: one IPC mechanism behind one small interface.
 *
 * Each file bench/ipc/MECH.c defines one `const pl_mech pl_mech_MECH` and
 * nothing else visible; bench/ipc/registry.c lists them.  Adding a
 * mechanism is that file plus one registry line: the driver
 * (bench/bench_ipc.cc) registers latency and throughput benchmarks for every
 * mechanism x size x placement from the registry.
 *
 * Life of a channel (the driver does this; a mechanism only fills the table):
 *   parent:  ch = create(max_bytes)          before fork: make the objects
 *   fork (pl_partner_start)
 *   each:    attach(ch, side, peer_pid)      side 0 = parent (measures),
 *                                            side 1 = partner
 *   both:    send()/recv() many times        the timed part
 *   partner: detach(ch, 1) then _exit
 *   parent:  detach(ch, 0) after the partner is stopped: closes and removes
 *            every named object (also on error paths)
 *
 * Rules every mechanism keeps:
 *   - send() moves len bytes (1 <= len <= max_bytes given to create) as one
 *     message; recv() returns exactly len bytes (a stream mechanism loops
 *     over short reads) -- the driver always knows the size it expects.
 *   - Blocking calls are NOT wrapped in poll or timeouts (that would be
 *     timed).  A blocking call interrupted by a signal returns -1/EINTR
 *     through send/recv unchanged: that is how the parent learns its
 *     partner died (see pl_partner_exited in core/partner.h).  A busy-wait
 *     loop checks pl_partner_exited (parent) or getppid() == 1 (partner)
 *     every few thousand spins and fails with errno = EPIPE.
 *   - Named objects: O_EXCL (IPC_CREAT|IPC_EXCL), mode 0600, names
 *     "/proclab-<uid>-<pid>-<mech>", files in a private mkdtemp directory;
 *     all removed by detach(ch, 0) whatever happened.
 *   - No output: errors are -1 with errno; the driver reports them with
 *     SkipWithError and the run goes on.
 */
#ifndef PROCLAB_BENCH_IPC_MECH_H
#define PROCLAB_BENCH_IPC_MECH_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pl_chan pl_chan;     /* each mechanism defines its own */

enum {
    PL_CAP_BOUNDARIES = 1u << 0,    /* keeps message boundaries */
    PL_CAP_NAMED      = 1u << 1,    /* uses a name in a filesystem or namespace */
    PL_CAP_BUSY_WAIT  = 1u << 2,    /* spins: same-CPU placement only wastes time */
    PL_CAP_ZERO_COPY  = 1u << 3,    /* fewer than two copies per message */
};

typedef struct pl_mech {
    const char *name;           /* stable: appears in benchmark names */
    const char *summary;        /* one line for --list and the report */
    unsigned caps;              /* PL_CAP_* */
    size_t max_msg;             /* largest message it can carry, 0 = no limit */

    pl_chan *(*create)(size_t max_bytes);           /* NULL + errno on failure */
    int  (*attach)(pl_chan *ch, int side, pid_t peer);
    int  (*send)(pl_chan *ch, int side, const void *buf, size_t len);
    int  (*recv)(pl_chan *ch, int side, void *buf, size_t len);
    void (*detach)(pl_chan *ch, int side);          /* frees ch in that process */
} pl_mech;

/* The registry (bench/ipc/registry.c), NULL-terminated, in report order. */
extern const pl_mech *const pl_mechs[];
const pl_mech *pl_mech_find(const char *name);      /* NULL if unknown */

#ifdef __cplusplus
}
#endif
#endif

/* bench/ipc/shm_futex.c: a ring of slots in shared anonymous memory,
 * blocking with futexes only when needed.
 *
 * One message costs: one copy in (sender memcpy into the slot), one copy
 * out (receiver memcpy), a release store, a full fence and a load of the
 * other side's waiter flag -- and no system call while the receiver keeps
 * up.  When the receiver has to wait it sets its flag and calls FUTEX_WAIT
 * on the slot's sequence word; the sender then pays one FUTEX_WAKE and the
 * receiver one wake-up (a context switch on the same CPU, a cross-CPU
 * wake-up otherwise).  Ping-pong always waits, so each one-way trip is a
 * FUTEX_WAKE plus a FUTEX_WAIT return: the floor for "sleep until data"
 * with no kernel object at all.  No spinning before sleeping, on purpose:
 * shm_spin shows the other end of that trade.
 *
 * The memory is mapped MAP_SHARED|MAP_ANONYMOUS before fork, so both
 * processes see it at the same address; futexes are process-shared (no
 * FUTEX_PRIVATE_FLAG), keyed by the shared page. */
#include "ipc/mech.h"
#include "ipc/shm_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

struct pl_chan { pl_duplex d; };

static pl_chan *create(size_t max_bytes)
{
    pl_chan *ch = calloc(1, sizeof *ch);
    if (ch && pl_duplex_create(&ch->d, max_bytes) == -1) {
        int saved = errno;
        free(ch);
        errno = saved;
        return NULL;
    }
    return ch;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    pl_duplex_attach(&ch->d, ch->d.mem, side);
    return 0;
}

static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    (void)side;
    return pl_ring_send(&ch->d.out, buf, len, &pl_notify_futex);
}

static int recv_msg(pl_chan *ch, int side, void *buf, size_t len)
{
    (void)side;
    return pl_ring_recv(&ch->d.in, buf, len, &pl_notify_futex);
}

static void detach(pl_chan *ch, int side)
{
    (void)side;
    if (!ch)
        return;
    int saved = errno;
    pl_duplex_free(&ch->d);
    free(ch);
    errno = saved;
}

const pl_mech pl_mech_shm_futex = {
    .name = "shm_futex",
    .summary = "slot ring in shared memory, futex wait/wake only when a side sleeps",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

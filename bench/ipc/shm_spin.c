/* bench/ipc/shm_spin.c: the shared ring with no system call at all: the
 * receiver busy-polls the slot's sequence number.
 *
 * One message costs: one copy in, one copy out, one release store of seq
 * (sender) and one of tail (receiver); no system call, no wake-up.  The
 * receiver spins on the slot's first cache line, which holds seq, len and
 * the first 56 payload bytes, so a message of up to 56 bytes crosses from
 * one CPU's cache to the other's as ONE line transfer, and 64 bytes as two
 * -- close to the floor of any cross-CPU communication (one cache line
 * ping-ponged).  The sender reads the receiver's tail only when its cached
 * copy says the ring is full, so the tail line does not travel per message.
 *
 * The price: a waiting side burns its CPU.  Placed on ONE CPU, a spinner
 * would hold the CPU until the scheduler tick preempts it (milliseconds per
 * message), so after SPINS_BEFORE_YIELD fruitless looks it calls
 * sched_yield() on every further CHECK_EVERY spins, which hands the CPU to
 * the other process at once: a same-CPU one-way trip is then "spin a few
 * microseconds, yield, switch" (here ~15 us a round trip instead of
 * milliseconds), which measures the yield, not the cross-CPU path.  Every CHECK_EVERY spins a waiting side
 * also checks that the other is alive (pl_partner_exited in the parent;
 * in the partner, getppid() no longer being the parent, which also covers
 * a subreaper) and fails with EPIPE if not. */
#include "core/partner.h"
#include "ipc/mech.h"
#include "ipc/shm_ring.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A cross-CPU message arrives within a few dozen pauses; 128 pauses are a
 * few microseconds (one pause is ~10-40 ns depending on the CPU).  Fewer
 * spins would make same-CPU runs faster still but start to yield on a
 * merely slow cross-CPU hand-over. */
enum {
    SPINS_BEFORE_YIELD = 128,
    CHECK_EVERY = 128,          /* power of two */
};

struct pl_chan {
    pl_duplex d;
    int side;
    pid_t peer;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* One fruitless look: pause; now and then check the other side and yield.
 * 0 to go on spinning, -1 (EPIPE) when the other side is gone. */
static int spin_once(const pl_chan *ch, unsigned *spins)
{
    cpu_relax();
    if ((++*spins & (CHECK_EVERY - 1)) != 0)
        return 0;
    if (ch->side == 0 ? pl_partner_exited != 0 : getppid() != ch->peer) {
        errno = EPIPE;
        return -1;
    }
    if (*spins >= SPINS_BEFORE_YIELD)
        sched_yield();
    return 0;
}

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
    ch->side = side;
    ch->peer = peer;
    pl_duplex_attach(&ch->d, ch->d.mem, side);
    return 0;
}

static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    (void)side;
    pl_ring_end *e = &ch->d.out;
    unsigned spins = 0;
    if (len == 0 || len > e->max_bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    while (!pl_ring_can_put(e))
        if (spin_once(ch, &spins) == -1)
            return -1;
    pl_ring_put_now(e, buf, len);
    return 0;
}

static int recv_msg(pl_chan *ch, int side, void *buf, size_t len)
{
    (void)side;
    pl_ring_end *e = &ch->d.in;
    unsigned spins = 0;
    while (!pl_ring_can_get(e))
        if (spin_once(ch, &spins) == -1)
            return -1;
    return pl_ring_get_now(e, buf, len);
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

const pl_mech pl_mech_shm_spin = {
    .name = "shm_spin",
    .summary = "slot ring in shared memory, busy-polling a sequence number (no system call)",
    .caps = PL_CAP_BOUNDARIES | PL_CAP_BUSY_WAIT,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

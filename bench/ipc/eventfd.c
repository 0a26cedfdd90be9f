/* bench/ipc/eventfd.c: payload in the shared ring, wake-ups through
 * eventfds.
 *
 * One message costs: one copy in, one copy out (the ring), and -- when the
 * receiver is asleep, which in ping-pong is every time -- one write(2) of an
 * 8-byte count by the sender and one read(2) returning in the receiver: two
 * system calls through the VFS, plus the wake-up itself.  While the receiver
 * keeps up (streaming) the waiter flags of the ring skip both calls.
 *
 * Two eventfds, made before fork and inherited: efd[0] is the parent's
 * doorbell, efd[1] the partner's.  A process waits on its own doorbell
 * whether it waits for data (ring empty) or for room (ring full): it can
 * only wait for one thing at a time.  Next to shm_futex this shows the cost
 * of a file descriptor as the wake-up path -- the price of being able to
 * poll/epoll it with other descriptors, which a futex cannot do. */
#include "ipc/mech.h"
#include "ipc/shm_ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

struct pl_chan {
    pl_duplex d;
    int efd[2];         /* doorbell of side 0 and of side 1 */
    int side;
    pl_notify n;
};

static int doorbell_sleep(void *ctx, _Atomic uint32_t *flag)
{
    pl_chan *ch = ctx;
    uint64_t count;
    (void)flag;
    ssize_t got = read(ch->efd[ch->side], &count, sizeof count);  /* blocks */
    if (got == (ssize_t)sizeof count)
        return 0;
    if (got >= 0)
        errno = EIO;
    return -1;
}

static int doorbell_ring(void *ctx, _Atomic uint32_t *flag)
{
    pl_chan *ch = ctx;
    uint64_t one = 1;
    (void)flag;
    ssize_t put = write(ch->efd[1 - ch->side], &one, sizeof one);
    if (put == (ssize_t)sizeof one)
        return 0;
    if (put >= 0)
        errno = EIO;
    return -1;
}

static void destroy(pl_chan *ch)
{
    for (int i = 0; i < 2; i++)
        if (ch->efd[i] >= 0)
            close(ch->efd[i]);
    pl_duplex_free(&ch->d);
    free(ch);
}

static pl_chan *create(size_t max_bytes)
{
    pl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->efd[0] = ch->efd[1] = -1;
    if (pl_duplex_create(&ch->d, max_bytes) == -1 || (ch->efd[0] = eventfd(0, EFD_CLOEXEC)) == -1 ||
        (ch->efd[1] = eventfd(0, EFD_CLOEXEC)) == -1) {
        int saved = errno;
        destroy(ch);
        errno = saved;
        return NULL;
    }
    return ch;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    ch->side = side;
    ch->n = (pl_notify){ doorbell_sleep, doorbell_ring, ch, 1 };
    pl_duplex_attach(&ch->d, ch->d.mem, side);
    return 0;
}

static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    (void)side;
    return pl_ring_send(&ch->d.out, buf, len, &ch->n);
}

static int recv_msg(pl_chan *ch, int side, void *buf, size_t len)
{
    (void)side;
    return pl_ring_recv(&ch->d.in, buf, len, &ch->n);
}

static void detach(pl_chan *ch, int side)
{
    (void)side;
    if (!ch)
        return;
    int saved = errno;
    destroy(ch);
    errno = saved;
}

const pl_mech pl_mech_eventfd = {
    .name = "eventfd",
    .summary = "slot ring in shared memory, wake-ups through one eventfd per direction",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

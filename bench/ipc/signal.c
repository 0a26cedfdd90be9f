/* bench/ipc/signal.c: payload in the shared ring, wake-ups as queued
 * real-time signals.
 *
 * One message costs: one copy in, one copy out (the ring), and -- when the
 * receiver is asleep, which in ping-pong is every time -- one sigqueue(2)
 * by the sender (allocating and queueing a siginfo in the kernel) and one
 * sigtimedwait(2) returning in the receiver (dequeueing it), plus the
 * wake-up.  No handler runs: the signal is blocked and taken synchronously,
 * which is the only sane way to use signals as a message doorbell.  While the
 * receiver keeps up (streaming) the ring's waiter flags skip both calls.
 *
 * The parent's doorbell is SIGRTMIN+1, the partner's SIGRTMIN+2; each
 * process blocks its own in attach() and unblocks it in detach() after
 * taking any still pending (a real-time signal left pending would kill the
 * process when unblocked).  Real-time signals queue, one per sigqueue, so
 * the ring rings at most once per sleep (see shm_ring.h).
 *
 * The wait is sigtimedwait with a 100 ms timeout in a loop, not a bare
 * sigwaitinfo: the parent's SIGCHLD handler interrupts it (EINTR, passed
 * up) when the partner dies, but a SIGCHLD that lands just before the call
 * would otherwise leave it waiting forever; on each timeout the loop checks
 * whether the other side is gone (EPIPE).  The timeout never fires on the
 * normal path.  Assumes a single-threaded process (a thread without the
 * signal blocked would take it, with the default action: terminate). */
#include "core/partner.h"
#include "ipc/mech.h"
#include "ipc/shm_ring.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { TIMEOUT_MS = 100 };

struct pl_chan {
    pl_duplex d;
    int side;
    pid_t peer;
    int blocked;        /* our doorbell blocked by attach() */
    int was_blocked;    /* ... and it was blocked before */
    pl_notify n;
};

static int doorbell_of(int side) { return SIGRTMIN + 1 + side; }

static int peer_gone(const pl_chan *ch)
{
    return ch->side == 0 ? pl_partner_exited != 0 : getppid() != ch->peer;
}

static int doorbell_sleep(void *ctx, _Atomic uint32_t *flag)
{
    pl_chan *ch = ctx;
    sigset_t set;
    struct timespec limit = { TIMEOUT_MS / 1000, (TIMEOUT_MS % 1000) * 1000000L };
    (void)flag;
    sigemptyset(&set);
    sigaddset(&set, doorbell_of(ch->side));
    for (;;) {
        if (sigtimedwait(&set, NULL, &limit) != -1)
            return 0;
        if (errno != EAGAIN)
            return -1;                  /* EINTR: passed up */
        if (peer_gone(ch)) {
            errno = EPIPE;
            return -1;
        }
    }
}

static int doorbell_ring(void *ctx, _Atomic uint32_t *flag)
{
    pl_chan *ch = ctx;
    (void)flag;
    return sigqueue(ch->peer, doorbell_of(1 - ch->side), (union sigval){ 0 });
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
    sigset_t set, old;
    ch->side = side;
    ch->peer = peer;
    ch->n = (pl_notify){ doorbell_sleep, doorbell_ring, ch, 1 };
    pl_duplex_attach(&ch->d, ch->d.mem, side);
    sigemptyset(&set);
    sigaddset(&set, doorbell_of(side));
    if (sigprocmask(SIG_BLOCK, &set, &old) == -1)
        return -1;
    ch->blocked = 1;
    ch->was_blocked = sigismember(&old, doorbell_of(side)) == 1;
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
    if (ch->blocked && !ch->was_blocked) {
        sigset_t set;
        struct timespec now = { 0, 0 };
        sigemptyset(&set);
        sigaddset(&set, doorbell_of(ch->side));
        while (sigtimedwait(&set, NULL, &now) != -1 || errno == EINTR)
            ;                           /* take what is pending ... */
        sigprocmask(SIG_UNBLOCK, &set, NULL);   /* ... then unblock */
    }
    pl_duplex_free(&ch->d);
    free(ch);
    errno = saved;
}

const pl_mech pl_mech_signal = {
    .name = "signal",
    .summary = "slot ring in shared memory, wake-ups by sigqueue + sigtimedwait (blocked RT signals)",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

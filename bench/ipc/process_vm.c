/* bench/ipc/process_vm.c: the receiver copies the message straight out of
 * the sender's memory with process_vm_readv (cross-memory attach).
 *
 * One message costs ONE copy, done by the kernel from the sender's own
 * buffer into the receiver's, and a rendezvous: the sender posts (address,
 * length) in a shared control block, wakes the receiver if it sleeps, and
 * waits until the receiver says "pulled" -- the buffer is the caller's and
 * must not change before it is read.  So per message: one process_vm_readv
 * (which pins the sender's pages and copies), and in ping-pong two wake-ups
 * per one-way trip at worst (receiver woken for the post, sender woken for
 * the "pulled"); futex waits with waiter flags, no system call for a side
 * that does not have to sleep.  Streaming gets no pipelining: each message
 * is a full rendezvous.  This is the large-message path of MPI libraries
 * (CMA): one copy instead of two, bought with a round of notification.
 *
 * process_vm_readv needs ptrace access to the peer (same user and, under
 * Yama ptrace_scope >= 1, an ancestor or CAP_SYS_PTRACE): attach() tries
 * one read and fails with that errno (usually EPERM) so the driver can skip
 * the mechanism with a clear message. */
#include "ipc/mech.h"
#include "ipc/shm_ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>

/* One per direction; direction d is sent by side d.  Shared memory mapped
 * before fork: the same address in both processes. */
typedef struct {
    _Alignas(64) _Atomic uint32_t seq;      /* messages posted (sender) */
    uint32_t len;
    uint64_t addr;                          /* in the sender's address space */
    _Alignas(64) _Atomic uint32_t done;     /* messages pulled (receiver) */
    _Alignas(64) _Atomic uint32_t recv_waiting;
    _Atomic uint32_t send_waiting;
} post;

struct pl_chan {
    post *posts;        /* [2] */
    size_t max_bytes;
    pid_t peer;
    uint32_t sent, received;
};

static pl_chan *create(size_t max_bytes)
{
    if (max_bytes == 0 || max_bytes > UINT32_MAX) {
        errno = EMSGSIZE;
        return NULL;
    }
    pl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->max_bytes = max_bytes;
    ch->posts = pl_ring_map_shared(2 * sizeof(post));
    if (!ch->posts) {
        free(ch);
        return NULL;
    }
    return ch;
}

/* Pull len bytes at the peer's addr into buf. */
static int pull(pid_t peer, void *buf, uint64_t addr, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct iovec local = { (char *)buf + got, len - got };
        struct iovec remote = { (void *)(uintptr_t)(addr + got), len - got };
        ssize_t n = process_vm_readv(peer, &local, 1, &remote, 1, 0);
        if (n == -1)
            return -1;
        if (n == 0) {
            errno = EFAULT;
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    uint32_t probe;
    (void)side;
    ch->peer = peer;
    /* May we read the peer at all?  EPERM here, not mid-benchmark. */
    return pull(peer, &probe, (uint64_t)(uintptr_t)&ch->posts[0].seq, sizeof probe);
}

static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    post *p = &ch->posts[side];
    uint32_t m = ch->sent;
    if (len == 0 || len > ch->max_bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    p->addr = (uint64_t)(uintptr_t)buf;
    p->len = (uint32_t)len;
    atomic_store_explicit(&p->seq, m + 1, memory_order_release);
    if (pl_wake_if_waiting(&p->recv_waiting, &pl_notify_futex) == -1)
        return -1;
    /* The buffer is the caller's: keep it still until it has been pulled. */
    if (pl_wait_change(&p->done, m, &p->send_waiting, &pl_notify_futex) == -1)
        return -1;
    ch->sent = m + 1;
    return 0;
}

static int recv_msg(pl_chan *ch, int side, void *buf, size_t len)
{
    post *p = &ch->posts[1 - side];
    uint32_t m = ch->received;
    if (pl_wait_change(&p->seq, m, &p->recv_waiting, &pl_notify_futex) == -1)
        return -1;
    int rc = 0;
    if (p->len != len) {
        errno = EPROTO;
        rc = -1;
    } else {
        rc = pull(ch->peer, buf, p->addr, len);
    }
    int saved = errno;
    ch->received = m + 1;
    /* Release the sender even on failure, so it does not wait forever. */
    atomic_store_explicit(&p->done, m + 1, memory_order_release);
    if (pl_wake_if_waiting(&p->send_waiting, &pl_notify_futex) == -1)
        return -1;
    errno = saved;
    return rc;
}

static void detach(pl_chan *ch, int side)
{
    (void)side;
    if (!ch)
        return;
    int saved = errno;
    munmap(ch->posts, 2 * sizeof(post));
    free(ch);
    errno = saved;
}

const pl_mech pl_mech_process_vm = {
    .name = "process_vm",
    .summary = "receiver pulls from the sender's buffer with process_vm_readv (one copy), futex rendezvous",
    .caps = PL_CAP_BOUNDARIES | PL_CAP_ZERO_COPY,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

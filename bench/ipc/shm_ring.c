/* bench/ipc/shm_ring.c: set-up, blocking send/receive and the futex
 * notifier of the shared ring (design in shm_ring.h). */
#include "ipc/shm_ring.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
    HEADER_BYTES = 256,             /* three lines of pl_ring, 128-aligned */
    RING_BUDGET = 256 * 1024,       /* payload bytes per direction we aim at */
    MIN_SLOTS = 2,
    MAX_SLOTS = 64,
};

_Static_assert(sizeof(pl_ring) <= HEADER_BYTES, "pl_ring outgrew its header");

static uint32_t stride_for(size_t max_bytes)
{
    return (uint32_t)((sizeof(pl_ring_slot) + max_bytes + 63) & ~(size_t)63);
}

/* Enough slots to stream without waking on every message, within a
 * modest memory budget: 64 slots of small messages, 2 of 1 MiB. */
static uint32_t slots_for(uint32_t stride)
{
    uint32_t n = MAX_SLOTS;
    while (n > MIN_SLOTS && (size_t)n * stride > RING_BUDGET)
        n /= 2;
    return n;
}

size_t pl_ring_bytes(size_t max_bytes)
{
    if (max_bytes == 0 || max_bytes > (size_t)INT_MAX / 2) {
        errno = EOVERFLOW;
        return 0;
    }
    uint32_t stride = stride_for(max_bytes);
    return HEADER_BYTES + (size_t)slots_for(stride) * stride;
}

pl_ring *pl_ring_init(void *mem, size_t max_bytes)
{
    pl_ring *r = mem;
    r->stride = stride_for(max_bytes);
    r->nslots = slots_for(r->stride);
    r->max_bytes = (uint32_t)max_bytes;
    atomic_init(&r->tail, 0);
    atomic_init(&r->cons_waiting, 0);
    atomic_init(&r->prod_waiting, 0);
    /* Slot i looks as if message i - nslots had been published and
     * consumed: the consumer waits for seq to leave that value. */
    for (uint32_t i = 0; i < r->nslots; i++) {
        pl_ring_slot *s = (pl_ring_slot *)((unsigned char *)mem + HEADER_BYTES +
                                           (size_t)i * r->stride);
        atomic_init(&s->seq, i + 1 - r->nslots);
        s->len = 0;
    }
    return r;
}

void pl_ring_end_init(pl_ring_end *e, pl_ring *r)
{
    e->r = r;
    e->slots = (unsigned char *)r + HEADER_BYTES;
    e->mask = r->nslots - 1;
    e->stride = r->stride;
    e->max_bytes = r->max_bytes;
    e->pos = 0;
    e->tail_cache = 0;
}

int pl_wait_change(_Atomic uint32_t *word, uint32_t stale,
                   _Atomic uint32_t *flag, const pl_notify *n)
{
    /* The flag is raised only here and lowered only by an exchange, so
     * each raise is claimed by one side.  A waker's claim can still land on
     * a LATER raise than the one it saw (it loads, then exchanges); that is
     * why a futex sleeps on the flag itself, not on the data word: a stolen
     * claim lowers the flag, so FUTEX_WAIT(flag, 1) does not block and we
     * look again.  A counted notifier (eventfd, signal) wakes this process
     * whatever the word, so a stolen claim costs one extra loop. */
    while (atomic_load_explicit(word, memory_order_acquire) == stale) {
        atomic_store_explicit(flag, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);  /* pairs with the waker's */
        if (atomic_load_explicit(word, memory_order_acquire) != stale) {
            /* Progress came.  If the other side claimed our flag already,
             * its wake-up is on the way: a counted one is taken now so
             * that they do not pile up; a stray futex wake is harmless. */
            if (atomic_exchange_explicit(flag, 0, memory_order_relaxed) == 0 &&
                n->counted && n->sleep(n->ctx, flag) == -1)
                return -1;
            return 0;
        }
        if (n->sleep(n->ctx, flag) == -1) {
            int saved = errno;
            atomic_exchange_explicit(flag, 0, memory_order_relaxed);
            errno = saved;
            return -1;
        }
        /* A counted sleep returns only after a claim and its wake-up.  A
         * futex one may return spuriously, flag still up: take it back
         * if we are done, so the other side does not wake us for nothing. */
        if (!n->counted &&
            atomic_load_explicit(word, memory_order_acquire) != stale) {
            atomic_exchange_explicit(flag, 0, memory_order_relaxed);
            return 0;
        }
    }
    return 0;
}

int pl_wake_if_waiting(_Atomic uint32_t *flag, const pl_notify *n)
{
    atomic_thread_fence(memory_order_seq_cst);      /* pairs with the waiter's */
    if (atomic_load_explicit(flag, memory_order_relaxed) &&
        atomic_exchange_explicit(flag, 0, memory_order_relaxed))
        return n->wake(n->ctx, flag);
    return 0;
}

int pl_ring_send(pl_ring_end *e, const void *buf, size_t len, const pl_notify *n)
{
    if (len == 0 || len > e->max_bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    while (!pl_ring_can_put(e))     /* full: wait for tail to move */
        if (pl_wait_change(&e->r->tail, e->pos - e->mask - 1,
                           &e->r->prod_waiting, n) == -1)
            return -1;
    pl_ring_put_now(e, buf, len);
    return pl_wake_if_waiting(&e->r->cons_waiting, n);
}

int pl_ring_recv(pl_ring_end *e, void *buf, size_t len, const pl_notify *n)
{
    pl_ring_slot *s = pl_ring_slot_at(e, e->pos);
    while (!pl_ring_can_get(e))     /* empty: wait for seq to move */
        if (pl_wait_change(&s->seq, e->pos - e->mask, &e->r->cons_waiting, n) == -1)
            return -1;
    int rc = pl_ring_get_now(e, buf, len);
    int saved = errno;
    if (pl_wake_if_waiting(&e->r->prod_waiting, n) == -1)
        return -1;
    errno = saved;
    return rc;
}

/* ---- futex notifier ---- */

static int futex_sleep(void *ctx, _Atomic uint32_t *flag)
{
    (void)ctx;
    /* Returns at once (EAGAIN) if the flag was claimed already. */
    if (syscall(SYS_futex, flag, FUTEX_WAIT, 1, NULL, NULL, 0) == -1 &&
        errno != EAGAIN)
        return -1;
    return 0;
}

static int futex_wake(void *ctx, _Atomic uint32_t *flag)
{
    (void)ctx;
    return syscall(SYS_futex, flag, FUTEX_WAKE, 1, NULL, NULL, 0) == -1 ? -1 : 0;
}

const pl_notify pl_notify_futex = { futex_sleep, futex_wake, NULL, 0 };

void *pl_ring_map_shared(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* ---- both directions ---- */

static size_t ring_span(size_t max_bytes)
{
    return (pl_ring_bytes(max_bytes) + 4095) & ~(size_t)4095;
}

size_t pl_duplex_bytes(size_t max_bytes)
{
    size_t one = pl_ring_bytes(max_bytes);
    return one ? 2 * ring_span(max_bytes) : 0;
}

int pl_duplex_create(pl_duplex *d, size_t max_bytes)
{
    size_t bytes = pl_duplex_bytes(max_bytes);
    void *mem = bytes ? pl_ring_map_shared(bytes) : NULL;

    d->mem = NULL;
    d->bytes = 0;
    if (!mem)
        return -1;
    pl_duplex_init(d, mem, max_bytes);
    return 0;
}

void pl_duplex_free(pl_duplex *d)
{
    if (d->mem)
        munmap(d->mem, d->bytes);
    d->mem = NULL;
    d->bytes = 0;
}

void pl_duplex_init(pl_duplex *d, void *mem, size_t max_bytes)
{
    d->mem = mem;
    d->bytes = pl_duplex_bytes(max_bytes);
    pl_ring_init(mem, max_bytes);
    pl_ring_init((unsigned char *)mem + d->bytes / 2, max_bytes);
}

void pl_duplex_attach(pl_duplex *d, void *mem, int side)
{
    pl_ring *r0 = mem;
    pl_ring *r1 = (pl_ring *)((unsigned char *)mem + d->bytes / 2);
    d->mem = mem;
    pl_ring_end_init(&d->out, side == 0 ? r0 : r1);
    pl_ring_end_init(&d->in, side == 0 ? r1 : r0);
}

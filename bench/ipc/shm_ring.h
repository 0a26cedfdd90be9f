/* bench/ipc/shm_ring.h: a ring of fixed slots in shared memory, one
 * direction, one producer process and one consumer process.
 *
 * Used by shm_futex, shm_sem, shm_spin, eventfd, signal and memfd: they
 * differ only in how a side that finds the ring empty (or full) waits, so
 * the payload path is the same code and their numbers compare notification
 * methods, not ring designs.
 *
 * Layout (in MAP_SHARED memory the two processes see):
 *   line 0  constants (slot count, stride), never written after init
 *   line 1  tail: messages consumed so far, written by the consumer only
 *   line 2  waiter flags (cons_waiting, prod_waiting), written only by a
 *           side about to sleep, and by the other side when it claims the
 *           flag to wake it
 *   slots   each: seq (32 bits) | len (32 bits) | payload, stride rounded
 *           up to 64 bytes, first slot 128-byte aligned
 *
 * Message m (a 32-bit count that wraps) lives in slot m % nslots.  The
 * producer writes len and payload, then release-stores seq = m + 1; the
 * consumer waits for seq == m + 1 (acquire), copies out, release-stores
 * tail = m + 1.  Only the producer ever writes a slot, so a slot's lines go
 * producer -> consumer and back only as an invalidation; the producer reads
 * tail only when its cached copy says the ring is full.  For a message of
 * up to 56 bytes, a one-way trip moves one cache line (seq and payload share
 * it); 64 bytes move two.
 *
 * Cursors (next message number, cached tail) live in process-private
 * memory: the pl_ring_end each side keeps in its own copy of the channel.
 *
 * Blocking with a waiter flag: a side that must wait sets its flag, issues
 * a full fence, re-checks, and only then sleeps; a side that makes progress
 * issues a full fence after its release store and wakes the other only if
 * the flag is set (claiming it with an exchange).  The common path -- the
 * other side is not asleep -- costs a fence and a load, no system call.
 * A wake-up is sent exactly once per claimed flag, and a waiter that finds
 * its flag claimed after re-checking consumes that wake-up, so counted
 * notifications (eventfd counters, queued signals) never pile up. */
#ifndef PROCLAB_BENCH_IPC_SHM_RING_H
#define PROCLAB_BENCH_IPC_SHM_RING_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pl_ring {
    _Alignas(64) uint32_t nslots;       /* power of two, >= 2 */
    uint32_t stride;                    /* bytes per slot, multiple of 64 */
    uint32_t max_bytes;
    _Alignas(64) _Atomic uint32_t tail;
    _Alignas(64) _Atomic uint32_t cons_waiting;
    _Atomic uint32_t prod_waiting;
} pl_ring;

typedef struct pl_ring_slot {
    _Atomic uint32_t seq;               /* m + 1 once message m is in */
    uint32_t len;
    unsigned char data[];
} pl_ring_slot;

/* One process's end of one direction (private memory). */
typedef struct pl_ring_end {
    pl_ring *r;
    unsigned char *slots;
    uint32_t mask;
    uint32_t stride;
    uint32_t max_bytes;
    uint32_t pos;           /* next message to put or get */
    uint32_t tail_cache;    /* producer: last tail read */
} pl_ring_end;

/* How a side sleeps and wakes the other (see shm_ring.c for futex). */
typedef struct pl_notify {
    /* Block until woken (a futex: while *flag is still 1); 0, or -1 with
     * errno (EINTR passes up unchanged). */
    int (*sleep)(void *ctx, _Atomic uint32_t *flag);
    /* Wake the other side, whose flag this is (just claimed).  0 or -1. */
    int (*wake)(void *ctx, _Atomic uint32_t *flag);
    void *ctx;
    int counted;    /* 1: every wake must be consumed by a sleep (eventfd,
                       signals); 0: a futex, where a stray wake is harmless */
} pl_notify;

/* Bytes of shared memory one direction needs for messages up to max_bytes
 * (0 and errno = EOVERFLOW if too large). */
size_t pl_ring_bytes(size_t max_bytes);

/* Lay out a ring in zeroed shared memory of pl_ring_bytes(max_bytes). */
pl_ring *pl_ring_init(void *mem, size_t max_bytes);

/* Start one process's end of ring r at message 0. */
void pl_ring_end_init(pl_ring_end *e, pl_ring *r);

/* Blocking send and receive with waiter flags and notifier n.  recv fails
 * with EPROTO if the message in the slot is not len bytes long. */
int pl_ring_send(pl_ring_end *e, const void *buf, size_t len, const pl_notify *n);
int pl_ring_recv(pl_ring_end *e, void *buf, size_t len, const pl_notify *n);

/* Wait until *word != stale, with the waiter-flag protocol above. */
int pl_wait_change(_Atomic uint32_t *word, uint32_t stale,
                   _Atomic uint32_t *flag, const pl_notify *n);
/* After a release store: wake the other side if its flag is set. */
int pl_wake_if_waiting(_Atomic uint32_t *flag, const pl_notify *n);

/* The futex notifier: FUTEX_WAIT/FUTEX_WAKE on the waiter's flag word
 * (never FUTEX_PRIVATE_FLAG: the word is shared between processes). */
extern const pl_notify pl_notify_futex;

/* Shared, zeroed memory that a fork inherits; NULL + errno on failure. */
void *pl_ring_map_shared(size_t bytes);

/* Both directions in one piece of shared memory: ring 0 carries parent
 * (side 0) -> partner (side 1), ring 1 partner -> parent.  Each process
 * keeps its own pl_duplex (the channel struct is copied by fork). */
typedef struct pl_duplex {
    void *mem;              /* where this process maps the rings */
    size_t bytes;
    pl_ring_end out, in;    /* this side's ends, set by pl_duplex_attach */
} pl_duplex;

/* Bytes for both rings (page multiple); 0 and errno if too large. */
size_t pl_duplex_bytes(size_t max_bytes);
/* Lay out both rings in zeroed shared memory of pl_duplex_bytes(). */
void pl_duplex_init(pl_duplex *d, void *mem, size_t max_bytes);
/* Point this side's ends at the rings in mem (which may be another mapping
 * of the same object than the one pl_duplex_init saw). */
void pl_duplex_attach(pl_duplex *d, void *mem, int side);
/* pl_ring_map_shared() of pl_duplex_bytes() then pl_duplex_init(): the
 * set-up of every mechanism whose rings live in anonymous shared memory.
 * 0, or -1 with errno (d->mem stays NULL). */
int pl_duplex_create(pl_duplex *d, size_t max_bytes);
/* Unmap what pl_duplex_create() mapped; nothing when it mapped nothing. */
void pl_duplex_free(pl_duplex *d);

/* ---- The non-blocking steps, inline for the spinning mechanism. ---- */

static inline pl_ring_slot *pl_ring_slot_at(const pl_ring_end *e, uint32_t m)
{
    return (pl_ring_slot *)(e->slots + (size_t)(m & e->mask) * e->stride);
}

/* Producer: is there room for message e->pos? */
static inline int pl_ring_can_put(pl_ring_end *e)
{
    if (e->pos - e->tail_cache <= e->mask)
        return 1;
    /* acquire: the consumer's copy-out happened before we overwrite */
    e->tail_cache = atomic_load_explicit(&e->r->tail, memory_order_acquire);
    return e->pos - e->tail_cache <= e->mask;
}

/* Producer: write message e->pos (room checked) and publish it. */
static inline pl_ring_slot *pl_ring_put_now(pl_ring_end *e, const void *buf,
                                            size_t len)
{
    pl_ring_slot *s = pl_ring_slot_at(e, e->pos);
    s->len = (uint32_t)len;
    memcpy(s->data, buf, len);
    atomic_store_explicit(&s->seq, e->pos + 1, memory_order_release);
    e->pos++;
    return s;
}

/* Consumer: has message e->pos arrived? */
static inline int pl_ring_can_get(const pl_ring_end *e)
{
    return atomic_load_explicit(&pl_ring_slot_at(e, e->pos)->seq,
                                memory_order_acquire) == e->pos + 1;
}

/* Consumer: copy message e->pos out (arrival checked) and free its slot.
 * 0, or -1 with errno = EPROTO on a length mismatch (slot still freed). */
static inline int pl_ring_get_now(pl_ring_end *e, void *buf, size_t len)
{
    pl_ring_slot *s = pl_ring_slot_at(e, e->pos);
    int ok = s->len == len;
    if (ok)
        memcpy(buf, s->data, len);
    e->pos++;
    atomic_store_explicit(&e->r->tail, e->pos, memory_order_release);
    if (!ok) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

#ifdef __cplusplus
}
#endif
#endif

/* bench/ipc/shm_sem.c: the shared ring, counted by unnamed POSIX
 * semaphores (sem_init pshared = 1) living in the shared memory.
 *
 * One message costs: sem_wait(spaces) + copy in + sem_post(items) on the
 * sender, sem_wait(items) + copy out + sem_post(spaces) on the receiver:
 * four atomic read-modify-writes on two shared semaphore words, plus the
 * copies.  glibc's semaphores enter the kernel only when a count is zero
 * (FUTEX_WAIT) or someone sleeps on it (FUTEX_WAKE), so while the receiver
 * keeps up there is no system call; ping-pong always sleeps, so each
 * one-way trip is a FUTEX_WAKE plus a wake-up, as with shm_futex -- the
 * difference is the semaphore's own bookkeeping (waiter counts, the
 * atomics on a line both sides write), which is what this mechanism shows
 * next to the hand-rolled futex flag. */
#include "ipc/mech.h"
#include "ipc/shm_ring.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Direction 0: parent -> partner; 1: partner -> parent. */
typedef struct {
    _Alignas(64) sem_t items;   /* messages in the ring */
    _Alignas(64) sem_t spaces;  /* free slots */
} dir_sems;

struct pl_chan {
    pl_duplex d;
    dir_sems *sems;             /* [2], shared */
    int inited;                 /* semaphores initialised (for detach) */
};

static void destroy(pl_chan *ch)
{
    if (ch->sems) {
        for (int i = 0; i < ch->inited; i++) {
            sem_destroy(&ch->sems[i].items);
            sem_destroy(&ch->sems[i].spaces);
        }
        munmap(ch->sems, 2 * sizeof(dir_sems));
    }
    pl_duplex_free(&ch->d);
    free(ch);
}

static pl_chan *create(size_t max_bytes)
{
    pl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->sems = pl_ring_map_shared(2 * sizeof(dir_sems));
    if (!ch->sems || pl_duplex_create(&ch->d, max_bytes) == -1) {
        int saved = errno;
        destroy(ch);
        errno = saved;
        return NULL;
    }
    unsigned slots = ((pl_ring *)ch->d.mem)->nslots;
    for (; ch->inited < 2; ch->inited++)
        if (sem_init(&ch->sems[ch->inited].items, 1, 0) == -1 ||
            sem_init(&ch->sems[ch->inited].spaces, 1, slots) == -1) {
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
    pl_duplex_attach(&ch->d, ch->d.mem, side);
    return 0;
}

/* sem_wait returns -1/EINTR when a signal interrupts it: passed up. */
static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    dir_sems *s = &ch->sems[side];          /* we send on direction `side` */
    pl_ring_end *e = &ch->d.out;
    if (len == 0 || len > e->max_bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    if (sem_wait(&s->spaces) == -1)
        return -1;
    if (!pl_ring_can_put(e)) {              /* the semaphore said there was room */
        errno = EPROTO;
        return -1;
    }
    pl_ring_put_now(e, buf, len);
    return sem_post(&s->items);
}

static int recv_msg(pl_chan *ch, int side, void *buf, size_t len)
{
    dir_sems *s = &ch->sems[1 - side];      /* we receive on the other one */
    pl_ring_end *e = &ch->d.in;
    if (sem_wait(&s->items) == -1)
        return -1;
    if (!pl_ring_can_get(e)) {
        errno = EPROTO;
        return -1;
    }
    int rc = pl_ring_get_now(e, buf, len);
    int saved = errno;
    if (sem_post(&s->spaces) == -1)
        return -1;
    errno = saved;
    return rc;
}

/* Only the parent destroys the semaphores (after the partner is gone);
 * the partner just drops its mappings. */
static void detach(pl_chan *ch, int side)
{
    if (!ch)
        return;
    int saved = errno;
    if (side != 0)
        ch->inited = 0;
    destroy(ch);
    errno = saved;
}

const pl_mech pl_mech_shm_sem = {
    .name = "shm_sem",
    .summary = "slot ring in shared memory, items/spaces counted by process-shared POSIX semaphores",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

/* bench/ipc/memfd.c: the shared ring in a sealed memfd, futex wake-ups.
 *
 * One message costs what shm_futex's does: one copy in, one copy out, a
 * fence and a flag load, and a FUTEX_WAKE plus a wake-up only when the
 * receiver sleeps (every time in ping-pong).  Nothing is set up per
 * message: the object is handed over once, then shared.
 *
 * What it shows that shm_futex does not: the memory is a FILE -- an
 * anonymous one, created with memfd_create(MFD_ALLOW_SEALING), sized with
 * ftruncate and sealed with F_SEAL_SHRINK | F_SEAL_GROW -- so it can be given
 * to an unrelated process over a Unix socket (SCM_RIGHTS), which cannot
 * inherit a MAP_ANONYMOUS mapping, and the receiver can check the seals
 * (F_GET_SEALS) and know the sender cannot shrink it under its feet (a
 * SIGBUS on access).  Here the descriptor is inherited across fork and the
 * partner maps it afresh in attach(), at an address of its own, exactly as
 * an unrelated receiver would; the futexes still meet because a shared
 * futex is keyed by (file, offset), not by address.  The numbers should
 * match shm_futex: both are shmem pages; any difference is noise. */
#include "ipc/mech.h"
#include "ipc/shm_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SEALS = F_SEAL_SHRINK | F_SEAL_GROW };

struct pl_chan {
    pl_duplex d;
    int fd;         /* the memfd until attach() has mapped it */
};

static void destroy(pl_chan *ch)
{
    if (ch->fd >= 0)
        close(ch->fd);
    if (ch->d.mem)
        munmap(ch->d.mem, ch->d.bytes);
    free(ch);
}

static pl_chan *create(size_t max_bytes)
{
    size_t bytes = pl_duplex_bytes(max_bytes);
    if (bytes == 0)
        return NULL;
    pl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    void *mem = MAP_FAILED;
    ch->fd = memfd_create("proclab-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (ch->fd == -1 || ftruncate(ch->fd, (off_t)bytes) == -1 ||
        fcntl(ch->fd, F_ADD_SEALS, SEALS) == -1 ||
        (mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                    ch->fd, 0)) == MAP_FAILED) {
        int saved = errno;
        destroy(ch);
        errno = saved;
        return NULL;
    }
    pl_duplex_init(&ch->d, mem, max_bytes);     /* a new memfd reads as zeros */
    return ch;
}

/* The partner maps the descriptor itself, after checking what an unrelated
 * receiver would check: the seals are on and the size is what it expects. */
static void *map_received(int fd, size_t bytes)
{
    struct stat st;
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals == -1 || fstat(fd, &st) == -1)
        return NULL;
    if ((seals & SEALS) != SEALS || (size_t)st.st_size != bytes) {
        errno = EBADFD;
        return NULL;
    }
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return mem == MAP_FAILED ? NULL : mem;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    if (side == 1) {
        void *mem = map_received(ch->fd, ch->d.bytes);
        if (!mem)
            return -1;
        munmap(ch->d.mem, ch->d.bytes);         /* the copy fork gave us */
        ch->d.mem = mem;
    }
    pl_duplex_attach(&ch->d, ch->d.mem, side);
    close(ch->fd);                  /* the mapping keeps the memory alive */
    ch->fd = -1;
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
    destroy(ch);
    errno = saved;
}

const pl_mech pl_mech_memfd = {
    .name = "memfd",
    .summary = "slot ring in a sealed memfd mapped by both sides, futex wake-ups",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

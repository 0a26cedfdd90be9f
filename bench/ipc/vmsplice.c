/* bench/ipc/vmsplice.c: pipes again, but the sender hands the pipe page
 * REFERENCES with vmsplice(2) instead of copying bytes with write(2); the
 * receiver read(2)s as from any pipe.
 *
 * The catch, which is the lesson: after vmsplice returns, the pipe still
 * points at the sender's pages until the reader has read them, so the
 * sender must not change those pages until then -- and it cannot tell
 * when that is.  The driver's buffer is the caller's (it writes the next
 * message into it at once), so this mechanism copies each message into a
 * page-aligned staging ring of its own and splices from there.  The ring is
 * large enough that a page is reused only after more pages than the pipe
 * can hold have been spliced after it (the pipe is FIFO: those pages must
 * have been read).  So one message costs: a user-space memcpy into the
 * staging ring (instead of write()'s copy in the kernel), vmsplice (page
 * lookups and pinning, one pipe slot per page), read() copying out, and the
 * usual wake-up.  The gain of vmsplice appears only when the producer can
 * build its data in the spliced pages in the first place, and the pages
 * are consumed by splice(2) into a file or socket rather than read().
 *
 * The pipe is enlarged (F_SETPIPE_SZ) to hold one whole message when the
 * system's pipe-max-size allows; otherwise a message goes in pieces. */
#include "ipc/fdchan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

enum { PAGE = 4096, MIN_PIPE = 64 * 1024 };

static size_t pages_of(size_t bytes) { return (bytes + PAGE - 1) / PAGE; }

static int size_pipe(int fd, size_t want)
{
    if (want < MIN_PIPE)
        want = MIN_PIPE;
    if (want > (size_t)1 << 30)
        want = (size_t)1 << 30;
    fcntl(fd, F_SETPIPE_SZ, (int)want);     /* may fail: keep what we have */
    return fcntl(fd, F_GETPIPE_SZ);
}

static pl_chan *create(size_t max_bytes)
{
    pl_chan *ch = pl_fdchan_new(max_bytes, 1, 0);
    if (!ch)
        return NULL;
    int a[2], b[2];
    if (pipe2(a, O_CLOEXEC) == -1)
        goto fail;
    if (pipe2(b, O_CLOEXEC) == -1) {
        close(a[0]);
        close(a[1]);
        goto fail;
    }
    ch->fd[0][PL_FD_SEND] = a[1];
    ch->fd[1][PL_FD_RECV] = a[0];
    ch->fd[1][PL_FD_SEND] = b[1];
    ch->fd[0][PL_FD_RECV] = b[0];
    int pa = size_pipe(a[1], max_bytes), pb = size_pipe(b[1], max_bytes);
    if (pa == -1 || pb == -1)
        goto fail;
    ch->pipe_bytes = (size_t)(pa > pb ? pa : pb);
    /* Pages the pipe may reference + room for three messages (one being
     * written, one cut short by the wrap, slack): see the header. */
    ch->stage_bytes = (ch->pipe_bytes / PAGE + 3 * pages_of(max_bytes) + 1) * PAGE;
    ch->stage = mmap(NULL, ch->stage_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ch->stage == MAP_FAILED) {
        ch->stage = NULL;
        goto fail;
    }
    return ch;
fail:
    pl_fdchan_free(ch, 0);
    return NULL;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    pl_fdchan_keep_side(ch, side);
    return 0;
}

static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    if (len == 0 || len > ch->max_bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    size_t need = pages_of(len) * PAGE;
    if (ch->stage_pos + need > ch->stage_bytes)
        ch->stage_pos = 0;                  /* wrap: always page-aligned */
    unsigned char *p = ch->stage + ch->stage_pos;
    ch->stage_pos += need;
    memcpy(p, buf, len);
    struct iovec iov = { p, len };
    while (iov.iov_len > 0) {
        ssize_t n = vmsplice(ch->fd[side][PL_FD_SEND], &iov, 1, 0);
        if (n == -1)
            return -1;                      /* EINTR, EPIPE: passed up */
        iov.iov_base = (char *)iov.iov_base + n;
        iov.iov_len -= (size_t)n;
    }
    return 0;
}

const pl_mech pl_mech_vmsplice = {
    .name = "vmsplice",
    .summary = "pipes fed with vmsplice(2) from a page-aligned staging ring, read(2) on the receiver",
    .caps = 0,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

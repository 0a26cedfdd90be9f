/* bench/ipc/pipe.c: two anonymous pipes, one per direction.
 *
 * One message costs: write(2) copying the payload into the pipe's pages,
 * read(2) copying it out -- two system calls, two copies -- plus a wake-up
 * of the reader when it sleeps (every time in ping-pong).  A pipe is a byte
 * stream with 64 KiB of buffer by default: a larger message goes through
 * in pieces, the writer sleeping until the reader drains, so large
 * messages pay a wake-up per 64 KiB as well.  The pipes are made before
 * fork and each side closes the ends it does not use, so a dead peer shows
 * as EPIPE (write) or end of file (read). */
#include "ipc/fdchan.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static pl_chan *create(size_t max_bytes)
{
    pl_chan *ch = pl_fdchan_new(max_bytes, 1, 0);
    if (!ch)
        return NULL;
    int a[2], b[2];     /* a: side 0 -> side 1, b: side 1 -> side 0 */
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

const pl_mech pl_mech_pipe = {
    .name = "pipe",
    .summary = "two anonymous pipes, write(2)/read(2), 64 KiB kernel buffer",
    .caps = 0,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

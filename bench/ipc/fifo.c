/* bench/ipc/fifo.c: two named pipes (FIFOs) in a private directory.
 *
 * Per message exactly what a pipe costs (a FIFO IS a pipe once open); the
 * name only matters at open time, which is outside the measurement.  It is
 * here to show that: fifo and pipe should agree.
 *
 * Opening without deadlock or a false end of file: opening a FIFO for
 * writing blocks until a reader has it open (and for reading until a
 * writer has), a read with no writer left returns end of file, and the
 * partner attaches before the parent.  So in create(), before fork, the
 * parent opens its read end (partner -> parent) with O_NONBLOCK, and holds
 * the other FIFO open read-write (Linux allows it) as a "keeper": a writer
 * and a reader that exist until both real ends do.  The partner then opens
 * its read end and its write end without blocking, and closes its copy of
 * the keeper; the parent opens its write end, closes the keeper, and
 * unlinks both names and the directory: nothing is left in the file system
 * during the run.
 */
#include "ipc/fdchan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TO_PARTNER = 0, TO_PARENT = 1 };    /* index into ch->path */

static int clear_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

static pl_chan *create(size_t max_bytes)
{
    pl_chan *ch = pl_fdchan_new(max_bytes, 1, 0);
    if (!ch)
        return NULL;
    if (pl_ipc_tmpdir(ch->dir, sizeof ch->dir) == -1)
        goto fail;
    const char *names[2] = { "to_partner", "to_parent" };
    for (int i = 0; i < 2; i++) {
        char path[PL_IPC_NAME_MAX];
        if (pl_ipc_path(path, sizeof path, ch->dir, names[i]) == -1 ||
            mkfifo(path, 0600) == -1)
            goto fail;
        memcpy(ch->path[i], path, sizeof path);
    }
    ch->fd[0][PL_FD_RECV] = open(ch->path[TO_PARENT], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (ch->fd[0][PL_FD_RECV] == -1)
        goto fail;
    ch->listen_fd = open(ch->path[TO_PARTNER], O_RDWR | O_CLOEXEC);     /* the keeper */
    if (ch->listen_fd == -1)
        goto fail;
    return ch;
fail:
    pl_fdchan_free(ch, 0);
    return NULL;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    if (side == 1) {
        pl_ipc_close(&ch->fd[0][PL_FD_RECV]);   /* the parent's, inherited */
        ch->fd[1][PL_FD_RECV] = open(ch->path[TO_PARTNER], O_RDONLY | O_CLOEXEC);
        pl_ipc_close(&ch->listen_fd);           /* the keeper's copy */
        if (ch->fd[1][PL_FD_RECV] == -1)
            return -1;
        ch->fd[1][PL_FD_SEND] = open(ch->path[TO_PARENT], O_WRONLY | O_CLOEXEC);
        return ch->fd[1][PL_FD_SEND] == -1 ? -1 : 0;
    }
    ch->fd[0][PL_FD_SEND] = open(ch->path[TO_PARTNER], O_WRONLY | O_CLOEXEC);
    if (ch->fd[0][PL_FD_SEND] == -1 || clear_nonblock(ch->fd[0][PL_FD_RECV]) == -1)
        return -1;
    pl_ipc_close(&ch->listen_fd);               /* the real ends exist now */
    /* Both ends of both FIFOs are open: the names have done their job. */
    for (int i = 0; i < 2; i++) {
        unlink(ch->path[i]);
        ch->path[i][0] = '\0';
    }
    rmdir(ch->dir);
    ch->dir[0] = '\0';
    return 0;
}

const pl_mech pl_mech_fifo = {
    .name = "fifo",
    .summary = "two named pipes (mkfifo) in a private directory, unlinked once open",
    .caps = PL_CAP_NAMED,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

/* bench/ipc/unix_stream.c: an AF_UNIX stream socket with a name, reached
 * with listen/connect/accept like a server and its client.
 *
 * Per message the same as socketpair_stream (send, recv, two copies, a
 * wake-up): after accept() the two are identical kernel objects.  What the
 * name adds -- bind, listen, connect, accept -- happens in create/attach,
 * outside the measurement.  The socket file lives in a private mkdtemp
 * directory; the parent removes it (and the directory) as soon as it has
 * accepted, so nothing is left in the file system during the run. */
#include "ipc/fdchan.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

static pl_chan *create(size_t max_bytes)
{
    struct sockaddr_un sa;
    pl_chan *ch = pl_fdchan_new(max_bytes, 1, 1);
    if (!ch)
        return NULL;
    if (pl_ipc_tmpdir(ch->dir, sizeof ch->dir) == -1 ||
        pl_ipc_path(ch->path[0], sizeof ch->path[0], ch->dir, "sock") == -1 ||
        fill_addr(&sa, ch->path[0]) == -1)
        goto fail;
    ch->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ch->listen_fd == -1 ||
        bind(ch->listen_fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
        listen(ch->listen_fd, 1) == -1)
        goto fail;
    return ch;
fail:
    pl_fdchan_free(ch, 0);
    return NULL;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    int fd;
    if (side == 1) {
        struct sockaddr_un sa;
        pl_ipc_close(&ch->listen_fd);       /* the parent's, inherited */
        if (fill_addr(&sa, ch->path[0]) == -1)
            return -1;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1)
            return -1;
        /* Completes at once: the listener's backlog takes it. */
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
            close(fd);
            return -1;
        }
    } else {
        fd = accept4(ch->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd == -1)
            return -1;
        pl_ipc_close(&ch->listen_fd);
        unlink(ch->path[0]);
        ch->path[0][0] = '\0';
        rmdir(ch->dir);
        ch->dir[0] = '\0';
    }
    ch->fd[side][PL_FD_RECV] = ch->fd[side][PL_FD_SEND] = fd;
    return 0;
}

const pl_mech pl_mech_unix_stream = {
    .name = "unix_stream",
    .summary = "AF_UNIX stream socket bound to a path in a private directory (listen/connect/accept)",
    .caps = PL_CAP_NAMED,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

/* bench/ipc/socketpair_common.c: set-up shared by socketpair_stream,
 * socketpair_dgram and socketpair_seqpacket. */
#include "ipc/socketpair.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

/* An AF_UNIX datagram must fit in the sender's buffer as one piece.  The
 * kernel doubles what we ask (bookkeeping) and caps it at wmem_max. */
static int fit_datagram(int fd, size_t max_bytes)
{
    int want = (int)(max_bytes + 4096), got = 0;
    socklen_t len = sizeof got;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want) == -1 ||
        getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) == -1)
        return -1;
    if ((size_t)got / 2 < max_bytes + 512) {
        errno = EMSGSIZE;
        return -1;
    }
    return 0;
}

pl_chan *pl_socketpair_create(int type, size_t max_bytes)
{
    int stream = type == SOCK_STREAM;
    pl_chan *ch = pl_fdchan_new(max_bytes, stream, 1);
    int sv[2];
    if (!ch)
        return NULL;
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == -1)
        goto fail;
    for (int s = 0; s < 2; s++)
        ch->fd[s][PL_FD_RECV] = ch->fd[s][PL_FD_SEND] = sv[s];
    if (!stream && (fit_datagram(sv[0], max_bytes) == -1 || fit_datagram(sv[1], max_bytes) == -1))
        goto fail;
    return ch;
fail:
    pl_fdchan_free(ch, 0);
    return NULL;
}

int pl_socketpair_attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    pl_fdchan_keep_side(ch, side);
    return 0;
}

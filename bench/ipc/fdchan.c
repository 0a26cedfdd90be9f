/* bench/ipc/fdchan.c: send and receive over descriptors (see fdchan.h). */
#include "ipc/fdchan.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

pl_chan *pl_fdchan_new(size_t max_bytes, int stream, int socket)
{
    pl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    for (int s = 0; s < 2; s++)
        ch->fd[s][0] = ch->fd[s][1] = -1;
    ch->listen_fd = -1;
    ch->stream = stream;
    ch->socket = socket;
    ch->max_bytes = max_bytes;
    return ch;
}

static int used_by(const pl_chan *ch, int side, int fd)
{
    return fd == ch->fd[side][0] || fd == ch->fd[side][1];
}

void pl_fdchan_keep_side(pl_chan *ch, int side)
{
    int other = 1 - side;
    for (int k = 0; k < 2; k++) {
        int fd = ch->fd[other][k];
        if (k == 1 && fd == ch->fd[other][0])
            continue;           /* one socket in both slots: closed once */
        if (fd >= 0 && !used_by(ch, side, fd))
            close(fd);
    }
    ch->fd[other][0] = ch->fd[other][1] = -1;
}

static ssize_t put(const pl_chan *ch, int fd, const void *p, size_t n)
{
    return ch->socket ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
}

int pl_fdchan_send(pl_chan *ch, int side, const void *buf, size_t len)
{
    int fd = ch->fd[side][PL_FD_SEND];
    if (len == 0 || len > ch->max_bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    if (!ch->stream) {
        ssize_t n = put(ch, fd, buf, len);
        if (n == -1)
            return -1;
        if ((size_t)n != len) {
            errno = EPROTO;
            return -1;
        }
        return 0;
    }
    const char *p = buf;
    while (len > 0) {
        ssize_t n = put(ch, fd, p, len);
        if (n == -1)
            return -1;          /* EINTR included: see mech.h */
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int pl_fdchan_recv(pl_chan *ch, int side, void *buf, size_t len)
{
    int fd = ch->fd[side][PL_FD_RECV];
    if (!ch->stream) {
        /* MSG_TRUNC: the datagram's real size, even if longer than len */
        ssize_t n = recv(fd, buf, len, MSG_TRUNC);
        if (n == -1)
            return -1;
        if (n == 0) {
            errno = EPIPE;      /* seqpacket: the peer closed */
            return -1;
        }
        if ((size_t)n != len) {
            errno = EPROTO;
            return -1;
        }
        return 0;
    }
    char *p = buf;
    while (len > 0) {
        ssize_t n = ch->socket ? recv(fd, p, len, 0) : read(fd, p, len);
        if (n == -1)
            return -1;
        if (n == 0) {
            errno = EPIPE;      /* the other side closed or died */
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void pl_fdchan_free(pl_chan *ch, int side)
{
    if (!ch)
        return;
    int saved = errno;
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 2; k++) {
            int fd = ch->fd[s][k];
            if (fd < 0)
                continue;
            close(fd);
            /* the same descriptor may sit in several slots (a socket) */
            for (int t = 0; t < 2; t++)
                for (int j = 0; j < 2; j++)
                    if (ch->fd[t][j] == fd)
                        ch->fd[t][j] = -1;
        }
    pl_ipc_close(&ch->listen_fd);
    if (side == 0) {
        for (int i = 0; i < 2; i++)
            if (ch->path[i][0])
                unlink(ch->path[i]);
        if (ch->dir[0])
            rmdir(ch->dir);
    }
    if (ch->stage)
        munmap(ch->stage, ch->stage_bytes);
    free(ch);
    errno = saved;
}

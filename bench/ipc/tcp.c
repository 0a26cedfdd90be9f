/* bench/ipc/tcp.c: a TCP connection over the loopback interface
 * (127.0.0.1, an ephemeral port, TCP_NODELAY on both ends).
 *
 * One message costs: send(2) through the whole TCP/IP stack (segmenting,
 * checksums are skipped on loopback, an ACK now and then), a software
 * "interrupt" delivering it to the receiving socket, recv(2) -- two copies
 * like a pipe, but several times the code per message.  TCP_NODELAY turns
 * Nagle's algorithm off: without it, a small message waiting for an ACK of
 * the previous one could sit up to 40 ms (delayed ACK) and ping-pong would
 * measure that timer, not TCP.  A byte stream: recv loops over short reads. */
#include "ipc/fdchan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void loopback(struct sockaddr_in *sa, unsigned short port)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static pl_chan *create(size_t max_bytes)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    pl_chan *ch = pl_fdchan_new(max_bytes, 1, 1);
    if (!ch)
        return NULL;
    loopback(&sa, 0);       /* port 0: the kernel picks a free one */
    ch->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ch->listen_fd == -1 ||
        bind(ch->listen_fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
        listen(ch->listen_fd, 1) == -1 ||
        getsockname(ch->listen_fd, (struct sockaddr *)&sa, &len) == -1)
        goto fail;
    ch->port = ntohs(sa.sin_port);
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
        struct sockaddr_in sa;
        pl_ipc_close(&ch->listen_fd);       /* the parent's, inherited */
        loopback(&sa, ch->port);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
            close(fd);
            return -1;
        }
    } else {
        fd = accept4(ch->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd == -1)
            return -1;
        pl_ipc_close(&ch->listen_fd);
    }
    ch->fd[side][PL_FD_RECV] = ch->fd[side][PL_FD_SEND] = fd;
    return nodelay(fd);
}

const pl_mech pl_mech_tcp = {
    .name = "tcp",
    .summary = "TCP over loopback 127.0.0.1, ephemeral port, TCP_NODELAY",
    .caps = 0,
    .max_msg = 0,
    .create = create,
    .attach = attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

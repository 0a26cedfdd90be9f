/* bench/ipc/udp.c: UDP datagrams over loopback (127.0.0.1), one socket per
 * side, each connect()ed to the other's ephemeral port.
 *
 * One message costs: send(2) and recv(2) of one datagram through the IP
 * stack (no fragmentation on loopback, whose MTU is 64 KiB) -- two copies.
 * A datagram carries at most 65507 bytes (65535 minus the IP and UDP
 * headers): max_msg, so 64 KiB and larger are not registered.
 *
 * UDP has no flow control: when the receiver's buffer is full, the kernel
 * drops the datagram and send() still succeeds.  The receiving buffer is
 * made as large as we are allowed (SO_RCVBUFFORCE when privileged, else
 * SO_RCVBUF up to rmem_max) and the throughput benchmark COUNTS drops
 * (caps PL_CAP_MAY_DROP) rather than hiding them.  A receive waits at most
 * RECV_TIMEOUT_S (SO_RCVTIMEO, free on the normal path) so a lost datagram
 * in ping-pong is an error (EAGAIN), not a hang. */
#include "ipc/fdchan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { UDP_MAX = 65507, RECV_TIMEOUT_S = 2, RCVBUF = 8 << 20 };

static int make_socket(int *fd, unsigned short *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int buf = RCVBUF;
    struct timeval tv = { RECV_TIMEOUT_S, 0 };
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (*fd == -1)
        return -1;
    /* FORCE needs CAP_NET_ADMIN; otherwise the plain one, capped at rmem_max. */
    if (setsockopt(*fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) == -1 &&
        setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf) == -1)
        return -1;
    if (setsockopt(*fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf) == -1 ||
        setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
        bind(*fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
        getsockname(*fd, (struct sockaddr *)&sa, &len) == -1)
        return -1;
    *port = ntohs(sa.sin_port);
    return 0;
}

static int connect_to(int fd, unsigned short port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd, (struct sockaddr *)&sa, sizeof sa);
}

static pl_chan *create(size_t max_bytes)
{
    unsigned short port[2];
    if (max_bytes > UDP_MAX) {
        errno = EMSGSIZE;
        return NULL;
    }
    pl_chan *ch = pl_fdchan_new(max_bytes, 0, 1);
    if (!ch)
        return NULL;
    for (int s = 0; s < 2; s++) {
        if (make_socket(&ch->fd[s][PL_FD_RECV], &port[s]) == -1)
            goto fail;
        ch->fd[s][PL_FD_SEND] = ch->fd[s][PL_FD_RECV];
    }
    /* Connected: send() needs no address, recv() takes only the peer's. */
    if (connect_to(ch->fd[0][0], port[1]) == -1 || connect_to(ch->fd[1][0], port[0]) == -1)
        goto fail;
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

const pl_mech pl_mech_udp = {
    .name = "udp",
    .summary = "UDP datagrams over loopback 127.0.0.1 (no flow control: drops are counted)",
    .caps = PL_CAP_BOUNDARIES | PL_CAP_MAY_DROP,
    .max_msg = UDP_MAX,
    .create = create,
    .attach = attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

/* bench/ipc/socketpair_dgram.c: a connected pair of AF_UNIX datagram sockets.
 *
 * One message costs: one send(2) and one recv(2), each message one skb
 * (two copies).  Unlike UDP, AF_UNIX datagrams are reliable and ordered:
 * the sender blocks when the receiver's queue is full (flow control), so
 * nothing is dropped.  A message must fit in the send buffer as one piece:
 * max_msg is 128 KiB (wmem_max, 212992 by default, bounds the buffer). */
#include "ipc/socketpair.h"

#include <sys/socket.h>

static pl_chan *create(size_t max_bytes)
{
    return pl_socketpair_create(SOCK_DGRAM, max_bytes);
}

const pl_mech pl_mech_socketpair_dgram = {
    .name = "socketpair_dgram",
    .summary = "socketpair(AF_UNIX, SOCK_DGRAM): one send, one recv per message, reliable and ordered",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = PL_UNIX_DGRAM_MAX,
    .create = create,
    .attach = pl_socketpair_attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

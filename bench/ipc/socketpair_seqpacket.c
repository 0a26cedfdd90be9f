/* bench/ipc/socketpair_seqpacket.c: a connected pair of AF_UNIX sequenced-packet sockets.
 *
 * One message costs what a datagram does (one send, one recv, one skb,
 * two copies) with a connection's semantics: the peer closing is end of
 * file (recv returns 0, reported as EPIPE).  The same 128 KiB max_msg as
 * socketpair_dgram (one message is one buffer in the kernel). */
#include "ipc/socketpair.h"

#include <sys/socket.h>

static pl_chan *create(size_t max_bytes)
{
    return pl_socketpair_create(SOCK_SEQPACKET, max_bytes);
}

const pl_mech pl_mech_socketpair_seqpacket = {
    .name = "socketpair_seqpacket",
    .summary = "socketpair(AF_UNIX, SOCK_SEQPACKET): connected, reliable, message boundaries kept",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = PL_UNIX_DGRAM_MAX,
    .create = create,
    .attach = pl_socketpair_attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

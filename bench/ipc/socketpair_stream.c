/* bench/ipc/socketpair_stream.c: a connected pair of AF_UNIX stream sockets.
 *
 * One message costs: send(2) and recv(2) -- two system calls, two copies
 * (the kernel allocates an skb per send and copies into it; recv copies
 * out and frees it) -- and a wake-up when the reader sleeps.  A byte
 * stream: large messages go in pieces bounded by the socket buffers
 * (about 200 KiB), recv() loops over short reads.  Compared with a pipe:
 * socket-layer bookkeeping (skb allocation, accounting) per send. */
#include "ipc/socketpair.h"

#include <sys/socket.h>

static pl_chan *create(size_t max_bytes)
{
    return pl_socketpair_create(SOCK_STREAM, max_bytes);
}

const pl_mech pl_mech_socketpair_stream = {
    .name = "socketpair_stream",
    .summary = "socketpair(AF_UNIX, SOCK_STREAM): a byte stream like a pipe, both directions on one descriptor",
    .caps = 0,
    .max_msg = 0,
    .create = create,
    .attach = pl_socketpair_attach,
    .send = pl_fdchan_send,
    .recv = pl_fdchan_recv,
    .detach = pl_fdchan_free,
};

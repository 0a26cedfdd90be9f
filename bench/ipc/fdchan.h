/* bench/ipc/fdchan.h: the channel shared by the mechanisms that move bytes
 * through file descriptors (pipe, fifo, socketpair_*, unix_stream, tcp,
 * udp, vmsplice).  They differ in how the descriptors are made and
 * connected; sending and receiving is the same code:
 *   stream (pipe, fifo, SOCK_STREAM): write()/send() and read() loop over
 *     short counts until len bytes went through;
 *   datagram (SOCK_DGRAM, SOCK_SEQPACKET): one send() and one recv() per
 *     message, and a received size other than len is EPROTO.
 * Sockets send with MSG_NOSIGNAL (a dead peer is EPIPE, not SIGPIPE); pipes
 * rely on the driver ignoring SIGPIPE. */
#ifndef PROCLAB_BENCH_IPC_FDCHAN_H
#define PROCLAB_BENCH_IPC_FDCHAN_H

#include "ipc/common.h"
#include "ipc/mech.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PL_FD_RECV = 0, PL_FD_SEND = 1 };

struct pl_chan {
    int fd[2][2];           /* fd[side][PL_FD_RECV / PL_FD_SEND]; -1 unused */
    int stream;             /* 1: byte stream, loop over short counts */
    int socket;             /* 1: send()/recv(), 0: write()/read() */
    int listen_fd;          /* unix_stream, tcp: until the partner connected */
    size_t max_bytes;
    char dir[PL_IPC_NAME_MAX];      /* private directory (fifo, unix_stream) */
    char path[2][PL_IPC_NAME_MAX];  /* names in it */
    unsigned short port;    /* tcp, udp: the listening/receiving port */
    /* vmsplice: page-aligned staging ring the pipe may still reference */
    unsigned char *stage;
    size_t stage_bytes, stage_pos, pipe_bytes;
};

/* A channel with every descriptor -1; NULL + errno. */
pl_chan *pl_fdchan_new(size_t max_bytes, int stream, int socket);
/* Close the descriptors that belong to the other side (this process's
 * copies of them), keeping those shared with ours. */
void pl_fdchan_keep_side(pl_chan *ch, int side);
int  pl_fdchan_send(pl_chan *ch, int side, const void *buf, size_t len);
int  pl_fdchan_recv(pl_chan *ch, int side, void *buf, size_t len);
/* Close everything; side 0 also removes the private directory.  Frees ch.
 * Keeps errno. */
void pl_fdchan_free(pl_chan *ch, int side);

#ifdef __cplusplus
}
#endif
#endif

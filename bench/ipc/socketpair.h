/* bench/ipc/socketpair.h: the three socketpair(AF_UNIX, TYPE) mechanisms
 * share their set-up (bench/ipc/socketpair_common.c). */
#ifndef PROCLAB_BENCH_IPC_SOCKETPAIR_H
#define PROCLAB_BENCH_IPC_SOCKETPAIR_H

#include "ipc/fdchan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A connected AF_UNIX pair of this type; for datagrams the send buffer is
 * raised so that one max_bytes message fits (EMSGSIZE if the system's
 * limit, net.core.wmem_max, does not allow it). */
pl_chan *pl_socketpair_create(int type, size_t max_bytes);
int pl_socketpair_attach(pl_chan *ch, int side, pid_t peer);

/* Largest datagram we declare: the default wmem_max (212992) minus the
 * kernel's bookkeeping, rounded down to a size people use. */
enum { PL_UNIX_DGRAM_MAX = 128 * 1024 };

#ifdef __cplusplus
}
#endif
#endif

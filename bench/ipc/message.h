/* bench/ipc/message.h: what the two processes of an IPC benchmark send,
 * and the partner's side of it.
 *
 * Every message carries its sequence number (first 8 bytes) and, when it
 * has room, the number's complement (last 8 bytes); PL_MSG_STOP ends a run.
 * The partner (pl_ipc_partner_main, run by core/session.h) attaches to the
 * channel, says ready, then either echoes every message (ping-pong) or
 * counts, sums and checks them (stream) and, at the stop message, sends a
 * pl_stream_report back over the control socket.  It exits with a code of
 * core/partner.h (enum pl_partner_exit). */
#ifndef PROCLAB_BENCH_IPC_MESSAGE_H
#define PROCLAB_BENCH_IPC_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/mech.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PL_MSG_STOP UINT64_MAX

enum pl_ipc_mode { PL_PINGPONG, PL_STREAM };

/* What the stream receiver sends back over the control socket. */
typedef struct {
    uint64_t count;    /* messages received (the stop message not counted) */
    uint64_t sum;      /* sum of their sequence numbers */
    uint64_t bad;      /* out of order, repeated or with a wrong tail */
    uint64_t pad;
} pl_stream_report;

typedef struct {
    const pl_mech *m;
    pl_chan *ch;
    size_t bytes;
    enum pl_ipc_mode how;
} pl_ipc_partner_arg;

void pl_msg_put(unsigned char *buf, size_t len, uint64_t seq);
uint64_t pl_msg_seq(const unsigned char *buf);
int pl_msg_tail_ok(const unsigned char *buf, size_t len, uint64_t seq);

/* Spoil a message already made by pl_msg_put() so the receiver must see it
 * as bad: the tail when there is one, else the number (made 0, which is
 * never in order).  Used by the hidden --corrupt-after flag, which shows
 * that a corrupt stream is reported. */
void pl_msg_corrupt(unsigned char *buf, size_t len);

/* In the parent, after the stream's stop message: wait up to timeout_ms for
 * the receiver's report on ctl_fd.  A mechanism that may drop
 * (PL_CAP_MAY_DROP) gets its stop message again every 20 ms (buf, bytes:
 * room for one message).  0, or -1 with errno ETIMEDOUT (no report: the
 * stop message lost?) or EPIPE (the receiver died first). */
int pl_ipc_await_report(const pl_mech *m, pl_chan *ch, int ctl_fd, unsigned char *buf,
                        size_t bytes, pl_stream_report *r, int timeout_ms);

/* Run bench/tools/ref_pipe_pingpong CPU_A CPU_B N BYTES (next to this
 * executable) and read its ns per round trip.  0, or -1 with why. */
int pl_ipc_run_ref(int cpu_a, int cpu_b, long n, size_t bytes, double *ns, char *why,
                   size_t why_size);

/* pl_partner_fn: arg is a pl_ipc_partner_arg. */
int pl_ipc_partner_main(void *arg, int ctl_fd);

#ifdef __cplusplus
}
#endif
#endif

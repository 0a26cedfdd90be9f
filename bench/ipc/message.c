/* bench/ipc/message.c: see message.h. */
#include "ipc/message.h"
#include "ipc/common.h"
#include "core/partner.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pl_msg_put(unsigned char *buf, size_t len, uint64_t seq)
{
    memcpy(buf, &seq, sizeof seq);
    if (len >= 2 * sizeof seq) {
        uint64_t tail = ~seq;
        memcpy(buf + len - sizeof tail, &tail, sizeof tail);
    }
}

uint64_t pl_msg_seq(const unsigned char *buf)
{
    uint64_t seq;
    memcpy(&seq, buf, sizeof seq);
    return seq;
}

int pl_msg_tail_ok(const unsigned char *buf, size_t len, uint64_t seq)
{
    uint64_t tail;
    if (len < 2 * sizeof seq)
        return 1;
    memcpy(&tail, buf + len - sizeof tail, sizeof tail);
    return tail == ~seq;
}

void pl_msg_corrupt(unsigned char *buf, size_t len)
{
    if (len >= 2 * sizeof(uint64_t))
        buf[len - 1] ^= 0xff;
    else
        pl_msg_put(buf, len, 0);
}

/* Stream: count, sum and check until the stop message; then report. */
static int count_stream(const pl_ipc_partner_arg *a, unsigned char *buf, int ctl_fd)
{
    pl_stream_report r = { 0, 0, 0, 0 };
    uint64_t last = 0;
    for (;;) {
        if (a->m->recv(a->ch, 1, buf, a->bytes) == -1)
            return PL_PARTNER_RECV;
        uint64_t seq = pl_msg_seq(buf);
        if (seq == PL_MSG_STOP)
            return pl_ipc_write_full(ctl_fd, &r, sizeof r) == -1 ? PL_PARTNER_REPORT
                                                                  : PL_PARTNER_OK;
        if (seq <= last || !pl_msg_tail_ok(buf, a->bytes, seq))
            r.bad++;
        last = seq;
        r.count++;
        r.sum += seq;
    }
}

/* Ping-pong: send every message back until the stop message. */
static int echo(const pl_ipc_partner_arg *a, unsigned char *buf)
{
    for (;;) {
        if (a->m->recv(a->ch, 1, buf, a->bytes) == -1)
            return PL_PARTNER_RECV;
        if (pl_msg_seq(buf) == PL_MSG_STOP)
            return PL_PARTNER_OK;
        if (a->m->send(a->ch, 1, buf, a->bytes) == -1)
            return PL_PARTNER_SEND;
    }
}

int pl_ipc_partner_main(void *argp, int ctl_fd)
{
    const pl_ipc_partner_arg *a = argp;
    unsigned char *buf = calloc(1, a->bytes);
    int rc;
    if (!buf)
        return PL_PARTNER_NOMEM;
    if (a->m->attach(a->ch, 1, getppid()) == -1) {
        free(buf);
        return PL_PARTNER_ATTACH;
    }
    if (pl_partner_ready(ctl_fd) == -1)
        rc = PL_PARTNER_REPORT;
    else
        rc = a->how == PL_STREAM ? count_stream(a, buf, ctl_fd) : echo(a, buf);
    a->m->detach(a->ch, 1);
    free(buf);
    return rc;
}

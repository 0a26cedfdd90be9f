/* bench/ipc/message.c: see message.h. */
#include "ipc/message.h"
#include "ipc/common.h"
#include "core/clock.h"
#include "core/partner.h"
#include "core/run.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
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
    unsigned char *buf = pl_ipc_buf_alloc(a->bytes);
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

int pl_ipc_await_report(const pl_mech *m, pl_chan *ch, int ctl_fd, unsigned char *buf,
                        size_t bytes, pl_stream_report *r, int timeout_ms)
{
    size_t got = 0;
    uint64_t deadline = pl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    int may_drop = (m->caps & PL_CAP_MAY_DROP) != 0;
    while (got < sizeof *r) {
        if (pl_now_ns() > deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = { .fd = ctl_fd, .events = POLLIN };
        int n = poll(&pfd, 1, may_drop ? 20 : 100);
        if (n == 0 && may_drop) {
            pl_msg_put(buf, bytes, PL_MSG_STOP);
            m->send(ch, 0, buf, bytes);     /* best effort */
        }
        if (n <= 0)
            continue;                       /* EINTR, timeout */
        ssize_t k = read(ctl_fd, (char *)r + got, sizeof *r - got);
        if (k == 0) {
            errno = EPIPE;
            return -1;
        }
        if (k > 0)
            got += (size_t)k;
    }
    return 0;
}

int pl_ipc_run_ref(int cpu_a, int cpu_b, long n, size_t bytes, double *ns, char *why,
                   size_t why_size)
{
    char dir[PATH_MAX], prog[PATH_MAX + 32], args[4][32], out[256];
    if (pl_self_dir(dir, sizeof dir) == -1) {
        snprintf(why, why_size, "finding our directory: %s", strerror(errno));
        return -1;
    }
    snprintf(prog, sizeof prog, "%s/ref_pipe_pingpong", dir);
    if (access(prog, X_OK) == -1) {
        snprintf(why, why_size, "%s not found (make tools)", prog);
        return -1;
    }
    snprintf(args[0], sizeof args[0], "%d", cpu_a);
    snprintf(args[1], sizeof args[1], "%d", cpu_b);
    snprintf(args[2], sizeof args[2], "%ld", n);
    snprintf(args[3], sizeof args[3], "%zu", bytes);
    char *argv[] = { prog, args[0], args[1], args[2], args[3], NULL };
    int status = pl_run_capture(prog, argv, NULL, out, sizeof out, 30000);
    if (status == -1) {
        snprintf(why, why_size, "ref_pipe_pingpong: %s", strerror(errno));
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, why_size, "ref_pipe_pingpong failed (status %d)", status);
        return -1;
    }
    char *end;
    *ns = strtod(out, &end);
    if (end == out || *ns <= 0) {
        snprintf(why, why_size, "ref_pipe_pingpong printed '%s'", out);
        return -1;
    }
    return 0;
}

/* bench/ipc/posix_mq.c: two POSIX message queues, one per direction.
 *
 * One message costs: mq_send(2) copying the payload into a kernel message
 * and mq_receive(2) copying it out -- two system calls, two copies -- and,
 * when the receiver sleeps (every time in ping-pong), a wake-up.  A receive
 * buffer must hold mq_msgsize bytes, so a message shorter than the largest
 * is received into a staging buffer and copied once more (a memcpy of len
 * bytes: small next to the system calls).
 *
 * Limits (read at create(); we never change system settings): a message is
 * at most /proc/sys/fs/mqueue/msgsize_max bytes (8192 by default: the
 * max_msg we declare; root could go beyond it, but a benchmark that only
 * works as root would mislead); a queue holds mq_maxmsg = 10 messages (or
 * msg_max if lower); both queues count against RLIMIT_MSGQUEUE.
 *
 * Named objects: "/proclab-<uid>-<pid>-posix_mq-0" (parent -> partner) and
 * "-1", created O_CREAT|O_EXCL, mode 0600, opened before fork so the
 * partner inherits the descriptors; the parent unlinks both names in
 * attach() -- both sides have them open by then -- and again in detach() in
 * case attach() never ran.  Nothing stays in /dev/mqueue. */
#include "ipc/common.h"
#include "ipc/mech.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_MSGSIZE_MAX = 8192, QUEUE_DEPTH = 10 };

struct pl_chan {
    mqd_t q[2];             /* q[d]: direction d, sent by side d */
    char name[2][PL_IPC_NAME_MAX];
    size_t max_bytes;
    char *stage;            /* receive buffer of mq_msgsize bytes */
};

static long read_limit(const char *path, long fallback)
{
    long v = fallback;
    FILE *f = fopen(path, "re");
    if (!f)
        return fallback;
    if (fscanf(f, "%ld", &v) != 1)
        v = fallback;
    fclose(f);
    return v;
}

static void unlink_names(pl_chan *ch)
{
    for (int d = 0; d < 2; d++)
        if (ch->name[d][0])
            mq_unlink(ch->name[d]);     /* ENOENT once already unlinked */
}

static void destroy(pl_chan *ch, int unlink_too)
{
    if (unlink_too)
        unlink_names(ch);
    for (int d = 0; d < 2; d++)
        if (ch->q[d] != (mqd_t)-1)
            mq_close(ch->q[d]);
    free(ch->stage);
    free(ch);
}

static pl_chan *create(size_t max_bytes)
{
    long size_max = read_limit("/proc/sys/fs/mqueue/msgsize_max", DEFAULT_MSGSIZE_MAX);
    long depth = read_limit("/proc/sys/fs/mqueue/msg_max", QUEUE_DEPTH);
    if (max_bytes == 0 || max_bytes > (size_t)size_max) {
        errno = EMSGSIZE;
        return NULL;
    }
    pl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->q[0] = ch->q[1] = (mqd_t)-1;
    ch->max_bytes = max_bytes;
    struct mq_attr attr = {
        .mq_maxmsg = depth < QUEUE_DEPTH ? depth : QUEUE_DEPTH,
        .mq_msgsize = (long)max_bytes,
    };
    if (!(ch->stage = pl_ipc_buf_alloc(max_bytes)))
        goto fail;
    for (int d = 0; d < 2; d++) {
        do {                            /* a new random name on EEXIST */
            if (pl_ipc_name(ch->name[d], sizeof ch->name[d],
                            d == 0 ? "posix_mq-0" : "posix_mq-1") == -1) {
                ch->name[d][0] = '\0';
                goto fail;
            }
            ch->q[d] = mq_open(ch->name[d], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                               0600, &attr);
        } while (ch->q[d] == (mqd_t)-1 && errno == EEXIST);
        if (ch->q[d] == (mqd_t)-1) {
            ch->name[d][0] = '\0';      /* not ours: never unlink it */
            goto fail;
        }
    }
    return ch;
fail:;
    int saved = errno;
    destroy(ch, 1);
    errno = saved;
    return NULL;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)peer;
    if (side == 0)
        unlink_names(ch);   /* both ends are open (inherited): names no longer needed */
    return 0;
}

static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    return mq_send(ch->q[side], buf, len, 0);   /* blocks while full */
}

static int recv_msg(pl_chan *ch, int side, void *buf, size_t len)
{
    char *into = len == ch->max_bytes ? buf : ch->stage;
    ssize_t n = mq_receive(ch->q[1 - side], into, ch->max_bytes, NULL);
    if (n == -1)
        return -1;
    if ((size_t)n != len) {
        errno = EPROTO;
        return -1;
    }
    if (into != buf)
        memcpy(buf, into, len);
    return 0;
}

static void detach(pl_chan *ch, int side)
{
    if (!ch)
        return;
    int saved = errno;
    destroy(ch, side == 0);
    errno = saved;
}

const pl_mech pl_mech_posix_mq = {
    .name = "posix_mq",
    .summary = "two POSIX message queues, one per direction (unlinked once both ends are open)",
    .caps = PL_CAP_BOUNDARIES | PL_CAP_NAMED,
    .max_msg = DEFAULT_MSGSIZE_MAX,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

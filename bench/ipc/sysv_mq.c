/* bench/ipc/sysv_mq.c: one System V message queue carrying both
 * directions, told apart by mtype (1: parent -> partner, 2: partner ->
 * parent).
 *
 * One message costs: msgsnd(2) + msgrcv(2), each copying the message once
 * (into a kernel-allocated message, out of it) -- and, because the API
 * wants the mtype header right in front of the payload, one user-space copy
 * into a staging buffer before msgsnd and one out of it after msgrcv: four
 * copies in all.  A receiver asleep in msgrcv is woken by the sender's
 * msgsnd (in ping-pong, every time).  Every msgrcv scans the queue for the
 * first message of its type; with one queue per pair and at most a few
 * messages in it, that scan is short.
 *
 * Limits (read at create(); we never change system settings): a message is
 * at most /proc/sys/kernel/msgmax bytes (8192 by default, which is the
 * max_msg we declare); the queue holds at most msgmnb bytes (16384 by
 * default), so a stream of 8 KiB messages has only two in flight.  The
 * queue is IPC_PRIVATE (no key, nothing to guess), made with
 * IPC_CREAT|IPC_EXCL, mode 0600, removed with IPC_RMID by detach(ch, 0). */
#include "ipc/mech.h"
#include "../../labs/lab.h"   /* lab_sysv_record: what `make clean-ipc` may remove */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

enum { DEFAULT_MSGMAX = 8192 };

typedef struct {
    long mtype;
    char mtext[];
} staged;

struct pl_chan {
    int id;
    struct lab_sysv_record record;   /* the keyless queue, for `make clean-ipc` */
    size_t max_bytes;
    staged *stage;      /* per process (copied by fork) */
};

static long read_limit(const char *path)
{
    long v = -1;
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    if (fscanf(f, "%ld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

static pl_chan *create(size_t max_bytes)
{
    long msgmax = read_limit("/proc/sys/kernel/msgmax");
    if (msgmax < 0)
        msgmax = DEFAULT_MSGMAX;
    if (max_bytes == 0 || max_bytes > (size_t)msgmax) {
        errno = EMSGSIZE;
        return NULL;
    }
    pl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->max_bytes = max_bytes;
    ch->stage = malloc(sizeof(staged) + max_bytes);
    ch->id = -1;
    if (!ch->stage ||
        (ch->id = msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600)) == -1 ||
        lab_sysv_record(&ch->record, "msg", ch->id) == -1) {
        int saved = errno;
        if (ch->id != -1)
            msgctl(ch->id, IPC_RMID, NULL);
        free(ch->stage);
        free(ch);
        errno = saved;
        return NULL;
    }
    return ch;
}

static int attach(pl_chan *ch, int side, pid_t peer)
{
    (void)ch, (void)side, (void)peer;
    return 0;
}

static long type_sent_by(int side) { return side == 0 ? 1 : 2; }

static int send_msg(pl_chan *ch, int side, const void *buf, size_t len)
{
    if (len == 0 || len > ch->max_bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    ch->stage->mtype = type_sent_by(side);
    memcpy(ch->stage->mtext, buf, len);
    return msgsnd(ch->id, ch->stage, len, 0);   /* blocks while the queue is full */
}

static int recv_msg(pl_chan *ch, int side, void *buf, size_t len)
{
    ssize_t n = msgrcv(ch->id, ch->stage, ch->max_bytes, type_sent_by(1 - side), 0);
    if (n == -1)
        return -1;
    if ((size_t)n != len) {
        errno = EPROTO;
        return -1;
    }
    memcpy(buf, ch->stage->mtext, len);
    return 0;
}

static void detach(pl_chan *ch, int side)
{
    if (!ch)
        return;
    int saved = errno;
    if (side == 0) {                 /* the creator's side removes both */
        msgctl(ch->id, IPC_RMID, NULL);
        lab_sysv_forget(&ch->record);
    }
    free(ch->stage);
    free(ch);
    errno = saved;
}

const pl_mech pl_mech_sysv_mq = {
    .name = "sysv_mq",
    .summary = "one System V message queue, mtype 1 and 2 for the two directions",
    .caps = PL_CAP_BOUNDARIES,
    .max_msg = DEFAULT_MSGMAX,
    .create = create,
    .attach = attach,
    .send = send_msg,
    .recv = recv_msg,
    .detach = detach,
};

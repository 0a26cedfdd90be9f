/* producer_consumer.c: the same job over six mechanisms; static vs dynamic.
 *
 * Lesson: P producers send R records, C consumers check and count them; the
 * parent proves every record arrived exactly once.  Only the transport
 * changes (--via), so the elapsed times compare mechanisms on equal work:
 *   pipe        one pipe; EOF when the last producer closes its write end
 *   fifo        a named pipe in a private /tmp directory (opened by name)
 *   socketpair  SOCK_SEQPACKET: a pipe that keeps message boundaries
 *   mq          a POSIX message queue; one sentinel per consumer at the end
 *   sysv        a System V message queue; sentinels too
 *   shm         a ring in shared memory with a process-shared mutex + conds
 * Every record is 64 bytes, at most PIPE_BUF: a write of up to PIPE_BUF
 * bytes to a pipe or FIFO is atomic, so records from several writers never
 * interleave, and a 64-byte read takes one whole record (see the framing lab:
 * with larger or variable records this breaks).
 *
 * The pitfall (--distribution static): each consumer gets a fixed block of
 * records on a channel of its own (Pool.map with big chunks).  With uneven
 * work (--work-us: record i costs up to that much, growing with i) the
 * consumer with the heavy block finishes last while the others sit idle;
 * dynamic (one shared channel: whoever is free takes the next) keeps all
 * busy.  Compare the per-consumer "done at" times, and the elapsed times:
 * two consumers by default, so that even on 2 CPUs static takes about 1.5
 * times as long (its last block holds 3/4 of the work).  The "balance" line
 * says how much of the work the busiest consumer did, and the least time
 * the work needs when spread evenly over the CPUs this machine has.
 *
 * Each record carries producer id, sequence, index and a checksum; consumers
 * mark a shared byte per record, so the parent finds any lost, duplicated
 * or corrupt record.  Exit 0 all delivered exactly once, 1 otherwise.
 *
 * Try:
 *   for v in pipe fifo socketpair mq sysv shm; do ./producer_consumer --via $v; done
 *   ./producer_consumer --distribution static --work-us 200 -n 3000
 *   ./producer_consumer --distribution dynamic --work-us 200 -n 3000
 *   ./producer_consumer --distribution static --work-us 200 -n 3000 --timeline t.csv
 *   scripts/timeline.sh t.csv t.svg     # who was busy when
 *
 * Usage: producer_consumer [--via pipe|fifo|socketpair|mq|sysv|shm] [-p PRODUCERS] [-c CONSUMERS] [-n RECORDS] [--distribution static|dynamic] [--work-us US] [--timeline FILE]
 * Python: Queue between Process producers and consumers; Pool.map chunksize
 *
 * Fault injection (not in --help; tests use it): --corrupt N flips one
 * payload byte of records 0..N-1 after their checksum is made, so the
 * consumers must report N corrupt (and so missing) records and exit 1.
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <mqueue.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define MAX_PROCS 16
#define RING 64
#define RUN_LIMIT_S 60          /* SIGALRM ends any process still running */
#define END UINT32_MAX          /* index of a sentinel record */

struct rec {                    /* fixed size, <= PIPE_BUF: see the header */
    uint32_t producer, seq, index, work_us;
    uint64_t check;
    uint8_t payload[40];
};
_Static_assert(sizeof(struct rec) == 64 && sizeof(struct rec) <= PIPE_BUF, "record size");

struct ring {                   /* --via shm: a bounded queue of records */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    int head, count;
    struct rec slot[RING];
};

struct shared {                 /* MAP_SHARED: seen by every process */
    struct tally { long count, corrupt; uint64_t sum; long long work_ns, done_ns; } t[MAX_PROCS];
    atomic_int opened[MAX_PROCS];   /* fifo: how many children opened channel i */
    struct ring ring[MAX_PROCS];
    atomic_uchar seen[];        /* one per record: how often it arrived */
};

struct chan {
    int rfd, wfd; mqd_t mq; int msqid; char name[96];
    struct lab_sysv_record record;   /* msqid's, for `make clean-ipc` after a kill -9 */
};

static struct shared *sh;
static struct chan ch[MAX_PROCS];
static int nch;                 /* 1 shared channel (dynamic) or C (static) */
static char tmpdir[64];         /* fifo: the private directory */
static pid_t pids[2 * MAX_PROCS];
static int npids;
static bool owner = true;       /* false in children: the parent removes names */
static long P = 3, C = 2, R = 100000, work_max;
static long corrupt_first;      /* --corrupt N: damage records 0..N-1 */
static long long t0;

/* ---- records --------------------------------------------------------------- */

static uint64_t checksum(const struct rec *r)
{
    uint64_t h = 14695981039346656037ULL;          /* FNV-1a over all but check */
    const uint8_t *b = (const uint8_t *)r;
    for (size_t i = 0; i < sizeof *r; i++)
        if (i < offsetof(struct rec, check) || i >= offsetof(struct rec, payload))
            h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* Records are numbered in C blocks of B (static: block b is consumer b's).
 * Producer p sends offsets j = p, p+P, ... of every block in turn, so all
 * blocks fill at the same pace; record i's fields say who sent it when. */
static long block_len(void) { return (R + C - 1) / C; }

static struct rec make_rec(long i)
{
    long b = i / block_len(), j = i % block_len();
    struct rec r = { (uint32_t)(j % P), (uint32_t)((j / P) * C + b), (uint32_t)i,
                     (uint32_t)(work_max * i / R), 0, { 0 } };
    for (size_t j = 0; j < sizeof r.payload; j++)
        r.payload[j] = (uint8_t)(i * 31 + j);
    r.check = checksum(&r);
    return r;
}

/* ---- transport: pipe, and socketpair (SOCK_SEQPACKET) ---------------------- */

static void pipe_setup(struct chan *c)
{
    int fd[2];
    if (pipe(fd) == -1)
        errExit("pipe");
    c->rfd = fd[0];
    c->wfd = fd[1];
}

static void sock_setup(struct chan *c)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
        errExit("socketpair");
    c->rfd = sv[1];             /* EOF on sv[1] once every copy of sv[0] is closed */
    c->wfd = sv[0];
}

static void fd_send(struct chan *c, const struct rec *r)
{
    ssize_t n = write(c->wfd, r, sizeof *r);   /* one write: atomic, <= PIPE_BUF */
    if (n != sizeof *r)
        err_exit("write (%zd bytes)", n);
}

static bool fd_recv(struct chan *c, struct rec *r)
{
    ssize_t n;
    while ((n = read(c->rfd, r, sizeof *r)) == -1 && errno == EINTR)
        ;
    if (n == 0)
        return false;           /* EOF: every writer has closed */
    if (n != sizeof *r)
        err_exit("read: torn record (%zd bytes)", n);
    return true;
}

/* Children keep only the ends they use: a consumer that kept a write end
 * open would never see EOF. */
static void fd_keep(struct chan *c, bool reader, bool mine)
{
    if (c->wfd != -1 && (reader || !mine) && close(c->wfd) == -1)
        err_exit("close");
    if (c->rfd != -1 && (!reader || !mine) && close(c->rfd) == -1)
        err_exit("close");
}

/* ---- transport: fifo ----------------------------------------------------------
 * Opening a FIFO blocks until the other side opens, and EOF comes as soon as
 * the last writer closes, even if another producer has not opened yet.  So
 * the parent holds both ends open until every child has opened its own. */

static void fifo_setup(struct chan *c)
{
    snprintf(c->name, sizeof c->name, "%s/fifo%ld", tmpdir, (long)(c - ch));
    if (mkfifo(c->name, 0600) == -1)
        errExit("mkfifo %s", c->name);
    if ((c->rfd = open(c->name, O_RDONLY | O_NONBLOCK)) == -1 ||
        (c->wfd = open(c->name, O_WRONLY)) == -1)
        errExit("open %s", c->name);
}

static void fifo_keep(struct chan *c, bool reader, bool mine)
{
    if (close(c->rfd) == -1 || close(c->wfd) == -1)    /* the parent's */
        err_exit("close");
    c->rfd = c->wfd = -1;
    if (!mine)
        return;
    int fd = open(c->name, reader ? O_RDONLY : O_WRONLY);  /* by name */
    if (fd == -1)
        err_exit("open %s", c->name);
    *(reader ? &c->rfd : &c->wfd) = fd;
    atomic_fetch_add(&sh->opened[c - ch], 1);
}

static void fifo_opened(struct chan *c, int expected)
{
    long long deadline = now_ns() + 10 * 1000000000LL;
    while (atomic_load(&sh->opened[c - ch]) < expected)
        if (now_ns() > deadline)
            fatal("fifo: children did not open %s", c->name);
        else
            sleep_ms(1);
    if (close(c->rfd) == -1 || close(c->wfd) == -1 || unlink(c->name) == -1)
        errExit("close/unlink %s", c->name);
    c->rfd = c->wfd = -1;
    c->name[0] = '\0';          /* everyone has it open: the name can go */
}

/* ---- transport: POSIX mq -------------------------------------------------- */

static void mq_setup(struct chan *c)
{
    struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = sizeof(struct rec) };
    char what[24];
    snprintf(what, sizeof what, "pc%ld", (long)(c - ch));
    /* A random part in the name: nobody can create it first to stop us. */
    do {
        lab_ipc_name(c->name, sizeof c->name, what);
        c->mq = mq_open(c->name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
    } while (c->mq == (mqd_t)-1 && errno == EEXIST);
    if (c->mq == (mqd_t)-1) {
        c->name[0] = '\0';
        errExit("mq_open");
    }
}

static void mq_put(struct chan *c, const struct rec *r)
{
    while (mq_send(c->mq, (const char *)r, sizeof *r, 0) == -1)
        if (errno != EINTR)
            err_exit("mq_send");
}

static bool mq_get(struct chan *c, struct rec *r)
{
    while (mq_receive(c->mq, (char *)r, sizeof *r, NULL) == -1)
        if (errno != EINTR)
            err_exit("mq_receive");
    return r->index != END;
}

/* ---- transport: System V message queue ------------------------------------ */

struct sysv_msg { long mtype; struct rec r; };

static void sysv_setup(struct chan *c)
{
    if ((c->msqid = msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600)) == -1)
        errExit("msgget");
    if (lab_sysv_record(&c->record, "msg", c->msqid) == -1)
        errExit("mkdtemp (the queue's record for make clean-ipc)");
}

static void sysv_put(struct chan *c, const struct rec *r)
{
    struct sysv_msg m = { 1, *r };
    while (msgsnd(c->msqid, &m, sizeof m.r, 0) == -1)
        if (errno != EINTR)
            err_exit("msgsnd");
}

static bool sysv_get(struct chan *c, struct rec *r)
{
    struct sysv_msg m;
    while (msgrcv(c->msqid, &m, sizeof m.r, 0, 0) == -1)
        if (errno != EINTR)
            err_exit("msgrcv");
    *r = m.r;
    return r->index != END;
}

/* ---- transport: ring in shared memory ------------------------------------- */

static void shm_setup(struct chan *c)
{
    struct ring *q = &sh->ring[c - ch];
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    int rc;
    if ((rc = pthread_mutexattr_init(&ma)) || (rc = pthread_condattr_init(&ca)) ||
        (rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED)) ||
        (rc = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED)) ||
        (rc = pthread_mutex_init(&q->mu, &ma)) ||
        (rc = pthread_cond_init(&q->not_empty, &ca)) ||
        (rc = pthread_cond_init(&q->not_full, &ca)))
        errExitEN(rc, "process-shared mutex/cond init");
}

/* Unbounded waits here are bounded by alarm(): see RUN_LIMIT_S. */
static void shm_put(struct chan *c, const struct rec *r)
{
    struct ring *q = &sh->ring[c - ch];
    pthread_mutex_lock(&q->mu);
    while (q->count == RING)
        pthread_cond_wait(&q->not_full, &q->mu);
    q->slot[(q->head + q->count++) % RING] = *r;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

static bool shm_get(struct chan *c, struct rec *r)
{
    struct ring *q = &sh->ring[c - ch];
    pthread_mutex_lock(&q->mu);
    while (q->count == 0)
        pthread_cond_wait(&q->not_empty, &q->mu);
    *r = q->slot[q->head];
    q->head = (q->head + 1) % RING;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return r->index != END;
}

/* ---- the table of transports ---------------------------------------------- */

struct transport {
    const char *name;
    void (*setup)(struct chan *);
    void (*keep)(struct chan *, bool reader, bool mine);  /* in each child; may be NULL */
    void (*send)(struct chan *, const struct rec *);
    bool (*recv)(struct chan *, struct rec *);
    bool sentinels;             /* no EOF: the parent sends one END per reader */
};

static const struct transport transports[] = {
    { "pipe", pipe_setup, fd_keep, fd_send, fd_recv, false },
    { "fifo", fifo_setup, fifo_keep, fd_send, fd_recv, false },
    { "socketpair", sock_setup, fd_keep, fd_send, fd_recv, false },
    { "mq", mq_setup, NULL, mq_put, mq_get, true },
    { "sysv", sysv_setup, NULL, sysv_put, sysv_get, true },
    { "shm", shm_setup, NULL, shm_put, shm_get, true },
};
static const struct transport *T;

/* ---- processes ------------------------------------------------------------ */

static void cleanup(void)        /* async-signal-safe: handlers run it */
{
    for (int i = 0; i < npids; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    for (int i = 0; owner && i < nch; i++) {
        if (ch[i].name[0] == '/' && T->setup == mq_setup)
            mq_unlink(ch[i].name);
        else if (ch[i].name[0] == '/')
            unlink(ch[i].name);
        if (T->setup == sysv_setup && ch[i].msqid != -1)
            msgctl(ch[i].msqid, IPC_RMID, NULL);
        lab_sysv_forget(&ch[i].record);
        ch[i].name[0] = '\0';
        ch[i].msqid = -1;
    }
    if (owner && tmpdir[0] != '\0' && rmdir(tmpdir) == 0)
        tmpdir[0] = '\0';
}

static void on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* CPU time this process has used: the work is counted in CPU time, so it
 * costs the same on a busy machine (where wall time would count the time
 * other programs ran). */
static long long cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1)
        err_exit("clock_gettime");
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin_us(uint32_t us)  /* uneven work: burn CPU, do not sleep */
{
    long long until = cpu_ns() + us * 1000LL;
    while (cpu_ns() < until)
        ;
}

/* The timeline: one lane per child.  A consumer draws one box per busy
 * stretch (records taken back to back, gaps under a millisecond merged),
 * not one per record. */
static char lane[32];
static double busy_from = -1, busy_to;

static void timeline_busy(double from, double to)
{
    if (busy_from >= 0 && from - busy_to > 1e-3) {
        lab_timeline_interval(lane, busy_from, busy_to, "busy");
        busy_from = -1;
    }
    if (busy_from < 0)
        busy_from = from;
    busy_to = to;
}

static void producer(int p, bool is_static)
{
    double sending = lab_timeline_now();
    snprintf(lane, sizeof lane, "producer %d", p);
    for (int i = 0; i < nch; i++)
        if (T->keep)
            T->keep(&ch[i], false, true);
    for (long j = p; j < block_len(); j += P)
        for (long b = 0; b < C && b * block_len() + j < R; b++) {
            struct rec r = make_rec(b * block_len() + j);
            if (r.index < corrupt_first)
                r.payload[0] ^= 0x40;               /* damaged on the way */
            T->send(&ch[is_static ? b : 0], &r);    /* static: block b -> consumer b */
        }
    lab_timeline_interval(lane, sending, lab_timeline_now(), "sends");
    lab_timeline_event(lane, "exit 0");
    _exit(EXIT_SUCCESS);
}

static void consumer(int k, bool is_static)
{
    int mine = is_static ? k : 0;
    struct tally *t = &sh->t[k];
    struct rec r;
    snprintf(lane, sizeof lane, "consumer %d", k);
    for (int i = 0; i < nch; i++)
        if (T->keep)
            T->keep(&ch[i], true, i == mine);
    while (T->recv(&ch[mine], &r)) {
        if (r.index >= R || checksum(&r) != r.check) {
            t->corrupt++;
            continue;
        }
        atomic_fetch_add(&sh->seen[r.index], 1);
        long long w = now_ns(), cpu = cpu_ns();
        spin_us(r.work_us);
        t->work_ns += cpu_ns() - cpu;
        t->count++;
        t->sum += r.check;
        if (lab_timeline_on())
            timeline_busy((w - t0) / 1e9, (now_ns() - t0) / 1e9);
    }
    t->done_ns = now_ns() - t0;
    if (busy_from >= 0)
        lab_timeline_interval(lane, busy_from, busy_to, "busy");
    lab_timeline_event(lane, "done: exit 0");
    _exit(EXIT_SUCCESS);
}

static void spawn(void (*body)(int, bool), int id, bool is_static)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
        errExit("sigprocmask");
    if (lab_timeline_on()) {            /* the parent names the lanes, in order */
        char child_lane[32];
        snprintf(child_lane, sizeof child_lane, "%s %d",
                 body == consumer ? "consumer" : "producer", id);
        lab_timeline_event(child_lane, "fork");
    }
    pid_t pid = lab_fork_guarded();   /* the child dies with us, even of SIGKILL */
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        owner = false;
        npids = 0;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        alarm(RUN_LIMIT_S);     /* fork does not copy a pending alarm */
        sigprocmask(SIG_SETMASK, &old, NULL);
        body(id, is_static);
    }
    pids[npids++] = pid;
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        errExit("sigprocmask");
}

static void reap(int from, int to)
{
    for (int i = from; i < to; i++) {
        int status;
        char how[64];
        if (waitpid(pids[i], &status, 0) == -1)   /* bounded by alarm() */
            errExit("waitpid");
        pids[i] = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fatal("child %d ended with %s", i, describe_status(status, how, sizeof how));
    }
}

/* What the elapsed time cannot beat: the busiest consumer's own work, and
 * the whole work spread evenly over min(C, CPUs).  Static's busiest block
 * holds most of the work (3/4 with two consumers): elapsed follows it. */
static void print_balance(double work_ms, double busiest_ms)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long lanes = cpus > 0 && cpus < C ? cpus : C;
    printf("balance: the busiest consumer did %.0f%% of the work (%.1f ms of CPU; even "
           "share %.0f%%): elapsed >= %.1f ms; evenly spread over %ld consumer%s on %ld "
           "CPU%s: >= %.1f ms\n",
           work_ms > 0 ? 100 * busiest_ms / work_ms : 0, work_ms, 100.0 / C, busiest_ms,
           C, C == 1 ? "" : "s", cpus, cpus == 1 ? "" : "s", work_ms / lanes);
}

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--via pipe|fifo|socketpair|mq|sysv|shm] [-p PRODUCERS] [-c CONSUMERS] [-n RECORDS] [--distribution static|dynamic] [--work-us US] [--timeline FILE]\n"
            "P producers send R 64-byte records to C consumers; every one must arrive once.\n"
            "      --via KIND         the transport (default pipe)\n"
            "  -p, --producers N      producer processes (1..16, default 3)\n"
            "  -c, --consumers N      consumer processes (1..16, default 2)\n"
            "  -n, --records N        records in all (1..1000000, default 100000)\n"
            "      --distribution D   dynamic: one shared channel (default); static: a\n"
            "                         channel per consumer, records in fixed blocks\n"
            "      --work-us US       record i costs US*i/R microseconds of CPU (0..100000)\n"
            "      --timeline FILE    write when each producer sent and each consumer was\n"
            "                         busy, as CSV for scripts/timeline.sh\n"
            "  -h, --help             this help\n",
            lab_progname);
    exit(status);
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "via", required_argument, NULL, 'V' },
        { "producers", required_argument, NULL, 'p' },
        { "consumers", required_argument, NULL, 'c' },
        { "records", required_argument, NULL, 'n' },
        { "distribution", required_argument, NULL, 'D' },
        { "work-us", required_argument, NULL, 'W' },
        { "corrupt", required_argument, NULL, 'X' },
        { "timeline", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *via = "pipe", *dist = "dynamic";
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "p:c:n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'V': via = optarg; break;
        case 'p': P = parse_long("--producers", optarg, 1, MAX_PROCS); break;
        case 'c': C = parse_long("--consumers", optarg, 1, MAX_PROCS); break;
        case 'n': R = parse_long("--records", optarg, 1, 1000000); break;
        case 'D': dist = optarg; break;
        case 'W': work_max = parse_long("--work-us", optarg, 0, 100000); break;
        case 'X': corrupt_first = parse_long("--corrupt", optarg, 0, 1000000); break;
        case 'T': lab_timeline_open(optarg); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++)
        if (strcmp(via, transports[i].name) == 0)
            T = &transports[i];
    if (T == NULL)
        usageErr("--via: '%s' is not pipe, fifo, socketpair, mq, sysv or shm", via);
    if (strcmp(dist, "static") && strcmp(dist, "dynamic"))
        usageErr("--distribution: '%s' is not static or dynamic", dist);
    bool is_static = strcmp(dist, "static") == 0;

    size_t size = sizeof *sh + (size_t)R;
    sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        errExit("mmap");
    nch = is_static ? (int)C : 1;
    for (int i = 0; i < nch; i++)
        ch[i] = (struct chan){ .rfd = -1, .wfd = -1, .mq = (mqd_t)-1, .msqid = -1 };
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR ||
        signal(SIGALRM, on_signal) == SIG_ERR)
        errExit("signal");
    atexit(cleanup);
    alarm(RUN_LIMIT_S);         /* bounds every wait below: SIGALRM cleans up */
    if (T->setup == fifo_setup) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/proclab-%ld-%ld-XXXXXX", (long)getuid(), (long)getpid());
        if (mkdtemp(tmpdir) == NULL) {
            tmpdir[0] = '\0';
            errExit("mkdtemp");
        }
    }
    for (int i = 0; i < nch; i++)
        T->setup(&ch[i]);

    printf("via %s: %ld producers, %ld consumers, %ld records of %zu bytes, %s distribution\n",
           via, P, C, R, sizeof(struct rec), dist);
    if (fflush(stdout) == EOF)
        errExit("fflush");
    t0 = now_ns();
    if (lab_timeline_on())      /* one clock for the picture and the "done at" */
        lab_timeline_state()->t0_ns = t0;
    lab_timeline_event("parent", "start");
    for (int k = 0; k < C; k++)
        spawn(consumer, k, is_static);
    for (int p = 0; p < P; p++)
        spawn(producer, p, is_static);
    for (int i = 0; i < nch; i++) {        /* the parent lets go of its ends */
        if (T->setup == fifo_setup)
            fifo_opened(&ch[i], (int)P + (is_static ? 1 : (int)C));
        else if (T->keep)
            T->keep(&ch[i], false, false);
    }
    reap((int)C, npids);                    /* producers done... */
    lab_timeline_event("parent", "producers reaped");
    struct rec end = { .index = END };
    for (int i = 0; T->sentinels && i < nch; i++)   /* ...then one END per reader */
        for (int k = 0; k < (is_static ? 1 : C); k++)
            T->send(&ch[i], &end);
    reap(0, (int)C);
    double elapsed_ms = (now_ns() - t0) / 1e6;
    lab_timeline_event("parent", "consumers reaped");

    long count = 0, corrupt = 0, once = 0, missing = 0, dups = 0;
    uint64_t sum = 0, expect = 0;
    double work_ms = 0, busiest_ms = 0;
    for (int k = 0; k < C; k++) {
        struct tally *t = &sh->t[k];
        work_ms += t->work_ns / 1e6;
        if (t->work_ns / 1e6 > busiest_ms)
            busiest_ms = t->work_ns / 1e6;
        printf("consumer %d: %ld records, working %.1f ms, done at %.1f ms\n",
               k, t->count, t->work_ns / 1e6, t->done_ns / 1e6);
        count += t->count;
        corrupt += t->corrupt;
        sum += t->sum;
    }
    for (long i = 0; i < R; i++) {
        int n = atomic_load(&sh->seen[i]);
        once += n == 1;
        missing += n == 0;
        dups += n > 1;
        expect += make_rec(i).check;
    }
    printf("delivered: %ld of %ld exactly once (%ld missing, %ld duplicated, %ld corrupt), "
           "checksum %016llx (expected %016llx)\n", once, R, missing, dups, corrupt,
           (unsigned long long)sum, (unsigned long long)expect);
    if (work_max > 0)
        print_balance(work_ms, busiest_ms);
    printf("elapsed: %.1f ms\n", elapsed_ms);
    if (munmap(sh, size) == -1)
        errExit("munmap");
    return once == R && count == R && corrupt == 0 && sum == expect ? EXIT_SUCCESS : EXIT_FAILURE;
}

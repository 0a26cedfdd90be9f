/* queue_sysv.c: a System V message queue, where the message type is a channel.
 *
 * Lesson: every System V message starts with a long mtype, and msgrcv picks
 * by it:  msgtyp 0 takes the first message, msgtyp T > 0 the first of type
 * T, msgtyp -T the first of the lowest type <= T.  One queue can so carry
 * several channels:
 *   type 1       work: any free consumer takes the next item (MPMC)
 *   type 2       results, for the parent only
 *   type 10 + k  addressed to consumer k and nobody else (--demo addressed)
 *   -T           lowest type first: small type = urgent (--demo priority)
 * The queue is bounded in bytes (msg_qbytes, lowered with IPC_SET in
 * --demo full): a full queue blocks msgsnd, or with IPC_NOWAIT fails with
 * EAGAIN.  There is no timed msgrcv: this lab bounds its waits with alarm().
 *
 * The pitfall: the queue is a kernel object with no name in any file
 * system.  It outlives every process until IPC_RMID; `ipcs -q` lists it.
 * This lab creates it IPC_PRIVATE, IPC_CREAT|IPC_EXCL, 0600 and removes it
 * on every exit path, SIGINT and SIGTERM included.  A second trap: work and
 * results share one bounded queue, so a parent that sends all the work
 * before reading any result deadlocks with its consumers once the queue
 * fills; the parent keeps at most --in-flight items out (default 256: work
 * and results then always fit).  With --in-flight 100000 -n 100000 the
 * trap springs: every msgsnd blocks; after SEND_LIMIT_S seconds without
 * progress the lab says so and exits 3.
 *
 * Watch for: per-consumer counts that change between runs; types coming out
 * lowest first with msgtyp -5; EAGAIN when msg_qbytes is used up.
 *
 * Try:
 *   ./queue_sysv -c 3 -n 30
 *   ./queue_sysv --demo priority
 *   ./queue_sysv --demo addressed -c 4
 *   ./queue_sysv --demo full
 *   ./queue_sysv -n 100 -w 20 & sleep 0.3; ipcs -q; wait
 *   ./queue_sysv --in-flight 100000 -n 100000    # deadlock: exit 3
 *
 * Exit: 0 every result came back, 1 an error, 2 bad arguments, 3 deadlock
 *       (a msgsnd blocked for SEND_LIMIT_S seconds: the queue stayed full).
 * Usage: queue_sysv [--demo priority|addressed|full] [-c CONSUMERS] [-n ITEMS] [-w WORK_MS] [--in-flight N]
 * Python: multiprocessing.Queue put()/get(); no Python queue selects by type
 */
#include "../lab.h"
#include <getopt.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#define MAX_CONSUMERS 16
#define RUN_LIMIT_S 30          /* no wait in this lab is longer */
#define IN_FLIGHT 256           /* 2 x 256 x 16 bytes < msg_qbytes 16384 */
#define SEND_LIMIT_S 1          /* no msgsnd here blocks that long unless stuck */
#define T_WORK 1
#define T_RESULT 2
#define T_CONSUMER(k) (10L + (k))

struct msg {
    long mtype;
    int from, item;             /* item -1 on type 1: the sentinel */
    long long value;
};
#define MSG_SIZE (sizeof(struct msg) - sizeof(long))  /* msgsz excludes mtype */

static int msqid = -1;
static struct lab_sysv_record record;   /* for `make clean-ipc` after a kill -9 */
static bool owner = true;       /* false in children: the parent removes it */
static pid_t pids[MAX_CONSUMERS];
static int npids;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--demo priority|addressed|full] [-c CONSUMERS] [-n ITEMS] [-w WORK_MS] [--in-flight N]\n"
            "A System V message queue: type 1 work, type 2 results, 10+k for consumer k.\n"
            "      --demo priority   send types 3 1 5 2 1 4, receive with msgtyp -5\n"
            "      --demo addressed  one message per consumer, each takes only its own type\n"
            "      --demo full       lower msg_qbytes to 3 messages; the 4th gets EAGAIN\n"
            "  -c, --consumers N     consumer processes (1..16, default 2)\n"
            "  -n, --items N         work items (0..100000, default 20)\n"
            "  -w, --work-ms MS      each consumer sleeps MS per item (0..1000, default 0)\n"
            "      --in-flight N     most items sent but not answered (1..100000, default 256);\n"
            "                        too many fill the queue: deadlock, exit 3\n"
            "  -h, --help            this help\n",
            lab_progname);
    exit(status);
}

/* Async-signal-safe: the SIGINT/SIGTERM handler runs it too. */
static void cleanup(void)
{
    for (int i = 0; i < npids; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    if (owner && msqid != -1 && msgctl(msqid, IPC_RMID, NULL) == 0)
        msqid = -1;
    if (owner)
        lab_sysv_forget(&record);   /* the queue is gone, or beyond our reach */
}

static void on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_alarm(int sig) { (void)sig; }   /* only to interrupt msgrcv */

/* msgsnd bounded by alarm() too: a queue that stays full for SEND_LIMIT_S
 * seconds means everyone is blocked sending (the trap above). */
static void send(long type, int from, int item, long long value)
{
    struct msg m = { type, from, item, value };
    alarm(SEND_LIMIT_S);
    int rc = msgsnd(msqid, &m, MSG_SIZE, 0);
    int saved = errno;
    alarm(0);
    if (rc == -1 && saved == EINTR) {
        fprintf(stderr, "%s: deadlock: msgsnd type %ld (%s) blocked for %d s: the queue is "
                "full and every process is waiting to send\n", lab_progname, type,
                type == T_RESULT ? "a consumer's result" : "the parent's work", SEND_LIMIT_S);
        if (owner)
            exit(3);            /* atexit: kill the consumers, IPC_RMID */
        _exit(3);
    }
    errno = saved;
    if (rc == -1)
        errExit("msgsnd type %ld", type);
}

/* msgrcv bounded by alarm(): SIGALRM's handler has no SA_RESTART, so a
 * blocked msgrcv returns EINTR when the time is up. */
static struct msg receive(long msgtyp)
{
    struct msg m;
    alarm(RUN_LIMIT_S);
    ssize_t n = msgrcv(msqid, &m, MSG_SIZE, msgtyp, 0);
    alarm(0);
    if (n == -1 && errno == EINTR)
        fatal("msgrcv type %ld: nothing came in %d s", msgtyp, RUN_LIMIT_S);
    if (n == -1)
        errExit("msgrcv type %ld", msgtyp);
    return m;
}

/* A consumer: take work from type 1, answer on type 2, stop at a sentinel.
 * --demo addressed: take exactly one message, of my own type. */
static void consumer(int k, long work_ms, bool addressed)
{
    if (addressed) {
        struct msg m = receive(T_CONSUMER(k));
        printf("consumer %d: msgrcv(type %ld) got \"for consumer %lld\"\n", k, m.mtype, m.value);
        _exit(EXIT_SUCCESS);
    }
    for (;;) {
        struct msg m = receive(T_WORK);
        if (m.item == -1)
            break;
        sleep_ms(work_ms);
        send(T_RESULT, k, m.item, (long long)m.item * m.item);
    }
    _exit(EXIT_SUCCESS);
}

/* Fork with SIGINT/SIGTERM blocked, so the handler never misses a child. */
static void spawn(int k, long work_ms, bool addressed)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
        errExit("sigprocmask");
    pid_t pid = lab_fork_guarded();   /* the child dies with us, even of SIGKILL */
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        owner = false;          /* the parent removes the queue, not me */
        npids = 0;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        consumer(k, work_ms, addressed);
    }
    pids[npids++] = pid;
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        errExit("sigprocmask");
}

static void reap_all(void)
{
    for (int i = 0; i < npids; i++) {
        int status;
        char how[64];
        pid_t r = wait_child_for(pids[i], &status, RUN_LIMIT_S * 1000L);
        if (r == -1)
            errExit("waitpid");
        if (r == 0)
            fatal("consumer %ld did not finish in %d s", (long)pids[i], RUN_LIMIT_S);
        pids[i] = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fatal("consumer %ld ended with %s", (long)r, describe_status(status, how, sizeof how));
    }
}

static void demo_priority(void)
{
    static const long types[] = { 3, 1, 5, 2, 1, 4 };
    for (int i = 0; i < 6; i++) {
        send(types[i], 0, i, 0);
        printf("sent item %d with type %ld\n", i, types[i]);
    }
    for (int i = 0; i < 6; i++) {
        struct msg m = receive(-5);
        printf("msgrcv(-5) got item %d with type %ld\n", m.item, m.mtype);
    }
}

static void demo_full(void)
{
    struct msqid_ds ds;
    if (msgctl(msqid, IPC_STAT, &ds) == -1)
        errExit("msgctl IPC_STAT");
    printf("msg_qbytes was %lu; setting it to %zu (3 messages of %zu bytes)\n",
           (unsigned long)ds.msg_qbytes, 3 * MSG_SIZE, MSG_SIZE);
    ds.msg_qbytes = 3 * MSG_SIZE;
    if (msgctl(msqid, IPC_SET, &ds) == -1)
        errExit("msgctl IPC_SET");
    for (int i = 1; i <= 4; i++) {
        struct msg m = { T_WORK, 0, i, 0 };
        if (msgsnd(msqid, &m, MSG_SIZE, IPC_NOWAIT) == 0)
            printf("msgsnd %d: ok\n", i);
        else if (errno == EAGAIN)
            printf("msgsnd %d: EAGAIN: the queue is full (without IPC_NOWAIT it would block)\n", i);
        else
            errExit("msgsnd");
    }
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "demo", required_argument, NULL, 'D' },
        { "consumers", required_argument, NULL, 'c' },
        { "items", required_argument, NULL, 'n' },
        { "work-ms", required_argument, NULL, 'w' },
        { "in-flight", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long consumers = 2, items = 20, work_ms = 0, in_flight = IN_FLIGHT;
    const char *which = NULL;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "c:n:w:h", options, NULL)) != -1) {
        switch (opt) {
        case 'D': which = optarg; break;
        case 'c': consumers = parse_long("--consumers", optarg, 1, MAX_CONSUMERS); break;
        case 'n': items = parse_long("--items", optarg, 0, 100000); break;
        case 'w': work_ms = parse_long("--work-ms", optarg, 0, 1000); break;
        case 'F': in_flight = parse_long("--in-flight", optarg, 1, 100000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (which && strcmp(which, "priority") && strcmp(which, "addressed") && strcmp(which, "full"))
        usageErr("--demo: '%s' is not priority, addressed or full", which);

    struct sigaction sa = { .sa_handler = on_alarm };  /* no SA_RESTART */
    if (sigaction(SIGALRM, &sa, NULL) == -1)
        errExit("sigaction");
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        errExit("signal");
    /* IPC_PRIVATE: a new queue that only processes we fork can find. */
    msqid = msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
    if (msqid == -1)
        errExit("msgget");
    atexit(cleanup);
    if (lab_sysv_record(&record, "msg", msqid) == -1)
        errExit("mkdtemp (the queue's record for make clean-ipc)");
    setbuf(stdout, NULL);
    printf("queue: msqid %d\n", msqid);

    if (which && strcmp(which, "priority") == 0) {
        demo_priority();
    } else if (which && strcmp(which, "full") == 0) {
        demo_full();
    } else if (which) {                     /* addressed */
        for (int k = 0; k < consumers; k++)
            spawn(k, 0, true);
        for (int k = (int)consumers - 1; k >= 0; k--) {
            send(T_CONSUMER(k), -1, 0, k);
            printf("parent: sent type %ld (for consumer %d)\n", T_CONSUMER(k), k);
        }
        reap_all();
    } else {
        long per[MAX_CONSUMERS] = { 0 }, got = 0;
        long long sum = 0, expect = 0;
        printf("%ld items on type 1, %ld consumers, results on type 2\n", items, consumers);
        for (int k = 0; k < consumers; k++)
            spawn(k, work_ms, false);
        /* Work and results share one bounded queue.  Sending all the work
         * first deadlocks once the queue is full of work: we block sending,
         * consumers block sending results nobody takes.  So keep at most
         * in_flight items out: work + results then always fit. */
        for (int sent = 0; got < items;) {
            if (sent < items && sent - got < in_flight) {
                send(T_WORK, -1, sent, 0);
                expect += (long long)sent * sent;
                sent++;
                continue;
            }
            struct msg m = receive(T_RESULT);   /* only type 2: never our work */
            per[m.from]++;
            sum += m.value;
            got++;
        }
        for (int k = 0; k < consumers; k++) /* one sentinel each, after all work */
            send(T_WORK, -1, -1, 0);
        reap_all();
        for (int k = 0; k < consumers; k++)
            printf("consumer %d: %ld items\n", k, per[k]);
        printf("total: %ld results of %ld, sum of squares %lld (expected %lld)\n",
               got, items, sum, expect);
        if (sum != expect)
            return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;                    /* atexit: IPC_RMID */
}

/* queue_posix.c: a POSIX message queue is Python's Queue, built by the kernel.
 *
 * Lesson: mq_open gives a named, bounded queue of whole messages that any
 * number of processes can put to (mq_send) and get from (mq_receive).
 *   bounded     mq_maxmsg messages at most; a put on a full queue blocks,
 *               and mq_timedsend gives up with ETIMEDOUT: Python's Full.
 *   timeouts    a get on an empty queue blocks; mq_timedreceive gives up
 *               with ETIMEDOUT: Python's Empty.
 *   priorities  every message has one; the highest comes out first, equal
 *               ones in FIFO order (Python's Queue has no priorities).
 *   shutdown    producers finish, then the parent puts one sentinel per
 *               consumer: each consumer stops at the first one it gets.
 * The queue is a named object (/proclab-UID-PID-RAND-q, O_CREAT|O_EXCL, 0600):
 * it outlives every process until mq_unlink, so this lab unlinks it on every
 * exit path, SIGINT and SIGTERM included.
 *
 * A run lasts at most 30 s (RUN_LIMIT_S): a child still running then dies of
 * SIGALRM and the parent reports it (exit 1).  Keep ITEMS x WORK_MS / CONSUMERS
 * well under that.
 *
 * Watch for: "Full" after mq_maxmsg puts; priority 9 before 5 before 0; the
 * per-consumer counts changing between runs while the total never does.
 *
 * Try:
 *   ./queue_posix -p 3 -c 2 -n 30        # MPMC, sentinel shutdown
 *   ./queue_posix --demo full -m 3       # the 4th put times out: Full
 *   ./queue_posix --demo empty           # a get times out: Empty
 *   ./queue_posix --demo priority        # highest priority first
 *   ls -l /dev/mqueue                    # while one runs with -w 100
 *
 * Usage: queue_posix [--demo full|empty|priority] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS] [-m MAXMSG] [-w WORK_MS] [-t TIMEOUT_MS]
 * Python: multiprocessing.Queue(maxsize): put(item, block, timeout) -> queue.Full,
 *         get(block, timeout) -> queue.Empty; a None sentinel per consumer
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <mqueue.h>
#include <sys/mman.h>

#define MAX_PROCS 16
#define RUN_LIMIT_S 30          /* every child dies of SIGALRM after this */

struct msg { int producer, seq, value; };   /* producer -1: the sentinel */

static struct tally { long count; long long sum; } *tallies;  /* MAP_SHARED */
static char qname[64];          /* non-empty while the name exists */
static pid_t pids[2 * MAX_PROCS];
static int npids;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--demo full|empty|priority] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS] [-m MAXMSG] [-w WORK_MS] [-t TIMEOUT_MS]\n"
            "A POSIX message queue used as a bounded multi-producer multi-consumer queue.\n"
            "      --demo full      fill the queue, then one more put times out (Full)\n"
            "      --demo empty     a get on the empty queue times out (Empty)\n"
            "      --demo priority  put priorities 1 5 3 5 0 9, get them highest first\n"
            "  -p, --producers N    producer processes (1..16, default 2)\n"
            "  -c, --consumers N    consumer processes (1..16, default 2)\n"
            "  -n, --items N        items per producer (0..100000, default 10)\n"
            "  -m, --maxmsg N       queue capacity, mq_maxmsg (1..10, default 4)\n"
            "  -w, --work-ms MS     each consumer sleeps MS per item (0..1000, default 0)\n"
            "  -t, --timeout-ms MS  put/get timeout (1..60000, default 5000; demos 200)\n"
            "  -h, --help           this help\n"
            "A run lasts at most %d s: a child still running then dies of SIGALRM (exit 1).\n",
            lab_progname, RUN_LIMIT_S);
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
    if (qname[0] != '\0' && mq_unlink(qname) == 0)
        qname[0] = '\0';
}

static void on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);                 /* die of the signal, as the shell expects */
}

/* The mq_timed* calls take an absolute CLOCK_REALTIME deadline. */
static struct timespec deadline_in(long ms)
{
    struct timespec t;
    if (clock_gettime(CLOCK_REALTIME, &t) == -1)
        errExit("clock_gettime");
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* put(block=True, timeout): false on Full (ETIMEDOUT). */
static bool put(mqd_t q, struct msg m, unsigned prio, long timeout_ms)
{
    struct timespec when = deadline_in(timeout_ms);
    while (mq_timedsend(q, (const char *)&m, sizeof m, prio, &when) == -1) {
        if (errno == ETIMEDOUT)
            return false;
        if (errno != EINTR)
            errExit("mq_timedsend");
    }
    return true;
}

/* get(block=True, timeout): false on Empty (ETIMEDOUT). */
static bool get(mqd_t q, struct msg *m, unsigned *prio, long timeout_ms)
{
    struct timespec when = deadline_in(timeout_ms);
    ssize_t n;
    while ((n = mq_timedreceive(q, (char *)m, sizeof *m, prio, &when)) == -1) {
        if (errno == ETIMEDOUT)
            return false;
        if (errno != EINTR)
            errExit("mq_timedreceive");
    }
    if (n != sizeof *m)
        fatal("got a %zd-byte message", n);
    return true;
}

static void producer(mqd_t q, int id, long items, long timeout_ms)
{
    for (int seq = 0; seq < items; seq++) {
        struct msg m = { id, seq, id * 1000000 + seq };
        if (!put(q, m, 1, timeout_ms))
            fatal("producer %d: put timed out (Full) after %ld ms", id, timeout_ms);
    }
    _exit(EXIT_SUCCESS);
}

/* Takes items until its sentinel; its tally goes to shared memory, where
 * the parent adds them all up. */
static void consumer(mqd_t q, int id, long work_ms, long timeout_ms)
{
    struct msg m;
    long count = 0, sum = 0;
    for (;;) {
        if (!get(q, &m, NULL, timeout_ms))
            fatal("consumer %d: get timed out (Empty) after %ld ms", id, timeout_ms);
        if (m.producer == -1)   /* the sentinel: nothing more for me */
            break;
        count++;
        sum += m.value;
        sleep_ms(work_ms);
    }
    tallies[id].count = count;
    tallies[id].sum = sum;
    printf("consumer %d: %ld items, then the sentinel\n", id, count);
    _exit(EXIT_SUCCESS);
}

/* Fork with SIGINT/SIGTERM blocked, so the handler never misses a child. */
static void spawn(void (*body)(mqd_t, int, long, long), mqd_t q, int id, long a, long b)
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
        /* The child owns neither the name nor its siblings: with these
         * cleared, exit() (via errExit/fatal) in a child removes nothing.
         * stdout is unbuffered, so nothing is flushed twice either. */
        qname[0] = '\0';
        npids = 0;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        alarm(RUN_LIMIT_S);     /* bounded, even if the parent vanishes */
        body(q, id, a, b);
    }
    pids[npids++] = pid;
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        errExit("sigprocmask");
}

/* Reap pids[from..to), failing on any child that did not exit 0. */
static void reap(int from, int to)
{
    for (int i = from; i < to; i++) {
        int status;
        char how[64];
        pid_t r = wait_child_for(pids[i], &status, RUN_LIMIT_S * 1000L);
        if (r == -1)
            errExit("waitpid");
        if (r == 0)
            fatal("child %ld did not finish in %d s", (long)pids[i], RUN_LIMIT_S);
        pids[i] = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fatal("child %ld ended with %s", (long)r, describe_status(status, how, sizeof how));
    }
}

static void demo(mqd_t q, const char *which, long maxmsg, long timeout_ms)
{
    struct msg m = { 0, 0, 0 };
    unsigned prio;
    if (strcmp(which, "full") == 0) {
        for (m.seq = 1; m.seq <= maxmsg; m.seq++)
            if (put(q, m, 0, timeout_ms))
                printf("put %d: ok\n", m.seq);
        if (!put(q, m, 0, timeout_ms))
            printf("put %d: Full (mq_timedsend: ETIMEDOUT after %ld ms; mq_maxmsg=%ld)\n",
                   m.seq, timeout_ms, maxmsg);
    } else if (strcmp(which, "empty") == 0) {
        if (!get(q, &m, NULL, timeout_ms))
            printf("get: Empty (mq_timedreceive: ETIMEDOUT after %ld ms)\n", timeout_ms);
    } else {
        static const unsigned prios[] = { 1, 5, 3, 5, 0, 9 };
        for (m.seq = 0; m.seq < 6; m.seq++) {
            put(q, m, prios[m.seq], timeout_ms);
            printf("put seq %d with priority %u\n", m.seq, prios[m.seq]);
        }
        while (get(q, &m, &prio, 1))
            printf("got seq %d with priority %u\n", m.seq, prio);
    }
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "demo", required_argument, NULL, 'D' },
        { "producers", required_argument, NULL, 'p' },
        { "consumers", required_argument, NULL, 'c' },
        { "items", required_argument, NULL, 'n' },
        { "maxmsg", required_argument, NULL, 'm' },
        { "work-ms", required_argument, NULL, 'w' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long producers = 2, consumers = 2, items = 10, maxmsg = 4, work_ms = 0, timeout_ms = -1;
    const char *which = NULL;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "p:c:n:m:w:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'D': which = optarg; break;
        case 'p': producers = parse_long("--producers", optarg, 1, MAX_PROCS); break;
        case 'c': consumers = parse_long("--consumers", optarg, 1, MAX_PROCS); break;
        case 'n': items = parse_long("--items", optarg, 0, 100000); break;
        case 'm': maxmsg = parse_long("--maxmsg", optarg, 1, 10); break;
        case 'w': work_ms = parse_long("--work-ms", optarg, 0, 1000); break;
        case 't': timeout_ms = parse_long("--timeout-ms", optarg, 1, 60000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (which && strcmp(which, "full") && strcmp(which, "empty") && strcmp(which, "priority"))
        usageErr("--demo: '%s' is not full, empty or priority", which);
    if (timeout_ms == -1)
        timeout_ms = which ? 200 : 5000;
    if (which && strcmp(which, "priority") == 0 && maxmsg < 6)
        maxmsg = 6;             /* room for the six messages */

    /* 10 is the default msg_max for unprivileged users
     * (/proc/sys/fs/mqueue/msg_max): a larger mq_maxmsg gets EINVAL. */
    struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = sizeof(struct msg) };
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        errExit("signal");
    mqd_t q;
    do {        /* a random part in the name: nobody can take it first */
        lab_ipc_name(qname, sizeof qname, "q");
        q = mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    } while (q == (mqd_t)-1 && errno == EEXIST);
    if (q == (mqd_t)-1) {
        int saved = errno;
        qname[0] = '\0';        /* not ours: do not unlink someone else's */
        errno = saved;
        errExit("mq_open");
    }
    atexit(cleanup);
    setbuf(stdout, NULL);       /* children print too; nothing buffered at fork */
    printf("queue %s: mq_maxmsg=%ld mq_msgsize=%zu\n", qname, maxmsg, sizeof(struct msg));

    if (which) {
        demo(q, which, maxmsg, timeout_ms);
        return EXIT_SUCCESS;    /* atexit: mq_unlink */
    }

    tallies = mmap(NULL, MAX_PROCS * sizeof *tallies, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (tallies == MAP_FAILED)
        errExit("mmap");
    printf("%ld producers x %ld items, %ld consumers\n", producers, items, consumers);
    for (int i = 0; i < consumers; i++)
        spawn(consumer, q, i, work_ms, timeout_ms);
    for (int i = 0; i < producers; i++)
        spawn(producer, q, i, items, timeout_ms);
    reap((int)consumers, npids);            /* the producers are done... */
    struct msg sentinel = { -1, 0, 0 };
    for (int i = 0; i < consumers; i++)     /* ...so: one sentinel per consumer */
        if (!put(q, sentinel, 0, timeout_ms))
            fatal("putting a sentinel timed out (Full)");
    reap(0, (int)consumers);

    long long expect = 0, sum = 0;
    long count = 0;
    for (long p = 0; p < producers; p++)
        expect += items * (p * 1000000LL) + items * (items - 1) / 2;
    for (long c = 0; c < consumers; c++) {
        count += tallies[c].count;
        sum += tallies[c].sum;
    }
    printf("total: %ld of %ld items, sum %lld (expected %lld)\n",
           count, producers * items, sum, expect);
    if (mq_close(q) == -1 || munmap(tallies, MAX_PROCS * sizeof *tallies) == -1)
        errExit("mq_close/munmap");
    return count == producers * items && sum == expect ? EXIT_SUCCESS : EXIT_FAILURE;
}

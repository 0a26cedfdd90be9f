/* queue_shm.c: a JoinableQueue in shared memory that survives a dying consumer.
 *
 * Lesson: a bounded multi-producer multi-consumer queue is a ring of slots
 * plus a process-shared mutex and two condition variables (not_empty,
 * not_full), all in MAP_SHARED memory.  JoinableQueue adds a counter of
 * unfinished tasks: put() raises it, task_done() lowers it, join() waits
 * for 0 on a third condition variable (all_done).
 *
 * The pitfall (--kill-consumer): consumer 0 takes an item and is killed
 * with SIGKILL while it still holds the item *and* the lock.
 *   - The mutex is robust, so the next locker gets EOWNERDEAD instead of
 *     waiting forever, and makes it consistent (the state is whole: the
 *     victim recorded the item "in hand" in the same critical section).
 *   - The item is neither in the queue nor done: join() would wait forever.
 *     The parent notices the death (waitpid), finds the item in the dead
 *     consumer's in-hand slot, and puts it back: every item is still done
 *     exactly once and join() returns.
 *   - --no-requeue skips that: join() times out with one unfinished task.
 * Every wait is bounded: pthread_cond_timedwait on a CLOCK_MONOTONIC clock.
 *
 * Watch for: EOWNERDEAD reported by whoever locks next; "re-queued"; the
 * done-exactly-once count; join returning.
 *
 * Try:
 *   ./queue_shm -c 3 -n 50
 *   ./queue_shm --kill-consumer -c 3 -n 50
 *   ./queue_shm --kill-consumer --no-requeue -t 1000   # join times out, exit 3
 *
 * Usage: queue_shm [--kill-consumer [--no-requeue]] [-c CONSUMERS] [-n ITEMS] [-s SLOTS] [-w WORK_MS] [-t JOIN_TIMEOUT_MS]
 * Python: multiprocessing.JoinableQueue: put(), get(), task_done(), join()
 * Test hook (not in --help): --slice-ms MS sets how long each timed wait
 * lasts before it looks again (default 50).  A long slice turns a lost
 * wake-up (a put that never signals not_empty) into a visible hang, where
 * 50 ms slices would quietly paper over it.
 *
 * Exit: 0 every item done exactly once, 1 an item lost or done twice (or an
 *       error), 2 bad arguments, 3 join() timed out.
 */
#include "../lab.h"
#include <getopt.h>
#include <pthread.h>
#include <sys/mman.h>

#define MAX_CONSUMERS 16
#define MAX_SLOTS 64
#define RUN_LIMIT_MS 20000L     /* no wait in this lab is longer */
#define SLICE_MS 50             /* the parent looks for dead children this often */
static long slice_ms = SLICE_MS;    /* every timed wait: at most this long */
#define SENTINEL (-1)
#define NOTHING (-1)            /* in_hand: holding no item */

struct shq {
    pthread_mutex_t mu;         /* robust, process-shared: guards everything */
    pthread_cond_t not_empty, not_full, all_done;
    int cap, head, count, slots[MAX_SLOTS];
    long unfinished;            /* JoinableQueue: put() +1, task_done() -1 */
    int in_hand[MAX_CONSUMERS]; /* the item each consumer is working on */
    long done_by[MAX_CONSUMERS];
    int done_count[];           /* per item: how often it was done (want 1) */
};

static struct shq *q;
static pid_t pids[MAX_CONSUMERS];
static int npids;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--kill-consumer [--no-requeue]] [-c CONSUMERS] [-n ITEMS] [-s SLOTS] [-w WORK_MS] [-t JOIN_TIMEOUT_MS]\n"
            "A JoinableQueue in shared memory: mutex + condition variables, task_done, join.\n"
            "      --kill-consumer  consumer 0 is SIGKILLed holding an item and the lock;\n"
            "                       the parent re-queues the item\n"
            "      --no-requeue     ...and does not: join() times out (exit 3)\n"
            "  -c, --consumers N    consumer processes (1..16, default 3; 2+ with --kill-consumer)\n"
            "  -n, --items N        items to put (1..100000, default 50)\n"
            "  -s, --slots N        queue capacity (1..64, default 4)\n"
            "  -w, --work-ms MS     work per item (0..1000, default 2)\n"
            "  -t, --timeout-ms MS  how long join() waits (1..60000, default 10000)\n"
            "  -h, --help           this help\n"
            "Exit 0 all done exactly once, 1 lost or duplicated, 3 join timed out.\n",
            lab_progname);
    exit(status);
}

static void cleanup(void)        /* async-signal-safe */
{
    for (int i = 0; i < npids; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
}

static void on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void init_sync(struct shq *s)
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    int rc;
    if ((rc = pthread_mutexattr_init(&ma)) || (rc = pthread_condattr_init(&ca)) ||
        (rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED)) ||
        (rc = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) ||
        (rc = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED)) ||
        (rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) ||  /* immune to clock jumps */
        (rc = pthread_mutex_init(&s->mu, &ma)) ||
        (rc = pthread_cond_init(&s->not_empty, &ca)) ||
        (rc = pthread_cond_init(&s->not_full, &ca)) ||
        (rc = pthread_cond_init(&s->all_done, &ca)))
        errExitEN(rc, "initialising the process-shared mutex and conditions");
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_destroy(&ca);
}

/* A holder that died left the data whole (every change is made in one
 * critical section), so making the mutex consistent is all the repair. */
static void check_owner(int rc, const char *who)
{
    if (rc == EOWNERDEAD) {
        printf("%s: EOWNERDEAD: the lock's holder died; the queue is whole, "
               "pthread_mutex_consistent()\n", who);
        if ((rc = pthread_mutex_consistent(&q->mu)) != 0)
            errExitEN(rc, "pthread_mutex_consistent");
    } else if (rc != 0 && rc != ETIMEDOUT) {
        errExitEN(rc, "%s: lock/wait", who);
    }
}

static struct timespec in_ms(clockid_t clock, long ms)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static void lock(const char *who)
{
    struct timespec when = in_ms(CLOCK_REALTIME, RUN_LIMIT_MS);  /* timedlock: REALTIME */
    int rc = pthread_mutex_timedlock(&q->mu, &when);
    if (rc == ETIMEDOUT)
        fatal("%s: the lock was not free for %ld ms", who, RUN_LIMIT_MS);
    check_owner(rc, who);
}

static void unlock(void)
{
    int rc = pthread_mutex_unlock(&q->mu);
    if (rc != 0)
        errExitEN(rc, "pthread_mutex_unlock");
}

/* Wait on c for at most ms; true if woken, false on timeout. */
static bool wait_for(pthread_cond_t *c, long ms, const char *who)
{
    struct timespec when = in_ms(CLOCK_MONOTONIC, ms);
    int rc = pthread_cond_timedwait(c, &q->mu, &when);
    check_owner(rc, who);
    return rc != ETIMEDOUT;
}

static void consumer(int k, long work_ms, bool victim)
{
    char who[32];
    snprintf(who, sizeof who, "consumer %d", k);
    for (;;) {
        lock(who);
        long long deadline = now_ns() + RUN_LIMIT_MS * 1000000LL;
        while (q->count == 0)
            if (!wait_for(&q->not_empty, slice_ms, who) && now_ns() > deadline)
                fatal("%s: get() found nothing for %ld ms", who, RUN_LIMIT_MS);
        int item = q->slots[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_cond_signal(&q->not_full);
        if (item == SENTINEL) {
            unlock();
            _exit(EXIT_SUCCESS);
        }
        q->in_hand[k] = item;   /* in the same critical section as the get */
        if (victim) {
            printf("%s: took item %d; killed (SIGKILL) holding it and the lock\n", who, item);
            raise(SIGKILL);
        }
        unlock();

        sleep_ms(work_ms);      /* the work */

        lock(who);              /* task_done() */
        q->done_count[item]++;
        q->done_by[k]++;
        q->in_hand[k] = NOTHING;
        if (--q->unfinished == 0)
            pthread_cond_broadcast(&q->all_done);
        unlock();
    }
}

/* Parent-side list of items taken back from dead consumers. */
static int pending[MAX_CONSUMERS], npending;
static bool requeue = true;
static long requeued, lost;     /* lost: died in a consumer's hands, not re-queued */

/* Reap any consumer that died; take back the item it held. */
static void reap_dead(void)
{
    int status;
    pid_t pid;
    char how[64];
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int k = 0;
        while (k < npids && pids[k] != pid)
            k++;
        if (k == npids)
            continue;
        pids[k] = 0;
        lock("parent");
        int item = q->in_hand[k];
        q->in_hand[k] = NOTHING;
        unlock();
        printf("parent: consumer %d (pid %ld) ended with %s", k, (long)pid,
               describe_status(status, how, sizeof how));
        if (item == NOTHING) {
            printf("\n");
        } else if (requeue) {
            printf(" holding item %d: re-queued\n", item);
            pending[npending++] = item;
            requeued++;
        } else {
            printf(" holding item %d: not re-queued (--no-requeue)\n", item);
            lost++;
        }
    }
    if (pid == -1 && errno != ECHILD)
        errExit("waitpid");
}

/* put(): counted puts raise the unfinished-task counter; a re-queued item
 * is already counted.  Looks for dead consumers while the queue is full. */
static void put(int item, bool counted)
{
    long long deadline = now_ns() + RUN_LIMIT_MS * 1000000LL;
    lock("parent");
    while (q->count == q->cap) {
        if (!wait_for(&q->not_full, slice_ms, "parent")) {
            unlock();
            reap_dead();
            if (now_ns() > deadline)
                fatal("put(): the queue stayed full for %ld ms", RUN_LIMIT_MS);
            lock("parent");
        }
    }
    q->slots[(q->head + q->count) % q->cap] = item;
    q->count++;
    if (counted)
        q->unfinished++;
    pthread_cond_signal(&q->not_empty);
    unlock();
}

static void flush_pending(void)
{
    while (npending > 0)
        put(pending[--npending], false);
}

/* join(): wait until every put item is task_done, re-queueing on the way. */
static bool join(long timeout_ms)
{
    long long deadline = now_ns() + timeout_ms * 1000000LL;
    for (;;) {
        flush_pending();
        lock("parent");
        if (q->unfinished == 0) {
            unlock();
            return true;
        }
        wait_for(&q->all_done, slice_ms, "parent");
        long left = q->unfinished;
        unlock();
        if (left == 0)
            return true;
        if (now_ns() > deadline)
            return false;
        reap_dead();
    }
}

static void spawn(int k, long work_ms, bool victim)
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
        npids = 0;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        consumer(k, work_ms, victim);
    }
    pids[npids++] = pid;
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        errExit("sigprocmask");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "kill-consumer", no_argument, NULL, 'K' },
        { "no-requeue", no_argument, NULL, 'R' },
        { "consumers", required_argument, NULL, 'c' },
        { "items", required_argument, NULL, 'n' },
        { "slots", required_argument, NULL, 's' },
        { "work-ms", required_argument, NULL, 'w' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "slice-ms", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long consumers = 3, items = 50, slots = 4, work_ms = 2, timeout_ms = 10000;
    bool kill_one = false;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "c:n:s:w:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'K': kill_one = true; break;
        case 'R': requeue = false; break;
        case 'c': consumers = parse_long("--consumers", optarg, 1, MAX_CONSUMERS); break;
        case 'n': items = parse_long("--items", optarg, 1, 100000); break;
        case 's': slots = parse_long("--slots", optarg, 1, MAX_SLOTS); break;
        case 'w': work_ms = parse_long("--work-ms", optarg, 0, 1000); break;
        case 't': timeout_ms = parse_long("--timeout-ms", optarg, 1, 60000); break;
        case 'L': slice_ms = parse_long("--slice-ms", optarg, 1, RUN_LIMIT_MS); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (!requeue && !kill_one)
        usageErr("--no-requeue goes with --kill-consumer");
    if (kill_one && consumers < 2)
        usageErr("--kill-consumer needs 2 or more consumers: someone must finish the work");

    size_t size = sizeof *q + (size_t)items * sizeof q->done_count[0];
    q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED)
        errExit("mmap");
    init_sync(q);
    q->cap = (int)slots;
    for (int k = 0; k < MAX_CONSUMERS; k++)
        q->in_hand[k] = NOTHING;
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        errExit("signal");
    atexit(cleanup);
    setbuf(stdout, NULL);
    printf("queue: %ld slots, %ld consumers, %ld items%s\n", slots, consumers, items,
           kill_one ? ", consumer 0 will be killed holding an item" : "");

    for (int k = 0; k < consumers; k++)
        spawn(k, work_ms, kill_one && k == 0);
    for (int i = 0; i < items; i++) {
        flush_pending();
        put(i, true);
    }
    bool joined = join(timeout_ms);
    if (!joined) {
        /* Say why only when we know: a lost item, or the work was just slow. */
        reap_dead();
        printf("join(): timed out after %ld ms with %ld unfinished task(s): ", timeout_ms,
               q->unfinished);
        if (lost > 0)
            printf("%ld item(s) died with their consumer\n", lost);
        else
            printf("no item was lost; the consumers are still at work (more time: -t)\n");
        return 3;               /* atexit: kill and reap the consumers */
    }
    printf("join(): returned, 0 unfinished tasks\n");

    int alive = 0;              /* one sentinel per live consumer */
    for (int k = 0; k < npids; k++)
        alive += pids[k] > 0;
    for (int k = 0; k < alive; k++)
        put(SENTINEL, false);
    for (int k = 0; k < npids; k++) {
        int status;
        if (pids[k] == 0)
            continue;
        pid_t r = wait_child_for(pids[k], &status, RUN_LIMIT_MS);
        if (r == -1)
            errExit("waitpid");
        if (r == 0)
            fatal("consumer %d did not stop at its sentinel", k);
        pids[k] = 0;
    }

    long once = 0, lost = 0, twice = 0;
    for (int i = 0; i < items; i++) {
        once += q->done_count[i] == 1;
        lost += q->done_count[i] == 0;
        twice += q->done_count[i] > 1;
    }
    for (int k = 0; k < consumers; k++)
        printf("consumer %d: %ld done\n", k, q->done_by[k]);
    printf("items: %ld put, %ld done exactly once (%ld re-queued), %ld lost, %ld done twice\n",
           items, once, requeued, lost, twice);
    if (munmap(q, size) == -1)
        errExit("munmap");
    return once == items ? EXIT_SUCCESS : EXIT_FAILURE;
}

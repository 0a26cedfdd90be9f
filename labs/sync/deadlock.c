/* deadlock.c: two processes, two locks, opposite order.
 *
 * Lesson: process A takes L1 then L2; process B takes L2 then L1 (both are
 * process-shared mutexes in shared memory).  If each gets its first lock
 * before the other asks for its second, each waits for a lock the other
 * holds, and neither will ever let go.  To make it happen every run, both
 * meet at a barrier after taking their first lock.  Timed locks detect it:
 * both give up after --timeout-ms and report (exit 3).
 * The remedies (--fix), each exiting 0:
 *   order    both take L1 then L2: a cycle of waiting cannot form
 *   trylock  take the second with trylock; on EBUSY release the first,
 *            sleep a small random time, start over
 *   timeout  wait for the second at most --timeout-ms; then release the
 *            first, sleep a small random time, start over
 *
 * Watch for: "holds L1 ... waits for L2" on both sides without a fix; the
 * retries with trylock and timeout.
 *
 * Try:
 *   ./deadlock                     # deadlock detected after 1 s, exit 3
 *   ./deadlock --fix order
 *   ./deadlock --fix trylock
 *   ./deadlock --fix timeout --timeout-ms 200
 *   ./deadlock --timeout-ms 100 --timeline t.csv; scripts/timeline.sh t.csv t.svg
 *
 * Usage: deadlock [--fix order|trylock|timeout] [--timeout-ms MS] [--timeline FILE]
 * Python: acquire locks in one global order; lock.acquire(blocking=False);
 *         lock.acquire(timeout=...) and release what you hold on failure
 * Exit: 0 both finished, 1 error, 2 bad arguments, 3 deadlock detected.
 */
#include "../lab.h"
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

enum fix { NONE, ORDER, TRYLOCK, TIMEOUT };
static const char *const fix_names[] = { "none", "order", "trylock", "timeout" };

struct shared {
    pthread_mutex_t lock[2];    /* L1, L2 */
    atomic_int at_barrier;      /* processes that reached the meeting point */
    atomic_int gave_up;         /* no fix: processes whose timed wait ended */
    long work;                  /* done while holding both locks */
};

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--fix order|trylock|timeout] [--timeout-ms MS] [--timeline FILE]\n"
            "A takes L1 then L2, B takes L2 then L1: deadlock, unless fixed.\n"
            "  -f, --fix HOW        order, trylock or timeout (default: no fix)\n"
            "  -t, --timeout-ms MS  how long a lock wait may last (10..60000, default 1000)\n"
            "      --timeline FILE  write who held and waited for which lock when, as CSV\n"
            "                       for scripts/timeline.sh (lanes A, B, lock L1, lock L2)\n"
            "  -h, --help           this help\n"
            "Exit 0 both finished, 3 deadlock detected.\n",
            lab_progname);
    exit(status);
}

/* Lock m, waiting at most ms.  Returns 0 or ETIMEDOUT; other errors exit. */
static int lock_within(pthread_mutex_t *m, long ms, const char *who)
{
    struct timespec when;
    if (clock_gettime(CLOCK_REALTIME, &when) == -1)
        err_exit("clock_gettime");
    when.tv_sec += ms / 1000;
    when.tv_nsec += (ms % 1000) * 1000000L;
    if (when.tv_nsec >= 1000000000L) {
        when.tv_sec++;
        when.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_timedlock(m, &when);
    if (rc != 0 && rc != ETIMEDOUT) {
        errno = rc;
        err_exit("%s: pthread_mutex_timedlock", who);
    }
    return rc;
}

static void unlock(pthread_mutex_t *m, const char *who)
{
    int rc = pthread_mutex_unlock(m);
    if (rc != 0) {
        errno = rc;
        err_exit("%s: pthread_mutex_unlock", who);
    }
}

/* Wait (bounded) until `count` reaches 2: both processes are there. */
static void meet(atomic_int *count, const char *who)
{
    atomic_fetch_add(count, 1);
    long long deadline = now_ns() + 10000000000LL;
    while (atomic_load(count) < 2) {
        if (now_ns() > deadline)
            err_exit("%s: the other process never came", who);
        sleep_ms(1);
    }
}

/* The timeline: a lock's lane shows who held it when; a process's lane
 * shows when it waited and backed off. */
static const char *const lock_lanes[] = { "lock L1", "lock L2" };

/* A wait worth drawing: one that lasted (an uncontended lock takes < 1 us). */
static void timeline_wait(const char *who, double from, double to, int lock)
{
    if (to - from >= 50e-6)
        lab_timeline_interval(who, from, to, "waits for L%d", lock + 1);
}

static void worker(struct shared *sh, int me, enum fix fix, long timeout_ms)
{
    const char *who = me == 0 ? "A" : "B";
    double asked, got_first, got_second;
    int first = (fix == ORDER || me == 0) ? 0 : 1, second = 1 - first;
    unsigned seed = (unsigned)getpid() ^ (unsigned)now_ns();
    long long deadline = now_ns() + (4 * timeout_ms + 5000) * 1000000LL;

    if (fix == ORDER)           /* start together: the order alone must save us */
        meet(&sh->at_barrier, who);
    for (int attempt = 1;; attempt++) {
        if (now_ns() > deadline)
            err_exit("%s: still no luck after %d attempts", who, attempt - 1);
        asked = lab_timeline_now();
        if (lock_within(&sh->lock[first], timeout_ms, who) == ETIMEDOUT)
            continue;
        got_first = lab_timeline_now();
        timeline_wait(who, asked, got_first, first);
        printf("%s: holds L%d, wants L%d\n", who, first + 1, second + 1);
        if (attempt == 1 && fix != ORDER)   /* both now hold their first lock */
            meet(&sh->at_barrier, who);

        asked = lab_timeline_now();
        int rc = fix == TRYLOCK ? pthread_mutex_trylock(&sh->lock[second])
                                : lock_within(&sh->lock[second], timeout_ms, who);
        got_second = lab_timeline_now();
        timeline_wait(who, asked, got_second, second);
        if (rc == 0) {
            printf("%s: holds L%d and L%d (attempt %d): working\n",
                   who, first + 1, second + 1, attempt);
            sh->work++;
            sleep_ms(10);
            unlock(&sh->lock[second], who);
            lab_timeline_interval(lock_lanes[second], got_second, lab_timeline_now(),
                                  "held by %s", who);
            unlock(&sh->lock[first], who);
            lab_timeline_interval(lock_lanes[first], got_first, lab_timeline_now(),
                                  "held by %s", who);
            lab_timeline_event(who, "exit 0");
            _exit(EXIT_SUCCESS);
        }
        if (rc != EBUSY && rc != ETIMEDOUT) {
            errno = rc;
            err_exit("%s: pthread_mutex_trylock", who);
        }
        if (fix == NONE) {
            printf("%s: holds L%d and waited %ld ms for L%d: deadlock\n",
                   who, first + 1, timeout_ms, second + 1);
            /* Keep our lock until the other has given up too: released
             * earlier, it would let the other through and hide the deadlock. */
            lab_timeline_event(who, "gives up: deadlock");
            meet(&sh->gave_up, who);
            unlock(&sh->lock[first], who);
            lab_timeline_interval(lock_lanes[first], got_first, lab_timeline_now(),
                                  "held by %s", who);
            lab_timeline_event(who, "exit 3");
            _exit(3);
        }
        long pause_ms = 1 + rand_r(&seed) % 10;
        printf("%s: L%d %s: release L%d, back off %ld ms, retry\n", who, second + 1,
               rc == EBUSY ? "busy (EBUSY)" : "timed out", first + 1, pause_ms);
        unlock(&sh->lock[first], who);
        double backing_off = lab_timeline_now();
        lab_timeline_interval(lock_lanes[first], got_first, backing_off, "held by %s", who);
        sleep_ms(pause_ms);
        lab_timeline_interval(who, backing_off, lab_timeline_now(), "backs off");
    }
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "fix", required_argument, NULL, 'f' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "timeline", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enum fix fix = NONE;
    long timeout_ms = 1000;
    int opt, rc, exits[2];

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "f:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "order") == 0)        fix = ORDER;
            else if (strcmp(optarg, "trylock") == 0) fix = TRYLOCK;
            else if (strcmp(optarg, "timeout") == 0) fix = TIMEOUT;
            else usageErr("--fix: '%s' is not order, trylock or timeout", optarg);
            break;
        case 't': timeout_ms = parse_long("--timeout-ms", optarg, 10, 60000); break;
        case 'T':
            lab_timeline_open(optarg);
            lab_timeline_event("parent", "start");
            break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    setvbuf(stdout, NULL, _IOLBF, 0);   /* one write per line, even on a pipe */
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        errExit("mmap");
    pthread_mutexattr_t attr;
    if ((rc = pthread_mutexattr_init(&attr)) != 0)
        errExitEN(rc, "pthread_mutexattr_init");
    if ((rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0)
        errExitEN(rc, "pthread_mutexattr_setpshared");
    for (int i = 0; i < 2; i++)
        if ((rc = pthread_mutex_init(&sh->lock[i], &attr)) != 0)
            errExitEN(rc, "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);
    for (int i = 0; i < 2; i++)
        lab_timeline_event(lock_lanes[i], "pthread_mutex_init");
    printf("deadlock: A takes L1 then L2, B takes %s; fix=%s, timeout %ld ms\n",
           fix == ORDER ? "L1 then L2" : "L2 then L1", fix_names[fix], timeout_ms);

    pid_t pids[2];
    for (int me = 0; me < 2; me++) {
        lab_timeline_event(me ? "B" : "A", "fork");
        /* If the parent dies, so do we: no orphan left holding a lock. */
        if ((pids[me] = lab_fork_guarded()) == -1) {
            int saved = errno;
            if (me == 1)            /* A already runs: end it before we go */
                kill_and_reap(pids[0]);
            errno = saved;
            errExit("fork");
        }
        if (pids[me] == 0) {
            worker(sh, me, fix, timeout_ms);
        }
    }
    /* The children's own waits are bounded; this bound is the last resort. */
    for (int me = 0; me < 2; me++) {
        int status;
        char how[64];
        pid_t r = wait_child_for(pids[me], &status, 4 * timeout_ms + 15000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0) {
            kill_and_reap(pids[0]);
            kill_and_reap(pids[1]);
            fatal("a process was still running after its time limit; killed both");
        }
        if (!WIFEXITED(status))
            fatal("%s ended with %s", me ? "B" : "A", describe_status(status, how, sizeof how));
        exits[me] = WEXITSTATUS(status);
        lab_timeline_event("parent", "reaped %s: %s", me ? "B" : "A",
                           describe_status(status, how, sizeof how));
    }
    if (exits[0] == 3 && exits[1] == 3) {
        printf("deadlock: A holds L1 and waits for L2; B holds L2 and waits for L1\n");
        return 3;
    }
    if (exits[0] != 0 || exits[1] != 0)
        fatal("A exited %d, B exited %d", exits[0], exits[1]);
    printf("no deadlock: both finished (work=%ld)\n", sh->work);
    for (int i = 0; i < 2; i++)
        if ((rc = pthread_mutex_destroy(&sh->lock[i])) != 0)
            errExitEN(rc, "pthread_mutex_destroy");
    if (munmap(sh, sizeof *sh) == -1)
        errExit("munmap");
    return EXIT_SUCCESS;
}

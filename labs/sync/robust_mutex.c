/* robust_mutex.c: a lock holder dies inside the critical section.
 *
 * Lesson: a child takes a process-shared mutex, starts moving 100 from
 * account a to account b in shared memory, and is killed halfway (SIGKILL:
 * no cleanup of any kind runs).  The mutex is still locked by a dead process.
 *   robust (default)  the next locker (the parent) gets EOWNERDEAD: it owns
 *                     the lock, repairs the half-done transfer, calls
 *                     pthread_mutex_consistent(), and the lock works again.
 *   --plain           a normal mutex: the next locker would wait forever;
 *                     pthread_mutex_timedlock shows it timing out (exit 3).
 *   --no-consistent   the recoverer unlocks without calling consistent: the
 *                     mutex is now ENOTRECOVERABLE for everyone (exit 1).
 *
 * Watch for: the order of the steps, and a + b before and after the repair.
 *
 * Try:
 *   ./robust_mutex                  # EOWNERDEAD, repaired, exit 0
 *   ./robust_mutex --plain          # times out after 1 s, exit 3
 *   ./robust_mutex --no-consistent  # ENOTRECOVERABLE, exit 1
 *
 * Usage: robust_mutex [--plain | --no-consistent] [--timeout-ms MS]
 * Python: multiprocessing.Lock has no such state: a process killed while
 *         holding it leaves it held, and acquire(timeout=...) is the only way out.
 * Exit: 0 recovered, 1 not recoverable (or an error), 2 bad arguments,
 *       3 the lock stayed held by a dead process (--plain).
 */
#include "../lab.h"
#include <getopt.h>
#include <pthread.h>
#include <sys/mman.h>

#define TOTAL 1000

struct shared {
    pthread_mutex_t mutex;
    long a, b;                  /* invariant, under the mutex: a + b == TOTAL */
};

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--plain | --no-consistent] [--timeout-ms MS]\n"
            "A child dies holding a process-shared mutex; the parent locks next.\n"
            "      --plain          a non-robust mutex: the parent's timed lock times out\n"
            "      --no-consistent  unlock after EOWNERDEAD without pthread_mutex_consistent\n"
            "  -t, --timeout-ms MS  how long the parent waits for the lock (1..60000, default 1000)\n"
            "  -h, --help           this help\n"
            "Exit 0 recovered, 1 not recoverable, 3 timed out (the lock is held by the dead).\n",
            lab_progname);
    exit(status);
}

static void init_mutex(pthread_mutex_t *m, bool robust)
{
    pthread_mutexattr_t attr;
    int rc;

    if ((rc = pthread_mutexattr_init(&attr)) != 0)
        errExitEN(rc, "pthread_mutexattr_init");
    if ((rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0)
        errExitEN(rc, "pthread_mutexattr_setpshared");
    if (robust && (rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0)
        errExitEN(rc, "pthread_mutexattr_setrobust");
    if ((rc = pthread_mutex_init(m, &attr)) != 0)
        errExitEN(rc, "pthread_mutex_init");
    if ((rc = pthread_mutexattr_destroy(&attr)) != 0)
        errExitEN(rc, "pthread_mutexattr_destroy");
}

/* The child: lock, do half of the transfer, die.  SIGKILL, not exit: no
 * handler, no atexit, nothing can release the lock on its way out. */
static void holder(struct shared *sh)
{
    int rc = pthread_mutex_lock(&sh->mutex);
    if (rc != 0) {
        errno = rc;
        err_exit("child: pthread_mutex_lock");
    }
    printf("child %ld: locked the mutex; moving 100 from a to b\n", (long)getpid());
    sh->a -= 100;
    printf("child %ld: a=%ld b=%ld, and now I die holding the lock\n",
           (long)getpid(), sh->a, sh->b);
    if (fflush(stdout) == EOF)  /* SIGKILL would throw the buffer away */
        err_exit("fflush");
    raise(SIGKILL);
    _exit(EXIT_FAILURE);        /* not reached */
}

/* pthread_mutex_timedlock takes an absolute CLOCK_REALTIME time. */
static int lock_within(pthread_mutex_t *m, long timeout_ms)
{
    struct timespec when;
    if (clock_gettime(CLOCK_REALTIME, &when) == -1)
        errExit("clock_gettime");
    when.tv_sec += timeout_ms / 1000;
    when.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (when.tv_nsec >= 1000000000L) {
        when.tv_sec++;
        when.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(m, &when);
}

static void unlock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_unlock(m);
    if (rc != 0)
        errExitEN(rc, "pthread_mutex_unlock");
}

/* Destroying a locked mutex is undefined, and glibc reports it (EBUSY) for
 * a plain mutex only, not for a robust one: so prove it free first.  A
 * trylock succeeds only on an unlocked mutex (even its owner gets EBUSY). */
static void destroy_unlocked(pthread_mutex_t *m)
{
    int rc = pthread_mutex_trylock(m);
    if (rc == EBUSY)
        fatal("pthread_mutex_destroy: the mutex is still locked");
    if (rc != 0)
        errExitEN(rc, "pthread_mutex_trylock");
    unlock(m);
    if ((rc = pthread_mutex_destroy(m)) != 0)
        errExitEN(rc, "pthread_mutex_destroy");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "plain", no_argument, NULL, 'P' },
        { "no-consistent", no_argument, NULL, 'N' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool plain = false, consistent = true;
    long timeout_ms = 1000;
    int opt, rc, status;
    char how[64];

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'P': plain = true; break;
        case 'N': consistent = false; break;
        case 't': timeout_ms = parse_long("--timeout-ms", optarg, 1, 60000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (plain && !consistent)
        usageErr("--plain and --no-consistent do not go together");

    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        errExit("mmap");
    init_mutex(&sh->mutex, !plain);
    sh->a = TOTAL;
    sh->b = 0;
    printf("parent: %s process-shared mutex; a=%ld b=%ld\n",
           plain ? "plain (non-robust)" : "robust", sh->a, sh->b);

    if (fflush(stdout) == EOF)
        errExit("fflush");
    pid_t pid = lab_fork_guarded();   /* the child dies with us */
    if (pid == -1)
        errExit("fork");
    if (pid == 0)
        holder(sh);
    pid_t r = wait_child_for(pid, &status, 10000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("the child did not die within 10 s");
    }
    printf("parent: child %ld ended with %s while holding the lock\n", (long)pid,
           describe_status(status, how, sizeof how));

    /* Bounded even when robust: a lab never waits forever. */
    printf("parent: locking (waiting at most %ld ms)\n", timeout_ms);
    rc = lock_within(&sh->mutex, timeout_ms);
    if (rc == ETIMEDOUT) {
        printf("parent: timed out: the lock is held by a dead process and a plain "
               "mutex never says so; without a timeout we would wait forever\n");
        return 3;               /* nothing to destroy: the mutex is still locked */
    }
    if (rc != EOWNERDEAD)
        errExitEN(rc, "pthread_mutex_timedlock (expected EOWNERDEAD)");
    printf("parent: EOWNERDEAD: I own the lock, its last owner died; a=%ld b=%ld "
           "(a + b = %ld, should be %d)\n", sh->a, sh->b, sh->a + sh->b, TOTAL);

    if (!consistent) {
        printf("parent: unlocking without pthread_mutex_consistent()\n");
        unlock(&sh->mutex);
        rc = lock_within(&sh->mutex, timeout_ms);
        if (rc != ENOTRECOVERABLE)
            errExitEN(rc, "pthread_mutex_timedlock (expected ENOTRECOVERABLE)");
        printf("parent: locking again: ENOTRECOVERABLE: the mutex is unusable for "
               "everyone, for good\n");
        return EXIT_FAILURE;
    }

    /* Only the code that knows the data can repair it: the kernel just says
     * the owner died, not what it was doing.  Here: finish the transfer. */
    sh->b = TOTAL - sh->a;
    printf("parent: repaired the half-done transfer: a=%ld b=%ld\n", sh->a, sh->b);
    if ((rc = pthread_mutex_consistent(&sh->mutex)) != 0)
        errExitEN(rc, "pthread_mutex_consistent");
    printf("parent: pthread_mutex_consistent(): the mutex is usable again\n");
    unlock(&sh->mutex);
    if ((rc = lock_within(&sh->mutex, timeout_ms)) != 0)
        errExitEN(rc, "pthread_mutex_timedlock");
    printf("parent: locked again normally (0)\n");
    unlock(&sh->mutex);
    destroy_unlocked(&sh->mutex);
    if (munmap(sh, sizeof *sh) == -1)
        errExit("munmap");
    return EXIT_SUCCESS;
}

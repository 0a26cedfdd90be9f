/* fork_threads.c: fork in a threaded process copies a locked mutex, not its owner.
 *
 * Lesson: fork() copies the whole memory but only the calling thread.  If
 * another thread holds a mutex at that moment, the child gets the mutex in
 * its locked state, and the owner that would unlock it does not exist in
 * the child.  The first lock() in the child waits forever.  This is why
 * forking a threaded program is dangerous (malloc, stdio and loggers all
 * hold locks), why Python 3.12 warns about fork() with threads running, and
 * why "spawn" and "forkserver" exist.
 *
 * The fix for your own locks: pthread_atfork(prepare, parent, child).  The
 * prepare handler takes the lock before fork (waiting for the other thread
 * to let go), so the lock is in a known state; both sides unlock it after.
 *
 * Here the race is made deterministic: the worker thread takes the lock and
 * says so before the main thread forks, and it lets go only when told.
 * Without --atfork it is told after fork, so the child always inherits a
 * locked mutex; with --atfork it is told before, and the prepare handler
 * waits for it.  The child's lock attempt is bounded (timed lock, 1 s).
 *
 * Watch for: "deadlock" and exit 3 without --atfork; "got the mutex" and
 * exit 0 with it.
 *
 * Try:
 *   ./fork_threads; echo "exit $?"
 *   ./fork_threads --atfork; echo "exit $?"
 *
 * Exit: 0 the child got the mutex, 1 an error, 2 bad arguments, 3 the child
 *       found the mutex locked for good (deadlock).
 * Usage: fork_threads [--atfork]
 * Python: os.register_at_fork(before=, after_in_parent=, after_in_child=),
 *         multiprocessing.set_start_method('spawn' or 'forkserver')
 */
#include "../lab.h"
#include <getopt.h>
#include <pthread.h>
#include <semaphore.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--atfork]\n"
            "Fork while another thread holds a mutex; the child then tries to take it.\n"
            "      --atfork  install pthread_atfork handlers that make fork safe\n"
            "  -h, --help    this help\n",
            lab_progname);
    exit(status);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t locked, release;           /* worker -> main, main -> worker */

static void lock_checked(void)
{
    int rc = pthread_mutex_lock(&lock);
    if (rc != 0)
        errExitEN(rc, "pthread_mutex_lock");
}

static void unlock_checked(void)
{
    int rc = pthread_mutex_unlock(&lock);
    if (rc != 0)
        errExitEN(rc, "pthread_mutex_unlock");
}

/* The atfork handlers: prepare runs in the forking thread before fork, the
 * other two after it, in the parent and in the child. */
static void prepare(void) { lock_checked(); }
static void in_parent(void) { unlock_checked(); }
static void in_child(void) { unlock_checked(); }

/* sem_wait bounded to 10 s: no lab waits forever. */
static void sem_wait_10s(sem_t *sem, const char *what)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
        errExit("clock_gettime");
    ts.tv_sec += 10;
    while (sem_timedwait(sem, &ts) == -1)
        if (errno != EINTR)
            errExit("sem_timedwait %s", what);
}

/* The worker: hold the lock (as if in the middle of some work) until told. */
static void *worker(void *arg)
{
    (void)arg;
    lock_checked();
    printf("worker thread: holding the mutex\n");
    if (sem_post(&locked) == -1)
        errExit("sem_post");
    sem_wait_10s(&release, "release");
    sleep_ms(100);                      /* finishing the work */
    printf("worker thread: releasing the mutex\n");   /* said before, so the order is fixed */
    unlock_checked();
    return NULL;
}

/* The child: one thread (the copy of main), and a mutex that may be locked by
 * a thread that was not copied.  Try for 1 s, then call it a deadlock. */
static void child(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        err_exit("clock_gettime");
    ts.tv_sec += 1;
    int rc = pthread_mutex_clocklock(&lock, CLOCK_MONOTONIC, &ts);
    if (rc == ETIMEDOUT) {
        printf("child: mutex still locked after 1.0 s: deadlock "
               "(the thread that held it does not exist here)\n");
        _exit(3);
    }
    if (rc != 0) {
        errno = rc;
        err_exit("pthread_mutex_clocklock");
    }
    printf("child: got the mutex at once\n");
    if ((rc = pthread_mutex_unlock(&lock)) != 0) {
        errno = rc;
        err_exit("pthread_mutex_unlock - child");
    }
    _exit(0);
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "atfork", no_argument, NULL, 'A' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool atfork = false;
    pthread_t tid;
    int opt, rc, status;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'A': atfork = true; break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    setbuf(stdout, NULL);               /* nothing buffered to copy at fork */

    if (atfork && (rc = pthread_atfork(prepare, in_parent, in_child)) != 0)
        errExitEN(rc, "pthread_atfork");
    if (sem_init(&locked, 0, 0) == -1 || sem_init(&release, 0, 0) == -1)
        errExit("sem_init");
    if ((rc = pthread_create(&tid, NULL, worker, NULL)) != 0)
        errExitEN(rc, "pthread_create");
    sem_wait_10s(&locked, "locked");

    /* With --atfork, let the worker finish first: prepare() waits for it. */
    if (atfork && sem_post(&release) == -1)
        errExit("sem_post");
    printf("main thread: fork()%s\n", atfork ? " (prepare handler takes the mutex first)" : "");
    pid_t pid = lab_fork_guarded();   /* the child dies with us */
    if (pid == -1)
        errExit("fork");
    if (pid == 0)
        child();
    if (!atfork && sem_post(&release) == -1)
        errExit("sem_post");

    pid_t r = wait_child_for(pid, &status, 10000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("the child did not end within 10 s");
    }
    if ((rc = pthread_join(tid, NULL)) != 0)
        errExitEN(rc, "pthread_join");
    sem_destroy(&locked);
    sem_destroy(&release);
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3)) {
        char how[64];
        fatal("child ended with %s", describe_status(status, how, sizeof how));
    }
    printf("parent: child exited %d\n", WEXITSTATUS(status));
    return WEXITSTATUS(status);
}

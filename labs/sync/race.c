/* race.c: counter++ in shared memory loses updates unless something locks it.
 *
 * Lesson: P processes each add 1 to one counter in shared memory K times.
 * "counter++" is three steps (load, add, store); when two processes interleave
 * them, one store overwrites the other and an update is lost.  Any lock makes
 * the count exact; they differ in what they cost:
 *   none      no lock: updates are lost (exit 1)
 *   mutex     pthread_mutex with PTHREAD_PROCESS_SHARED in shared memory
 *   robust    the same, robust (see the robust_mutex lab)
 *   sem       unnamed POSIX semaphore in shared memory (sem_init pshared=1)
 *   sysv_sem  System V semaphore (IPC_PRIVATE, SEM_UNDO): a system call per op
 *   flock     flock() on a temp file: a system call per lock and unlock
 *   fcntl     fcntl(F_SETLKW) record lock on the same kind of file
 *   spin      test-and-test-and-set spinlock on C11 atomics, yielding the CPU
 *   atomic    no lock: one atomic_fetch_add per increment
 *
 * Watch for: "lost=" with --lock none (it changes from run to run), and the
 * elapsed time of each lock kind for the same work.
 *
 * Try:
 *   ./race --lock none                   # expected=2000000 got=... lost=...
 *   ./race --lock mutex                  # exact, and how long it took
 *   ./race --lock sysv_sem --iters 100000
 *
 * Usage: race [--lock KIND] [--procs P] [--iters K]
 * Python: multiprocessing.Lock (acquire/release in try/finally), Value('i').get_lock()
 * Exit: 0 exact count, 1 updates lost (or an error), 2 bad arguments.
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sem.h>

#define MAX_PROCS 64
#define RUN_LIMIT_MS 120000     /* no run may take longer than this */
#define SPINS_BEFORE_YIELD 32

enum kind { NONE, MUTEX, ROBUST, SEM, SYSV_SEM, FLOCK, FCNTL, SPIN, ATOMIC };
static const char *const kind_names[] = {
    "none", "mutex", "robust", "sem", "sysv_sem", "flock", "fcntl", "spin", "atomic",
};

struct shared {
    atomic_int arrived;         /* children waiting at the start line */
    atomic_int go;              /* set by the parent: all start at once */
    long counter;               /* the counter (every kind but atomic) */
    atomic_long atomic_counter; /* the counter for --lock atomic */
    pthread_mutex_t mutex;      /* mutex, robust */
    sem_t sem;                  /* sem */
    atomic_int spin;            /* spin: 0 free, 1 taken */
    long long end_ns[MAX_PROCS];
};

/* What the parent must remove on every path, the signal handler included. */
static enum kind kind = NONE;
static pid_t pids[MAX_PROCS];
static int nprocs;
static int semid = -1;
static struct lab_sysv_record record;   /* semid's, for `make clean-ipc` after a kill -9 */
static char tmpdir[64], lockpath[96];

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--lock KIND] [--procs P] [--iters K]\n"
            "P processes each add 1 to a shared counter K times.\n"
            "  -l, --lock KIND   none (default), mutex, robust, sem, sysv_sem,\n"
            "                    flock, fcntl, spin or atomic\n"
            "  -p, --procs P     processes (2..64, default 2)\n"
            "  -n, --iters K     increments per process (1..1000000000, default 1000000)\n"
            "  -h, --help        this help\n"
            "Exit 0 when the count is exact, 1 when updates were lost.\n",
            lab_progname);
    exit(status);
}

/* Kill and reap children still running, remove the named objects.  Only
 * async-signal-safe calls: the SIGINT/SIGTERM handler runs it too. */
static void cleanup(void)
{
    for (int i = 0; i < nprocs; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    }
    if (semid != -1 && semctl(semid, 0, IPC_RMID) == 0)
        semid = -1;
    lab_sysv_forget(&record);       /* the set is gone, or beyond our reach */
    if (lockpath[0] != '\0' && unlink(lockpath) == 0)
        lockpath[0] = '\0';
    if (tmpdir[0] != '\0' && rmdir(tmpdir) == 0)
        tmpdir[0] = '\0';
}

static void on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);                 /* die of the signal, as the shell expects */
}

static void spin_lock(atomic_int *l)
{
    for (int spins = 0;;) {
        if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
            return;
        /* Test before test-and-set: spin on a plain load, which stays in our
         * cache, instead of hammering the line with exchanges.  With 2 CPUs
         * the holder may be preempted: yield so it can run and release. */
        while (atomic_load_explicit(l, memory_order_relaxed))
            if (++spins % SPINS_BEFORE_YIELD == 0)
                sched_yield();
    }
}

/* Child side.  Blocking lock calls are bounded by the parent, which kills
 * the children when RUN_LIMIT_MS passes. */
static void lock(struct shared *sh, int fd)
{
    struct sembuf p = { 0, -1, SEM_UNDO };
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    int rc;

    switch (kind) {
    case MUTEX: case ROBUST:
        if ((rc = pthread_mutex_lock(&sh->mutex)) != 0) {
            errno = rc;         /* EOWNERDEAD: nobody dies in this lab */
            err_exit("pthread_mutex_lock");
        }
        break;
    case SEM:      if (sem_wait(&sh->sem) == -1) err_exit("sem_wait"); break;
    case SYSV_SEM: if (semop(semid, &p, 1) == -1) err_exit("semop -1"); break;
    case FLOCK:    if (flock(fd, LOCK_EX) == -1) err_exit("flock LOCK_EX"); break;
    case FCNTL:    if (fcntl(fd, F_SETLKW, &fl) == -1) err_exit("fcntl F_SETLKW"); break;
    case SPIN:     spin_lock(&sh->spin); break;
    case NONE: case ATOMIC: break;
    }
}

static void unlock(struct shared *sh, int fd)
{
    struct sembuf v = { 0, +1, SEM_UNDO };
    struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
    int rc;

    switch (kind) {
    case MUTEX: case ROBUST:
        if ((rc = pthread_mutex_unlock(&sh->mutex)) != 0) {
            errno = rc;
            err_exit("pthread_mutex_unlock");
        }
        break;
    case SEM:      if (sem_post(&sh->sem) == -1) err_exit("sem_post"); break;
    case SYSV_SEM: if (semop(semid, &v, 1) == -1) err_exit("semop +1"); break;
    case FLOCK:    if (flock(fd, LOCK_UN) == -1) err_exit("flock LOCK_UN"); break;
    case FCNTL:    if (fcntl(fd, F_SETLK, &fl) == -1) err_exit("fcntl F_UNLCK"); break;
    case SPIN:     atomic_store_explicit(&sh->spin, 0, memory_order_release); break;
    case NONE: case ATOMIC: break;
    }
}

static void increment(struct shared *sh)
{
    if (kind == ATOMIC) {
        atomic_fetch_add_explicit(&sh->atomic_counter, 1, memory_order_relaxed);
        return;
    }
    /* A separate load and store through a volatile pointer, so that the race
     * is the one in the source.  Without volatile, -O2 keeps the counter in a
     * register for the whole loop and stores it once at the end (one
     * process's K overwrites the other's): a different, rarer lesson. */
    volatile long *c = &sh->counter;
    long value = *c;
    *c = value + 1;
}

static void child(struct shared *sh, int index, long iters)
{
    int fd = -1;

    /* flock locks belong to the open file description: a descriptor
     * inherited from the parent would be shared, and lock nothing.  Each
     * child opens the file itself. */
    if ((kind == FLOCK || kind == FCNTL) && (fd = open(lockpath, O_RDWR)) == -1)
        err_exit("open %s", lockpath);

    atomic_fetch_add(&sh->arrived, 1);
    long long deadline = now_ns() + 10000000000LL;
    while (!atomic_load(&sh->go)) {
        if (now_ns() > deadline)
            err_exit("the start signal never came");
        sched_yield();
    }
    for (long i = 0; i < iters; i++) {
        lock(sh, fd);
        increment(sh);
        unlock(sh, fd);
    }
    sh->end_ns[index] = now_ns();
    _exit(EXIT_SUCCESS);
}

static void setup_lock(struct shared *sh)
{
    pthread_mutexattr_t attr;
    int rc, fd;

    switch (kind) {
    case MUTEX: case ROBUST:
        if ((rc = pthread_mutexattr_init(&attr)) != 0)
            errExitEN(rc, "pthread_mutexattr_init");
        if ((rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0)
            errExitEN(rc, "pthread_mutexattr_setpshared");
        if (kind == ROBUST &&
            (rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0)
            errExitEN(rc, "pthread_mutexattr_setrobust");
        if ((rc = pthread_mutex_init(&sh->mutex, &attr)) != 0)
            errExitEN(rc, "pthread_mutex_init");
        pthread_mutexattr_destroy(&attr);
        break;
    case SEM:
        if (sem_init(&sh->sem, 1, 1) == -1)     /* 1 = shared between processes */
            errExit("sem_init");
        break;
    case SYSV_SEM:
        if ((semid = semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600)) == -1)
            errExit("semget");
        if (lab_sysv_record(&record, "sem", semid) == -1)
            errExit("mkdtemp (the semaphore's record for make clean-ipc)");
        if (semctl(semid, 0, SETVAL, 1) == -1)
            errExit("semctl SETVAL");
        break;
    case FLOCK: case FCNTL:
        snprintf(tmpdir, sizeof tmpdir, "/tmp/proclab-%ld-%ld-XXXXXX",
                 (long)getuid(), (long)getpid());
        if (mkdtemp(tmpdir) == NULL) {
            tmpdir[0] = '\0';
            errExit("mkdtemp");
        }
        snprintf(lockpath, sizeof lockpath, "%s/lock", tmpdir);
        if ((fd = open(lockpath, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
            errExit("open %s", lockpath);
        if (close(fd) == -1)
            errExit("close");
        break;
    case SPIN: case NONE: case ATOMIC:
        break;
    }
}

/* Fork with SIGINT/SIGTERM blocked: the handler never sees a child that is
 * not yet in pids[], and the child resets them before it can receive one. */
static void start_children(struct shared *sh, long iters)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    for (int i = 0; i < nprocs; i++) {
        if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
            errExit("sigprocmask");
        pid_t pid = lab_fork_guarded();   /* dies with the parent */
        if (pid == -1)
            errExit("fork");
        if (pid == 0) {
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            sigprocmask(SIG_SETMASK, &old, NULL);
            child(sh, i, iters);
        }
        pids[i] = pid;
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            errExit("sigprocmask");
    }
}

static void reap_children(void)
{
    long long deadline = now_ns() + RUN_LIMIT_MS * 1000000LL;
    for (int done = 0; done < nprocs; done++) {
        int status;
        long left_ms = (deadline - now_ns()) / 1000000;
        pid_t pid = wait_child_for(-1, &status, left_ms > 0 ? left_ms : 0);
        if (pid == -1)
            errExit("waitpid");
        if (pid == 0)
            fatal("children still running after %d s", RUN_LIMIT_MS / 1000);
        for (int i = 0; i < nprocs; i++)
            if (pids[i] == pid)
                pids[i] = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char how[64];
            fatal("child %ld ended with %s", (long)pid,
                  describe_status(status, how, sizeof how));
        }
    }
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "lock", required_argument, NULL, 'l' },
        { "procs", required_argument, NULL, 'p' },
        { "iters", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long procs = 2, iters = 1000000;
    int opt;
    bool known;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "l:p:n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'l':
            known = false;
            for (size_t k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
                if (strcmp(optarg, kind_names[k]) == 0)
                    kind = (enum kind)k, known = true;
            if (!known)
                usageErr("--lock: unknown kind '%s'", optarg);
            break;
        case 'p': procs = parse_long("--procs", optarg, 2, MAX_PROCS); break;
        case 'n': iters = parse_long("--iters", optarg, 1, 1000000000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        errExit("mmap");
    if (atexit(cleanup) != 0)       /* errExit paths remove objects too */
        fatal("atexit");
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        errExit("signal");
    setup_lock(sh);

    printf("race: %ld processes x %ld increments, lock=%s\n",
           procs, iters, kind_names[kind]);
    if (fflush(stdout) == EOF)
        errExit("fflush");
    nprocs = (int)procs;
    start_children(sh, iters);

    /* Hold everyone at the start line, then release them together: a child
     * that finished before the next one was forked would race with nobody. */
    long long deadline = now_ns() + 10000000000LL;
    while (atomic_load(&sh->arrived) < nprocs) {
        if (now_ns() > deadline)
            fatal("children did not reach the start line within 10 s");
        sleep_ms(1);
    }
    long long start = now_ns();
    atomic_store(&sh->go, 1);
    reap_children();

    long long last = start;
    for (int i = 0; i < nprocs; i++)
        if (sh->end_ns[i] > last)
            last = sh->end_ns[i];
    long expected = procs * iters;
    long got = kind == ATOMIC ? atomic_load(&sh->atomic_counter) : sh->counter;
    printf("expected=%ld got=%ld lost=%ld\n", expected, got, expected - got);
    printf("elapsed=%.1f ms (%.1f ns per increment)\n", (last - start) / 1e6,
           (double)(last - start) / (double)expected);

    if (kind == MUTEX || kind == ROBUST) {
        int rc = pthread_mutex_destroy(&sh->mutex);
        if (rc != 0)
            errExitEN(rc, "pthread_mutex_destroy");
    }
    if (kind == SEM && sem_destroy(&sh->sem) == -1)
        errExit("sem_destroy");
    if (semid != -1 && semctl(semid, 0, IPC_RMID) == -1)
        errExit("semctl IPC_RMID");         /* atexit: cleanup forgets the record */
    semid = -1;
    lab_sysv_forget(&record);
    if (lockpath[0] != '\0' && (unlink(lockpath) == -1 || rmdir(tmpdir) == -1))
        errExit("remove %s", lockpath);
    lockpath[0] = tmpdir[0] = '\0';
    if (munmap(sh, sizeof *sh) == -1)
        errExit("munmap");
    return got == expected ? EXIT_SUCCESS : EXIT_FAILURE;
}

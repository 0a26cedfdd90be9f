/* barrier.c: a process-shared pthread barrier keeps workers in step.
 *
 * Lesson: W workers run K phases.  A barrier makes every worker wait at the
 * end of each phase until all W have arrived, so nobody starts phase k+1
 * while someone is still in phase k.  The barrier lives in MAP_SHARED memory
 * and is made with pthread_barrierattr_setpshared(PTHREAD_PROCESS_SHARED).
 * Every worker stamps the start and end of each phase with a shared counter
 * (a logical clock); after the barrier it checks that every other worker has
 * ended this phase and that nobody started the next one before the last of
 * them ended.  Worker i works i ms per phase, so worker W arrives last.
 *
 * The pitfall (--no-barrier): without it the fast workers run ahead; the
 * checks see them and the lab exits 1.
 *
 * pthread_barrier_wait has no timeout: a worker that dies leaves the others
 * waiting forever.  So the parent waits for the workers with a deadline
 * (wait_child_for) and kills and reaps them when it passes.
 *
 * Watch for: who arrives last in each phase; PTHREAD_BARRIER_SERIAL_THREAD
 * goes to exactly one waiter per phase (POSIX does not say which one).
 *
 * Try:
 *   ./barrier
 *   ./barrier --no-barrier
 *   ./barrier -w 8 -k 5
 *
 * Usage: barrier [--no-barrier] [-w WORKERS] [-k PHASES]
 * Python: multiprocessing.Barrier(n).wait(timeout)
 */
#include "../lab.h"
#include <getopt.h>
#include <pthread.h>
#include <sys/mman.h>

#define MAX_WORKERS 16
#define MAX_PHASES 1000
#define SHOWN 4                 /* violations printed in full */

struct shared {
    pthread_barrier_t barrier;
    long clock;                 /* the logical clock: 1, 2, 3, ... */
    long start[MAX_WORKERS][MAX_PHASES], end[MAX_WORKERS][MAX_PHASES];  /* 0: not yet */
    int serial[MAX_PHASES];     /* who got PTHREAD_BARRIER_SERIAL_THREAD */
    long violations;
    struct { int worker, other, phase; bool early; } shown[SHOWN];
};

static struct shared *sh;
static int workers = 4, phases = 3;
static pid_t pids[MAX_WORKERS]; /* 0 once reaped */
static bool use_barrier = true;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--no-barrier] [-w WORKERS] [-k PHASES]\n"
            "WORKERS processes run PHASES phases; worker i works i ms per phase.\n"
            "      --no-barrier  no barrier between phases: fast workers run ahead\n"
            "  -w, --workers N   worker processes (2..%d, default 4)\n"
            "  -k, --phases N    phases (1..%d, default 3)\n"
            "  -h, --help        this help\n"
            "Exit 0 when no worker ran ahead, 1 otherwise.\n",
            lab_progname, MAX_WORKERS, MAX_PHASES);
    exit(status);
}

static long stamp(void) { return __atomic_add_fetch(&sh->clock, 1, __ATOMIC_SEQ_CST); }
static long seen(long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

static void violation(int w, int other, int phase, bool early)
{
    long n = __atomic_fetch_add(&sh->violations, 1, __ATOMIC_SEQ_CST);
    if (n < SHOWN)
        sh->shown[n].worker = w, sh->shown[n].other = other,
        sh->shown[n].phase = phase, sh->shown[n].early = early;
}

/* Past phase k: has everyone ended k, and did nobody start k+1 too soon? */
static void check_after(int w, int k)
{
    long last_end = 0;
    for (int v = 0; v < workers; v++) {
        long e = seen(&sh->end[v][k]);
        if (e == 0)
            violation(w, v, k, false);
        if (e > last_end)
            last_end = e;
    }
    for (int v = 0; k + 1 < phases && v < workers; v++) {
        long s = seen(&sh->start[v][k + 1]);
        if (s != 0 && s < last_end)
            violation(w, v, k, true);
    }
}

static void barrier_wait(int w, int k)
{
    int rc = pthread_barrier_wait(&sh->barrier);    /* no timeout exists */
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
        if (k >= 0) sh->serial[k] = w;
    } else if (rc != 0) {
        errno = rc;
        err_exit("pthread_barrier_wait");
    }
}

/* Kill and reap every worker still running. */
static void kill_workers(void)
{
    for (int w = 0; w < workers; w++)
        if (pids[w] > 0) {
            kill_and_reap(pids[w]);
            pids[w] = 0;
        }
}

/* Reap the workers.  One that stops (SIGSTOP, Ctrl-Z) holds every other one
 * at the barrier: say which one, by its pid, as soon as it happens, and name
 * it again if the deadline passes; a worker that dies is named the same way. */
static void wait_workers(void)
{
    /* The work takes about PHASES * WORKERS ms; allow 10 s more, then kill. */
    long long deadline = now_ns() + (phases * (long long)workers + 10000) * 1000000LL;
    bool stopped[MAX_WORKERS] = { false };
    char how[64];
    for (int left = workers; left > 0; sleep_ms(1)) {
        for (int w = 0; w < workers; w++) {
            int status;
            pid_t pid = pids[w];
            pid_t r = pid > 0 ? waitpid(pid, &status, WNOHANG | WUNTRACED | WCONTINUED) : 0;
            if (r == -1 && errno != EINTR) errExit("waitpid");
            if (r <= 0)
                continue;
            if (WIFSTOPPED(status) || WIFCONTINUED(status)) {
                stopped[w] = WIFSTOPPED(status);
                if (stopped[w])
                    printf("parent: worker %d (pid %ld) was stopped by SIG%s: the others wait "
                           "at the barrier for it (kill -CONT %ld lets it go on)\n", w + 1,
                           (long)pid, sigabbrev_np(WSTOPSIG(status)), (long)pid);
                else
                    printf("parent: worker %d (pid %ld) continues\n", w + 1, (long)pid);
                fflush(stdout);
                continue;
            }
            pids[w] = 0;
            left--;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                kill_workers();
                fatal("worker %d (pid %ld) ended with %s; killed the rest", w + 1, (long)pid,
                      describe_status(status, how, sizeof how));
            }
        }
        if (left > 0 && now_ns() > deadline) {
            for (int w = 0; w < workers; w++)
                if (stopped[w]) {
                    pid_t pid = pids[w];
                    kill_workers();
                    fatal("worker %d (pid %ld) is stopped and the others wait for it at the "
                          "barrier: killed them all", w + 1, (long)pid);
                }
            kill_workers();
            fatal("%d worker(s) did not finish in time: killed them", left);
        }
    }
}

static void worker(int w)
{
    barrier_wait(w, -1);        /* a starting line, in both modes */
    for (int k = 0; k < phases; k++) {
        __atomic_store_n(&sh->start[w][k], stamp(), __ATOMIC_SEQ_CST);
        sleep_ms(w + 1);        /* the work: uneven on purpose */
        __atomic_store_n(&sh->end[w][k], stamp(), __ATOMIC_SEQ_CST);
        if (use_barrier)
            barrier_wait(w, k);
        check_after(w, k);
    }
    _exit(0);
}

static void report(void)
{
    for (int k = 0; k < phases && k < 10; k++) {
        int last = 0;
        for (int v = 1; v < workers; v++)
            if (sh->end[v][k] > sh->end[last][k]) last = v;
        printf("phase %d: last to arrive worker %d", k + 1, last + 1);
        if (use_barrier)
            printf(", PTHREAD_BARRIER_SERIAL_THREAD went to worker %d", sh->serial[k] + 1);
        printf("\n");
    }
    if (phases > 10)
        printf("(phases 11..%d not shown)\n", phases);
    for (long i = 0; i < sh->violations && i < SHOWN; i++) {
        int w = sh->shown[i].worker + 1, o = sh->shown[i].other + 1, k = sh->shown[i].phase + 1;
        if (sh->shown[i].early)
            printf("worker %d saw worker %d start phase %d before phase %d was over\n",
                   w, o, k + 1, k);
        else
            printf("worker %d was past phase %d while worker %d was still in it\n", w, k, o);
    }
    if (sh->violations)
        printf("ran ahead: %ld violations seen\n", sh->violations);
    else
        printf("every worker ended each phase before any worker started the next\n");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "no-barrier", no_argument, NULL, 'N' },
        { "workers", required_argument, NULL, 'w' },
        { "phases", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    pthread_barrierattr_t attr;
    int opt, rc;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "w:k:h", options, NULL)) != -1) {
        switch (opt) {
        case 'N': use_barrier = false; break;
        case 'w': workers = parse_long("--workers", optarg, 2, MAX_WORKERS); break;
        case 'k': phases = parse_long("--phases", optarg, 1, MAX_PHASES); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    setbuf(stdout, NULL);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) errExit("mmap");
    if ((rc = pthread_barrierattr_init(&attr)) != 0 ||
        (rc = pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
        (rc = pthread_barrier_init(&sh->barrier, &attr, workers)) != 0)
        errExitEN(rc, "pthread_barrier_init");
    pthread_barrierattr_destroy(&attr);
    printf("barrier%s: %d workers, %d phases, worker i works i ms per phase\n",
           use_barrier ? "" : " (none)", workers, phases);

    for (int w = 0; w < workers; w++) {
        if ((pids[w] = lab_fork_guarded()) == -1) errExit("fork");   /* dies with us */
        if (pids[w] == 0) {
            worker(w);
        }
    }
    wait_workers();
    report();
    int failed = sh->violations > 0;
    if ((rc = pthread_barrier_destroy(&sh->barrier)) != 0)
        errExitEN(rc, "pthread_barrier_destroy");
    if (munmap(sh, sizeof *sh) == -1) errExit("munmap");
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

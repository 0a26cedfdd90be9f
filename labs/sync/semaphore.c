/* semaphore.c: Semaphore(2): at most S of N processes inside at once.
 *
 * Lesson: a counting semaphore starts at S.  sem_wait takes one (waiting
 * while it is 0), sem_post gives it back, so at most S processes are ever
 * between the two.  N processes each enter once and stay --work-ms; a shared
 * count of the processes inside, and the largest value it reached, check it.
 *   --kind unnamed   sem_init(pshared=1) in MAP_SHARED memory: only related
 *                    processes (that inherit the mapping) can use it
 *   --kind named     sem_open("/proclab-UID-PID-RAND-sem", O_CREAT|O_EXCL, 0600):
 *                    any process that knows the name; it lives in /dev/shm
 *                    until sem_unlink, so this lab unlinks it on every path,
 *                    Ctrl-C included
 *   --no-semaphore   no semaphore at all: the bound breaks (exit 1)
 *   --die-inside     one process is killed (SIGKILL) while inside: nobody
 *                    posts its slot, and the semaphore stays one short
 * Waits are bounded with sem_timedwait.
 *
 * Watch for: "max inside at once" equal to the slots, never above; and
 * above it with --no-semaphore.
 *
 * Try:
 *   ./semaphore                           # 5 processes, 2 slots
 *   ./semaphore --kind named --slots 3 --procs 8
 *   ./semaphore --no-semaphore            # max inside at once = 5
 *   ./semaphore --die-inside              # slots free at the end: 1 of 2
 *   ./semaphore --timeline t.csv; scripts/timeline.sh t.csv t.svg   # who was inside when
 *
 * Usage: semaphore [--kind named|unnamed] [--slots S] [--procs N] [--work-ms MS] [--no-semaphore | --die-inside] [--timeline FILE]
 * Python: multiprocessing.Semaphore(2) (acquire/release, or with sem:)
 * Exit: 0 the bound held, 1 it was broken (or an error), 2 bad arguments.
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define MAX_PROCS 64

struct shared {
    sem_t sem;                  /* --kind unnamed */
    atomic_int inside;          /* processes between wait and post right now */
    atomic_int max_inside;      /* the largest value inside ever had */
};

/* What the parent must undo on every path.  The SIGINT/SIGTERM handler only
 * sets a flag (sem_unlink is not async-signal-safe); the parent's wait loop
 * sees it, cleans up, then dies of the signal. */
static volatile sig_atomic_t stop;
static pid_t pids[MAX_PROCS];
static int nprocs;
static char sem_name[64];       /* set while the named semaphore exists */
static pid_t dies_inside;       /* --die-inside: the child that will */

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--kind named|unnamed] [--slots S] [--procs N] [--work-ms MS] [--no-semaphore | --die-inside] [--timeline FILE]\n"
            "N processes enter a section guarded by a semaphore of S slots.\n"
            "  -k, --kind KIND     unnamed (sem_init, default) or named (sem_open)\n"
            "  -s, --slots S       the semaphore's initial value (1..16, default 2)\n"
            "  -p, --procs N       processes (1..64, default 5)\n"
            "  -w, --work-ms MS    time each spends inside (0..10000, default 100)\n"
            "      --no-semaphore  enter without the semaphore: the bound breaks\n"
            "      --die-inside    the first process is killed while inside: its slot\n"
            "                      is never given back\n"
            "      --timeline FILE write when each process waited and was inside, as\n"
            "                      CSV for scripts/timeline.sh\n"
            "  -h, --help          this help\n"
            "Exit 0 when at most S were inside at once, 1 when more were.\n",
            lab_progname);
    exit(status);
}

static void on_signal(int sig)
{
    stop = sig;
}

static void cleanup(void)
{
    for (int i = 0; i < nprocs; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    }
    if (sem_name[0] != '\0' && sem_unlink(sem_name) == 0)
        sem_name[0] = '\0';
}

static void child(struct shared *sh, sem_t *sem, long work_ms, long limit_ms, bool die,
                  const char *lane)
{
    struct timespec deadline;
    double asked = lab_timeline_now();

    if (sem != NULL) {
        if (clock_gettime(CLOCK_REALTIME, &deadline) == -1)
            err_exit("clock_gettime");
        deadline.tv_sec += limit_ms / 1000 + 1;
        while (sem_timedwait(sem, &deadline) == -1) {
            if (errno == ETIMEDOUT)
                err_exit("sem_timedwait: no free slot within %ld ms", limit_ms);
            if (errno != EINTR)
                err_exit("sem_timedwait");
        }
    }
    /* Inside.  Count ourselves and keep the maximum (compare-and-swap:
     * another process may raise it between our load and our store). */
    int now = atomic_fetch_add(&sh->inside, 1) + 1;
    int max = atomic_load(&sh->max_inside);
    while (now > max && !atomic_compare_exchange_weak(&sh->max_inside, &max, now))
        ;
    printf("pid %ld: in  (inside now %d)\n", (long)getpid(), now);
    double entered = lab_timeline_now();
    if (entered - asked >= 50e-6)
        lab_timeline_interval(lane, asked, entered, "waits");
    if (die) {                  /* killed holding a slot: no sem_post ever */
        printf("pid %ld: killed inside (SIGKILL)\n", (long)getpid());
        lab_timeline_event(lane, "killed inside");
        raise(SIGKILL);
    }
    sleep_ms(work_ms);
    lab_timeline_interval(lane, entered, lab_timeline_now(), "inside");
    now = atomic_fetch_sub(&sh->inside, 1) - 1;
    printf("pid %ld: out (inside now %d)\n", (long)getpid(), now);
    if (sem != NULL && sem_post(sem) == -1)
        err_exit("sem_post");
    _exit(EXIT_SUCCESS);
}

/* Fork with SIGINT/SIGTERM blocked, so no child is missing from pids[]
 * when the flag is seen; children take the default action again. */
static void start_children(struct shared *sh, sem_t *sem, long work_ms, long limit_ms,
                           bool die_inside)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    for (int i = 0; i < nprocs; i++) {
        if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
            errExit("sigprocmask");
        char lane[32];
        snprintf(lane, sizeof lane, "process %d", i + 1);
        lab_timeline_event(lane, "fork");   /* the parent names the lanes in order */
        pid_t pid = lab_fork_guarded();   /* dies with the parent */
        if (pid == -1)
            errExit("fork");
        if (pid == 0) {
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            sigprocmask(SIG_SETMASK, &old, NULL);
            child(sh, sem, work_ms, limit_ms, die_inside && i == 0, lane);
        }
        pids[i] = pid;
        if (die_inside && i == 0)
            dies_inside = pid;
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            errExit("sigprocmask");
    }
}

/* Reap every child within limit_ms, polling so a signal's flag is seen. */
static void reap_children(long limit_ms)
{
    long long deadline = now_ns() + limit_ms * 1000000LL;
    for (int left = nprocs; left > 0;) {
        int status;
        if (stop) {
            int sig = stop;
            cleanup();
            signal(sig, SIG_DFL);
            raise(sig);
        }
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == -1 && errno != EINTR)
            errExit("waitpid");
        if (pid <= 0) {
            if (now_ns() > deadline)
                fatal("children still running after %ld ms", limit_ms);
            sleep_ms(5);
            continue;
        }
        for (int i = 0; i < nprocs; i++)
            if (pids[i] == pid)
                pids[i] = 0;
        left--;
        if (pid == dies_inside && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            continue;           /* --die-inside: the death we asked for */
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
        { "kind", required_argument, NULL, 'k' },
        { "slots", required_argument, NULL, 's' },
        { "procs", required_argument, NULL, 'p' },
        { "work-ms", required_argument, NULL, 'w' },
        { "no-semaphore", no_argument, NULL, 'N' },
        { "die-inside", no_argument, NULL, 'D' },
        { "timeline", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long slots = 2, procs = 5, work_ms = 100;
    bool named = false, use_sem = true, die_inside = false;
    sem_t *sem = NULL;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "k:s:p:w:h", options, NULL)) != -1) {
        switch (opt) {
        case 'k':
            if (strcmp(optarg, "named") == 0)
                named = true;
            else if (strcmp(optarg, "unnamed") != 0)
                usageErr("--kind: '%s' is neither named nor unnamed", optarg);
            break;
        case 's': slots = parse_long("--slots", optarg, 1, 16); break;
        case 'p': procs = parse_long("--procs", optarg, 1, MAX_PROCS); break;
        case 'w': work_ms = parse_long("--work-ms", optarg, 0, 10000); break;
        case 'N': use_sem = false; break;
        case 'D': die_inside = true; break;
        case 'T': lab_timeline_open(optarg); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (die_inside && !use_sem)
        usageErr("--die-inside needs the semaphore (not with --no-semaphore)");
    if (die_inside && slots == 1 && procs > 1)
        usageErr("--die-inside with one slot: the others would wait for it in vain");

    /* Line-buffered: each line leaves in one write, even on a pipe, so the
     * children's lines do not tear or get copied by fork. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        errExit("mmap");
    if (atexit(cleanup) != 0)
        fatal("atexit");
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        errExit("signal");

    if (use_sem && named) {
        char name[64];
        do {    /* a random part in the name: nobody can take it first */
            lab_ipc_name(name, sizeof name, "sem");
            sem = sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)slots);
        } while (sem == SEM_FAILED && errno == EEXIST);
        if (sem == SEM_FAILED)
            errExit("sem_open %s", name);
        strcpy(sem_name, name);
        /* The children inherit this mapping; an unrelated process would call
         * sem_open(name, 0) to reach the same semaphore. */
    } else if (use_sem) {
        if (sem_init(&sh->sem, 1, (unsigned)slots) == -1)  /* 1: between processes */
            errExit("sem_init");
        sem = &sh->sem;
    }
    printf("semaphore: %ld processes, %ld slots, kind=%s, %ld ms inside each\n",
           procs, slots, !use_sem ? "none" : named ? "named" : "unnamed", work_ms);

    /* Worst case every process waits for all the others: bound it by that. */
    long limit_ms = 10000 + (procs / slots + 1) * work_ms;
    nprocs = (int)procs;
    start_children(sh, sem, work_ms, limit_ms, die_inside);
    reap_children(limit_ms + 1000);

    int max = atomic_load(&sh->max_inside);
    printf("max inside at once = %d (slots %ld)\n", max, slots);
    int free_slots;
    if (sem != NULL && sem_getvalue(sem, &free_slots) == -1)
        errExit("sem_getvalue");
    if (sem != NULL)            /* every sem_wait was matched by a sem_post? */
        printf("slots free at the end: %d of %ld%s\n", free_slots, slots,
               free_slots < slots ? ": a process died inside without sem_post" : "");
    if (named) {
        if (sem != NULL && sem_close(sem) == -1)
            errExit("sem_close");
        if (sem_name[0] != '\0' && sem_unlink(sem_name) == -1)
            errExit("sem_unlink %s", sem_name);
        sem_name[0] = '\0';
    } else if (use_sem && sem_destroy(&sh->sem) == -1) {
        errExit("sem_destroy");
    }
    if (munmap(sh, sizeof *sh) == -1)
        errExit("munmap");
    return max <= slots ? EXIT_SUCCESS : EXIT_FAILURE;
}

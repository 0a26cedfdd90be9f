/* threads_vs_processes.c: the same pool on processes and on threads.
 *
 * Lesson: pool_create() forks worker processes, pool_create_threads() starts
 * threads; the queues, the tasks and the API are the same, so the
 * differences printed here are those of processes and threads themselves:
 *   - start-up: fork copies the page tables of the whole parent; a thread
 *     only needs a stack.
 *   - per task: both pools hand tasks over through the same shared-memory
 *     ring, so the cost is close; a process pool pays more when a worker
 *     sleeps and is woken (a process switch instead of a thread switch).
 *   - memory: a forked worker shares the parent's pages copy-on-write.  Its
 *     RSS counts every shared page again, as if it were its own; PSS
 *     (proportional set size) splits a shared page between its sharers, so
 *     the PSS of parent + workers is what they really use together.
 *   - a crash: a segfault in a task kills one worker process, and the pool
 *     replaces it; in a thread it kills the whole process: every thread,
 *     every other task and the caller.  That demo runs in a child process,
 *     so that this lab survives to report it.
 *
 * The pitfall: reading the RSS of workers and adding it up; and choosing
 * threads for isolation they do not give.
 *
 * Watch for: the start-up and per-task lines; RSS vs PSS of the workers
 * with --ballast; "killed by signal 11" for the process pool against
 * "signal:SIGSEGV" for the whole thread-pool process.
 *
 * Try:
 *   ./threads_vs_processes
 *   ./threads_vs_processes --ballast 256 --workers 4
 *   ./threads_vs_processes --no-crash --tasks 1000000
 *
 * Exit: 0 both pools computed the same results and the crash went as
 * described, 1 otherwise or an error, 2 bad arguments.
 * Usage: threads_vs_processes [--workers N] [--tasks N] [--ballast MB] [--no-crash]
 * Python: multiprocessing.Pool vs multiprocessing.pool.ThreadPool,
 *         ProcessPoolExecutor vs ThreadPoolExecutor (and the GIL)
 */
#include "../lab.h"
#include "pool.h"
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--workers N] [--tasks N] [--ballast MB] [--no-crash]\n"
            "Compare a process pool with its thread twin: start-up, per-task cost,\n"
            "memory (RSS and PSS), and what a segfault in a task does.\n"
            "  -w, --workers N   workers in each pool (default: the CPUs we may use)\n"
            "  -n, --tasks N     tasks for the per-task cost (default 20000)\n"
            "  -b, --ballast MB  memory the parent fills before starting the pools,\n"
            "                    shared copy-on-write by forked workers (default 32)\n"
            "      --no-crash    skip the segfault demo\n"
            "  -h, --help        this help\n",
            lab_progname);
    exit(status);
}

/* A task that does nothing: what is left to measure is the pool. */
static int noop(const void *arg, size_t len, void *out, size_t *out_len)
{
    (void)out;
    if (len == sizeof(long))
        memcpy(out, arg, len);   /* hand the argument back: results can be checked */
    *out_len = len;
    return 0;
}

/* A task that segfaults.  No core file; and the default action for SIGSEGV,
 * so that a sanitizer's handler does not turn the crash into an exit. */
static int segfault(const void *arg, size_t len, void *out, size_t *out_len)
{
    (void)arg, (void)len, (void)out, (void)out_len;
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    signal(SIGSEGV, SIG_DFL);
    volatile uintptr_t address = 16;     /* page 0 is never mapped */
    *(volatile int *)address = 1;
    return 0;
}

/* A field of /proc/PID/status or smaps_rollup, in KiB; -1 if unreadable. */
static long proc_kib(pid_t pid, const char *file, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, file);
    FILE *f = fopen(path, "r");
    long kib = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
            kib = strtol(line + strlen(field) + 1, NULL, 10);
    fclose(f);
    return kib;
}

struct measured { double start_ms, task_us; long rss_kib, pss_kib; bool ok; };

static struct measured measure(bool threads, int workers, long tasks, int fn)
{
    struct measured m = { 0 };
    struct pool_options po = { .workers = workers };
    long rss_before = proc_kib(getpid(), "status", "VmRSS");
    long *in = malloc(tasks * sizeof *in), *out = malloc(tasks * sizeof *out);
    if (!in || !out)
        fatal("out of memory");
    for (long i = 0; i < tasks; i++)
        in[i] = i;

    /* start-up: create, and get one result back from every worker */
    long long t0 = now_ns();
    pool_t *pool = threads ? pool_create_threads(&po) : pool_create(&po);
    if (pool == NULL)
        errExit("pool_create%s", threads ? "_threads" : "");
    if (pool_map(pool, fn, in, sizeof *in, (size_t)pool_size(pool), out, sizeof *out, 1) == -1)
        fatal("pool_map: %s", pool_last_error(pool));
    m.start_ms = (double)(now_ns() - t0) / 1e6;

    /* per task: tasks one at a time (chunksize 1), nothing in them */
    t0 = now_ns();
    if (pool_map(pool, fn, in, sizeof *in, (size_t)tasks, out, sizeof *out, 1) == -1)
        fatal("pool_map: %s", pool_last_error(pool));
    m.task_us = (double)(now_ns() - t0) / 1e3 / (double)tasks;
    m.ok = true;
    for (long i = 0; i < tasks; i++)
        m.ok &= out[i] == i;

    /* memory: the workers' own (processes) or what the pool added (threads) */
    if (threads) {
        m.rss_kib = proc_kib(getpid(), "status", "VmRSS") - rss_before;
        m.pss_kib = -1;
    } else {
        for (int i = 0; i < pool_size(pool); i++) {
            m.rss_kib += proc_kib(pool_worker_pid(pool, i), "status", "VmRSS");
            m.pss_kib += proc_kib(pool_worker_pid(pool, i), "smaps_rollup", "Pss");
        }
    }
    if (pool_close(pool) == -1 || pool_join(pool, 10000) == -1)
        fatal("pool_join: %s", pool_last_error(pool));
    pool_destroy(pool);
    free(in), free(out);
    return m;
}

/* The process pool survives a segfault in a task: the task fails, the
 * worker is replaced, the next tasks run. */
static bool crash_process_pool(int fn_crash, int fn_noop)
{
    pool_t *pool = pool_create(&(struct pool_options){ .workers = 2 });
    if (pool == NULL)
        errExit("pool_create");
    long x = 1, y, more[100], back[100];
    for (int i = 0; i < 100; i++)
        more[i] = i;
    bool failed = pool_map(pool, fn_crash, &x, sizeof x, 1, &y, sizeof y, 1) == -1 &&
                  strstr(pool_last_error(pool), "killed by signal 11") != NULL;
    printf("process pool: the task failed: %s\n", pool_last_error(pool));
    bool served = pool_map(pool, fn_noop, more, sizeof *more, 100, back, sizeof *back, 1) == 0;
    struct pool_stats st;
    pool_get_stats(pool, &st);
    printf("  the pool replaced the worker (%llu died, %llu started) and then ran 100 more tasks: %s\n",
           (unsigned long long)st.workers_died, (unsigned long long)st.workers_started,
           served ? "all done" : "FAILED");
    pool_destroy(pool);
    return failed && served && st.workers_died == 1;
}

/* The thread pool cannot survive it: run it in a child and look at how the
 * child ended. */
static bool crash_thread_pool(int fn_crash)
{
    if (fflush(stdout) == EOF)
        errExit("fflush");
    pid_t pid = lab_fork_guarded();
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        pool_t *pool = pool_create_threads(&(struct pool_options){ .workers = 2 });
        if (pool == NULL)
            err_exit("pool_create_threads");
        long x = 1, y;
        pool_map(pool, fn_crash, &x, sizeof x, 1, &y, sizeof y, 1);
        printf("thread pool: survived (this line should never print)\n");
        fflush(stdout);
        _exit(0);
    }
    int status;
    pid_t r = wait_child_for(pid, &status, 10000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("the thread-pool child did not end within 10 s");
    }
    char how[64];
    printf("thread pool (in child %ld): the whole process died: %s\n", (long)pid,
           describe_status(status, how, sizeof how));
    printf("  every thread, every other task and the caller went with it\n");
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

int main(int argc, char *argv[])
{
    static const struct option opts[] = {
        { "workers", required_argument, NULL, 'w' }, { "tasks", required_argument, NULL, 'n' },
        { "ballast", required_argument, NULL, 'b' }, { "no-crash", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    int workers = 0;
    long tasks = 20000, ballast_mb = 32;
    bool crash = true;
    int c;

    lab_init(argv[0]);
    while ((c = getopt_long(argc, argv, "w:n:b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': workers = (int)parse_long("--workers", optarg, 1, 64); break;
        case 'n': tasks = parse_long("--tasks", optarg, 1, 10000000); break;
        case 'b': ballast_mb = parse_long("--ballast", optarg, 0, 4096); break;
        case 'C': crash = false; break;
        case 'h': usage(stdout, 0);
        default: usage(stderr, 2);
        }
    }
    if (optind < argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    /* The parent's memory that forked workers inherit (and share until written). */
    size_t ballast_bytes = (size_t)ballast_mb << 20;
    char *ballast = malloc(ballast_bytes ? ballast_bytes : 1);
    if (ballast == NULL)
        fatal("cannot allocate %ld MiB", ballast_mb);
    memset(ballast, 1, ballast_bytes);

    int fn_noop = pool_register(noop), fn_crash = pool_register(segfault);
    struct measured proc = measure(false, workers, tasks, fn_noop);
    struct measured thr = measure(true, workers, tasks, fn_noop);
    int w = workers ? workers : pool_cpus();
    printf("%d workers, %ld no-op tasks, parent holds %ld MiB (own RSS %ld KiB)\n", w, tasks,
           ballast_mb, proc_kib(getpid(), "status", "VmRSS"));
    printf("%-34s %12s %12s\n", "", "processes", "threads");
    printf("%-34s %12.3f %12.3f\n", "start-up to first results (ms)", proc.start_ms, thr.start_ms);
    printf("%-34s %12.3f %12.3f\n", "per task, chunksize 1 (us)", proc.task_us, thr.task_us);
    printf("%-34s %12ld %12ld\n", "workers' RSS, summed (KiB)", proc.rss_kib, thr.rss_kib);
    printf("%-34s %12ld %12s\n", "workers' PSS, summed (KiB)", proc.pss_kib, "-");
    printf("(threads: what the pool added to this process's RSS; processes: RSS counts\n"
           " every copy-on-write page each worker shares with us, PSS shares it out)\n");
    printf("results: %s\n", proc.ok && thr.ok ? "both pools returned every task's own value"
                                              : "MISMATCH");
    bool ok = proc.ok && thr.ok;
    if (crash) {
        printf("a task segfaults:\n");
        ok &= crash_process_pool(fn_crash, fn_noop);
        ok &= crash_thread_pool(fn_crash);
    }
    free(ballast);
    return ok ? 0 : 1;
}

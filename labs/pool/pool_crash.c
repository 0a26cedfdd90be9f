/* pool_crash.c: a worker dies mid-run; the pool accounts for every task.
 *
 * Lesson: a worker process can die at any moment: killed by a signal (the
 * OOM killer, a stray kill -9, a segfault in the task) or by exiting.  A
 * pool that survives this must (1) notice at once: the parent sleeps in
 * poll() on every worker's pidfd, which becomes readable when the worker
 * dies; (2) know which task the worker was running: the worker writes that
 * task's id in shared memory before it starts it; (3) put the worker's
 * other, unstarted tasks back in line; (4) fail the running task with the
 * cause ("killed by signal 9"), or run it again (--retries); (5) fork a
 * replacement.  A hung task is the same story, started by the parent: over
 * the time limit, its worker is killed and the task reported.
 *
 * The pitfall: losing the task (a result that never comes: the caller waits
 * forever) or running it twice without saying so.  Python's Pool.map hangs
 * forever when a worker is SIGKILLed; concurrent.futures raises
 * BrokenProcessPool and gives up on every pending task.
 *
 * Watch for: the killed worker's pid and its replacement's; the one task
 * failed with "killed by signal 9" (or done after a retry with --retries 1);
 * "N tasks: N accounted for, 0 lost, 0 twice"; the second batch, served by
 * the pool after the crash.  With --hang: "timed out after 300 ms".
 *
 * Try:
 *   ./pool_crash --kill-worker 1
 *   ./pool_crash --kill-worker 0 --retries 1
 *   ./pool_crash --hang
 *   ./pool_crash --kill-worker 1 --queue pipe --tasks 100
 *
 * Exit: 0 every task accounted for exactly once and the pool kept serving,
 * 1 a task lost or duplicated, or an error, 2 bad arguments.
 * Usage: pool_crash [--kill-worker K] [--hang] [--retries N] [--tasks N] [--workers N] [--queue shm|pipe]
 * Python: multiprocessing.Pool (hangs on a killed worker),
 *         concurrent.futures.process.BrokenProcessPool, Pool.apply_async(...).get(timeout)
 */
#include "../lab.h"
#include "pool.h"
#include <getopt.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--kill-worker K] [--hang] [--retries N] [--tasks N] [--workers N] [--queue shm|pipe]\n"
            "Run tasks of 20 ms on a pool, kill a worker or hang a task mid-run, and\n"
            "account for every task.\n"
            "  -k, --kill-worker K  SIGKILL worker K (0 = the first) after a quarter of\n"
            "                       the results\n"
            "      --hang           task 5 hangs; a 300 ms time limit kills its worker\n"
            "  -r, --retries N      run a task again up to N times when its worker dies\n"
            "                       (default 0: report it failed)\n"
            "  -n, --tasks N        tasks (default 40)\n"
            "  -w, --workers N      worker processes (default 2)\n"
            "      --queue shm|pipe the pool's task queue (default shm)\n"
            "  -h, --help           this help\n",
            lab_progname);
    exit(status);
}

enum { TASK_MS = 20, HANG_TASK = 5, TIME_LIMIT_MS = 300 };

/* A task: sleep (a stand-in for work) and return its own index; the hang
 * task sleeps far longer than the time limit. */
static int work(const void *arg, size_t len, void *out, size_t *out_len)
{
    long task[2];                  /* index, milliseconds */
    if (len != sizeof task)
        return pool_fail("argument of %zu bytes", len);
    memcpy(task, arg, sizeof task);
    sleep_ms(task[1]);
    memcpy(out, &task[0], sizeof task[0]);
    *out_len = sizeof task[0];
    return 0;
}

/* Run n tasks through imap_unordered; kill worker `victim` (if >= 0) after
 * n/4 results.  Returns true when every task came back exactly once. */
static bool run_batch(pool_t *pool, int fn, long n, int victim, bool hang, const char *name)
{
    long (*tasks)[2] = malloc(n * sizeof *tasks);
    int *seen = calloc(n, sizeof *seen);
    if (!tasks || !seen)
        fatal("out of memory");
    for (long i = 0; i < n; i++) {
        tasks[i][0] = i;
        tasks[i][1] = hang && i == HANG_TASK ? 60000 : TASK_MS;
    }
    pool_iter_t *it = pool_imap_unordered(pool, fn, tasks, sizeof *tasks, (size_t)n, sizeof(long), 1);
    if (it == NULL)
        fatal("pool_imap_unordered: %s", pool_last_error(pool));
    long done = 0, failed = 0, results = 0;
    struct pool_result r;
    int rc;
    while ((rc = pool_iter_next(it, &r, 30000)) == 1) {
        seen[r.index]++;
        if (r.failed) {
            failed++;
            printf("  task %zu FAILED: %s\n", r.index, r.error);
        } else {
            long back;
            memcpy(&back, r.data, sizeof back);
            done += back == (long)r.index;    /* the result is the task's own */
        }
        if (++results == n / 4 && victim >= 0) {
            pid_t pid = pool_worker_pid(pool, victim);
            printf("  killing worker %d (pid %ld) with SIGKILL after %ld results\n", victim,
                   (long)pid, results);
            if (kill(pid, SIGKILL) == -1)
                errExit("kill %ld", (long)pid);
        }
    }
    if (rc == -1)
        errExit("pool_iter_next");
    pool_iter_free(it);
    long lost = 0, twice = 0;
    for (long i = 0; i < n; i++) {
        lost += seen[i] == 0;
        twice += seen[i] > 1;
    }
    printf("%s: %ld tasks: %ld done, %ld failed = %ld accounted for, %ld lost, %ld twice\n", name,
           n, done, failed, done + failed, lost, twice);
    free(tasks);
    free(seen);
    return lost == 0 && twice == 0 && done + failed == n;
}

int main(int argc, char *argv[])
{
    static const struct option opts[] = {
        { "kill-worker", required_argument, NULL, 'k' }, { "hang", no_argument, NULL, 'H' },
        { "retries", required_argument, NULL, 'r' }, { "tasks", required_argument, NULL, 'n' },
        { "workers", required_argument, NULL, 'w' }, { "queue", required_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct pool_options po = { .workers = 2, .queue = POOL_QUEUE_SHM };
    long tasks = 40, victim = -1;
    bool hang = false;
    int c;

    lab_init(argv[0]);
    while ((c = getopt_long(argc, argv, "k:r:n:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': victim = parse_long("--kill-worker", optarg, 0, 63); break;
        case 'H': hang = true; break;
        case 'r': po.retries = (int)parse_long("--retries", optarg, 0, 5); break;
        case 'n': tasks = parse_long("--tasks", optarg, 8, 10000); break;
        case 'w': po.workers = (int)parse_long("--workers", optarg, 1, 64); break;
        case 'q':
            if (strcmp(optarg, "shm") == 0)
                po.queue = POOL_QUEUE_SHM;
            else if (strcmp(optarg, "pipe") == 0)
                po.queue = POOL_QUEUE_PIPE;
            else
                usageErr("--queue: '%s' is not shm or pipe", optarg);
            break;
        case 'h': usage(stdout, 0);
        default: usage(stderr, 2);
        }
    }
    if (optind < argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (victim >= po.workers)
        usageErr("--kill-worker: %ld, but workers are numbered 0 to %d", victim, po.workers - 1);
    if (hang)
        po.task_timeout_ms = TIME_LIMIT_MS;

    int fn = pool_register(work);
    pool_t *pool = pool_create(&po);
    if (pool == NULL)
        errExit("pool_create");
    printf("pool: %d workers, pids", pool_size(pool));
    for (int i = 0; i < pool_size(pool); i++)
        printf(" %ld", (long)pool_worker_pid(pool, i));
    printf("; retries %d; task time limit %s\n", po.retries, hang ? "300 ms" : "none");
    fflush(stdout);                        /* the pids, even when stdout is a file */

    bool ok = run_batch(pool, fn, tasks, (int)victim, hang, "first batch");
    struct pool_stats st;
    pool_get_stats(pool, &st);
    printf("workers now, pids");
    for (int i = 0; i < pool_size(pool); i++)
        printf(" %ld", (long)pool_worker_pid(pool, i));
    printf("; %llu died, %llu started in all, %llu tasks retried\n",
           (unsigned long long)st.workers_died, (unsigned long long)st.workers_started,
           (unsigned long long)st.tasks_retried);
    /* The pool keeps serving: a second batch, no faults. */
    ok &= run_batch(pool, fn, tasks, -1, false, "second batch");
    if (pool_close(pool) == -1 || pool_join(pool, 10000) == -1)
        fatal("pool_join: %s", pool_last_error(pool));
    pool_destroy(pool);
    printf("%s\n", ok ? "every task accounted for exactly once; the pool kept serving"
                      : "TASKS LOST OR DUPLICATED");
    return ok ? 0 : 1;
}

/* resubmit_failed.c (exercise): with the pool library,
 * a task whose worker died comes back as a failed future; run it again.
 *
 * The program submits TASKS tasks (task K returns K*K) to a pool of two
 * worker processes (labs/pool/pool.h) and takes the futures as they
 * complete.  Task 4 kills its worker the first time it runs (SIGKILL: a
 * stand-in for a segfault or the OOM killer).  The pool notices the death,
 * replaces the worker and fails that task's future with "killed by signal
 * 9" -- like concurrent.futures' BrokenProcessPool, it does not guess
 * whether running it again is safe.  This program knows its tasks can be
 * run twice, so it must submit failed ones again (a bounded number of
 * times), until each task has a result: "task K = R", then "all N tasks
 * done".  (Setting pool_options.retries does the same inside the pool.)
 *
 * Task: at the TODO, give each failed task another attempt.
 * Grade: make grade EX=resubmit_failed SRC=your_copy.c
 * Usage: resubmit_failed [TASKS]
 */
#include "lab.h"
#include "pool/pool.h"
#include <stdatomic.h>
#include <sys/mman.h>

#define MAX_TASKS 100
#define MAX_ATTEMPTS 3
#define CRASHING_TASK 4

static atomic_int *crashed_once;        /* shared with the workers (MAP_SHARED) */

/* The task: K -> K*K; task 4 kills its worker on its first run. */
static int square(const void *arg, size_t len, void *out, size_t *out_len)
{
    long k;
    if (len != sizeof k)
        return pool_fail("argument of %zu bytes", len);
    memcpy(&k, arg, sizeof k);
    if (k == CRASHING_TASK && atomic_exchange(crashed_once, 1) == 0)
        raise(SIGKILL);
    long result = k * k;
    memcpy(out, &result, sizeof result);
    *out_len = sizeof result;
    return 0;
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [TASKS]\nRun TASKS tasks (%d..%d, default 6) on a pool of two "
               "workers; task %d kills its worker once.\n",
               lab_progname, CRASHING_TASK, MAX_TASKS, CRASHING_TASK);
        return 0;
    }
    if (argc > 2)
        usageErr("one argument at most");
    int ntasks = argc > 1 ? (int)parse_long("TASKS", argv[1], CRASHING_TASK, MAX_TASKS) : 6;

    crashed_once = mmap(NULL, sizeof *crashed_once, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (crashed_once == MAP_FAILED)
        errExit("mmap");
    atomic_init(crashed_once, 0);
    int fn = pool_register(square);
    if (fn == -1)
        errExit("pool_register");
    struct pool_options opt = { .workers = 2 };
    fflush(stdout);
    pool_t *pool = pool_create(&opt);
    if (pool == NULL)
        errExit("pool_create");

    long pending[MAX_TASKS], retry[MAX_TASKS];
    int npending = 0, done = 0;
    for (long k = 1; k <= ntasks; k++)
        pending[npending++] = k;

    for (int attempt = 1; attempt <= MAX_ATTEMPTS && npending > 0; attempt++) {
        pool_future_t *fs[MAX_TASKS];
        long task_of[MAX_TASKS];
        for (int i = 0; i < npending; i++) {
            task_of[i] = pending[i];
            if ((fs[i] = pool_submit(pool, fn, &pending[i], sizeof pending[i])) == NULL)
                fatal("pool_submit: %s", pool_last_error(pool));
        }
        int nretry = 0;
        pool_future_t *f;
        while ((f = pool_as_completed(pool, fs, (size_t)npending, 5000)) != NULL) {
            int i = 0;
            while (fs[i] != f)
                i++;
            long result;
            if (future_result(f, &result, sizeof result, NULL) == 0) {
                printf("task %ld = %ld\n", task_of[i], result);
                done++;
                continue;
            }
            printf("attempt %d of task %ld failed: %s\n", attempt, task_of[i],
                   future_error(f) ? future_error(f) : strerror(errno));
            /* TODO: the task did not run to its end: give it another attempt. */
        }
        if (errno != ENOENT)
            fatal("pool_as_completed: %s", strerror(errno));
        for (int i = 0; i < npending; i++)
            future_free(fs[i]);
        memcpy(pending, retry, sizeof retry[0] * (size_t)nretry);
        npending = nretry;
    }

    if (pool_close(pool) == -1 || pool_join(pool, 5000) == -1)
        fatal("pool_join: %s", pool_last_error(pool));
    pool_destroy(pool);
    if (done == ntasks) {
        printf("all %d tasks done\n", ntasks);
        return 0;
    }
    printf("lost: %d of %d tasks never done\n", ntasks - done, ntasks);
    return 1;
}

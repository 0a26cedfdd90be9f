/* futures.c: submit tasks, take results as they complete, catch a task's error.
 *
 * Lesson: pool_submit() hands a task to the pool and returns at once with a
 * future: a handle for a result that does not exist yet.  future_wait()
 * waits for one (with a time limit if you like); pool_as_completed() gives
 * the futures back in the order they finish, not the order they were
 * submitted, so a fast task is handled while a slow one still runs.  A task
 * that fails (here: a negative duration) does not crash anything: its
 * future carries the error message, and the caller decides.
 *
 * The pitfall: waiting on futures in submission order.  Then the first slow
 * task holds back every result behind it; as_completed does not.
 *
 * Watch for: the completion order, which follows the durations; the
 * failing task arriving first (it fails at once) with its message; the
 * wait that gives up after --wait-ms while its task still runs.
 *
 * Try:
 *   ./futures
 *   ./futures --workers 1           # one worker: completion order = submission order
 *   ./futures --queue pipe --wait-ms 600
 *
 * Exit: 0 results came in completion order and the error was reported,
 * 1 otherwise or an error, 2 bad arguments.
 * Usage: futures [--queue shm|pipe] [--workers N] [--wait-ms MS]
 * Python: concurrent.futures.ProcessPoolExecutor().submit(f, x),
 *         as_completed(fs), future.result(timeout=...), future.exception()
 */
#include "../lab.h"
#include "pool.h"
#include <getopt.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--queue shm|pipe] [--workers N] [--wait-ms MS]\n"
            "Submit six tasks that sleep for different times (one fails), wait for one with\n"
            "a time limit, then take the results in completion order.\n"
            "      --queue shm|pipe  the pool's task queue (default shm)\n"
            "  -w, --workers N       worker processes (default 6: one per task)\n"
            "      --wait-ms MS      how long to wait for the slowest task first (default 150)\n"
            "  -h, --help            this help\n",
            lab_progname);
    exit(status);
}

/* The task: sleep `ms` milliseconds and return ms; a negative ms is an
 * error, the C form of raising an exception in the task. */
static int nap(const void *arg, size_t len, void *out, size_t *out_len)
{
    long ms;
    if (len != sizeof ms)
        return pool_fail("argument of %zu bytes", len);
    memcpy(&ms, arg, sizeof ms);
    if (ms < 0)
        return pool_fail("ValueError: duration %ld ms is negative", ms);
    sleep_ms(ms);
    memcpy(out, &ms, sizeof ms);
    *out_len = sizeof ms;
    return 0;
}

int main(int argc, char *argv[])
{
    static const struct option opts[] = {
        { "queue", required_argument, NULL, 'q' }, { "workers", required_argument, NULL, 'w' },
        { "wait-ms", required_argument, NULL, 'W' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enum { TASKS = 6 };
    const long durations[TASKS] = { 500, 100, 400, 300, -1, 200 };
    struct pool_options po = { .queue = POOL_QUEUE_SHM, .workers = TASKS };
    long wait_ms = 150;
    int c;

    lab_init(argv[0]);
    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            if (strcmp(optarg, "shm") == 0)
                po.queue = POOL_QUEUE_SHM;
            else if (strcmp(optarg, "pipe") == 0)
                po.queue = POOL_QUEUE_PIPE;
            else
                usageErr("--queue: '%s' is not shm or pipe", optarg);
            break;
        case 'w': po.workers = (int)parse_long("--workers", optarg, 1, 64); break;
        case 'W': wait_ms = parse_long("--wait-ms", optarg, 0, 10000); break;
        case 'h': usage(stdout, 0);
        default: usage(stderr, 2);
        }
    }
    if (optind < argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    int fn = pool_register(nap);
    pool_t *pool = pool_create(&po);
    if (pool == NULL)
        errExit("pool_create");
    long long t0 = now_ns();
    pool_future_t *fs[TASKS];
    printf("submitted %d tasks to %d workers:", TASKS, pool_size(pool));
    for (int i = 0; i < TASKS; i++) {
        if ((fs[i] = pool_submit(pool, fn, &durations[i], sizeof durations[i])) == NULL)
            fatal("pool_submit: %s", pool_last_error(pool));
        printf(" task %d sleeps %ld ms%s", i, durations[i], i + 1 < TASKS ? "," : "\n");
    }

    /* A wait with a time limit: the slowest task is not done yet. */
    if (future_wait(fs[0], (int)wait_ms) == -1) {
        if (errno != ETIMEDOUT)
            errExit("future_wait");
        printf("future_wait(task 0, %ld ms): timed out (ETIMEDOUT); task 0 still runs\n", wait_ms);
    } else {
        printf("future_wait(task 0, %ld ms): done already\n", wait_ms);
    }

    /* as_completed: each future once, the first finished first. */
    printf("as_completed:\n");
    int order[TASKS], n = 0;
    bool error_seen = false;
    pool_future_t *f;
    while ((f = pool_as_completed(pool, fs, TASKS, 10000)) != NULL) {
        int i = 0;
        while (fs[i] != f)
            i++;
        order[n++] = i;
        double at = (double)(now_ns() - t0) / 1e9;
        long slept;
        if (future_error(f) != NULL) {
            printf("  %.3f s  task %d raised: %s\n", at, i, future_error(f));
            error_seen |= strstr(future_error(f), "negative") != NULL;
        } else if (future_result(f, &slept, sizeof slept, NULL) == 0) {
            printf("  %.3f s  task %d slept %ld ms\n", at, i, slept);
        }
    }
    if (errno != ENOENT)
        errExit("pool_as_completed");

    /* Completion order should follow the durations (the error is instant). */
    bool sorted = true;
    printf("completion order:");
    for (int k = 0; k < n; k++) {
        printf(" %d", order[k]);
        if (k > 0 && durations[order[k]] < durations[order[k - 1]])
            sorted = false;
    }
    printf("  (submission order: 0 1 2 3 4 5)\n");
    printf("%s\n", sorted ? "results arrived in completion order, shortest first"
                          : "results did not arrive shortest first (fewer workers than tasks?)");
    for (int i = 0; i < TASKS; i++)
        future_free(fs[i]);
    if (pool_close(pool) == -1 || pool_join(pool, 10000) == -1)
        fatal("pool_join: %s", pool_last_error(pool));
    pool_destroy(pool);
    if (!error_seen)
        printf("the failing task's error did not reach us\n");
    return n == TASKS && error_seen && (sorted || po.workers < TASKS) ? 0 : 1;
}

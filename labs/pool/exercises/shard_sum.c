/* shard_sum.c (exercise): split work into shards that
 * cover every item exactly once, then reduce the partial results.
 *
 * The parent sums f(i) = i % 1000 for i in [0, ITEMS) with WORKERS
 * processes: worker w sums its own shard [lo, hi) and sends back one
 * fixed-size record (worker, items counted, partial sum) on a pipe shared
 * by all workers (a record smaller than PIPE_BUF is written atomically, so
 * records never interleave).  The parent adds the partial sums and prints
 * "items=N total=S expected=E".  Shards must not overlap and must leave no
 * gap, also when ITEMS is not a multiple of WORKERS (and when it is
 * smaller than WORKERS: some shards are empty).
 *
 * Task: at the TODO, compute worker w's shard so that the shards cover
 * [0, ITEMS) exactly once.
 * Grade: make grade EX=shard_sum SRC=your_copy.c
 * Usage: shard_sum [ITEMS [WORKERS]]
 */
#include "lab.h"
#include <poll.h>

#define MAX_WORKERS 32

struct partial {
    int worker;
    long items;
    long long sum;
};

static long long f(long i) { return i % 1000; }

/* Worker w's share of [0, n) among `workers`: [*lo, *hi). */
static void shard_bounds(long n, int workers, int w, long *lo, long *hi)
{
    /* TODO: every index in exactly one shard, whatever n and workers. */
    long size = n / workers;
    *lo = w * size;
    *hi = *lo + size;
}

static void worker(int w, long n, int workers, int out)
{
    long lo, hi;
    shard_bounds(n, workers, w, &lo, &hi);
    struct partial p = { .worker = w, .items = 0, .sum = 0 };
    for (long i = lo; i < hi; i++) {
        p.sum += f(i);
        p.items++;
    }
    if (writen(out, &p, sizeof p) == -1)
        err_exit("write");
    _exit(0);
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [ITEMS [WORKERS]]\nSum i %% 1000 for i < ITEMS (0..100000000, "
               "default 1000003) with WORKERS processes (1..%d, default 4).\n",
               lab_progname, MAX_WORKERS);
        return 0;
    }
    if (argc > 3)
        usageErr("two arguments at most");
    long n = argc > 1 ? parse_long("ITEMS", argv[1], 0, 100000000) : 1000003;
    int workers = argc > 2 ? (int)parse_long("WORKERS", argv[2], 1, MAX_WORKERS) : 4;

    int results[2];
    if (pipe(results) == -1)
        errExit("pipe");
    pid_t pids[MAX_WORKERS];
    fflush(stdout);
    for (int w = 0; w < workers; w++) {
        if ((pids[w] = lab_fork_guarded()) == -1)
            errExit("fork");
        if (pids[w] == 0) {
            if (close(results[0]) == -1)
                err_exit("close");
            worker(w, n, workers, results[1]);
        }
    }
    if (close(results[1]) == -1)
        errExit("close");

    /* Reduce: one record per worker, in whatever order they finish. */
    long items = 0;
    long long total = 0;
    int got = 0;
    for (; got < workers; got++) {
        struct pollfd p = { .fd = results[0], .events = POLLIN };
        int ready = poll(&p, 1, 5000);
        if (ready == -1)
            errExit("poll");
        if (ready == 0) {
            printf("parent: no result within 5 s\n");
            break;
        }
        struct partial part;
        ssize_t r = readn(results[0], &part, sizeof part);
        if (r == -1)
            errExit("read");
        if (r != (ssize_t)sizeof part)
            break;                      /* EOF: a worker died without a result */
        items += part.items;
        total += part.sum;
    }
    if (close(results[0]) == -1)
        errExit("close");
    for (int w = 0; w < workers; w++) {
        int status;
        pid_t r = wait_child_for(pids[w], &status, 5000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0)
            kill_and_reap(pids[w]);
    }

    long long expected = 0;
    for (long i = 0; i < n; i++)
        expected += f(i);
    printf("results=%d items=%ld total=%lld expected=%lld\n", got, items, total, expected);
    return got == workers && items == n && total == expected ? 0 : 1;
}

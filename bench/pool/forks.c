/* bench/pool/forks.c: two ways without a pool, for comparison --
 *   fork_per_task  a new process for every task, at most W at once (what
 *                  `xargs -P W` does): the cost of starting a process,
 *                  paid per task
 *   static_shards  W processes forked per batch, worker k runs the k-th
 *                  contiguous slice: no queue, no per-task cost, but no
 *                  balancing either (see the skewed benchmarks)
 * A child runs a finite loop and _exits: every wait below ends. */
#include "core/run.h"
#include "pool/kind.h"
#include "pool/work.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct forks {
    int workers;
};

static void *create(int workers, int trace)
{
    (void)trace;
    struct forks *f = malloc(sizeof *f);
    if (f)
        f->workers = workers;
    return f;
}

/* Fork a child that runs tasks [lo, hi) and exits 0; it dies with us. */
static pid_t start_child(const uint64_t *turns, size_t lo, size_t hi, pid_t parent)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
        _exit(1);
    for (size_t i = lo; i < hi; i++)
        pl_work(turns[i]);
    _exit(0);
}

/* Reap pid (-1: any child); -1 with errno = EIO when it did not exit 0. */
static int reap(pid_t pid)
{
    return pl_reap_exit0(pid, EIO);
}

static int run_per_task(void *ctx, const uint64_t *turns, size_t n, size_t chunk)
{
    struct forks *f = ctx;
    pid_t parent = getpid();
    size_t next = 0, running = 0;
    int err = 0;
    (void)chunk;
    while (next < n || running > 0) {
        while (!err && running < (size_t)f->workers && next < n) {
            if (start_child(turns, next, next + 1, parent) == -1) {
                err = errno;
                break;
            }
            running++;
            next++;
        }
        if (running == 0)
            break;
        /* Only our task children exist while a batch runs. */
        if (reap(-1) == -1 && !err)
            err = errno;
        running--;
    }
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

static int run_shards(void *ctx, const uint64_t *turns, size_t n, size_t chunk)
{
    struct forks *f = ctx;
    pid_t parent = getpid();
    pid_t pids[1024];
    int started = 0, err = 0;
    int w = f->workers < 1024 ? f->workers : 1024;
    (void)chunk;
    for (int k = 0; k < w; k++) {
        pid_t pid = start_child(turns, n * (size_t)k / (size_t)w,
                                n * (size_t)(k + 1) / (size_t)w, parent);
        if (pid == -1) {
            err = errno;
            break;
        }
        pids[started++] = pid;
    }
    for (int k = 0; k < started; k++)
        if (reap(pids[k]) == -1 && !err)
            err = errno;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

static size_t one(void *ctx, size_t n, size_t chunk)
{
    (void)ctx, (void)n, (void)chunk;
    return 1;
}

static size_t shard(void *ctx, size_t n, size_t chunk)
{
    struct forks *f = ctx;
    (void)chunk;
    return (n + (size_t)f->workers - 1) / (size_t)f->workers;
}

static const char *no_error(void *ctx)
{
    (void)ctx;
    return "";
}

static void destroy(void *ctx)
{
    free(ctx);
}

const pl_pool_kind pl_pool_fork_per_task = {
    "fork_per_task", "fork() a process per task, at most W at once (like xargs -P W)",
    PL_POOL_SLOW_START, create, run_per_task, one, NULL, no_error, destroy,
};
const pl_pool_kind pl_pool_static_shards = {
    "static_shards", "W processes forked per batch, each runs a fixed contiguous slice",
    0, create, run_shards, shard, NULL, no_error, destroy,
};

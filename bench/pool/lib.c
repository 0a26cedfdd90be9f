/* bench/pool/lib.c: the pool library (labs/pool/pool.c) as three kinds --
 * shm and pipe (its two queues, worker processes) and thread (its twin).
 * The benchmark measures the library exactly as the labs use it: tasks go
 * through pool_map(), arguments and results as bytes. */
#include "pool/kind.h"
#include "pool/work.h"
#include "../../labs/pool/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct lib_pool {
    pool_t *p;
    int fn;
    int workers;
    uint64_t *results;
    size_t cap;
    uint64_t known_turns[4], known_value[4];   /* expected results, cached */
    int known;
};

/* What pl_work(turns) returns, computed once per distinct turns. */
static uint64_t expected(struct lib_pool *lp, uint64_t turns)
{
    for (int i = 0; i < lp->known; i++)
        if (lp->known_turns[i] == turns)
            return lp->known_value[i];
    uint64_t v = pl_work(turns);
    int slot = lp->known < 4 ? lp->known++ : 3;
    lp->known_turns[slot] = turns;
    lp->known_value[slot] = v;
    return v;
}

/* The task: turns of the calibrated loop; the result is the loop's value. */
static int spin_task(const void *arg, size_t len, void *out, size_t *out_len)
{
    uint64_t turns, r;
    if (len != sizeof turns)
        return pool_fail("argument of %zu bytes, want 8", len);
    memcpy(&turns, arg, sizeof turns);
    r = pl_work(turns);
    memcpy(out, &r, sizeof r);
    *out_len = sizeof r;
    return 0;
}

static void *create(int workers, int trace, int threads, enum pool_queue queue)
{
    struct lib_pool *lp = calloc(1, sizeof *lp);
    if (!lp)
        return NULL;
    struct pool_options opt = { .workers = workers, .queue = queue, .trace = trace != 0 };
    lp->workers = workers;
    lp->fn = pool_register(spin_task);
    if (lp->fn >= 0)
        lp->p = threads ? pool_create_threads(&opt) : pool_create(&opt);
    if (!lp->p) {
        int saved = errno;
        free(lp);
        errno = saved;
        return NULL;
    }
    return lp;
}

static void *create_shm(int workers, int trace)
{
    return create(workers, trace, 0, POOL_QUEUE_SHM);
}

static void *create_pipe(int workers, int trace)
{
    return create(workers, trace, 0, POOL_QUEUE_PIPE);
}

static void *create_thread(int workers, int trace)
{
    return create(workers, trace, 1, POOL_QUEUE_SHM);
}

static int run(void *ctx, const uint64_t *turns, size_t n, size_t chunk)
{
    struct lib_pool *lp = ctx;
    if (n > lp->cap) {
        uint64_t *r = realloc(lp->results, n * sizeof *r);
        if (!r)
            return -1;
        lp->results = r;
        lp->cap = n;
    }
    if (pool_map(lp->p, lp->fn, turns, sizeof *turns, n, lp->results, sizeof *lp->results,
                 chunk) == -1)
        return -1;
    /* Every result is the loop's value for its own turns: a task that ran
     * with another's argument, or not at all, shows here. */
    for (size_t i = 0; i < n; i++)
        if (lp->results[i] != expected(lp, turns[i])) {
            errno = EIO;
            return -1;
        }
    return 0;
}

static size_t chunk_used(void *ctx, size_t n, size_t chunk)
{
    struct lib_pool *lp = ctx;
    return chunk ? chunk : pool_auto_chunksize(n, lp->workers);
}

static int trace(void *ctx, const char *path)
{
    struct lib_pool *lp = ctx;
    return pool_trace_write(lp->p, path, 0);
}

static const char *last_error(void *ctx)
{
    struct lib_pool *lp = ctx;
    return lp->p ? pool_last_error(lp->p) : "";
}

static void destroy(void *ctx)
{
    struct lib_pool *lp = ctx;
    if (!lp)
        return;
    if (lp->p) {
        pool_close(lp->p);
        pool_join(lp->p, 5000);
        pool_destroy(lp->p);   /* terminates what join left */
    }
    free(lp->results);
    free(lp);
}

const pl_pool_kind pl_pool_shm = {
    "shm", "pool library, worker processes, shared-memory ring queues (futex wake-ups)",
    PL_POOL_CHUNKED | PL_POOL_TRACE, create_shm, run, chunk_used, trace, last_error, destroy,
};
const pl_pool_kind pl_pool_pipe = {
    "pipe", "pool library, worker processes, a pipe each way per worker",
    PL_POOL_CHUNKED | PL_POOL_TRACE, create_pipe, run, chunk_used, trace, last_error, destroy,
};
const pl_pool_kind pl_pool_thread = {
    "thread", "pool library's twin on threads (same queues, no process boundary)",
    PL_POOL_CHUNKED | PL_POOL_TRACE, create_thread, run, chunk_used, trace, last_error, destroy,
};

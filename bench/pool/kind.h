/* bench/pool/kind.h: one way of running N independent tasks on W workers --
 * the interface every pool kind of bench_pool implements.
 *
 * A task is `turns` turns of the calibrated CPU loop (work.h); task i of a
 * batch gets turns[i].  run() must run every task exactly once and return
 * only when all are done.  Kinds (registry.c, in this order):
 *   shm            the pool library (labs/pool/pool.c), shared-memory rings
 *   pipe           the pool library, a pipe each way per worker
 *   thread         the pool library's thread twin (same queues, threads)
 *   fork_per_task  a new process per task, at most W at once
 *   static_shards  W processes forked per batch, worker k runs the k-th
 *                  contiguous slice of the tasks; no queue at all
 * Rules: -1 with errno on failure, never print, never exit; children die
 * with the benchmark (PR_SET_PDEATHSIG); every wait is bounded. */
#ifndef PROCLAB_BENCH_POOL_KIND_H
#define PROCLAB_BENCH_POOL_KIND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    PL_POOL_CHUNKED = 1u << 0,   /* chunk size changes what it does */
    PL_POOL_TRACE = 1u << 1,     /* can record a timeline (trace()) */
    PL_POOL_SLOW_START = 1u << 2 /* a process per task: keep batches small */
};

typedef struct pl_pool_kind {
    const char *name;
    const char *summary;          /* one line for --list */
    unsigned caps;
    /* W workers ready to run (a warm-up is the caller's); NULL with errno. */
    void *(*create)(int workers, int trace);
    /* chunk 0: Python's automatic rule.  0, or -1 with errno. */
    int (*run)(void *ctx, const uint64_t *turns, size_t n, size_t chunk);
    /* The chunk size run() used for n tasks (1 for kinds without chunks). */
    size_t (*chunk_used)(void *ctx, size_t n, size_t chunk);
    /* PL_POOL_TRACE only: write the CSV timeline (CONVENTIONS 3). */
    int (*trace)(void *ctx, const char *path);
    /* Why the last call failed ("" when nothing to add). */
    const char *(*last_error)(void *ctx);
    void (*destroy)(void *ctx);
} pl_pool_kind;

extern const pl_pool_kind *const pl_pool_kinds[];   /* NULL-terminated */
const pl_pool_kind *pl_pool_kind_find(const char *name);

#ifdef __cplusplus
}
#endif
#endif

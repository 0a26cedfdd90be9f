/* pool.h: a process pool (and its thread twin) in one small C library.
 *
 * What Python's multiprocessing.Pool and concurrent.futures give you, written
 * out so that every step can be read: W worker processes forked once, tasks
 * sent to them as bytes, results sent back as bytes, a dead worker noticed,
 * replaced and its task accounted for.  pool.c is the lesson; the labs in
 * labs/pool/ and bench_pool use it as it is.
 *
 * Design (pool.c follows this order):
 *   - Tasks are framed bytes, never pointers: a task is the id of a function
 *     registered before pool_create() (pool_register) plus its argument
 *     bytes.  A "chunk" is one frame holding up to chunksize tasks of one
 *     job; a result frame carries one task's status, times and bytes.
 *   - Each worker has its own task queue and result queue, so the parent
 *     always knows which tasks sit with which worker.  Two kinds, chosen by
 *     pool_options.queue:
 *       POOL_QUEUE_PIPE  a pipe each way per worker: every chunk and every
 *                        result is a write() and a read() (system calls).
 *       POOL_QUEUE_SHM   a ring of bytes in shared memory each way: a frame
 *                        is copied in and a counter published; no system
 *                        call while both sides are busy.  An idle worker
 *                        spins briefly, then sleeps on a futex; the parent
 *                        wakes it once per batch of frames, only if it sleeps.
 *   - The parent has no helper thread: work moves only while the caller is
 *     inside a pool call (map, next, wait, join).  Waiting, it spins briefly,
 *     then sleeps in poll() on a doorbell (an eventfd a worker rings once per
 *     batch, pipe mode: the result pipes) and on every worker's pidfd, so a
 *     death wakes it as fast as a result does.
 *   - Load balance: the parent keeps each worker's queue only as deep as
 *     about 100 us of work (measured task times), at least two chunks: no
 *     worker waits for the parent, no worker hoards tasks another could run.
 *   - Faults: a worker publishes which task it runs in shared memory.  When
 *     it dies (signal, exit, or killed by the per-task time limit), the
 *     parent drains the results it did send, reaps it, fails or retries the
 *     task it was running ("killed by signal 9"), puts its unstarted tasks
 *     back in line and forks a replacement.  No task is lost; none completes
 *     twice.  A task function that fails (returns nonzero, pool_fail())
 *     fails its task, not the pool.
 *   - Workers die with the pool's process (PR_SET_PDEATHSIG + getppid check;
 *     strictly, with the thread that created the pool: create pools from a
 *     thread that lives as long as they do) and ignore SIGINT (Ctrl-C is
 *     the parent's to handle).  The shared
 *     memory is anonymous (mmap MAP_SHARED before fork): no name in /dev/shm
 *     to leak.
 *   - pool_create_threads(): the same queues and worker loop on threads.
 *     A thread cannot be killed, so no task time limit there, and a crash in
 *     a task kills the whole process (see threads_vs_processes).
 *   - pool.c never exits the process and never prints: every call returns an
 *     error (-1 or NULL with errno) and pool_last_error() says what happened.
 *
 * One pool is used by one thread of the caller at a time.  Workers are forked
 * from the caller: what it had in memory at pool_create is theirs too.
 */
#ifndef PROCLAB_POOL_H
#define PROCLAB_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POOL_MAX_ARG     4096   /* bytes of one task's argument */
#define POOL_MAX_RESULT  4096   /* bytes of one task's result */
#define POOL_MAX_ERROR    200   /* bytes of a task's error message */
#define POOL_MAX_FUNCS     64   /* registered task functions */

/* A task function, run in a worker.  arg/arg_len: the argument bytes (8-byte
 * aligned).  out: room for *out_len bytes (the job's result size; at most
 * POOL_MAX_RESULT); set *out_len to the bytes written.  Return 0 on success;
 * on failure return pool_fail("...") (or any nonzero value): the task fails
 * with that message, the worker carries on. */
typedef int (*pool_fn)(const void *arg, size_t arg_len, void *out, size_t *out_len);

/* Register fn before pool_create (the workers are forked with the table).
 * Returns its id (>= 0; the same id if fn is already registered), or -1 with
 * errno = ENOSPC when POOL_MAX_FUNCS are registered. */
int pool_register(pool_fn fn);

/* In a task function: record a printf-style error message for this task and
 * return -1, so that `return pool_fail("x=%d is negative", x);` fails it. */
int pool_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

enum pool_queue { POOL_QUEUE_SHM = 0, POOL_QUEUE_PIPE = 1 };

struct pool_options {
    int workers;             /* 0: the CPUs this process may run on */
    enum pool_queue queue;   /* POOL_QUEUE_SHM (default) or POOL_QUEUE_PIPE */
    int task_timeout_ms;     /* 0: none; else a task running longer kills its
                                worker and fails "timed out after N ms" */
    int retries;             /* times a task whose worker died is run again
                                before it fails with the cause (default 0) */
    bool trace;              /* record worker, start and end of every task */
};

typedef struct pool pool_t;
typedef struct pool_future pool_future_t;
typedef struct pool_iter pool_iter_t;

/* NULL opt: all defaults.  NULL with errno on failure (EINVAL: bad option;
 * pool_create_threads: task_timeout_ms must be 0). */
pool_t *pool_create(const struct pool_options *opt);
pool_t *pool_create_threads(const struct pool_options *opt);

/* The CPUs this process may run on (sched_getaffinity), at least 1. */
int pool_cpus(void);

/* Python's automatic chunksize for n tasks over `workers` workers:
 * chunksize, extra = divmod(n, 4 * workers); chunksize + 1 if extra. */
size_t pool_auto_chunksize(size_t n, int workers);

/* ---- map: results in input order (Pool.map) -------------------------------
 * Task i gets the arg_size bytes at args + i * arg_size; its result goes to
 * results + i * result_size (zero-filled past what the task wrote).
 * chunksize 0: the automatic rule above.  Returns 0 when every task
 * succeeded; -1 with errno = EIO when a task failed (the other results are
 * still filled in; pool_last_error: "task 7: killed by signal 9"), or with
 * another errno when the pool itself failed. */
int pool_map(pool_t *p, int fn, const void *args, size_t arg_size, size_t n,
             void *results, size_t result_size, size_t chunksize);

/* Several arguments per task (Pool.starmap): C has no tuples, so a task's
 * arguments are one block of bytes, usually a struct; starmap takes one
 * (pointer, length) per task, so tasks may differ in size. */
struct pool_arg { const void *data; size_t len; };
int pool_starmap(pool_t *p, int fn, const struct pool_arg *args, size_t n,
                 void *results, size_t result_size, size_t chunksize);

/* ---- imap_unordered: results as they complete -----------------------------
 * args must stay valid until the iterator is freed.  Python's default
 * chunksize here is 1; 0 means the automatic rule. */
struct pool_result {
    size_t index;            /* the task's position in the input */
    bool failed;             /* true: error says why */
    const void *data;        /* result bytes (valid until the next call) */
    size_t len;
    const char *error;       /* failed: "killed by signal 9", the task's message */
};
pool_iter_t *pool_imap_unordered(pool_t *p, int fn, const void *args, size_t arg_size,
                                 size_t n, size_t result_size, size_t chunksize);
/* 1: *r holds the next completed task; 0: all n delivered; -1: errno
 * (ETIMEDOUT after timeout_ms; timeout_ms < 0 waits without a bound). */
int pool_iter_next(pool_iter_t *it, struct pool_result *r, int timeout_ms);
void pool_iter_free(pool_iter_t *it);   /* unstarted tasks are dropped */

/* ---- futures (ProcessPoolExecutor.submit / as_completed) -----------------
 * The argument is copied; the result may be up to POOL_MAX_RESULT bytes. */
pool_future_t *pool_submit(pool_t *p, int fn, const void *arg, size_t arg_len);
/* 0: done (succeeded or failed); -1 errno = ETIMEDOUT (timeout_ms < 0: no bound). */
int future_wait(pool_future_t *f, int timeout_ms);
bool future_done(const pool_future_t *f);
/* Copy the result (at most size bytes) and set *len.  0: succeeded; -1: errno
 * EIO (the task failed: future_error says why) or EAGAIN (not done yet). */
int future_result(pool_future_t *f, void *out, size_t size, size_t *len);
const char *future_error(const pool_future_t *f);   /* NULL unless failed */
void future_free(pool_future_t *f);   /* may be called before it is done */
/* The next of fs[0..n) to complete that this call has not returned before
 * (completion order), or NULL: errno = ENOENT when all n were returned,
 * ETIMEDOUT when none completed within timeout_ms (< 0: no bound). */
pool_future_t *pool_as_completed(pool_t *p, pool_future_t *const *fs, size_t n,
                                 int timeout_ms);

/* ---- lifecycle (Pool.close / join / terminate) ---------------------------- */
int pool_close(pool_t *p);      /* no new tasks; queued ones still run */
/* After pool_close: run every queued task, stop the workers, reap them.
 * -1: errno = EINVAL (not closed), ETIMEDOUT (timeout_ms < 0: no bound). */
int pool_join(pool_t *p, int timeout_ms);
/* Kill the workers now (SIGKILL) and reap them; unfinished tasks fail with
 * "pool terminated". */
int pool_terminate(pool_t *p);
void pool_destroy(pool_t *p);   /* terminates if needed, frees everything */

/* ---- looking inside ------------------------------------------------------- */
int pool_size(const pool_t *p);
pid_t pool_worker_pid(const pool_t *p, int worker);   /* 0 for a thread pool */
const char *pool_last_error(const pool_t *p);          /* "" when none */

struct pool_stats {
    uint64_t tasks_done, tasks_failed;   /* results delivered */
    uint64_t tasks_retried;              /* runs again after a worker died */
    uint64_t workers_started;            /* including replacements */
    uint64_t workers_died;               /* died while the pool ran */
};
void pool_get_stats(const pool_t *p, struct pool_stats *s);

/* Trace (pool_options.trace): one entry per task run, and one instant entry
 * (start == end, task == POOL_TRACE_DEATH) per worker death.  Times are
 * CLOCK_MONOTONIC nanoseconds. */
#define POOL_TRACE_DEATH SIZE_MAX
struct pool_trace_entry { int worker; size_t task; int64_t start_ns, end_ns; };
size_t pool_trace(const pool_t *p, const struct pool_trace_entry **entries);
/* CSV "lane,start_s,end_s,label" (docs: CONVENTIONS timeline format): lane
 * "worker N", label the task's index, times in seconds since origin_ns
 * (CLOCK_MONOTONIC ns; 0: since pool_create).  0, or -1 with errno. */
int pool_trace_write(const pool_t *p, const char *path, int64_t origin_ns);

#endif /* PROCLAB_POOL_H */

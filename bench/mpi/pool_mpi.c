/* bench/mpi/pool_mpi.c: an MPI task farm as one more pool kind.
 *
 *   pool/mpi/workers:W/grain_us:G/chunk:1   rank 0 hands out tasks of G us
 *        of bench_pool's calibrated work (bench/pool/work.h), one per
 *        message, to W worker ranks (mpirun -np W+1): a worker gets the next
 *        task when its result comes back, as in labs/distributed/mpi_pool.
 *
 * Timed as bench_pool times a pool: a batch of n tasks (about 20 ms of work
 * over W workers, at least 16 per worker, a multiple of W) after a warm-up
 * task per worker; real_time = wall time per task (manual time), with
 * bench_pool's counters (workers, grain_us, mean_grain_us, chunksize,
 * tasks_per_batch, overhead_us_per_task = real_time x W - grain).  W is the
 * job's size less one: scripts/families/pool/extra.sh runs it once per W and
 * adds each JSON to pool.json (scripts/lib/merge_json.py).
 *
 * Run: scripts/mpirun.sh --np W+1 -- build/bin/pool_mpi [--suite=quick|full]
 *      [--out=FILE] [--filter=REGEX]
 * Exit: 0, 1 a failure (a wrong result, a worker that did not answer within
 * 60 s: every rank is ended), 2 bad arguments or not run under mpirun.
 */
#include "mpi/gbjson.h"

#include "core/clock.h"
#include "pool/work.h"

#include <stdint.h>

enum { TAG_TASK = 1, TAG_RESULT = 2, TAG_STOP = 3 };
enum { RESULT_TIMEOUT_MS = 60000 };

/* ---- worker ranks ---------------------------------------------------------- */
static void worker(void)
{
    for (;;) {
        uint64_t turns;
        MPI_Status st;
        pl_mpi_check(MPI_Recv(&turns, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st),
                     "receive task");
        if (st.MPI_TAG == TAG_STOP)
            return;
        uint64_t r = pl_work(turns);
        pl_mpi_check(MPI_Send(&r, 1, MPI_UINT64_T, 0, TAG_RESULT, MPI_COMM_WORLD), "send result");
    }
}

/* ---- rank 0 ---------------------------------------------------------------- */

/* Any worker's result, within RESULT_TIMEOUT_MS (MPI_Recv has no limit). */
static int receive_result(uint64_t *r)
{
    MPI_Request req;
    MPI_Status st;
    pl_mpi_check(MPI_Irecv(r, 1, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &req),
                 "post receive");
    uint64_t deadline = pl_now_ns() + (uint64_t)RESULT_TIMEOUT_MS * 1000000u;
    for (int done = 0;;) {
        pl_mpi_check(MPI_Test(&req, &done, &st), "test receive");
        if (done)
            return st.MPI_SOURCE;
        if (pl_now_ns() > deadline) {
            fprintf(stderr, "pool_mpi: no result within %d s: a worker died or hung\n",
                    RESULT_TIMEOUT_MS / 1000);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
}

/* n tasks of `turns` each on the workers, one per message; false on a wrong
 * result.  The expected result of pl_work(turns) is the same for every task. */
static bool run_batch(int workers, long n, uint64_t turns, uint64_t expect)
{
    long sent = 0, received = 0;
    bool ok = true;
    for (int w = 1; w <= workers && sent < n; w++, sent++)
        pl_mpi_check(MPI_Send(&turns, 1, MPI_UINT64_T, w, TAG_TASK, MPI_COMM_WORLD), "send task");
    while (received < sent) {
        uint64_t r;
        int w = receive_result(&r);
        received++;
        ok &= r == expect;
        if (sent < n) {
            pl_mpi_check(MPI_Send(&turns, 1, MPI_UINT64_T, w, TAG_TASK, MPI_COMM_WORLD),
                         "send task");
            sent++;
        }
    }
    return ok;
}

/* bench_pool's batch size: about 20 ms of work over W workers. */
static long batch_size(int workers, int grain_us)
{
    long n = (long)(20000.0 * workers / (grain_us + 1.0));
    if (n > 20000)
        n = 20000;
    if (n < 16L * workers)
        n = 16L * workers;
    return n - n % workers;
}

int main(int argc, char **argv)
{
    pl_mpi_args a;
    pl_mpi_parse(argc, argv, "An MPI task farm (rank 0 and W = ranks - 1 workers) on bench_pool's\n"
                 "calibrated work, as the pool kind 'mpi' (Google Benchmark JSON).", &a);
    pl_mpi_check(MPI_Init(&argc, &argv), "MPI_Init");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        fprintf(stderr, "%s: needs 2 or more ranks (rank 0 and a worker)\n", a.prog);
        MPI_Finalize();
        return 2;
    }
    if (rank != 0) {
        worker();
        MPI_Finalize();
        return 0;
    }
    int workers = size - 1, failed = 0, reps = a.full ? 5 : 3;
    static const int quick_grains[] = { 0, 1000 }, full_grains[] = { 0, 10, 100, 1000 };
    const int *grains = a.full ? full_grains : quick_grains;
    int ngrains = a.full ? 4 : 2;
    FILE *f = a.out ? fopen(a.out, "w") : stdout;
    if (f == NULL) {
        perror(a.out);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    char extra[128];
    snprintf(extra, sizeof extra, "    \"pool_mpi_turns_per_us\": %.6g,\n", pl_work_turns_per_us());
    pl_json_time = "manual_time";       /* bench_pool's tasks are timed by hand too */
    pl_json_begin(f, argv[0], "pool", a.full, extra);
    bool first = true;
    for (int g = 0; g < ngrains; g++) {
        char name[128];
        snprintf(name, sizeof name, "pool/mpi/workers:%d/grain_us:%d/chunk:1", workers, grains[g]);
        if (!pl_mpi_wanted(&a, name))
            continue;
        uint64_t turns = pl_work_turns(grains[g]), expect = pl_work(turns);
        long n = batch_size(workers, grains[g]);
        bool ok = run_batch(workers, workers, turns, expect);     /* warm-up */
        pl_rep rep[PL_MPI_MAX_REPS];
        for (int i = 0; i < reps; i++) {
            double cpu0 = pl_cpu_now_us();
            uint64_t t0 = pl_now_ns();
            ok &= run_batch(workers, n, turns, expect);
            double per_task_us = (double)(pl_now_ns() - t0) / 1e3 / n;
            pl_rep *r = &rep[i];
            *r = (pl_rep){ .iterations = n, .real_us = per_task_us,
                           .cpu_us = (pl_cpu_now_us() - cpu0) / n };
            pl_counter_set(r, "chunksize", 1);
            pl_counter_set(r, "grain_us", grains[g]);
            pl_counter_set(r, "items_per_second", 1e6 / per_task_us);
            pl_counter_set(r, "mean_grain_us", (double)turns / pl_work_turns_per_us());
            pl_counter_set(r, "overhead_us_per_task",
                           per_task_us * workers - (double)turns / pl_work_turns_per_us());
            pl_counter_set(r, "tasks_per_batch", (double)n);
            pl_counter_set(r, "workers", workers);
        }
        if (!ok) {
            fprintf(stderr, "%s: FAILED: a task returned a wrong result\n", name);
            failed++;
            continue;
        }
        pl_json_benchmark(f, &first, name, 200, rep, reps);
        fprintf(stderr, "%s: %.3f us per task\n", name, rep[reps / 2].real_us);
    }
    for (int w = 1; w <= workers; w++) {
        uint64_t none = 0;
        pl_mpi_check(MPI_Send(&none, 1, MPI_UINT64_T, w, TAG_STOP, MPI_COMM_WORLD), "send stop");
    }
    pl_json_end(f);
    if (f != stdout && fclose(f) == EOF) {
        perror(a.out);
        failed++;
    }
    MPI_Finalize();
    return failed ? 1 : 0;
}

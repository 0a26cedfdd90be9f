/* mpi_pool.c: pool_map's task farm on MPI: a master rank hands out tasks,
 * worker ranks (on this machine or on others) compute them.
 *
 * Lesson: a process pool on one machine forks its workers and shares memory
 * with them; MPI starts the processes for you (mpirun -np N), possibly on
 * several machines, and they share nothing: every byte travels as a message.
 * Rank 0 is the master, ranks 1..N-1 the workers.  The work is pool_map's:
 * count the primes in blocks of numbers, block i is task i, later blocks cost
 * more.  Distribution is dynamic: each worker gets one chunk of tasks, and a
 * new chunk each time it sends a result back, so a fast worker takes more
 * chunks than a slow one (the per-worker counts show it).  --chunksize sets
 * how many tasks one message carries: fewer messages, worse balance.
 *
 * The pitfall: a worker that dies or hangs.  MPI_Recv waits forever, so the
 * master never calls it bare: it posts MPI_Irecv and tests it until a
 * deadline (--timeout-ms), then names the worker and the tasks it held and
 * ends the job (MPI_Abort).  A worker that dies is seen by mpirun, which ends
 * the whole job and names the rank; errors are returned (MPI_ERRORS_RETURN)
 * rather than aborting inside the library, so the lab reports them itself.
 *
 * Every task's result is compared with a serial run on the master.
 *
 * Watch for: "equals the serial run"; the tasks each worker did; the speedup
 * (against one process, at most the number of workers, and the master's own
 * CPU counts: on 2 CPUs, -np 3 shares them); --crash-task and --hang-task.
 *
 * Try:
 *   mpirun -np 2 ./mpi_pool                 # make mpi-demo runs it for you
 *   mpirun -np 3 --oversubscribe ./mpi_pool --chunksize 10
 *   mpirun -np 2 ./mpi_pool --hang-task 5 --timeout-ms 1000   # reported, not hung on
 *   mpirun -np 2 ./mpi_pool --crash-task 5                    # mpirun names the dead rank
 *   mpirun --hostfile hosts -np 8 ./mpi_pool  # across machines: docs/labs/distributed.md
 *
 * Exit: 0 every task equals the serial run, 1 an error, a mismatch or a
 * worker that failed, 2 bad arguments or not run under mpirun.
 * Usage: mpi_pool [--tasks N] [--block N] [--chunksize C] [--timeout-ms MS] [--crash-task I] [--hang-task I]
 * Python: mpi4py: comm.send(task, dest=w, tag=TASK) / comm.recv(source=MPI.ANY_SOURCE,
 *         status=st); mpi4py.futures.MPIPoolExecutor().map(f, range(N), chunksize=C)
 */
#include "../lab.h"
#include <getopt.h>
#include <mpi.h>

enum { TAG_TASK = 1, TAG_RESULT = 2, TAG_STOP = 3 };
enum { MAX_CHUNK = 100000 };

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--tasks N] [--block N] [--chunksize C] [--timeout-ms MS] [--crash-task I] [--hang-task I]\n"
            "Count primes in blocks of numbers on MPI worker ranks, handed out by rank 0;\n"
            "check every result against a serial run.  Run it under mpirun:\n"
            "  mpirun -np 2 %s     (2 or more ranks: rank 0 is the master)\n"
            "  -n, --tasks N         tasks, one block each (default 100)\n"
            "  -b, --block N         numbers per block (default 5000)\n"
            "  -c, --chunksize C     tasks per message; 0 = Python's rule (default 1)\n"
            "  -t, --timeout-ms MS   longest wait for any result, 1..3600000 (default 60000)\n"
            "      --crash-task I    the worker given task I dies (SIGKILL)\n"
            "      --hang-task I     the worker given task I stops answering\n"
            "  -h, --help            this help\n",
            lab_progname, lab_progname);
    exit(status);
}

static long block_size = 5000;
static long crash_task = -1, hang_task = -1;

/* The CPU-bound work, as in pool_map: how many primes in [lo, hi)? */
static long primes_between(long lo, long hi)
{
    long count = 0;
    for (long n = lo < 2 ? 2 : lo; n < hi; n++) {
        bool prime = true;
        for (long d = 2; d * d <= n && prime; d++)
            prime = n % d != 0;
        count += prime;
    }
    return count;
}

/* An MPI call that failed: its error string, then end every rank. */
static void check_mpi(int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    fprintf(stderr, "%s: ERROR %s: %s\n", lab_progname, what, text);
    MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE);
}

/* mpirun sets these in every rank it starts; without them MPI_Init would
 * make a lone "singleton" rank, which has no workers. */
static bool started_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

/* ---- worker: receive a chunk, compute it, send the counts back ----------- */

/* A message: {first task, count} from the master, {first, count, result...}
 * back from the worker. */
static void worker(void)
{
    static long msg[2 + MAX_CHUNK];
    for (;;) {
        MPI_Status st;
        check_mpi(MPI_Recv(msg, 2, MPI_LONG, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st), "receive task");
        if (st.MPI_TAG == TAG_STOP)
            return;
        long first = msg[0], count = msg[1];
        for (long k = 0; k < count; k++) {
            long i = first + k;
            if (i == crash_task)
                raise(SIGKILL);                 /* a worker dying mid-task */
            while (i == hang_task)
                pause();                        /* a worker that never answers */
            msg[2 + k] = primes_between(i * block_size, (i + 1) * block_size);
        }
        check_mpi(MPI_Send(msg, (int)(2 + count), MPI_LONG, 0, TAG_RESULT, MPI_COMM_WORLD),
                  "send result");
    }
}

/* ---- master: hand out chunks, collect results, bounded waits ------------- */

struct held { long first, count; };       /* what each worker is computing */

static long next_task;

/* Give worker w the next chunk, or tell it to stop when none is left. */
static void hand_out(int w, long tasks, long chunk, struct held *held)
{
    long msg[2] = { next_task, tasks - next_task < chunk ? tasks - next_task : chunk };
    if (msg[1] == 0) {
        check_mpi(MPI_Send(msg, 2, MPI_LONG, w, TAG_STOP, MPI_COMM_WORLD), "send stop");
        held[w] = (struct held){ -1, 0 };
        return;
    }
    check_mpi(MPI_Send(msg, 2, MPI_LONG, w, TAG_TASK, MPI_COMM_WORLD), "send task");
    held[w] = (struct held){ msg[0], msg[1] };
    next_task += msg[1];
}

/* Wait for any worker's result, at most timeout_ms.  MPI_Recv has no
 * timeout: post the receive, test it, sleep a little, until the deadline. */
static void receive_result(long *msg, int count, long timeout_ms, const struct held *held,
                           int size, MPI_Status *st)
{
    MPI_Request req;
    check_mpi(MPI_Irecv(msg, count, MPI_LONG, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &req),
              "post receive");
    long long deadline = now_ns() + timeout_ms * 1000000LL;
    for (;;) {
        int done = 0;
        check_mpi(MPI_Test(&req, &done, st), "test receive");
        if (done)
            return;
        if (now_ns() > deadline) {
            fprintf(stderr, "%s: ERROR no result from any worker within %ld ms:\n",
                    lab_progname, timeout_ms);
            for (int w = 1; w < size; w++)
                if (held[w].count > 0)
                    fprintf(stderr, "  worker rank %d holds tasks %ld..%ld: dead or hung\n", w,
                            held[w].first, held[w].first + held[w].count - 1);
            fflush(stdout);
            MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE);   /* ends every rank, hung ones too */
        }
        /* 50 us between tests: the master would otherwise spin on a CPU
         * that a worker could use. */
        struct timespec pause_ts = { 0, 50000 };
        nanosleep(&pause_ts, NULL);
    }
}

static bool master(int size, long tasks, long chunksize, long timeout_ms)
{
    int workers = size - 1;
    long *serial = malloc(tasks * sizeof *serial), *got = malloc(tasks * sizeof *got);
    long *msg = malloc((2 + MAX_CHUNK) * sizeof *msg), *done_by = calloc(size, sizeof *done_by);
    struct held *held = calloc(size, sizeof *held);
    if (!serial || !got || !msg || !done_by || !held)
        fatal("out of memory");

    /* The serial run: the answer every worker's result must match. */
    long long start = now_ns();
    long total = 0;
    for (long i = 0; i < tasks; i++)
        total += serial[i] = primes_between(i * block_size, (i + 1) * block_size);
    double serial_s = (now_ns() - start) / 1e9;

    long chunk = chunksize ? chunksize : tasks / (4L * workers) + (tasks % (4L * workers) != 0);
    if (chunk > MAX_CHUNK)
        chunk = MAX_CHUNK;
    printf("%ld tasks (blocks of %ld numbers), %d worker rank%s + the master, chunksize %ld%s\n",
           tasks, block_size, workers, workers == 1 ? "" : "s", chunk,
           chunksize ? "" : " (automatic: divmod(tasks, 4 * workers), +1 if a remainder)");
    printf("%-10s %.3f s  %ld primes below %ld\n", "serial", serial_s, total, tasks * block_size);
    fflush(stdout);

    start = now_ns();
    for (int w = 1; w <= workers; w++)
        hand_out(w, tasks, chunk, held);
    for (long received = 0; received < tasks;) {
        MPI_Status st;
        receive_result(msg, (int)(2 + chunk), timeout_ms, held, size, &st);
        int w = st.MPI_SOURCE;
        long first = msg[0], count = msg[1];
        if (first != held[w].first || count != held[w].count)
            fatal("worker rank %d sent tasks %ld+%ld, it held %ld+%ld", w, first, count,
                  held[w].first, held[w].count);
        memcpy(&got[first], &msg[2], count * sizeof *got);
        received += count;
        done_by[w] += count;
        hand_out(w, tasks, chunk, held);
    }
    double pool_s = (now_ns() - start) / 1e9;

    bool ok = true;
    for (long i = 0; i < tasks && ok; i++)
        if (got[i] != serial[i]) {
            printf("task %ld: %ld primes, serial says %ld: MISMATCH\n", i, got[i], serial[i]);
            ok = false;
        }
    printf("%-10s %.3f s  speedup %.2f  %s\n", "mpi pool", pool_s, serial_s / pool_s,
           ok ? "equals the serial run" : "DIFFERS from the serial run");
    printf("tasks per worker:");
    for (int w = 1; w <= workers; w++)
        printf(" rank %d: %ld%s", w, done_by[w], w < workers ? "," : "\n");
    printf("%s\n", ok ? "every task equals the serial run" : "MISMATCH: see above");
    free(serial), free(got), free(msg), free(done_by), free(held);
    return ok;
}

int main(int argc, char *argv[])
{
    static const struct option opts[] = {
        { "tasks", required_argument, NULL, 'n' }, { "block", required_argument, NULL, 'b' },
        { "chunksize", required_argument, NULL, 'c' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "crash-task", required_argument, NULL, 'K' }, { "hang-task", required_argument, NULL, 'H' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    long tasks = 100, chunksize = 1, timeout_ms = 60000;
    int c;

    lab_init(argv[0]);
    /* The arguments first, without MPI: --help and mistakes need no mpirun. */
    while ((c = getopt_long(argc, argv, "n:b:c:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': tasks = parse_long("--tasks", optarg, 1, 100000); break;
        case 'b': block_size = parse_long("--block", optarg, 1, 10000000); break;
        case 'c': chunksize = parse_long("--chunksize", optarg, 0, MAX_CHUNK); break;
        case 't': timeout_ms = parse_long("--timeout-ms", optarg, 1, 3600000); break;
        case 'K': crash_task = parse_long("--crash-task", optarg, 0, 99999); break;
        case 'H': hang_task = parse_long("--hang-task", optarg, 0, 99999); break;
        case 'h': usage(stdout, 0);
        default: usage(stderr, 2);
        }
    }
    if (optind < argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (!started_by_mpirun())
        usageErr("start me with mpirun, which starts the ranks: mpirun -np 2 %s "
                 "(as root add --allow-run-as-root; make mpi-demo does it)", lab_progname);

    check_mpi(MPI_Init(&argc, &argv), "MPI_Init");
    /* Errors come back as return codes (check_mpi), not as a library abort. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        if (rank == 0)
            fprintf(stderr, "%s: needs 2 or more ranks (a master and a worker): mpirun -np 2 %s\n",
                    lab_progname, lab_progname);
        MPI_Finalize();
        return 2;
    }
    bool ok = true;
    if (rank == 0)
        ok = master(size, tasks, chunksize, timeout_ms);
    else
        worker();
    check_mpi(MPI_Finalize(), "MPI_Finalize");
    return ok ? 0 : 1;
}

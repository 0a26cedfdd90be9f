/* pool_map.c: Pool.map in C: the same CPU-bound work, serial and on a pool.
 *
 * Lesson: a process pool forks W workers once and feeds them tasks; map
 * gives the results back in input order, imap_unordered as they finish,
 * starmap takes several arguments per task.  The work here is counting the
 * primes in blocks of numbers: block i is task i, later blocks cost more
 * (bigger numbers), so how tasks are handed out matters.  chunksize sets
 * how many tasks travel together: 1 balances best but pays the queue for
 * every task; big chunks pay it once per chunk but can leave a worker idle
 * at the end while another finishes a heavy chunk.  0 uses Python's rule
 * (divmod(tasks, 4 * workers), plus 1 if there is a remainder).
 *
 * The pitfall: trusting a parallel result you never checked.  Every mode
 * here is compared, task by task, with a serial run in this process.
 *
 * Watch for: "equals the serial run" on every line; the speedup against
 * serial (at most the number of CPUs); imap_unordered's first indices out of
 * order; with --trace, the picture: one row per worker, a box per task
 * (labelled with its index), a row for the parent's phases; try
 * --chunksize 1 and --chunksize 50 and look at the end of each phase.
 *
 * Try:
 *   ./pool_map
 *   ./pool_map --queue pipe --chunksize 1
 *   ./pool_map --chunksize 50 --trace t.csv && scripts/timeline.sh t.csv t.svg
 *   ./pool_map --workers 1          # the pool's cost with no parallelism
 *
 * Exit: 0 every mode equals the serial run, 1 an error or a mismatch,
 * 2 bad arguments.
 * Usage: pool_map [--queue shm|pipe] [--workers N] [--tasks N] [--block N] [--chunksize C] [--trace FILE]
 * Python: multiprocessing.Pool(W).map(f, range(N), chunksize=C),
 *         Pool.imap_unordered(f, it, chunksize), Pool.starmap(g, [(lo, hi), ...])
 */
#include "../lab.h"
#include "pool.h"
#include <getopt.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--queue shm|pipe] [--workers N] [--tasks N] [--block N] [--chunksize C] [--trace FILE]\n"
            "Count primes in blocks of numbers serially, then with pool map, starmap and\n"
            "imap_unordered; check every result against the serial run.\n"
            "      --queue shm|pipe  the pool's task queue (default shm)\n"
            "  -w, --workers N       worker processes (default: the CPUs we may use)\n"
            "  -n, --tasks N         tasks, one block each (default 100)\n"
            "  -b, --block N         numbers per block (default 5000)\n"
            "  -c, --chunksize C     tasks per chunk; 0 = Python's automatic rule (default 0)\n"
            "      --trace FILE      write when each task ran on which worker as CSV\n"
            "                        (draw it: scripts/timeline.sh FILE out.svg)\n"
            "  -h, --help            this help\n",
            lab_progname);
    exit(status);
}

static long block_size = 5000;

/* The CPU-bound work: how many primes in [lo, hi)?  Trial division. */
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

/* map's task: one argument, the block index.  The block size was set
 * before the pool was created, so the workers (forked copies) know it. */
static int primes_in_block(const void *arg, size_t len, void *out, size_t *out_len)
{
    long i;
    if (len != sizeof i)
        return pool_fail("argument of %zu bytes, want %zu", len, sizeof i);
    memcpy(&i, arg, sizeof i);
    long count = primes_between(i * block_size, (i + 1) * block_size);
    memcpy(out, &count, sizeof count);
    *out_len = sizeof count;
    return 0;
}

/* starmap's task: two arguments.  C has no tuple: they travel as a struct. */
struct range { long lo, hi; };
static int primes_in_range(const void *arg, size_t len, void *out, size_t *out_len)
{
    struct range r;
    if (len != sizeof r)
        return pool_fail("argument of %zu bytes, want %zu", len, sizeof r);
    memcpy(&r, arg, sizeof r);
    long count = primes_between(r.lo, r.hi);
    memcpy(out, &count, sizeof count);
    *out_len = sizeof count;
    return 0;
}

static double seconds_since(long long t0) { return (double)(now_ns() - t0) / 1e9; }

/* What the parent did when, for the trace's "parent" lane. */
static struct phase { const char *name; long long start, end; } phases[5];
static int nphases;

static void phase_done(const char *name, long long start)
{
    phases[nphases++] = (struct phase){ name, start, now_ns() };
}

/* The pool's rows (one per task), then the parent's phases. */
static void write_trace(pool_t *pool, const char *path, long long t0)
{
    if (pool_trace_write(pool, path, t0) == -1)
        errExit("write %s", path);
    FILE *f = fopen(path, "a");
    if (f == NULL)
        errExit("open %s", path);
    for (int i = 0; i < nphases; i++)
        fprintf(f, "parent,%.6f,%.6f,%s\n", (phases[i].start - t0) / 1e9,
                (phases[i].end - t0) / 1e9, phases[i].name);
    if (fclose(f) == EOF)
        errExit("write %s", path);
}

static bool same(const long *got, const long *want, long n, const char *mode)
{
    for (long i = 0; i < n; i++)
        if (got[i] != want[i]) {
            printf("%-15s task %ld: %ld primes, serial says %ld: MISMATCH\n", mode, i, got[i], want[i]);
            return false;
        }
    return true;
}

static void report(const char *mode, double secs, double serial, bool ok)
{
    printf("%-15s %.3f s  speedup %.2f  %s\n", mode, secs, serial / secs,
           ok ? "equals the serial run" : "DIFFERS from the serial run");
}

int main(int argc, char *argv[])
{
    static const struct option opts[] = {
        { "queue", required_argument, NULL, 'q' }, { "workers", required_argument, NULL, 'w' },
        { "tasks", required_argument, NULL, 'n' }, { "block", required_argument, NULL, 'b' },
        { "chunksize", required_argument, NULL, 'c' }, { "trace", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct pool_options po = { .queue = POOL_QUEUE_SHM };
    long tasks = 100, chunksize = 0;
    const char *trace = NULL;
    long long t0 = now_ns();
    int c;

    lab_init(argv[0]);
    while ((c = getopt_long(argc, argv, "w:n:b:c:h", opts, NULL)) != -1) {
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
        case 'n': tasks = parse_long("--tasks", optarg, 1, 100000); break;
        case 'b': block_size = parse_long("--block", optarg, 1, 10000000); break;
        case 'c': chunksize = parse_long("--chunksize", optarg, 0, 100000); break;
        case 'T': trace = optarg; break;
        case 'h': usage(stdout, 0);
        default: usage(stderr, 2);
        }
    }
    if (optind < argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    /* The serial run: the answer every pool run must match. */
    long *index = malloc(tasks * sizeof *index), *serial = malloc(tasks * sizeof *serial);
    long *got = malloc(tasks * sizeof *got);
    struct range *ranges = malloc(tasks * sizeof *ranges);
    if (!index || !serial || !got || !ranges)
        fatal("out of memory");
    long long start = now_ns();
    long total = 0;
    for (long i = 0; i < tasks; i++) {
        index[i] = i;
        ranges[i] = (struct range){ i * block_size, (i + 1) * block_size };
        serial[i] = primes_between(ranges[i].lo, ranges[i].hi);
        total += serial[i];
    }
    double serial_s = seconds_since(start);
    phase_done("serial", start);

    int fn_block = pool_register(primes_in_block), fn_range = pool_register(primes_in_range);
    po.trace = trace != NULL;
    start = now_ns();
    pool_t *pool = pool_create(&po);       /* forks the workers: now, once */
    if (pool == NULL)
        errExit("pool_create");
    double startup_s = seconds_since(start);
    phase_done("pool_create", start);
    int workers = pool_size(pool);
    size_t chunk = chunksize ? (size_t)chunksize : pool_auto_chunksize((size_t)tasks, workers);
    printf("%ld tasks (blocks of %ld numbers), %d worker processes, queue %s, chunksize %zu%s\n",
           tasks, block_size, workers, po.queue == POOL_QUEUE_SHM ? "shm" : "pipe", chunk,
           chunksize ? "" : " (automatic: divmod(tasks, 4 * workers), +1 if a remainder)");
    printf("%-15s %.3f s  %ld primes below %ld\n", "serial", serial_s, total, tasks * block_size);
    printf("%-15s %.6f s  (fork %d workers)\n", "pool start", startup_s, workers);

    bool all_ok = true;
    /* map: results in input order, straight into got[] */
    start = now_ns();
    if (pool_map(pool, fn_block, index, sizeof *index, (size_t)tasks, got, sizeof *got,
                 (size_t)chunksize) == -1)
        fatal("pool_map: %s", pool_last_error(pool));
    double secs = seconds_since(start);
    phase_done("map", start);
    bool ok = same(got, serial, tasks, "map");
    report("map", secs, serial_s, ok);
    all_ok &= ok;

    /* starmap: two arguments per task, one struct */
    struct pool_arg *args = malloc(tasks * sizeof *args);
    if (args == NULL)
        fatal("out of memory");
    for (long i = 0; i < tasks; i++)
        args[i] = (struct pool_arg){ &ranges[i], sizeof ranges[i] };
    memset(got, 0, tasks * sizeof *got);
    start = now_ns();
    if (pool_starmap(pool, fn_range, args, (size_t)tasks, got, sizeof *got, (size_t)chunksize) == -1)
        fatal("pool_starmap: %s", pool_last_error(pool));
    secs = seconds_since(start);
    phase_done("starmap", start);
    ok = same(got, serial, tasks, "starmap");
    report("starmap", secs, serial_s, ok);
    all_ok &= ok;

    /* imap_unordered: each result as it arrives, with its index */
    memset(got, -1, tasks * sizeof *got);
    start = now_ns();
    pool_iter_t *it = pool_imap_unordered(pool, fn_block, index, sizeof *index, (size_t)tasks,
                                          sizeof(long), (size_t)chunksize);
    if (it == NULL)
        fatal("pool_imap_unordered: %s", pool_last_error(pool));
    struct pool_result r;
    int rc, shown = 0;
    long arrived = 0, in_order = 0;
    char first[128] = "";
    while ((rc = pool_iter_next(it, &r, 60000)) == 1) {
        if (r.failed)
            fatal("task %zu failed: %s", r.index, r.error);
        memcpy(&got[r.index], r.data, sizeof *got);
        in_order += (long)r.index == arrived++;
        if (shown++ < 12)
            snprintf(first + strlen(first), sizeof first - strlen(first), " %zu", r.index);
    }
    if (rc == -1)
        errExit("pool_iter_next");
    pool_iter_free(it);
    secs = seconds_since(start);
    phase_done("imap_unordered", start);
    ok = same(got, serial, tasks, "imap_unordered");
    report("imap_unordered", secs, serial_s, ok);
    printf("  arrival order:%s ...  (%ld of %ld in their input position)\n", first, in_order, tasks);
    all_ok &= ok;

    if (trace) {
        const struct pool_trace_entry *e;
        size_t rows = pool_trace(pool, &e);
        write_trace(pool, trace, t0);
        printf("trace: %zu tasks and the parent's %d phases written to %s; draw it:"
               " scripts/timeline.sh %s out.svg\n", rows, nphases, trace, trace);
    }
    if (pool_close(pool) == -1 || pool_join(pool, 10000) == -1)
        fatal("pool_join: %s", pool_last_error(pool));
    pool_destroy(pool);
    free(index), free(serial), free(got), free(ranges), free(args);
    printf("%s\n", all_ok ? "all modes equal the serial run" : "MISMATCH: see above");
    return all_ok ? 0 : 1;
}

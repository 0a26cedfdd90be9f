/* mapreduce_sum.c: shard an array over W processes, reduce in the parent;
 * measure the speedup and the serial fraction that limits it (Amdahl).
 *
 * Lesson: map-reduce with processes is three steps: split the input into
 * shards (one per worker), map each shard in its own process, reduce the
 * partial results in the parent.  fork() makes the split nearly free: the
 * children see the parent's array through copy-on-write pages, nothing is
 * copied or pickled.  Each child sends back one 24-byte record over a pipe.
 *
 * Only the middle step runs in parallel.  Starting the workers and merging
 * their results are serial, and Amdahl's law says what that costs: with a
 * serial fraction f of the one-worker time, W workers give a speedup of at
 * most 1 / (f + (1 - f) / W), and never more than 1 / f.  The lab times the
 * serial parts (split: the forks; merge: reading, adding, reaping), computes
 * f from them, and sets Amdahl's prediction beside the speedup it measured.
 * The Karp-Flatt metric turns the measured speedup back into the serial
 * fraction it implies: when that is larger than the timed f, the workers lost
 * time elsewhere (an uneven split, memory bandwidth, a CPU shared with others).
 *
 * The sum wraps modulo 2^64, so it is exact in any order: the parallel result
 * must equal the serial one bit for bit (exit 1 if not).
 *
 * Watch for: speedup below W; the worker compute times differing; with a tiny
 * --elements, the serial part dominates and more workers make it slower.
 *
 * Try:
 *   ./mapreduce_sum                         # W = the CPUs we may use
 *   ./mapreduce_sum --workers 8             # more workers than CPUs
 *   ./mapreduce_sum --elements 10K --workers 4   # f is large: fork dominates
 *   ./mapreduce_sum --timeline t.csv && scripts/timeline.sh t.csv t.svg
 *
 * Exit: 0 the sums agree, 1 an error or a wrong sum, 2 bad arguments.
 * Usage: mapreduce_sum [--elements N] [--workers W] [--work K] [--timeline FILE]
 * Python: multiprocessing.Pool.map(sum_shard, shards) + sum(); functools.reduce;
 *         concurrent.futures.ProcessPoolExecutor.map
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>

enum { MAX_WORKERS = 256, RESULT_TIMEOUT_MS = 120000 };

/* What a worker sends back: 24 bytes, under PIPE_BUF, so one write() is one
 * record even when all workers share the pipe. */
struct result {
    int32_t worker;
    int32_t pad;
    uint64_t sum;
    int64_t compute_ns;
};

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--elements N] [--workers W] [--work K] [--timeline FILE]\n"
            "Sum an array serially, then sharded over W forked workers; print the\n"
            "speedup and the serial fraction (Amdahl) measured from the serial parts.\n"
            "  -n, --elements N  array length, 1..512M, K/M suffixes (default 8M: 64 MiB)\n"
            "  -w, --workers W   worker processes, 1..%d (default: the CPUs we may use)\n"
            "  -k, --work K      mixing rounds per element, 1..1000 (default 16): more\n"
            "                    makes the map CPU-bound rather than memory-bound\n"
            "  -T, --timeline FILE  write a CSV timeline (lane,start_s,end_s,label): the\n"
            "                    parent's serial parts, each worker's map\n"
            "  -h, --help        this help\n",
            lab_progname, MAX_WORKERS);
    exit(status);
}

static uint64_t element_value(uint64_t i)       /* splitmix64: varied, repeatable */
{
    uint64_t z = i + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The map step: K rounds of a cheap mix per element, then add (mod 2^64). */
static uint64_t sum_range(const uint64_t *a, long lo, long hi, int rounds)
{
    uint64_t sum = 0;
    for (long i = lo; i < hi; i++) {
        uint64_t x = a[i];
        for (int r = 0; r < rounds; r++)
            x = (x ^ (x >> 29)) * 6364136223846793005ULL + 1442695040888963407ULL;
        sum += x;
    }
    return sum;
}

/* Shard w of W: the first (n % W) shards get one extra element. */
static void shard(long n, int w, int workers, long *lo, long *hi)
{
    long base = n / workers, extra = n % workers;
    *lo = w * base + (w < extra ? w : extra);
    *hi = *lo + base + (w < extra ? 1 : 0);
}

static int allowed_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1)
        errExit("sched_getaffinity");
    return CPU_COUNT(&set);
}

static double seconds(long long ns) { return (double)ns / 1e9; }

/* A now_ns() reading as seconds on the timeline. */
static double on_timeline(long long ns)
{
    return (double)(ns - lab_timeline_state()->t0_ns) / 1e9;
}

/* Read one record (bounded wait). */
static void read_result(int fd, struct result *r)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int ready;
    while ((ready = poll(&p, 1, RESULT_TIMEOUT_MS)) == -1 && errno == EINTR)
        ;
    if (ready == -1)
        errExit("poll");
    if (ready == 0)
        fatal("no result within %d s", RESULT_TIMEOUT_MS / 1000);
    ssize_t n = readn(fd, r, sizeof *r);
    if (n == -1)
        errExit("read");
    if (n != sizeof *r)
        fatal("a worker died before sending its result");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "elements", required_argument, NULL, 'n' },
        { "workers", required_argument, NULL, 'w' },
        { "work", required_argument, NULL, 'k' },
        { "timeline", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long n = 8L << 20;
    int workers = 0, rounds = 16, opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "n:w:k:T:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': n = (long)parse_bytes("--elements", optarg, 1, 512LL << 20); break;
        case 'w': workers = (int)parse_long("--workers", optarg, 1, MAX_WORKERS); break;
        case 'k': rounds = (int)parse_long("--work", optarg, 1, 1000); break;
        case 'T': lab_timeline_open(optarg); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (workers == 0)
        workers = allowed_cpus();
    if (workers > n)
        usageErr("--workers %d is more than --elements %ld", workers, n);

    /* The input, built once; the children will read it copy-on-write. */
    size_t bytes = sizeof(uint64_t) * (size_t)n;
    uint64_t *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        errExit("mmap %zu bytes", bytes);
    double filled_from = lab_timeline_now();
    for (long i = 0; i < n; i++)
        a[i] = element_value((uint64_t)i);
    lab_timeline_interval("parent", filled_from, lab_timeline_now(), "input");
    printf("input: %ld elements (%.1f MiB), %d mixing rounds each; %d workers, %d CPUs allowed\n",
           n, (double)bytes / (1 << 20), rounds, workers, allowed_cpus());

    long long t = now_ns();
    uint64_t serial_sum = sum_range(a, 0, n, rounds);
    long long serial_ns = now_ns() - t;
    lab_timeline_interval("parent", on_timeline(t), on_timeline(t + serial_ns), "serial sum");
    printf("serial:   %.6f s in one process, sum %016llx\n", seconds(serial_ns),
           (unsigned long long)serial_sum);
    fflush(stdout);                     /* before fork: no buffered copy in children */

    /* Split (serial): fork W workers, each maps its shard. */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == -1)
        errExit("pipe");
    pid_t pids[MAX_WORKERS];
    long long start = now_ns();
    for (int w = 0; w < workers; w++) {
        if ((pids[w] = lab_fork_guarded()) == -1)     /* dies with us, even after SIGKILL */
            errExit("fork");
        if (pids[w] == 0) {
            long lo, hi;
            shard(n, w, workers, &lo, &hi);
            long long c = now_ns();
            struct result r = { .worker = w, .sum = sum_range(a, lo, hi, rounds) };
            r.compute_ns = now_ns() - c;
            char lane[32];
            snprintf(lane, sizeof lane, "worker %d", w + 1);
            lab_timeline_interval(lane, on_timeline(c), on_timeline(c + r.compute_ns),
                                  "map shard %d", w + 1);
            if (write(fds[1], &r, sizeof r) != sizeof r)
                err_exit("write result");
            _exit(EXIT_SUCCESS);
        }
    }
    if (close(fds[1]) == -1)
        errExit("close");
    long long forked = now_ns();

    /* Map (parallel): wait for the results.  The last one starts the merge. */
    struct result results[MAX_WORKERS];
    for (int k = 0; k < workers; k++)
        read_result(fds[0], &results[k]);
    long long last_result = now_ns();

    /* Merge (serial): reduce the partial sums, reap the workers. */
    uint64_t total = 0;
    for (int k = 0; k < workers; k++)
        total += results[k].sum;
    for (int w = 0; w < workers; w++) {
        int status;
        pid_t r = wait_child_for(pids[w], &status, 10000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0) {
            kill_and_reap(pids[w]);
            fatal("worker %d did not exit", w + 1);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fatal("worker %d failed", w + 1);
    }
    long long end = now_ns();
    lab_timeline_interval("parent", on_timeline(start), on_timeline(forked), "split");
    lab_timeline_interval("parent", on_timeline(forked), on_timeline(last_result), "wait");
    lab_timeline_interval("parent", on_timeline(last_result), on_timeline(end), "merge");
    if (close(fds[0]) == -1 || munmap(a, bytes) == -1)
        errExit("close or munmap");

    long long parallel_ns = end - start, split_ns = forked - start, merge_ns = end - last_result;
    long long fastest = results[0].compute_ns, slowest = results[0].compute_ns;
    for (int k = 1; k < workers; k++) {
        if (results[k].compute_ns < fastest) fastest = results[k].compute_ns;
        if (results[k].compute_ns > slowest) slowest = results[k].compute_ns;
    }
    double speedup = (double)serial_ns / (double)parallel_ns;
    /* Amdahl's f: the serial parts as a share of what one worker would take. */
    double serial_part = (double)(split_ns + merge_ns);
    double f = serial_part / (serial_part + (double)serial_ns);
    double amdahl = 1.0 / (f + (1.0 - f) / workers);
    printf("parallel: %.6f s with %d workers, sum %016llx: speedup %.2f x\n",
           seconds(parallel_ns), workers, (unsigned long long)total, speedup);
    printf("  serial parts: split (fork %d workers) %.6f s + merge (read, add, reap) %.6f s\n",
           workers, seconds(split_ns), seconds(merge_ns));
    printf("  map: each worker computed for %.6f .. %.6f s (an even split would be %.6f s)\n",
           seconds(fastest), seconds(slowest), seconds(serial_ns) / workers);
    printf("Amdahl: serial fraction f = %.6f: predicted speedup with %d workers %.2f x, "
           "never above 1/f = %.0f x\n", f, workers, amdahl, 1.0 / f);
    if (workers > 1) {
        double e = (1.0 / speedup - 1.0 / workers) / (1.0 - 1.0 / workers);
        printf("Karp-Flatt: the measured speedup implies a serial fraction of %.6f%s\n", e,
               e > 1 ? " (above 1: the workers lost more than they shared out)"
               : e > f ? " (more than the timed f: time lost to imbalance, memory or other load)"
               : "");
    }
    double load;
    FILE *loadavg = fopen("/proc/loadavg", "re");
    if (loadavg != NULL && fscanf(loadavg, "%lf", &load) == 1 && load > allowed_cpus() / 2.0)
        printf("note: load average %.1f on %d CPUs: other programs compete for them\n",
               load, allowed_cpus());
    if (loadavg != NULL)
        fclose(loadavg);
    if (total != serial_sum) {
        printf("result: WRONG: %016llx != %016llx\n", (unsigned long long)total,
               (unsigned long long)serial_sum);
        return EXIT_FAILURE;
    }
    printf("result: the sharded sum equals the serial sum\n");
    return EXIT_SUCCESS;
}

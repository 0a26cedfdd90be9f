/* mpi_mapreduce.c: mapreduce_sum on MPI: MPI_Scatter the array, sum each
 * part in its rank, MPI_Reduce the partial sums; measure the serial fraction.
 *
 * Lesson: map-reduce across processes that share no memory.  mapreduce_sum
 * forks its workers, and they read the parent's array through copy-on-write
 * pages: the split costs a few forks and copies nothing.  Here the ranks may
 * be on other machines, so the split is a copy: MPI_Scatter sends each rank
 * its equal part of rank 0's array (rank 0 keeps the first part, and adds the
 * n % ranks elements left over itself).  Every rank maps its part; MPI_Reduce
 * adds the partial sums into rank 0.  The collective calls are the whole
 * protocol: no tags, no loops over ranks.
 *
 * As in mapreduce_sum, the split and the merge are serial and Amdahl's law
 * bounds the speedup: with a serial fraction f, W ranks give at most
 * 1 / (f + (1 - f) / W).  The lab times the split (rank 0 in MPI_Scatter) and
 * the merge (an MPI_Reduce when every rank is ready, timed after a barrier,
 * plus the leftover elements), computes f, and sets Amdahl's prediction and
 * the Karp-Flatt serial fraction beside the measured speedup.  Copying the
 * data makes f larger than with fork; across machines, the network makes it
 * larger again (docs/labs/distributed.md).
 *
 * The sum wraps modulo 2^64, so it is exact in any order: the reduced sum
 * must equal the serial one bit for bit (exit 1 if not), and equals
 * mapreduce_sum's for the same --elements and --work.
 *
 * Watch for: the split's share of the time (a copy of the array); with a small
 * --work the map is memory-bound and the copy dominates; more ranks than CPUs.
 *
 * Try:
 *   mpirun -np 2 ./mpi_mapreduce                 # make mpi-demo runs it for you
 *   mpirun -np 2 ./mpi_mapreduce --work 1        # the copy costs more than the map
 *   mpirun -np 4 --oversubscribe ./mpi_mapreduce --elements 1M
 *   ./mapreduce_sum --workers 2                  # the same sum with fork: compare f
 *
 * Exit: 0 the sums agree, 1 an error or a wrong sum, 2 bad arguments or not
 * run under mpirun.
 * Usage: mpi_mapreduce [--elements N] [--work K]
 * Python: mpi4py: part = comm.scatter(chunks, root=0); total = comm.reduce(sum(part),
 *         op=MPI.SUM, root=0); with numpy buffers: comm.Scatter(a, part, root=0)
 */
#include "../lab.h"
#include <getopt.h>
#include <mpi.h>
#include <stdint.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--elements N] [--work K]\n"
            "Sum an array serially on rank 0, then scattered over the MPI ranks and\n"
            "reduced; print the speedup and the serial fraction (Amdahl).  Run it under\n"
            "mpirun:  mpirun -np 2 %s\n"
            "  -n, --elements N  array length, 1..512M, K/M suffixes (default 8M: 64 MiB)\n"
            "  -k, --work K      mixing rounds per element, 1..1000 (default 16): more\n"
            "                    makes the map CPU-bound rather than memory-bound\n"
            "  -h, --help        this help\n",
            lab_progname, lab_progname);
    exit(status);
}

/* The input and the map, exactly as in mapreduce_sum. */
static uint64_t element_value(uint64_t i)       /* splitmix64: varied, repeatable */
{
    uint64_t z = i + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

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

/* mpirun sets these in every rank it starts. */
static bool started_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

static double seconds(long long ns) { return (double)ns / 1e9; }

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "elements", required_argument, NULL, 'n' },
        { "work", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long n = 8L << 20;
    int rounds = 16, opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "n:k:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': n = (long)parse_bytes("--elements", optarg, 1, 512LL << 20); break;
        case 'k': rounds = (int)parse_long("--work", optarg, 1, 1000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (!started_by_mpirun())
        usageErr("start me with mpirun, which starts the ranks: mpirun -np 2 %s "
                 "(as root add --allow-run-as-root; make mpi-demo does it)", lab_progname);

    check_mpi(MPI_Init(&argc, &argv), "MPI_Init");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (n < ranks) {
        if (rank == 0)
            fprintf(stderr, "%s: --elements %ld is fewer than the %d ranks\n", lab_progname, n,
                    ranks);
        MPI_Finalize();
        return 2;
    }

    /* Rank 0 builds the input and sums it alone: the answer to match. */
    long part = n / ranks, left_over = n % ranks;
    uint64_t *a = NULL, serial_sum = 0;
    long long serial_ns = 0;
    if (rank == 0) {
        if ((a = malloc(sizeof *a * (size_t)n)) == NULL)
            fatal("out of memory for %ld elements", n);
        for (long i = 0; i < n; i++)
            a[i] = element_value((uint64_t)i);
        printf("input: %ld elements (%.1f MiB), %d mixing rounds each; %d ranks, %ld elements each"
               " (+%ld on rank 0)\n", n, sizeof *a * (double)n / (1 << 20), rounds, ranks, part,
               left_over);
        long long t = now_ns();
        serial_sum = sum_range(a, 0, n, rounds);
        serial_ns = now_ns() - t;
        printf("serial:   %.6f s in one process, sum %016llx\n", seconds(serial_ns),
               (unsigned long long)serial_sum);
        fflush(stdout);
    }
    uint64_t *mine = malloc(sizeof *mine * (size_t)part);
    if (mine == NULL)
        fatal("out of memory for %ld elements", part);

    /* Split (serial: a copy to every rank), map (parallel), merge (serial). */
    check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    long long start = now_ns();
    check_mpi(MPI_Scatter(a, (int)part, MPI_UINT64_T, mine, (int)part, MPI_UINT64_T, 0,
                          MPI_COMM_WORLD), "MPI_Scatter");
    long long scattered = now_ns();
    uint64_t partial = sum_range(mine, 0, part, rounds);
    long long compute_ns = now_ns() - scattered;
    uint64_t total = 0;
    check_mpi(MPI_Reduce(&partial, &total, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD),
              "MPI_Reduce");
    long long tail_from = now_ns();
    if (rank == 0)
        total += sum_range(a, n - left_over, n, rounds);
    long long end = now_ns();

    /* The merge's own cost: MPI_Reduce again once every rank is ready (in
     * the run above, rank 0 also waited there for the slowest rank). */
    check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    long long r0 = now_ns();
    uint64_t again = 0;            /* the same partial sums: only the time is kept */
    check_mpi(MPI_Reduce(&partial, &again, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD),
              "MPI_Reduce");
    long long reduce_ns = now_ns() - r0;
    long long fastest = 0, slowest = 0;
    check_mpi(MPI_Reduce(&compute_ns, &fastest, 1, MPI_LONG_LONG, MPI_MIN, 0, MPI_COMM_WORLD),
              "MPI_Reduce min");
    check_mpi(MPI_Reduce(&compute_ns, &slowest, 1, MPI_LONG_LONG, MPI_MAX, 0, MPI_COMM_WORLD),
              "MPI_Reduce max");
    free(mine);
    free(a);
    if (rank != 0) {
        check_mpi(MPI_Finalize(), "MPI_Finalize");
        return EXIT_SUCCESS;
    }

    long long parallel_ns = end - start, split_ns = scattered - start;
    long long merge_ns = reduce_ns + (end - tail_from);
    double speedup = (double)serial_ns / (double)parallel_ns;
    double serial_part = (double)(split_ns + merge_ns);
    double f = serial_part / (serial_part + (double)serial_ns);
    double amdahl = 1.0 / (f + (1.0 - f) / ranks);
    printf("parallel: %.6f s with %d ranks, sum %016llx: speedup %.2f x\n",
           seconds(parallel_ns), ranks, (unsigned long long)total, speedup);
    printf("  serial parts: split (MPI_Scatter of %.1f MiB) %.6f s + merge (MPI_Reduce, "
           "left-over elements) %.6f s\n", sizeof *a * (double)(n - part) / (1 << 20),
           seconds(split_ns), seconds(merge_ns));
    printf("  map: each rank computed for %.6f .. %.6f s (an even split would be %.6f s)\n",
           seconds(fastest), seconds(slowest), seconds(serial_ns) / ranks);
    printf("Amdahl: serial fraction f = %.6f: predicted speedup with %d ranks %.2f x, "
           "never above 1/f = %.0f x\n", f, ranks, amdahl, 1.0 / f);
    if (ranks > 1) {
        double e = (1.0 / speedup - 1.0 / ranks) / (1.0 - 1.0 / ranks);
        printf("Karp-Flatt: the measured speedup implies a serial fraction of %.6f%s\n", e,
               e > 1 ? " (above 1: the ranks lost more than they shared out)"
               : e > f ? " (more than the timed f: time lost to imbalance, memory or other load)"
               : "");
    }
    int status = EXIT_SUCCESS;
    if (total != serial_sum) {
        printf("result: WRONG: %016llx != %016llx\n", (unsigned long long)total,
               (unsigned long long)serial_sum);
        status = EXIT_FAILURE;
    } else {
        printf("result: the reduced sum equals the serial sum\n");
    }
    check_mpi(MPI_Finalize(), "MPI_Finalize");
    return status;
}

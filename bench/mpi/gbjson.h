/* bench/mpi/gbjson.h: what the MPI benchmark programs share (header only:
 * each bench/mpi/NAME.c is one program, built with mpicc by the Makefile).
 *
 *   - the command line every one of them takes: --suite=quick|full,
 *     --out=FILE, --filter=REGEX (POSIX extended, matched against the
 *     benchmark name), --help; a bad one exits 2;
 *   - Google Benchmark's JSON shape, written by rank 0: a context, then per
 *     benchmark its repetitions (run_type "iteration") and the mean, median,
 *     stddev and cv aggregates, so scripts/lib/results.py reads the file like
 *     any family's and scripts/lib/merge_json.py can add it to one;
 *   - MPI errors returned, never a hang of the whole job on one rank's
 *     mistake: pl_mpi_check aborts every rank with a message.
 */
#ifndef PROCLAB_BENCH_MPI_GBJSON_H
#define PROCLAB_BENCH_MPI_GBJSON_H

#include <math.h>
#include <mpi.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { PL_MPI_MAX_COUNTERS = 12, PL_MPI_MAX_REPS = 16 };

/* Google Benchmark's suffix of the name: "real_time" (UseRealTime, as
 * bench_ipc) or "manual_time" (UseManualTime, as bench_pool). */
static const char *pl_json_time = "real_time";

typedef struct {
    const char *name;
    double value;
} pl_counter;

/* One repetition of one benchmark. */
typedef struct {
    long iterations;
    double real_us, cpu_us;         /* per iteration */
    int ncounters;
    pl_counter counters[PL_MPI_MAX_COUNTERS];
} pl_rep;

typedef struct {
    const char *prog;
    bool full;
    const char *out;
    bool have_filter;
    regex_t filter;
} pl_mpi_args;

static inline void pl_mpi_check(int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    fprintf(stderr, "ERROR %s: %s\n", what, text);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static inline void pl_mpi_usage(FILE *f, const char *prog, const char *what)
{
    fprintf(f,
            "Usage: %s [--suite=quick|full] [--out=FILE] [--filter=REGEX]\n"
            "%s\n"
            "Run it under mpirun on 2 or more ranks (scripts/mpirun.sh does it; the\n"
            "benchmark runner calls it through the family's extra.sh).\n"
            "  --suite=quick|full  the sweep (default quick)\n"
            "  --out=FILE          Google Benchmark JSON written by rank 0 (default stdout)\n"
            "  --filter=REGEX      only benchmarks whose name matches (POSIX extended)\n"
            "  --help              this help\n",
            prog, what);
}

/* Parse before MPI_Init: --help and mistakes need no mpirun. */
static inline void pl_mpi_parse(int argc, char **argv, const char *what, pl_mpi_args *a)
{
    const char *slash = strrchr(argv[0], '/');
    a->prog = slash ? slash + 1 : argv[0];
    a->full = false, a->out = NULL, a->have_filter = false;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            pl_mpi_usage(stdout, a->prog, what);
            exit(0);
        } else if (strcmp(s, "--suite=quick") == 0) {
            a->full = false;
        } else if (strcmp(s, "--suite=full") == 0) {
            a->full = true;
        } else if (strncmp(s, "--out=", 6) == 0 && s[6] != '\0') {
            a->out = s + 6;
        } else if (strncmp(s, "--filter=", 9) == 0 && s[9] != '\0' && !a->have_filter) {
            if (regcomp(&a->filter, s + 9, REG_EXTENDED | REG_NOSUB) != 0) {
                fprintf(stderr, "%s: --filter: '%s' is not a regular expression\n", a->prog, s + 9);
                exit(2);
            }
            a->have_filter = true;
        } else {
            fprintf(stderr, "%s: bad argument '%s'\n", a->prog, s);
            pl_mpi_usage(stderr, a->prog, what);
            exit(2);
        }
    }
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK")) {
        fprintf(stderr, "%s: start me with mpirun on 2 ranks: scripts/mpirun.sh --np 2 -- %s\n",
                a->prog, argv[0]);
        exit(2);
    }
}

static inline bool pl_mpi_wanted(const pl_mpi_args *a, const char *name)
{
    return !a->have_filter || regexec(&a->filter, name, 0, NULL, 0) == 0;
}

static inline double pl_cpu_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline void pl_counter_set(pl_rep *r, const char *name, double value)
{
    for (int i = 0; i < r->ncounters; i++)
        if (strcmp(r->counters[i].name, name) == 0) {
            r->counters[i].value = value;
            return;
        }
    if (r->ncounters < PL_MPI_MAX_COUNTERS)
        r->counters[r->ncounters++] = (pl_counter){ name, value };
}

/* ---- JSON ----------------------------------------------------------------- */

static inline void pl_json_begin(FILE *f, const char *prog, const char *family, bool full,
                                 const char *extra_context)
{
    char host[256] = "?", date[64];
    time_t now = time(NULL);
    gethostname(host, sizeof host - 1);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&now));
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(lib, &len);
    lib[strcspn(lib, "\n,")] = '\0';
    double load[3] = { 0, 0, 0 };
    FILE *la = fopen("/proc/loadavg", "re");
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = 0;
        fclose(la);
    }
    fprintf(f, "{\n  \"context\": {\n    \"date\": \"%s\",\n    \"host_name\": \"%s\",\n"
               "    \"executable\": \"%s\",\n    \"num_cpus\": %ld,\n"
               "    \"load_avg\": [%g, %g, %g],\n    \"library_build_type\": \"release\",\n"
               "    \"mpi_library\": \"%s\",\n%s    \"proclab_family\": \"%s\",\n"
               "    \"proclab_suite\": \"%s\"\n  },\n  \"benchmarks\": [",
            date, host, prog, sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2], lib,
            extra_context, family, full ? "full" : "quick");
}

static inline void pl_json_entry(FILE *f, bool *first, const char *name, int family_index,
                                 int reps, const char *run_type, int rep_index,
                                 const char *aggregate, long iterations, double real_us,
                                 double cpu_us, const pl_counter *c, int nc)
{
    fprintf(f, "%s\n    {\n      \"name\": \"%s/%s%s%s\",\n"
               "      \"family_index\": %d,\n      \"per_family_instance_index\": 0,\n"
               "      \"run_name\": \"%s/%s\",\n      \"run_type\": \"%s\",\n"
               "      \"repetitions\": %d,\n",
            *first ? "" : ",", name, pl_json_time, aggregate ? "_" : "",
            aggregate ? aggregate : "", family_index, name, pl_json_time, run_type, reps);
    if (aggregate)
        fprintf(f, "      \"threads\": 1,\n      \"aggregate_name\": \"%s\",\n"
                   "      \"aggregate_unit\": \"%s\",\n", aggregate,
                strcmp(aggregate, "cv") == 0 ? "percentage" : "time");
    else
        fprintf(f, "      \"repetition_index\": %d,\n      \"threads\": 1,\n", rep_index);
    fprintf(f, "      \"iterations\": %ld,\n      \"real_time\": %.17g,\n"
               "      \"cpu_time\": %.17g,\n      \"time_unit\": \"us\"",
            iterations, real_us, cpu_us);
    for (int i = 0; i < nc; i++)
        fprintf(f, ",\n      \"%s\": %.17g", c[i].name, isfinite(c[i].value) ? c[i].value : 0.0);
    fprintf(f, "\n    }");
    *first = false;
}

static inline int pl_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The repetitions, then mean, median, stddev and cv over them, as Google
 * Benchmark writes them (cv of the times; counters: cv of each counter). */
static inline void pl_json_benchmark(FILE *f, bool *first, const char *name, int family_index,
                                     const pl_rep *reps, int n)
{
    for (int i = 0; i < n; i++)
        pl_json_entry(f, first, name, family_index, n, "iteration", i, NULL, reps[i].iterations,
                      reps[i].real_us, reps[i].cpu_us, reps[i].counters, reps[i].ncounters);
    if (n < 2)
        return;
    static const char *const aggs[] = { "mean", "median", "stddev", "cv" };
    int nvals = 2 + reps[0].ncounters;
    for (int a = 0; a < 4; a++) {
        double out[2 + PL_MPI_MAX_COUNTERS];
        for (int v = 0; v < nvals; v++) {
            double xs[PL_MPI_MAX_REPS], sum = 0, sq = 0;
            for (int i = 0; i < n; i++) {
                xs[i] = v == 0 ? reps[i].real_us : v == 1 ? reps[i].cpu_us
                        : reps[i].counters[v - 2].value;
                sum += xs[i];
            }
            double mean = sum / n;
            for (int i = 0; i < n; i++)
                sq += (xs[i] - mean) * (xs[i] - mean);
            double sd = sqrt(sq / (n - 1));
            qsort(xs, (size_t)n, sizeof xs[0], pl_cmp_double);
            double median = n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
            out[v] = a == 0 ? mean : a == 1 ? median : a == 2 ? sd : (mean != 0 ? sd / mean : 0);
        }
        pl_counter c[PL_MPI_MAX_COUNTERS];
        for (int i = 0; i < reps[0].ncounters; i++)
            c[i] = (pl_counter){ reps[0].counters[i].name, out[2 + i] };
        pl_json_entry(f, first, name, family_index, n, "aggregate", 0, aggs[a], n, out[0], out[1],
                      c, reps[0].ncounters);
    }
}

static inline void pl_json_end(FILE *f)
{
    fprintf(f, "\n  ]\n}\n");
}

#endif

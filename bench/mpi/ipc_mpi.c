/* bench/mpi/ipc_mpi.c: MPI as one more IPC mechanism, between two ranks.
 *
 *   ipc_latency/mpi/bytes:B/cross:X     ping-pong: rank 0 MPI_Send's B bytes,
 *        rank 1 receives them and sends B bytes back; each round trip timed
 *        into a histogram (p50/p99/p999/mean counters), as bench_ipc does.
 *   ipc_throughput/mpi/bytes:B/cross:X  a one-way stream of B-byte messages
 *        (MPI_Send in a loop; Open MPI's own flow control, no window); each
 *        carries its sequence number (first 8 bytes) and its complement (last
 *        8); rank 1 counts, sums and checks them and reports at the end,
 *        inside the timed part.  A mismatch is an error in the JSON.
 *
 * cross:0 pins both ranks to one CPU, cross:1 to two (core/placement.h), as
 * for the fork-based mechanisms; mpirun is told --bind-to none.  Names,
 * counters and the JSON shape are bench_ipc's, so the scripts of scripts/families/ipc
 * place MPI in the same tables and plots once scripts/lib/merge_json.py has
 * added this program's JSON to ipc.json (scripts/families/ipc/extra.sh).
 *
 * Run: scripts/mpirun.sh --np 2 -- build/bin/ipc_mpi [--suite=quick|full]
 *      [--out=FILE] [--filter=REGEX]
 * Exit: 0, 1 a benchmark failed (its entry carries error_occurred), 2 bad
 * arguments or not run under mpirun.
 */
#include "mpi/gbjson.h"

#include "core/clock.h"
#include "core/histogram.h"
#include "core/placement.h"

#include <stdint.h>

enum { TAG_DATA = 1, TAG_REPORT = 2, LATENCY_WARMUP = 200, STREAM_WARMUP = 32 };
enum { OP_LATENCY = 1, OP_STREAM = 2, OP_DONE = 3 };

/* What rank 0 tells rank 1 before each run. */
struct order {
    int64_t op, bytes, cpu, count;
};

struct report {
    uint64_t count, sum, bad;
};

static void put_seq(unsigned char *buf, size_t bytes, uint64_t seq)
{
    memcpy(buf, &seq, sizeof seq);
    if (bytes >= 16) {
        uint64_t inv = ~seq;
        memcpy(buf + bytes - 8, &inv, sizeof inv);
    }
}

static bool seq_ok(const unsigned char *buf, size_t bytes, uint64_t *seq)
{
    memcpy(seq, buf, sizeof *seq);
    if (bytes < 16)
        return true;
    uint64_t inv;
    memcpy(&inv, buf + bytes - 8, sizeof inv);
    return inv == ~*seq;
}

/* ---- rank 1: answer orders until OP_DONE ---------------------------------- */
static void partner(unsigned char *buf)
{
    for (;;) {
        struct order o;
        pl_mpi_check(MPI_Bcast(&o, 4, MPI_INT64_T, 0, MPI_COMM_WORLD), "receive order");
        if (o.op == OP_DONE)
            return;
        if (pl_pin_self((int)o.cpu) == -1)
            pl_mpi_check(MPI_ERR_OTHER, "pinning rank 1");
        size_t bytes = (size_t)o.bytes;
        if (o.op == OP_LATENCY) {
            for (int64_t i = 0; i < o.count; i++) {
                pl_mpi_check(MPI_Recv(buf, (int)bytes, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD,
                                      MPI_STATUS_IGNORE), "recv");
                pl_mpi_check(MPI_Send(buf, (int)bytes, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD),
                             "send");
            }
        } else {
            struct report r = { 0, 0, 0 };
            for (int64_t i = 0; i < o.count; i++) {
                uint64_t seq;
                pl_mpi_check(MPI_Recv(buf, (int)bytes, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD,
                                      MPI_STATUS_IGNORE), "recv");
                if (!seq_ok(buf, bytes, &seq) || seq != r.count + 1)
                    r.bad++;
                r.count++;
                r.sum += seq;
            }
            pl_mpi_check(MPI_Send(&r, 3, MPI_UINT64_T, 0, TAG_REPORT, MPI_COMM_WORLD), "report");
        }
        pl_unpin_self();
    }
}

/* ---- rank 0: one repetition ---------------------------------------------- */
static const char *error;            /* set by a failed run: the entry says so */

static void order(int64_t op, int64_t bytes, int cpu, int64_t count)
{
    struct order o = { op, bytes, cpu, count };
    pl_mpi_check(MPI_Bcast(&o, 4, MPI_INT64_T, 0, MPI_COMM_WORLD), "send order");
}

/* `count` round trips after the warm-up; returns the timed seconds. */
static double pingpong(unsigned char *buf, size_t bytes, int partner_cpu, long count,
                       pl_hist *h)
{
    order(OP_LATENCY, (int64_t)bytes, partner_cpu, LATENCY_WARMUP + count);
    uint64_t start = 0, prev = 0;
    for (long i = 0; i < LATENCY_WARMUP + count; i++) {
        if (i == LATENCY_WARMUP)
            start = prev = pl_now_ns();
        uint64_t seq = (uint64_t)i + 1, back;
        put_seq(buf, bytes, seq);
        pl_mpi_check(MPI_Send(buf, (int)bytes, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD), "send");
        pl_mpi_check(MPI_Recv(buf, (int)bytes, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD,
                              MPI_STATUS_IGNORE), "recv");
        if (!seq_ok(buf, bytes, &back) || back != seq)
            error = "a reply carried another message";
        if (h && i >= LATENCY_WARMUP) {
            uint64_t now = pl_now_ns();
            pl_hist_add(h, now - prev);
            prev = now;
        }
    }
    return (double)(pl_now_ns() - start) / 1e9;
}

static double stream(unsigned char *buf, size_t bytes, int partner_cpu, long count)
{
    long total = STREAM_WARMUP + count;
    order(OP_STREAM, (int64_t)bytes, partner_cpu, total);
    uint64_t start = 0, sum = 0;
    for (long i = 0; i < total; i++) {
        if (i == STREAM_WARMUP)
            start = pl_now_ns();
        put_seq(buf, bytes, (uint64_t)i + 1);
        sum += (uint64_t)i + 1;
        pl_mpi_check(MPI_Send(buf, (int)bytes, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD), "send");
    }
    struct report r;
    pl_mpi_check(MPI_Recv(&r, 3, MPI_UINT64_T, 1, TAG_REPORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                 "report");
    double secs = (double)(pl_now_ns() - start) / 1e9;
    if (r.bad || r.count != (uint64_t)total || r.sum != sum)
        error = "the receiver's count or checksum differs from what was sent";
    return secs;
}

/* Round trips (or messages) for about min_s seconds, from a short trial. */
static long calibrate(unsigned char *buf, size_t bytes, int cpu, bool latency, double min_s)
{
    long n = 50;
    double s = latency ? pingpong(buf, bytes, cpu, n, NULL) : stream(buf, bytes, cpu, n);
    long want = s > 0 ? (long)(min_s / (s / n)) : 100000;
    return want < 100 ? 100 : want > 2000000 ? 2000000 : want;
}

static void run_case(FILE *f, bool *first, int fam, bool latency, size_t bytes, int cross,
                     int reps, double min_s, unsigned char *buf, int *failed)
{
    char name[128];
    snprintf(name, sizeof name, "%s/mpi/bytes:%zu/cross:%d",
             latency ? "ipc_latency" : "ipc_throughput", bytes, cross);
    pl_placement where;
    if (pl_placement_pick(cross, &where) == -1) {
        fprintf(stderr, "%s: skipped: %s\n", name,
                cross ? "cross placement needs two allowed CPUs" : "no CPU to run on");
        return;
    }
    if (pl_pin_self(where.self) == -1) {
        fprintf(stderr, "%s: pinning rank 0 failed\n", name);
        (*failed)++;
        return;
    }
    error = NULL;
    long count = calibrate(buf, bytes, where.partner, latency, min_s);
    pl_rep rep[PL_MPI_MAX_REPS];
    for (int i = 0; i < reps; i++) {
        pl_hist *h = latency ? pl_hist_new() : NULL;
        double cpu0 = pl_cpu_now_us();
        double s = latency ? pingpong(buf, bytes, where.partner, count, h)
                           : stream(buf, bytes, where.partner, count);
        pl_rep *r = &rep[i];
        *r = (pl_rep){ .iterations = count, .real_us = s * 1e6 / count,
                       .cpu_us = (pl_cpu_now_us() - cpu0) / count };
        double moved = latency ? 2.0 * (double)bytes : (double)bytes;
        pl_counter_set(r, "bytes", (double)bytes);
        pl_counter_set(r, "bytes_per_second", count * moved / s);
        pl_counter_set(r, "cpu_a", where.self);
        pl_counter_set(r, "cpu_b", where.partner);
        if (latency) {
            pl_counter_set(r, "items_per_second", count / s);
            pl_counter_set(r, "mean_ns", pl_hist_mean(h));
            pl_counter_set(r, "p50_ns", pl_hist_percentile(h, 50.0));
            pl_counter_set(r, "p999_ns", pl_hist_percentile(h, 99.9));
            pl_counter_set(r, "p99_ns", pl_hist_percentile(h, 99.0));
            pl_counter_set(r, "samples", (double)pl_hist_count(h));
            pl_hist_free(h);
        } else {
            pl_counter_set(r, "drop_ratio", 0);
            pl_counter_set(r, "dropped", 0);
            pl_counter_set(r, "items_per_second", count / s);
        }
    }
    pl_unpin_self();
    if (error) {
        /* Google Benchmark's form of a failed benchmark. */
        fprintf(f, "%s\n    {\n      \"name\": \"%s/real_time\",\n      \"family_index\": %d,\n"
                   "      \"per_family_instance_index\": 0,\n      \"run_name\": \"%s/real_time\",\n"
                   "      \"run_type\": \"iteration\",\n      \"repetitions\": %d,\n"
                   "      \"repetition_index\": 0,\n      \"threads\": 1,\n"
                   "      \"iterations\": 0,\n      \"real_time\": 0,\n      \"cpu_time\": 0,\n"
                   "      \"time_unit\": \"us\",\n      \"error_occurred\": true,\n"
                   "      \"error_message\": \"%s\"\n    }",
                *first ? "" : ",", name, fam, name, reps, error);
        *first = false;
        fprintf(stderr, "%s: FAILED: %s\n", name, error);
        (*failed)++;
        return;
    }
    pl_json_benchmark(f, first, name, fam, rep, reps);
    fprintf(stderr, "%s: %.3f us\n", name, rep[reps / 2].real_us);
}

int main(int argc, char **argv)
{
    pl_mpi_args a;
    pl_mpi_parse(argc, argv, "MPI ping-pong latency and streaming throughput between two ranks,\n"
                 "as the mechanism 'mpi' of the IPC family (Google Benchmark JSON).", &a);
    pl_mpi_check(MPI_Init(&argc, &argv), "MPI_Init");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 2) {
        if (rank == 0)
            fprintf(stderr, "%s: needs exactly 2 ranks (mpirun -np 2), not %d\n", a.prog, size);
        MPI_Finalize();
        return 2;
    }
    /* The sizes of bench_ipc's suites. */
    static const size_t quick_lat[] = { 64, 4096 }, quick_thr[] = { 64, 65536, 1 << 20 };
    static const size_t full_lat[] = { 8, 64, 512, 4096, 32768, 65536 };
    static const size_t full_thr[] = { 64, 512, 4096, 65536, 262144, 1 << 20 };
    const size_t *lat = a.full ? full_lat : quick_lat, *thr = a.full ? full_thr : quick_thr;
    size_t nlat = a.full ? 6 : 2, nthr = a.full ? 6 : 3;
    unsigned char *buf = calloc(1, 1 << 20);
    if (buf == NULL)
        pl_mpi_check(MPI_ERR_NO_MEM, "allocating the message buffer");
    if (rank == 1) {
        partner(buf);
        free(buf);
        MPI_Finalize();
        return 0;
    }

    FILE *f = a.out ? fopen(a.out, "w") : stdout;
    if (f == NULL) {
        perror(a.out);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    pl_json_begin(f, argv[0], "ipc", a.full, "    \"mpi_transport\": \"self,vader (shared memory)\",\n");
    bool first = true;
    int failed = 0, reps = a.full ? 5 : 3;
    double min_s = a.full ? 0.3 : 0.05;        /* bench_ipc's min_time per suite */
    for (int pass = 0; pass < 2; pass++) {
        bool latency = pass == 0;
        for (size_t i = 0; i < (latency ? nlat : nthr); i++)
            for (int cross = 0; cross <= 1; cross++) {
                char name[128];
                size_t bytes = latency ? lat[i] : thr[i];
                snprintf(name, sizeof name, "%s/mpi/bytes:%zu/cross:%d",
                         latency ? "ipc_latency" : "ipc_throughput", bytes, cross);
                if (pl_mpi_wanted(&a, name))
                    run_case(f, &first, 100 + pass, latency, bytes, cross, reps, min_s, buf,
                             &failed);
            }
    }
    order(OP_DONE, 0, 0, 0);
    pl_json_end(f);
    if (f != stdout && fclose(f) == EOF) {
        perror(a.out);
        failed++;
    }
    free(buf);
    MPI_Finalize();
    if (failed)
        fprintf(stderr, "%s: %d benchmarks failed\n", a.prog, failed);
    return failed ? 1 : 0;
}

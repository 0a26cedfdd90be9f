// bench/bench_pool.cc: pool scaling -- N independent tasks of G us of CPU
// work on W workers, by every pool kind of the registry (bench/pool/).
//
//   pool/KIND/workers:W/grain_us:G/chunk:C       C = 1, 16 or auto (Python's
//        rule, pool_auto_chunksize); kinds without chunks register one C
//   pool_skew/KIND/workers:W/grain_us:G/chunk:C  the same, but the first
//        1/W of the tasks cost 3G: a fixed split (static_shards) leaves one
//        worker with most of the work, a queue (shm) balances it
//
// One iteration is one task: a batch of n tasks is timed as a whole
// (manual time), so real_time is wall-clock time per task and
// items_per_second tasks per second.  The pool is created and warmed up
// (every worker has run a task) before timing.  Counters:
//   overhead_us_per_task  per-task overhead beyond the grain, microseconds: what a
//                 worker spends per task beyond its own work,
//                 real_time x W - mean grain
//   workers, grain_us, chunksize (what was used), tasks_per_batch
//   speedup, efficiency  time per task at W = 1 (the median of its
//                 repetitions, same kind, grain, chunk and skew: registered
//                 and run just before) / at W; efficiency = speedup / W.
//                 Absent when no W = 1 run came before (a filter left it out).
// The work is a loop calibrated once (bench/pool/work.h); the JSON context
// has its turns per microsecond.  --trace FILE writes one short run's worker
// timeline (CSV, CONVENTIONS 3) and exits.
#include "core/gbench.hh"

extern "C" {
#include "core/clock.h"
#include "core/stop.h"
#include "pool/kind.h"
#include "pool/work.h"
}

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <sched.h>
#include <string>
#include <vector>

namespace {

struct pool_case {
    const pl_pool_kind *kind;
    int workers;
    int grain_us;
    size_t chunk;        // 0: automatic
    bool skew;
};

// Tasks per timed batch: about 20 ms of work spread over W workers, at
// least 16 per worker, a multiple of W; a process per task: at most 200.
size_t batch_size(const pool_case &c)
{
    size_t w = (size_t)c.workers;
    size_t n = (size_t)(20000.0 * (double)w / (c.grain_us + 1.0));
    if (n > 20000)
        n = 20000;
    if ((c.kind->caps & PL_POOL_SLOW_START) && n > 200)
        n = 200;
    if (n < 16 * w)
        n = 16 * w;
    return n / w * w;
}

std::vector<uint64_t> task_turns(const pool_case &c, size_t n)
{
    uint64_t t = pl_work_turns(c.grain_us);
    std::vector<uint64_t> turns(n, t);
    if (c.skew)
        for (size_t i = 0; i < n / (size_t)c.workers; i++)
            turns[i] = 3 * t;
    return turns;
}

// Time per task of every repetition of each W = 1 case, for the speedup of
// the same case with more workers (Google Benchmark runs all repetitions of
// one benchmark before the next).  Within the first repetition Google
// Benchmark calls the function again with more iterations until min_time is
// reached, and reports only the last call; later repetitions reuse that
// count.  So a call with more tasks than the one before replaces it (the
// same repetition, measured longer); one with as many starts a repetition.
struct one_run { uint64_t tasks; double per_task_ns; };
std::map<std::string, std::vector<one_run>> one_worker_ns;

std::string case_key(const pool_case &c)
{
    return std::string(c.kind->name) + "/" + std::to_string(c.grain_us) + "/" +
           std::to_string(c.chunk) + (c.skew ? "/skew" : "");
}

double median(const std::vector<one_run> &runs)
{
    std::vector<double> v;
    for (const one_run &r : runs)
        v.push_back(r.per_task_ns);
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string failure(const pool_case &c, void *ctx, const char *what, int err)
{
    std::string s = std::string(what) + ": " + std::strerror(err);
    const char *more = ctx ? c.kind->last_error(ctx) : "";
    if (more && *more)
        s += std::string(" (") + more + ")";
    return s;
}

void bm_pool(benchmark::State &state, pool_case c)
{
    size_t n = batch_size(c);
    std::vector<uint64_t> turns = task_turns(c, n);
    void *ctx = c.kind->create(c.workers, 0);
    if (!ctx) {
        pl_skip(state, failure(c, nullptr, "creating the pool", errno));
        return;
    }
    size_t warm = 4 * (size_t)c.workers < n ? 4 * (size_t)c.workers : n;
    if (c.kind->run(ctx, turns.data() + (n - warm), warm, c.chunk) == -1) {
        pl_skip(state, failure(c, ctx, "warm-up", errno));
        c.kind->destroy(ctx);
        return;
    }
    uint64_t total_ns = 0, tasks = 0;
    while (state.KeepRunningBatch((benchmark::IterationCount)n)) {
        uint64_t t0 = pl_now_ns();
        int rc = c.kind->run(ctx, turns.data(), n, c.chunk);
        uint64_t dt = pl_now_ns() - t0;
        if (rc == -1) {
            state.SkipWithError(failure(c, ctx, "running the tasks", errno).c_str());
            break;
        }
        state.SetIterationTime((double)dt * 1e-9);
        total_ns += dt;
        tasks += n;
    }
    double sum = 0;
    for (uint64_t t : turns)
        sum += (double)t;
    double mean_grain_us = sum / (double)n / pl_work_turns_per_us();
    state.SetItemsProcessed((int64_t)tasks);
    state.counters["workers"] = c.workers;
    state.counters["grain_us"] = c.grain_us;
    state.counters["mean_grain_us"] = mean_grain_us;
    state.counters["chunksize"] = (double)c.kind->chunk_used(ctx, n, c.chunk);
    state.counters["tasks_per_batch"] = (double)n;
    state.counters["overhead_us_per_task"] =
        tasks ? (double)total_ns / 1000.0 / (double)tasks * c.workers - mean_grain_us : 0.0;
    if (tasks && !state.error_occurred()) {
        double per_task_ns = (double)total_ns / (double)tasks;
        auto one = one_worker_ns.find(case_key(c));
        if (c.workers == 1) {
            std::vector<one_run> &runs = one_worker_ns[case_key(c)];
            if (!runs.empty() && tasks > runs.back().tasks)
                runs.back() = {tasks, per_task_ns};
            else
                runs.push_back({tasks, per_task_ns});
        } else if (one != one_worker_ns.end() && !one->second.empty()) {
            double speedup = median(one->second) / per_task_ns;
            state.counters["speedup"] = speedup;
            state.counters["efficiency"] = speedup / c.workers;
        }
    }
    c.kind->destroy(ctx);
}

// ---- registration ----------------------------------------------------------
int cpus()
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

std::vector<int> workers_for(pl_suite suite)
{
    if (suite == pl_suite::quick)
        return {1, 2};
    std::vector<int> w;
    for (int n = 1; n < 2 * cpus(); n *= 2)
        w.push_back(n);
    w.push_back(2 * cpus());
    return w;
}

std::string chunk_name(size_t chunk)
{
    return chunk ? std::to_string(chunk) : "auto";
}

void add(const std::string &family, const pool_case &c)
{
    std::string name = family + "/" + c.kind->name + "/workers:" + std::to_string(c.workers) +
                       "/grain_us:" + std::to_string(c.grain_us) + "/chunk:" +
                       chunk_name(c.chunk);
    benchmark::RegisterBenchmark(name.c_str(), bm_pool, c)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
}

// The chunk sizes a kind is measured with.  Quick: 1 and auto for shm (the
// pair Python's Pool.map is compared with), 1 for the other queues.
std::vector<size_t> chunks_for(const pl_pool_kind *k, pl_suite suite)
{
    if (!(k->caps & PL_POOL_CHUNKED))
        return {std::strcmp(k->name, "static_shards") == 0 ? (size_t)0 : (size_t)1};
    if (suite == pl_suite::full)
        return {1, 16, 0};
    if (std::strcmp(k->name, "shm") == 0)
        return {1, 0};
    return {1};
}

void register_all(pl_suite suite)
{
    std::vector<int> grains = suite == pl_suite::quick ? std::vector<int>{0, 1000}
                                                       : std::vector<int>{0, 10, 100, 1000};
    std::string names;
    for (const pl_pool_kind *const *k = pl_pool_kinds; *k; k++)
        names += (names.empty() ? "" : " ") + std::string((*k)->name);
    benchmark::AddCustomContext("pool_kinds", names);
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.3f", pl_work_turns_per_us());
    benchmark::AddCustomContext("pool_work_turns_per_us", rate);
    benchmark::AddCustomContext("pool_cpus", std::to_string(cpus()));

    for (const pl_pool_kind *const *k = pl_pool_kinds; *k; k++)
        for (int g : grains)
            for (size_t c : chunks_for(*k, suite))
                for (int w : workers_for(suite))
                    add("pool", pool_case{*k, w, g, c, false});
    // Skewed tasks: a fixed split against a queue.
    std::vector<int> skew_workers =
        suite == pl_suite::quick ? std::vector<int>{2} : workers_for(suite);
    for (const char *name : {"shm", "static_shards"}) {
        const pl_pool_kind *k = pl_pool_kind_find(name);
        for (int w : skew_workers)
            if (k && w > 1)
                add("pool_skew", pool_case{k, w, 100, k->caps & PL_POOL_CHUNKED ? 1u : 0u, true});
    }
}

void list_kinds()
{
    std::printf("%-16s %s\n", "kind", "what it is");
    for (const pl_pool_kind *const *k = pl_pool_kinds; *k; k++)
        std::printf("%-16s %s\n", (*k)->name, (*k)->summary);
}

// One short traced run: shm, 2 workers (1 on one CPU), skewed tasks of
// 200 us, chunk 1; the timeline as CSV.
int write_trace(const char *path)
{
    const pl_pool_kind *k = pl_pool_kind_find("shm");
    pool_case c{k, cpus() >= 2 ? 2 : 1, 200, 1, true};
    std::vector<uint64_t> turns = task_turns(c, 40);
    void *ctx = k->create(c.workers, 1);
    if (!ctx) {
        std::fprintf(stderr, "bench_pool: --trace: %s\n", failure(c, nullptr, "pool", errno).c_str());
        return 1;
    }
    int rc = k->run(ctx, turns.data(), turns.size(), c.chunk) == -1 ? -1 : k->trace(ctx, path);
    if (rc == -1)
        std::fprintf(stderr, "bench_pool: --trace %s: %s\n", path,
                     failure(c, ctx, "", errno).c_str());
    k->destroy(ctx);
    return rc == -1 ? 1 : 0;
}

} // namespace

int main(int argc, char **argv)
{
    // Ctrl-C/SIGTERM: die at once; every worker dies with us
    // (PR_SET_PDEATHSIG) and the pools' shared memory is anonymous.
    if (pl_stop_install(nullptr) == -1) {
        std::perror("bench_pool: sigaction");
        return 1;
    }
    std::vector<pl_flag> flags = {
        {"list", "list the pool kinds, then exit",
         [](const char *v) {
             if (*v != '\0')
                 return false;
             list_kinds();
             std::exit(0);
             return true;
         }},
        {"trace", "=FILE write one short run's worker timeline (CSV: lane,start_s,end_s,label) and exit",
         [](const char *v) {
             if (*v == '\0')
                 return false;
             std::exit(write_trace(v));
             return true;
         }},
    };
    pl_suite_defaults defaults;
    // Speedup and efficiency divide by the W = 1 case of the same kind, grain
    // and chunk, which must have run first: keep registration order (W = 1
    // first) rather than interleave repetitions at random.
    defaults.random_interleaving = false;
    defaults.quick_repetitions = 3;
    defaults.quick_min_time = 0.05;
    defaults.full_repetitions = 5;
    defaults.full_min_time = 0.2;
    return pl_gbench_main(
        argc, argv, "pool",
        "Pool scaling: N tasks of G us of calibrated CPU work on W workers, by every\n"
        "pool kind of the registry (--list), with per-task overhead beyond the grain.",
        register_all, flags, defaults);
}

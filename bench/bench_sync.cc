// bench/bench_sync.cc: lock contention between processes.
//
//   sync/LOCK/procs:P    P worker processes, each pinned (round-robin over
//                        the allowed CPUs), doing lock; counter++; unlock on
//                        one lock as fast as they can.
//
// One iteration is one round (see sync/crowd.h): every worker runs
// ops_per_round critical sections.  items_per_second is critical sections
// per second summed over all workers; ns_per_op is wall-clock nanoseconds
// of the timed loop per critical section (all workers together).  After the
// run the shared counter must equal the number of critical sections, or
// the benchmark fails: a lock that does not exclude cannot look fast.
#include "core/gbench.hh"

extern "C" {
#include "core/clock.h"
#include "core/stop.h"
#include "sync/crowd.h"
#include "sync/lock.h"
}

#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

static int kill_worker_after = -1;   // hidden test hook: --kill-worker-after=ROUNDS

// Ctrl-C and SIGTERM (core/stop.h): while a benchmark holds a lock (a
// System V semaphore set, a lock file in a private directory) the handler
// only kills the workers: the round in progress fails, run_contention()
// removes the lock's objects, and then the signal is raised again.
static void run_contention_session(benchmark::State &state, const pl_lock_kind *kind);

static void run_contention(benchmark::State &state, const pl_lock_kind *kind)
{
    pl_stop_session_begin();
    run_contention_session(state, kind);
    pl_stop_session_end();
}

static void run_contention_session(benchmark::State &state, const pl_lock_kind *kind)
{
    const int procs = (int)state.range(0);
    pl_lock *lock = kind->create();
    if (!lock) {
        pl_skip(state, std::string("create: ") + std::strerror(errno));
        return;
    }
    pl_crowd *crowd = pl_crowd_start(kind, lock, procs);
    if (!crowd) {
        pl_skip(state, std::string("starting workers: ") + std::strerror(errno));
        kind->destroy(lock);
        return;
    }
    if (pl_stop_requested())         // came while the workers were starting
        pl_crowd_kill_running();
    // Warm-up and sizing: rounds of about 5 ms.
    if (pl_crowd_calibrate(crowd, 5.0) == -1) {
        pl_skip(state, std::string("warm-up: ") + std::strerror(errno));
        pl_crowd_stop(crowd);
        kind->destroy(lock);
        return;
    }
    long before = pl_crowd_expected(crowd);
    long rounds = 0;
    uint64_t t0 = pl_now_ns();
    for (auto _ : state) {
        if (kill_worker_after >= 0 && rounds == kill_worker_after)
            pl_crowd_kill_worker(crowd, 0);
        if (pl_crowd_round(crowd) == -1) {
            const char *why = errno == EPIPE ? "a worker died mid-benchmark"
                              : errno == EIO ? "a critical section failed"
                                             : std::strerror(errno);
            state.SkipWithError(why);
            break;
        }
        rounds++;
    }
    uint64_t elapsed_ns = pl_now_ns() - t0;
    long ops = pl_crowd_expected(crowd) - before;
    long counter = pl_crowd_counter(crowd), expected = pl_crowd_expected(crowd);
    if (!state.error_occurred() && counter != expected) {
        std::string msg = "lost updates: counter " + std::to_string(counter) +
                          " != " + std::to_string(expected);
        state.SkipWithError(msg.c_str());
    }
    state.SetItemsProcessed(ops);
    state.counters["procs"] = procs;
    state.counters["ops_per_round"] = (double)pl_crowd_ops_per_round(crowd);
    state.counters["ns_per_op"] = ops > 0 ? (double)elapsed_ns / (double)ops : 0.0;
    if (pl_crowd_stop(crowd) == -1 && !state.error_occurred())
        state.SkipWithError("a worker did not exit cleanly");
    kind->destroy(lock);
}

static std::vector<int> procs_for(pl_suite suite)
{
    if (suite == pl_suite::quick)
        return {1, 2, 4};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    std::vector<int> p;
    for (int n = 1; n < 2 * ncpu && n <= 32; n *= 2)
        p.push_back(n);
    p.push_back((int)(2 * ncpu > 64 ? 64 : 2 * ncpu));
    if (p.size() < 3 || p.back() < 4)
        p = {1, 2, 4};
    return p;
}

int main(int argc, char **argv)
{
    std::vector<pl_flag> flags = {
        {"list", "list the lock kinds (the registry), then exit",
         [](const char *v) {
             if (*v != '\0')
                 return false;
             std::printf("%-10s %s\n", "lock", "what it is");
             for (const pl_lock_kind *const *k = pl_lock_kinds; *k; k++)
                 std::printf("%-10s %s\n", (*k)->name, (*k)->summary);
             std::exit(0);
             return true;
         }},
        {"kill-worker-after", "(testing) SIGKILL worker 0 after N rounds",
         [](const char *v) {
             // Range-checked before the cast: 4294967297 must not become 1.
             char *end;
             errno = 0;
             long n = std::strtol(v, &end, 10);
             if (*v == '\0' || *end != '\0' || errno || n < 0 || n > INT_MAX)
                 return false;
             kill_worker_after = (int)n;
             return true;
         }},
    };
    if (pl_stop_install(pl_crowd_kill_running) == -1) {
        std::perror("bench_sync: sigaction");
        return 1;
    }
    pl_suite_defaults defaults;
    defaults.quick_min_time = 0.05;
    defaults.full_min_time = 0.5;
    return pl_gbench_main(
        argc, argv, "sync",
        "Lock contention: P processes doing lock/counter++/unlock on one lock.",
        [](pl_suite suite) {
            std::string names;   // the registry, in order, for the scripts
            for (const pl_lock_kind *const *k = pl_lock_kinds; *k; k++)
                names += (names.empty() ? "" : " ") + std::string((*k)->name);
            benchmark::AddCustomContext("sync_locks", names);
            for (const pl_lock_kind *const *k = pl_lock_kinds; *k; k++) {
                auto *b = benchmark::RegisterBenchmark(
                    (std::string("sync/") + (*k)->name).c_str(), run_contention, *k);
                for (int p : procs_for(suite))
                    b->Arg(p);
                b->ArgName("procs")->UseRealTime()->Unit(benchmark::kMillisecond);
            }
        },
        flags, defaults);
}

// bench/core/gbench.hh: what every Google Benchmark driver shares.
//
// A driver (bench/bench_FAMILY.cc) only registers benchmarks; this header
// gives it
//   - pl_gbench_main(): the whole main().  It takes proclab's own flags
//       --suite=quick|full   which sweep to register (default quick)
//       --help               proclab's flags, then Google Benchmark's
//     and any flags the driver declares (extra_flags), hands the rest to
//     Google Benchmark (--benchmark_filter, --benchmark_format=json,
//     --benchmark_repetitions, --benchmark_out ...), and exits 2 with a
//     message on any flag neither knows.  It records the suite and the
//     placement policy in the JSON "context".
//     Unless the user gives them, it passes Google Benchmark the suite's
//     defaults (pl_suite_defaults: repetitions 3 quick / 9 full, a minimum
//     time per repetition, aggregates only on the console), so every
//     benchmark of a family gets them and the user can still override them
//     on the command line (a per-benchmark ->Repetitions() could not be).
//   - pl_set_latency_counters(): p50/p99/p99.9/mean of a per-operation
//     histogram as user counters (ns), so every run in the JSON carries its
//     own tail latencies.
#ifndef PROCLAB_BENCH_GBENCH_HH
#define PROCLAB_BENCH_GBENCH_HH

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/histogram.h"

enum class pl_suite { quick, full };

struct pl_suite_defaults {
    int quick_repetitions = 3;
    int full_repetitions = 9;
    double quick_min_time = 0.05;   // seconds per repetition
    double full_min_time = 0.5;
};

// A driver-specific flag "--NAME=VALUE" (or "--NAME" alone: value "").
struct pl_flag {
    const char *name;                         // without the leading "--"
    const char *help;                         // one line for --help
    std::function<bool(const char *value)> set;  // false: bad value (exit 2)
};

// Fail a benchmark before its timed loop.  The loop is entered anyway (it
// runs no iteration): Google Benchmark 1.7 aborts the whole program when
// the repetitions of one benchmark disagree on their iteration count, as
// they would if one repetition failed before the loop and another did not.
inline void pl_skip(benchmark::State &state, const std::string &why)
{
    state.SkipWithError(why.c_str());
    for (auto _ : state)
        break;
}

inline void pl_set_latency_counters(benchmark::State &state, const pl_hist *h)
{
    state.counters["p50_ns"] = pl_hist_percentile(h, 50.0);
    state.counters["p99_ns"] = pl_hist_percentile(h, 99.0);
    state.counters["p999_ns"] = pl_hist_percentile(h, 99.9);
    state.counters["mean_ns"] = pl_hist_mean(h);
    state.counters["samples"] = (double)pl_hist_count(h);
}

inline int pl_gbench_main(int argc, char **argv, const char *family,
                          const char *description,
                          const std::function<void(pl_suite)> &register_benchmarks,
                          const std::vector<pl_flag> &extra_flags = {},
                          const pl_suite_defaults &defaults = pl_suite_defaults())
{
    const char *prog = std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0];
    pl_suite suite = pl_suite::quick;
    std::vector<char *> rest{argv[0]};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0) {
            std::printf("Usage: %s [--suite=quick|full] [FLAGS] [GOOGLE BENCHMARK FLAGS]\n"
                        "%s\n\n"
                        "  --suite=quick|full   which sweep to run (default quick)\n",
                        prog, description);
            for (const pl_flag &f : extra_flags)
                std::printf("  --%-19s %s\n", f.name, f.help);
            std::printf("\nBenchmark names: %s/...; every Google Benchmark flag works, e.g.\n"
                        "  --benchmark_filter=REGEX --benchmark_repetitions=N\n"
                        "  --benchmark_format=json --benchmark_out=FILE --benchmark_list_tests\n"
                        "(Google Benchmark's own --help follows)\n\n", family);
            std::fflush(stdout);
            char *gb_argv[] = {argv[0], (char *)"--help", nullptr};
            int gb_argc = 2;
            benchmark::Initialize(&gb_argc, gb_argv);  // prints and exits 0
            return 0;
        }
        if (std::strncmp(a, "--suite=", 8) == 0) {
            if (std::strcmp(a + 8, "quick") == 0)
                suite = pl_suite::quick;
            else if (std::strcmp(a + 8, "full") == 0)
                suite = pl_suite::full;
            else {
                std::fprintf(stderr, "%s: --suite must be quick or full, not '%s'\n", prog, a + 8);
                return 2;
            }
            continue;
        }
        bool taken = false;
        for (const pl_flag &f : extra_flags) {
            size_t n = std::strlen(f.name);
            if (std::strncmp(a, "--", 2) == 0 && std::strncmp(a + 2, f.name, n) == 0 &&
                (a[2 + n] == '\0' || a[2 + n] == '=')) {
                const char *value = a[2 + n] == '=' ? a + 3 + n : "";
                if (!f.set(value)) {
                    std::fprintf(stderr, "%s: bad value for --%s: '%s'\n", prog, f.name, value);
                    return 2;
                }
                taken = true;
                break;
            }
        }
        if (!taken)
            rest.push_back(argv[i]);
    }
    // The suite's defaults, unless given on the command line.
    auto given = [&](const char *flag) {
        for (char *a : rest)
            if (std::strncmp(a, flag, std::strlen(flag)) == 0)
                return true;
        return false;
    };
    bool full = suite == pl_suite::full;
    std::vector<std::string> injected;
    if (!given("--benchmark_repetitions"))
        injected.push_back("--benchmark_repetitions=" +
                           std::to_string(full ? defaults.full_repetitions
                                               : defaults.quick_repetitions));
    if (!given("--benchmark_min_time"))
        injected.push_back("--benchmark_min_time=" +
                           std::to_string(full ? defaults.full_min_time
                                               : defaults.quick_min_time));
    if (!given("--benchmark_display_aggregates_only"))
        injected.push_back("--benchmark_display_aggregates_only=true");
    for (std::string &a : injected)
        rest.insert(rest.begin() + 1, &a[0]);
    rest.push_back(nullptr);
    int rest_argc = (int)rest.size() - 1;
    benchmark::Initialize(&rest_argc, rest.data());
    if (rest_argc > 1) {
        std::fprintf(stderr, "%s: unknown argument '%s'\nTry '%s --help'.\n", prog, rest[1], prog);
        return 2;
    }
    benchmark::AddCustomContext("proclab_family", family);
    benchmark::AddCustomContext("proclab_suite", suite == pl_suite::full ? "full" : "quick");
    register_benchmarks(suite);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

#endif

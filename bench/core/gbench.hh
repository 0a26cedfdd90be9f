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
//     time per repetition, repetitions randomly interleaved, aggregates
//     only on the console), so every
//     benchmark of a family gets them and the user can still override them
//     on the command line (a per-benchmark ->Repetitions() could not be).
//     It checks the Google Benchmark flags it relies on before handing them
//     over (repetitions 1..1000, minimum time (0, 60] s, formats), bounds
//     the whole run (--time-limit), and exits 0 when every benchmark ran,
//     1 when any ended with an error (names on stderr, results still
//     written), 2 on bad arguments or a filter that matches nothing.
//   - pl_set_latency_counters(): p50/p99/p99.9/mean of a per-operation
//     histogram as user counters (ns), so every run in the JSON carries its
//     own tail latencies.
#ifndef PROCLAB_BENCH_GBENCH_HH
#define PROCLAB_BENCH_GBENCH_HH

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "core/histogram.h"

enum class pl_suite { quick, full };

struct pl_suite_defaults {
    int quick_repetitions = 3;
    int full_repetitions = 9;
    double quick_min_time = 0.05;   // seconds per repetition
    double full_min_time = 0.5;
    // Repetitions of different benchmarks run in random order (Google
    // Benchmark's --benchmark_enable_random_interleaving), so a slow phase
    // of the machine (another process, a frequency change) spreads over
    // many benchmarks instead of spoiling every repetition of one.
    bool random_interleaving = true;
};

// The minimum time per repetition this run uses (the suite's default or
// --benchmark_min_time), known before registration: a driver may give a
// benchmark that needs longer repetitions a multiple of it (->MinTime()).
inline double pl_min_time_s = 0.05;

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

// ---- pl_gbench_main's checks ------------------------------------------------
// The Google Benchmark flags the driver relies on are checked before Google
// Benchmark sees them: 1.7 aborts on --benchmark_repetitions=-1, runs
// without end on --benchmark_min_time=1e18 and takes an empty or unknown
// value silently.
namespace pl_gbench_detail {

constexpr int max_repetitions = 1000;
constexpr double max_min_time = 60.0;          // seconds per repetition
constexpr long max_time_limit = 7 * 24 * 3600; // seconds
constexpr long quick_time_limit = 3600;        // default bounds of a whole run
constexpr long full_time_limit = 24 * 3600;

inline bool whole(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

// A real number in (lo, hi] (lo_open) or [lo, hi].
inline bool real(const char *v, double lo, bool lo_open, double hi)
{
    char *end;
    errno = 0;
    double x = std::strtod(v, &end);
    if (*v == '\0' || *end != '\0' || errno || !std::isfinite(x))
        return false;
    return (lo_open ? x > lo : x >= lo) && x <= hi;
}

inline bool one_of(const char *v, std::initializer_list<const char *> words)
{
    for (const char *w : words)
        if (std::strcmp(v, w) == 0)
            return true;
    return false;
}

inline bool boolean(const char *v, bool *out)
{
    if (one_of(v, {"true", "1", "yes", ""}))
        *out = true;
    else if (one_of(v, {"false", "0", "no"}))
        *out = false;
    else
        return false;
    return true;
}

// "--benchmark_NAME=" prefix of a: the value after it, else nullptr.
inline const char *value_of(const char *a, const char *flag)
{
    size_t n = std::strlen(flag);
    return std::strncmp(a, flag, n) == 0 && a[n] == '=' ? a + n + 1 : nullptr;
}

// A Google Benchmark flag with a bad value: a message, false.
inline bool check_gbench_flag(const char *prog, const char *a)
{
    const char *v;
    const char *why = nullptr;
    long n;
    if ((v = value_of(a, "--benchmark_repetitions"))) {
        if (!whole(v, 1, max_repetitions, &n))
            why = "a whole number of repetitions from 1 to 1000";
    } else if ((v = value_of(a, "--benchmark_min_time"))) {
        if (!real(v, 0, true, max_min_time))
            why = "seconds per repetition, more than 0 and at most 60";
    } else if ((v = value_of(a, "--benchmark_min_warmup_time"))) {
        if (!real(v, 0, false, max_min_time))
            why = "seconds of warm-up, from 0 to 60";
    } else if ((v = value_of(a, "--benchmark_format")) ||
               (v = value_of(a, "--benchmark_out_format"))) {
        if (!one_of(v, {"console", "json", "csv"}))
            why = "console, json or csv";
    } else if ((v = value_of(a, "--benchmark_out"))) {
        if (*v == '\0')
            why = "a file name";
    }
    if (!why)
        return true;
    std::fprintf(stderr, "%s: bad value in '%s': wanted %s\nTry '%s --help'.\n", prog, a, why,
                 prog);
    return false;
}

// Watches what is reported: remembers every benchmark that ended with an
// error, and shows only the aggregates on the console when asked (the
// driver's default).  Google Benchmark's own --benchmark_display_aggregates_only
// would hide an errored repetition from any display reporter when the other
// repetitions succeeded, so this reporter asks for every run and filters
// itself: a batch of repetitions is followed by aggregates exactly when at
// least two of them succeeded (1.7's ComputeStats), and then it is not shown.
class error_watch : public benchmark::BenchmarkReporter {
public:
    error_watch(benchmark::BenchmarkReporter *inner, bool aggregates_only)
        : inner_(inner), aggregates_only_(aggregates_only) {}

    bool ReportContext(const Context &context) override { return inner_->ReportContext(context); }

    void ReportRuns(const std::vector<Run> &runs) override
    {
        size_t good = 0;
        bool aggregates = false;
        for (const Run &r : runs) {
            if (r.error_occurred) {
                std::string name = r.benchmark_name();
                if (std::find(errored_.begin(), errored_.end(), name) == errored_.end())
                    errored_.push_back(name);
            } else if (r.run_type == Run::RT_Iteration) {
                good++;
            }
            aggregates |= r.run_type == Run::RT_Aggregate;
        }
        if (aggregates_only_ && !aggregates && good >= 2)
            return;                 // the aggregates come next and stand for these
        inner_->ReportRuns(runs);
    }

    void Finalize() override { inner_->Finalize(); }

    const std::vector<std::string> &errored() const { return errored_; }

private:
    benchmark::BenchmarkReporter *inner_;
    bool aggregates_only_;
    std::vector<std::string> errored_;
};

// Ends the run when it has lasted too long: SIGTERM to the whole process
// (every family cleans up on SIGTERM and dies of it), SIGKILL 10 s later if
// that did not end it.  A POSIX timer with a real-time signal (SIGRTMAX,
// which no family uses), not a thread: no thread to start (it could fail
// under RLIMIT_NPROC), nothing inherited by the children a benchmark forks
// (timers are not).
inline char time_limit_message[200];
inline timer_t time_limit_timer;

inline void on_time_limit(int)
{
    static volatile sig_atomic_t fired = 0;
    int saved = errno;
    if (fired++ == 0) {
        ssize_t ignored = write(STDERR_FILENO, time_limit_message, std::strlen(time_limit_message));
        (void)ignored;
        struct itimerspec again = {{0, 0}, {10, 0}};
        timer_settime(time_limit_timer, 0, &again, nullptr);
        kill(getpid(), SIGTERM);
    } else {
        kill(getpid(), SIGKILL);
    }
    errno = saved;
}

// 0, or -1 with a message: no bound could be set.
inline int start_time_limit(const char *prog, long seconds)
{
    std::snprintf(time_limit_message, sizeof time_limit_message,
                  "%s: time limit of %ld s reached (--time-limit); stopping\n", prog, seconds);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_time_limit;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    struct sigevent ev;
    std::memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMAX;      // SIGRTMIN+1, +2: bench/ipc/signal.c's doorbells
    struct itimerspec when = {{0, 0}, {seconds, 0}};
    if (sigaction(SIGRTMAX, &sa, nullptr) == -1 ||
        timer_create(CLOCK_MONOTONIC, &ev, &time_limit_timer) == -1 ||
        timer_settime(time_limit_timer, 0, &when, nullptr) == -1) {
        std::fprintf(stderr, "%s: cannot set the time limit: %s\n", prog, std::strerror(errno));
        return -1;
    }
    return 0;
}

} // namespace pl_gbench_detail

// Exit status: 0 every benchmark ran, 1 some ended with an error (their
// names on stderr; the results are still written), 2 bad arguments, among
// them a --benchmark_filter that is not a regular expression or matches
// nothing.
inline int pl_gbench_main(int argc, char **argv, const char *family,
                          const char *description,
                          const std::function<void(pl_suite)> &register_benchmarks,
                          const std::vector<pl_flag> &extra_flags = {},
                          const pl_suite_defaults &defaults = pl_suite_defaults())
{
    namespace d = pl_gbench_detail;
    const char *prog = std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0];
    pl_suite suite = pl_suite::quick;
    long time_limit = 0;                     // 0: the suite's default
    bool aggregates_only = true;
    bool list_only = false;
    std::vector<char *> rest{argv[0]};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0) {
            std::printf("Usage: %s [--suite=quick|full] [FLAGS] [GOOGLE BENCHMARK FLAGS]\n"
                        "%s\n\n"
                        "  --suite=quick|full   which sweep to run (default quick)\n"
                        "  --time-limit=SECONDS stop the whole run after SECONDS (default %ld\n"
                        "                       quick, %ld full; at most %ld)\n",
                        prog, description, d::quick_time_limit, d::full_time_limit,
                        d::max_time_limit);
            for (const pl_flag &f : extra_flags)
                std::printf("  --%-19s %s\n", f.name, f.help);
            std::printf("\nBenchmark names: %s/...; every Google Benchmark flag works, e.g.\n"
                        "  --benchmark_filter=REGEX --benchmark_repetitions=N (1..%d)\n"
                        "  --benchmark_min_time=SECONDS (at most %g)\n"
                        "  --benchmark_format=json --benchmark_out=FILE --benchmark_list_tests\n"
                        "Exit status: 0 all ran, 1 some benchmark ended with an error (named on\n"
                        "stderr), 2 bad arguments or a filter that matches nothing.\n"
                        "(Google Benchmark's own --help follows)\n\n",
                        family, d::max_repetitions, d::max_min_time);
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
        if (const char *v = d::value_of(a, "--time-limit")) {
            if (!d::whole(v, 1, d::max_time_limit, &time_limit)) {
                std::fprintf(stderr, "%s: --time-limit must be whole seconds from 1 to %ld, "
                             "not '%s'\n", prog, d::max_time_limit, v);
                return 2;
            }
            continue;
        }
        if (std::strcmp(a, "--benchmark_display_aggregates_only") == 0) {
            aggregates_only = true;
            continue;
        }
        if (const char *v = d::value_of(a, "--benchmark_display_aggregates_only")) {
            if (!d::boolean(v, &aggregates_only)) {
                std::fprintf(stderr, "%s: bad value in '%s': wanted true or false\n", prog, a);
                return 2;
            }
            continue;                        // done by error_watch, not Google Benchmark
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
        if (taken)
            continue;
        if (!d::check_gbench_flag(prog, a))
            return 2;
        if (const char *v = d::value_of(a, "--benchmark_list_tests"))
            d::boolean(v, &list_only);
        else if (std::strcmp(a, "--benchmark_list_tests") == 0)
            list_only = true;
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
    if (!given("--benchmark_enable_random_interleaving") && defaults.random_interleaving)
        injected.push_back("--benchmark_enable_random_interleaving=true");
    pl_min_time_s = full ? defaults.full_min_time : defaults.quick_min_time;
    for (char *a : rest)
        if (const char *v = d::value_of(a, "--benchmark_min_time"))
            pl_min_time_s = std::strtod(v, nullptr);   // checked above
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
    if (!list_only && d::start_time_limit(prog, time_limit ? time_limit
                                                           : full ? d::full_time_limit
                                                                  : d::quick_time_limit) == -1)
        return 1;
    d::error_watch watch(benchmark::CreateDefaultDisplayReporter(), aggregates_only);
    size_t matched = benchmark::RunSpecifiedBenchmarks(&watch);
    benchmark::Shutdown();
    if (matched == 0) {
        std::fprintf(stderr, "%s: no benchmark to run: --benchmark_filter matches none "
                     "or is not a regular expression (see above)\n", prog);
        return 2;
    }
    if (!watch.errored().empty()) {
        std::fprintf(stderr, "%s: %zu benchmark%s failed:", prog, watch.errored().size(),
                     watch.errored().size() == 1 ? "" : "s");
        for (const std::string &name : watch.errored())
            std::fprintf(stderr, " %s", name.c_str());
        std::fprintf(stderr, "\n");
        return 1;
    }
    return 0;
}

#endif

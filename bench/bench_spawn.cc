// bench/bench_spawn.cc: what starting a child costs, as the parent grows.
//
//   spawn/METHOD/rss_mib:N        one child started by METHOD (bench/spawn/
//                                 METHOD.c) and reaped, while this process
//                                 holds N MiB of resident memory (a ballast)
//   spawn_ref/fork_loop/rss_mib:0 build/bin/ref_fork, a stand-alone
//                                 fork+_exit+waitpid loop, run as a child:
//                                 the yardstick for spawn/fork/rss_mib:0
//   spawn_ref/fork_loop_libs/rss_mib:0  the same loop with this binary's
//                                 shared libraries preloaded (LD_PRELOAD):
//                                 as many mappings to copy as we have, so
//                                 what remains is the harness's own cost
//
// One iteration is one spawn (child created, exited, reaped), timed one by
// one into a histogram (p50/p99/p99.9 counters).  The whole process is
// pinned to one CPU before anything runs (children inherit the mask), so
// the child, the parent's wake-up and the reference loop all stay on that
// CPU; --pin=none lets the scheduler choose.  The ballast is allocated
// outside the timed loop, once per size, and its growth of VmRSS checked.
#include "core/gbench.hh"

extern "C" {
#include "core/ballast.h"
#include "core/clock.h"
#include "core/histogram.h"
#include "core/placement.h"
#include "core/run.h"
#include "core/stop.h"
#include "spawn/method.h"
}

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <sched.h>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

static int pin_cpu = -2;        // -2: pick one (default), -1: --pin=none
static int warmup_spawns = 3;   // untimed spawns before each run
static int ballast_huge = 0;    // --thp: ballast advised MADV_HUGEPAGE
static const int ref_forks_per_batch = 200;

// ---------------------------------------------------------------- ballast
// Kept between benchmarks: reallocated only when the size changes.
static pl_ballast ballast;
static size_t ballast_mib;

static void drop_ballast()
{
    pl_ballast_free(&ballast);
    ballast_mib = 0;
}

static long mem_available_kib()
{
    char line[256];
    long kib = -1;
    FILE *f = std::fopen("/proc/meminfo", "re");
    if (!f)
        return -1;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
            break;
    std::fclose(f);
    return kib;
}

// "" on success, else why not.
static std::string ensure_ballast(size_t mib)
{
    if (mib == ballast_mib && (mib == 0 || ballast.addr))
        return "";
    drop_ballast();
    if (mib == 0)
        return "";
    long avail = mem_available_kib();
    if (avail >= 0 && (long)(mib * 1024) > avail * 8 / 10)
        return "not enough memory for a " + std::to_string(mib) + " MiB ballast (" +
               std::to_string(avail / 1024) + " MiB available)";
    long before = pl_rss_kib();
    if (pl_ballast_alloc(&ballast, mib, ballast_huge) == -1)
        return std::string("ballast: ") + std::strerror(errno);
    long grew = pl_rss_kib() - before;
    if (before < 0 || grew < (long)(mib * 1024) * 9 / 10) {
        drop_ballast();
        return "a " + std::to_string(mib) + " MiB ballast made VmRSS grow by only " +
               std::to_string(grew) + " KiB";
    }
    ballast_mib = mib;
    return "";
}

// ---------------------------------------------------------------- methods
struct method_state {
    bool tried = false;
    int setup_errno = 0;
    void *ctx = nullptr;
};
static std::vector<method_state> states;

// Per-spawn times go first into a MAP_SHARED buffer, and into the histogram
// after the loop.  Why: after every fork the parent's private pages are
// write-protected (copy-on-write), and the first write to each costs a page
// fault; a shared mapping is not copy-on-write, so recording a sample adds
// no fault to the next spawn.  (A bare fork loop writes only its stack.)
static const size_t max_samples = 1 << 16;
static uint64_t *samples = [] {
    void *p = mmap(nullptr, max_samples * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : (uint64_t *)p;
}();

static void flush_samples(pl_hist *h, size_t &n)
{
    for (size_t i = 0; i < n; i++)
        pl_hist_add(h, samples[i]);
    n = 0;
}

static void run_spawn(benchmark::State &state, int idx)
{
    const pl_spawn_method *m = pl_spawn_methods[idx];
    method_state &ms = states[idx];
    if (!ms.tried) {
        // Set up while the parent is small: a fork server started now does
        // not carry the ballast.
        drop_ballast();
        ms.tried = true;
        if (m->setup && m->setup(&ms.ctx) == -1)
            ms.setup_errno = errno;
    }
    if (ms.setup_errno) {
        std::string why = std::string(m->name) + " setup: " + std::strerror(ms.setup_errno);
        if (ms.setup_errno == ENOENT)
            why += " (build/bin/proclab_exit0 missing? run make)";
        pl_skip(state, why);
        return;
    }
    std::string why = ensure_ballast((size_t)state.range(0));
    if (!why.empty()) {
        pl_skip(state, why);
        return;
    }
    for (int i = 0; i < warmup_spawns; i++)
        if (m->spawn_once(ms.ctx) == -1) {
            pl_skip(state, std::string("warm-up: ") + std::strerror(errno));
            return;
        }
    pl_hist *h = pl_hist_new();
    if (!h || !samples) {
        pl_hist_free(h);
        pl_skip(state, "histogram or sample buffer: out of memory");
        return;
    }
    size_t n = 0;
    for (auto _ : state) {
        uint64_t t0 = pl_now_ns();
        if (m->spawn_once(ms.ctx) == -1) {
            state.SkipWithError((std::string(m->name) + ": " + std::strerror(errno)).c_str());
            break;
        }
        samples[n++] = pl_now_ns() - t0;
        if (n == max_samples) {      // rare: flush without the clock running
            state.PauseTiming();
            flush_samples(h, n);
            state.ResumeTiming();
        }
    }
    flush_samples(h, n);
    state.SetItemsProcessed(state.iterations());
    pl_set_latency_counters(state, h);
    state.counters["rss_kib"] = (double)pl_rss_kib();
    pl_hist_free(h);
}

static void teardown_methods()
{
    for (size_t i = 0; i < states.size(); i++)
        if (states[i].tried && !states[i].setup_errno && pl_spawn_methods[i]->teardown)
            pl_spawn_methods[i]->teardown(states[i].ctx);
    states.clear();
    drop_ballast();
}

// ---------------------------------------------------------------- reference
// Run build/bin/ref_fork -n COUNT as a child (it inherits our CPU mask) and
// read its "NS ns per fork" line.  Returns ns per fork, or -1 with why set.
// The shared libraries this process has mapped, other than the C library
// and the dynamic loader (which ref_fork has anyway), as an LD_PRELOAD list.
static std::string our_libraries()
{
    std::string list;
    char line[4096];
    FILE *f = std::fopen("/proc/self/maps", "re");
    if (!f)
        return list;
    while (std::fgets(line, sizeof line, f)) {
        char *path = std::strchr(line, '/');
        if (!path)
            continue;
        path[std::strcspn(path, "\n")] = '\0';
        const char *base = std::strrchr(path, '/') + 1;
        if (!std::strstr(base, ".so") || std::strncmp(base, "libc.so", 7) == 0 ||
            std::strncmp(base, "ld-linux", 8) == 0 ||
            (":" + list + ":").find(":" + std::string(path) + ":") != std::string::npos)
            continue;
        list += (list.empty() ? "" : ":") + std::string(path);
    }
    std::fclose(f);
    return list;
}

static double run_ref_fork(int count, bool with_our_libs, std::string &why)
{
    char dir[PATH_MAX];
    if (pl_self_dir(dir, sizeof dir) == -1) {
        why = std::string("readlink /proc/self/exe: ") + std::strerror(errno);
        return -1;
    }
    std::string path = std::string(dir) + "/ref_fork";
    std::string n_arg = std::to_string(count);
    char *const argv[] = {(char *)"ref_fork", (char *)"-n", &n_arg[0], nullptr};
    std::vector<char *> env;
    std::string preload = "LD_PRELOAD=" + our_libraries();
    for (char **e = environ; *e; e++)
        if (!with_our_libs || std::strncmp(*e, "LD_PRELOAD=", 11) != 0)
            env.push_back(*e);
    if (with_our_libs)
        env.push_back(&preload[0]);
    env.push_back(nullptr);
    char buf[256];
    int status = pl_run_capture(path.c_str(), argv, env.data(), buf, sizeof buf, 60000);
    if (status == -1) {
        why = path + ": " + std::strerror(errno);
        return -1;
    }
    double ns = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        std::sscanf(buf, "%lf ns per fork", &ns) != 1 || ns <= 0) {
        why = "ref_fork failed or printed '" + std::string(buf) + "'";
        return -1;
    }
    return ns;
}

static void run_ref(benchmark::State &state, bool with_our_libs)
{
    std::string why = ensure_ballast(0);   // the parent's size does not matter; keep it small
    double ns = 0;
    while (state.KeepRunningBatch(ref_forks_per_batch)) {
        ns = run_ref_fork(ref_forks_per_batch, with_our_libs, why);
        if (ns < 0) {
            state.SkipWithError(why.c_str());
            break;
        }
        state.SetIterationTime(ns * ref_forks_per_batch * 1e-9);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["forks_per_batch"] = ref_forks_per_batch;
}

// ---------------------------------------------------------------- registration
static std::vector<int> rss_sizes(pl_suite suite)
{
    if (suite == pl_suite::quick)
        return {0, 16, 256};
    return {0, 16, 256, 1024, 4096};
}

static void register_all(pl_suite suite)
{
    // Pin once, before anything runs: every child inherits the mask.
    // Default: the last CPU we may use, not the first: CPU 0 is where
    // interrupts, housekeeping and other pinned benchmarks usually land.
    if (pin_cpu == -2) {
        int cpus[CPU_SETSIZE];
        int n = pl_cpus_allowed(cpus, CPU_SETSIZE);
        pin_cpu = n >= 1 ? cpus[n - 1] : -1;
    }
    if (pin_cpu >= 0 && pl_pin_self(pin_cpu) == -1) {
        std::fprintf(stderr, "bench_spawn: cannot pin to cpu %d: %s; not pinned\n", pin_cpu,
                     std::strerror(errno));
        pin_cpu = -1;
    }
    benchmark::AddCustomContext("spawn_pinned_cpu",
                                pin_cpu >= 0 ? std::to_string(pin_cpu) : "none");
    benchmark::AddCustomContext("spawn_ballast_thp", ballast_huge ? "madvise" : "never");

    size_t count = 0;
    std::string names;   // the registry, in order, for the scripts
    while (pl_spawn_methods[count])
        names += (names.empty() ? "" : " ") + std::string(pl_spawn_methods[count++]->name);
    benchmark::AddCustomContext("spawn_methods", names);
    states.assign(count, method_state());
    for (size_t i = 0; i < count; i++) {
        // The reference loops run just before spawn/fork/rss_mib:0, so a
        // change of load on the machine affects both alike.
        if (std::strcmp(pl_spawn_methods[i]->name, "fork") == 0) {
            benchmark::RegisterBenchmark("spawn_ref/fork_loop", run_ref, false)
                ->Arg(0)->ArgName("rss_mib")->UseManualTime()->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark("spawn_ref/fork_loop_libs", run_ref, true)
                ->Arg(0)->ArgName("rss_mib")->UseManualTime()->Unit(benchmark::kMicrosecond);
        }
        auto *b = benchmark::RegisterBenchmark(
            (std::string("spawn/") + pl_spawn_methods[i]->name).c_str(), run_spawn, (int)i);
        for (int mib : rss_sizes(suite))
            b->Arg(mib);
        b->ArgName("rss_mib")->UseRealTime()->Unit(benchmark::kMicrosecond);
    }
}

static bool parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (errno || *v == '\0' || *end != '\0' || n < lo || n > hi)
        return false;
    *out = (int)n;
    return true;
}

int main(int argc, char **argv)
{
    // Ctrl-C/SIGTERM kill us at once (no session: nothing named to remove;
    // the fork server and children die with us, PR_SET_PDEATHSIG) -- also
    // when started in the background by a shell, which ignores SIGINT there.
    if (pl_stop_install(nullptr) == -1) {
        std::perror("bench_spawn: sigaction");
        return 1;
    }
    std::vector<pl_flag> flags = {
        {"pin", "CPU|none: the CPU the run (and every child) is pinned to (default: chosen)",
         [](const char *v) {
             if (std::strcmp(v, "none") == 0) {
                 pin_cpu = -1;
                 return true;
             }
             if (!parse_int(v, 0, CPU_SETSIZE - 1, &pin_cpu))
                 return false;
             // A CPU this process may not run on is a bad argument, not a
             // run that silently goes unpinned.
             int cpus[CPU_SETSIZE];
             int n = pl_cpus_allowed(cpus, CPU_SETSIZE);
             if (std::find(cpus, cpus + (n > 0 ? n : 0), pin_cpu) == cpus + (n > 0 ? n : 0)) {
                 std::fprintf(stderr, "bench_spawn: CPU %d is not one this process may run on\n",
                              pin_cpu);
                 return false;
             }
             return true;
         }},
        {"warmup", "N: untimed spawns before each run (default 3)",
         [](const char *v) { return parse_int(v, 0, 1000000, &warmup_spawns); }},
        {"thp", "ballast advised MADV_HUGEPAGE (default: MADV_NOHUGEPAGE)",
         [](const char *v) {
             ballast_huge = 1;
             return *v == '\0';
         }},
    };
    pl_suite_defaults defaults;
    defaults.quick_repetitions = 3;
    defaults.quick_min_time = 0.05;
    defaults.full_repetitions = 9;
    defaults.full_min_time = 0.2;
    int rc = pl_gbench_main(
        argc, argv, "spawn",
        "Spawn cost: start a child that exits at once and reap it, by every method\n"
        "of the registry (names in the JSON context: spawn_methods),\n"
        "while the parent holds 0..4096 MiB of resident memory (spawn/METHOD/rss_mib:N).",
        register_all, flags, defaults);
    teardown_methods();
    return rc;
}

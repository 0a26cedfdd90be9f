// bench/bench_spawn.cc: what starting a child costs, as the parent grows.
//
//   spawn/METHOD/rss_mib:N        one child started by METHOD (bench/spawn/
//                                 METHOD.c) and reaped, from a small C
//                                 process that holds N MiB of resident
//                                 memory (a ballast): bench/tools/
//                                 spawn_probe.c, exec'd by this driver once
//                                 per method and size (so no method runs
//                                 after another in the same process),
//                                 timing its own loop and sending the times
//                                 back over a socket
//   spawn_inproc/fork/rss_mib:0   the same fork, timed inside this C++
//                                 binary (libstdc++, Google Benchmark, hwloc
//                                 mapped): what the harness itself would
//                                 pay -- the reason spawns are timed from
//                                 the probe
//   spawn_ref/fork_loop/rss_mib:0 build/bin/ref_fork, a stand-alone
//                                 fork+_exit+waitpid loop, run as a child:
//                                 the yardstick for spawn/fork/rss_mib:0;
//                                 each batch of it is followed by as many
//                                 forks of the 0 MiB probe, and the counter
//                                 probe_over_ref is the probe's time over
//                                 the loop's in those batches (side by
//                                 side, so a drifting machine moves both)
//
// One iteration is one spawn (child created, exited, reaped), each timed
// into a histogram (p50/p99/p99.9 counters); the time of a repetition is
// the probe's own loop time (manual time).  The whole process is pinned to
// one CPU before anything runs (the probe and every child inherit the
// mask), so the child, the parent's wake-up and the reference loop all stay
// on that CPU; --pin=none lets the scheduler choose.  A probe allocates its
// ballast once, before any timing, and reports its VmRSS (rss_kib).
#include "core/gbench.hh"

extern "C" {
#include "core/ballast.h"
#include "core/clock.h"
#include "core/histogram.h"
#include "core/placement.h"
#include "core/run.h"
#include "core/stop.h"
#include "spawn/method.h"
#include "spawn/probe.h"
}

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <csignal>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

static int pin_cpu = -2;        // -2: pick one (default), -1: --pin=none
static int warmup_spawns = 3;   // untimed spawns before each run
static int ballast_huge = 0;    // --thp: ballast advised MADV_HUGEPAGE
static const int ref_forks_per_batch = 200;
static const int ref_fork_warmup = 10;      // untimed forks before each batch (ref_fork -w)

// ---------------------------------------------------------------- probes
// One spawn_probe per method and ballast size (spawn_probe --method): a
// process keeps traces of the methods it ran (a thread leaves it with a
// heap and multi-threaded for glibc, a vfork or CLONE_VM child changes its
// memory's history), and its later forks then cost up to a third more or
// less, so one probe serving every method would time each method after a
// random history.  Probes are started on first use and kept until the end
// of the run (random interleaving visits them in turn).  Probes of up to
// keep_all_mib live side by side; a bigger one replaces the other big one,
// so at most one large ballast is resident at a time.
static const size_t keep_all_mib = 256;
static const int probe_start_timeout_ms = 120000;   // a 4 GiB ballast, slowly
static const int probe_reply_timeout_ms = 120000;   // one request's spawns

struct probe {
    size_t mib;
    std::string method;
    pid_t pid;
    int fd;     // our end of the socket: its stdin and stdout
};
static std::vector<probe> probes;

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

static void stop_probe(probe &p)
{
    if (p.fd >= 0)
        close(p.fd);    // end of file: it tears down and exits 0
    p.fd = -1;
    if (p.pid > 0)
        pl_stop_child(p.pid, SIGTERM, 2000);
    p.pid = -1;
}

static void stop_probes()
{
    for (probe &p : probes)
        stop_probe(p);
    probes.clear();
}

// Wait up to timeout_ms for fd to be readable: true when it is.
static bool readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    uint64_t deadline = pl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        uint64_t now = pl_now_ns();
        if (now >= deadline)
            return false;
        int n = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
        if (n > 0)
            return true;
        if (n == -1 && errno != EINTR)
            return false;
    }
}

// Read exactly len bytes within timeout_ms; false on EOF, error or timeout.
static bool read_all(int fd, void *buf, size_t len, int timeout_ms)
{
    char *p = static_cast<char *>(buf);
    while (len > 0) {
        if (!readable(fd, timeout_ms))
            return false;
        ssize_t n = read(fd, p, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

// The probe for method holding mib MiB, started if needed; nullptr with
// why set.
static probe *get_probe(size_t mib, const std::string &method, std::string &why)
{
    for (probe &p : probes)
        if (p.mib == mib && p.method == method)
            return &p;
    for (size_t i = 0; mib > keep_all_mib && i < probes.size();) {
        if (probes[i].mib > keep_all_mib) {
            stop_probe(probes[i]);
            probes.erase(probes.begin() + (long)i);
        } else {
            i++;
        }
    }
    long avail = mem_available_kib();
    // Probes held beside the new one use at most half of what is left
    // (the oldest go first): a probe per method multiplies the ballasts.
    size_t held = 0;
    for (const probe &p : probes)
        held += p.mib;
    while (!probes.empty() && avail >= 0 && held > 0 &&
           (long)((held + mib) * 1024) > avail / 2) {
        held -= probes.front().mib;
        avail += (long)probes.front().mib * 1024;   // about what its exit frees
        stop_probe(probes.front());
        probes.erase(probes.begin());
    }
    if (avail >= 0 && (long)(mib * 1024) > avail * 8 / 10) {
        why = "not enough memory for a " + std::to_string(mib) + " MiB ballast (" +
              std::to_string(avail / 1024) + " MiB available)";
        return nullptr;
    }
    char dir[PATH_MAX];
    if (pl_self_dir(dir, sizeof dir) == -1) {
        why = std::string("readlink /proc/self/exe: ") + std::strerror(errno);
        return nullptr;
    }
    std::string path = std::string(dir) + "/spawn_probe";
    if (access(path.c_str(), X_OK) == -1) {
        why = path + " missing? run make";
        return nullptr;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
        why = std::string("socketpair: ") + std::strerror(errno);
        return nullptr;
    }
    std::string parent = std::to_string(getpid()), size = std::to_string(mib);
    std::string method_arg = method;
    std::vector<char *> argv = {(char *)"spawn_probe", (char *)"--parent", &parent[0],
                                (char *)"--rss-mib", &size[0], (char *)"--method",
                                &method_arg[0]};
    if (ballast_huge)
        argv.push_back((char *)"--thp");
    argv.push_back(nullptr);
    // posix_spawn: no page tables of ours copied; the probe sets its own
    // PR_SET_PDEATHSIG and checks its parent (--parent).
    pid_t pid = -1;
    int err = pl_spawn_with_fds(&pid, path.c_str(), argv.data(), nullptr, sv[1], sv[1]);
    close(sv[1]);
    if (err) {
        close(sv[0]);
        why = "starting " + path + ": " + std::strerror(err);
        return nullptr;
    }
    probes.push_back(probe{mib, method, pid, sv[0]});
    probe &p = probes.back();
    // "ready rss_kib=K\n" or "error: WHY\n", one byte at a time (short).
    std::string line;
    char c = 0;
    while (line.size() < 512 && read_all(p.fd, &c, 1, probe_start_timeout_ms) && c != '\n')
        line += c;
    if (c != '\n' || line.compare(0, 6, "ready ") != 0) {
        why = "spawn_probe --rss-mib " + size + " --method " + method + ": " +
              (line.empty() ? std::string("no answer") : line);
        stop_probe(p);
        probes.pop_back();
        return nullptr;
    }
    return &p;
}

// ---------------------------------------------------------------- spawn/
// Ask probe p for count spawns by method name (warmup untimed ones first);
// samples get the ns of each, *total_ns the probe's loop time.  0, or errno
// of the failure with why set (-1: the probe broke its protocol and is
// stopped and dropped: p is then no longer valid).
static int probe_spawns(probe *p, const char *method, int32_t count, int32_t warmup,
                        uint64_t *samples, uint64_t *total_ns, int64_t *rss_kib,
                        std::string &why)
{
    pl_probe_request rq;
    pl_probe_reply rp = {0, 0, 0, 0};
    std::memset(&rq, 0, sizeof rq);
    std::snprintf(rq.method, sizeof rq.method, "%s", method);
    rq.count = count;
    rq.warmup = warmup;
    ssize_t w;
    while ((w = send(p->fd, &rq, sizeof rq, MSG_NOSIGNAL)) == -1 && errno == EINTR)
        ;
    if (w != (ssize_t)sizeof rq || !read_all(p->fd, &rp, sizeof rp, probe_reply_timeout_ms) ||
        (rp.err == 0 &&
         (rp.count != rq.count ||
          !read_all(p->fd, samples, (size_t)rp.count * sizeof(uint64_t), probe_reply_timeout_ms)))) {
        why = "spawn_probe stopped answering";
        stop_probe(*p);     // a probe that broke its protocol is not reused
        probes.erase(probes.begin() + (p - probes.data()));
        return -1;
    }
    if (rp.err) {
        why = std::string(method) + ": " + std::strerror(rp.err);
        if (rp.err == ENOENT)
            why += " (build/bin/proclab_exit0 missing? run make)";
        return rp.err;
    }
    *total_ns = rp.total_ns;
    if (rss_kib)
        *rss_kib = rp.rss_kib;
    return 0;
}

static void run_spawn(benchmark::State &state, int idx)
{
    const pl_spawn_method *m = pl_spawn_methods[idx];
    std::string why;
    probe *p = get_probe((size_t)state.range(0), m->name, why);
    if (!p) {
        pl_skip(state, why);
        return;
    }
    pl_hist *h = pl_hist_new();
    std::vector<uint64_t> samples(PL_PROBE_MAX_COUNT);
    if (!h) {
        pl_skip(state, "histogram: out of memory");
        return;
    }
    int64_t rss_kib = 0;
    while (state.KeepRunningBatch(state.max_iterations)) {
        uint64_t total = 0;
        int err = 0;
        for (benchmark::IterationCount left = state.max_iterations; left > 0 && !err;) {
            int32_t count = (int32_t)std::min<benchmark::IterationCount>(left, PL_PROBE_MAX_COUNT);
            uint64_t ns = 0;
            err = probe_spawns(p, m->name, count, total == 0 ? warmup_spawns : 0,
                               samples.data(), &ns, &rss_kib, why);
            if (err)
                break;
            for (int32_t i = 0; i < count; i++)
                pl_hist_add(h, samples[i]);
            total += ns;
            left -= count;
        }
        if (err) {
            state.SkipWithError(why.c_str());
            break;
        }
        state.SetIterationTime((double)total * 1e-9);
    }
    state.SetItemsProcessed(state.iterations());
    pl_set_latency_counters(state, h);
    state.counters["rss_kib"] = (double)rss_kib;
    pl_hist_free(h);
}

// ---------------------------------------------------------------- spawn_inproc/
// fork timed inside this binary: one clock read per spawn, samples kept in
// a MAP_SHARED buffer (a private page written after a fork would be
// copy-on-write: a page fault in the next spawn), histogram after the loop.
static const size_t max_inproc_samples = 1 << 16;
static uint64_t *inproc_samples = [] {
    void *p = mmap(nullptr, max_inproc_samples * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : (uint64_t *)p;
}();

static void run_inproc(benchmark::State &state, const pl_spawn_method *m)
{
    pl_hist *h = pl_hist_new();
    if (!h || !inproc_samples) {
        pl_hist_free(h);
        pl_skip(state, "histogram or sample buffer: out of memory");
        return;
    }
    for (int i = 0; i < warmup_spawns; i++)
        if (m->spawn_once(nullptr) == -1) {
            pl_hist_free(h);
            pl_skip(state, std::string("warm-up: ") + std::strerror(errno));
            return;
        }
    size_t n = 0;
    uint64_t prev = pl_now_ns();
    for (auto _ : state) {
        if (m->spawn_once(nullptr) == -1) {
            state.SkipWithError((std::string(m->name) + ": " + std::strerror(errno)).c_str());
            break;
        }
        uint64_t now = pl_now_ns();
        inproc_samples[n++] = now - prev;
        prev = now;
        if (n == max_inproc_samples) {      // rare: flush without the clock running
            state.PauseTiming();
            for (size_t i = 0; i < n; i++)
                pl_hist_add(h, inproc_samples[i]);
            n = 0;
            state.ResumeTiming();
            prev = pl_now_ns();
        }
    }
    for (size_t i = 0; i < n; i++)
        pl_hist_add(h, inproc_samples[i]);
    state.SetItemsProcessed(state.iterations());
    pl_set_latency_counters(state, h);
    state.counters["rss_kib"] = (double)pl_rss_kib();
    pl_hist_free(h);
}

// ---------------------------------------------------------------- reference
// Run build/bin/ref_fork -n COUNT as a child (it inherits our CPU mask) and
// read its "NS ns per fork" line.  Returns ns per fork, or -1 with why set.
static double run_ref_fork(int count, std::string &why)
{
    char dir[PATH_MAX];
    if (pl_self_dir(dir, sizeof dir) == -1) {
        why = std::string("readlink /proc/self/exe: ") + std::strerror(errno);
        return -1;
    }
    std::string path = std::string(dir) + "/ref_fork";
    std::string n_arg = std::to_string(count);
    std::string w_arg = std::to_string(ref_fork_warmup);
    char *const argv[] = {(char *)"ref_fork", (char *)"-n", &n_arg[0], (char *)"-w", &w_arg[0],
                          nullptr};
    char buf[256];
    int status = pl_run_capture(path.c_str(), argv, nullptr, buf, sizeof buf, 60000);
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

// Each batch: ref_fork's 200 forks, then the 0 MiB probe's 200 forks, one
// right after the other.  The time is ref_fork's; probe_over_ref is the
// probe's forks over ref_fork's in the same batches: two fork loops timed
// side by side, so that a machine whose speed drifts between repetitions
// (by 10 % and more on a virtual machine) moves both alike.
static void run_ref(benchmark::State &state)
{
    std::string why;
    probe *p = get_probe(0, "fork", why);
    if (!p) {
        pl_skip(state, why);
        return;
    }
    std::vector<uint64_t> samples(ref_forks_per_batch);
    double ref_total = 0, probe_total = 0;
    while (state.KeepRunningBatch(ref_forks_per_batch)) {
        double ns = run_ref_fork(ref_forks_per_batch, why);
        if (ns < 0) {
            state.SkipWithError(why.c_str());
            break;
        }
        uint64_t probe_ns = 0;
        // As many untimed forks first as ref_fork makes (its -w default):
        // the exit of the ref_fork process just before leaves the kernel
        // work to do, which would otherwise land in the probe's loop only.
        if (probe_spawns(p, "fork", ref_forks_per_batch, ref_fork_warmup, samples.data(),
                         &probe_ns, nullptr, why) != 0) {
            state.SkipWithError(why.c_str());
            break;
        }
        state.SetIterationTime(ns * ref_forks_per_batch * 1e-9);
        ref_total += ns * ref_forks_per_batch;
        probe_total += (double)probe_ns;
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["forks_per_batch"] = ref_forks_per_batch;
    if (ref_total > 0) {
        state.counters["probe_fork_ns"] = probe_total / (double)state.iterations();
        state.counters["probe_over_ref"] = probe_total / ref_total;
    }
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
    for (size_t i = 0; i < count; i++) {
        // The reference loop and the in-process fork run just before
        // spawn/fork/rss_mib:0, so a change of load on the machine affects
        // them alike (with random interleaving, their repetitions mix).
        if (std::strcmp(pl_spawn_methods[i]->name, "fork") == 0) {
            benchmark::RegisterBenchmark("spawn_ref/fork_loop", run_ref)
                ->Arg(0)->ArgName("rss_mib")->UseManualTime()->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark("spawn_inproc/fork", run_inproc, pl_spawn_methods[i])
                ->Arg(0)->ArgName("rss_mib")->UseRealTime()->Unit(benchmark::kMicrosecond);
        }
        auto *b = benchmark::RegisterBenchmark(
            (std::string("spawn/") + pl_spawn_methods[i]->name).c_str(), run_spawn, (int)i);
        for (int mib : rss_sizes(suite))
            b->Arg(mib);
        b->ArgName("rss_mib")->UseManualTime()->Unit(benchmark::kMicrosecond);
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
        {"list", "list the spawn methods (the registry), then exit",
         [](const char *v) {
             if (*v != '\0')
                 return false;
             std::printf("%-12s %s\n", "method", "what it does");
             for (const pl_spawn_method *const *m = pl_spawn_methods; *m; m++)
                 std::printf("%-12s %s\n", (*m)->name, (*m)->what);
             std::exit(0);
             return true;
         }},
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
    defaults.quick_repetitions = 5;     // interleaved; a CV from three means little
    defaults.quick_min_time = 0.04;
    defaults.full_repetitions = 9;
    defaults.full_min_time = 0.2;
    int rc = pl_gbench_main(
        argc, argv, "spawn",
        "Spawn cost: start a child that exits at once and reap it, by every method\n"
        "of the registry (names in the JSON context: spawn_methods),\n"
        "while the parent holds 0..4096 MiB of resident memory (spawn/METHOD/rss_mib:N).",
        register_all, flags, defaults);
    stop_probes();
    return rc;
}

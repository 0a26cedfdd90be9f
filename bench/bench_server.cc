// bench/bench_server.cc: process-per-connection servers under load, every
// mode of the registry (bench/server/registry.c), driven by loadgen.
//
//   server/MODE/workers:W/conns:K   the MODE's server with W workers (for
//        fork_per_conn: at most W children at once) on 127.0.0.1, port 0;
//        loadgen keeps K connections busy (closed loop), reconnecting every
//        100 requests, for a bounded number of requests (--time-limit 10 s)
//
// One iteration is one loadgen run (manual time = its elapsed time), so
// items_per_second is requests per second.  A new server is started for
// each repetition (its start is not timed) and stopped with SIGTERM after
// it.  Counters: p50_us, p99_us, p999_us (loadgen's percentiles of request
// latency), connections, and the spread of connections over the workers
// the server reports when it stops: conns_max, conns_min and
// conns_max_over_min (pre-forked modes; 1 = an even split).  A wrong reply
// (loadgen exit 1) or a server that does not stop cleanly fails the run.
#include "core/gbench.hh"

extern "C" {
#include "core/run.h"
#include "core/stop.h"
#include "server/mode.h"
}

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

const int PORT_TIMEOUT_MS = 5000;
const int SERVER_STOP_MS = 3000;
const int LOADGEN_LIMIT_S = 10;
long requests_per_run = 2000;

// The children a stop signal must end (core/stop.h's kill_children).
volatile int server_pid = 0;
volatile int loadgen_pid = 0;

void kill_children()
{
    int s = server_pid, l = loadgen_pid;
    if (s > 0)
        kill(s, SIGTERM);
    if (l > 0)
        kill(l, SIGTERM);
}

std::string bin_dir()
{
    char dir[PATH_MAX];
    return pl_self_dir(dir, sizeof dir) == 0 ? dir : ".";
}

// The number after "\"key\": " in loadgen's one-line JSON, or -1.
double json_number(const std::string &json, const char *key)
{
    std::string k = std::string("\"") + key + "\": ";
    size_t at = json.find(k);
    if (at == std::string::npos)
        return -1;
    return std::strtod(json.c_str() + at + k.size(), nullptr);
}

struct split {
    long max = 0, min = -1, workers = 0;
};

// "worker N (pid P): C connections, R requests" lines of prefork_server.
split parse_split(const char *text)
{
    split s;
    for (const char *line = text; line && *line;) {
        long w, pid, c;
        if (std::sscanf(line, "worker %ld (pid %ld): %ld connections", &w, &pid, &c) == 3) {
            s.workers++;
            s.max = c > s.max ? c : s.max;
            s.min = s.min < 0 || c < s.min ? c : s.min;
        }
        line = std::strchr(line, '\n');
        line = line ? line + 1 : nullptr;
    }
    return s;
}

std::string status_text(int status)
{
    if (status == -1)
        return std::strerror(errno);
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "exit " + std::to_string(WEXITSTATUS(status));
}

// One loadgen run; false with why set.
bool run_loadgen(int port, int conns, std::string *json, std::string *why)
{
    std::string path = bin_dir() + "/loadgen";
    std::string p = std::to_string(port), r = std::to_string(requests_per_run),
                k = std::to_string(conns), t = std::to_string(LOADGEN_LIMIT_S);
    std::vector<char *> argv = {&path[0], (char *)"--port", &p[0], (char *)"--requests", &r[0],
                                (char *)"--conns", &k[0], (char *)"--time-limit", &t[0],
                                (char *)"--format", (char *)"json", nullptr};
    int fd;
    if (pl_run_background(path.c_str(), argv.data(), &loadgen_pid, &fd) == -1) {
        *why = path + ": " + std::strerror(errno);
        return false;
    }
    char out[4096];
    size_t len = 0;
    out[0] = '\0';
    pl_read_rest(fd, out, sizeof out, &len, (LOADGEN_LIMIT_S + 5) * 1000);
    close(fd);
    int status = pl_stop_child(loadgen_pid, SIGTERM, 1000);
    loadgen_pid = 0;
    *json = out;
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *why = "loadgen: " + status_text(status) +
               (WIFEXITED(status) && WEXITSTATUS(status) == 1 ? " (an error or a wrong reply)" : "");
        return false;
    }
    if (json_number(*json, "requests") <= 0 || json_number(*json, "elapsed_s") <= 0) {
        *why = "loadgen printed '" + *json + "'";
        return false;
    }
    return true;
}

std::vector<std::string> server_argv(const pl_server_mode *m, int workers)
{
    std::string w = std::to_string(workers);
    std::vector<std::string> a = {bin_dir() + "/" + m->program, "--port", "0"};
    if (m->prefork)
        a.insert(a.end(), {"--workers", w, "--mode", m->name});
    else
        a.insert(a.end(), {"--max-children", w});
    a.insert(a.end(), {"--time-limit", "120"});
    return a;
}

void serve(benchmark::State &state, const pl_server_mode *m, int workers, int conns)
{
    std::vector<std::string> args = server_argv(m, workers);
    std::vector<char *> argv;
    for (std::string &a : args)
        argv.push_back(&a[0]);
    argv.push_back(nullptr);
    int fd;
    if (pl_run_background(argv[0], argv.data(), &server_pid, &fd) == -1) {
        pl_skip(state, args[0] + ": " + std::strerror(errno));
        return;
    }
    char out[16384];
    size_t len = 0;
    const char *port_text = pl_read_until_line(fd, out, sizeof out, &len, "port=", PORT_TIMEOUT_MS);
    int port = port_text ? std::atoi(port_text) : 0;
    if (pl_stop_requested())
        kill_children();
    if (port <= 0) {
        pl_skip(state, std::string(m->program) + " printed no port=N first (" +
                           std::strerror(errno) + ")");
    } else {
        double p50 = 0, p99 = 0, p999 = 0, done = 0, connections = 0;
        for (auto _ : state) {
            std::string json, why;
            if (!run_loadgen(port, conns, &json, &why)) {
                state.SkipWithError(why.c_str());
                break;
            }
            state.SetIterationTime(json_number(json, "elapsed_s"));
            done += json_number(json, "requests");
            connections += json_number(json, "connections");
            p50 = json_number(json, "p50_us");
            p99 = json_number(json, "p99_us");
            p999 = json_number(json, "p999_us");
        }
        state.SetItemsProcessed((int64_t)done);
        state.counters["p50_us"] = p50;
        state.counters["p99_us"] = p99;
        state.counters["p999_us"] = p999;
        state.counters["connections"] = connections;
    }
    int status = pl_stop_child(server_pid, SIGTERM, SERVER_STOP_MS);
    server_pid = 0;
    pl_read_rest(fd, out, sizeof out, &len, 1000);
    close(fd);
    split s = parse_split(out);
    state.counters["workers"] = workers;
    state.counters["conns"] = conns;
    if (s.workers > 0) {
        state.counters["conns_max"] = (double)s.max;
        state.counters["conns_min"] = (double)s.min;
        state.counters["conns_max_over_min"] = s.min > 0 ? (double)s.max / (double)s.min : 0.0;
    }
    if (!state.error_occurred() && port > 0 &&
        (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0))
        state.SkipWithError((std::string(m->program) + " did not stop cleanly: " +
                             status_text(status)).c_str());
}

void run_mode(benchmark::State &state, const pl_server_mode *m)
{
    pl_stop_session_begin();
    serve(state, m, (int)state.range(0), (int)state.range(1));
    pl_stop_session_end();    // dies here of a Ctrl-C that came
}

std::vector<int> workers_for(pl_suite suite)
{
    if (suite == pl_suite::quick)
        return {2};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    std::vector<int> w = {1, 2, 4};
    if (2 * cpus > 4)
        w.push_back((int)(2 * cpus > 64 ? 64 : 2 * cpus));
    return w;
}

void register_all(pl_suite suite)
{
    requests_per_run = suite == pl_suite::quick ? 2000 : 20000;
    std::vector<int> conns = suite == pl_suite::quick ? std::vector<int>{4}
                                                      : std::vector<int>{1, 4, 16, 64};
    std::string names;
    for (const pl_server_mode *const *m = pl_server_modes; *m; m++)
        names += (names.empty() ? "" : " ") + std::string((*m)->name);
    benchmark::AddCustomContext("server_modes", names);
    benchmark::AddCustomContext("server_requests_per_run", std::to_string(requests_per_run));
    for (const pl_server_mode *const *m = pl_server_modes; *m; m++) {
        auto *b = benchmark::RegisterBenchmark((std::string("server/") + (*m)->name).c_str(),
                                               run_mode, *m);
        for (int w : workers_for(suite))
            for (int k : conns)
                b->Args({w, k});
        b->ArgNames({"workers", "conns"})->UseManualTime()->Iterations(1)
            ->Unit(benchmark::kMillisecond);
    }
}

void list_modes()
{
    std::printf("%-16s %-16s %s\n", "mode", "program", "what it does");
    for (const pl_server_mode *const *m = pl_server_modes; *m; m++)
        std::printf("%-16s %-16s %s\n", (*m)->name, (*m)->program, (*m)->summary);
}

} // namespace

int main(int argc, char **argv)
{
    // A server gone mid-request must be an error from loadgen, not our death.
    signal(SIGPIPE, SIG_IGN);
    // Ctrl-C/SIGTERM in a run stop the server and loadgen (which also die
    // with us: PR_SET_PDEATHSIG), then we die of the signal.
    if (pl_stop_install(kill_children) == -1) {
        std::perror("bench_server: sigaction");
        return 1;
    }
    std::vector<pl_flag> flags = {
        {"list", "list the server modes and their programs, then exit",
         [](const char *v) {
             if (*v != '\0')
                 return false;
             list_modes();
             std::exit(0);
             return true;
         }},
    };
    pl_suite_defaults defaults;
    defaults.quick_repetitions = 3;
    defaults.quick_min_time = 0.01;
    defaults.full_repetitions = 5;
    defaults.full_min_time = 0.01;
    return pl_gbench_main(
        argc, argv, "server",
        "Servers on loopback under loadgen: requests/s, p50/p99 latency and the\n"
        "split of connections over workers, for every mode of the registry (--list).",
        register_all, flags, defaults);
}

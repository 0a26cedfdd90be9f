// bench/bench_ipc.cc: inter-process communication, every mechanism of the
// registry (bench/ipc/registry.c) through one interface (bench/ipc/mech.h).
//
//   ipc_latency/MECH/bytes:B/cross:X     ping-pong: the parent sends B bytes,
//        the partner receives them and sends B bytes back; one iteration is
//        one round trip, each timed into a histogram (p50/p99/p99.9 counters).
//   ipc_throughput/MECH/bytes:B/cross:X  one-way stream of B-byte messages;
//        items_per_second = messages/s, bytes_per_second.  Every message
//        carries its sequence number (first 8 bytes) and its complement
//        (last 8 bytes); the receiver counts, sums and checks them and
//        reports back at the end -- inside the timed loop, so the receiver
//        draining its buffers is timed too.  A mismatch fails the benchmark;
//        a mechanism marked PL_CAP_MAY_DROP (udp) reports its drops instead.
//   ipc_floor/memcpy/bytes:B             one core copying B bytes: the ceiling
//        of any throughput that copies the payload.
//   ipc_floor/cacheline/cross:1          one cache line bounced between two
//        processes on two CPUs: the floor of any cross-CPU round trip.
//   ipc_floor/line_each_way/cross:1      the same counter, but each direction
//        writes its own line (the other side only reads it): the least a
//        duplex channel such as shm_spin's two rings moves.
//   ipc_ref/pipe_pingpong/bytes:64/cross:X  bench/tools/ref_pipe_pingpong run
//        as a separate program (manual time = its ns per round trip): a
//        check that the harness adds nothing to ipc_latency/pipe.
//   ipc_pairs/MECH/cpu_a:A/cpu_b:B       with --pairs=all [MECH]: 64-byte
//        ping-pong for every ordered pair of CPUs (a heatmap).
//
// cross:0 pins both processes to one CPU, cross:1 to two (core/placement.h).
// A size above a mechanism's max_msg is not registered (--list says which).
//
// What is not registration lives elsewhere: the message format, the
// partner's side, the stream report and the reference program in
// ipc/message.c; the sizes and --list in ipc/sizes.c; the partner, its
// watcher thread and Ctrl-C handling in core/session.h and core/stop.h.
#include "core/gbench.hh"

extern "C" {
#include "core/clock.h"
#include "core/histogram.h"
#include "core/placement.h"
#include "core/run.h"
#include "core/session.h"
#include "core/stop.h"
#include "ipc/common.h"
#include "ipc/floor.h"
#include "ipc/mech.h"
#include "ipc/message.h"
#include "ipc/sizes.h"
}

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

const int START_TIMEOUT_MS = 5000;     // partner set-up (pl_partner_start)
const int STOP_TIMEOUT_MS = 1000;      // partner exit after the stop message
const int REPORT_TIMEOUT_MS = 10000;   // receiver's report at the end of a stream
const unsigned WATCHDOG_S = 30;        // one benchmark call, then the partner is killed
const int LATENCY_WARMUP = 200;        // round trips before timing
const int STREAM_WARMUP = 32;          // messages before timing
const int64_t LONG_STREAM_BYTES = 65536;   // cross-CPU streams from this size...
const double LONG_STREAM = 3;          // ...get repetitions this many times longer

long kill_partner_after = -1;          // test hook: --kill-partner-after=N
long corrupt_after = -1;               // test hook: --corrupt-after=N
bool stop_during_start = false;        // test hook: --stop-during-start
std::string pairs_mech;                // --pairs=all [MECH]: "" = normal run
bool pairs_mode = false;

std::string partner_ended(int rc)
{
    return "the partner ended with " +
           (rc >= 128 ? "signal " + std::to_string(rc - 128) : "exit code " + std::to_string(rc)) +
           " (" + pl_partner_exit_text(rc) + ")";
}

// ---- one channel with its partner, for one benchmark call ------------------
struct session {
    const pl_mech *m = nullptr;
    pl_chan *ch = nullptr;
    pl_session s;
    pl_ipc_partner_arg arg{};
    unsigned char *buf = nullptr;
    bool pinned = false;

    session() { pl_session_init(&s); }

    // false: state already has the error.
    bool open(benchmark::State &state, const pl_mech *mech, size_t bytes, pl_ipc_mode how,
              const pl_placement &where)
    {
        m = mech;
        pl_stop_session_begin();
        buf = static_cast<unsigned char *>(pl_ipc_buf_alloc(bytes));   // aligned
        if (!buf) {
            state.SkipWithError("out of memory");
            return false;
        }
        std::memset(buf, 0x5a, bytes);
        if (pl_pin_self(where.self) == -1) {
            state.SkipWithError(fail("pinning the parent", errno).c_str());
            return false;
        }
        pinned = true;
        ch = m->create(bytes);
        if (!ch) {
            state.SkipWithError(fail("create", errno).c_str());
            return false;
        }
        arg = pl_ipc_partner_arg{m, ch, bytes, how};
        if (stop_during_start)      // a Ctrl-C before the partner's pid is known
            raise(SIGINT);
        if (pl_session_start(&s, where.partner, pl_ipc_partner_main, &arg, START_TIMEOUT_MS,
                             WATCHDOG_S) == -1) {
            std::string msg = fail("starting the partner", errno);
            if (s.p.reaped && WIFEXITED(s.p.status) && WEXITSTATUS(s.p.status) != 0)
                msg += " (" + partner_ended(WEXITSTATUS(s.p.status)) + ")";
            state.SkipWithError(msg.c_str());
            return false;
        }
        if (m->attach(ch, 0, s.p.pid) == -1) {
            state.SkipWithError(fail("attach", errno).c_str());
            return false;
        }
        return true;
    }

    // Stop the partner (after a stop message when all went well), remove
    // everything.  Reports a partner that did not end cleanly.
    void close(benchmark::State &state, bool send_stop)
    {
        pl_session_unwatch(&s);   // before the partner's normal exit can look like death
        if (s.p.pid > 0 && send_stop && !state.error_occurred()) {
            pl_msg_put(buf, arg.bytes, PL_MSG_STOP);
            if (m->send(ch, 0, buf, arg.bytes) == -1)
                state.SkipWithError(fail("sending stop", errno).c_str());
        }
        bool had = s.p.pid > 0;
        int rc = pl_session_stop(&s, STOP_TIMEOUT_MS);
        if (had && rc != 0 && !state.error_occurred())
            state.SkipWithError(partner_ended(rc).c_str());
        if (ch)
            m->detach(ch, 0);
        ch = nullptr;
        if (pinned)
            pl_unpin_self();
        pinned = false;
        std::free(buf);
        buf = nullptr;
        pl_stop_session_end();     // dies here of a Ctrl-C that came
    }

    // After a failed call: the partner's death may show (EOF, EPIPE) before
    // its SIGCHLD has set pl_partner_exited; look for up to 200 ms.
    std::string fail(const char *what, int err)
    {
        std::string msg = std::string(what) + ": " + std::strerror(err);
        if (pl_stop_requested())
            return msg + " (interrupted)";
        bool dead = pl_partner_exited != 0 || s.p.reaped;
        for (int i = 0; i < 20 && !dead && s.p.pid > 0; i++) {
            dead = !pl_partner_alive(&s.p);
            if (!dead)
                usleep(10000);
        }
        return dead ? msg + " (the partner died)" : msg;
    }
};

// After a SkipWithError before the timed loop: enter the loop anyway (it
// runs no iteration; see pl_skip in core/gbench.hh).
void skip_loop(benchmark::State &state)
{
    for (auto _ : state)
        break;
}

bool pick(benchmark::State &state, int cross, pl_placement *where)
{
    if (pl_placement_pick(cross, where) == -1) {
        pl_skip(state, cross ? "cross placement needs two allowed CPUs" : "no CPU to run on");
        return false;
    }
    return true;
}

void kill_hook(session &s, long done)
{
    if (kill_partner_after >= 0 && done == kill_partner_after && s.s.p.pid > 0)
        kill(s.s.p.pid, SIGKILL);
}

// ---- timing round trips in batches ---------------------------------------
// A clock read is not free inside a ping-pong: on a KVM guest it adds far
// more than its own cost (measured back to back) to a 100 ns cache-line
// round trip, because it stalls the store that starts the next trip.  So
// round trips are timed in batches: one clock read per batch of B round
// trips, B chosen from the warm-up so that a batch lasts about BATCH_NS
// (B = 1 for round trips slower than that).  Each sample is a batch's mean
// round trip; p50 (the headline) is the median of those samples, the mean
// is the total time over the round trips, and the timer's cost is spread
// over B trips (under 1 %).  Percentiles are of batch means: a tail shorter
// than a batch is averaged in (the "batch" counter says how many trips).
const uint64_t BATCH_NS = 20000;
const long MAX_BATCH = 4096;

struct batch_timer {
    pl_hist *h;
    long per_batch = 1;
    long in_batch = 0;
    long trips = 0;             // in completed batches
    uint64_t timed_ns = 0;      // their total time
    uint64_t start = 0;

    explicit batch_timer(pl_hist *hist) : h(hist) {}

    // From the warm-up: n round trips took ns.
    void choose(long n, uint64_t ns)
    {
        uint64_t each = n > 0 ? ns / (uint64_t)n : 0;
        per_batch = each == 0 ? MAX_BATCH : (long)((BATCH_NS + each - 1) / each);
        per_batch = std::max(1L, std::min(MAX_BATCH, per_batch));
    }
    void begin() { start = pl_now_ns(); }
    // After each round trip.
    void tick()
    {
        if (++in_batch < per_batch)
            return;
        uint64_t now = pl_now_ns();
        pl_hist_add(h, (now - start + (uint64_t)per_batch / 2) / (uint64_t)per_batch);
        timed_ns += now - start;
        trips += in_batch;
        in_batch = 0;
        start = now;
    }
    // Counters: p50/p99/p99.9 of batch means, the mean over all timed trips.
    void report(benchmark::State &state)
    {
        if (in_batch > 0 && pl_hist_count(h) == 0) {   // a run shorter than one batch
            uint64_t now = pl_now_ns();
            pl_hist_add(h, (now - start) / (uint64_t)in_batch);
            timed_ns += now - start;
            trips += in_batch;
        }
        pl_set_latency_counters(state, h);
        state.counters["mean_ns"] = trips ? (double)timed_ns / (double)trips : 0.0;
        state.counters["batch"] = (double)per_batch;
    }
};

// ---- latency: ping-pong ----------------------------------------------------
void run_pingpong(benchmark::State &state, const pl_mech *m, size_t bytes,
                  const pl_placement &where)
{
    pl_hist *h = pl_hist_new();
    session s;
    if (!h) {
        pl_skip(state, "out of memory");
        return;
    }
    if (!s.open(state, m, bytes, PL_PINGPONG, where)) {
        s.close(state, false);
        skip_loop(state);
        pl_hist_free(h);
        return;
    }
    uint64_t seq = 0;
    long done = 0;
    auto round_trip = [&]() -> bool {
        pl_msg_put(s.buf, bytes, ++seq);
        if (m->send(s.ch, 0, s.buf, bytes) == -1) {
            state.SkipWithError(s.fail("send", errno).c_str());
            return false;
        }
        if (m->recv(s.ch, 0, s.buf, bytes) == -1) {
            state.SkipWithError(s.fail("recv", errno).c_str());
            return false;
        }
        if (pl_msg_seq(s.buf) != seq) {
            state.SkipWithError(("reply carried message " + std::to_string(pl_msg_seq(s.buf)) +
                                 ", expected " + std::to_string(seq)).c_str());
            return false;
        }
        return true;
    };
    bool ok = true;
    batch_timer bt(h);
    uint64_t t0 = pl_now_ns();
    for (int i = 0; i < LATENCY_WARMUP && ok; i++)
        ok = round_trip();
    bt.choose(LATENCY_WARMUP, pl_now_ns() - t0);
    if (!ok)
        skip_loop(state);
    if (ok) {
        bt.begin();
        for (auto _ : state) {
            kill_hook(s, done);
            if (!round_trip())
                break;
            bt.tick();
            done++;
        }
    }
    s.close(state, true);
    state.SetItemsProcessed(done);
    state.SetBytesProcessed(done * 2 * (int64_t)bytes);
    bt.report(state);
    state.counters["bytes"] = (double)bytes;
    state.counters["cpu_a"] = where.self;
    state.counters["cpu_b"] = where.partner;
    pl_hist_free(h);
}
void bm_latency(benchmark::State &state, const pl_mech *m)
{
    pl_placement where;
    if (pick(state, (int)state.range(1), &where))
        run_pingpong(state, m, (size_t)state.range(0), where);
}

void bm_pairs(benchmark::State &state, const pl_mech *m)
{
    pl_placement where = {(int)state.range(0), (int)state.range(1)};
    run_pingpong(state, m, 64, where);
}

// ---- throughput: one-way stream ------------------------------------------
// Wait for the receiver's report (ipc/message.h); false: the error is set.
bool await_report(benchmark::State &state, session &s, pl_stream_report *r)
{
    if (pl_ipc_await_report(s.m, s.ch, s.s.p.ctl_fd, s.buf, s.arg.bytes, r,
                            REPORT_TIMEOUT_MS) == 0)
        return true;
    state.SkipWithError(errno == ETIMEDOUT
                            ? "no report from the receiver (stop message lost?)"
                            : "the receiver died before reporting (the partner died)");
    return false;
}

void bm_throughput(benchmark::State &state, const pl_mech *m)
{
    size_t bytes = (size_t)state.range(0);
    pl_placement where;
    session s;
    if (!pick(state, (int)state.range(1), &where))
        return;
    if (!s.open(state, m, bytes, PL_STREAM, where)) {
        s.close(state, false);
        skip_loop(state);
        return;
    }
    uint64_t seq = 0, sum = 0;
    long done = 0;
    auto send_one = [&]() -> bool {
        pl_msg_put(s.buf, bytes, ++seq);
        if (corrupt_after >= 0 && done == corrupt_after && seq > (uint64_t)STREAM_WARMUP)
            pl_msg_corrupt(s.buf, bytes);
        if (m->send(s.ch, 0, s.buf, bytes) == -1) {
            state.SkipWithError(s.fail("send", errno).c_str());
            return false;
        }
        sum += seq;
        return true;
    };
    bool ok = true;
    for (int i = 0; i < STREAM_WARMUP && ok; i++)
        ok = send_one();
    if (!ok)
        skip_loop(state);
    pl_stream_report r = {0, 0, 0, 0};
    bool reported = false;
    if (ok) {
        const benchmark::IterationCount last = state.max_iterations;
        for (auto _ : state) {
            kill_hook(s, done);
            if (!send_one())
                break;
            if (++done == last) {
                // The end, still timed: stop, and wait until all was received.
                pl_msg_put(s.buf, bytes, PL_MSG_STOP);
                if (m->send(s.ch, 0, s.buf, bytes) == -1) {
                    state.SkipWithError(s.fail("sending stop", errno).c_str());
                    break;
                }
                reported = await_report(state, s, &r);
            }
        }
    }
    s.close(state, false);
    uint64_t sent = seq;        // warm-up included: the receiver counts it too
    if (reported && !state.error_occurred()) {
        bool may_drop = (m->caps & PL_CAP_MAY_DROP) != 0;
        std::string err;
        if (r.bad)
            err = std::to_string(r.bad) + " messages out of order or corrupt";
        else if (r.count > sent || (!may_drop && (r.count != sent || r.sum != sum)))
            err = "receiver got " + std::to_string(r.count) + " messages (checksum " +
                  std::to_string(r.sum) + "), sent " + std::to_string(sent) +
                  " (checksum " + std::to_string(sum) + ")";
        if (!err.empty())
            state.SkipWithError(err.c_str());
    }
    // Count what arrived, not what was sent.
    uint64_t received = reported ? r.count : 0;
    int64_t timed = received > (uint64_t)STREAM_WARMUP ? (int64_t)received - STREAM_WARMUP : 0;
    state.SetItemsProcessed(timed);
    state.SetBytesProcessed(timed * (int64_t)bytes);
    state.counters["bytes"] = (double)bytes;
    state.counters["dropped"] = reported ? (double)(sent - r.count) : 0.0;
    state.counters["drop_ratio"] = reported && sent ? (double)(sent - r.count) / (double)sent : 0.0;
    state.counters["cpu_a"] = where.self;
    state.counters["cpu_b"] = where.partner;
}

// ---- floors --------------------------------------------------------------
void bm_memcpy(benchmark::State &state)
{
    size_t bytes = (size_t)state.range(0);
    // Aligned like every message buffer (pl_ipc_buf_alloc).
    std::unique_ptr<unsigned char, void (*)(void *)> src(
        static_cast<unsigned char *>(pl_ipc_buf_alloc(bytes)), std::free),
        dst(static_cast<unsigned char *>(pl_ipc_buf_alloc(bytes)), std::free);
    pl_placement where;
    if (!src || !dst) {
        pl_skip(state, "out of memory");
        return;
    }
    std::memset(src.get(), 0x5a, bytes);
    if (!pick(state, 0, &where))
        return;
    pl_pin_self(where.self);
    for (int i = 0; i < 8; i++)
        std::memcpy(dst.get(), src.get(), bytes);
    for (auto _ : state) {
        std::memcpy(dst.get(), src.get(), bytes);
        benchmark::DoNotOptimize(dst.get());
        benchmark::ClobberMemory();
    }
    pl_unpin_self();
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * (int64_t)bytes);
    state.counters["bytes"] = (double)bytes;
}

int line_partner(void *arg, int ctl_fd)
{
    pl_floor_line *l = static_cast<pl_floor_line *>(arg);
    pid_t parent = getppid();
    if (pl_partner_ready(ctl_fd) == -1)
        return PL_PARTNER_REPORT;
    return pl_floor_line_serve(l, parent) == 0 ? PL_PARTNER_OK : PL_PARTNER_RECV;
}

void time_cacheline(benchmark::State &state, pl_floor_line *l, pl_session *s, pl_hist *h)
{
    long done = 0;
    bool ok = true;
    batch_timer bt(h);
    uint64_t t0 = pl_now_ns();
    for (int i = 0; i < 1000 && ok; i++)
        ok = pl_floor_line_roundtrip(l) == 0;
    bt.choose(1000, pl_now_ns() - t0);
    if (!ok)
        state.SkipWithError((std::string("warm-up: ") + std::strerror(errno)).c_str());
    bt.begin();
    for (auto _ : state) {
        if (!ok)
            break;      // the error is set: no iteration runs anyway
        if (kill_partner_after >= 0 && done == kill_partner_after)
            kill(s->p.pid, SIGKILL);
        if (pl_floor_line_roundtrip(l) == -1) {
            state.SkipWithError((std::string("round trip: ") + std::strerror(errno)).c_str());
            break;
        }
        bt.tick();
        done++;
    }
    state.SetItemsProcessed(done);
    bt.report(state);
}

void bm_cacheline(benchmark::State &state, int each_way)
{
    pl_placement where;
    if (!pick(state, 1, &where))
        return;
    pl_floor_line *l = pl_floor_line_new(each_way);
    pl_hist *h = pl_hist_new();
    pl_session s;
    pl_session_init(&s);
    pl_stop_session_begin();
    if (!l || !h) {
        pl_skip(state, "out of memory");
    } else if (pl_pin_self(where.self) == -1) {
        pl_skip(state, std::string("pinning the parent: ") + std::strerror(errno));
    } else if (pl_session_start(&s, where.partner, line_partner, l, START_TIMEOUT_MS,
                                WATCHDOG_S) == -1) {
        pl_skip(state, std::string("starting the partner: ") + std::strerror(errno));
    } else {
        time_cacheline(state, l, &s, h);
        pl_session_unwatch(&s);
        pl_floor_line_stop(l);
        int rc = pl_session_stop(&s, STOP_TIMEOUT_MS);
        if (rc != 0 && !state.error_occurred())
            state.SkipWithError(partner_ended(rc).c_str());
    }
    pl_unpin_self();
    if (h && state.counters.find("batch") == state.counters.end())   // not timed
        pl_set_latency_counters(state, h);
    state.counters["cpu_a"] = where.self;
    state.counters["cpu_b"] = where.partner;
    pl_hist_free(h);
    pl_floor_line_free(l);
    pl_stop_session_end();
}

// ---- the reference program -----------------------------------------------
long ref_round_trips = 3000;

void bm_ref(benchmark::State &state)
{
    size_t bytes = (size_t)state.range(0);
    pl_placement where;
    if (!pick(state, (int)state.range(1), &where))
        return;
    double ns = 0;
    for (auto _ : state) {
        char why[512];
        if (pl_ipc_run_ref(where.self, where.partner, ref_round_trips, bytes, &ns, why,
                           sizeof why) == -1) {
            state.SkipWithError(why);
            break;
        }
        state.SetIterationTime(ns * 1e-9);  // one "iteration" = one round trip
    }
    state.counters["bytes"] = (double)bytes;
    state.counters["round_trips"] = (double)ref_round_trips;
    state.counters["cpu_a"] = where.self;
    state.counters["cpu_b"] = where.partner;
}

// ---- registration --------------------------------------------------------
void register_pairs(const pl_mech *m)
{
    pl_placement pairs[256];
    int n = pl_placement_all_pairs(pairs, 256);
    auto *b = benchmark::RegisterBenchmark((std::string("ipc_pairs/") + m->name).c_str(),
                                           bm_pairs, m);
    for (int i = 0; i < n; i++)
        b->Args({pairs[i].self, pairs[i].partner});
    b->ArgNames({"cpu_a", "cpu_b"})->UseRealTime()->Unit(benchmark::kMicrosecond);
}

void register_all(pl_suite suite)
{
    if (pairs_mode) {
        const pl_mech *m = pl_mech_find(pairs_mech.empty() ? "shm_spin" : pairs_mech.c_str());
        if (m)
            register_pairs(m);
        return;
    }
    const pl_ipc_sizes *sz = pl_ipc_sizes_for(suite == pl_suite::full);
    ref_round_trips = suite == pl_suite::quick ? 3000 : 20000;
    std::string skipped;
    for (const pl_mech *const *m = pl_mechs; *m; m++) {
        char k[256];
        pl_ipc_skipped(*m, sz, k, sizeof k);
        if (k[0])
            skipped += (skipped.empty() ? "" : " | ") + std::string(k);
    }
    benchmark::AddCustomContext("ipc_skipped_sizes", skipped.empty() ? "none" : skipped);
    // The registry, in order: scripts take names (and plot colours) from here.
    std::string names;
    for (const pl_mech *const *m = pl_mechs; *m; m++)
        names += (names.empty() ? "" : " ") + std::string((*m)->name);
    benchmark::AddCustomContext("ipc_mechanisms", names);

    auto *mc = benchmark::RegisterBenchmark("ipc_floor/memcpy", bm_memcpy);
    for (size_t i = 0; i < sz->n_throughput; i++)
        mc->Arg(sz->throughput[i]);
    mc->ArgName("bytes")->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("ipc_floor/cacheline", bm_cacheline, 0)
        ->Arg(1)->ArgName("cross")->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("ipc_floor/line_each_way", bm_cacheline, 1)
        ->Arg(1)->ArgName("cross")->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("ipc_ref/pipe_pingpong", bm_ref)
        ->Args({64, 0})->Args({64, 1})->ArgNames({"bytes", "cross"})
        ->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);

    for (const pl_mech *const *mp = pl_mechs; *mp; mp++) {
        const pl_mech *m = *mp;
        auto *lat = benchmark::RegisterBenchmark(
            (std::string("ipc_latency/") + m->name).c_str(), bm_latency, m);
        for (size_t i = 0; i < sz->n_latency; i++)
            if (pl_ipc_fits(m, sz->latency[i]))
                lat->Args({sz->latency[i], 0})->Args({sz->latency[i], 1});
        lat->ArgNames({"bytes", "cross"})->UseRealTime()->Unit(benchmark::kMicrosecond);
        // The hook's run is one long session (no short probe run first), so
        // a lost Ctrl-C would show as a run that goes on.
        if (stop_during_start)
            lat->Iterations(100000000);
        // Cross-CPU streams of big messages swing most between repetitions
        // (where the kernel wakes the reader, how the pages happen to lie):
        // their repetitions last LONG_STREAM times the run's minimum time
        // (Google Benchmark then names them .../min_time:S/...).
        std::string thr_name = std::string("ipc_throughput/") + m->name;
        auto *thr = benchmark::RegisterBenchmark(thr_name.c_str(), bm_throughput, m);
        std::vector<int64_t> long_sizes;
        for (size_t i = 0; i < sz->n_throughput; i++) {
            if (!pl_ipc_fits(m, sz->throughput[i]))
                continue;
            thr->Args({sz->throughput[i], 0});
            if (sz->throughput[i] >= LONG_STREAM_BYTES)
                long_sizes.push_back(sz->throughput[i]);
            else
                thr->Args({sz->throughput[i], 1});
        }
        thr->ArgNames({"bytes", "cross"})->UseRealTime()->Unit(benchmark::kMicrosecond);
        if (!long_sizes.empty()) {
            auto *thr_long = benchmark::RegisterBenchmark(thr_name.c_str(), bm_throughput, m);
            for (int64_t b : long_sizes)
                thr_long->Args({b, 1});
            thr_long->ArgNames({"bytes", "cross"})->UseRealTime()->Unit(benchmark::kMicrosecond)
                ->MinTime(LONG_STREAM * pl_min_time_s);
        }
    }
}

bool parse_count(const char *v, long *out)
{
    char *end;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno || n < 0)
        return false;
    *out = n;
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    // A dead reader must be EPIPE from write(), not a fatal signal.
    signal(SIGPIPE, SIG_IGN);
    // Ctrl-C/SIGTERM in a session kill the partner; the session then removes
    // its objects and dies of the signal.
    if (pl_stop_install(pl_partner_kill_all) == -1) {
        std::perror("bench_ipc: sigaction");
        return 1;
    }

    // `--pairs=all MECH`: take the mechanism name out before the shared
    // parser, which would reject a bare word.
    std::vector<char *> args;
    bool pairs_given = false;
    for (int i = 1; i < argc; i++)
        pairs_given |= std::strcmp(argv[i], "--pairs=all") == 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && argv[i][0] != '-' && pl_mech_find(argv[i])) {
            pairs_mech = argv[i];
            continue;
        }
        args.push_back(argv[i]);
    }
    std::vector<pl_flag> flags = {
        {"pairs", "=all [MECH]: 64-byte ping-pong of MECH (default shm_spin) on every CPU pair",
         [](const char *v) {
             pairs_mode = std::strcmp(v, "all") == 0;
             return pairs_mode;
         }},
        {"list", "list the mechanisms, their largest message and skipped sizes, then exit",
         [](const char *v) {
             if (*v != '\0')
                 return false;      // --list takes no value
             pl_ipc_list(stdout);
             std::exit(0);
             return true;
         }},
        {"kill-partner-after", "=N (testing) SIGKILL the partner after N round trips/messages",
         [](const char *v) { return parse_count(v, &kill_partner_after); }},
        {"corrupt-after", "=N (testing) spoil the Nth timed message of every stream",
         [](const char *v) { return parse_count(v, &corrupt_after); }},
        {"stop-during-start", "(testing) raise SIGINT while a latency run's partner is being started",
         [](const char *v) {
             stop_during_start = true;
             return *v == '\0';
         }},
    };
    if (!pairs_mech.empty() && !pairs_given) {
        std::fprintf(stderr, "%s: a mechanism name is only taken with --pairs=all\n", argv[0]);
        return 2;
    }
    pl_suite_defaults defaults;
    // Five interleaved repetitions (a CV from three means little) in about
    // the time three took.
    defaults.quick_repetitions = 5;
    defaults.quick_min_time = 0.03;
    defaults.full_min_time = 0.3;
    return pl_gbench_main(
        (int)args.size(), args.data(), "ipc",
        "IPC between two processes: latency (ping-pong) and throughput (one-way\n"
        "stream) of every mechanism, same CPU (cross:0) and two CPUs (cross:1),\n"
        "with the memcpy and cache-line floors.  --list shows the mechanisms.",
        register_all, flags, defaults);
}

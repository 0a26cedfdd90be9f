#!/usr/bin/env bats
# The summaries' numbers checked against the JSON they come from: a small
# synthetic run with known times (three repetitions and their aggregates,
# as Google Benchmark writes them) goes through scripts/families/FAMILY/
# summary.py, and every ratio it prints is recomputed here straight from
# the JSON (not through scripts/lib/results.py), direction included: the
# numbers are chosen so that a ratio printed upside down, or two columns
# swapped, gives a different figure.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# summary.py FAMILY: writes $BATS_TEST_TMPDIR/run/FAMILY.json from the
# Python on stdin (which defines BENCH = [(name, real_ns, {counters})]),
# runs the family's summary.py on it, and then runs the same Python's
# check(out, ns, counters) with the summary's output.
summary_check() {
    local fam=$1 run="$BATS_TEST_TMPDIR/run"
    mkdir -p "$run"
    run /usr/bin/python3 - "$fam" "$run" "$PROCLAB_ROOT/scripts/families/$fam/summary.py" \
        3<&0 <<'PY'
import json, os, re, subprocess, sys
fam, run, script = sys.argv[1:4]
spec = {}
exec(os.fdopen(3).read(), spec)
# Three repetitions of each (median = the given time, mean and CPU time
# off by amounts not proportional to it, so a summary that read either
# would print other ratios) and Google Benchmark's aggregates.
benchmarks, ns, counters = [], {}, {}
for name, real_ns, extra in spec["BENCH"]:
    full = name + "/repeats:3/real_time"
    d = 0.2 * real_ns + 50
    times = [real_ns - d, real_ns, real_ns + 5 * d]
    def entry(kind, t, **more):
        e = {"name": full, "run_name": full, "run_type": kind, "repetitions": 3,
             "threads": 1, "iterations": 1000, "real_time": t,
             "cpu_time": 0.5 * t + 1000, "time_unit": "ns"}
        e.update(more)
        e.update(extra)
        return e
    for i, t in enumerate(times):
        benchmarks.append(entry("iteration", t, repetition_index=i))
    for agg, t in (("mean", sum(times) / 3), ("median", real_ns), ("stddev", 3 * d), ("cv", 0.1)):
        benchmarks.append(entry("aggregate", t, aggregate_name=agg,
                                name=full + "_" + agg))
    ns[name], counters[name] = real_ns, extra
json.dump({"context": spec.get("CONTEXT", {}), "benchmarks": benchmarks},
          open(os.path.join(run, fam + ".json"), "w"))
out = subprocess.run([sys.executable, script, run], check=True, capture_output=True,
                     text=True).stdout
print(out)
for line in spec["check"](out, ns, counters):
    if not re.search(line, out, re.M):
        sys.exit("not in the summary: %s" % line)
print("all ratios agree with the JSON")
PY
    assert_success
    assert_line "all ratios agree with the JSON"
}

@test "ipc summary.py: p50 headline, x floor, / memcpy, harness vs reference, shm_spin vs pipe and vs the true floor: each from the JSON" {
    # real time (Google Benchmark's mean per iteration), p50_ns and mean_ns
    # differ and are not proportional: a summary that read the wrong one
    # would print other ratios.
    summary_check ipc <<'PY'
CONTEXT = {"proclab_family": "ipc", "proclab_suite": "quick", "ipc_skipped_sizes": "none"}
def lat(m, c, t): return ("ipc_latency/%s/bytes:64/cross:%d" % (m, c), 1.7 * t + 30,
                          {"p50_ns": t, "mean_ns": 1.3 * t + 20, "p99_ns": 2.0 * t})
def thr(m, c, bps): return ("ipc_throughput/%s/bytes:64/cross:%d" % (m, c), 640.0,
                            {"bytes_per_second": bps, "items_per_second": bps / 64, "dropped": 0})
BENCH = [lat("pipe", 0, 3000.0), lat("pipe", 1, 6000.0),
         lat("shm_spin", 0, 1000.0), lat("shm_spin", 1, 800.0),
         thr("pipe", 0, 2e8), thr("pipe", 1, 1e8), thr("shm_spin", 0, 2e9), thr("shm_spin", 1, 1e9),
         ("ipc_ref/pipe_pingpong/bytes:64/cross:0", 4000.0, {}),
         ("ipc_ref/pipe_pingpong/bytes:64/cross:1", 5000.0, {}),
         ("ipc_floor/cacheline/cross:1", 700.0, {"p50_ns": 400.0, "mean_ns": 450.0,
                                                 "p99_ns": 500.0, "batch": 50}),
         ("ipc_floor/line_each_way/cross:1", 900.0, {"p50_ns": 640.0, "mean_ns": 700.0,
                                                     "p99_ns": 800.0, "batch": 40}),
         ("ipc_floor/memcpy/bytes:64", 16.0, {"bytes_per_second": 4e9})]

def check(out, ns, ctr):
    P = lambda m, c: ctr["ipc_latency/%s/bytes:64/cross:%d" % (m, c)]["p50_ns"]
    M = lambda m, c: ctr["ipc_latency/%s/bytes:64/cross:%d" % (m, c)]["mean_ns"]
    floor = ctr["ipc_floor/cacheline/cross:1"]["p50_ns"]
    memcpy = ctr["ipc_floor/memcpy/bytes:64"]["bytes_per_second"]
    shown = {3000.0: "3.00 us", 6000.0: "6.00 us", 7820.0: "7.82 us", 1000.0: "1.00 us",
             800.0: "800 ns", 1060.0: "1.06 us"}     # the values chosen above, as printed
    fmt = lambda v: shown[round(v, 6)]
    want = []
    for m in ("pipe", "shm_spin"):      # p50 same, p50 cross, mean, p99, x floor
        want.append(r"^%s +%s +%s +%s .* %.1fx$" % (m, fmt(P(m, 0)), fmt(P(m, 1)),
                                                   fmt(M(m, 1)), P(m, 1) / floor))
        bps = ctr["ipc_throughput/%s/bytes:64/cross:1" % m]["bytes_per_second"]
        want.append(r"^%s .* %.1f %% +0$" % (m, 100 * bps / memcpy))
    for c in (0, 1):                    # our mean / stand-alone reference
        x = M("pipe", c) / ns["ipc_ref/pipe_pingpong/bytes:64/cross:%d" % c]
        want.append(r"pipe 64 B cross:%d .* = %.2fx " % (c, x))
    # "N x faster": the slower one over the faster one
    want.append(r"shm_spin 64 B cross p50 .* is %.1fx faster than pipe" % (P("pipe", 1) / P("shm_spin", 1)))
    x = P("shm_spin", 1) / floor
    want.append(r"shm_spin 64 B cross p50 .* / true floor .* = %.2fx   %s"
                % (x, "PASS" if x <= 2.0 else "CHECK"))
    assert "7.5x" in want[-2] and "15.0x" in want[0] and "2.00x   PASS" in want[-1]
    each = ctr["ipc_floor/line_each_way/cross:1"]["p50_ns"]
    want.append(r"one line each way .* = %.2fx the floor; shm_spin 64 B = %.2fx that"
                % (each / floor, P("shm_spin", 1) / each))
    return want
PY
}

@test "sync summary.py: table, uncontended multiples, flock vs mutex, procs:2 / procs:1: each from the JSON" {
    # Only ratios are checked (they do not depend on the unit of ns_per_op).
    summary_check sync <<'PY'
CONTEXT = {"proclab_family": "sync"}
T = {("atomic", 1): 10.0, ("atomic", 2): 40.0, ("mutex", 1): 20.0, ("mutex", 2): 70.0,
     ("flock", 1): 800.0, ("flock", 2): 2000.0}
BENCH = [("sync/%s/procs:%d" % k, 5e6, {"ns_per_op": v, "items_per_second": 1e9 / v})
         for k, v in T.items()]
UNIT = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}

def check(out, ns, ctr):
    import re
    op = lambda lock, p: ctr["sync/%s/procs:%d" % (lock, p)]["ns_per_op"]
    want = []
    for lock in ("atomic", "mutex", "flock"):
        # the table: procs:1 then procs:2, in that ratio
        m = re.search(r"^%s +([0-9.]+) (ns|us|ms|s) +([0-9.]+) (ns|us|ms|s)$" % lock, out, re.M)
        assert m, "no table row for " + lock
        shown = float(m.group(3)) * UNIT[m.group(4)] / (float(m.group(1)) * UNIT[m.group(2)])
        assert abs(shown / (op(lock, 2) / op(lock, 1)) - 1) < 0.01, (lock, shown)
        want.append(r"%s +procs:2 / procs:1 = %.2fx" % (lock, op(lock, 2) / op(lock, 1)))
    want.append(r"atomic add \(.*\): mutex %.1fx, flock %.1fx"
                % (op("mutex", 1) / op("atomic", 1), op("flock", 1) / op("atomic", 1)))
    want.append(r"one flock lock\+unlock costs as much as %.0f mutex ones"
                % (op("flock", 1) / op("mutex", 1)))
    assert "3.50x" in want[1]           # the numbers chosen above
    return want
PY
}

@test "spawn summary.py: fork growth, spawn/vfork flat, harness vs reference, thread and forkserver: each from the JSON" {
    summary_check spawn <<'PY'
CONTEXT = {"proclab_family": "spawn", "spawn_pinned_cpu": "1"}
T = {("fork", 0): 100e3, ("fork", 256): 500e3, ("fork", 1024): 1600e3,
     ("posix_spawn", 0): 80e3, ("posix_spawn", 256): 88e3, ("posix_spawn", 1024): 90e3,
     ("vfork", 0): 60e3, ("vfork", 256): 57e3, ("vfork", 1024): 58e3,
     ("thread", 0): 20e3, ("forkserver", 1024): 400e3}
BENCH = [("spawn/%s/rss_mib:%d" % k, v, {"p99_ns": 2 * v, "items_per_second": 1e9 / v})
         for k, v in T.items()]
# Separate benchmarks say 100/80 = 1.25x (CHECK); the side-by-side counter
# says 1.04x (PASS): the verdict must follow the counter.
BENCH += [("spawn_ref/fork_loop/rss_mib:0", 80e3, {"probe_over_ref": 1.04}),
          ("spawn_inproc/fork/rss_mib:0", 130e3, {})]

def check(out, ns, ctr):
    s = lambda m, mib: ns["spawn/%s/rss_mib:%d" % (m, mib)]
    want = [r"fork 256 MiB / 0 MiB = %.2fx" % (s("fork", 256) / s("fork", 0)),
            r"fork 1024 MiB / 0 MiB = %.2fx" % (s("fork", 1024) / s("fork", 0))]
    for m in ("posix_spawn", "vfork"):
        want.append(r"%s 256 MiB / 0 MiB = %.2fx" % (m, s(m, 256) / s(m, 0)))
    x = s("fork", 0) / ns["spawn_ref/fork_loop/rss_mib:0"]
    paired = ctr["spawn_ref/fork_loop/rss_mib:0"]["probe_over_ref"]
    want.append(r"minimal fork loop \(ref_fork\), side by side in alternating batches = %.2fx   %s"
                r" .*as separate benchmarks: .* = %.2fx"
                % (paired, "PASS" if 0.9 <= paired <= 1.1 else "CHECK", x))
    want.append(r"inside bench_spawn .* = %.2fx the small C probe"
                % (ns["spawn_inproc/fork/rss_mib:0"] / s("fork", 0)))
    want.append(r"a process \(fork, 0 MiB\) costs %.0fx a thread" % (s("fork", 0) / s("thread", 0)))
    want.append(r"at 1024 MiB, forkserver is %.1fx faster than fork"
                % (s("fork", 1024) / s("forkserver", 1024)))
    return want
PY
}

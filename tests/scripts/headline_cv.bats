#!/usr/bin/env bats
# scripts/lib/results.py: the CV of a benchmark is the CV of its headline --
# p50 for round trips timed in batches (counter "batch"), real time
# otherwise; the real time's CV stays in cv_mean.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "results.py: round trips timed in batches take the CV of p50, others of real time" {
    run /usr/bin/python3 - "$PROCLAB_ROOT/scripts/lib" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import results as R

def runs(name, times, p50s, batch):
    out = []
    for i, (t, p) in enumerate(zip(times, p50s)):
        e = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 3,
             "repetition_index": i, "iterations": 100, "real_time": t, "cpu_time": t,
             "time_unit": "ns", "p50_ns": p}
        if batch:
            e["batch"] = 8
        out.append(e)
    return out

times, p50s = [100.0, 150.0, 200.0], [50.0, 51.0, 52.0]     # mean noisy, p50 steady
doc = {"benchmarks": runs("ipc_latency/x/bytes:64/cross:1/real_time", times, p50s, True)
       + runs("spawn/fork/rss_mib:0/manual_time", times, p50s, False)}
lat, spawn = R.results(doc)
import statistics as st
cv = lambda xs: st.stdev(xs) / st.mean(xs)
assert abs(lat.cv - cv(p50s)) < 1e-9 and abs(lat.cv_mean - cv(times)) < 1e-9, (lat.cv, lat.cv_mean)
assert abs(spawn.cv - cv(times)) < 1e-9 and spawn.cv == spawn.cv_mean, spawn.cv
assert not lat.noisy and spawn.noisy
print("ok")
PY
    assert_success
    assert_output "ok"
}

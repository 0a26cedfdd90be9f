#!/usr/bin/env bats
# scripts/families/pool: CSV, plots (speedup, overhead, chunks, timeline) and
# the summary made from a real short bench_pool run and Python probe run;
# the summary's ratios and goals recomputed here from the JSON they come
# from; a failed benchmark shown as FAILED.
# bats file_tags=scripts,pool

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

FAM="$PROCLAB_ROOT/scripts/families/pool"

short_run() {  # RUNDIR: bench_pool and the probe, as bench.sh would, but short
    local run=$1
    mkdir -p "$run"
    run_bounded 60 bench_pool \
        --benchmark_filter='pool/(shm|static_shards)/workers:(1|2)/grain_us:(0|1000)/|pool_skew' \
        --benchmark_repetitions=1 --benchmark_min_time=0.005 \
        --benchmark_out="$run/pool.json" --benchmark_out_format=json
    assert_success
    PROCLAB_BENCH_NO_MPI=1 run_bounded 30 "$FAM/extra.sh" "$run" "$PROCLAB_BIN"   # MPI: tests/bench/mpi.bats
    assert_success
    run_bounded 60 "$PROCLAB_ROOT/scripts/families/python/probe.py" --repetitions 1 --tasks-scale 0.05 \
        --filter 'pool_map/chunk:1/workers:(1|2)/grain_us:(0|1000)$' --out "$run/python.json"
    assert_success
}

@test "pool plot.sh + summary.py: CSV, four plots, and answers that match the JSON" {
    r="$BATS_TEST_TMPDIR/run"
    short_run "$r"
    run_bounded 60 "$FAM/plot.sh" "$r"
    assert_success
    run bash -c "tr -d '\\r' < '$r/pool_scaling.csv'"
    assert_line --index 0 "kind,chunk,grain_us,workers,us_per_task,tasks_per_s,overhead_us,speedup,efficiency,error"
    assert_line --regexp '^shm,1,0,2,[0-9.e+-]+,[0-9.]+,[0-9.e+-]+,[0-9.e+-]+,[0-9.e+-]+,$'
    assert_line --regexp '^static_shards,0,1000,1,'
    for p in pool_speedup pool_overhead pool_chunks pool_timeline; do
        run file "$r/plots/$p.png"
        assert_output --partial "PNG image data"
        [ -s "$r/plots/$p.svg" ]
    done
    run_bounded 30 "$FAM/summary.py" "$r"
    assert_success
    summary=$output
    run python3 - "$r" "$summary" <<'PY'
import json, re, sys
run, text = sys.argv[1], sys.argv[2]
def med(path):
    return {b["name"].replace("/manual_time", ""): b for b in json.load(open(path))["benchmarks"]
            if b["run_type"] == "iteration"}
c, py = med(run + "/pool.json"), med(run + "/python.json")
shm = c["pool/shm/workers:2/grain_us:0/chunk:1"]["overhead_us_per_task"]
mp = py["python/pool_map/chunk:1/workers:2/grain_us:0"]["overhead_us_per_task"]
m = re.search(r"goal: shm pool overhead/task .*: (\d+)x lower \(want >= 20x\): (met|NOT met)", text)
assert m, text
assert int(m.group(1)) == round(mp / shm), (m.group(1), mp / shm)      # Python / C, not C / Python
assert m.group(2) == ("met" if mp / shm >= 20 else "NOT met")
eff = c["pool/shm/workers:1/grain_us:1000/chunk:1"]["real_time"] / c["pool/shm/workers:2/grain_us:1000/chunk:1"]["real_time"] / 2
m = re.search(r"goal: shm pool efficiency at W=2, grain 1000 us, chunk 1 is ([0-9.]+) \(want >= 0.85\): (met|NOT met)", text)
assert m and abs(float(m.group(1)) - eff) < 0.006, (m and m.group(1), eff)
assert m.group(2) == ("met" if eff >= 0.85 else "NOT met")
st = c["pool_skew/static_shards/workers:2/grain_us:100/chunk:auto"]["real_time"]
q = c["pool_skew/shm/workers:2/grain_us:100/chunk:1"]["real_time"]
m = re.search(r"the fixed split takes ([0-9.]+)x as long", text)
assert m and abs(float(m.group(1)) - st / q) < 0.006, (m and m.group(1), st / q)
assert "C vs Python vs shell" in text
print("ok")
PY
    assert_output "ok"
}

@test "pool summary.py: a failed benchmark is FAILED with its message; no python.json is said" {
    r="$BATS_TEST_TMPDIR/run"
    mkdir -p "$r"
    python3 - "$r/pool.json" <<'PY'
import json, sys
def b(name, t, **kw):
    d = {"name": name + "/manual_time", "run_name": name + "/manual_time", "run_type": "iteration",
         "repetitions": 1, "repetition_index": 0, "threads": 1, "iterations": 100,
         "real_time": t, "cpu_time": t, "time_unit": "us", "items_per_second": 1e6 / t if t else 0.0}
    d.update(kw)
    return d
json.dump({"context": {"pool_kinds": "shm pipe"}, "benchmarks": [
    b("pool/shm/workers:1/grain_us:0/chunk:1", 1.0, overhead_us_per_task=1.0, workers=1),
    b("pool/shm/workers:2/grain_us:0/chunk:1", 1.0, overhead_us_per_task=2.0, workers=2),
    b("pool/pipe/workers:2/grain_us:0/chunk:1", 0.0, error_occurred=True,
      error_message="running the tasks: Input/output error")]}, open(sys.argv[1], "w"))
PY
    run "$FAM/summary.py" "$r"
    assert_success
    assert_line --regexp '^pipe +1 +0 +2 +FAILED'
    assert_output --partial "running the tasks: Input/output error"
    assert_output --partial "no python.json in this run"
    assert_output --partial "not measured in this run"
}

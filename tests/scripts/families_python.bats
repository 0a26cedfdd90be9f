#!/usr/bin/env bats
# scripts/families/python: the Python and shell probe writes Google
# Benchmark's JSON shape with stable names; a missing tool is skipped with
# a note, never an error; bad arguments exit 2; the summary reads the JSON.
# bats file_tags=scripts,python

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

FAM="$PROCLAB_ROOT/scripts/families/python"

@test "probe.py: --help, bad arguments exit 2, --list has the stable names" {
    run "$FAM/probe.py" --help
    assert_success
    assert_line --index 0 --regexp '^Usage: probe.py '
    [ "$(sed -n 's/^Usage: //p' "$FAM/probe.py" | head -1)" = "${lines[0]#Usage: }" ]
    for bad in --bogus "--repetitions=0" "--repetitions=x" "--tasks-scale=-1" "--filter=(" "--out"; do
        run --separate-stderr "$FAM/probe.py" "$bad"
        assert_failure 2
        [[ -n $stderr ]]
    done
    run "$FAM/probe.py" --list
    assert_success
    for name in python/pool_map/chunk:1/workers:2/grain_us:0 python/pool_map/chunk:auto/workers:1/grain_us:1000 \
        python/pool_imap_unordered/chunk:1/workers:2/grain_us:0 python/ppe_submit/workers:2/grain_us:0 \
        python/ppe_map/chunk:1/workers:2/grain_us:1000 python/tpe_map/workers:2/grain_us:0 \
        python/process_start/method:fork python/process_start/method:forkserver \
        python/process_start/method:spawn python/pipe_pingpong/bytes:64 python/queue_pingpong/bytes:64 \
        shell/xargs/workers:2 shell/parallel/workers:2; do
        assert_line "$name"
    done
    run "$FAM/probe.py" --list --full
    assert_line python/pool_map/chunk:1/workers:1/grain_us:100
}

@test "probe.py: a short filtered run is Google Benchmark JSON; missing GNU parallel is skipped with a note" {
    out="$BATS_TEST_TMPDIR/python.json"
    tools="$BATS_TEST_TMPDIR/tools"          # a PATH with xargs and no parallel
    mkdir "$tools" && ln -s "$(command -v xargs)" "$tools/xargs"
    run_bounded 60 env PATH="$tools" "$FAM/probe.py" --repetitions 2 --tasks-scale 0.05 \
        --filter 'pool_map/chunk:1/workers:2/grain_us:0|ppe_submit/workers:1/grain_us:0|pipe_pingpong|method:fork$|shell/.*workers:2' \
        --out "$out"
    assert_success
    run python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ctx = d["context"]
assert ctx["proclab_family"] == "python" and float(ctx["python_spin_turns_per_us"]) > 0, ctx
assert "shell/parallel/workers:2: parallel not installed" in ctx["python_skipped"], ctx
it = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
med = {b["run_name"]: b for b in d["benchmarks"] if b.get("aggregate_name") == "median"}
names = sorted({b["name"] for b in it})
assert names == sorted(["python/pool_map/chunk:1/workers:2/grain_us:0",
    "python/ppe_submit/workers:1/grain_us:0", "python/pipe_pingpong/bytes:64",
    "python/process_start/method:fork", "shell/xargs/workers:2"]), names
for b in it:
    assert not b.get("error_occurred"), b
    assert b["time_unit"] == "us" and b["real_time"] > 0 and b["iterations"] > 0, b
    assert abs(b["items_per_second"] * b["real_time"] / 1e6 - 1) < 1e-6, b
    assert b["repetitions"] == 2 and b["name"] in med, b
p = med["python/pool_map/chunk:1/workers:2/grain_us:0"]
assert p["workers"] == 2 and p["grain_us"] == 0 and p["chunksize"] == 1, p
# overhead beyond the grain: time per task x workers - grain
for b in it:
    if b["name"] == p["run_name"]:
        assert abs(b["overhead_us_per_task"] - b["real_time"] * 2) < 1e-6, b
print("ok")
PY
    assert_output "ok"
    mkdir "$BATS_TEST_TMPDIR/run" && cp "$out" "$BATS_TEST_TMPDIR/run/python.json"
    run "$FAM/summary.py" "$BATS_TEST_TMPDIR/run"
    assert_success
    assert_line --regexp '^pool_map/chunk:1 +2 +0 '
    assert_output --partial "skipped: shell/parallel/workers:2: parallel not installed"
}

@test "probe.py: a failing probe is reported in the JSON and the exit status, the others still run" {
    out="$BATS_TEST_TMPDIR/python.json"
    tools="$BATS_TEST_TMPDIR/tools"          # an xargs that fails
    mkdir "$tools" && printf '#!/bin/sh\nexit 3\n' >"$tools/xargs" && chmod +x "$tools/xargs"
    run_bounded 60 env PATH="$tools" "$FAM/probe.py" --repetitions 1 --tasks-scale 0.05 \
        --filter 'shell/xargs/workers:1|pipe_pingpong' --out "$out"
    assert_failure 1
    run python3 - "$out" <<'PY'
import json, sys
by = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
assert by["shell/xargs/workers:1"]["error_occurred"], by
assert not by["python/pipe_pingpong/bytes:64"].get("error_occurred"), by
print("ok")
PY
    assert_output "ok"
}

@test "bench.sh runs the probe as the python family: python.json in the run folder, its summary section" {
    r="$BATS_TEST_TMPDIR/run"
    run_bounded 120 "$PROCLAB_ROOT/scripts/bench.sh" --only python --filter 'pipe_pingpong' --out "$r"
    assert_success
    assert_output --partial "python: multiprocessing, concurrent.futures and the shell"
    assert_output --partial "python/pipe_pingpong/bytes:64"
    run grep -c "scripts/families/python/run.sh $r quick" "$r/command.txt"
    assert_output "1"
    run python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted({b["run_name"] for b in d["benchmarks"]}))' "$r/python.json"
    assert_output "['python/pipe_pingpong/bytes:64']"
    grep -q "^## python" "$r/report.md"
}

#!/usr/bin/env bats
# scripts/bench.sh and scripts/report.sh: flags, the run folder's layout,
# JSON and machine.json schema, never overwriting, Ctrl-C, re-reporting.
# Runs are filtered to two spawn benchmarks so each takes a few seconds.
# bats file_tags=scripts,bench

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

FILTER='spawn/(fork|thread)/rss_mib:0'

BENCH=$PROCLAB_ROOT/scripts/bench.sh
export PROCLAB_BUILD=${PROCLAB_BIN%/bin}   # the runner uses this tree's build

@test "bench.sh --help exits 0 with the usage line" {
    run "$BENCH" --help
    assert_success
    assert_line --index 0 "Usage: scripts/bench.sh [--quick|--full] [--out DIR] [--only FAMILY[,FAMILY]] [--filter REGEX] [--help]"
}

@test "bench.sh: bad flags exit 2 with a message" {
    run --separate-stderr "$BENCH" --bogus
    assert_failure 2
    [[ $stderr == *"unknown argument '--bogus'"* ]]
    run --separate-stderr "$BENCH" --out
    assert_failure 2
    [[ $stderr == *"--out needs a value"* ]]
    run --separate-stderr "$BENCH" --only nosuchfamily --out "$BATS_TEST_TMPDIR/x"
    assert_failure 2
    [[ $stderr == *"no family 'nosuchfamily'"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "bench.sh: a filtered run writes the whole layout with valid JSON; report.sh remakes it" {
    run_bounded 120 "$BENCH" --only spawn --filter "$FILTER" --out "$BATS_TEST_TMPDIR/run"
    assert_success
    assert_output --partial "results: $BATS_TEST_TMPDIR/run"
    assert_output --partial "spawn: start a child"
    cd "$BATS_TEST_TMPDIR/run"
    for f in spawn.json machine.json command.txt summary.txt report.md spawn_time.csv \
             plots/spawn_time.png plots/spawn_time.svg; do
        [ -s "$f" ] || fail "missing $f"
    done
    [ ! -e INCOMPLETE ] && [ ! -e FAILED ]
    run grep -c -- "--benchmark_filter=spawn/" command.txt
    assert_output "1"
    run python3 - <<'PY'
import json
d = json.load(open("spawn.json"))
assert d["context"]["proclab_family"] == "spawn" and d["context"]["proclab_suite"] == "quick"
names = sorted({b["run_name"] for b in d["benchmarks"]})
assert names == ["spawn/fork/rss_mib:0/manual_time", "spawn/thread/rss_mib:0/manual_time"], names
med = [b for b in d["benchmarks"] if b.get("aggregate_name") == "median"]
assert len(med) == 2 and all(b["p99_ns"] > 0 and b["items_per_second"] > 0 for b in med)
m = json.load(open("machine.json"))
for k in ("cpu_model", "cpus_online", "caches", "numa_nodes", "kernel", "virtualisation",
          "governor", "mitigations", "thp_enabled", "compiler", "google_benchmark",
          "proclab_commit", "hostname", "date_utc"):
    assert k in m and m[k] not in (None, ""), k
# the CPUs' own speed: cpu_steady before the first family and after each
rows = [l.strip().split(",") for l in open("cpu_steadiness.csv")]
assert rows[0] == ["label", "cpu", "index", "ns"], rows[0]
assert sorted({r[0] for r in rows[1:]}) == ["after_spawn", "start"], rows
assert m["cpu_speed_points"] == 2 and m["cpu_speed_timings"] == len(rows) - 1, m
assert 0 <= m["cpu_speed_cv"] < 10 and m["noisy_host"] == (m["cpu_speed_cv"] > 0.05), m
print("ok")
PY
    assert_output "ok"
    run head -c 8 plots/spawn_time.png
    assert_output --partial "PNG"

    # report.sh remakes CSV, plots, summary and report.md from the JSON alone
    before=$(sha256sum spawn.json machine.json)
    cp summary.txt "$BATS_TEST_TMPDIR/summary.before"
    rm -r plots spawn_time.csv summary.txt report.md
    run "$PROCLAB_ROOT/scripts/report.sh" "$BATS_TEST_TMPDIR/run"
    assert_success
    [ -s plots/spawn_time.png ] && [ -s plots/spawn_time.svg ] && [ -s spawn_time.csv ]
    [ "$(sha256sum spawn.json machine.json)" = "$before" ]
    run diff "$BATS_TEST_TMPDIR/summary.before" summary.txt
    assert_success
    run grep -c '!\[spawn_time\](plots/spawn_time.png)' report.md
    assert_output "1"
}

@test "bench.sh: --out never overwrites a folder that has files" {
    mkdir "$BATS_TEST_TMPDIR/run" && echo keep >"$BATS_TEST_TMPDIR/run/mine.txt"
    run --separate-stderr "$BENCH" --only spawn --filter 'spawn/thread/rss_mib:0' \
        --out "$BATS_TEST_TMPDIR/run"
    assert_failure 1
    [[ $stderr == *"not overwriting"* ]]
    run ls "$BATS_TEST_TMPDIR/run"
    assert_output "mine.txt"
}

@test "bench.sh: two runs make two stamped folders and results/latest follows the newest" {
    # A copy of the scripts, so results/ lands in a scratch tree (not a git
    # checkout: the commit must read "unknown").
    tree="$BATS_TEST_TMPDIR/tree"
    mkdir -p "$tree" && cp -r "$PROCLAB_ROOT/scripts" "$tree/"
    for i in 1 2; do
        run_bounded 120 "$tree/scripts/bench.sh" \
            --only spawn --filter 'spawn/thread/rss_mib:0'
        assert_success
    done
    run ls "$tree/results"
    assert_success
    [ "${#lines[@]}" -eq 3 ]            # two runs and latest
    assert_line --regexp "^$(hostname -s)-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$"
    newest=$(ls "$tree/results" | grep -v latest | sort | tail -n 1)
    run readlink "$tree/results/latest"
    assert_output "$newest"             # relative link
    run python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["proclab_commit"])' \
        "$tree/results/latest/machine.json"
    assert_output "unknown"
}

@test "bench.sh: SIGINT stops the run, leaves no benchmark process, marks the folder incomplete" {
    set -m   # job control: the background runner does not ignore SIGINT
    "$BENCH" --full --only spawn --filter 'spawn/(forkserver|system)/rss_mib:0' \
        --out "$BATS_TEST_TMPDIR/run" >/dev/null 2>&1 3>&- &
    pid=$!
    for _ in $(seq 50); do
        pgrep -f "$PROCLAB_BIN/bench_spawn --suite=full --benchmark_filter" >/dev/null && break
        sleep 0.1
    done
    sleep 1
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    set +m
    assert_equal "$status" 130
    run cat "$BATS_TEST_TMPDIR/run/INCOMPLETE"
    assert_output --partial "INCOMPLETE: interrupted during family 'spawn'"
    run sed -n 2p "$BATS_TEST_TMPDIR/run/summary.txt"
    assert_output --partial "INCOMPLETE"
    # teardown: no bench_spawn (or fork server) left in this session
}

@test "report.sh: no argument exits 2, a missing folder exits 1" {
    run --separate-stderr "$PROCLAB_ROOT/scripts/report.sh"
    assert_failure 2
    run --separate-stderr "$PROCLAB_ROOT/scripts/report.sh" "$BATS_TEST_TMPDIR/nothing"
    assert_failure 1
    [[ $stderr == *"no run folder"* ]]
}

@test "spawn summary.py computes its answers from the JSON" {
    mkdir -p "$BATS_TEST_TMPDIR/run"
    python3 - "$BATS_TEST_TMPDIR/run/spawn.json" <<'PY'
import json, sys
def run(name, us):
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
            "iterations": 10, "real_time": us, "cpu_time": us, "time_unit": "us",
            "items_per_second": 1e6 / us, "p99_ns": us * 1100, "rss_kib": 1}
b = [run("spawn/fork/rss_mib:0/real_time", 100), run("spawn/fork/rss_mib:256/real_time", 250),
     run("spawn/vfork/rss_mib:0/real_time", 20), run("spawn/vfork/rss_mib:256/real_time", 21),
     run("spawn_ref/fork_loop/rss_mib:0/manual_time", 90)]
json.dump({"context": {"host_name": "h", "proclab_suite": "quick"}, "benchmarks": b},
          open(sys.argv[1], "w"))
PY
    run "$PROCLAB_ROOT/scripts/families/spawn/summary.py" "$BATS_TEST_TMPDIR/run"
    assert_success
    assert_line --partial "fork 256 MiB / 0 MiB = 2.50x   CHECK"
    assert_line --partial "vfork 256 MiB / 0 MiB = 1.05x   PASS"
    assert_line --partial "= 1.11x   CHECK (expected 0.9-1.1"
}

#!/usr/bin/env bats
# bench_sync: the contention benchmark's flags, names, JSON and failure paths.
# bats file_tags=bench,sync

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "bench_sync --help exits 0 and names the suite flag" {
    run bench_sync --help
    assert_success
    assert_line --index 0 "Usage: bench_sync [--suite=quick|full] [FLAGS] [GOOGLE BENCHMARK FLAGS]"
    assert_output --partial "--suite=quick|full"
}

@test "bench_sync: unknown flags and bad suite exit 2 with a message" {
    run --separate-stderr bench_sync --bogus
    assert_failure 2
    [[ $stderr == *"unknown argument '--bogus'"* ]]
    run --separate-stderr bench_sync --suite=huge
    assert_failure 2
    [[ $stderr == *"--suite must be quick or full"* ]]
    run --separate-stderr bench_sync --kill-worker-after=x
    assert_failure 2
}

# The lock kinds come from the registry (bench_sync --list), never from a
# list written again here.
locks() { bench_sync --list | awk 'NR > 1 { print $1 }'; }

@test "bench_sync: the quick suite lists every lock kind at procs 1, 2, 4 with stable names" {
    L=$(locks)
    for k in mutex sysv_sem flock atomic; do grep -qx "$k" <<<"$L"; done
    run --separate-stderr bench_sync --list=junk
    assert_failure 2
    run bench_sync --benchmark_list_tests
    assert_success
    for lock in $L; do
        for p in 1 2 4; do
            assert_line "sync/$lock/procs:$p/real_time"
        done
    done
    [ "${#lines[@]}" -eq $((3 * $(wc -l <<<"$L"))) ]
}

@test "bench_sync: the full suite goes up to twice the CPUs" {
    run bench_sync --suite=full --benchmark_list_tests
    assert_success
    twice=$(( 2 * $(nproc) ))
    assert_line "sync/mutex/procs:1/real_time"
    assert_line "sync/mutex/procs:$twice/real_time"
}

@test "bench_sync: a short run writes JSON with rates, counters, no errors" {
    out="$BATS_TEST_TMPDIR/sync.json"
    run_bounded 60 bench_sync --benchmark_filter='sync/(mutex|flock|sysv_sem)/procs:2' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_success
    run python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
runs = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
assert sorted(b["name"] for b in runs) == [
    "sync/flock/procs:2/real_time", "sync/mutex/procs:2/real_time",
    "sync/sysv_sem/procs:2/real_time"], [b["name"] for b in runs]
for b in runs:
    assert not b.get("error_occurred"), b
    assert b["items_per_second"] > 0 and b["ns_per_op"] > 0, b
    # ns_per_op holds nanoseconds: the inverse of items_per_second, in ns
    # (timed by the driver itself, so within a few per cent).
    ratio = b["ns_per_op"] * b["items_per_second"] / 1e9
    assert 0.9 < ratio < 1.1, (ratio, b)
    assert b["procs"] == 2 and b["ops_per_round"] >= 100, b
assert d["context"]["proclab_family"] == "sync"
print("ok")
PY
    assert_success
    assert_output "ok"
}

@test "bench_sync: a worker killed mid-run is reported and later benchmarks still run" {
    out="$BATS_TEST_TMPDIR/sync.json"
    run_bounded 60 bench_sync --kill-worker-after=0 --benchmark_filter='sync/(mutex|atomic)/procs:2' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_failure 1          # some benchmarks ended with an error (named on stderr)
    run python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {b["name"]: b for b in d["benchmarks"]}
for name in ("sync/mutex/procs:2/real_time", "sync/atomic/procs:2/real_time"):
    b = by[name]
    assert b.get("error_occurred") and b["error_message"] == "a worker died mid-benchmark", b
print("ok")
PY
    assert_success
}

# Ctrl-C in the middle of a lock kind that owns named objects (a System V
# semaphore set; a lock file in /tmp/proclab-UID-PID-*): exit by the
# signal, and teardown's leak check finds nothing left.
interrupt_mid_run() {  # LOCK
    env --default-signal=INT "$PROCLAB_BIN/bench_sync" --suite=full \
        --benchmark_filter="sync/$1/" --benchmark_min_time=5 >/dev/null 2>&1 3>&- &
    local pid=$!
    local objects=""
    for _ in $(seq 50); do             # wait until the lock exists
        sleep 0.1
        objects=$(comm -13 "$LEAK_BEFORE" <(_ipc_snapshot))
        [[ -n $objects ]] && break
    done
    [[ -n $objects ]] || { kill -KILL "$pid"; fail "bench_sync made no $1 object to clean up"; }
    kill -INT "$pid"
    local rc=0
    timeout 10 tail --pid="$pid" -f /dev/null || fail "bench_sync did not stop after SIGINT"
    wait "$pid" || rc=$?
    [ "$rc" -eq 130 ] || fail "bench_sync exited $rc after SIGINT, not 130"
}

@test "bench_sync: SIGINT during sysv_sem removes the semaphore set" {
    interrupt_mid_run sysv_sem
}

@test "bench_sync: SIGINT during flock removes the lock file and its directory" {
    interrupt_mid_run flock
}

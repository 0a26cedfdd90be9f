#!/usr/bin/env bats
# bench_spawn: the spawn benchmark's flags, stable names, JSON and clean exits.
# bats file_tags=bench,spawn

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The methods come from the registry (bench_spawn --list).
methods() { bench_spawn --list | awk 'NR > 1 { print $1 }'; }

@test "bench_spawn --help exits 0 and names its flags" {
    run bench_spawn --help
    assert_success
    assert_line --index 0 "Usage: bench_spawn [--suite=quick|full] [FLAGS] [GOOGLE BENCHMARK FLAGS]"
    assert_output --partial "--pin"
    assert_output --partial "--benchmark_filter"
}

@test "bench_spawn: unknown flags and bad values exit 2 with a message" {
    run --separate-stderr bench_spawn --bogus
    assert_failure 2
    [[ $stderr == *"unknown argument '--bogus'"* ]]
    run --separate-stderr bench_spawn --pin=x
    assert_failure 2
    [[ $stderr == *"bad value for --pin: 'x'"* ]]
    run --separate-stderr bench_spawn --warmup=-1
    assert_failure 2
    run --separate-stderr bench_spawn --suite=huge
    assert_failure 2
}

@test "bench_spawn: the quick suite lists every method at 0, 16, 256 MiB and the references" {
    METHODS=$(methods)
    for m in fork posix_spawn forkserver thread; do grep -qx "$m" <<<"$METHODS"; done
    run --separate-stderr bench_spawn --list=junk
    assert_failure 2
    run bench_spawn --benchmark_list_tests
    assert_success
    for m in $METHODS; do
        for mib in 0 16 256; do
            assert_line "spawn/$m/rss_mib:$mib/manual_time"
        done
    done
    assert_line "spawn_ref/fork_loop/rss_mib:0/manual_time"
    assert_line "spawn_inproc/fork/rss_mib:0/real_time"
    refute_output --partial "rss_mib:1024"
    [ "${#lines[@]}" -eq $((3 * $(wc -l <<<"$METHODS") + 2)) ]   # + the two references
}

@test "bench_spawn: the full suite adds 1024 and 4096 MiB" {
    METHODS=$(methods)
    run bench_spawn --suite=full --benchmark_list_tests
    assert_success
    for m in $METHODS; do
        for mib in 0 16 256 1024 4096; do
            assert_line "spawn/$m/rss_mib:$mib/manual_time"
        done
    done
    [ "${#lines[@]}" -eq $((5 * $(wc -l <<<"$METHODS") + 2)) ]
}

@test "bench_spawn: a short run writes JSON with latency counters, rates and no errors" {
    out="$BATS_TEST_TMPDIR/spawn.json"
    run_bounded 60 bench_spawn \
        --benchmark_filter='spawn/(fork|vfork|posix_spawn|forkserver|thread)/rss_mib:0|spawn_ref/fork_loop/' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_success
    run python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
runs = {b["name"]: b for b in d["benchmarks"] if b["run_type"] == "iteration"}
want = ["spawn/%s/rss_mib:0/manual_time" % m
        for m in ("fork", "vfork", "posix_spawn", "forkserver", "thread")]
want.append("spawn_ref/fork_loop/rss_mib:0/manual_time")
assert sorted(runs) == sorted(want), sorted(runs)
for name, b in runs.items():
    assert not b.get("error_occurred"), b
    assert b["items_per_second"] > 0 and b["real_time"] > 0, b
    if name.startswith("spawn/"):
        assert b["samples"] == b["iterations"], b
        assert 0 < b["p50_ns"] <= b["p99_ns"] <= b["p999_ns"], b
        assert b["rss_kib"] > 0, b
ref = runs["spawn_ref/fork_loop/rss_mib:0/manual_time"]
# the probe's forks timed side by side with ref_fork's, batch by batch
assert ref["probe_fork_ns"] > 0, ref
assert ref["time_unit"] == "us", ref
assert abs(ref["probe_fork_ns"] / (ref["real_time"] * 1e3) / ref["probe_over_ref"] - 1) < 0.01, ref
assert 0.3 < ref["probe_over_ref"] < 3, ref
assert d["context"]["proclab_family"] == "spawn"
assert d["context"]["spawn_pinned_cpu"] != ""
print("ok")
PY
    assert_success
    assert_output "ok"
}

@test "bench_spawn: the ballast makes the parent's RSS grow by its size" {
    out="$BATS_TEST_TMPDIR/spawn.json"
    run_bounded 60 bench_spawn --benchmark_filter='spawn/thread/rss_mib:(0|16)/' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_success
    run python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rss = {b["name"]: b["rss_kib"] for b in d["benchmarks"]}
grew = rss["spawn/thread/rss_mib:16/manual_time"] - rss["spawn/thread/rss_mib:0/manual_time"]
assert 14 * 1024 <= grew <= 20 * 1024, grew   # ASan shadow adds 1/8; a few pages may not be counted yet
print("ok")
PY
    assert_output "ok"
}

@test "bench_spawn: without the helper program the exec methods fail with a reason, others still run" {
    cp "$PROCLAB_BIN/bench_spawn" "$PROCLAB_BIN/spawn_probe" "$BATS_TEST_TMPDIR/"
    out="$BATS_TEST_TMPDIR/spawn.json"
    run_bounded 60 "$BATS_TEST_TMPDIR/bench_spawn" \
        --benchmark_filter='spawn/(posix_spawn|fork)/rss_mib:0' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_failure 1          # some benchmarks ended with an error (named on stderr)
    run python3 - "$out" <<'PY'
import json, sys
by = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
bad = by["spawn/posix_spawn/rss_mib:0/manual_time"]
assert bad["error_occurred"] and "proclab_exit0 missing" in bad["error_message"], bad
assert not by["spawn/fork/rss_mib:0/manual_time"].get("error_occurred")
print("ok")
PY
    assert_output "ok"
}

@test "bench_spawn: spawns are timed from the small C probe (libc only), not from the harness" {
    cp "$PROCLAB_BIN/bench_spawn" "$BATS_TEST_TMPDIR/"
    out="$BATS_TEST_TMPDIR/spawn.json"
    # without spawn_probe beside it: spawn/ fails and says why; the
    # in-process fork still runs
    run_bounded 60 "$BATS_TEST_TMPDIR/bench_spawn" \
        --benchmark_filter='spawn(_inproc)?/fork/rss_mib:0' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_failure 1
    run python3 - "$out" <<'PY'
import json, sys
by = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
bad = by["spawn/fork/rss_mib:0/manual_time"]
assert bad["error_occurred"] and "spawn_probe missing" in bad["error_message"], bad
assert not by["spawn_inproc/fork/rss_mib:0/real_time"].get("error_occurred")
print("ok")
PY
    assert_output "ok"
    # the probe maps no benchmark library or hwloc (and, without a
    # sanitizer, no C++ runtime: UBSan's own runtime brings one)
    run ldd "$PROCLAB_BIN/spawn_probe"
    assert_success
    refute_output --partial "libbenchmark"
    refute_output --partial "libhwloc"
}

@test "bench_spawn: SIGINT mid-run leaves no fork server or child behind" {
    bench_spawn --benchmark_filter='spawn/forkserver/rss_mib:0' \
        --benchmark_min_time=5 >/dev/null 2>&1 3>&- &
    pid=$!
    sleep 1
    # the fork server is running: a second bench_spawn process
    run pgrep -P "$pid"
    assert_success
    kill -INT "$pid"
    # `run wait` would not wait (a subshell has no children): poll until it
    # has ended, then collect its status.  A zombie (Z) has ended.
    for _ in $(seq 100); do
        [[ $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) == [RSDT] ]] || break
        sleep 0.1
    done
    [[ $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) != [RSDT] ]] ||
        { echo "bench_spawn still running 10 s after SIGINT"; false; }
    st=0
    wait "$pid" || st=$?
    [ "$st" -eq 130 ]
    # teardown's leak check: no bench_spawn process left in this session
}

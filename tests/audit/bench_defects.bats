#!/usr/bin/env bats
# What the audit broke in the benchmark binaries, each checked so it stays
# fixed: exit statuses (0 ran, 1 some benchmark failed, 2 bad arguments),
# Google Benchmark flags checked before use, a bound on a whole run, the
# drivers' own flags range-checked, ref_pipe_pingpong's CLI, and the runner
# keeping a family's results when some of its benchmarks failed.
# bats file_tags=audit,bench

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# One benchmark that runs in a few milliseconds.
QUICK=(--benchmark_filter='^sync/mutex/procs:1/' --benchmark_repetitions=1
       --benchmark_min_time=0.001)

@test "bench binaries: a filter matching nothing or not a regex exits 2 with a message" {
    local b
    for b in bench_ipc bench_spawn bench_sync; do
        run_bounded_sep 20 "$b" --benchmark_filter=no_such_benchmark_xyz
        assert_failure 2
        [[ $stderr == *"no benchmark to run"* ]] || fail "$b: $stderr"
        run_bounded_sep 20 "$b" '--benchmark_filter=(' --benchmark_list_tests
        assert_failure 2
        [[ $stderr == *"not a regular expression"* ]] || fail "$b: $stderr"
    done
}

@test "bench binaries: bad repetitions, min time and formats exit 2 before anything runs" {
    local b v
    for b in bench_ipc bench_spawn bench_sync; do
        for v in --benchmark_repetitions=0 --benchmark_repetitions= \
                 --benchmark_repetitions=-1 --benchmark_min_time=1e18 \
                 --benchmark_min_time=-1 --benchmark_format=xml --benchmark_out_format=yaml \
                 --time-limit=0; do
            # Before the fix: exit 0, a run without end, or std::length_error (134).
            run_bounded_sep 20 "$b" "$v" --benchmark_filter=x_matches_nothing
            [[ $status -eq 2 ]] || fail "$b $v: exit $status"
            [[ $stderr == *"$v"* || $stderr == *"--time-limit"* ]] || fail "$b $v: '$stderr'"
            [[ $output == "" ]] || fail "$b $v ran: $output"
        done
    done
}

@test "bench_sync: a benchmark that ends with an error makes exit 1 and is named on stderr" {
    out=$BATS_TEST_TMPDIR/sync.json
    # worker 0 is SIGKILLed before the first round: the benchmark fails.
    run_bounded_sep 60 bench_sync --kill-worker-after=0 "${QUICK[@]}" \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_failure 1
    [[ $stderr == *"bench_sync: 1 benchmark failed: sync/mutex/procs:1/real_time"* ]] ||
        fail "stderr: $stderr"
    # The results are still written, the failure in them.
    run python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(sum(1 for b in d["benchmarks"] if b.get("error_occurred")))' "$out"
    assert_output 1
    # And without the fault: exit 0.
    run_bounded_sep 60 bench_sync "${QUICK[@]}"
    assert_success
}

@test "bench binaries: --time-limit ends a run that would last longer, nothing left behind" {
    # bench_ipc's signal mechanism blocks and waits for real-time signals:
    # the limit's own signal must not be one of them.
    local filter
    for filter in 'bench_sync ^sync/mutex/procs:2/' 'bench_ipc ^ipc_latency/signal/bytes:64/cross:0'; do
        SECONDS=0
        run_bounded_sep 30 ${filter% *} --time-limit=1 --benchmark_filter="${filter#* }" \
            --benchmark_repetitions=1 --benchmark_min_time=30
        ((SECONDS < 25)) || fail "$filter: not stopped by the limit (took $SECONDS s)"
        ((status != 0)) || fail "$filter: exit 0 after the time limit"
        [[ $stderr == *"time limit of 1 s reached"* ]] || fail "$filter: stderr: $stderr"
    done
}

@test "bench_sync --kill-worker-after: out of int range exits 2, not a wrapped value" {
    local v
    for v in 4294967297 2147483648 1e20 99999999999999999999 -1 ''; do
        run_bounded_sep 20 bench_sync "--kill-worker-after=$v" --benchmark_list_tests
        [[ $status -eq 2 ]] || fail "--kill-worker-after=$v: exit $status"
        [[ $stderr == *"--kill-worker-after"* ]] || fail "no message for '$v'"
    done
    run_bounded_sep 20 bench_sync --kill-worker-after=2147483647 --benchmark_list_tests
    assert_success
}

@test "bench_spawn --pin: a CPU this process may not run on exits 2; an allowed one is taken" {
    local max bad
    max=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status | tr ',-' '\n\n' |
          sort -n | tail -n 1)
    bad=$((max + 1))
    run_bounded_sep 20 bench_spawn "--pin=$bad" --benchmark_list_tests
    assert_failure 2
    [[ $stderr == *"CPU $bad is not one this process may run on"* ]] || fail "$stderr"
    run_bounded_sep 20 bench_spawn "--pin=$max" --benchmark_list_tests
    assert_success
}

@test "bench_ipc --list takes no value" {
    run_bounded_sep 20 bench_ipc --list=junk
    assert_failure 2
    [[ $stderr == *"--list"* ]]
    run_bounded_sep 20 bench_ipc --list
    assert_success
    assert_line --partial "pipe"
}

@test "ref_pipe_pingpong: --help exits 0; bounds, missing CPUs and bad numbers exit 2 at once" {
    run ref_pipe_pingpong --help
    assert_success
    assert_line --index 0 "Usage: ref_pipe_pingpong CPU_A CPU_B N BYTES"
    grep -qxF ' * Usage: ref_pipe_pingpong CPU_A CPU_B N BYTES */' \
        "$PROCLAB_ROOT/bench/tools/ref_pipe_pingpong.c"
    local max args
    max=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status | tr ',-' '\n\n' |
          sort -n | tail -n 1)
    # Before: a 4 GiB calloc that hangs, signed overflow at WARMUP + N,
    # SIGPIPE (141) for a CPU that does not exist.
    for args in "0 0 1000 4294967296" "0 0 9223372036854775800 64" "0 $((max + 1)) 10 64" \
                "$((max + 1)) 0 10 64" "0 0 0 64" "0 0 10 0" "-1 0 10 64" "0 0 10"; do
        run_bounded_sep 10 ref_pipe_pingpong $args
        [[ $status -eq 2 ]] || fail "ref_pipe_pingpong $args: exit $status"
        [[ -n $stderr ]] || fail "ref_pipe_pingpong $args: no message"
    done
    run_bounded_sep 20 ref_pipe_pingpong 0 "$max" 100 64
    assert_success
    [[ $output =~ ^[0-9]+\.[0-9]$ ]]
}

@test "bench.sh: a family whose benchmarks failed keeps its results, shown as FAILED" {
    # A build tree whose bench_sync kills its worker: every benchmark fails.
    fake=$BATS_TEST_TMPDIR/build
    mkdir -p "$fake/bin"
    for p in "$PROCLAB_BIN"/*; do ln -s "$p" "$fake/bin/${p##*/}"; done
    rm "$fake/bin/bench_sync"
    printf '#!/bin/sh\nexec %q --kill-worker-after=0 "$@"\n' "$PROCLAB_BIN/bench_sync" \
        >"$fake/bin/bench_sync"
    chmod +x "$fake/bin/bench_sync"
    run_bounded_sep 120 env PROCLAB_BUILD="$fake" "$PROCLAB_ROOT/scripts/bench.sh" \
        --only sync --filter '^sync/mutex/procs:1/' --out "$BATS_TEST_TMPDIR/run"
    assert_failure 1
    [[ $stderr == *"sync: some benchmarks failed: sync/mutex/procs:1/real_time"* ]] ||
        fail "stderr: $stderr"
    run python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$BATS_TEST_TMPDIR/run/sync.json"
    assert_success
    grep -q 'FAILED benchmarks (the rest of the family ran) in sync: sync/mutex/procs:1' \
        "$BATS_TEST_TMPDIR/run/FAILED"
    grep -q 'FAILED' "$BATS_TEST_TMPDIR/run/summary.txt"
    # A filter that matches none of a family's benchmarks skips it, as before.
    run_bounded_sep 60 env PROCLAB_BUILD="$fake" "$PROCLAB_ROOT/scripts/bench.sh" \
        --only sync --filter '^no_such_benchmark' --out "$BATS_TEST_TMPDIR/run2"
    [[ $stderr == *"sync: no benchmark matches the filter; skipped"* ]] || fail "$stderr"
}

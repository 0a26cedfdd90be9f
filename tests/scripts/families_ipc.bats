#!/usr/bin/env bats
# scripts/families/ipc: CSV, plots and summary made from a real (short)
# bench_ipc run; answers computed from the JSON; failures listed, not dropped.
# bats file_tags=scripts,ipc

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

FAM="$PROCLAB_ROOT/scripts/families/ipc"

IPC_FILTER='ipc_(latency|throughput)/(pipe|shm_spin|udp)/bytes:(64|65536)/|ipc_floor|ipc_ref'

# The plain short run is made once per file; each test gets its own copy.
setup_file() {
    export BASE_RUN="$BATS_FILE_TMPDIR/base"
    mkdir -p "$BASE_RUN"
    timeout -k 2 120 "$PROCLAB_BIN/bench_ipc" --benchmark_filter="$IPC_FILTER" \
        --benchmark_repetitions=2 --benchmark_min_time=0.01 \
        --benchmark_out="$BASE_RUN/ipc.json" --benchmark_out_format=json >/dev/null 2>&1
}

short_run() {  # RUNDIR [extra bench_ipc flags: then a run of its own]
    local run=$1
    shift
    if (($# == 0)); then
        [ -s "$BASE_RUN/ipc.json" ] || fail "setup_file's bench_ipc run wrote no ipc.json"
        cp -r "$BASE_RUN" "$run"
        return
    fi
    mkdir -p "$run"
    run_bounded 120 bench_ipc --benchmark_filter="$IPC_FILTER" \
        --benchmark_repetitions=2 --benchmark_min_time=0.01 "$@" \
        --benchmark_out="$run/ipc.json" --benchmark_out_format=json
    # A --kill-* test hook makes benchmarks fail: exit 1, results written.
    if [[ "$*" == *--kill-* ]]; then assert_failure 1; else assert_success; fi
}

@test "ipc plot.sh: CSV files and every plot in PNG and SVG" {
    run_dir="$BATS_TEST_TMPDIR/run"
    short_run "$run_dir"
    run_bounded 60 "$FAM/plot.sh" "$run_dir"
    assert_success
    run bash -c "tr -d '\\r' < '$run_dir/ipc_latency.csv'"
    assert_line --index 0 "mech,bytes,cross,p50_us,mean_us,p99_us,p999_us"
    assert_line --regexp '^pipe,64,0,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+$'
    assert_line --regexp '^shm_spin,64,1,[0-9.]+,'
    run bash -c "tr -d '\\r' < '$run_dir/ipc_throughput.csv'"
    assert_line --regexp '^pipe,65536,1,[0-9.]+,[0-9.]+,0$'
    refute_line --regexp '^udp,65536,'          # above udp's max_msg
    run bash -c "tr -d '\\r' < '$run_dir/ipc_floor.csv'"
    assert_line --regexp '^cacheline,64,1,[0-9.]+,us$'
    assert_line --regexp '^line_each_way,64,1,[0-9.]+,us$'
    assert_line --regexp '^memcpy,1048576,0,[0-9.]+,GiB/s$'
    for p in ipc_latency_cross ipc_latency_same ipc_throughput_cross ipc_throughput_same ipc_bar64; do
        [ -s "$run_dir/plots/$p.png" ] && [ -s "$run_dir/plots/$p.svg" ]
    done
    [ ! -e "$run_dir/plots/ipc_pairs.png" ]    # no pairs run
    run file "$run_dir/plots/ipc_bar64.png"
    assert_output --partial "PNG image data"
}

@test "ipc plot.sh: a --pairs=all run becomes a heatmap" {
    run_dir="$BATS_TEST_TMPDIR/run"
    short_run "$run_dir"
    run_bounded 60 bench_ipc --pairs=all pipe --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$run_dir/ipc_pairs.json" --benchmark_out_format=json
    assert_success
    run_bounded 60 "$FAM/plot.sh" "$run_dir"
    assert_success
    run bash -c "tr -d '\\r' < '$run_dir/ipc_pairs.csv'"
    assert_line --index 0 "cpu_a,cpu_b,p50_us"
    assert_line --regexp '^0,1,[0-9.]+$'
    [ -s "$run_dir/plots/ipc_pairs.png" ] && [ -s "$run_dir/plots/ipc_pairs.svg" ]
}

@test "ipc summary.py: tables, floors and the computed answers" {
    run_dir="$BATS_TEST_TMPDIR/run"
    short_run "$run_dir"
    run python3 "$FAM/summary.py" "$run_dir"
    assert_success
    assert_line --regexp '^Floors: cache-line round trip between two CPUs p50 [0-9.]+ [nu]s, mean [0-9.]+ [nu]s \(batches of [0-9]+\)'
    assert_line --regexp '^Round trip \(ping-pong\): p50 = median of all round trips'
    # p50 same, p50 cross, mean cross, p99 cross, x floor
    assert_line --regexp '^pipe +[0-9.]+ [nu]s +[0-9.]+ [nu]s +[0-9.]+ [nu]s +[0-9.]+ [num]?s +[0-9.]+x$'
    assert_line --regexp '^udp +[0-9.]+ [KMG]iB/s +[0-9.]+ [KMG]iB/s +- +- +- +[0-9]+$'
    assert_line --regexp '^  pipe 64 B cross:0 .* vs stand-alone ref_pipe_pingpong .* = [0-9.]+x   (PASS|CHECK) '
    assert_line --regexp '^  pipe 64 B cross:1 .* = [0-9.]+x   (PASS|CHECK) '
    assert_line --regexp '^  shm_spin 64 B cross p50 .* is [0-9.]+x faster than pipe .*   (PASS|CHECK) '
    assert_line --regexp '^  shm_spin 64 B cross p50 .* / true floor \(one cache line ping-ponged\) .* = [0-9.]+x   (PASS|CHECK) \(expected <= 2.0x\)$'
    # only 3 mechanisms ran: the >= 16 answer must say CHECK, computed, not typed in
    assert_line --regexp '^  mechanisms with latency and throughput in both placements: 3 of 3   CHECK '
    assert_output --partial "Not registered (message larger than the mechanism's max_msg): "
}

@test "ipc summary.py: failed benchmarks are listed with their message" {
    run_dir="$BATS_TEST_TMPDIR/run"
    short_run "$run_dir" --kill-partner-after=0
    run python3 "$FAM/summary.py" "$run_dir"
    assert_success
    assert_line --regexp '^  ipc_latency/pipe/bytes:64/cross:0: (send|recv): .*\(the partner died\)$'
    assert_line --regexp '^  pipe 64 B cross:0 vs reference: missing   CHECK$'
}

@test "ipc scripts: usage errors exit 2" {
    run "$FAM/plot.sh"
    assert_failure 2
    run python3 "$FAM/summary.py"
    assert_failure 2
    run python3 "$FAM/to_csv.py"
    assert_failure 2
    run "$FAM/plot.sh" "$BATS_TEST_TMPDIR/nothing"
    assert_failure 1
}

#!/usr/bin/env bats
# scripts/families/sync: CSV, plot and summary made from a real (short)
# bench_sync run, and a failed benchmark shown as FAILED, never dropped.
# bats file_tags=scripts,sync

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

FAM="$PROCLAB_ROOT/scripts/families/sync"

short_run() {  # RUNDIR [extra bench_sync flags]
    local run=$1
    shift
    mkdir -p "$run"
    run_bounded 60 bench_sync --benchmark_filter='sync/(mutex|atomic)/' \
        --benchmark_repetitions=2 --benchmark_min_time=0.01 "$@" \
        --benchmark_out="$run/sync.json" --benchmark_out_format=json
    # A --kill-* test hook makes benchmarks fail: exit 1, results written.
    if [[ "$*" == *--kill-* ]]; then assert_failure 1; else assert_success; fi
}

@test "sync plot.sh: CSV rows per lock and procs, PNG and SVG" {
    run_dir="$BATS_TEST_TMPDIR/run"
    short_run "$run_dir"
    run_bounded 60 "$FAM/plot.sh" "$run_dir"
    assert_success
    run bash -c "tr -d '\\r' < '$run_dir/sync_ops.csv'"   # csv writes CRLF
    assert_line --index 0 "lock,procs,ops_per_s,ns_per_op,cv_pct,error"
    assert_line --regexp '^mutex,1,[0-9.]+,[0-9.]+,[0-9.]*,$'
    assert_line --regexp '^atomic,4,[0-9.]+,[0-9.]+,[0-9.]*,$'
    [ "${#lines[@]}" -eq 7 ]
    [ -s "$run_dir/plots/sync_ops.png" ]
    [ -s "$run_dir/plots/sync_ops.svg" ]
    run file "$run_dir/plots/sync_ops.png"
    assert_output --partial "PNG image data"
}

@test "sync summary.py: table and computed answers" {
    run_dir="$BATS_TEST_TMPDIR/run"
    short_run "$run_dir"
    run python3 "$FAM/summary.py" "$run_dir"
    assert_success
    assert_line --regexp '^lock +procs:1 +procs:2 +procs:4$'
    assert_line --regexp '^mutex +[0-9.]+ [nu]s +[0-9.]+ [nu]s +[0-9.]+ [nu]s$'
    assert_line --regexp '^  uncontended \(procs:1\), as a multiple of one atomic add \([0-9.]+ ns\): mutex [0-9.]+x$'
    assert_line --regexp '^  mutex +procs:2 / procs:1 = [0-9.]+x per critical section$'
}

@test "sync summary.py: a failed benchmark is reported, not dropped" {
    run_dir="$BATS_TEST_TMPDIR/run"
    short_run "$run_dir" --kill-worker-after=0
    run python3 "$FAM/summary.py" "$run_dir"
    assert_success
    assert_line --regexp '^mutex +FAILED +FAILED +FAILED$'
    assert_line --regexp '^atomic +FAILED +FAILED +FAILED$'
    assert_line "  FAILED: sync/mutex/procs:2: a worker died mid-benchmark"
}

@test "sync scripts: usage errors exit 2" {
    run "$FAM/plot.sh"
    assert_failure 2
    run python3 "$FAM/summary.py"
    assert_failure 2
    run "$FAM/plot.sh" "$BATS_TEST_TMPDIR/nothing-here"
    assert_failure 1
    assert_output --partial "no $BATS_TEST_TMPDIR/nothing-here/sync.json"
}

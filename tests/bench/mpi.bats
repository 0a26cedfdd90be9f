#!/usr/bin/env bats
# bench/mpi: ipc_mpi and pool_mpi under mpirun write Google Benchmark JSON
# with the IPC and pool families' names and counters; merge_json.py adds it
# to a family's JSON; without mpirun they say how (exit 2).
# bats file_tags=bench,mpi

load '../helpers/common'
load '../labs/distributed/mpi'
setup() { _common_setup; need_mpi ipc_mpi; need_mpi pool_mpi; }
teardown() { _common_teardown; }

@test "ipc extra.sh: ipc_mpi's latency and throughput with bench_ipc's names and counters, added to ipc.json" {
    r=$BATS_TEST_TMPDIR/run
    mkdir -p "$r"
    printf '{"context": {"ipc_mechanisms": "pipe", "proclab_suite": "quick"}, "benchmarks": [{"name": "x"}]}\n' >"$r/ipc.json"
    PROCLAB_BENCH_FILTER='bytes:64/cross:1' run_bounded 60 "$PROCLAB_ROOT/scripts/families/ipc/extra.sh" "$r" "$PROCLAB_BIN"
    assert_success
    assert_output --partial "MPI results added to ipc.json"
    run /usr/bin/python3 - "$r/mpi/ipc.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["context"]["proclab_family"] == "ipc", d["context"]
names = sorted({b["run_name"] for b in d["benchmarks"]})
assert names == ["ipc_latency/mpi/bytes:64/cross:1/real_time",
                 "ipc_throughput/mpi/bytes:64/cross:1/real_time"], names
for b in d["benchmarks"]:
    assert not b.get("error_occurred"), b
    need = {"bytes", "bytes_per_second", "items_per_second", "cpu_a", "cpu_b"}
    need |= {"p50_ns", "p99_ns", "p999_ns", "mean_ns", "samples"} if "latency" in b["name"] else {"dropped", "drop_ratio"}
    assert need <= set(b), (b["name"], need - set(b))
    if b["run_type"] == "iteration":
        assert b["bytes"] == 64 and b["cpu_a"] != b["cpu_b"], b
        assert b["iterations"] >= 100 and b["real_time"] > 0, b
aggs = sorted(b["aggregate_name"] for b in d["benchmarks"] if b["run_type"] == "aggregate")
assert aggs == sorted(["mean", "median", "stddev", "cv"] * 2), aggs
PY
    assert_success
    # merged: the benchmarks and the mechanism are added, the rest kept
    run /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["context"]["ipc_mechanisms"], len(d["benchmarks"]), d["benchmarks"][0]["name"], d["context"]["mpi_library"][:8])' "$r/ipc.json"
    assert_output "pipe mpi 15 x Open MPI"     # 1 + 2 x (3 repetitions + 4 aggregates)
}

@test "pool_mpi: pool/mpi/workers:W/grain_us:G/chunk:1 with bench_pool's counters; W = ranks - 1" {
    out=$BATS_TEST_TMPDIR/pool.json
    mpi 3 60 pool_mpi --suite=quick "--out=$out" '--filter=grain_us:0/'
    assert_success
    run /usr/bin/python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
its = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
assert {b["run_name"] for b in its} == {"pool/mpi/workers:2/grain_us:0/chunk:1/manual_time"}, its
for b in its:
    assert b["workers"] == 2 and b["chunksize"] == 1 and b["grain_us"] == 0, b
    assert b["tasks_per_batch"] == b["iterations"] and b["iterations"] % 2 == 0, b
    assert "overhead_us_per_task" in b and b["items_per_second"] > 0, b
PY
    assert_success
}

@test "ipc_mpi, pool_mpi: without mpirun they say how; bad arguments exit 2" {
    for p in ipc_mpi pool_mpi; do
        run --separate-stderr "$p" --suite=quick
        [ "$status" -eq 2 ]
        [[ $stderr == *"start me with mpirun"* ]] || fail "$p: $stderr"
        run "$p" --help
        assert_success
        assert_line --index 0 "Usage: $p [--suite=quick|full] [--out=FILE] [--filter=REGEX]"
        for bad in --suite=slow --out= '--filter=(' --nope; do
            run --separate-stderr "$p" "$bad"
            [[ $status -eq 2 && $stderr != *"start me with mpirun"* ]] || fail "$p $bad: $status $stderr"
        done
    done
}

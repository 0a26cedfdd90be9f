#!/usr/bin/env bats
# bench_pool: flags, stable names from the registry, the JSON of short
# runs (counters that hold what their names say), the trace CSV, and
# Ctrl-C leaving no worker behind.
# bats file_tags=bench,pool

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The pool kinds come from the registry (bench_pool --list).
kinds() { bench_pool --list | awk 'NR > 1 { print $1 }'; }

@test "bench_pool: --help, --list (the registry, also in the JSON context), bad flags exit 2" {
    run bench_pool --help
    assert_success
    assert_line --index 0 "Usage: bench_pool [--suite=quick|full] [FLAGS] [GOOGLE BENCHMARK FLAGS]"
    assert_output --partial "--trace"
    for bad in --bogus --list=junk --trace= --suite=huge; do
        run --separate-stderr bench_pool "$bad"
        assert_failure 2
        [[ -n $stderr ]]
    done
    K=$(kinds)
    for k in shm pipe thread fork_per_task static_shards; do grep -qx "$k" <<<"$K"; done
    run bench_pool --benchmark_filter='pool/static_shards/workers:1/grain_us:0/' \
        --benchmark_repetitions=1 --benchmark_min_time=0.001 --benchmark_format=json
    assert_success
    ctx=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["context"]["pool_kinds"])' <<<"$output")
    [ "$ctx" = "$(echo $K)" ]
}

@test "bench_pool: quick and full suites register every kind with stable names" {
    run bench_pool --benchmark_list_tests
    assert_success
    for k in $(kinds); do
        assert_line --regexp "^pool/$k/workers:2/grain_us:0/chunk:(1|auto)/manual_time\$"
        assert_line --regexp "^pool/$k/workers:1/grain_us:1000/chunk:(1|auto)/manual_time\$"
    done
    assert_line "pool/shm/workers:2/grain_us:0/chunk:1/manual_time"
    assert_line "pool/shm/workers:2/grain_us:1000/chunk:auto/manual_time"
    assert_line "pool_skew/shm/workers:2/grain_us:100/chunk:1/manual_time"
    assert_line "pool_skew/static_shards/workers:2/grain_us:100/chunk:auto/manual_time"
    quick=${#lines[@]}
    run bench_pool --suite=full --benchmark_list_tests
    assert_success
    assert_line "pool/pipe/workers:$((2 * $(nproc)))/grain_us:100/chunk:16/manual_time"
    assert_line "pool/thread/workers:1/grain_us:10/chunk:auto/manual_time"
    [ "${#lines[@]}" -gt "$quick" ]
    refute_output --partial "fork_per_task/workers:1/grain_us:0/chunk:16"
}

@test "bench_pool: a short run of every kind gives tasks/s and overhead that agree with the time per task" {
    out="$BATS_TEST_TMPDIR/pool.json"
    run_bounded 60 bench_pool --benchmark_filter='pool(_skew)?/.*/workers:2/grain_us:(0|100)/|pool/shm/workers:1/grain_us:0/chunk:1' \
        --benchmark_repetitions=1 --benchmark_min_time=0.005 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_success
    run python3 - "$out" "$(kinds)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert float(d["context"]["pool_work_turns_per_us"]) > 0
by = {b["name"]: b for b in d["benchmarks"]}
for k in sys.argv[2].split():
    names = [n for n in by if n.startswith("pool/%s/workers:2/grain_us:0/" % k)]
    assert names, k
    for n in names:
        b = by[n]
        assert not b.get("error_occurred"), b
        assert b["workers"] == 2 and b["grain_us"] == 0 and b["time_unit"] == "us", b
        assert b["iterations"] % b["tasks_per_batch"] == 0 and b["tasks_per_batch"] % 2 == 0, b
        # one iteration is one task: tasks/s is the inverse of the time per task
        assert abs(b["items_per_second"] * b["real_time"] / 1e6 - 1) < 0.01, b
        # overhead beyond the grain = time per task x workers - grain (in us)
        assert abs(b["overhead_us_per_task"] - (b["real_time"] * 2 - b["mean_grain_us"])) < 0.01 * b["real_time"] * 2 + 1e-3, b
shm = by["pool/shm/workers:2/grain_us:0/chunk:1/manual_time"]
assert shm["chunksize"] == 1, shm
# speedup against the W = 1 run of the same kind, grain and chunk; efficiency = speedup / W
one = by["pool/shm/workers:1/grain_us:0/chunk:1/manual_time"]
assert "speedup" not in one and "efficiency" not in one, one
assert abs(shm["speedup"] / (one["real_time"] / shm["real_time"]) - 1) < 1e-3, (one, shm)
assert abs(shm["efficiency"] - shm["speedup"] / 2) < 1e-9, shm
assert "speedup" not in by["pool/pipe/workers:2/grain_us:0/chunk:1/manual_time"]  # no W = 1 ran
auto = by["pool/shm/workers:2/grain_us:0/chunk:auto/manual_time"]
n = auto["tasks_per_batch"]
assert auto["chunksize"] == n // 8 + (1 if n % 8 else 0), auto   # Python's rule
for k in ("shm", "static_shards"):
    s = by["pool_skew/%s/workers:2/grain_us:100/chunk:%s/manual_time" % (k, "1" if k == "shm" else "auto")]
    assert not s.get("error_occurred") and abs(s["mean_grain_us"] - 200) < 1, s   # 3G for half, G for half
print("ok")
PY
    assert_output "ok"
}

@test "bench_pool --trace FILE writes the worker timeline CSV of one short run" {
    csv="$BATS_TEST_TMPDIR/trace.csv"
    run_bounded 30 bench_pool --trace="$csv"
    assert_success
    run cat "$csv"
    assert_line --index 0 "lane,start_s,end_s,label"
    [ "$(grep -c '^worker [0-9]*,[0-9.]*,[0-9.]*,[0-9]*$' "$csv")" -eq 40 ]
    # every task once
    [ "$(awk -F, 'NR > 1 { print $4 }' "$csv" | sort -n -u | wc -l)" -eq 40 ]
    run bench_pool --trace=/nonexistent/dir/t.csv
    assert_failure 1
}

@test "bench_pool: SIGINT mid-run leaves no worker behind" {
    bench_pool --benchmark_filter='pool/(shm|pipe)/workers:2/grain_us:1000/chunk:1' \
        --benchmark_min_time=5 >/dev/null 2>&1 3>&- &
    pid=$!
    sleep 0.7
    run pgrep -P "$pid"
    assert_success            # the pool's workers are running
    kill -INT "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 130 ]
    # teardown's leak check: no bench_pool process left in this session
}

#!/usr/bin/env bats
# mapreduce_sum: a sharded sum over forked workers equals the serial one;
# speedup and Amdahl's serial fraction are printed.
# bats file_tags=lab,pool

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "mapreduce_sum: the sharded sum equals the serial sum, and a sum computed in Python" {
    for w in 1 3 7; do
        run_bounded 30 mapreduce_sum --elements 1000 --workers "$w" --work 3
        assert_success
        assert_line "input: 1000 elements (0.0 MiB), 3 mixing rounds each; $w workers, $(nproc) CPUs allowed"
        serial=$(sed -n 's/^serial: .* sum \([0-9a-f]\{16\}\)$/\1/p' <<<"$output")
        parallel=$(sed -n "s/^parallel: .* with $w workers, sum \\([0-9a-f]\\{16\\}\\): speedup [0-9.]* x\$/\\1/p" <<<"$output")
        [[ -n $serial && $serial == "$parallel" ]]
        assert_line "result: the sharded sum equals the serial sum"
    done
    # the same map and reduce, written again in Python
    expected=$(/usr/bin/python3 -c '
M = (1 << 64) - 1
def value(i):
    z = (i + 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
total = 0
for i in range(1000):
    x = value(i)
    for _ in range(3):
        x = ((x ^ (x >> 29)) * 6364136223846793005 + 1442695040888963407) & M
    total = (total + x) & M
print("%016x" % total)')
    [ "$serial" = "$expected" ]
}

@test "mapreduce_sum: the serial parts are timed and give Amdahl's f and prediction" {
    run_bounded 30 mapreduce_sum --elements 100K --workers 2 --work 2
    assert_success
    assert_line --regexp '^  serial parts: split \(fork 2 workers\) [0-9]+\.[0-9]{6} s \+ merge \(read, add, reap\) [0-9]+\.[0-9]{6} s$'
    assert_line --regexp '^  map: each worker computed for [0-9.]+ \.\. [0-9.]+ s \(an even split would be [0-9.]+ s\)$'
    line=$(grep '^Amdahl:' <<<"$output")
    [[ $line =~ ^Amdahl:\ serial\ fraction\ f\ =\ (0\.[0-9]{6}):\ predicted\ speedup\ with\ 2\ workers\ ([0-9.]+)\ x,\ never\ above\ 1/f\ =\ ([0-9]+)\ x$ ]]
    f=${BASH_REMATCH[1]} predicted=${BASH_REMATCH[2]}
    # Amdahl: 1 / (f + (1 - f) / 2), between 1 and 2 for 0 < f < 1
    awk -v f="$f" -v p="$predicted" 'BEGIN { a = 1 / (f + (1 - f) / 2)
        exit !(f > 0 && f < 1 && p >= 1 && p <= 2 && (a - p < 0.01 && p - a < 0.01)) }'
    assert_line --regexp '^Karp-Flatt: the measured speedup implies a serial fraction of -?[0-9.]+'
}

@test "mapreduce_sum --help; bad arguments exit 2" {
    run mapreduce_sum --help
    assert_success
    assert_line --index 0 "Usage: mapreduce_sum [--elements N] [--workers W] [--work K] [--timeline FILE]"
    for args in "--elements 0" "--elements 1G" "--workers 0" "--workers 257" "--work 0" \
                "--elements 3 --workers 4" "--elements 5x" "extra"; do
        run --separate-stderr mapreduce_sum $args
        [[ $status -eq 2 ]] || fail "mapreduce_sum $args exited $status"
        [[ -n $stderr ]]
    done
}

@test "mapreduce_sum --timeline: the parent's serial parts, each worker's map between split and merge" {
    run_bounded 30 mapreduce_sum --elements 100K --workers 3 --work 2 --timeline "$BATS_TEST_TMPDIR/t.csv"
    assert_success
    /usr/bin/python3 - "$BATS_TEST_TMPDIR/t.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and list(rows[0]) == ["lane", "start_s", "end_s", "label"], rows[:1]
span = {r["label"]: (float(r["start_s"]), float(r["end_s"])) for r in rows}
parent = [r["label"] for r in sorted(rows, key=lambda r: float(r["start_s"])) if r["lane"] == "parent"]
assert parent == ["input", "serial sum", "split", "wait", "merge"], parent
assert {r["lane"] for r in rows} == {"parent", "worker 1", "worker 2", "worker 3"}
for w in (1, 2, 3):
    start, end = span["map shard %d" % w]
    assert [r["lane"] for r in rows if r["label"] == "map shard %d" % w] == ["worker %d" % w]
    assert span["split"][0] <= start <= end <= span["merge"][0], (w, start, end, span)
assert span["split"][1] == span["wait"][0] and span["wait"][1] == span["merge"][0], span
PY
}

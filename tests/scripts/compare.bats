#!/usr/bin/env bats
# make compare / scripts/compare.py, make share / scripts/share.sh, and the
# run-level facts machine.py records (hypervisor, timer cost, load).
# Two synthetic runs with known times: the ratios, their direction and the
# significance verdicts can be checked exactly.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

COMPARE="$PROCLAB_ROOT/scripts/compare.py"
SHARE="$PROCLAB_ROOT/scripts/share.sh"

# make_run DIR SCALE [extra benchmark]: a run folder with machine.json and
# demo.json: demo/fast (100 ns x SCALE) and demo/slow (1000 ns, unchanged),
# 5 repetitions each, plus demo/failed (an error) and any extra name.
make_run() {
    mkdir -p "$1"
    /usr/bin/python3 - "$1" "$2" "${3:-}" <<'PY'
import json, sys
run, scale, extra = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def reps(name, base):
    out = []
    for i, jitter in enumerate((0.99, 1.0, 1.01, 0.995, 1.005)):
        out.append({"name": name, "run_name": name, "run_type": "iteration",
                    "repetitions": 5, "repetition_index": i, "iterations": 1000,
                    "real_time": base * jitter, "cpu_time": base * jitter,
                    "time_unit": "ns"})
    return out
b = reps("demo/fast", 100 * scale) + reps("demo/slow", 1000)
b.append({"name": "demo/failed", "run_name": "demo/failed", "run_type": "iteration",
          "error_occurred": True, "error_message": "boom", "iterations": 0,
          "real_time": 0, "cpu_time": 0, "time_unit": "ns"})
if extra:
    b += reps(extra, 50)
json.dump({"context": {}, "benchmarks": b}, open(run + "/demo.json", "w"))
json.dump({"cpu_model": "Test CPU %g" % scale, "hypervisor": "none"},
          open(run + "/machine.json", "w"))
PY
}

@test "compare.py: ratio B/A per shared benchmark, direction and U-test verdict" {
    make_run "$BATS_TEST_TMPDIR/a" 1 only_a/x
    make_run "$BATS_TEST_TMPDIR/b" 2 only_b/y
    run_bounded 30 "$COMPARE" --out "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
    assert_success
    # fast took twice as long in B: 2.00x, "B slower", exact p = 2/252
    assert_line --regexp '^demo/fast +100 ns +200 ns +2\.00x +0\.008 +5/5 +B slower$'
    assert_line --regexp '^demo/slow +1\.00 us +1\.00 us +1\.00x +1\.000 +5/5 +same$'
    refute_line --partial 'demo/failed  '
    assert_line --partial 'only in A (1): only_a/x'
    assert_line --partial 'only in B (1): only_b/y'
    assert_line --regexp '^CPU +Test CPU 1 +Test CPU 2 +differs$'
    [ -s "$BATS_TEST_TMPDIR/out/compare.txt" ]
    run cat "$BATS_TEST_TMPDIR/out/compare.csv"
    assert_line --index 0 'family,benchmark,a_ns,b_ns,ratio,p,reps,verdict'
    assert_line --regexp '^demo,demo/fast,100,200,2,0\.007937,5/5,B slower'
    run file "$BATS_TEST_TMPDIR/out/demo_overlay.png"
    assert_output --partial 'PNG image data'
}

@test "compare.py: B faster when B is quicker; three repetitions are too few to claim anything" {
    make_run "$BATS_TEST_TMPDIR/a" 2
    make_run "$BATS_TEST_TMPDIR/b" 0.5
    run_bounded 30 "$COMPARE" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
    assert_success
    assert_line --regexp '^demo/fast +200 ns +50\.0 ns +0\.25x +0\.008 +5/5 +B faster$'
    # keep three repetitions of each: the exact test cannot reach p < 0.05
    for r in a b; do
        /usr/bin/python3 - "$BATS_TEST_TMPDIR/$r/demo.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["benchmarks"] = [b for b in d["benchmarks"] if b.get("repetition_index", 0) < 3]
json.dump(d, open(sys.argv[1], "w"))
PY
    done
    run_bounded 30 "$COMPARE" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
    assert_success
    assert_line --regexp '^demo/fast .* 0\.25x +0\.100 +3/3 +too few reps$'
}

@test "make share packs a run that make compare reads back" {
    make_run "$BATS_TEST_TMPDIR/run1" 1
    mkdir "$BATS_TEST_TMPDIR/run1/plots" && echo x >"$BATS_TEST_TMPDIR/run1/plots/p.svg"
    echo log >"$BATS_TEST_TMPDIR/run1/demo.log"
    run_bounded 30 "$SHARE" "$BATS_TEST_TMPDIR/run1"
    assert_success
    assert_output "$BATS_TEST_TMPDIR/run1.tar.gz"
    run tar tzf "$BATS_TEST_TMPDIR/run1.tar.gz"
    assert_line 'run1/demo.json'
    assert_line 'run1/machine.json'
    assert_line --partial 'run1/plots'
    refute_line 'run1/demo.log'
    run_bounded 30 make -s -C "$PROCLAB_ROOT" compare A="$BATS_TEST_TMPDIR/run1.tar.gz" \
        B="$BATS_TEST_TMPDIR/run1"
    assert_success
    assert_line --regexp '^demo/fast +100 ns +100 ns +1\.00x'
    assert_line --regexp '^written: results/compare-run1-vs-run1 '
    rm -rf "$PROCLAB_ROOT/results/compare-run1-vs-run1"
    # never overwrites
    run_bounded 30 "$SHARE" "$BATS_TEST_TMPDIR/run1"
    assert_failure 2
    assert_output --partial 'exists'
}

@test "compare and share: missing or wrong arguments exit 2 with a message" {
    make_run "$BATS_TEST_TMPDIR/a" 1
    run_bounded 30 "$COMPARE" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/missing"
    assert_failure 2
    assert_output --partial 'no such run folder or archive'
    echo 'not an archive' >"$BATS_TEST_TMPDIR/junk.tar.gz"
    run_bounded 30 "$COMPARE" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/junk.tar.gz"
    assert_failure 2
    run_bounded 30 "$COMPARE" "$BATS_TEST_TMPDIR/a"
    assert_failure 2
    run_bounded 30 "$COMPARE" --alpha 2 "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/a"
    assert_failure 2
    run_bounded 30 make -s -C "$PROCLAB_ROOT" compare A="$BATS_TEST_TMPDIR/a"
    assert_failure 2
    assert_output --partial 'give two runs'
    run_bounded 30 make -s -C "$PROCLAB_ROOT" compare A="$BATS_TEST_TMPDIR/a" B="$BATS_TEST_TMPDIR/nope"
    assert_failure 2
    assert_output --partial 'no such run folder'
    run_bounded 30 "$SHARE" "$BATS_TEST_TMPDIR/nope"
    assert_failure 2
    mkdir "$BATS_TEST_TMPDIR/empty"
    run_bounded 30 "$SHARE" "$BATS_TEST_TMPDIR/empty"
    assert_failure 2
    assert_output --partial 'not a run folder'
    run_bounded 30 "$SHARE" --bogus
    assert_failure 2
}

@test "machine.py: hypervisor name, timer cost and load before; --after adds load after" {
    run_bounded 30 /usr/bin/python3 "$PROCLAB_ROOT/scripts/machine.py"
    assert_success
    echo "$output" >"$BATS_TEST_TMPDIR/m.json"
    run /usr/bin/python3 - "$BATS_TEST_TMPDIR/m.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert isinstance(m["hypervisor"], str) and m["hypervisor"], m["hypervisor"]
assert m["timer_ns"] is not None and 0 < m["timer_ns"] < 10000, m["timer_ns"]
assert len(m["load_before"]) == 3, m["load_before"]
assert "load_after" not in m
print("ok")
PY
    assert_success
    run_bounded 30 /usr/bin/python3 "$PROCLAB_ROOT/scripts/machine.py" --after "$BATS_TEST_TMPDIR/m.json"
    assert_success
    run /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(len(m["load_after"]), "date_utc_end" in m)' "$BATS_TEST_TMPDIR/m.json"
    assert_output '3 True'
    run_bounded 30 /usr/bin/python3 "$PROCLAB_ROOT/scripts/machine.py" --after "$BATS_TEST_TMPDIR/none.json"
    assert_failure 2
}

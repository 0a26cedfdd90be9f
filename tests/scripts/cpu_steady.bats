#!/usr/bin/env bats
# build/bin/cpu_steady and what the run makes of it: a fixed loop timed on
# every CPU, its spread in machine.json (cpu_speed_cv, noisy_host) and in
# the answers that open the summary.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

MACHINE="$PROCLAB_ROOT/scripts/machine.py"
ANSWERS="$PROCLAB_ROOT/scripts/answers.py"

@test "cpu_steady: COUNT timings on every allowed CPU, labelled, each a positive time" {
    run_bounded 30 cpu_steady --label after_ipc --count 4
    assert_success
    run /usr/bin/python3 - "$output" <<'PY'
import os, sys
rows = [l.split(",") for l in sys.argv[1].splitlines()]
cpus = sorted(os.sched_getaffinity(0))
assert all(len(r) == 4 and r[0] == "after_ipc" for r in rows), rows
assert sorted({int(r[1]) for r in rows}) == cpus, rows
for c in cpus:
    assert [int(r[2]) for r in rows if int(r[1]) == c] == [0, 1, 2, 3], rows
assert all(int(r[3]) > 0 for r in rows), rows
print("ok")
PY
    assert_output "ok"
    # only the CPUs it may use; the label defaults to "-"
    run_bounded 30 taskset -c 0 "$PROCLAB_BIN/cpu_steady" --count 2
    assert_success
    [ "${#lines[@]}" -eq 2 ]
    assert_line --index 0 --regexp '^-,0,0,[1-9][0-9]*$'
    assert_line --index 1 --regexp '^-,0,1,[1-9][0-9]*$'
}

@test "cpu_steady: bad arguments exit 2 with the usage" {
    for bad in "--count 0" "--count 1001" "--count x" "--label a,b" "--label" "extra" "--nope"; do
        run_bounded 10 cpu_steady $bad
        assert_failure 2
        assert_output --partial "Usage: cpu_steady"
    done
    run_bounded 10 cpu_steady --help
    assert_success
    assert_output --partial "Usage: cpu_steady"
}

# A run folder with machine.json and cpu_steadiness.csv: CPU 0 steady,
# CPU 1 with the given relative spread.
make_run() {
    mkdir -p "$1"
    echo '{"cpu_model": "Test"}' >"$1/machine.json"
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
run, spread = sys.argv[1], float(sys.argv[2])
with open(run + "/cpu_steadiness.csv", "w") as f:
    f.write("label,cpu,index,ns\n")
    for label in ("start", "after_spawn", "after_ipc"):
        for cpu, s in ((0, 0.01), (1, spread)):
            for i, k in enumerate((-1, 0, 1, 0, -1, 1)):
                f.write("%s,%d,%d,%d\n" % (label, cpu, i, round(1e6 * (1 + k * s))))
PY
}

@test "machine.py --after: cpu_speed_cv is the largest CPU's CV of the loop's timings; noisy_host above 5 %" {
    for spread in 0.02 0.2; do
        run_dir="$BATS_TEST_TMPDIR/run-$spread"
        make_run "$run_dir" "$spread"
        run_bounded 30 "$MACHINE" --after "$run_dir/machine.json"
        assert_success
        run /usr/bin/python3 - "$run_dir" <<'PY'
import json, statistics, sys
run = sys.argv[1]
rows = [l.strip().split(",") for l in open(run + "/cpu_steadiness.csv")][1:]
want = max(statistics.stdev(t) / statistics.mean(t)
           for t in ([float(r[3]) for r in rows if r[1] == c] for c in ("0", "1")))
m = json.load(open(run + "/machine.json"))
assert abs(m["cpu_speed_cv"] - want) < 1e-4, (m, want)
assert m["cpu_speed_timings"] == 36 and m["cpu_speed_points"] == 3, m
assert m["noisy_host"] == (want > 0.05), m
print("cv %.4f noisy %s" % (m["cpu_speed_cv"], m["noisy_host"]))
PY
        assert_success
        [[ $spread == 0.02 ]] && assert_output --partial "noisy False"
        [[ $spread == 0.2 ]] && assert_output --partial "noisy True"
    done
    # without the file: no field, no failure
    mkdir -p "$BATS_TEST_TMPDIR/bare" && echo '{}' >"$BATS_TEST_TMPDIR/bare/machine.json"
    run_bounded 30 "$MACHINE" --after "$BATS_TEST_TMPDIR/bare/machine.json"
    assert_success
    run grep -c cpu_speed_cv "$BATS_TEST_TMPDIR/bare/machine.json"
    assert_output 0
}

@test "answers.py: the CPUs' own speed is an answer, NOISY HOST when it varied over 5 %" {
    for spread in 0.02 0.2; do
        run_dir="$BATS_TEST_TMPDIR/run-$spread"
        make_run "$run_dir" "$spread"
        run_bounded 30 "$MACHINE" --after "$run_dir/machine.json"
        assert_success
        cv=$(/usr/bin/python3 -c 'import json,sys; print("%.1f" % (100 * json.load(open(sys.argv[1]))["cpu_speed_cv"]))' "$run_dir/machine.json")
        run_bounded 30 "$ANSWERS" "$run_dir"
        assert_success
        if [[ $spread == 0.02 ]]; then
            assert_line "  - the CPUs' own speed (a fixed loop timed 36 times at 3 points of the run, cpu_steady) varied $cv % (CV): steady"
        else
            assert_line --partial "  - the CPUs' own speed (a fixed loop timed 36 times at 3 points of the run, cpu_steady) varied $cv % (CV): NOISY HOST"
        fi
    done
}

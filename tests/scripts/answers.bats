#!/usr/bin/env bats
# scripts/answers.py: the answers that open the summary and the report,
# recomputed from a synthetic run whose winners are known, and shown by
# report.sh above the family sections.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

ANSWERS="$PROCLAB_ROOT/scripts/answers.py"

# A run: ipc.json (3 mechanisms x 2 placements, latency at 64 B and
# throughput at 1 MiB), spawn.json (3 methods x 2 sizes + thread),
# pool.json and python.json, machine.json; 5 repetitions each.
make_run() {
    mkdir -p "$1"
    /usr/bin/python3 - "$1" "${2:-0.02}" <<'PY'
import json, sys
run, busy = sys.argv[1], float(sys.argv[2])
def reps(name, ns, counters=None, spread=(0.98, 0.99, 1.0, 1.01, 1.02)):
    out = []
    for i, j in enumerate(spread):
        b = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 5,
             "repetition_index": i, "iterations": 100, "real_time": ns * j,
             "cpu_time": ns * j, "time_unit": "ns"}
        for k, v in (counters or {}).items():
            b[k] = v * j
        out.append(b)
    return out
ipc = []
lat = {"pipe": (20000, 30000), "shm_spin": (15000, 400), "shm_futex": (9000, 25000)}
for m, (same, cross) in lat.items():
    for c, ns in ((0, same), (1, cross)):
        ipc += reps("ipc_latency/%s/bytes:64/cross:%d" % (m, c), ns * 1.1,
                    {"p50_ns": ns, "mean_ns": ns * 1.1})
thr = {"pipe": (3e9, 1.5e9), "shm_spin": (14e9, 6e9), "memfd": (12e9, 20e9)}
for m, (same, cross) in thr.items():
    for c, bps in ((0, same), (1, cross)):
        ipc += reps("ipc_throughput/%s/bytes:1048576/cross:%d" % (m, c), 1e5,
                    {"bytes_per_second": bps})
# a noisy one: CV well above 5 %
ipc += reps("ipc_latency/tcp/bytes:64/cross:0", 50000, {"p50_ns": 50000},
            spread=(0.5, 1.0, 1.5, 1.0, 1.0))
spawn = []
for m, ns0, ns256 in (("fork", 800e3, 8e6), ("vfork", 60e3, 61e3),
                      ("posix_spawn", 500e3, 520e3), ("thread", 20e3, 20e3)):
    spawn += reps("spawn/%s/rss_mib:0" % m, ns0) + reps("spawn/%s/rss_mib:256" % m, ns256)
pool = []
for w, g, eff in ((1, 100, 1.0), (2, 100, 0.7), (2, 1000, 0.9), (4, 1000, 0.85)):
    pool += reps("pool/shm/workers:%d/grain_us:%d/chunk:1" % (w, g), 1e6,
                 {"efficiency": eff, "overhead_us_per_task": 0.5})
pool += reps("pool/shm/workers:2/grain_us:0/chunk:1", 1e3, {"overhead_us_per_task": 0.8})
python = reps("python/pool_map/workers:2/grain_us:0/chunk:1", 1e5,
              {"overhead_us_per_task": 40.0})
# at a coarse grain the overhead drowns in noise: never the comparison
python += reps("python/pool_map/workers:2/grain_us:1000/chunk:1", 1e6,
               {"overhead_us_per_task": 0.0})
for fam, b in (("ipc", ipc), ("spawn", spawn), ("pool", pool), ("python", python)):
    json.dump({"context": {}, "benchmarks": b}, open("%s/%s.json" % (run, fam), "w"))
json.dump({"cpu_model": "Test", "hypervisor": "KVM", "timer_ns": 17.5,
           "others_cpu_share": busy, "busy_machine": busy > 0.10},
          open(run + "/machine.json", "w"))
PY
}

@test "answers.py: every answer recomputed from a run with known winners" {
    make_run "$BATS_TEST_TMPDIR/run"
    run_bounded 30 "$ANSWERS" "$BATS_TEST_TMPDIR/run"
    assert_success
    assert_line --index 0 --partial 'Answers (computed from this run'
    assert_line '  - lowest latency at 64 B on one CPU: shm_futex, 9.00 us round trip (p50; mean 9.90 us) [8.82 us..9.18 us, 94% CI over 5 reps]'
    assert_line --partial '  - lowest latency at 64 B across two CPUs: shm_spin, 400 ns round trip (p50; mean 440 ns)'
    assert_line --partial '  - highest throughput at 1 MiB on one CPU: shm_spin, 13.0 GiB/s'
    assert_line --partial '  - highest throughput at 1 MiB across two CPUs: memfd, 18.6 GiB/s'
    assert_line --partial '  - cheapest process start from a 0 MiB parent: vfork, 60.0 us'
    assert_line --partial '; fork takes 13.33x; a thread (not a process) 20.0 us'
    assert_line --partial '  - cheapest process start from a 256 MiB parent: vfork, 61.0 us'
    assert_line --partial '; fork takes 131.15x'
    assert_line '  - pool efficiency passes 0.8 from grain 1000 us with 4 workers (shm, chunk 1): efficiency 0.85'
    assert_line '  - Python adds: python/pool_map/workers:2/grain_us:0/chunk:1 costs 40.0 us a task beyond the work, the C shm pool 0.80 us: 50x'
    # 23 + 2 ... every benchmark but tcp agrees within 5 %
    assert_line --regexp '^  - repetitions agree within 5 % \(CV\) for ([0-9]+) of ([0-9]+) benchmarks'
    [[ $output =~ for\ ([0-9]+)\ of\ ([0-9]+)\ benchmarks ]]
    [ $((BASH_REMATCH[2] - BASH_REMATCH[1])) -eq 1 ]
    # split by placement: the 6 cross-CPU ones all agree, the noisy tcp is same-CPU
    [[ $output =~ across\ two\ CPUs\ 6\ of\ 6,\ the\ rest\ ([0-9]+)\ of\ ([0-9]+) ]]
    [ $((BASH_REMATCH[2] - BASH_REMATCH[1])) -eq 1 ]
    assert_line '  - other processes used 2 % of the CPUs during the run: quiet'
    assert_line '  - one timer read costs 17.5 ns here (machine.json timer_ns); hypervisor: KVM'
}

@test "answers.py: a busy machine is flagged; missing families are said, not fatal" {
    make_run "$BATS_TEST_TMPDIR/run" 0.4
    rm "$BATS_TEST_TMPDIR/run/pool.json" "$BATS_TEST_TMPDIR/run/python.json" "$BATS_TEST_TMPDIR/run/spawn.json"
    run_bounded 30 "$ANSWERS" "$BATS_TEST_TMPDIR/run"
    assert_success
    assert_line '  - other processes used 40 % of the CPUs during the run: BUSY: other processes used the CPUs during the run; numbers are disturbed'
    assert_line '  - spawn: the spawn family is not in this run'
    assert_line '  - pool: the pool family is not in this run'
    assert_line '  - Python: the python probe is not in this run'
    run_bounded 30 "$ANSWERS" "$BATS_TEST_TMPDIR/nope"
    assert_failure 2
    run_bounded 30 "$ANSWERS"
    assert_failure 2
}

@test "report.sh: the answers and one ASCII plot open summary.txt; report.md has them" {
    make_run "$BATS_TEST_TMPDIR/run"
    run_bounded 60 "$PROCLAB_ROOT/scripts/report.sh" "$BATS_TEST_TMPDIR/run"
    run cat "$BATS_TEST_TMPDIR/run/summary.txt"
    assert_line --partial 'lowest latency at 64 B across two CPUs: shm_spin'
    assert_line --partial 'spawn: time to start and reap one process'
    assert_line --regexp '^ +[0-9]+ [|+]'        # the dumb terminal's axis
    run grep -c '^## Answers$' "$BATS_TEST_TMPDIR/run/report.md"
    assert_output 1
}

#!/usr/bin/env bats
# supervisor: an epoll loop over worker pipes, pidfds and a signalfd;
# restarts with back-off; SIGTERM and SIGKILL leave no worker behind.
# bats file_tags=lab,pool

load '../../helpers/common'
load 'servers'
setup() { _common_setup; }
teardown() { _common_teardown; }

worker_pids() {  # every worker pid the supervisor started, from its output
    sed -n 's/^supervisor: worker [0-9]* \(re\)\{0,1\}started: pid \([0-9]*\).*/\2/p' "$1"
}

# start_supervisor OUT ARGS...: start it, wait until it has started 3 workers
# and each has done a task.  Sets $server.
start_supervisor() {
    local out=$1
    shift
    : >"$out"
    "$PROCLAB_BIN/supervisor" "$@" >"$out" 2>&1 3>&- &
    server=$!
    for _ in $(seq 250); do
        [[ $(grep -c '\] task 1 done$' "$out") -ge 3 ]] && return 0
        sleep 0.02
    done
    cat "$out" >&2
    return 1
}

@test "supervisor: a crashed worker is restarted with a doubling back-off" {
    run_bounded 20 supervisor --workers 2 --duration 1 --task-ms 50 --crash-after 2 --backoff-ms 100 \
        --timeline "$BATS_TEST_TMPDIR/t.csv"
    assert_success
    assert_line --index 0 --regexp '^supervisor: 2 workers, 50 ms tasks, for 1 s \(pid [0-9]+\); worker 1 aborts after every 2 tasks$'
    assert_line --regexp '^supervisor: worker 1 \(pid [0-9]+\) crashed: signal:SIGABRT after [0-9]+ ms up; restart in 100 ms$'
    assert_line --regexp '^supervisor: worker 1 \(pid [0-9]+\) crashed: signal:SIGABRT after [0-9]+ ms up; restart in 200 ms$'
    assert_line --regexp '^supervisor: worker 1 restarted: pid [0-9]+ \(restart 1\)$'
    assert_line --regexp '^supervisor: worker 1 restarted: pid [0-9]+ \(restart 2\)$'
    # worker 2 never crashes; its log lines are relayed from its pipe
    refute_line --regexp '^supervisor: worker 2 \(pid [0-9]+\) crashed'
    assert_line --regexp '^\[worker 2 pid [0-9]+\] task 5 done$'
    assert_line --regexp '^\[worker 1 pid [0-9]+\] crashing on purpose \(abort\)$'
    assert_line --regexp '^supervisor: the end of the demo: asking [12] workers to finish their task and stop$'
    assert_line --regexp '^supervisor: all workers stopped; [2-9] restarts$'
    all_gone_within 1000 $(worker_pids <(echo "$output"))

    # the timeline: worker 1's lane shows each life (start, tasks, abort,
    # crash) and a gap of at least the back-off before the next start
    /usr/bin/python3 - "$BATS_TEST_TMPDIR/t.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and list(rows[0]) == ["lane", "start_s", "end_s", "label"], rows[:1]
lanes = {r["lane"] for r in rows}
assert lanes == {"supervisor", "worker 1", "worker 2"}, lanes
w1 = sorted((float(r["start_s"]), r["label"]) for r in rows if r["lane"] == "worker 1")
starts = [t for t, l in w1 if l.startswith("start pid ")]
crashes = [t for t, l in w1 if l == "crashed signal:SIGABRT"]
assert len(starts) >= 3 and len(crashes) >= 2, w1
for k, (crash, backoff) in enumerate(zip(crashes, [0.1, 0.2])):
    assert starts[k + 1] - crash >= backoff, (k, crash, starts[k + 1])
tasks = [r for r in rows if r["label"].startswith("task ")]
assert tasks and all(float(r["end_s"]) > float(r["start_s"]) for r in tasks)
w2 = [r["label"] for r in rows if r["lane"] == "worker 2"]
assert w2[-1] == "stopped exit 0" and any(l.startswith("SIGTERM: stop after task") for l in w2), w2
PY
    run "$PROCLAB_ROOT/scripts/timeline.sh" "$BATS_TEST_TMPDIR/t.csv" "$BATS_TEST_TMPDIR/t.svg"
    assert_success
    [[ -s $BATS_TEST_TMPDIR/t.svg ]]
}

@test "supervisor gets SIGTERM: workers finish their task and exit; nothing left within a second" {
    out=$BATS_TEST_TMPDIR/out
    start_supervisor "$out" --duration 60 --task-ms 200 --crash-after 0
    pids=$(worker_pids "$out")
    [[ $(wc -w <<<"$pids") -eq 3 ]]
    kill -TERM "$server"
    all_gone_within 1000 "$server" $pids
    wait_server 1
    [ "$server_status" -eq 0 ]
    run cat "$out"
    assert_line "supervisor: SIGTERM: asking 3 workers to finish their task and stop"
    for w in 1 2 3; do
        assert_line --regexp "^\\[worker $w pid [0-9]+\\] SIGTERM: stopping after task [0-9]+$"
        assert_line --regexp "^supervisor: worker $w \\(pid [0-9]+\\) stopped: exit 0$"
    done
    assert_line "supervisor: all workers stopped; 0 restarts"
}

@test "supervisor killed with SIGKILL: its workers die too (PR_SET_PDEATHSIG); nothing left within a second" {
    out=$BATS_TEST_TMPDIR/out
    start_supervisor "$out" --duration 60 --task-ms 200 --crash-after 0
    pids=$(worker_pids "$out")
    [[ $(wc -w <<<"$pids") -eq 3 ]]
    kill -KILL "$server"
    all_gone_within 1000 "$server" $pids
    wait_server 1
    [ "$server_status" -eq 137 ]
}

@test "supervisor --help; bad arguments exit 2" {
    run supervisor --help
    assert_success
    assert_line --index 0 --partial "Usage: supervisor [--workers N]"
    for args in "--workers 0" "--workers 33" "--duration 0" "--task-ms 5001" "--crash-after -1" \
                "--backoff-ms 0" "--backoff-ms 500 --backoff-max-ms 100" "extra"; do
        run --separate-stderr supervisor $args
        [[ $status -eq 2 ]] || fail "supervisor $args exited $status"
        [[ -n $stderr ]]
    done
}

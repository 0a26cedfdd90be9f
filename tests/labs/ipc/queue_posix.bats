#!/usr/bin/env bats
# queue_posix: a POSIX message queue as a bounded MPMC Queue (Full, Empty,
# priorities, sentinel shutdown); the name is removed on every path.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

no_pids() { sed -E 's/proclab-[0-9]+-[0-9]+-[0-9a-f]{8}-q/proclab-UID-PID-RAND-q/' <<<"$output"; }

@test "queue_posix: 3 producers, 3 consumers: every item arrives once, one sentinel each" {
    run_bounded 20 queue_posix -p 3 -c 3 -n 500 -m 10
    assert_success
    assert_line --index 1 "3 producers x 500 items, 3 consumers"
    [ "$(grep -c '^consumer [0-2]: [0-9]* items, then the sentinel$' <<<"$output")" -eq 3 ]
    assert_line "total: 1500 of 1500 items, sum 1500374250 (expected 1500374250)"
    # the consumers' own counts add up too
    [ "$(awk '/^consumer/ { s += $3 } END { print s }' <<<"$output")" -eq 1500 ]
}

@test "queue_posix --demo full: mq_maxmsg puts succeed, the next times out with Full" {
    run_bounded 10 queue_posix --demo full -m 3
    assert_success
    run no_pids
    assert_output - <<'OUT'
queue /proclab-UID-PID-RAND-q: mq_maxmsg=3 mq_msgsize=12
put 1: ok
put 2: ok
put 3: ok
put 4: Full (mq_timedsend: ETIMEDOUT after 200 ms; mq_maxmsg=3)
OUT
}

@test "queue_posix --demo empty: a get on an empty queue times out with Empty" {
    run_bounded 10 queue_posix --demo empty -t 100
    assert_success
    assert_line --index 1 "get: Empty (mq_timedreceive: ETIMEDOUT after 100 ms)"
}

@test "queue_posix --demo priority: highest priority first, FIFO among equals" {
    run_bounded 10 queue_posix --demo priority
    assert_success
    run grep '^got' <<<"$output"
    assert_output - <<'OUT'
got seq 5 with priority 9
got seq 1 with priority 5
got seq 3 with priority 5
got seq 2 with priority 3
got seq 0 with priority 1
got seq 4 with priority 0
OUT
}

@test "queue_posix: a mq_maxmsg above the limit is refused" {
    run --separate-stderr queue_posix -m 11
    assert_failure 2
    [[ $stderr == *"--maxmsg: 11 is out of range [1, 10]"* ]]
}

@test "queue_posix: SIGINT mid-run unlinks the queue and ends the children" {
    queue_posix -p 2 -c 2 -n 1000 -w 10 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.5
    if mountpoint -q /dev/mqueue; then    # the name exists mid-run
        compgen -G "/dev/mqueue/proclab-$(id -u)-$pid-????????-q" >/dev/null
    fi
    kill -INT "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 130 ]
    ! compgen -G "/dev/mqueue/proclab-$(id -u)-$pid-*" >/dev/null
}

@test "queue_posix: SIGTERM during --demo full leaves nothing behind" {
    queue_posix --demo full -t 5000 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.3
    kill -TERM "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 143 ]
}

@test "queue_posix --help exits 0 and shows usage" {
    run queue_posix --help
    assert_success
    assert_line --index 0 "Usage: queue_posix [--demo full|empty|priority] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS] [-m MAXMSG] [-w WORK_MS] [-t TIMEOUT_MS]"
}

@test "queue_posix: bad arguments exit 2 with a message" {
    run --separate-stderr queue_posix -p 0
    assert_failure 2
    [[ $stderr == *"--producers: 0 is out of range [1, 16]"* ]]
    run --separate-stderr queue_posix -n 1x
    assert_failure 2
    [[ $stderr == *"'1x' is not a whole number"* ]]
    run --separate-stderr queue_posix --demo bogus
    assert_failure 2
    [[ $stderr == *"--demo: 'bogus' is not full, empty or priority"* ]]
    run --separate-stderr queue_posix --bogus
    assert_failure 2
    run --separate-stderr queue_posix extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

#!/usr/bin/env bats
# queue_sysv: a System V message queue; types as channels, negative type
# for priority, msg_qbytes bound; IPC_RMID on every path.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

my_queues() { ipcs -q | awk -v u="$(id -un)" '$3 == u { print $2 }' | sort; }

@test "queue_sysv: work on type 1, results on type 2: every result comes back once" {
    run_bounded 20 queue_sysv -c 3 -n 2000
    assert_success
    assert_line --index 1 "2000 items on type 1, 3 consumers, results on type 2"
    [ "$(grep -c '^consumer [0-2]: [0-9]* items$' <<<"$output")" -eq 3 ]
    [ "$(awk '/^consumer/ { s += $3 } END { print s }' <<<"$output")" -eq 2000 ]
    assert_line "total: 2000 results of 2000, sum of squares 2664667000 (expected 2664667000)"
}

@test "queue_sysv: more work than the queue holds does not deadlock" {
    run_bounded 30 queue_sysv -c 2 -n 5000
    assert_success
    assert_line --regexp "^total: 5000 results of 5000, "
}

@test "queue_sysv --demo priority: msgrcv with -5 takes the lowest type first" {
    run_bounded 10 queue_sysv --demo priority
    assert_success
    run grep '^msgrcv' <<<"$output"
    assert_output - <<'OUT'
msgrcv(-5) got item 1 with type 1
msgrcv(-5) got item 4 with type 1
msgrcv(-5) got item 3 with type 2
msgrcv(-5) got item 0 with type 3
msgrcv(-5) got item 5 with type 4
msgrcv(-5) got item 2 with type 5
OUT
}

@test "queue_sysv --demo addressed: each consumer takes only its own type" {
    run_bounded 10 queue_sysv --demo addressed -c 4
    assert_success
    for k in 0 1 2 3; do
        assert_line "consumer $k: msgrcv(type 1$k) got \"for consumer $k\""
    done
}

@test "queue_sysv --demo full: the 4th msgsnd with IPC_NOWAIT gets EAGAIN" {
    run_bounded 10 queue_sysv --demo full
    assert_success
    assert_line "msgsnd 3: ok"
    assert_line "msgsnd 4: EAGAIN: the queue is full (without IPC_NOWAIT it would block)"
}

@test "queue_sysv: the queue exists mid-run; SIGINT removes it and the consumers" {
    before=$(my_queues)
    queue_sysv -c 2 -n 1000 -w 10 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.5
    [ "$(comm -13 <(echo "$before") <(my_queues) | wc -l)" -ge 1 ]
    kill -INT "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 130 ]
}

@test "queue_sysv: SIGTERM while consumers wait for their message leaves nothing" {
    queue_sysv -c 2 -n 1000 -w 10 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.3
    kill -TERM "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 143 ]
}

@test "queue_sysv --help exits 0 and shows usage" {
    run queue_sysv --help
    assert_success
    assert_line --index 0 "Usage: queue_sysv [--demo priority|addressed|full] [-c CONSUMERS] [-n ITEMS] [-w WORK_MS] [--in-flight N]"
}

@test "queue_sysv: bad arguments exit 2 with a message" {
    run --separate-stderr queue_sysv -c 17
    assert_failure 2
    [[ $stderr == *"--consumers: 17 is out of range [1, 16]"* ]]
    run --separate-stderr queue_sysv -w x
    assert_failure 2
    [[ $stderr == *"'x' is not a whole number"* ]]
    run --separate-stderr queue_sysv --demo empty
    assert_failure 2
    [[ $stderr == *"--demo: 'empty' is not priority, addressed or full"* ]]
    run --separate-stderr queue_sysv --bogus
    assert_failure 2
    run --separate-stderr queue_sysv extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "queue_sysv --in-flight 100000: work and results fill the one queue, every msgsnd blocks: deadlock reported, exit 3, queue removed" {
    run_bounded 20 queue_sysv --in-flight 100000 -n 100000
    assert_failure 3
    assert_output --partial "deadlock: msgsnd type"
    assert_output --partial "blocked for 1 s: the queue is full"
    refute_output --partial "total:"
}

#!/usr/bin/env bats
# barrier: a process-shared pthread barrier keeps workers in step.
# bats file_tags=lab,sync

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "barrier: nobody runs ahead; one serial waiter per phase" {
    run_bounded 30 barrier
    assert_success
    assert_line --index 0 'barrier: 4 workers, 3 phases, worker i works i ms per phase'
    for k in 1 2 3; do
        assert_line --index "$k" --regexp "^phase $k: last to arrive worker [1-4], PTHREAD_BARRIER_SERIAL_THREAD went to worker [1-4]$"
    done
    assert_line --index 4 'every worker ended each phase before any worker started the next'
    [ "${#lines[@]}" -eq 5 ]
}

@test "barrier: more workers and phases still never run ahead" {
    run_bounded 30 barrier -w 8 -k 20
    assert_success
    assert_line 'every worker ended each phase before any worker started the next'
    refute_output --partial 'ran ahead'
}

@test "barrier --no-barrier: fast workers run ahead, detected (exit 1)" {
    run_bounded 30 barrier --no-barrier
    assert_failure 1
    assert_line --index 0 'barrier (none): 4 workers, 3 phases, worker i works i ms per phase'
    refute_output --partial 'PTHREAD_BARRIER_SERIAL_THREAD'
    assert_line --regexp '^worker [1-3] was past phase 1 while worker [2-4] was still in it$'
    assert_line --regexp '^ran ahead: [0-9]+ violations seen$'
}

@test "barrier: SIGINT mid-run leaves no worker behind" {
    # Background jobs of a script start with SIGINT ignored: restore it.
    env --default-signal=INT barrier -k 1000 >/dev/null 3>&- &
    pid=$!
    sleep 0.5
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 130 ]
}

@test "barrier --help exits 0 and shows usage" {
    run barrier --help
    assert_success
    assert_line --index 0 "Usage: barrier [--no-barrier] [-w WORKERS] [-k PHASES]"
}

@test "barrier: bad arguments exit 2 with a message" {
    run --separate-stderr barrier -w 1
    assert_failure 2
    [[ $stderr == *"--workers: 1 is out of range [2, 16]"* ]]
    run --separate-stderr barrier -k 0
    assert_failure 2
    [[ $stderr == *"--phases: 0 is out of range [1, 1000]"* ]]
    run --separate-stderr barrier -k 3.5
    assert_failure 2
    [[ $stderr == *"'3.5' is not a whole number"* ]]
    run --separate-stderr barrier --bogus
    assert_failure 2
    run --separate-stderr barrier extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

#!/usr/bin/env bats
# queue_shm: a JoinableQueue in shared memory (robust mutex + conditions,
# task_done/join); a consumer killed holding an item; the item is re-queued.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "queue_shm: 3 consumers, 200 items: join returns, every item done exactly once" {
    run_bounded 20 queue_shm -c 3 -n 200 -w 0
    assert_success
    assert_line --index 0 "queue: 4 slots, 3 consumers, 200 items"
    assert_line "join(): returned, 0 unfinished tasks"
    assert_line "items: 200 put, 200 done exactly once (0 re-queued), 0 lost, 0 done twice"
    [ "$(awk '/^consumer [0-9]: [0-9]+ done$/ { s += $3 } END { print s }' <<<"$output")" -eq 200 ]
}

@test "queue_shm --kill-consumer: EOWNERDEAD, the held item is re-queued, all done once, join returns" {
    run_bounded 20 queue_shm --kill-consumer -c 3 -n 100
    assert_success
    assert_line --regexp '^consumer 0: took item [0-9]+; killed \(SIGKILL\) holding it and the lock$'
    item=$(sed -n 's/^consumer 0: took item \([0-9]*\);.*/\1/p' <<<"$output")
    assert_line --regexp "^(parent|consumer [12]): EOWNERDEAD: the lock's holder died; the queue is whole, pthread_mutex_consistent\(\)$"
    assert_line --regexp "^parent: consumer 0 \(pid [0-9]+\) ended with signal:SIGKILL holding item $item: re-queued$"
    assert_line "join(): returned, 0 unfinished tasks"
    assert_line "consumer 0: 0 done"
    assert_line "items: 100 put, 100 done exactly once (1 re-queued), 0 lost, 0 done twice"
}

@test "queue_shm --kill-consumer with many items and no work: still exactly once" {
    run_bounded 30 queue_shm --kill-consumer -c 2 -n 5000 -w 0
    assert_success
    assert_line "items: 5000 put, 5000 done exactly once (1 re-queued), 0 lost, 0 done twice"
}

@test "queue_shm --kill-consumer --no-requeue: the item is lost, join times out, exit 3" {
    run_bounded 20 queue_shm --kill-consumer --no-requeue -t 500
    assert_failure 3
    assert_line --regexp '^parent: consumer 0 \(pid [0-9]+\) ended with signal:SIGKILL holding item [0-9]+: not re-queued \(--no-requeue\)$'
    assert_line "join(): timed out after 500 ms with 1 unfinished task(s): 1 item(s) died with their consumer"
    refute_line --partial "join(): returned"
}

@test "queue_shm: SIGINT mid-run ends every consumer" {
    queue_shm -c 3 -n 2000 -w 5 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.5
    [ "$(pgrep -P "$pid" | wc -l)" -eq 3 ]
    kill -INT "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 130 ]
}

@test "queue_shm --help exits 0 and shows usage" {
    run queue_shm --help
    assert_success
    assert_line --index 0 "Usage: queue_shm [--kill-consumer [--no-requeue]] [-c CONSUMERS] [-n ITEMS] [-s SLOTS] [-w WORK_MS] [-t JOIN_TIMEOUT_MS]"
}

@test "queue_shm: bad arguments exit 2 with a message" {
    run --separate-stderr queue_shm -s 65
    assert_failure 2
    [[ $stderr == *"--slots: 65 is out of range [1, 64]"* ]]
    run --separate-stderr queue_shm -n ''
    assert_failure 2
    [[ $stderr == *"--items: a number is required"* ]]
    run --separate-stderr queue_shm --kill-consumer -c 1
    assert_failure 2
    [[ $stderr == *"--kill-consumer needs 2 or more consumers"* ]]
    run --separate-stderr queue_shm --no-requeue
    assert_failure 2
    [[ $stderr == *"--no-requeue goes with --kill-consumer"* ]]
    run --separate-stderr queue_shm --bogus
    assert_failure 2
    run --separate-stderr queue_shm extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

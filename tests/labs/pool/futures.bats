#!/usr/bin/env bats
# futures: submit, a wait that times out, as_completed in completion order,
# a task's error delivered to the caller.
# bats file_tags=lab,pool

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "futures: results arrive in completion order and the raised error reaches the caller" {
    for queue in shm pipe; do
        run_bounded 30 futures --queue "$queue"
        assert_success
        assert_line "future_wait(task 0, 150 ms): timed out (ETIMEDOUT); task 0 still runs"
        assert_line --regexp '^  [0-9.]+ s  task 4 raised: ValueError: duration -1 ms is negative$'
        assert_line "completion order: 4 1 5 3 2 0  (submission order: 0 1 2 3 4 5)"
        assert_line "results arrived in completion order, shortest first"
        assert_line --regexp '^  [0-9.]+ s  task 0 slept 500 ms$'
    done
}

@test "futures --help exits 0 and shows usage" {
    run futures --help
    assert_success
    assert_line --index 0 "Usage: futures [--queue shm|pipe] [--workers N] [--wait-ms MS]"
}

@test "futures: bad arguments exit 2 with a message" {
    for args in "--queue x" "--workers 0" "--wait-ms -5" "--wait-ms 1x" "extra"; do
        run --separate-stderr futures $args
        [[ $status -eq 2 ]] || fail "futures $args exited $status"
        [[ -n $stderr ]]
    done
}

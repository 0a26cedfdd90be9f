#!/usr/bin/env bats
# robust_mutex: a holder dies in the critical section; EOWNERDEAD and recovery.
# bats file_tags=lab,sync

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The lab's output with the child's pid replaced by PID.
no_pids() { sed -E 's/child [0-9]+/child PID/g' <<<"$output"; }

@test "robust_mutex: the next locker gets EOWNERDEAD, repairs, calls consistent, exits 0" {
    run_bounded 20 robust_mutex
    assert_success
    run no_pids
    assert_output - <<'OUT'
parent: robust process-shared mutex; a=1000 b=0
child PID: locked the mutex; moving 100 from a to b
child PID: a=900 b=0, and now I die holding the lock
parent: child PID ended with signal:SIGKILL while holding the lock
parent: locking (waiting at most 1000 ms)
parent: EOWNERDEAD: I own the lock, its last owner died; a=900 b=0 (a + b = 900, should be 1000)
parent: repaired the half-done transfer: a=900 b=100
parent: pthread_mutex_consistent(): the mutex is usable again
parent: locked again normally (0)
OUT
}

@test "robust_mutex --plain: the next locker would wait forever; the timed lock times out, exit 3" {
    run_bounded 20 robust_mutex --plain --timeout-ms 300
    assert_failure 3
    assert_line "parent: plain (non-robust) process-shared mutex; a=1000 b=0"
    assert_line --regexp '^parent: child [0-9]+ ended with signal:SIGKILL while holding the lock$'
    assert_line "parent: locking (waiting at most 300 ms)"
    assert_line --index 5 "parent: timed out: the lock is held by a dead process and a plain mutex never says so; without a timeout we would wait forever"
    refute_line --partial EOWNERDEAD
}

@test "robust_mutex --no-consistent: unlocking without consistent makes it ENOTRECOVERABLE, exit 1" {
    run_bounded 20 robust_mutex --no-consistent
    assert_failure 1
    assert_line --partial "parent: EOWNERDEAD: I own the lock"
    assert_line "parent: unlocking without pthread_mutex_consistent()"
    assert_line --index 7 "parent: locking again: ENOTRECOVERABLE: the mutex is unusable for everyone, for good"
    refute_line --partial "repaired"
}

@test "robust_mutex --help exits 0 and shows usage" {
    run robust_mutex --help
    assert_success
    assert_line --index 0 "Usage: robust_mutex [--plain | --no-consistent] [--timeout-ms MS]"
}

@test "robust_mutex: bad arguments exit 2 with a message" {
    run --separate-stderr robust_mutex --timeout-ms 0
    assert_failure 2
    [[ $stderr == *"--timeout-ms: 0 is out of range [1, 60000]"* ]]
    run --separate-stderr robust_mutex --timeout-ms abc
    assert_failure 2
    [[ $stderr == *"'abc' is not a whole number"* ]]
    run --separate-stderr robust_mutex --plain --no-consistent
    assert_failure 2
    [[ $stderr == *"--plain and --no-consistent do not go together"* ]]
    run --separate-stderr robust_mutex --bogus
    assert_failure 2
    run --separate-stderr robust_mutex extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

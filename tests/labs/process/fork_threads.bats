#!/usr/bin/env bats
# fork_threads: fork copies a mutex held by another thread; pthread_atfork fixes it.
# bats file_tags=lab,process

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "fork_threads: the child inherits a mutex locked by a thread it lacks (exit 3)" {
    run_bounded 15 fork_threads
    assert_failure 3
    assert_line --index 0 "worker thread: holding the mutex"
    assert_line --index 1 "main thread: fork()"
    assert_line "child: mutex still locked after 1.0 s: deadlock (the thread that held it does not exist here)"
    assert_line "worker thread: releasing the mutex"
    assert_line "parent: child exited 3"
    refute_line --partial "got the mutex"
}

@test "fork_threads --atfork: prepare/parent/child handlers hand the child a free mutex" {
    run_bounded 15 fork_threads --atfork
    assert_success
    assert_line --index 1 "main thread: fork() (prepare handler takes the mutex first)"
    # prepare() had to wait for the worker to let go before fork.
    assert_line --index 2 "worker thread: releasing the mutex"
    assert_line "child: got the mutex at once"
    assert_line "parent: child exited 0"
    refute_line --partial "deadlock"
}

@test "fork_threads --help exits 0 and shows usage" {
    run fork_threads --help
    assert_success
    assert_line --index 0 "Usage: fork_threads [--atfork]"
}

@test "fork_threads: bad arguments exit 2 with a message" {
    run --separate-stderr fork_threads --bogus
    assert_failure 2
    run --separate-stderr fork_threads now
    assert_failure 2
    [[ $stderr == *"unexpected argument 'now'"* ]]
}

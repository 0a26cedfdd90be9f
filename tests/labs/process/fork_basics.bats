#!/usr/bin/env bats
# fork_basics: fork returns twice; an unflushed stdio buffer is copied.
# bats file_tags=lab,process

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "fork_basics: the child sees fork return 0 and the parent's pid as ppid" {
    run_bounded 10 fork_basics
    assert_success
    parent=$(sed -n 's/^before fork: parent pid=\([0-9]*\)$/\1/p' <<<"$output")
    [[ -n $parent ]]
    assert_line --regexp "^child 1: fork returned 0, my pid=[0-9]+, my parent \(ppid\)=$parent$"
    child=$(sed -n 's/^child 1: fork returned 0, my pid=\([0-9]*\),.*/\1/p' <<<"$output")
    assert_line "parent: fork returned $child for child 1, my pid=$parent"
}

@test "fork_basics: flushing before fork prints 'before fork' once on a pipe" {
    run_bounded 10 bash -c 'fork_basics -n 3 | cat'
    assert_success
    [ "$(grep -c '^before fork' <<<"$output")" -eq 1 ]
    [ "$(grep -c '^child [0-9]: fork returned 0' <<<"$output")" -eq 3 ]
    [ "$(grep -c '^parent: fork returned' <<<"$output")" -eq 3 ]
}

@test "fork_basics --no-flush: the copied buffer prints 'before fork' once per process" {
    run_bounded 10 bash -c 'fork_basics --no-flush -n 3 | cat'
    assert_success
    [ "$(grep -c '^before fork' <<<"$output")" -eq 4 ]
}

@test "fork_basics --help exits 0 and shows usage" {
    run fork_basics --help
    assert_success
    assert_line --index 0 "Usage: fork_basics [--no-flush] [-n CHILDREN]"
}

@test "fork_basics: bad arguments exit 2 with a message" {
    run --separate-stderr fork_basics -n 0
    assert_failure 2
    [[ $stderr == *"--children: 0 is out of range [1, 64]"* ]]
    run --separate-stderr fork_basics -n 3x
    assert_failure 2
    [[ $stderr == *"'3x' is not a whole number"* ]]
    run --separate-stderr fork_basics --bogus
    assert_failure 2
    run --separate-stderr fork_basics extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

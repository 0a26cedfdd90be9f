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
    assert_line --index 0 "Usage: fork_basics [--no-flush] [--child-exit] [-n CHILDREN] [--timeline FILE]"
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

@test "fork_basics --timeline: a lane per child with its run and exit; the parent forks and waits for each" {
    load '../../helpers/pictures'
    run_bounded 10 fork_basics -n 3 --timeline "$BATS_TEST_TMPDIR/t.csv"
    assert_success
    timeline_ok "$BATS_TEST_TMPDIR/t.csv"
    # The parent's "start" comes first; the children's order is the scheduler's.
    run timeline_lanes "$BATS_TEST_TMPDIR/t.csv"
    assert_line --index 0 parent
    [ "$(sort <<<"$output")" = "$(printf 'child 1\nchild 2\nchild 3\nparent')" ]
    for i in 1 2 3; do
        [ "$(timeline_count "$BATS_TEST_TMPDIR/t.csv" "child $i" '^exit 0$')" -eq 1 ]
        [ "$(timeline_count "$BATS_TEST_TMPDIR/t.csv" "child $i" '^runs$')" -eq 1 ]
        [ "$(timeline_count "$BATS_TEST_TMPDIR/t.csv" parent "^fork child $i\$")" -eq 1 ]
        [ "$(timeline_count "$BATS_TEST_TMPDIR/t.csv" parent "^wait: child $i\$")" -eq 1 ]
    done
    # A child exits after its fork was called and is reaped after it exits.
    run awk -F, '$1 == "parent" && $4 == "fork child 2" { f = $2 }
                 $1 == "child 2" && $4 == "exit 0" { e = $2 }
                 $1 == "parent" && $4 == "wait: child 2" { w = $2 }
                 END { exit !(f < e && e <= w) }' "$BATS_TEST_TMPDIR/t.csv"
    assert_success
}

@test "fork_basics --child-exit: exit() in a child runs the parent's atexit handler there too; _exit() does not" {
    run_bounded 10 fork_basics -n 3
    assert_success
    parent=$(sed -n 's/^before fork: parent pid=\([0-9]*\)$/\1/p' <<<"$output")
    [ "$(grep -c '^atexit handler registered by' <<<"$output")" -eq 1 ]
    assert_line "atexit handler registered by pid $parent runs in pid $parent"
    run_bounded 10 fork_basics -n 3 --child-exit
    assert_success
    parent=$(sed -n 's/^before fork: parent pid=\([0-9]*\)$/\1/p' <<<"$output")
    [ "$(grep -c "^atexit handler registered by pid $parent runs in pid" <<<"$output")" -eq 4 ]
    for child in $(sed -n 's/^child [0-9]: fork returned 0, my pid=\([0-9]*\),.*/\1/p' <<<"$output"); do
        assert_line "atexit handler registered by pid $parent runs in pid $child"
    done
}

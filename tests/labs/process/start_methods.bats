#!/usr/bin/env bats
# start_methods: fork, fork+exec, vfork, clone, posix_spawn, a fork server.
# bats file_tags=lab,process

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

METHODS=(fork fork_exec vfork_exec clone_vfork posix_spawn forkserver)

# Every method prints one line "NAME  T us" in a fixed order (clone_vfork
# may be skipped with a note in a sanitizer build); the lab exits 0 only if
# every child exited with the expected code.
check_methods() {
    assert_line --index 0 --regexp "^parent touched $1 MiB; mean time per child over $2 runs:$"
    local i=1 m
    for m in "${METHODS[@]}"; do
        if [[ $m == clone_vfork && ${lines[i]} == *skipped:* ]]; then
            assert_line --index $i --regexp '^clone_vfork +skipped: AddressSanitizer'
        else
            assert_line --index $i --regexp "^$m +[0-9]+\.[0-9] us$"
        fi
        i=$((i + 1))
    done
    [ "${#lines[@]}" -eq 7 ]
}

@test "start_methods: every method starts a child and checks its exit code" {
    run_bounded 30 start_methods -n 5
    assert_success
    check_methods 0 5
}

@test "start_methods --parent-mib: the same six lines with a touched parent" {
    run_bounded 60 start_methods -n 2 --parent-mib 64
    assert_success
    check_methods 64 2
}

@test "start_methods: the hidden exec target exits with the code it is given" {
    run start_methods --child-exit 42
    assert_failure 42
    assert_output ""
}

@test "start_methods: SIGINT mid-run leaves no child or fork server behind" {
    # bash starts background jobs with SIGINT ignored: give it back its default.
    env --default-signal=INT start_methods -n 100000 3>&- >/dev/null &
    pid=$!
    sleep 0.5
    kill -INT "$pid"
    st=0
    wait "$pid" || st=$?
    assert_equal "$st" 130
    # The fork server sees EOF when the lab dies, and exits: the teardown
    # leak check fails the test if it (or any child) is still running.
}

@test "start_methods --help exits 0 and shows usage" {
    run start_methods --help
    assert_success
    assert_line --index 0 "Usage: start_methods [-n REPS] [--parent-mib N [--no-touch]]"
}

@test "start_methods: bad arguments exit 2 with a message" {
    run --separate-stderr start_methods -n 0
    assert_failure 2
    [[ $stderr == *"--reps: 0 is out of range [1, 100000]"* ]]
    run --separate-stderr start_methods --parent-mib lots
    assert_failure 2
    [[ $stderr == *"'lots' is not a whole number"* ]]
    run --separate-stderr start_methods --bogus
    assert_failure 2
    run --separate-stderr start_methods extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "start_methods --no-touch: the memory is allocated but not resident, and every method still works" {
    run_bounded 30 start_methods -n 2 --parent-mib 256 --no-touch
    assert_success
    assert_line --index 0 --regexp '^parent allocated 256 MiB without touching them \(resident: [0-9]+ MiB\); parent touched 0 MiB; mean time per child over 2 runs:$'
    resident=$(sed -n '1s/.*(resident: \([0-9]*\) MiB).*/\1/p' <<<"$output")
    [ "$resident" -lt 128 ]        # touched, it would be 256 or more
    assert_line --regexp '^fork +[0-9.]+ us$'
    assert_line --regexp '^forkserver +[0-9.]+ us$'
}

#!/usr/bin/env bats
# scripts/clean_ipc.sh: removes a dead process's proclab objects, keeps a live one's.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "clean_ipc.sh --help exits 0; an unknown argument exits 2" {
    run "$PROCLAB_ROOT/scripts/clean_ipc.sh" --help
    assert_success
    assert_output --partial "clean_ipc.sh: remove IPC objects"
    run --separate-stderr "$PROCLAB_ROOT/scripts/clean_ipc.sh" --bogus
    assert_failure 2
    [[ $stderr == *"unknown argument '--bogus'"* ]]
}

@test "clean_ipc.sh: -n lists a dead creator's object, then a real run removes only that one" {
    true &
    dead=$!
    wait "$dead"
    uid=$(id -u)
    stale=/dev/shm/proclab-$uid-$dead-test
    live=/dev/shm/proclab-$uid-$$-test
    touch "$stale" "$live"
    run "$PROCLAB_ROOT/scripts/clean_ipc.sh" -n
    assert_success
    assert_line "removing $stale"
    refute_line "removing $live"
    [ -e "$stale" ]
    run "$PROCLAB_ROOT/scripts/clean_ipc.sh"
    assert_success
    assert_line "removing $stale"
    [ ! -e "$stale" ] && [ -e "$live" ]
    rm -f "$live"
}

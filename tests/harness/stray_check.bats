#!/usr/bin/env bats
# The harness itself: the teardown's stray-process check must fail a test
# that leaves a lab running, however the lab was started (tests start them
# by bare name through PATH, or inside bash -c), and kill what it found.
# bats file_tags=harness

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "teardown fails a test that leaves a lab running, and kills it" {
    run_bounded 30 bats --tap "$BATS_TEST_DIRNAME/fixtures/leaves_a_lab.bats.txt"
    assert_failure
    assert_line --index 0 "1..2"
    assert_line "not ok 1 leaves labs running in the background, started by bare name"
    assert_line "ok 2 starts a lab and waits for it: nothing left"
    # parent and child of each of the two labs, each found and named
    [ "$(grep -cE '^# #   [0-9]+ pipe_basics --keep-write-end --timeout 20000$' <<<"$output")" -eq 2 ]
    [ "$(grep -cE '^# #   [0-9]+ pipe_basics --keep-write-end --timeout 19000$' <<<"$output")" -eq 2 ]
    assert_line "# the test left processes or IPC objects behind"
    # what it found was killed: nothing of the fixture is still running
    ! pgrep -s 0 -f '^pipe_basics --keep-write-end'
}

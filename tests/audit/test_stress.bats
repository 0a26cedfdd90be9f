#!/usr/bin/env bats
# scripts/test_stress.sh (make test-stress): rounds under load, the count of
# failures, and no stress-ng left behind.  Runs a one-test suite here, not
# the lab suite.
# bats file_tags=audit,scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

STRESS=$PROCLAB_ROOT/scripts/test_stress.sh

@test "test_stress.sh: --help exits 0; bad arguments exit 2" {
    run "$STRESS" --help
    assert_success
    assert_line --index 0 "scripts/test_stress.sh: the lab suite, over and over, on a busy machine."
    run --separate-stderr "$STRESS" --rounds 0
    assert_failure 2
    run --separate-stderr "$STRESS" --bogus
    assert_failure 2
    [[ $stderr == *"unknown argument '--bogus'"* ]]
}

@test "test_stress.sh: counts the failures of every round and stops its load" {
    command -v stress-ng >/dev/null || skip "stress-ng is missing (make deps)"
    dir=$BATS_TEST_TMPDIR/suite
    mkdir -p "$dir"
    printf '@test "passes" { true; }\n@test "fails" { false; }\n' >"$dir/one.bats"
    # a bound against a hang only: two tiny rounds take a second or two alone,
    # but the other half of make test may be busy beside two CPU hogs
    PROCLAB_STRESS_TESTS=$dir PROCLAB_STRESS_SWEEP=0 run_bounded 110 "$STRESS" --rounds 2
    assert_failure 1
    assert_line "round 1 of 2: 1 passed, 1 failed"
    assert_line "test-stress: 2 rounds under stress-ng --cpu 2: 2 failures (0 wanted)"
    sleep 0.2
    run pgrep -x stress-ng
    assert_failure 1
}

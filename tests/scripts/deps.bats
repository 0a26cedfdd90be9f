#!/usr/bin/env bats
# scripts/deps.sh: silent and successful when everything is installed.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "deps.sh prints nothing and exits 0 when every package is installed (twice)" {
    run "$PROCLAB_ROOT/scripts/deps.sh"
    assert_success
    assert_output ""
    run "$PROCLAB_ROOT/scripts/deps.sh"
    assert_success
    assert_output ""
}

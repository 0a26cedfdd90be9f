#!/usr/bin/env bats
# The mutant table of `make test-mutants` still applies to the tree: every
# row's code is found exactly once in its file and its tests exist (the
# mutation run itself is slow and not part of make test; docs/testing.md).
# bats file_tags=harness

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "tests/mutants: every mutant applies to the tree and names tests that exist" {
    run /usr/bin/python3 "$PROCLAB_ROOT/tests/mutants/run.py" --check
    assert_success
    assert_output --regexp '^[0-9]+ mutants in [0-9]+ files, 0 problems$'
    n=$(sed -n 's/^\([0-9]*\) mutants.*/\1/p' <<<"$output")
    [ "$n" -ge 30 ]
}

@test "tests/mutants: a row whose code is gone is reported, and --check fails" {
    mkdir -p "$BATS_TEST_TMPDIR/t/tests/mutants"
    cp "$PROCLAB_ROOT/tests/mutants/run.py" "$BATS_TEST_TMPDIR/t/tests/mutants/"
    mkdir -p "$BATS_TEST_TMPDIR/t/labs"
    printf 'int x = 1;\n' >"$BATS_TEST_TMPDIR/t/labs/a.c"
    printf 'gone\tlabs/a.c\tint y = 1;\tint y = 2;\tunit:test_none\t-\ta row gone stale\n' \
        >"$BATS_TEST_TMPDIR/t/tests/mutants/m.tsv"
    run /usr/bin/python3 "$BATS_TEST_TMPDIR/t/tests/mutants/run.py" --check
    assert_failure 1
    assert_line --partial "gone: the code to change occurs 0 times in labs/a.c (want once)"
    assert_line --partial "gone: no test unit:test_none"
}

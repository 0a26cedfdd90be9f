#!/usr/bin/env bats
# The pictures in docs/: present, referenced, and made by scripts/docs_pictures.sh.
# bats file_tags=docs

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "docs pictures: every image a lab page shows exists, and docs_pictures.sh makes each one" {
    local ref missing=()
    while read -r ref; do
        [[ -f $PROCLAB_ROOT/docs/img/$ref ]] || missing+=("$ref")
    done < <(grep -ho '](../img/[^)]*)' "$PROCLAB_ROOT"/docs/labs/*.md | sed 's|](../img/||; s|)$||' | sort -u)
    ((${#missing[@]} == 0)) || { echo "# missing: ${missing[*]}"; return 1; }
    run "$PROCLAB_ROOT/scripts/docs_pictures.sh" --list
    assert_success
    [ "${#lines[@]}" -ge 8 ]
    for name in "${lines[@]}"; do
        [[ -f $PROCLAB_ROOT/docs/img/$name.svg ]]
        grep -q "](../img/$name.svg)" "$PROCLAB_ROOT"/docs/labs/*.md
    done
}

@test "docs_pictures.sh: draws a timeline and an fd table from real runs; unknown names and options exit 2" {
    run "$PROCLAB_ROOT/scripts/docs_pictures.sh" --bin "$PROCLAB_BIN" --out "$BATS_TEST_TMPDIR" \
        fork_basics_timeline pipe_basics_fds
    assert_success
    for f in fork_basics_timeline pipe_basics_fds; do
        /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$BATS_TEST_TMPDIR/$f.svg"
    done
    grep -q 'child 3' "$BATS_TEST_TMPDIR/fork_basics_timeline.svg"
    grep -q 'after close(write end)' "$BATS_TEST_TMPDIR/pipe_basics_fds.svg"
    run "$PROCLAB_ROOT/scripts/docs_pictures.sh" --out "$BATS_TEST_TMPDIR" no_such_picture
    assert_failure 2
    run "$PROCLAB_ROOT/scripts/docs_pictures.sh" --bogus
    assert_failure 2
}

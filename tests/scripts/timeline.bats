#!/usr/bin/env bats
# scripts/timeline.sh: a lab's timeline CSV drawn as lanes (SVG or PNG).
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

tl() { "$PROCLAB_ROOT/scripts/timeline.sh" "$@"; }

small_csv() {
    cat >"$BATS_TEST_TMPDIR/t.csv" <<'CSV'
lane,start_s,end_s,label
parent,0.000000,0.000000,start
parent,0.000100,0.000100,fork child 1
child 1,0.000300,0.004000,holds lock A
child 2,0.004100,0.008000,holds lock A
child 1,0.004050,0.004050,exit 0
parent,0.008200,0.008200,wait child 2
CSV
}

@test "timeline.sh: a small CSV gives a valid SVG naming every lane and label, and a PNG" {
    small_csv
    run tl "$BATS_TEST_TMPDIR/t.csv" "$BATS_TEST_TMPDIR/t.svg" --title "two children"
    assert_success
    # Well-formed XML with an <svg> root; every lane name and label is drawn.
    run /usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag.endswith("svg"), root.tag
print("\n".join(t.strip() for t in root.itertext() if t.strip()))' "$BATS_TEST_TMPDIR/t.svg"
    assert_success
    for text in parent "child 1" "child 2" "holds lock A" "fork child 1" "exit 0" "wait child 2" "two children"; do
        assert_line "$text"
    done
    # One filled box per interval (two, same label, same colour) and one
    # marker per instant event (four).
    [ "$(grep -c "fill = 'rgb(158, 202, 225)'" "$BATS_TEST_TMPDIR/t.svg")" -eq 2 ]
    [ "$(grep -c "<use xlink:href='#gpPt[0-9]*' transform='translate" "$BATS_TEST_TMPDIR/t.svg")" -eq 4 ]
    run tl "$BATS_TEST_TMPDIR/t.csv" "$BATS_TEST_TMPDIR/t.png"
    assert_success
    run file -b "$BATS_TEST_TMPDIR/t.png"
    assert_output --partial "PNG image data"
}

@test "timeline.sh: bad arguments exit 2 with usage; a malformed CSV exits 1 naming the line" {
    small_csv
    run --separate-stderr tl
    assert_failure 2
    [[ $stderr == *"Usage: timeline.sh FILE.csv OUT.svg|OUT.png"* ]]
    run --separate-stderr tl "$BATS_TEST_TMPDIR/t.csv" "$BATS_TEST_TMPDIR/t.pdf"
    assert_failure 2
    [[ $stderr == *"must end in .svg or .png"* ]]
    run --separate-stderr tl "$BATS_TEST_TMPDIR/t.csv" "$BATS_TEST_TMPDIR/t.svg" --bogus
    assert_failure 2
    [[ $stderr == *"unknown option '--bogus'"* ]]
    run --separate-stderr tl "$BATS_TEST_TMPDIR/t.csv" "$BATS_TEST_TMPDIR/t.svg" --title
    assert_failure 2
    run tl --help
    assert_success
    assert_line --partial "Usage: timeline.sh FILE.csv OUT.svg|OUT.png [--title TEXT]"
    # Malformed content: wrong header, end before start, a missing column.
    printf 'lane,start,end,label\nparent,0,0,x\n' >"$BATS_TEST_TMPDIR/h.csv"
    run --separate-stderr tl "$BATS_TEST_TMPDIR/h.csv" "$BATS_TEST_TMPDIR/o.svg"
    assert_failure 1
    [[ $stderr == *"line 1: header"* ]]
    printf 'lane,start_s,end_s,label\nparent,0.2,0.1,x\n' >"$BATS_TEST_TMPDIR/b.csv"
    run --separate-stderr tl "$BATS_TEST_TMPDIR/b.csv" "$BATS_TEST_TMPDIR/o.svg"
    assert_failure 1
    [[ $stderr == *"line 2:"* ]]
    printf 'lane,start_s,end_s,label\nparent,0.1,0.2\n' >"$BATS_TEST_TMPDIR/c.csv"
    run --separate-stderr tl "$BATS_TEST_TMPDIR/c.csv" "$BATS_TEST_TMPDIR/o.svg"
    assert_failure 1
    [ ! -e "$BATS_TEST_TMPDIR/o.svg" ]
    run --separate-stderr tl "$BATS_TEST_TMPDIR/missing.csv" "$BATS_TEST_TMPDIR/o.svg"
    assert_failure 1
}

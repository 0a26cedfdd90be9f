#!/usr/bin/env bats
# scripts/fd_table.py: a lab's --fd-table CSV drawn as an SVG figure.
# bats file_tags=scripts

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

ft() { /usr/bin/python3 "$PROCLAB_ROOT/scripts/fd_table.py" "$@"; }

@test "fd_table.py: a small table gives a valid SVG, a column per snapshot, a colour per pipe" {
    cat >"$BATS_TEST_TMPDIR/t.csv" <<'CSV'
process,pid,step,fd,target,access
parent,10,after pipe,0,/dev/pts/0,rw
parent,10,after pipe,3,pipe:[100],r
parent,10,after pipe,4,pipe:[100],w
child,11,after close,0,/dev/pts/0,rw
child,11,after close,3,pipe:[100],r
CSV
    run ft "$BATS_TEST_TMPDIR/t.csv" "$BATS_TEST_TMPDIR/t.svg" --title "a pipe"
    assert_success
    run /usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", root.tag
texts = [" ".join(t.itertext()) for t in root.iter(ns + "text")]
print("\n".join(texts))
fills = [r.get("fill") for r in root.iter(ns + "rect")]
print("pipe cells:", sum(1 for t in texts if "pipe:[100]" in t))
print("dashed:", sum(1 for r in root.iter(ns + "rect") if r.get("stroke-dasharray")))
print("pipe colours:", len({r.get("fill") for r in root.iter(ns + "rect")} - {"white", "none", "#eeeeee"}))
' "$BATS_TEST_TMPDIR/t.svg"
    assert_success
    assert_line "a pipe"
    assert_line "parent (pid 10)"
    assert_line "child (pid 11)"
    assert_line "after close"
    assert_line --partial "pipe:[100] w"
    assert_line "pipe cells: 3"
    assert_line "dashed: 1"          # fd 4 is closed in the child
    assert_line "pipe colours: 1"
}

@test "fd_table.py: bad arguments exit 2; a malformed CSV exits 1" {
    printf 'process,pid,step,fd,target,access\np,1,s,0,x,r\n' >"$BATS_TEST_TMPDIR/ok.csv"
    run --separate-stderr ft
    assert_failure 2
    [[ $stderr == *"Usage: fd_table.py FILE.csv OUT.svg [--title TEXT]"* ]]
    run --separate-stderr ft "$BATS_TEST_TMPDIR/ok.csv" "$BATS_TEST_TMPDIR/o.png"
    assert_failure 2
    run --separate-stderr ft "$BATS_TEST_TMPDIR/ok.csv" "$BATS_TEST_TMPDIR/o.svg" --bogus
    assert_failure 2
    [[ $stderr == *"unknown option '--bogus'"* ]]
    run ft --help
    assert_success
    assert_line "Usage: fd_table.py FILE.csv OUT.svg [--title TEXT]"
    printf 'lane,start_s,end_s,label\n' >"$BATS_TEST_TMPDIR/bad.csv"
    run --separate-stderr ft "$BATS_TEST_TMPDIR/bad.csv" "$BATS_TEST_TMPDIR/o.svg"
    assert_failure 1
    [[ $stderr == *"line 1: header"* ]]
    printf 'process,pid,step,fd,target,access\np,1,s,x,y,r\n' >"$BATS_TEST_TMPDIR/bad.csv"
    run --separate-stderr ft "$BATS_TEST_TMPDIR/bad.csv" "$BATS_TEST_TMPDIR/o.svg"
    assert_failure 1
    [[ $stderr == *"line 2"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/o.svg" ]
    run --separate-stderr ft "$BATS_TEST_TMPDIR/none.csv" "$BATS_TEST_TMPDIR/o.svg"
    assert_failure 1
}

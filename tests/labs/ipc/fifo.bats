#!/usr/bin/env bats
# fifo: a named pipe between unrelated processes; open blocks until both sides open.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

wait_for_path() {  # path: wait up to 5 s for it to appear
    for _ in $(seq 50); do [[ -e $1 ]] && return 0; sleep 0.1; done
    return 1
}

@test "fifo serve/send: lines go through, the FIFO is removed at EOF" {
    f=$BATS_TEST_TMPDIR/f
    fifo serve "$f" -t 10000 >"$BATS_TEST_TMPDIR/out" 3>&- &
    server=$!
    wait_for_path "$f"
    [[ -p $f ]]
    [[ $(stat -c %a "$f") == 600 ]]
    run_bounded 10 fifo send "$f" hello "two words"
    assert_success
    assert_output "send: wrote 2 lines to $f"
    wait "$server"
    run cat "$BATS_TEST_TMPDIR/out"
    assert_output - <<OUT
serve: created FIFO $f (mode 0600), waiting up to 10.0 s for writers
serve: got 'hello'
serve: got 'two words'
serve: EOF after 2 lines: every writer has closed
serve: removed $f
OUT
    [[ ! -e $f ]]
}

@test "fifo serve: refuses a path that exists, and leaves it alone" {
    touch "$BATS_TEST_TMPDIR/taken"
    run_bounded_sep 10 fifo serve "$BATS_TEST_TMPDIR/taken"
    assert_failure 1
    [[ $stderr == *"$BATS_TEST_TMPDIR/taken exists"* ]]
    [[ -f $BATS_TEST_TMPDIR/taken ]]
}

@test "fifo serve: no writer within the timeout exits 3 and removes the FIFO" {
    run_bounded 10 fifo serve "$BATS_TEST_TMPDIR/f" -t 300
    assert_failure 3
    assert_line "serve: no EOF within 0.3 s, giving up"
    [[ ! -e $BATS_TEST_TMPDIR/f ]]
}

@test "fifo serve: SIGINT mid-run removes the FIFO" {
    f=$BATS_TEST_TMPDIR/f
    fifo serve "$f" -t 20000 >/dev/null 3>&- &
    server=$!
    wait_for_path "$f"
    kill -INT "$server"
    status=0
    wait "$server" || status=$?
    [ "$status" -eq 130 ]
    [[ ! -e $f ]]
}

@test "fifo send: no reader exits 3; a regular file is refused" {
    run_bounded 10 fifo send "$BATS_TEST_TMPDIR/none" hi -t 200
    assert_failure 3
    assert_output "send: no reader opened $BATS_TEST_TMPDIR/none within 0.2 s"
    echo data >"$BATS_TEST_TMPDIR/plain"
    run_bounded_sep 10 fifo send "$BATS_TEST_TMPDIR/plain" hi -t 200
    assert_failure 1
    [[ $stderr == *"is not a FIFO"* ]]
    [[ $(cat "$BATS_TEST_TMPDIR/plain") == data ]]
}

@test "fifo demo: the reader's open returns only when the writer opens" {
    run_bounded 10 fifo demo -d 500
    assert_success
    assert_line --index 1 --regexp '^reader: open\(O_RDONLY\) started at [0-9]+ ms$'
    assert_line --regexp '^writer: open\(O_WRONLY\) started at [0-9]+ ms$'
    returned=$(sed -n 's/^reader: open returned at \([0-9]*\) ms$/\1/p' <<<"$output")
    [ "$returned" -ge 500 ]
    assert_line --regexp "^reader: got 'hello from pid [0-9]+', then EOF$"
    assert_line "demo: reader ended with exit 0"
    assert_line "demo: writer ended with exit 0"
    dir=$(sed -n 's/^demo: removed the FIFO and //p' <<<"$output")
    [[ $dir == /tmp/proclab-$(id -u)-* ]]
    [[ ! -e $dir ]]
}

@test "fifo demo: a side nobody joins gives up (exit 3), nothing left behind" {
    run_bounded 10 fifo demo -d 600 -t 200
    assert_failure 3
    assert_line "reader: nobody opened the other end in time"
    assert_line "demo: reader ended with exit 3"
    dir=$(sed -n 's/^demo: removed the FIFO and //p' <<<"$output")
    [[ -n $dir && ! -e $dir ]]
}

@test "fifo demo: SIGINT mid-run kills both sides and removes FIFO and directory" {
    out=$BATS_TEST_TMPDIR/out
    fifo demo -d 20000 >"$out" 3>&- &
    pid=$!
    for _ in $(seq 50); do grep -q 'reader: open' "$out" && break; sleep 0.1; done
    dir=$(sed -n 's|^demo: FIFO \(.*\)/fifo;.*|\1|p' "$out")
    [[ -p $dir/fifo ]]
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 130 ]
    [[ ! -e $dir ]]
}

@test "fifo --help exits 0 and shows usage" {
    run fifo --help
    assert_success
    assert_line --index 0 "Usage: fifo [-t MS] [-d MS] serve PATH | send PATH MSG... | demo"
}

@test "fifo: bad arguments exit 2 with a message" {
    run --separate-stderr fifo
    assert_failure 2
    [[ $stderr == *"a command is required"* ]]
    run --separate-stderr fifo serve
    assert_failure 2
    run --separate-stderr fifo send "$BATS_TEST_TMPDIR/f"
    assert_failure 2
    run --separate-stderr fifo demo extra
    assert_failure 2
    run --separate-stderr fifo listen x
    assert_failure 2
    run --separate-stderr fifo -t 0 demo
    assert_failure 2
    [[ $stderr == *"--timeout: 0 is out of range [1, 600000]"* ]]
    run --separate-stderr fifo --bogus demo
    assert_failure 2
}

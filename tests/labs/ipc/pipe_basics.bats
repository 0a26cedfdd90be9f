#!/usr/bin/env bats
# pipe_basics: EOF only when every write end is closed; SIGPIPE/EPIPE; PIPE_BUF.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "pipe_basics: the child reads every line, then EOF" {
    run_bounded 10 pipe_basics -n 5
    assert_success
    assert_line "PIPE_BUF = 4096 bytes (writes up to this size are atomic)"
    assert_line --regexp '^pipe capacity \(F_GETPIPE_SZ\) = [0-9]+ bytes'
    assert_line "parent: wrote 5 lines (35 bytes) and closed its write end"
    assert_line "child: read 35 bytes (5 lines), then EOF: every write end is closed"
    assert_line "parent: child ended with exit 0"
}

@test "pipe_basics: more than a pipe's capacity still arrives whole" {
    run_bounded 20 bash -c 'pipe_basics -n 100000 | cat'
    assert_success
    assert_line "child: read 1088895 bytes (100000 lines), then EOF: every write end is closed"
}

@test "pipe_basics --keep-write-end: no EOF, the child gives up and exits 3" {
    run_bounded 10 pipe_basics --keep-write-end
    assert_failure 3
    assert_line "child: read 21 bytes (3 lines), then no EOF after 2.0 s: a write end is still open"
    assert_line "parent: child ended with exit 3"
}

@test "pipe_basics --keep-write-end --timeout sets the wait" {
    run_bounded 10 pipe_basics --keep-write-end -t 300
    assert_failure 3
    assert_line --partial "no EOF after 0.3 s: a write end is still open"
}

@test "pipe_basics --reader-gone: SIGPIPE kills the writer, ignored it gets EPIPE" {
    run_bounded 10 pipe_basics --reader-gone
    assert_success
    assert_line --index 0 "SIGPIPE default: the writer ended with signal:SIGPIPE"
    assert_line --index 1 "writer: write() failed: EPIPE (Broken pipe)"
    assert_line --index 2 "SIGPIPE ignored: the writer ended with exit 0"
}

@test "pipe_basics --atomic: records of PIPE_BUF bytes never interleave" {
    run_bounded 20 pipe_basics --atomic -w 4 -s 4096
    assert_success
    assert_line "4 writers x 200 records of 4096 bytes: 800 records read, 0 torn"
    assert_line "writes of at most PIPE_BUF (4096) bytes are atomic"
    run_bounded 20 pipe_basics --atomic -w 3 -s 100
    assert_success
    assert_line "3 writers x 200 records of 100 bytes: 600 records read, 0 torn"
}

@test "pipe_basics --help exits 0 and shows usage" {
    run pipe_basics --help
    assert_success
    assert_line --index 0 "Usage: pipe_basics [-n LINES] [--keep-write-end] [-t MS] [--fd-table FILE] [--reader-gone] [--atomic [-w WRITERS] [-s SIZE]]"
}

@test "pipe_basics: bad arguments exit 2 with a message" {
    run --separate-stderr pipe_basics -n 0
    assert_failure 2
    [[ $stderr == *"--lines: 0 is out of range [1, 100000]"* ]]
    run --separate-stderr pipe_basics -t 2s
    assert_failure 2
    [[ $stderr == *"--timeout: '2s' is not a whole number"* ]]
    run --separate-stderr pipe_basics --atomic -s 2M
    assert_failure 2
    run --separate-stderr pipe_basics --atomic --reader-gone
    assert_failure 2
    [[ $stderr == *"separate demos"* ]]
    run --separate-stderr pipe_basics --bogus
    assert_failure 2
    run --separate-stderr pipe_basics extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "pipe_basics --fd-table: after fork both hold both ends; then the child keeps only the read end, the parent only the write end" {
    load '../../helpers/pictures'
    t=$BATS_TEST_TMPDIR/fds.csv
    run_bounded 10 pipe_basics --fd-table "$t"
    assert_success
    # The lab's pipe: the one the parent holds both ends of after pipe().
    ends() {
        local pipe
        pipe=$(fd_targets "$t" parent "1 after pipe" |
               awk '$2 ~ /^pipe:/ { e[$2] = e[$2] $3 } END { for (p in e) if (e[p] ~ /r/ && e[p] ~ /w/) print p }')
        [[ $pipe == pipe:* ]] || return 1
        fd_targets "$t" "$1" "$2" | awk -v p="$pipe" '$2 == p { print $3 }' | sort | tr '\n' ' '
    }
    [ "$(ends parent "1 after pipe")" = "r w " ]
    [ "$(ends child "2 after fork")" = "r w " ]          # fork copied both
    [ "$(ends child "3 after close(write end)")" = "r " ]  # the unused end is closed
    [ "$(ends parent "3 after close(read end)")" = "w " ]
    # The same descriptor numbers in the child as in the parent: fork copies the table.
    [ "$(fd_targets "$t" parent "1 after pipe" | awk '{ print $1, $2 }')" = \
      "$(fd_targets "$t" child "2 after fork" | awk '{ print $1, $2 }')" ]
    # The pitfall: the child still holds a write end.
    run_bounded 10 pipe_basics --keep-write-end -t 100 --fd-table "$t"
    assert_failure 3
    [ "$(ends child "3 write end kept open")" = "r w " ]
}

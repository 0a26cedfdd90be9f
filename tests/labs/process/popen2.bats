#!/usr/bin/env bats
# popen2: Popen(PIPE) + communicate() in C; the naive order deadlocks.
# bats file_tags=lab,process

load '../../helpers/common'
setup() { _common_setup; cd "$BATS_TEST_TMPDIR"; }
teardown() { _common_teardown; }

@test "popen2: 64 MiB through cat, written and read at once, all comes back" {
    run_bounded 30 popen2 --bytes 67108864 -- cat
    assert_success
    assert_output "sent=67108864 received=67108864 stderr=0 status=0"
}

@test "popen2 --naive: 64 MiB through cat deadlocks; the watchdog kills it (exit 3)" {
    start=$SECONDS
    run_bounded_sep 10 popen2 --naive --timeout 2 --bytes 67108864 -- cat
    assert_failure 3
    (( SECONDS - start < 10 ))
    [[ $stderr == *"deadlock: nothing moved for 2 s"* ]]
    assert_output ""
}

@test "popen2 --naive: a small input fits in the pipes and works" {
    run_bounded 10 popen2 --naive --bytes 1000 -- cat
    assert_success
    assert_output "sent=1000 received=1000 stderr=0 status=0"
}

@test "popen2: stderr is counted apart and the exit code is reported (exit 1)" {
    run_bounded 10 popen2 --bytes 100 -- sh -c 'cat; echo oops >&2; exit 4'
    assert_failure 1
    assert_output "sent=100 received=100 stderr=5 status=4"
}

@test "popen2: a child killed by a signal is reported as signal:NAME" {
    run_bounded 10 popen2 --bytes 0 -- sh -c 'kill -TERM $$'
    assert_failure 1
    assert_output "sent=0 received=0 stderr=0 status=signal:SIGTERM"
}

@test "popen2: a child that stops reading gives EPIPE, not a crash" {
    run_bounded 10 popen2 --bytes 10M -- head -c 100
    assert_success
    assert_output --regexp '^sent=[0-9]+ received=100 stderr=0 status=0$'
    sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' <<<"$output")
    (( sent < 10485760 ))
}

@test "popen2 --timeout: sleep 30 is killed and reaped after 1 s" {
    run_bounded_sep 10 popen2 --timeout 1 --bytes 0 -- sleep 30
    assert_failure 1
    assert_output "sent=0 received=0 stderr=0 status=signal:SIGKILL"
    [[ $stderr == *"timeout after 1 s: killing the child"* ]]
    ! pgrep -s 0 -f '^sleep 30$'
}

@test "popen2: a command that does not exist is status 127, like a shell" {
    run_bounded_sep 10 popen2 -- proclab-no-such-command
    assert_failure 1
    assert_output "sent=0 received=0 stderr=0 status=127"
    [[ $stderr == *"proclab-no-such-command: command not found"* ]]
}

@test "popen2: SIGINT kills and reaps the child before the lab dies" {
    popen2 --timeout 30 -- sleep 30 3>&- &
    pid=$!
    for _ in $(seq 50); do child=$(pgrep -P "$pid") && break; sleep 0.1; done
    [[ -n $child ]]
    kill -INT "$pid"
    st=0
    wait "$pid" || st=$?
    assert_equal "$st" 130
    ! kill -0 "$child" 2>/dev/null
}

@test "popen2 --help exits 0 and shows usage" {
    run popen2 --help
    assert_success
    assert_line --index 0 "Usage: popen2 [--naive] [--timeout SEC] [--bytes N] [--fd-table FILE] -- CMD [ARG...]"
}

@test "popen2: bad arguments exit 2 with a message" {
    run --separate-stderr popen2
    assert_failure 2
    [[ $stderr == *"a command is required"* ]]
    run --separate-stderr popen2 --bytes 5x -- cat
    assert_failure 2
    [[ $stderr == *"'5x' is not a size"* ]]
    run --separate-stderr popen2 --timeout 0 -- cat
    assert_failure 2
    [[ $stderr == *"--timeout: 0 is out of range"* ]]
    run --separate-stderr popen2 --bogus -- cat
    assert_failure 2
}

@test "popen2 --fd-table: the child's 0, 1, 2 are the pipes' far ends; the parent keeps exactly the other ends" {
    load '../../helpers/pictures'
    t=$BATS_TEST_TMPDIR/fds.csv
    run_bounded 10 popen2 --fd-table "$t" --bytes 10 -- cat
    assert_success
    assert_output "sent=10 received=10 stderr=0 status=0"
    after_pipe=$(fd_targets "$t" parent "1 after pipe x3")
    child=$(fd_targets "$t" child "2 after spawn")
    parent=$(fd_targets "$t" parent "3 after closing the child's ends")
    # The three pipes: six new ends in the parent after pipe().
    [ "$(grep -c ' pipe:\[' <<<"$after_pipe")" -ge 6 ]
    in_pipe=$(awk '$1 == 0 { print $2 }' <<<"$child")
    out_pipe=$(awk '$1 == 1 { print $2 }' <<<"$child")
    err_pipe=$(awk '$1 == 2 { print $2 }' <<<"$child")
    [[ $in_pipe == pipe:* && $out_pipe == pipe:* && $err_pipe == pipe:* ]]
    grep -qxF "0 $in_pipe r" <<<"$child"
    grep -qxF "1 $out_pipe w" <<<"$child"
    grep -qxF "2 $err_pipe w" <<<"$child"
    # The file actions closed the originals: the child holds each pipe once.
    for p in "$in_pipe" "$out_pipe" "$err_pipe"; do
        [ "$(grep -cF " $p " <<<"$child")" -eq 1 ]
        [ "$(grep -cF " $p " <<<"$parent")" -eq 1 ]
    done
    # The parent keeps the write end of stdin, the read ends of stdout/stderr.
    holds() { awk -v t="$1" -v a="$2" '$2 == t && $3 == a { n++ } END { exit n != 1 }' <<<"$parent"; }
    holds "$in_pipe" w
    holds "$out_pipe" r
    holds "$err_pipe" r
}

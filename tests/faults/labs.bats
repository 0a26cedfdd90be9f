#!/usr/bin/env bats
# Faults injected on purpose, where the lesson is detection: a lab must
# notice the damage and say so with its exit status.  Each test here fails
# if the detection code it drives is broken (tests/mutants/ plants such
# bugs and checks that these tests catch them).
# bats file_tags=faults

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "producer_consumer --corrupt: every transport's consumers report the damaged records, exit 1" {
    for via in pipe fifo socketpair mq sysv shm; do
        run_bounded 20 producer_consumer --via $via -n 3000 --corrupt 7
        assert_failure 1
        assert_line --regexp "^delivered: 2993 of 3000 exactly once \(7 missing, 0 duplicated, 7 corrupt\), checksum [0-9a-f]{16} \(expected [0-9a-f]{16}\)$"
    done
    run_bounded 20 producer_consumer --via pipe -n 3000 --corrupt 0
    assert_success
    assert_line --partial "delivered: 3000 of 3000 exactly once (0 missing, 0 duplicated, 0 corrupt)"
}

@test "framing --corrupt K: the receiver stops at the damaged frame with K intact, exit 1" {
    run_bounded 20 framing --corrupt 5
    assert_failure 1
    assert_line "frame 5: torn, out of order or corrupt"
    assert_line "frames: 1000 sent, 5 received intact"
    run_bounded 20 framing --chaos --via socketpair -n 300 --corrupt 299
    assert_failure 1
    assert_line "frame 299: torn, out of order or corrupt"
    assert_line "frames: 300 sent, 299 received intact"
    run --separate-stderr framing --no-framing --corrupt 3
    assert_failure 2
    [[ $stderr == *"--corrupt damages a frame: it needs framing"* ]]
}

@test "popen2: a child writing into a closed pipe dies of SIGPIPE quietly (SIGPIPE back to default)" {
    # popen2 ignores SIGPIPE itself; were that inherited, yes would get
    # EPIPE and complain on stderr instead of dying silently.
    run_bounded 10 popen2 --bytes 0 -- sh -c 'yes | head -1'
    assert_success
    assert_output "sent=0 received=2 stderr=0 status=0"
}

@test "pipe_basics --atomic: writers hold only their write end; killing the reader ends them" {
    pipe_basics --atomic -w 4 -s 1M >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null 3>&- &
    pid=$!
    kids=
    for _ in $(seq 2000); do     # catch it early: the whole run takes ~0.3 s
        read -r kids <"/proc/$pid/task/$pid/children" 2>/dev/null || true
        [[ -n $kids ]] && break
    done
    kill -STOP "$pid"            # the reader pauses: the pipe fills, writers block
    [[ -n $kids ]]
    read -r kids <"/proc/$pid/task/$pid/children" || true    # no newline at its end
    checked=0
    for w in $kids; do           # wait until each writer sleeps in write()
        for _ in $(seq 100); do
            [[ $(awk '{ print $3 }' "/proc/$w/stat") == S ]] && break
            sleep 0.01
        done
        # every pipe this writer holds is open for writing only (O_WRONLY)
        for fd in /proc/$w/fd/*; do
            [[ $(readlink "$fd") == pipe:* ]] || continue
            flags=$(awk '/^flags:/ { print $2 }' "/proc/$w/fdinfo/${fd##*/}")
            echo "writer $w fd ${fd##*/} flags $flags"
            (( (8#$flags & 3) == 1 ))
            checked=$((checked + 1))
        done
    done
    [ "$checked" -ge 1 ]         # caught in the act: some writer held the pipe
    kill -KILL "$pid"
    wait "$pid" || true
    for w in $kids; do           # no writer outlives the reader for long
        # gone, or dead and waiting for init to reap it (state Z)
        run_bounded 5 bash -c "while [[ \$(awk '{ print \$3 }' /proc/$w/stat 2>/dev/null) == [RSD] ]]; do sleep 0.02; done"
        assert_success
    done
}

@test "queue_shm: a normal run with 20 s wait slices still ends at once (no lost wake-up)" {
    # Every put signals not_empty, every get not_full, the last task_done
    # all_done: nobody needs a timed wait to expire.  A missing signal
    # shows as a hang here, where 50 ms slices would hide it.
    for slots in 4 1; do
        run_bounded 5 queue_shm -c 3 -n 300 -w 0 -s $slots --slice-ms 20000
        assert_success
        assert_line "items: 300 put, 300 done exactly once (0 re-queued), 0 lost, 0 done twice"
    done
}

@test "logging: a short write (file size limit, SIGXFSZ ignored) is an error, not a line" {
    # 1 KiB limit: ten 100-byte lines fit, the eleventh is cut at 24 bytes.
    run_bounded 10 bash -c 'trap "" XFSZ; ulimit -f 1; exec logging --mode append -p 1 -l 20 2>&1'
    assert_failure 1
    assert_line "logging: ERROR short write: 24 of 100 bytes"
    assert_line "logging: process 1 ended with exit 1"
    refute_line --partial "lines:"
    log=$(sed -n 's/^.* -> \(\/tmp\/proclab-[^ ]*\) (removed at exit)$/\1/p' <<<"$output")
    [[ -n $log && ! -e $log ]]
}

@test "wait_status: where this machine dumps core, the abort's core flag is 1 and the core is there" {
    cd "$BATS_TEST_TMPDIR"
    pattern=$(cat /proc/sys/kernel/core_pattern)
    [[ $(ulimit -H -c) != 0 && $pattern != '|'* && $pattern != */* ]] ||
        skip "this machine writes no core into the working directory ($pattern, hard limit $(ulimit -H -c))"
    ldd "$(command -v wait_status)" | grep -q libasan && skip "sanitizer build"
    # Soft limit 0 (a common default): the lab must raise it to dump core.
    run_bounded 20 bash -c 'ulimit -S -c 0; exec wait_status'
    assert_success
    assert_line --index 5 "  WIFSIGNALED=1 WTERMSIG=6 (SIGABRT) WCOREDUMP=1"
    assert_line --regexp '^  core file .*: [0-9]+ bytes'
}

@test "labs reap every child: nothing is left for a subreaper to collect" {
    # Run as a child subreaper: any child a lab did not wait for (a zombie
    # or one still running) is re-parented to the helper, which counts it.
    for cmd in "fork_basics -n 5" "fork_basics --no-flush -n 3" "pipe_basics -n 3" \
               "pipe_basics --atomic -w 3 -s 100" "pipe_basics --reader-gone" \
               "framing -n 50" "producer_consumer -n 600 -p 2 -c 2" \
               "popen2 --bytes 10 -- cat"; do
        run_bounded_sep 20 "$PROCLAB_ROOT/tests/helpers/subreaper.py" $cmd
        assert_success
        [[ $stderr == "orphans: 0" ]] || { echo "$cmd: $stderr"; false; }
    done
}

#!/usr/bin/env bats
# logging: many processes, one log; which writes keep lines whole.
# bats file_tags=lab,sync

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The temp log named on the first line must be gone after the run.
tmp_log_removed() {
    local log
    log=$(sed -n '1s/^.* -> \(\/tmp\/proclab-[0-9]*-[0-9]*-log-[A-Za-z0-9]*\) (removed at exit)$/\1/p' <<<"$output")
    [[ -n $log ]]
    [[ ! -e $log ]]
}

@test "logging --mode append: 100,000 lines from 4 processes, none torn" {
    run_bounded 60 logging --mode append --procs 4 --lines 25000
    assert_success
    assert_line --index 0 --regexp '^logging --mode append: 4 processes x 25000 lines of 100 bytes -> /tmp/proclab-.*\(removed at exit\)$'
    assert_line --index 1 'lines: 100000 intact, 0 torn, 0 missing'
    tmp_log_removed
}

@test "logging --mode logger: 100,000 lines through one pipe, none torn" {
    run_bounded 60 logging --mode logger --procs 4 --lines 25000
    assert_success
    assert_line --index 1 'lines: 100000 intact, 0 torn, 0 missing'
    tmp_log_removed
}

@test "logging --mode stdio: 6000-byte lines through 4096-byte buffers tear (exit 1)" {
    run_bounded 60 logging --mode stdio --procs 4 --lines 500 --line-bytes 6000 --buffer 4096
    assert_failure 1
    torn=$(sed -n 's/^lines: [0-9]* intact, \([0-9]*\) torn, [0-9]* missing$/\1/p' <<<"$output")
    [ "$torn" -gt 0 ]
    tmp_log_removed
}

@test "logging --mode stdio: one writer alone never tears (the split needs a neighbour)" {
    run_bounded 60 logging --mode stdio --procs 1 --lines 500 --line-bytes 6000
    assert_success
    assert_line --index 1 'lines: 500 intact, 0 torn, 0 missing'
}

@test "logging --out: the log is kept, one whole line per record" {
    log=$BATS_TEST_TMPDIR/log.txt
    echo stale >"$log"
    run_bounded 60 logging --mode append -p 3 -l 200 -B 64 --out "$log" --overwrite
    assert_success
    assert_output - <<OUT
logging --mode append: 3 processes x 200 lines of 64 bytes -> $log
lines: 600 intact, 0 torn, 0 missing
OUT
    [ "$(wc -l <"$log")" -eq 600 ]
    [ "$(awk 'length($0) != 63' "$log" | wc -l)" -eq 0 ]
    [ "$(grep -c '^w=02 s=000199 n=00064 c=[0-9a-f]\{8\} ' "$log")" -eq 1 ]
}

@test "logging: SIGINT mid-run removes the temp log and leaves no process" {
    out=$BATS_TEST_TMPDIR/out
    # Background jobs of a script start with SIGINT ignored: restore it.
    env --default-signal=INT logging --mode logger -p 16 -l 100000 -B 40 >"$out" 3>&- &
    pid=$!
    for _ in $(seq 50); do [[ -s $out ]] && break; sleep 0.05; done
    sleep 0.3
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 130 ]
    output=$(cat "$out")
    tmp_log_removed
}

@test "logging --help exits 0 and shows usage" {
    run logging --help
    assert_success
    assert_line --index 0 "Usage: logging [--mode stdio|append|logger] [-p PROCS] [-l LINES] [-B LINE_BYTES] [--buffer BYTES] [-o PATH [--overwrite]]"
}

@test "logging: bad arguments exit 2 with a message" {
    run --separate-stderr logging --mode syslog
    assert_failure 2
    [[ $stderr == *"--mode: 'syslog' is not stdio, append or logger"* ]]
    run --separate-stderr logging -B 39
    assert_failure 2
    [[ $stderr == *"--line-bytes: 39 is out of range [40, 65536]"* ]]
    run --separate-stderr logging --buffer 4X
    assert_failure 2
    [[ $stderr == *"--buffer: '4X' is not a size"* ]]
    run --separate-stderr logging -p 16 -l 100000 -B 1000
    assert_failure 2
    [[ $stderr == *"over 1 GiB"* ]]
    run --separate-stderr logging --bogus
    assert_failure 2
    run --separate-stderr logging extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

#!/usr/bin/env bats
# event: set/clear/wait across processes via cond, eventfd and futex.
# bats file_tags=lab,sync

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# Every waiter wakes with True before its timeout; the probes show that wait
# on an unset event is False, the flag stays set, and clear lowers it.
check_event_via() {
    run_bounded 20 event --via "$1" -n 3 -d 100 -t 5000
    assert_success
    assert_line --index 0 "event via $1: 3 waiters, set after 100 ms, wait timeout 5000 ms"
    assert_line --index 1 --regexp '^unset:   wait\(timeout=50 ms\) -> False after [0-9]+ ms$'
    assert_line --index 2 'parent:  set() after 100 ms'
    for i in 1 2 3; do
        assert_line --index $((2 + i)) --regexp "^waiter $i: wait\(timeout=5000 ms\) -> True after [0-9]+ ms$"
    done
    assert_line --index 6 --regexp '^set:     wait\(timeout=50 ms\) -> True after [0-9]+ ms$'
    assert_line --index 7 --regexp '^cleared: wait\(timeout=50 ms\) -> False after [0-9]+ ms$'
    [ "${#lines[@]}" -eq 8 ]
    refute_output --partial 'timed out'
}

@test "event --via cond: all waiters wake when the parent sets the event" {
    check_event_via cond
}

@test "event --via eventfd: poll for readability wakes every waiter" {
    check_event_via eventfd
}

@test "event --via futex: FUTEX_WAKE on the shared word wakes every waiter" {
    check_event_via futex
}

@test "event: waiters wait at least until the set, not less" {
    run_bounded 20 event --via futex -n 2 -d 300 -t 5000
    assert_success
    for i in 1 2; do
        ms=$(sed -n "s/^waiter $i: .* after \([0-9]*\) ms$/\1/p" <<<"$output")
        [ "$ms" -ge 250 ]
    done
}

@test "event --private-futex: the parent's wake never reaches the children (exit 1)" {
    run_bounded 20 event --via futex --private-futex -n 3 -d 100 -t 400
    assert_failure 1
    assert_line --regexp '^waiter [1-3]: wait\(timeout=400 ms\) -> True after [0-9]+ ms \(timed out: no wake-up reached it\)$'
    assert_line --regexp '^[1-3] of 3 waiters timed out$'
}

@test "event: wait(timeout) on an event set too late returns False (exit 1)" {
    run_bounded 20 event --via cond -n 2 -d 250 -t 100
    assert_failure 1
    assert_line --regexp '^waiter 1: wait\(timeout=100 ms\) -> False after [0-9]+ ms \(timed out before set\(\) was called\)$'
    assert_line --regexp '^waiter 2: wait\(timeout=100 ms\) -> False after [0-9]+ ms \(timed out before set\(\) was called\)$'
    assert_line '2 of 2 waiters timed out (2 before set() was called: -t is shorter than -d)'
}

@test "event: SIGINT mid-run leaves no waiter behind" {
    # Background jobs of a script start with SIGINT ignored: restore it.
    env --default-signal=INT event --via eventfd -n 4 -d 5000 -t 10000 >/dev/null 3>&- &
    pid=$!
    sleep 0.5
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 130 ]           # 128 + SIGINT: it died of the signal
}

@test "event --help exits 0 and shows usage" {
    run event --help
    assert_success
    assert_line --index 0 "Usage: event [--via cond|eventfd|futex] [--private-futex | --eventfd-read] [-n WAITERS] [-d DELAY_MS] [-t TIMEOUT_MS]"
}

@test "event: bad arguments exit 2 with a message" {
    run --separate-stderr event --via pipe
    assert_failure 2
    [[ $stderr == *"--via: 'pipe' is not cond, eventfd or futex"* ]]
    run --separate-stderr event -n 0
    assert_failure 2
    [[ $stderr == *"--waiters: 0 is out of range [1, 32]"* ]]
    run --separate-stderr event -t 2s
    assert_failure 2
    [[ $stderr == *"'2s' is not a whole number"* ]]
    run --separate-stderr event --via cond --private-futex
    assert_failure 2
    [[ $stderr == *"--private-futex needs --via futex"* ]]
    run --separate-stderr event --bogus
    assert_failure 2
    run --separate-stderr event extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "event --via eventfd --eventfd-read: read() takes the counter: one waiter gets True, the others time out, set: is False" {
    run_bounded 10 event --via eventfd --eventfd-read -n 3 -d 20 -t 200
    assert_failure 1
    assert_line --index 0 "event via eventfd (read): 3 waiters, set after 20 ms, wait timeout 200 ms"
    [ "$(grep -c "^waiter [0-9]: wait(timeout=200 ms) -> True" <<<"$output")" -eq 1 ]
    [ "$(grep -c "^waiter [0-9]: wait(timeout=200 ms) -> False .*timed out" <<<"$output")" -eq 2 ]
    assert_line --regexp '^set: +wait\(timeout=[0-9]+ ms\) -> False after [0-9]+ ms$'
    run --separate-stderr event --via futex --eventfd-read
    assert_failure 2
    [[ $stderr == *"--eventfd-read needs --via eventfd"* ]]
}

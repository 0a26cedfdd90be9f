#!/usr/bin/env bats
# duplex: a two-way channel is a socketpair or two pipes; EOF when the peer closes.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "duplex: ping-pong over a socketpair, then EOF" {
    run_bounded 10 duplex
    assert_success
    assert_line --index 0 --regexp '^via socketpair: parent reads and writes fd [0-9]+, child fd [0-9]+$'
    for i in 1 2 3 4 5; do
        assert_line "round $i: parent sent 'ping $i', got 'pong $i'"
    done
    assert_line --regexp '^parent: 5 round trips, every reply matched \([0-9.]+ us per round trip\)$'
    assert_line "child: answered 5 pings, now closes its end and exits"
    assert_line "parent: read() returned 0"
    assert_line "EOF: peer closed (Python raises EOFError here)"
    assert_line "parent: child ended with exit 0"
}

@test "duplex --via pipes: two pipes, four fds, the same conversation" {
    run_bounded 10 duplex --via pipes -n 3
    assert_success
    assert_line --index 0 --regexp '^via pipes: parent writes fd [0-9]+, reads fd [0-9]+; child reads fd [0-9]+, writes fd [0-9]+$'
    assert_line "round 3: parent sent 'ping 3', got 'pong 3'"
    refute_line --partial "round 4"
    assert_line "EOF: peer closed (Python raises EOFError here)"
}

@test "duplex: many round trips both ways, EOF comes after the last reply" {
    for via in socketpair pipes; do
        run_bounded 30 duplex --via $via -n 20000
        assert_success
        assert_line --regexp '^parent: 20000 round trips, every reply matched'
        assert_line "child: answered 20000 pings, now closes its end and exits"
        assert_line --index 8 "parent: read() returned 0"
        assert_line --index 9 "EOF: peer closed (Python raises EOFError here)"
    done
}

@test "duplex --help exits 0 and shows usage" {
    run duplex --help
    assert_success
    assert_line --index 0 "Usage: duplex [--via socketpair|pipes] [-n MESSAGES]"
}

@test "duplex: bad arguments exit 2 with a message" {
    run --separate-stderr duplex --via fifo
    assert_failure 2
    [[ $stderr == *"--via: 'fifo' is not socketpair or pipes"* ]]
    run --separate-stderr duplex -n 0
    assert_failure 2
    [[ $stderr == *"--messages: 0 is out of range [1, 1000000]"* ]]
    run --separate-stderr duplex --bogus
    assert_failure 2
    run --separate-stderr duplex extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

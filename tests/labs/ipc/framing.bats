#!/usr/bin/env bats
# framing: a byte stream merges and splits messages; length-prefixed frames survive.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "framing --chaos -n 10000: every frame arrives intact, whatever the cuts" {
    run_bounded 60 framing --chaos -n 10000
    assert_success
    assert_line --regexp '^sender: 10000 frames in [0-9]+ write\(\) calls$'
    writes=$(sed -n 's/^sender: 10000 frames in \([0-9]*\) write.*/\1/p' <<<"$output")
    [ "$writes" -gt 20000 ]         # the frames really were cut up
    assert_line "frames: 10000 sent, 10000 received intact"
}

@test "framing --chaos over a socketpair, another seed: intact too" {
    run_bounded 60 framing --chaos --via socketpair --seed 7 -n 3000
    assert_success
    assert_line "frames: 3000 sent, 3000 received intact"
}

@test "framing: plain frames, one write each, intact" {
    run_bounded 30 framing
    assert_success
    assert_output - <<'OUT'
sender: 1000 frames in 1000 write() calls
frames: 1000 sent, 1000 received intact
OUT
}

@test "framing --no-framing: reads merge and split messages, exit 1" {
    for via in pipe socketpair; do
        run_bounded 30 framing --no-framing --via $via
        assert_failure 1
        assert_line --regexp '^sent 1000 messages \(1279944 bytes\), receiver saw [0-9]+ reads of up to 4096 bytes: [1-9][0-9]* merged, [1-9][0-9]* split$'
        assert_line "message boundaries lost: a byte stream keeps bytes, not messages"
    done
}

@test "framing --no-framing: three small messages written first come in one read" {
    run_bounded 10 framing --no-framing -n 3 --seed 3
    assert_failure 1
    assert_line "sent 3 messages (884 bytes), receiver saw 1 reads of up to 4096 bytes: 1 merged, 0 split"
}

@test "framing --no-framing: one message bigger than the buffer takes several reads" {
    run_bounded 10 framing --no-framing -n 1 --seed 2
    assert_failure 1
    assert_line "sent 1 messages (13692 bytes), receiver saw 4 reads of up to 4096 bytes: 0 merged, 1 split"
}

@test "framing --help exits 0 and shows usage" {
    run framing --help
    assert_success
    assert_line --index 0 "Usage: framing [-n MESSAGES] [--seed N] [--via pipe|socketpair] [--no-framing] [--chaos]"
}

@test "framing: bad arguments exit 2 with a message" {
    run --separate-stderr framing --no-framing --chaos
    assert_failure 2
    [[ $stderr == *"--chaos cuts frames: it needs framing"* ]]
    run --separate-stderr framing --via fifo
    assert_failure 2
    [[ $stderr == *"--via: 'fifo' is not pipe or socketpair"* ]]
    run --separate-stderr framing -n 0
    assert_failure 2
    run --separate-stderr framing --seed -1
    assert_failure 2
    [[ $stderr == *"--seed: -1 is out of range"* ]]
    run --separate-stderr framing extra
    assert_failure 2
}

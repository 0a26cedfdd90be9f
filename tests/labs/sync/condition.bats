#!/usr/bin/env bats
# condition: producer/consumer on a process-shared condition variable.
# bats file_tags=lab,sync

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "condition: with while, every item is consumed exactly once" {
    run_bounded 30 condition
    assert_success
    assert_output - <<'OUT'
condition (while): 1 producer(s), 3 consumers, 100 items, buffer of 4
items: 100 consumed once, 0 more than once, 0 never
takes from an empty buffer: 0
OUT
}

@test "condition: several producers and consumers, while: never an empty take" {
    # Repeat: the while version must never show the bug, not just once.
    for round in 1 2 3; do
        run_bounded 30 condition -p 2 -c 5 -n 500 -b 8
        assert_success
        assert_line 'items: 500 consumed once, 0 more than once, 0 never'
        assert_line 'takes from an empty buffer: 0'
    done
}

@test "condition --if-not-while: woken consumers take from an empty buffer (exit 1)" {
    # The producer broadcasts one item to 3 sleeping consumers each round, so
    # at least one consumer with `if` takes from the empty buffer every round.
    run_bounded 30 condition --if-not-while -n 50
    assert_failure 1
    assert_line --index 0 'condition (if): 1 producer(s), 3 consumers, 50 items, buffer of 4'
    assert_line --regexp '^consumer [1-3] woke, did not look again, and took from an empty buffer \(the slot held [0-9]+, an item already taken or never put\)$'
    n=$(sed -n 's/^takes from an empty buffer: \([0-9]*\)$/\1/p' <<<"$output")
    [ "$n" -ge 49 ]
}

@test "condition --if-not-while: shows even with more producers than consumers" {
    run_bounded 30 condition --if-not-while -p 4 -c 2 -n 200
    assert_failure 1
    refute_line 'takes from an empty buffer: 0'
}

@test "condition: SIGINT mid-run leaves no producer or consumer behind" {
    # Background jobs of a script start with SIGINT ignored: restore it.
    env --default-signal=INT condition -n 100000 >/dev/null 3>&- &
    pid=$!
    sleep 0.5
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 130 ]
}

@test "condition --help exits 0 and shows usage" {
    run condition --help
    assert_success
    assert_line --index 0 "Usage: condition [--if-not-while] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS] [-b SLOTS]"
}

@test "condition: bad arguments exit 2 with a message" {
    run --separate-stderr condition -c 1
    assert_failure 2
    [[ $stderr == *"--consumers: 1 is out of range [2, 16]"* ]]
    run --separate-stderr condition -b 65
    assert_failure 2
    [[ $stderr == *"--buffer: 65 is out of range [1, 64]"* ]]
    run --separate-stderr condition -n ten
    assert_failure 2
    [[ $stderr == *"'ten' is not a whole number"* ]]
    run --separate-stderr condition --bogus
    assert_failure 2
    run --separate-stderr condition extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

#!/usr/bin/env bats
# deadlock: two processes take two locks in opposite order; three remedies.
# bats file_tags=lab,sync

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# Both finished their work once, each at some attempt.
check_fixed() {
    assert_line --regexp '^A: holds L[12] and L[12] \(attempt [0-9]+\): working$'
    assert_line --regexp '^B: holds L[12] and L[12] \(attempt [0-9]+\): working$'
    assert_line "no deadlock: both finished (work=2)"
    refute_line --partial ": deadlock"
}

@test "deadlock: opposite order deadlocks; detected within the timeout, exit 3" {
    SECONDS=0
    run_bounded 20 deadlock --timeout-ms 300
    assert_failure 3
    assert_line --index 0 "deadlock: A takes L1 then L2, B takes L2 then L1; fix=none, timeout 300 ms"
    assert_line "A: holds L1, wants L2"
    assert_line "B: holds L2, wants L1"
    assert_line "A: holds L1 and waited 300 ms for L2: deadlock"
    assert_line "B: holds L2 and waited 300 ms for L1: deadlock"
    assert_line --index 5 "deadlock: A holds L1 and waits for L2; B holds L2 and waits for L1"
    refute_line --partial "working"
    [ "$SECONDS" -lt 10 ]    # a generous bound: it ends, it does not hang
}

@test "deadlock: the default timeout (1 s) also detects it" {
    run_bounded 20 deadlock
    assert_failure 3
    assert_line "deadlock: A holds L1 and waits for L2; B holds L2 and waits for L1"
}

@test "deadlock --fix order: both take L1 then L2, no retries, exit 0" {
    run_bounded 20 deadlock --fix order
    assert_success
    assert_line --index 0 "deadlock: A takes L1 then L2, B takes L1 then L2; fix=order, timeout 1000 ms"
    check_fixed
    assert_line "A: holds L1 and L2 (attempt 1): working"
    assert_line "B: holds L1 and L2 (attempt 1): working"
    refute_line --partial "retry"
}

@test "deadlock --fix trylock: EBUSY, back off, retry, exit 0" {
    run_bounded 20 deadlock --fix trylock
    assert_success
    check_fixed
    assert_line --regexp '^[AB]: L[12] busy \(EBUSY\): release L[12], back off [0-9]+ ms, retry$'
}

@test "deadlock --fix timeout: give up, release, retry, exit 0" {
    run_bounded 20 deadlock --fix timeout --timeout-ms 200
    assert_success
    check_fixed
    assert_line --regexp '^[AB]: L[12] timed out: release L[12], back off [0-9]+ ms, retry$'
}

@test "deadlock --help exits 0 and shows usage" {
    run deadlock --help
    assert_success
    assert_line --index 0 "Usage: deadlock [--fix order|trylock|timeout] [--timeout-ms MS] [--timeline FILE]"
}

@test "deadlock: bad arguments exit 2 with a message" {
    run --separate-stderr deadlock --fix prayer
    assert_failure 2
    [[ $stderr == *"--fix: 'prayer' is not order, trylock or timeout"* ]]
    run --separate-stderr deadlock --timeout-ms 5
    assert_failure 2
    [[ $stderr == *"--timeout-ms: 5 is out of range [10, 60000]"* ]]
    run --separate-stderr deadlock --timeout-ms x
    assert_failure 2
    [[ $stderr == *"'x' is not a whole number"* ]]
    run --separate-stderr deadlock --bogus
    assert_failure 2
    run --separate-stderr deadlock extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "deadlock --timeline: each lock held by one process at a time; without a fix A and B wait for each other until both give up" {
    load '../../helpers/pictures'
    t=$BATS_TEST_TMPDIR/t.csv
    run_bounded 20 deadlock --timeout-ms 100 --timeline "$t"
    assert_failure 3
    timeline_ok "$t"
    run timeline_lanes "$t"
    assert_output "$(printf 'parent\nlock L1\nlock L2\nA\nB')"
    [ "$(timeline_count "$t" "lock L1" '^held by A$')" -eq 1 ]
    [ "$(timeline_count "$t" "lock L2" '^held by B$')" -eq 1 ]
    [ "$(timeline_count "$t" A '^waits for L2$')" -eq 1 ]
    [ "$(timeline_count "$t" B '^waits for L1$')" -eq 1 ]
    for p in A B; do
        [ "$(timeline_count "$t" "$p" '^gives up: deadlock$')" -eq 1 ]
        [ "$(timeline_count "$t" "$p" '^exit 3$')" -eq 1 ]
        [ "$(timeline_count "$t" parent "^reaped $p: exit 3\$")" -eq 1 ]
    done
    # The cycle: A waits for L2 while B holds it, and B for L1 while A does.
    run awk -F, '$1 == "lock L1" && $4 == "held by A" { a1 = $2; a2 = $3 }
                 $1 == "lock L2" && $4 == "held by B" { b1 = $2; b2 = $3 }
                 $1 == "A" && $4 == "waits for L2" { wa1 = $2; wa2 = $3 }
                 $1 == "B" && $4 == "waits for L1" { wb1 = $2; wb2 = $3 }
                 END { exit !(b1 <= wa1 && wa2 <= b2 && a1 <= wb1 && wb2 <= a2) }' "$t"
    assert_success
    # With a fix: both finish, and no lock ever has two holders at once.
    run_bounded 20 deadlock --fix trylock --timeline "$t"
    assert_success
    timeline_ok "$t"
    for p in A B; do [ "$(timeline_count "$t" "$p" '^exit 0$')" -eq 1 ]; done
    run awk -F, '$1 ~ /^lock/ && $3 > $2 { n[$1]++; s[$1, n[$1]] = $2; e[$1, n[$1]] = $3 }
                 END { for (l in n) for (i = 1; i <= n[l]; i++) for (j = i + 1; j <= n[l]; j++)
                           if (s[l, i] < e[l, j] && s[l, j] < e[l, i]) bad = 1
                       exit bad }' "$t"
    assert_success
}

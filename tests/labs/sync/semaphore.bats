#!/usr/bin/env bats
# semaphore: Semaphore(S) keeps at most S of N processes inside at once.
# bats file_tags=lab,sync

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# Every process went in and out once, and the printed count never passed $1.
check_inside() {  # procs bound
    [ "$(grep -c '^pid [0-9]*: in  (inside now [0-9]*)$' <<<"$output")" -eq "$1" ]
    [ "$(grep -c '^pid [0-9]*: out (inside now [0-9]*)$' <<<"$output")" -eq "$1" ]
    peak=$(sed -n 's/^pid [0-9]*: in  (inside now \([0-9]*\))$/\1/p' <<<"$output" | sort -n | tail -1)
    [ "$peak" -le "$2" ]
}

@test "semaphore --kind unnamed: at most 2 of 5 inside, and 2 is reached" {
    run_bounded 20 semaphore --kind unnamed --procs 5 --slots 2 --work-ms 100
    assert_success
    assert_line --index 0 "semaphore: 5 processes, 2 slots, kind=unnamed, 100 ms inside each"
    assert_line "max inside at once = 2 (slots 2)"
    check_inside 5 2
}

@test "semaphore --kind named: at most 3 of 8 inside, and the name is gone afterwards" {
    run_bounded 20 semaphore --kind named --procs 8 --slots 3 --work-ms 100
    assert_success
    assert_line --index 0 "semaphore: 8 processes, 3 slots, kind=named, 100 ms inside each"
    assert_line "max inside at once = 3 (slots 3)"
    check_inside 8 3
    # (the teardown also checks /dev/shm)
    [ -z "$(find /dev/shm -maxdepth 1 -name "sem.proclab-$(id -u)-*" -newer "$LEAK_BEFORE")" ]
}

@test "semaphore --slots 1: a semaphore of one is a lock" {
    run_bounded 20 semaphore --procs 4 --slots 1 --work-ms 20
    assert_success
    assert_line "max inside at once = 1 (slots 1)"
    check_inside 4 1
}

@test "semaphore --no-semaphore: more than S inside at once, exit 1" {
    run_bounded 20 semaphore --no-semaphore --procs 5 --slots 2 --work-ms 300
    assert_failure 1
    assert_line --index 0 "semaphore: 5 processes, 2 slots, kind=none, 300 ms inside each"
    assert_line --regexp '^max inside at once = [345] \(slots 2\)$'
}

@test "semaphore --kind named: SIGINT mid-run unlinks the semaphore and ends the children" {
    semaphore --kind named --procs 8 --slots 2 --work-ms 1000 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.5
    compgen -G "/dev/shm/sem.proclab-$(id -u)-$pid-????????-sem" >/dev/null   # it exists mid-run
    kill -INT "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 130 ]
    ! compgen -G "/dev/shm/sem.proclab-$(id -u)-$pid-*" >/dev/null
}

@test "semaphore --help exits 0 and shows usage" {
    run semaphore --help
    assert_success
    assert_line --index 0 "Usage: semaphore [--kind named|unnamed] [--slots S] [--procs N] [--work-ms MS] [--no-semaphore | --die-inside] [--timeline FILE]"
}

@test "semaphore: bad arguments exit 2 with a message" {
    run --separate-stderr semaphore --kind sysv
    assert_failure 2
    [[ $stderr == *"--kind: 'sysv' is neither named nor unnamed"* ]]
    run --separate-stderr semaphore --slots 0
    assert_failure 2
    [[ $stderr == *"--slots: 0 is out of range [1, 16]"* ]]
    run --separate-stderr semaphore --procs 65
    assert_failure 2
    [[ $stderr == *"--procs: 65 is out of range [1, 64]"* ]]
    run --separate-stderr semaphore --work-ms 1.5
    assert_failure 2
    [[ $stderr == *"'1.5' is not a whole number"* ]]
    run --separate-stderr semaphore --bogus
    assert_failure 2
    run --separate-stderr semaphore extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "semaphore --die-inside: a process killed inside never gives its slot back; the others still finish" {
    for kind in unnamed named; do
        run_bounded 20 semaphore --kind $kind --die-inside --procs 4 --slots 2 --work-ms 20
        assert_success
        assert_line --regexp '^pid [0-9]+: killed inside \(SIGKILL\)$'
        assert_line "slots free at the end: 1 of 2: a process died inside without sem_post"
        [ "$(grep -c ': out ' <<<"$output")" -eq 3 ]
    done
    run_bounded 20 semaphore --procs 3 --slots 2 --work-ms 10
    assert_line "slots free at the end: 2 of 2"
    run --separate-stderr semaphore --die-inside --no-semaphore
    assert_failure 2
}

# Most "inside" intervals of TIMELINE open at any one moment.
most_inside() {
    awk -F, 'NR > 1 && $4 == "inside" { print $2, 1; print $3, -1 }' "$1" |
        sort -k1,1n -k2,2n | awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}

@test "semaphore --timeline: one lane per process, each inside once; never more than S inside at once, more without the semaphore" {
    load '../../helpers/pictures'
    t=$BATS_TEST_TMPDIR/t.csv
    run_bounded 20 semaphore --procs 5 --slots 2 --work-ms 30 --timeline "$t"
    assert_success
    timeline_ok "$t"
    run timeline_lanes "$t"
    assert_output "$(printf 'process %d\n' 1 2 3 4 5)"
    for i in 1 2 3 4 5; do [ "$(timeline_count "$t" "process $i" '^inside$')" -eq 1 ]; done
    [ "$(most_inside "$t")" -eq 2 ]
    run_bounded 20 semaphore --no-semaphore --procs 4 --slots 2 --work-ms 200 --timeline "$t"
    assert_failure 1
    [ "$(most_inside "$t")" -gt 2 ]
}

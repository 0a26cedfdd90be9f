#!/usr/bin/env bats
# producer_consumer: the same job over six transports, every record exactly
# once; static vs dynamic distribution; nothing left after Ctrl-C.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# the whole-run checks every transport must pass
exactly_once() {  # via
    run_bounded 60 producer_consumer --via "$1" --producers 3 --consumers 3 --records 100000
    assert_success
    assert_line --index 0 "via $1: 3 producers, 3 consumers, 100000 records of 64 bytes, dynamic distribution"
    assert_line "delivered: 100000 of 100000 exactly once (0 missing, 0 duplicated, 0 corrupt), checksum 1bfe9d755e9ce744 (expected 1bfe9d755e9ce744)"
    [ "$(awk '/^consumer [0-9]+: / { s += $3 } END { print s }' <<<"$output")" -eq 100000 ]
    assert_line --regexp '^elapsed: [0-9.]+ ms$'
}

@test "producer_consumer --via pipe: 3x3, 100000 records, each exactly once" { exactly_once pipe; }
@test "producer_consumer --via fifo: 3x3, 100000 records, each exactly once" {
    exactly_once fifo
    [ -z "$(find /tmp -maxdepth 1 -name "proclab-$(id -u)-*" -newer "$LEAK_BEFORE")" ]
}
@test "producer_consumer --via socketpair: 3x3, 100000 records, each exactly once" { exactly_once socketpair; }
@test "producer_consumer --via mq: 3x3, 100000 records, each exactly once" { exactly_once mq; }
@test "producer_consumer --via sysv: 3x3, 100000 records, each exactly once" { exactly_once sysv; }
@test "producer_consumer --via shm: 3x3, 100000 records, each exactly once" { exactly_once shm; }

@test "producer_consumer --distribution static: fixed equal blocks, one channel per consumer" {
    for via in pipe mq; do
        run_bounded 30 producer_consumer --via $via --distribution static -c 3 -n 3000 --work-us 50
        assert_success
        assert_line --index 0 "via $via: 3 producers, 3 consumers, 3000 records of 64 bytes, static distribution"
        for k in 0 1 2; do
            assert_line --regexp "^consumer $k: 1000 records, working [0-9.]+ ms, done at [0-9.]+ ms$"
        done
        assert_line --regexp '^delivered: 3000 of 3000 exactly once \(0 missing, 0 duplicated, 0 corrupt\)'
    done
}

@test "producer_consumer --distribution dynamic with uneven work: all delivered, uneven counts allowed" {
    run_bounded 30 producer_consumer --distribution dynamic -p 2 -c 4 -n 2000 --work-us 50 --via sysv
    assert_success
    [ "$(grep -c '^consumer [0-3]: ' <<<"$output")" -eq 4 ]
    assert_line --regexp '^delivered: 2000 of 2000 exactly once \(0 missing, 0 duplicated, 0 corrupt\)'
}

interrupt() {  # via signal: start a long run, signal it, expect it to die of it
    producer_consumer --via "$1" -c 3 -n 1000 --work-us 20000 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.5
    [ "$(pgrep -P "$pid" | wc -l)" -ge 3 ]   # the consumers (at least) are running
    kill -"$2" "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq "$3" ]
    ! compgen -G "/dev/mqueue/proclab-$(id -u)-$pid-*" >/dev/null
    [ -z "$(find /tmp -maxdepth 1 -name "proclab-$(id -u)-$pid-*")" ]
}

@test "producer_consumer --via mq: SIGINT mid-run unlinks the queue, ends the children" { interrupt mq INT 130; }
@test "producer_consumer --via sysv: SIGINT mid-run removes the queue" { interrupt sysv INT 130; }
@test "producer_consumer --via fifo: SIGTERM mid-run removes the private directory" { interrupt fifo TERM 143; }
@test "producer_consumer --via shm: SIGINT mid-run ends the children" { interrupt shm INT 130; }

@test "producer_consumer --help exits 0 and shows usage" {
    run producer_consumer --help
    assert_success
    assert_line --index 0 "Usage: producer_consumer [--via pipe|fifo|socketpair|mq|sysv|shm] [-p PRODUCERS] [-c CONSUMERS] [-n RECORDS] [--distribution static|dynamic] [--work-us US] [--timeline FILE]"
}

@test "producer_consumer: bad arguments exit 2 with a message" {
    run --separate-stderr producer_consumer --via tcp
    assert_failure 2
    [[ $stderr == *"--via: 'tcp' is not pipe, fifo, socketpair, mq, sysv or shm"* ]]
    run --separate-stderr producer_consumer --distribution random
    assert_failure 2
    [[ $stderr == *"--distribution: 'random' is not static or dynamic"* ]]
    run --separate-stderr producer_consumer -n 0
    assert_failure 2
    [[ $stderr == *"--records: 0 is out of range [1, 1000000]"* ]]
    run --separate-stderr producer_consumer -c 2k
    assert_failure 2
    [[ $stderr == *"'2k' is not a whole number"* ]]
    run --separate-stderr producer_consumer --bogus
    assert_failure 2
    run --separate-stderr producer_consumer extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "producer_consumer: two consumers by default; static gives the last block 3/4 of the work, and the balance line says so" {
    run_bounded 30 producer_consumer --distribution static --work-us 50 -n 2000 -p 2
    assert_success
    assert_line --index 0 "via pipe: 2 producers, 2 consumers, 2000 records of 64 bytes, static distribution"
    # Work is CPU time, so the shares hold on a busy machine too (75% +- a few).
    assert_line --regexp '^balance: the busiest consumer did 7[2-8]% of the work \([0-9.]+ ms of CPU; even share 50%\): elapsed >= [0-9.]+ ms; evenly spread over 2 consumers on [0-9]+ CPUs?: >= [0-9.]+ ms$'
    run_bounded 30 producer_consumer --distribution dynamic --work-us 50 -n 2000 -p 2
    assert_success
    # Who takes what is the scheduler's choice: only that the line is there.
    assert_line --regexp '^balance: the busiest consumer did [0-9]+% of the work'
}

@test "producer_consumer --timeline: parent, then a lane per consumer and producer in fork order; each exits once" {
    load '../../helpers/pictures'
    t=$BATS_TEST_TMPDIR/t.csv
    run_bounded 30 producer_consumer --distribution static --work-us 20 -n 600 -p 2 -c 3 --timeline "$t"
    assert_success
    timeline_ok "$t"
    run timeline_lanes "$t"
    assert_output "$(printf 'parent\nconsumer 0\nconsumer 1\nconsumer 2\nproducer 0\nproducer 1')"
    for k in 0 1 2; do
        [ "$(timeline_count "$t" "consumer $k" '^done: exit 0$')" -eq 1 ]
        [ "$(timeline_count "$t" "consumer $k" '^busy$')" -ge 1 ]
    done
    for p in 0 1; do
        [ "$(timeline_count "$t" "producer $p" '^exit 0$')" -eq 1 ]
        [ "$(timeline_count "$t" "producer $p" '^sends$')" -eq 1 ]
    done
    [ "$(timeline_count "$t" parent '^consumers reaped$')" -eq 1 ]
}

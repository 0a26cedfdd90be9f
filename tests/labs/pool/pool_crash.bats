#!/usr/bin/env bats
# pool_crash: a worker killed mid-run or a task over its time limit; every
# task accounted for exactly once; the pool keeps serving.
# bats file_tags=lab,pool

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The worker pids printed on a line starting with $1.
pids_on() { sed -n "s/^$1.*pids \([0-9 ]*\);.*/\1/p" <<<"$output"; }

@test "pool_crash --kill-worker 1: every task accounted for, the worker replaced, exit 0" {
    for queue in shm pipe; do
        run_bounded 30 pool_crash --kill-worker 1 --queue "$queue" --tasks 16
        assert_success
        assert_line --regexp '^  killing worker 1 \(pid [0-9]+\) with SIGKILL after 4 results$'
        assert_line --regexp '^first batch: 16 tasks: (16 done, 0|15 done, 1) failed = 16 accounted for, 0 lost, 0 twice$'
        # a failed task says why
        if grep -q FAILED <<<"$output"; then
            assert_line --regexp '^  task [0-9]+ FAILED: killed by signal 9'
        fi
        assert_line --regexp '; 1 died, 3 started in all, 0 tasks retried$'
        before=($(pids_on pool:)) after=($(pids_on 'workers now'))
        [[ ${before[0]} == "${after[0]}" && ${before[1]} != "${after[1]}" ]] ||
            fail "worker 1 was not replaced: ${before[*]} -> ${after[*]}"
        assert_line "second batch: 16 tasks: 16 done, 0 failed = 16 accounted for, 0 lost, 0 twice"
        assert_line "every task accounted for exactly once; the pool kept serving"
    done
}

@test "pool_crash --retries 1: the killed worker's task runs again and succeeds" {
    run_bounded 30 pool_crash --kill-worker 0 --retries 1 --tasks 16
    assert_success
    assert_line "first batch: 16 tasks: 16 done, 0 failed = 16 accounted for, 0 lost, 0 twice"
    refute_line --partial FAILED
}

@test "pool_crash --hang: the task over its time limit is killed and reported" {
    run_bounded 30 pool_crash --hang --tasks 16
    assert_success
    assert_line "  task 5 FAILED: timed out after 300 ms"
    assert_line "first batch: 16 tasks: 15 done, 1 failed = 16 accounted for, 0 lost, 0 twice"
    assert_line --regexp '; 1 died, 3 started in all'
}

@test "pool_crash --help exits 0 and shows usage" {
    run pool_crash --help
    assert_success
    assert_line --index 0 "Usage: pool_crash [--kill-worker K] [--hang] [--retries N] [--tasks N] [--workers N] [--queue shm|pipe]"
}

@test "pool_crash: bad arguments exit 2 with a message" {
    for args in "--kill-worker 2" "--kill-worker -1" "--retries 9" "--tasks 3" "--queue x" "extra"; do
        run --separate-stderr pool_crash $args
        [[ $status -eq 2 ]] || fail "pool_crash $args exited $status"
        [[ -n $stderr ]]
    done
}

@test "pool_crash: workers die with the lab (SIGTERM or SIGKILL to the parent)" {
    for sig in TERM KILL; do
        out="$BATS_TEST_TMPDIR/out.$sig"
        pool_crash --tasks 5000 >"$out" 2>&1 &
        lab=$!
        for _ in $(seq 100); do grep -q '^pool:' "$out" && break; sleep 0.05; done
        pids=$(sed -n 's/^pool: 2 workers, pids \([0-9 ]*\);.*/\1/p' "$out")
        [[ -n $pids ]] || fail "no worker pids printed: $(cat "$out")"
        kill -"$sig" "$lab"
        wait "$lab" || true
        for _ in $(seq 20); do
            alive=0
            for pid in $pids; do
                [[ $(ps -o stat= -p "$pid" 2>/dev/null) == [^Z]* ]] && alive=1
            done
            ((alive == 0)) && break
            sleep 0.05
        done
        ((alive == 0)) || fail "a worker outlived the lab (SIG$sig): $(ps -o pid,stat,args -p "${pids// /,}")"
    done
}

#!/usr/bin/env bats
# mpi_pool: pool_map's tasks on MPI ranks; every result equals the serial
# run; a hung or dead worker is reported, not waited for; no mpirun: says how.
# bats file_tags=lab,distributed

load '../../helpers/common'
load 'mpi'
setup() { _common_setup; need_mpi mpi_pool; }
teardown() { _common_teardown; }

@test "mpi_pool: on 3 and 2 ranks every task equals the serial run, the same primes as pool_map; dynamic hand-out" {
    # 4203 primes below 40000: the same count written again in Python
    [ "$(/usr/bin/python3 -c 'print(sum(all(n % d for d in range(2, int(n**0.5) + 1)) for n in range(2, 40000)))')" = 4203 ]
    # dynamic distribution: two workers share the tasks, each does some
    mpi 3 30 mpi_pool --tasks 40 --block 1000 --chunksize 0
    assert_success
    assert_line "40 tasks (blocks of 1000 numbers), 2 worker ranks + the master, chunksize 5 (automatic: divmod(tasks, 4 * workers), +1 if a remainder)"
    line=$(grep '^tasks per worker:' <<<"$output")
    [[ $line =~ ^tasks\ per\ worker:\ rank\ 1:\ ([0-9]+),\ rank\ 2:\ ([0-9]+)$ ]]
    (( BASH_REMATCH[1] + BASH_REMATCH[2] == 40 && BASH_REMATCH[1] > 0 && BASH_REMATCH[2] > 0 ))
    assert_line --regexp '^serial +[0-9.]+ s  4203 primes below 40000$'
    assert_line --regexp '^mpi pool +[0-9.]+ s  speedup [0-9.]+  equals the serial run$'
    assert_line "every task equals the serial run"
    # mpirun -np 2: the master and one worker, which takes every task
    mpi 2 30 mpi_pool --tasks 8 --block 1000
    assert_success
    assert_line "tasks per worker: rank 1: 8"
    assert_line "every task equals the serial run"
}

@test "mpi_pool: a hung worker is reported within --timeout-ms, a dead one by mpirun" {
    mpi 2 20 mpi_pool --tasks 20 --block 100 --hang-task 5 --timeout-ms 300
    [[ $status -ne 0 && $status -ne 124 ]] || fail "hung worker: exit $status"
    assert_output --partial "no result from any worker within 300 ms"
    assert_output --partial "worker rank 1 holds tasks 5..5: dead or hung"
    refute_output --partial "every task equals the serial run"
    mpi 2 20 mpi_pool --tasks 20 --block 100 --crash-task 3
    [[ $status -ne 0 && $status -ne 124 ]] || fail "dead worker: exit $status"
    assert_output --regexp "process rank 1 .*(signal 9|Killed)"
    refute_output --partial "every task equals the serial run"
}

@test "mpi_pool: without mpirun it says how to run it; --help; bad arguments exit 2" {
    run --separate-stderr mpi_pool --tasks 5
    [ "$status" -eq 2 ]
    [[ $stderr == *"start me with mpirun"*"mpirun -np 2 mpi_pool"* ]]
    run mpi_pool --help
    assert_success
    assert_line --index 0 "Usage: mpi_pool [--tasks N] [--block N] [--chunksize C] [--timeout-ms MS] [--crash-task I] [--hang-task I]"
    for args in "--tasks 0" "--tasks 100001" "--block 0" "--chunksize -1" "--timeout-ms 0" \
                "--crash-task x" "--hang-task 1.5" "extra"; do
        run --separate-stderr mpi_pool $args
        [[ $status -eq 2 ]] || fail "mpi_pool $args exited $status"
        [[ -n $stderr && $stderr != *"start me with mpirun"* ]] || fail "mpi_pool $args: $stderr"
    done
}

@test "mpi_pool: SIGTERM to the run ends every rank; Open MPI's private directory is removed" {
    out=$BATS_TEST_TMPDIR/out
    "$PROCLAB_ROOT/scripts/mpirun.sh" --np 2 --timeout 30 -- "$PROCLAB_BIN/mpi_pool" \
        --tasks 20 --block 100 --hang-task 0 >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 200); do grep -q '^serial' "$out" && break; sleep 0.05; done
    grep -q '^serial' "$out" || { kill -KILL "$pid"; fail "the master never started: $(cat "$out")"; }
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fail "mpirun.sh still runs 5 s after SIGTERM"; fi
    wait "$pid" || true
    # every rank ends within 3 s (the teardown then finds no stray)
    for _ in $(seq 30); do pgrep -f "^$PROCLAB_BIN/mpi_pool " >/dev/null || break; sleep 0.1; done
    run pgrep -af "^$PROCLAB_BIN/mpi_pool "
    [ "$status" -eq 1 ] || fail "ranks left 3 s after mpirun.sh ended: $output"
    # the private directory (named after mpirun.sh's pid) is gone; teardown checks the rest
    ! compgen -G "/tmp/proclab-$(id -u)-$pid-*" >/dev/null
}

#!/usr/bin/env bats
# mpi_mapreduce: MPI_Scatter + local sums + MPI_Reduce equals the serial sum
# and mapreduce_sum's; Amdahl's serial fraction; no mpirun: says how.
# bats file_tags=lab,distributed

load '../../helpers/common'
load 'mpi'
setup() { _common_setup; need_mpi mpi_mapreduce; }
teardown() { _common_teardown; }

@test "mpi_mapreduce: the reduced sum equals the serial sum and mapreduce_sum's, on 3 ranks" {
    for np in 3; do        # 3 ranks: 1000 elements leave one over for rank 0
        mpi "$np" 30 mpi_mapreduce --elements 1000 --work 3
        assert_success
        left=$((1000 % np))
        assert_line "input: 1000 elements (0.0 MiB), 3 mixing rounds each; $np ranks, $((1000 / np)) elements each (+$left on rank 0)"
        serial=$(sed -n 's/^serial: .* sum \([0-9a-f]\{16\}\)$/\1/p' <<<"$output")
        parallel=$(sed -n "s/^parallel: .* with $np ranks, sum \\([0-9a-f]\\{16\\}\\): speedup [0-9.]* x\$/\\1/p" <<<"$output")
        [[ -n $serial && $serial == "$parallel" ]] || fail "serial '$serial', parallel '$parallel'"
        assert_line "result: the reduced sum equals the serial sum"
    done
    # the same input and map as mapreduce_sum: the same sum
    run_bounded 30 mapreduce_sum --elements 1000 --work 3 --workers 1
    assert_success
    assert_line --partial "sum $serial"
}

@test "mpi_mapreduce: the split and merge are timed and give Amdahl's f and prediction" {
    mpi 2 30 mpi_mapreduce --elements 100K --work 2
    assert_success
    assert_line --regexp '^  serial parts: split \(MPI_Scatter of 0\.4 MiB\) [0-9]+\.[0-9]{6} s \+ merge \(MPI_Reduce, left-over elements\) [0-9]+\.[0-9]{6} s$'
    assert_line --regexp '^  map: each rank computed for [0-9.]+ \.\. [0-9.]+ s \(an even split would be [0-9.]+ s\)$'
    line=$(grep '^Amdahl:' <<<"$output")
    [[ $line =~ ^Amdahl:\ serial\ fraction\ f\ =\ (0\.[0-9]{6}):\ predicted\ speedup\ with\ 2\ ranks\ ([0-9.]+)\ x,\ never\ above\ 1/f\ =\ ([0-9]+)\ x$ ]]
    f=${BASH_REMATCH[1]} predicted=${BASH_REMATCH[2]}
    awk -v f="$f" -v p="$predicted" 'BEGIN { a = 1 / (f + (1 - f) / 2)
        exit !(f > 0 && f < 1 && p >= 1 && p <= 2 && (a - p < 0.01 && p - a < 0.01)) }'
    assert_line --regexp '^Karp-Flatt: the measured speedup implies a serial fraction of -?[0-9.]+'
}

@test "mpi_mapreduce: without mpirun it says how to run it; --help; bad arguments exit 2" {
    run --separate-stderr mpi_mapreduce --elements 10
    [ "$status" -eq 2 ]
    [[ $stderr == *"start me with mpirun"*"mpirun -np 2 mpi_mapreduce"* ]]
    run mpi_mapreduce --help
    assert_success
    assert_line --index 0 "Usage: mpi_mapreduce [--elements N] [--work K]"
    for args in "--elements 0" "--elements 1G" "--work 0" "--work 1001" "--elements 5x" "extra"; do
        run --separate-stderr mpi_mapreduce $args
        [[ $status -eq 2 ]] || fail "mpi_mapreduce $args exited $status"
        [[ -n $stderr && $stderr != *"start me with mpirun"* ]] || fail "mpi_mapreduce $args: $stderr"
    done
}

# tests/labs/distributed/mpi.bash: loaded by the distributed labs' tests.
#
# need_mpi: skip the test with a note when Open MPI is not installed (or
# the lab was not built, which the Makefile does only with mpicc).
# mpi NP SECONDS PROGRAM ARGS...: run_bounded through scripts/mpirun.sh
# (this machine only, loopback, private session directory).

need_mpi() {
    command -v mpirun >/dev/null 2>&1 ||
        skip "Open MPI is not installed (make deps installs openmpi-bin libopenmpi-dev)"
    [[ -x $PROCLAB_BIN/$1 ]] || skip "$1 is not built (make builds it when mpicc is present)"
}

mpi() {
    local np=$1 limit=$2
    shift 2
    run_bounded $((limit + 10)) "$PROCLAB_ROOT/scripts/mpirun.sh" --np "$np" --timeout "$limit" \
        -- "$PROCLAB_BIN/$1" "${@:2}"
}

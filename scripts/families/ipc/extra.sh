#!/usr/bin/env bash
# scripts/families/ipc/extra.sh RUNDIR BINDIR: the ipc family's extra run for
# scripts/bench.sh -- MPI as one more mechanism.  BINDIR/ipc_mpi runs on two
# ranks under scripts/mpirun.sh (this machine, shared memory, loopback only),
# with the suite of RUNDIR/ipc.json and the runner's filter
# (PROCLAB_BENCH_FILTER); its JSON is kept as RUNDIR/mpi/ipc.json and added
# to RUNDIR/ipc.json (scripts/lib/merge_json.py), so the IPC tables, plots
# and make compare show ipc_latency/mpi/... beside the other mechanisms.
# Without Open MPI (or ipc_mpi, built only with mpicc) it says so and exits 0.
set -uo pipefail
if [[ $# -ne 2 || $1 == -* ]]; then
  echo "Usage: extra.sh RUNDIR BINDIR" >&2
  exit 2
fi
run=$1 bin=$2
root=$(cd "$(dirname "$0")/../../.." && pwd)
if ! command -v mpirun >/dev/null 2>&1 || [[ ! -x $bin/ipc_mpi ]]; then
  echo "ipc: MPI skipped: Open MPI is not installed or ipc_mpi not built (make deps; make)"
  exit 0
fi
suite=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"].get("proclab_suite", "quick"))' "$run/ipc.json") || exit 1
args=("--suite=$suite" "--out=$run/mpi/ipc.json")
[[ -n ${PROCLAB_BENCH_FILTER:-} ]] && args+=("--filter=$PROCLAB_BENCH_FILTER")
mkdir -p "$run/mpi"
echo "ipc: MPI: scripts/mpirun.sh --np 2 -- $bin/ipc_mpi ${args[*]}"
# A rank waiting in MPI spins by default; on one CPU (cross:0) the two ranks
# must yield to each other, as the blocking mechanisms do in the kernel.
OMPI_MCA_mpi_yield_when_idle=1 "$root/scripts/mpirun.sh" --np 2 --timeout 300 -- \
  "$bin/ipc_mpi" "${args[@]}"
rc=$?
if [[ -s $run/mpi/ipc.json ]] &&
   python3 "$root/scripts/lib/merge_json.py" "$run/ipc.json" "$run/mpi/ipc.json" \
     --append-context ipc_mechanisms=mpi; then
  echo "ipc: MPI results added to ipc.json (exit $rc)"
else
  echo "ipc: MPI run failed (exit $rc): no MPI results"
  exit 1
fi
exit "$rc"

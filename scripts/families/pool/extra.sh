#!/usr/bin/env bash
# scripts/families/pool/extra.sh RUNDIR BINDIR: the pool family's extra runs for
# scripts/bench.sh -- one short traced run of the shm pool (bench_pool
# --trace), saved as RUNDIR/pool_trace.csv for the timeline plot; then the MPI
# task farm as the pool kind 'mpi' (BINDIR/pool_mpi under scripts/mpirun.sh on
# W + 1 ranks, W as bench_pool's sweep: quick 1 2, full 1 2 4 ... 2 x CPUs),
# each JSON kept in RUNDIR/mpi/ and added to RUNDIR/pool.json
# (scripts/lib/merge_json.py).  The runner's filter is PROCLAB_BENCH_FILTER.
# Without Open MPI (or pool_mpi, built only with mpicc) it says so; so it
# does with PROCLAB_BENCH_NO_MPI=1 (tests of the other kinds' scripts).
set -uo pipefail
if [[ $# -ne 2 || $1 == -* ]]; then
  echo "Usage: extra.sh RUNDIR BINDIR" >&2
  exit 2
fi
run=$1 bin=$2
root=$(cd "$(dirname "$0")/../../.." && pwd)
"$bin/bench_pool" --trace="$run/pool_trace.csv" || exit 1

if [[ ${PROCLAB_BENCH_NO_MPI:-0} == 1 ]]; then
  echo "pool: MPI skipped (PROCLAB_BENCH_NO_MPI=1)"
  exit 0
fi
if ! command -v mpirun >/dev/null 2>&1 || [[ ! -x $bin/pool_mpi ]]; then
  echo "pool: MPI skipped: Open MPI is not installed or pool_mpi not built (make deps; make)"
  exit 0
fi
suite=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"].get("proclab_suite", "quick"))' "$run/pool.json") || exit 1
workers=(1 2)
if [[ $suite == full ]]; then
  ncpu=$(nproc)
  workers=()
  for ((w = 1; w < 2 * ncpu; w *= 2)); do workers+=("$w"); done
  workers+=($((2 * ncpu)))
fi
mkdir -p "$run/mpi"
status=0
for w in "${workers[@]}"; do
  out=$run/mpi/pool_w$w.json
  args=("--suite=$suite" "--out=$out")
  [[ -n ${PROCLAB_BENCH_FILTER:-} ]] && args+=("--filter=$PROCLAB_BENCH_FILTER")
  echo "pool: MPI: scripts/mpirun.sh --np $((w + 1)) -- $bin/pool_mpi ${args[*]}"
  # More ranks than CPUs: a waiting rank must yield its CPU, not spin.
  OMPI_MCA_mpi_yield_when_idle=1 "$root/scripts/mpirun.sh" --np $((w + 1)) --timeout 300 -- \
    "$bin/pool_mpi" "${args[@]}" || status=1
  if [[ -s $out ]] &&
     python3 "$root/scripts/lib/merge_json.py" "$run/pool.json" "$out" \
       --append-context pool_kinds=mpi; then
    echo "pool: MPI results for W = $w added to pool.json"
  else
    echo "pool: MPI run for W = $w failed: no results"
    status=1
  fi
done
exit "$status"

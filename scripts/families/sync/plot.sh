#!/usr/bin/env bash
# scripts/families/sync/plot.sh RUNDIR: the contention family's CSV and plot.
#
# Reads RUNDIR/sync.json; writes RUNDIR/sync_ops.csv and
# RUNDIR/plots/sync_ops.png and .svg: critical sections per second against
# the number of processes, one line per lock kind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -ne 1 || $1 == -* ]]; then
  echo "Usage: plot.sh RUNDIR" >&2
  exit 2
fi
run=$1
[[ -f $run/sync.json ]] || { echo "plot.sh: no $run/sync.json" >&2; exit 1; }
mkdir -p "$run/plots"
{ read -r locks; read -r host; read -r sub; read -r registry; } < <(python3 "$here/to_csv.py" "$run")
[[ -n ${locks:-} ]] || { echo "plot.sh: no sync benchmarks in $run/sync.json" >&2; exit 1; }
gnuplot -e "csv='$run/sync_ops.csv'; out='$run/plots/sync_ops'; host='$host'; locks='$locks'; registry='$registry'; subtitle='$sub'" \
  "$here/sync_ops.gp"

#!/usr/bin/env bash
# scripts/families/spawn/plot.sh RUNDIR: the spawn family's CSV and plot.
#
# Reads RUNDIR/spawn.json; writes RUNDIR/spawn_time.csv (and spawn_ref.csv)
# and RUNDIR/plots/spawn_time.png and .svg: time per spawn against the
# parent's resident memory, log-log, one line per method.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -ne 1 || $1 == -* ]]; then
  echo "Usage: plot.sh RUNDIR" >&2
  exit 2
fi
run=$1
[[ -f $run/spawn.json ]] || { echo "plot.sh: no $run/spawn.json" >&2; exit 1; }
mkdir -p "$run/plots"
{ read -r methods; read -r host; read -r sub; read -r registry; } < <(python3 "$here/to_csv.py" "$run")
[[ -n ${methods:-} ]] || { echo "plot.sh: no spawn benchmarks in $run/spawn.json" >&2; exit 1; }
gnuplot -e "csv='$run/spawn_time.csv'; out='$run/plots/spawn_time'; host='$host'; methods='$methods'; registry='$registry'; subtitle='$sub'" \
  "$here/spawn_time.gp"

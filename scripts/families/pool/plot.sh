#!/usr/bin/env bash
# scripts/families/pool/plot.sh RUNDIR: the pool family's CSV files and plots.
#
# Reads RUNDIR/pool.json (and RUNDIR/pool_trace.csv, the timeline of one
# short traced run, when bench.sh saved one); writes the CSV files of
# to_csv.py and, in RUNDIR/plots/ (PNG and SVG):
#   pool_speedup    speedup over W = 1 vs workers per kind, ideal line dashed
#                   (at the largest grain measured)
#   pool_overhead   per-task overhead beyond the grain vs grain, log-log,
#                   per kind (at W = 2, or 1 on one CPU)
#   pool_chunks     time per task vs grain for each chunk size of shm
#   pool_timeline   one worker timeline (Gantt) of the traced run
#                   (scripts/timeline.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [[ $# -ne 1 || $1 == -* ]]; then
  echo "Usage: plot.sh RUNDIR" >&2
  exit 2
fi
run=$1
[[ -f $run/pool.json ]] || { echo "plot.sh: no $run/pool.json" >&2; exit 1; }
mkdir -p "$run/plots"
{ read -r kinds; read -r host; read -r sub; } < <(python3 "$here/to_csv.py" "$run")
csv=$run/pool_scaling.csv
[[ -n ${kinds:-} && $(wc -l <"$csv") -gt 1 ]] || { echo "plot.sh: no pool benchmarks in $run/pool.json" >&2; exit 1; }
col() {  # distinct values of CSV column N (numeric order)
  awk -F, -v n="$1" 'NR > 1 { sub(/\r$/, ""); print $n }' "$csv" | sort -n -u
}
grain=$(col 3 | tail -n 1)
workers=$(col 4 | awk '$1 <= 2' | tail -n 1)
chunks=$(awk -F, 'NR > 1 && $1 == "shm" { print $2 }' "$csv" | sort -n -u | tr '\n' ' ')
dir="$here/"
gnuplot -e "dir='$dir'; csv='$csv'; out='$run/plots/pool_speedup'; host='$host'; kinds='$kinds'; grain=$grain; subtitle='$sub'" \
  "$here/speedup.gp"
gnuplot -e "dir='$dir'; csv='$csv'; out='$run/plots/pool_overhead'; host='$host'; kinds='$kinds'; workers=$workers; subtitle='$sub'" \
  "$here/overhead.gp"
if [[ -n ${chunks// /} ]]; then
  gnuplot -e "dir='$dir'; csv='$csv'; out='$run/plots/pool_chunks'; host='$host'; kinds='$kinds'; kind='shm'; workers=$workers; chunks='$chunks'; subtitle='$sub'" \
    "$here/chunks.gp"
fi
if [[ -f $run/pool_trace.csv ]]; then
  for ext in png svg; do
    "$root/scripts/timeline.sh" "$run/pool_trace.csv" "$run/plots/pool_timeline.$ext" \
      --title "shm pool: one short run, skewed tasks, chunk 1 (which worker ran which task when)"
  done
fi

#!/usr/bin/env bash
# scripts/families/ipc/plot.sh RUNDIR: the ipc family's CSV files and plots.
#
# Reads RUNDIR/ipc.json (and RUNDIR/ipc_pairs.json if present); writes the
# CSV files of to_csv.py and, in RUNDIR/plots/ (PNG and SVG):
#   ipc_latency_cross, ipc_latency_same       round trip vs size, floor dashed
#   ipc_throughput_cross, ipc_throughput_same throughput vs size, memcpy dashed
#   ipc_bar64                                 64 B round trip, same vs cross
#   ipc_pairs                                 CPU-pair heatmap (when pairs ran)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -ne 1 || $1 == -* ]]; then
  echo "Usage: plot.sh RUNDIR" >&2
  exit 2
fi
run=$1
[[ -f $run/ipc.json ]] || { echo "plot.sh: no $run/ipc.json" >&2; exit 1; }
mkdir -p "$run/plots"
mechs=$(python3 "$here/to_csv.py" "$run")
# The registry's order (recorded by bench_ipc) fixes each mechanism's colour.
registry=$(python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["context"].get("ipc_mechanisms", ""))' "$run/ipc.json")
read -r host sub < <(python3 - "$run/ipc.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["context"]
print(c.get("host_name", "?").replace(" ", "_"),
      "%s suite, median of repetitions, %s" % (c.get("proclab_suite", "?"), c.get("date", "")[:10]))
PY
)
# x tics at the sizes measured: "64 B", "4 KiB", "1 MiB"
xtics() {
  awk -F, 'NR > 1 { print $2 }' "$1" | sort -n -u | awk '
    { b = $1; l = b " B"
      if (b >= 1048576 && b % 1048576 == 0) l = b / 1048576 " MiB"
      else if (b >= 1024 && b % 1024 == 0) l = b / 1024 " KiB"
      s = s (s == "" ? "" : ", ") "\"" l "\" " b }
    END { print "(" s ")" }'
}
lat_x=$(xtics "$run/ipc_latency.csv")
thr_x=$(xtics "$run/ipc_throughput.csv")
floor=$(awk -F, '$1 == "cacheline" && $3 == 1 { print $4 }' "$run/ipc_floor.csv")
dir="$here/"
for cross in 1 0; do
  name=$([[ $cross == 1 ]] && echo cross || echo same)
  f=$([[ $cross == 1 ]] && echo "$floor" || echo "")
  gnuplot -e "dir='$dir'; csv='$run/ipc_latency.csv'; out='$run/plots/ipc_latency_$name'; host='$host'; mechs='$mechs'; registry='$registry'; cross=$cross; floor_us='$f'; subtitle='$sub'; xt='$lat_x'" \
    "$here/latency.gp"
  gnuplot -e "dir='$dir'; csv='$run/ipc_throughput.csv'; floor_csv='$run/ipc_floor.csv'; out='$run/plots/ipc_throughput_$name'; host='$host'; mechs='$mechs'; registry='$registry'; cross=$cross; subtitle='$sub'; xt='$thr_x'" \
    "$here/throughput.gp"
done
gnuplot -e "csv='$run/ipc_bar64.csv'; out='$run/plots/ipc_bar64'; host='$host'; subtitle='$sub'; floor_us='$floor'" \
  "$here/bar64.gp"
if [[ -f $run/ipc_pairs.csv ]]; then
  src=$run/ipc.json
  [[ -f $run/ipc_pairs.json ]] && src=$run/ipc_pairs.json
  pmech=$(python3 -c 'import json,sys
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b["name"].startswith("ipc_pairs/"):
        print(b["name"].split("/")[1]); break' "$src")
  ncpu=$(awk -F, 'NR > 1 { if ($1 > m) m = $1; if ($2 > m) m = $2 } END { print m + 1 }' "$run/ipc_pairs.csv")
  gnuplot -e "csv='$run/ipc_pairs.csv'; out='$run/plots/ipc_pairs'; host='$host'; mech='$pmech'; subtitle='$sub'; ncpu=$ncpu" \
    "$here/pairs.gp"
fi

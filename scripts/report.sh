#!/usr/bin/env bash
# scripts/report.sh RUNDIR: remake a run's CSV, plots, summary.txt and report.md.
#
# Reads only what the run left (RUNDIR/FAMILY.json, machine.json) and
# re-measures nothing, so it can be run again at any time, on any machine.
# For each FAMILY.json (spawn, ipc, sync first, then the rest):
#   scripts/families/FAMILY/plot.sh RUNDIR     CSV and plots/FAMILY_*.png/.svg
#   scripts/families/FAMILY/summary.py RUNDIR  its section of summary.txt
# (a family without them gets a generic table from scripts/lib/results.py).
# summary.txt is printed to stdout; report.md and report.html
# (scripts/report_html.py) embed the plots and summaries.
#
# Usage: scripts/report.sh RUNDIR      (make report: RUN=results/latest)
# Exit: 0, 1 no such run or a family's script failed, 2 bad arguments.
set -uo pipefail
# Our Python needs only the standard library of Debian's python3 (deps.sh
# installs it); prefer it over a version manager's shim on PATH, whose
# start-up alone can cost ten times more than the script.
[[ -x /usr/bin/python3 ]] && PATH=/usr/bin:$PATH
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ $# -ne 1 || $1 == -* ]]; then
  if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
  fi
  echo "Usage: scripts/report.sh RUNDIR" >&2
  exit 2
fi
run=$1
if [[ ! -d $run ]]; then
  echo "report.sh: no run folder '$run' (make bench first)" >&2
  exit 1
fi

families=()
for f in spawn ipc sync; do [[ -f $run/$f.json ]] && families+=("$f"); done
for j in "$run"/*.json; do
  [[ -f $j ]] || continue
  f=${j##*/}; f=${f%.json}
  [[ $f == machine || $f == *_pairs ]] && continue   # FAMILY_pairs.json: part of FAMILY
  [[ " ${families[*]} " == *" $f "* ]] || families+=("$f")
done
if ((${#families[@]} == 0)) && [[ ! -f $run/INCOMPLETE ]]; then
  echo "report.sh: no FAMILY.json in $run" >&2
  exit 1
fi

status=0
mkdir -p "$run/plots"
sections=$(mktemp -d)
trap 'rm -rf "$sections"' EXIT

for f in "${families[@]+"${families[@]}"}"; do
  fam_dir=$root/scripts/families/$f
  if [[ -x $fam_dir/plot.sh ]]; then
    if ! "$fam_dir/plot.sh" "$run" >"$sections/$f.plot" 2>&1; then
      echo "report.sh: $f: plot.sh failed:" >&2
      sed 's/^/  /' "$sections/$f.plot" >&2
      status=1
    fi
  fi
  if [[ -x $fam_dir/summary.py ]]; then
    "$fam_dir/summary.py" "$run" >"$sections/$f.txt" 2>"$sections/$f.err"
  else
    { echo "$f:"; python3 "$root/scripts/lib/results.py" "$run/$f.json"; } \
      >"$sections/$f.txt" 2>"$sections/$f.err"
  fi
  if (($? != 0)); then
    echo "report.sh: $f: summary failed:" >&2
    sed 's/^/  /' "$sections/$f.err" >&2
    echo "$f: summary failed: $(tail -n 1 "$sections/$f.err")" >"$sections/$f.txt"
    status=1
  fi
done

# One header line about the machine, from machine.json.
machine=$(python3 - "$run/machine.json" <<'PY'
import json, sys
try:
    m = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("machine: (no machine.json)")
    sys.exit(0)
v = m.get("virtualisation", {})
virt = v.get("systemd_detect_virt", "?") if isinstance(v, dict) else v
if isinstance(v, dict) and v.get("cpuinfo_hypervisor_flag"):
    virt += ", hypervisor"
if m.get("hypervisor") not in (None, "none"):
    virt += " (%s)" % m.get("hypervisor")
print("machine: %s, %s CPUs, %s MiB; kernel %s; virtualisation %s; governor %s; THP %s"
      % (m.get("cpu_model"), m.get("cpus_online"), m.get("memory_mib"),
         m.get("kernel", "?").split()[0], virt, m.get("governor"), m.get("thp_enabled")))
print("built with %s; Google Benchmark %s; proclab %s%s"
      % (m.get("compiler"), m.get("google_benchmark"), str(m.get("proclab_commit"))[:12],
         " (modified)" if m.get("proclab_tree_modified") else ""))
PY
)

# The answers first (scripts/answers.py: computed from the JSON), with one
# ASCII plot for readers on a terminal.
if ! python3 "$root/scripts/answers.py" --plot "$run" >"$sections/answers.txt" 2>"$sections/answers.err"; then
  echo "report.sh: answers.py failed:" >&2
  sed 's/^/  /' "$sections/answers.err" >&2
  status=1
fi

{
  echo "proclab benchmark summary: $run"
  [[ -f $run/INCOMPLETE ]] && cat "$run/INCOMPLETE"
  [[ -f $run/FAILED ]] && cat "$run/FAILED"
  echo "$machine"
  echo
  cat "$sections/answers.txt"
  for f in "${families[@]+"${families[@]}"}"; do
    echo
    cat "$sections/$f.txt"
  done
} >"$run/summary.txt"

{
  name=${run%/}; name=${name##*/}
  echo "# proclab benchmark report: $name"
  echo
  [[ -f $run/INCOMPLETE ]] && { echo "**$(cat "$run/INCOMPLETE")**"; echo; }
  [[ -f $run/FAILED ]] && { echo "**$(cat "$run/FAILED")**"; echo; }
  sed 's/^/    /' <<<"$machine"
  echo
  echo "Full machine description: [machine.json](machine.json); exact commands:"
  echo "[command.txt](command.txt). How to read these numbers: docs/methodology.md."
  echo
  echo "## Answers"
  echo
  echo '```text'
  cat "$sections/answers.txt"
  echo '```'
  for f in "${families[@]+"${families[@]}"}"; do
    echo
    echo "## $f"
    echo
    for p in "$run"/plots/"$f"_*.png; do
      [[ -f $p ]] || continue
      b=${p##*/}
      echo "![${b%.png}](plots/$b) ([SVG](plots/${b%.png}.svg))"
      echo
    done
    echo '```text'
    cat "$sections/$f.txt"
    echo '```'
  done
} >"$run/report.md"

if ! python3 "$root/scripts/report_html.py" "$run"; then
  echo "report.sh: report_html.py failed" >&2
  status=1
fi

cat "$run/summary.txt"
exit $status

#!/usr/bin/env bash
# scripts/families/python/run.sh RUNDIR SUITE BINDIR [FILTER]: the Python and
# shell probe as a family of scripts/bench.sh -- writes RUNDIR/python.json.
# Debian's /usr/bin/python3, never a version manager's (probe.py's
# interpreter line).  Exit: probe.py's (0 ran, 1 a benchmark failed, 2 bad
# arguments or a filter that matches none of its benchmarks).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -lt 3 || $# -gt 4 || $1 == -* ]]; then
  echo "Usage: run.sh RUNDIR quick|full BINDIR [FILTER]" >&2
  exit 2
fi
args=("--$2" --out "$1/python.json")
[[ $# -eq 4 ]] && args+=(--filter "$4")
exec "$here/probe.py" "${args[@]}"

#!/usr/bin/env bash
# scripts/families/pool/extra.sh RUNDIR BINDIR: the pool family's extra run for
# scripts/bench.sh -- one short traced run of the shm pool (bench_pool
# --trace), saved as RUNDIR/pool_trace.csv for the timeline plot.
set -euo pipefail
if [[ $# -ne 2 || $1 == -* ]]; then
  echo "Usage: extra.sh RUNDIR BINDIR" >&2
  exit 2
fi
exec "$2/bench_pool" --trace="$1/pool_trace.csv"

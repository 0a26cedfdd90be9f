#!/usr/bin/env bash
# scripts/bench.sh: run the benchmark families and keep everything in one folder.
#
# Runs build/bin/bench_FAMILY for every family that is built (spawn, ipc,
# sync in that order, then any other; then the script families such as the
# Python probe, scripts/families/NAME/run.sh), each with Google Benchmark's
# JSON written to RUN/FAMILY.json, then scripts/report.sh RUN for the CSV, plots
# (gnuplot), summary.txt and report.md.  RUN is results/HOST-UTCSTAMP
# (never an existing folder; results/latest points at the newest) unless
# --out says otherwise.  RUN/command.txt has every command exactly as run;
# RUN/machine.json describes the machine (scripts/machine.py).
#
# Progress goes to stderr (family, benchmark i of n, seconds); the summary
# and the folder's name to stdout.  Ctrl-C stops the running family (its
# partner processes die with it) and leaves RUN/INCOMPLETE saying so.
#
# Usage: scripts/bench.sh [--quick|--full] [--out DIR] [--only FAMILY[,FAMILY]] [--filter REGEX] [--help]
# A family that exits 1 ran but some of its benchmarks ended with an error:
# its results are kept and reported, those benchmarks shown as FAILED
# (RUN/FAILED names them).
# Exit: 0 all ran, 1 a family or some benchmarks failed, or nothing to run,
#       2 bad arguments, 130 interrupted.
set -uo pipefail
# Our Python needs only the standard library of Debian's python3 (deps.sh
# installs it); prefer it over a version manager's shim on PATH, whose
# start-up alone can cost ten times more than the script.
[[ -x /usr/bin/python3 ]] && PATH=/usr/bin:$PATH
cd "$(dirname "$0")/.."
root=$PWD
build=${PROCLAB_BUILD:-build}
[[ $build == /* ]] || build=$root/$build
bin=$build/bin

usage() {
  echo "Usage: scripts/bench.sh [--quick|--full] [--out DIR] [--only FAMILY[,FAMILY]] [--filter REGEX] [--help]"
}
bad() {
  echo "bench.sh: $*" >&2
  usage >&2
  exit 2
}

suite=quick out='' only='' filter='' have_filter=0
while (($#)); do
  case $1 in
    --quick) suite=quick ;;
    --full) suite=full ;;
    --out|--only|--filter)
      (($# >= 2)) || bad "$1 needs a value"
      case $1 in
        --out) out=$2 ;;
        --only) only=$2 ;;
        --filter) filter=$2 have_filter=1 ;;
      esac
      shift ;;
    --out=*) out=${1#*=} ;;
    --only=*) only=${1#*=} ;;
    --filter=*) filter=${1#*=} have_filter=1 ;;
    -h|--help)
      usage
      sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) bad "unknown argument '$1'" ;;
  esac
  shift
done

# ---------------------------------------------------------------- families
# spawn, ipc, sync first (cheapest question first), then the rest by name.
families=()
for f in spawn ipc sync; do
  [[ -x $bin/bench_$f ]] && families+=("$f")
done
for b in "$bin"/bench_*; do
  [[ -x $b ]] || continue
  f=${b##*/bench_}
  [[ " ${families[*]} " == *" $f "* ]] || families+=("$f")
done
# Families that are scripts, not binaries: scripts/families/NAME/run.sh
# RUNDIR SUITE BINDIR [FILTER] writes RUNDIR/NAME.json (the Python and shell
# probe); exit 0 ran, 1 some benchmarks failed, 2 the filter matched none.
for r in scripts/families/*/run.sh; do
  [[ -x $r ]] || continue
  f=$(basename "$(dirname "$r")")
  [[ -x $bin/bench_$f || " ${families[*]} " == *" $f "* ]] || families+=("$f")
done
if [[ -n $only ]]; then
  IFS=, read -ra wanted <<<"$only"
  for f in "${wanted[@]}"; do
    [[ " ${families[*]} " == *" $f "* ]] ||
      bad "no family '$f' (built: ${families[*]:-none}; run make)"
  done
  families=("${wanted[@]}")
fi
if ((${#families[@]} == 0)); then
  echo "bench.sh: no benchmark binaries in $bin; run make first" >&2
  exit 1
fi

# ---------------------------------------------------------------- run folder
host=$(hostname -s 2>/dev/null || hostname)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [[ -z $out ]]; then
  mkdir -p results
  run=results/$host-$stamp
  n=2
  while ! mkdir "$run" 2>/dev/null; do   # mkdir is atomic: never reuse a folder
    run=results/$host-$stamp-$n
    n=$((n + 1))
  done
  link_latest=1
else
  if [[ -e $out && -n $(ls -A "$out" 2>/dev/null) ]]; then
    echo "bench.sh: $out exists and is not empty; not overwriting it" >&2
    exit 1
  fi
  mkdir -p "$out" || exit 1
  run=$out
  link_latest=0
fi
commands=$run/command.txt

record() {  # append one command, shell-quoted, to command.txt
  local q=()
  for a in "$@"; do q+=("$(printf '%q' "$a")"); done
  echo "${q[*]}" >>"$commands"
}

{
  echo "# proclab benchmark run $stamp ($suite suite), commands as run, from $root"
  echo "# (PROCLAB_BUILD=$build)"
} >"$commands"
invocation=(scripts/bench.sh "--$suite")
[[ -n $out ]] && invocation+=(--out "$out")
[[ -n $only ]] && invocation+=(--only "$only")
((have_filter)) && invocation+=(--filter "$filter")
record "${invocation[@]}"
record scripts/machine.py
PROCLAB_BIN=$bin scripts/machine.py >"$run/machine.json" || echo "bench.sh: machine.py failed" >&2

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
tty=0
[[ -t 2 ]] && tty=1

# ---------------------------------------------------------------- interrupts
current='' child=''
interrupted() {
  trap '' INT TERM
  if [[ -n $child ]]; then
    kill -TERM "$child" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  ((tty)) && echo >&2
  # A family stopped mid-way leaves a cut JSON: keep it, under another name.
  if [[ -n $current && -f $run/$current.json ]] &&
     ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$run/$current.json" 2>/dev/null; then
    mv "$run/$current.json" "$run/$current.json.partial"
  fi
  echo "INCOMPLETE: interrupted during family '${current:-none}' at $(date -u +%H:%M:%SZ);" \
       "results here are partial" >"$run/INCOMPLETE"
  echo "bench.sh: interrupted; partial results in $run (see INCOMPLETE)" >&2
  scripts/report.sh "$run" >/dev/null 2>&1
  exit 130
}
trap interrupted INT TERM

# ---------------------------------------------------------------- run
progress() {  # family done total seconds last-name
  local msg
  msg=$(printf '[%s] benchmark %d of %d, %d s' "$1" "$2" "$3" "$4")
  [[ -n $5 ]] && msg+=" ($5)"
  if ((tty)); then printf '\r\033[K%s' "$msg" >&2; else echo "$msg" >&2; fi
}

# Benchmarks finished so far: names of the list seen in the console log.
done_count() {  # listfile logfile
  awk 'NR == FNR { want[$1] = 1; next }
       { n = $1; sub(/_(mean|median|stddev|cv)$/, "", n)
         if ((n in want) && !(n in seen)) { seen[n] = 1; c++; last = n } }
       END { printf "%d %s\n", c, last }' "$1" "$2"
}

failed=() errored=()
t_start=$SECONDS
run_script_family() {  # FAMILY: run its run.sh, progress in seconds
  local fam=$1 rc t0=$SECONDS
  local cmd=(scripts/families/$fam/run.sh "$run" "$suite" "$bin")
  ((have_filter)) && cmd+=("$filter")
  record "${cmd[@]}"
  "${cmd[@]}" >"$run/$fam.log" 2>&1 &
  child=$!
  while kill -0 "$child" 2>/dev/null; do
    ((tty)) && progress "$fam" 0 1 $((SECONDS - t0)) ""
    sleep 0.5
  done
  wait "$child"
  rc=$?
  child=''
  progress "$fam" 1 1 $((SECONDS - t0)) "done, exit $rc"
  ((tty)) && echo >&2
  if ((rc == 2)) && [[ ! -s $run/$fam.json ]] && ((have_filter)); then
    echo "bench.sh: $fam: no benchmark matches the filter; skipped" >&2
    rm -f "$run/$fam.log"
  elif ((rc == 1)) && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$run/$fam.json" 2>/dev/null; then
    echo "bench.sh: $fam: some benchmarks failed (see $run/$fam.log)" >&2
    errored+=("$fam: see $fam.log")
  elif ((rc != 0)) || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$run/$fam.json" 2>/dev/null; then
    echo "bench.sh: $fam exited $rc (see $run/$fam.log)" >&2
    failed+=("$fam")
  fi
}

# The CPUs' own speed, between families (build/bin/cpu_steady: a fixed
# loop of about 9 ms timed 5 times on each CPU): machine.py --after turns
# its spread into machine.json's cpu_speed_cv -- a neighbour on the host
# that slows the vCPUs shows there, not in the guest's load.
steady_csv=$run/cpu_steadiness.csv
checkpoint() {  # LABEL
  [[ -x $bin/cpu_steady ]] || return 0
  [[ -s $steady_csv ]] || echo "label,cpu,index,ns" >"$steady_csv"
  "$bin/cpu_steady" --label "$1" >>"$steady_csv" 2>>"$run/cpu_steady.log" ||
    echo "bench.sh: cpu_steady failed (see $run/cpu_steady.log)" >&2
}
checkpoint start

for fam in "${families[@]}"; do
  current=$fam
  exe=$bin/bench_$fam
  if [[ ! -x $exe ]]; then
    run_script_family "$fam"
    checkpoint "after_$fam"
    continue
  fi
  args=("--suite=$suite")
  ((have_filter)) && args+=("--benchmark_filter=$filter")
  list=$run/.$fam.list
  "$exe" "${args[@]}" --benchmark_list_tests >"$list" 2>"$run/$fam.log"
  rc=$?
  # A filter that matches none of this family's benchmarks: exit 2 with
  # Google Benchmark's "Failed to match" (another family may match it).
  if ((rc == 2)) && grep -q '^Failed to match any benchmarks' "$run/$fam.log"; then
    : >"$list"
  elif ((rc != 0)); then
    echo "bench.sh: $fam: listing the benchmarks failed (see $run/$fam.log)" >&2
    failed+=("$fam"); rm -f "$list"; continue
  fi
  total=$(grep -c . "$list")
  if ((total == 0)); then
    echo "bench.sh: $fam: no benchmark matches the filter; skipped" >&2
    rm -f "$list" "$run/$fam.log"; continue
  fi
  args+=("--benchmark_out=$run/$fam.json" "--benchmark_out_format=json"
         "--benchmark_context=proclab_commit=$commit")
  record "$exe" "${args[@]}"
  t0=$SECONDS
  "$exe" "${args[@]}" >"$run/$fam.log" 2>&1 &
  child=$!
  shown=-1
  while kill -0 "$child" 2>/dev/null; do
    read -r n last < <(done_count "$list" "$run/$fam.log")
    if ((tty)) || ((n != shown)); then
      progress "$fam" "$n" "$total" $((SECONDS - t0)) "${last:-}"
      shown=$n
    fi
    sleep 0.5
  done
  wait "$child"
  rc=$?
  child=''
  read -r n last < <(done_count "$list" "$run/$fam.log")
  progress "$fam" "$n" "$total" $((SECONDS - t0)) "done, exit $rc"
  ((tty)) && echo >&2
  rm -f "$list"
  if ((rc == 1)) && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$run/$fam.json" 2>/dev/null; then
    # Exit 1: the family ran, some benchmarks ended with an error (named on
    # its stderr).  Its results stay; the report shows those as FAILED.
    names=$(sed -n "s/^bench_$fam: [0-9]* benchmarks\{0,1\} failed: //p" "$run/$fam.log" | tail -n 1)
    echo "bench.sh: $fam: some benchmarks failed: ${names:-see $run/$fam.log}" >&2
    errored+=("$fam: ${names:-see $fam.log}")
  elif ((rc != 0)); then
    echo "bench.sh: $fam exited $rc (see $run/$fam.log)" >&2
    failed+=("$fam")
  elif ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$run/$fam.json" 2>/dev/null; then
    echo "bench.sh: $fam wrote no valid JSON (see $run/$fam.log)" >&2
    failed+=("$fam")
  fi
  # A family's extra runs, declared in its script folder (bench_pool's
  # traced run for the timeline; ipc's and pool's MPI runs): scripts/families/
  # FAMILY/extra.sh RUNDIR BINDIR, the filter (if any) in PROCLAB_BENCH_FILTER.
  if [[ -x scripts/families/$fam/extra.sh && -f $run/$fam.json ]]; then
    record "scripts/families/$fam/extra.sh" "$run" "$bin"
    PROCLAB_BENCH_FILTER=$( ((have_filter)) && printf '%s' "$filter") \
      "scripts/families/$fam/extra.sh" "$run" "$bin" >>"$run/$fam.log" 2>&1 ||
      echo "bench.sh: $fam: extra.sh failed (see $run/$fam.log)" >&2
  fi
  checkpoint "after_$fam"
done
current=''

# The CPU-pair heatmap: 64-byte ping-pong on every ordered pair of CPUs
# (bench_ipc --pairs=all; shm_spin).  n CPUs make n(n-1) pairs, so the
# quick suite does it only up to 8 CPUs; the full suite always.
ncpu=$(nproc 2>/dev/null || echo 1)
if [[ " ${families[*]} " == *" ipc "* ]] && ((!have_filter)) && ((ncpu >= 2)) &&
   [[ ! " ${failed[*]-} " == *" ipc "* ]] && { [[ $suite == full ]] || ((ncpu <= 8)); }; then
  current=ipc_pairs
  pairs=("$bin/bench_ipc" "--suite=$suite" --pairs=all
         "--benchmark_out=$run/ipc_pairs.json" --benchmark_out_format=json
         "--benchmark_context=proclab_commit=$commit")
  record "${pairs[@]}"
  echo "[ipc] every CPU pair ($((ncpu * (ncpu - 1))) pairs)" >&2
  "${pairs[@]}" >"$run/ipc_pairs.log" 2>&1 &
  child=$!
  wait "$child"
  rc=$?
  if ((rc == 1)) && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$run/ipc_pairs.json" 2>/dev/null; then
    # Some pairs failed (named in the log); the others are kept.
    echo "bench.sh: the CPU-pair run: some pairs failed (see $run/ipc_pairs.log)" >&2
    errored+=("ipc_pairs: see ipc_pairs.log")
  elif ((rc != 0)); then
    echo "bench.sh: the CPU-pair run failed (see $run/ipc_pairs.log)" >&2
    rm -f "$run/ipc_pairs.json"
  fi
  child='' current=''
fi
elapsed=$((SECONDS - t_start))
echo "# benchmarks ran for $elapsed s" >>"$commands"
# The load average after the run, beside the one before: a report can tell
# a run that other processes disturbed.
scripts/machine.py --after "$run/machine.json" || echo "bench.sh: machine.py --after failed" >&2

{
  ((${#failed[@]})) && echo "FAILED families: ${failed[*]} (their .log files say why)"
  ((${#errored[@]})) && printf 'FAILED benchmarks (the rest of the family ran) in %s\n' "${errored[@]}"
} >"$run/FAILED"
[[ -s $run/FAILED ]] || rm -f "$run/FAILED"
record scripts/report.sh "$run"
scripts/report.sh "$run" >/dev/null || echo "bench.sh: report.sh failed" >&2

if ((link_latest)); then
  ln -sfn "${run#results/}" results/latest.tmp && mv -T results/latest.tmp results/latest
fi
[[ -f $run/summary.txt ]] && cat "$run/summary.txt"
echo
echo "results: $run$( ((link_latest)) && echo ' (results/latest)') — benchmarks took $elapsed s"
((${#failed[@]} == 0 && ${#errored[@]} == 0))

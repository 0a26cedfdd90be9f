#!/usr/bin/env bash
# scripts/docs_pictures.sh: draw the pictures the lab pages show, into docs/img/.
#
# Usage: docs_pictures.sh [--bin DIR] [--out DIR] [NAME...]
#
# Each picture is one lab run with --timeline or --fd-table, drawn by
# scripts/timeline.sh or scripts/fd_table.py; the page quotes the same
# command.  Labs run with descriptors 0, 1, 2 on /dev/null and every other
# descriptor closed, so an fd table shows the lab's own descriptors only (on
# a terminal, 0, 1 and 2 are /dev/pts/N).  With NAMEs, only those pictures
# (see --list).  --bin DIR takes the labs from DIR (default build/bin);
# --out DIR writes the pictures there instead of docs/img.
# Exit status: 0 drawn, 1 a lab or a drawing failed, 2 bad arguments.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
out=$root/docs/img

# name | lab and its arguments | drawn with | title
pictures=(
  "fork_basics_timeline|fork_basics -n 3|timeline|fork_basics -n 3: fork, run, exit, wait"
  "wait_status_timeline|wait_status --subreaper|timeline|wait_status --subreaper: how each child ends, the zombie, the orphan"
  "deadlock_timeline|deadlock --timeout-ms 200|timeline|deadlock --timeout-ms 200: each holds one lock and waits for the other"
  "deadlock_trylock_timeline|deadlock --fix trylock|timeline|deadlock --fix trylock: back off, retry, both finish"
  "semaphore_timeline|semaphore --procs 5 --slots 2|timeline|semaphore: 5 processes, 2 slots: never more than 2 inside"
  "producer_consumer_static_timeline|producer_consumer --distribution static --work-us 200 -n 3000|timeline|static: consumer 1 has the heavy block"
  "producer_consumer_dynamic_timeline|producer_consumer --distribution dynamic --work-us 200 -n 3000|timeline|dynamic: both consumers busy to the end"
  "pipe_basics_fds|pipe_basics|fd_table|pipe_basics: the fd tables around fork"
  "popen2_fds|popen2 --bytes 10 -- cat|fd_table|popen2 -- cat: three pipes, the child's ends on 0 1 2"
  "fd_passing_fds|fd_passing|fd_table|fd_passing: SCM_RIGHTS gives the child its own fd to the same file"
  "mapreduce_sum_timeline|mapreduce_sum --elements 2M --workers 2|timeline|mapreduce_sum: the serial parts (input, split, merge) around the parallel map"
  "supervisor_timeline|supervisor --workers 2 --duration 2 --task-ms 50 --crash-after 2 --backoff-ms 100|timeline|supervisor: worker 1 aborts and is restarted after a doubling back-off"
)

names=()
while (($#)); do
  case $1 in
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --list) for p in "${pictures[@]}"; do echo "${p%%|*}"; done; exit 0 ;;
    --bin) (($# >= 2)) || { echo "docs_pictures.sh: --bin needs a directory" >&2; exit 2; }
           bin=$(cd "$2" && pwd); shift 2 ;;
    --out) (($# >= 2)) || { echo "docs_pictures.sh: --out needs a directory" >&2; exit 2; }
           out=$2; shift 2 ;;
    -*) echo "docs_pictures.sh: unknown option '$1'" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/docs_pictures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
found=0
for p in "${pictures[@]}"; do
  IFS='|' read -r name cmd kind title <<<"$p"
  if ((${#names[@]})); then
    [[ " ${names[*]} " == *" $name "* ]] || continue
  fi
  found=$((found + 1))
  read -r -a argv <<<"$cmd"
  flag=--timeline
  [[ $kind == fd_table ]] && flag=--fd-table
  # The lab's own arguments, then the recording option before any "--".
  args=()
  inserted=0
  for a in "${argv[@]:1}"; do
    if [[ $a == -- && $inserted == 0 ]]; then args+=("$flag" "$tmp/$name.csv"); inserted=1; fi
    args+=("$a")
  done
  ((inserted)) || args+=("$flag" "$tmp/$name.csv")
  echo "$name: ${argv[0]} ${args[*]}"
  # close_fds: only 0, 1, 2 (on /dev/null) reach the lab.  Exit 3 is the
  # deadlock lab's "deadlock detected", which is what its picture shows.
  (cd "$tmp" && /usr/bin/python3 -c '
import subprocess, sys
rc = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, close_fds=True).returncode
sys.exit(0 if rc in (0, 3) else 1)' "$bin/${argv[0]}" "${args[@]}") ||
    { echo "docs_pictures.sh: $cmd failed" >&2; exit 1; }
  if [[ $kind == timeline ]]; then
    "$root/scripts/timeline.sh" "$tmp/$name.csv" "$out/$name.svg" --title "$title"
  else
    /usr/bin/python3 "$root/scripts/fd_table.py" "$tmp/$name.csv" "$out/$name.svg" --title "$title"
  fi
done
((found)) || { echo "docs_pictures.sh: no picture named ${names[*]} (see --list)" >&2; exit 2; }

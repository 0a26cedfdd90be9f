#!/usr/bin/env bash
# scripts/share.sh: pack one benchmark run into one small archive to send.
#
# The archive (RUN.tar.gz, beside the run folder unless --out says where)
# holds what a colleague needs to read and compare the run: machine.json,
# every FAMILY.json, the CSV files, plots, summary.txt, report.md/.html,
# command.txt and INCOMPLETE/FAILED when present; not the console logs.
# `make compare A=RUN.tar.gz B=OTHER` reads it back as it is.
#
# Usage: scripts/share.sh [--out FILE.tar.gz] [RUN]      (RUN: default results/latest)
# Prints the archive's path.  Exit: 0 written, 1 failed, 2 bad arguments
# (no such run folder, not a run, an existing --out file).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "Usage: scripts/share.sh [--out FILE.tar.gz] [RUN]"; }
bad() { echo "share.sh: $*" >&2; usage >&2; exit 2; }

out='' run=''
while (($#)); do
  case $1 in
    -h|--help) usage; sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --out) (($# >= 2)) || bad "--out needs a value"; out=$2; shift ;;
    --out=*) out=${1#*=} ;;
    -*) bad "unknown option '$1'" ;;
    *) [[ -z $run ]] || bad "one run at a time ('$run' and '$1')"; run=$1 ;;
  esac
  shift
done
run=${run:-results/latest}
[[ -d $run ]] || bad "no run folder '$run' (make bench writes one)"
run=$(cd "$run" && pwd -P)              # results/latest is a link
ls "$run"/*.json >/dev/null 2>&1 || bad "'$run' holds no benchmark JSON: not a run folder"
name=${run##*/}
[[ -n $out ]] || out=$(dirname "$run")/$name.tar.gz
[[ $out == *.tar.gz ]] || bad "--out must end in .tar.gz"
[[ ! -e $out ]] || bad "$out exists; not overwriting it"

files=()
for f in "$run"/*.json "$run"/*.csv "$run"/summary.txt "$run"/report.md \
         "$run"/report.html "$run"/command.txt "$run"/INCOMPLETE "$run"/FAILED; do
  [[ -f $f ]] && files+=("$name/${f##*/}")
done
[[ -d $run/plots ]] && files+=("$name/plots")
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
tar -czf "$tmp" -C "$(dirname "$run")" "${files[@]}"
mv "$tmp" "$out"
trap - EXIT
echo "$out"

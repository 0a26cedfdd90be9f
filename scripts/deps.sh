#!/usr/bin/env bash
# scripts/deps.sh: install the Debian/Ubuntu packages proclab needs.
#
# Prints nothing and exits 0 when everything is present.  Otherwise installs
# what is missing with apt-get (as root, or through sudo), or, when it cannot,
# says exactly what to run and exits 1.  `make test` and `make bench` run it
# first, so a fresh machine needs no other set-up step.
set -euo pipefail

# One line per package, with the reason it is here.
PACKAGES=(
  build-essential     # cc, c++, make
  libbenchmark-dev    # Google Benchmark: every benchmark driver
  libbenchmark-tools  # compare.py: comparing two runs
  libhwloc-dev        # CPU topology for placement
  hwloc               # lstopo, for the machine description
  libcmocka-dev       # C unit tests
  bats                # program tests
  bats-support
  bats-assert
  gnuplot-nox         # every plot
  python3             # report, CSV and comparison scripts (standard library only)
  parallel            # GNU parallel: the shell probe's per-task process start (python family)
  procps              # ps, pgrep: tests look for stray processes
  util-linux          # ipcs, setsid, taskset
  file                # tests check what kind of file a plot is
  chromium            # a test renders the HTML report headless
  strace              # docs/labs/debugging.md recipes and their test
  gdb                 # docs/labs/debugging.md: follow-fork-mode child on a worker
  openmpi-bin         # mpirun: labs/distributed and the MPI rows of the ipc and pool families
  libopenmpi-dev      # mpicc and mpi.h for labs/distributed and bench/mpi
  stress-ng           # make test-stress: the lab suite under CPU load
)

names=()
for p in "${PACKAGES[@]}"; do names+=("${p%%#*}"); done

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps: this is not a Debian/Ubuntu system; install the equivalents of:" >&2
  echo "  ${names[*]}" >&2
  exit 1
fi

missing=()
for p in "${names[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "deps: missing packages and no root; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq >&2 ||
   ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
  echo "deps: apt-get failed; run by hand:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

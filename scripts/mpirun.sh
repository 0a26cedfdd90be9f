#!/usr/bin/env bash
# scripts/mpirun.sh: run an MPI program on N ranks of this machine only.
#
# mpirun with what Open MPI needs here, in one place (make mpi-demo, the
# distributed labs' tests and the MPI benchmarks use it):
#   - transports: self (a rank to itself) and vader (shared memory between
#     ranks of one machine); pml ob1; the runtime's own TCP on loopback only,
#     so nothing listens on or sends to the network;
#   - --oversubscribe (more ranks than CPUs is allowed), --bind-to none (a
#     benchmark pins its ranks itself), --allow-run-as-root when root
#     (containers);
#   - Open MPI's session files and shared-memory segments in a private
#     /tmp/proclab-UID-PID-XXXXXX directory, removed at the end;
#   - a time limit (--timeout S, default 60): SIGTERM, then SIGKILL 5 s later;
#   - under ASan, no leak report (Open MPI keeps memory until exit).
# Exit: the program's (mpirun's) status; 124 timed out; 2 bad arguments;
#       3 Open MPI is not installed (mpirun not found).
#
# Usage: scripts/mpirun.sh [--np N] [--timeout S] [--] PROGRAM [ARGS...]
set -uo pipefail

usage() { echo "Usage: scripts/mpirun.sh [--np N] [--timeout S] [--] PROGRAM [ARGS...]"; }
bad() { echo "mpirun.sh: $*" >&2; usage >&2; exit 2; }

np=2 limit=60
while (($#)); do
  case $1 in
    --np|--timeout)
      (($# >= 2)) || bad "$1 needs a value"
      [[ $2 =~ ^[1-9][0-9]{0,3}$ ]] || bad "$1: '$2' is not a number from 1 to 9999"
      if [[ $1 == --np ]]; then np=$2; else limit=$2; fi
      shift 2 ;;
    -h|--help) usage; sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) bad "unknown option '$1'" ;;
    *) break ;;
  esac
done
(($# >= 1)) || bad "no program given"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "mpirun.sh: mpirun not found: install Open MPI (make deps, or apt-get install openmpi-bin libopenmpi-dev)" >&2
  exit 3
fi

dir=$(mktemp -d "/tmp/proclab-$(id -u)-$$-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1
export OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_btl_tcp_if_include=lo
export OMPI_MCA_orte_tmpdir_base=$dir OMPI_MCA_btl_vader_backing_directory=$dir
export OMPI_MCA_orte_base_help_aggregate=1
# Under ASan (make SANITIZE=1) LeakSanitizer would report Open MPI's own
# allocations kept until exit, from components already unloaded (no library
# name to suppress them by): leak checking is off, every other check stays.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)

# timeout runs mpirun in a process group of its own: a Ctrl-C or SIGTERM
# to this script is passed on (timeout forwards it to mpirun, which ends its
# ranks), then the private directory is removed.
timeout --kill-after=5 "$limit" mpirun "${root[@]}" --oversubscribe --bind-to none \
  -np "$np" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' INT TERM
while :; do
  wait "$pid"
  rc=$?
  kill -0 "$pid" 2>/dev/null || break      # wait was cut short by a signal: wait again
done
exit "$rc"

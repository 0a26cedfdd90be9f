#!/usr/bin/env bash
# scripts/test_stress.sh: the lab suite, over and over, on a busy machine.
#
# Runs the lab tests (tests/labs, tests/reliability) ROUNDS times while
# stress-ng keeps two CPUs busy, then the full signal sweep once
# (tests/audit/signals.bats with PROCLAB_AUDIT_FULL=1: every program x
# SIGINT, SIGTERM, SIGKILL x two points).  A test that passes alone but
# fails under load has a race or a timing assumption.  Prints one line per
# round and, last,
#     test-stress: N rounds under stress-ng --cpu 2: F failures (0 wanted)
# Not part of `make test` (it takes ROUNDS times the lab suite).
#
# Usage: scripts/test_stress.sh [--rounds N]     (make test-stress)
# Exit: 0 no failure, 1 failures, 2 bad arguments.
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=10
while (($#)); do
  case $1 in
    --rounds) [[ ${2:-} =~ ^[1-9][0-9]{0,3}$ ]] ||
                { echo "test_stress.sh: --rounds needs 1..9999" >&2; exit 2; }
              rounds=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test_stress.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
if ! command -v stress-ng >/dev/null; then
  echo "test_stress.sh: stress-ng is missing (make deps)" >&2
  exit 1
fi
suites=(tests/labs)
[[ -d tests/reliability ]] && suites+=(tests/reliability)
# For the script's own test: other suites, no sweep.
[[ -n ${PROCLAB_STRESS_TESTS:-} ]] && read -ra suites <<<"$PROCLAB_STRESS_TESTS"

# The load: two CPU hogs in a session of their own, bounded in time, ended
# with their whole group on any exit.
setsid stress-ng --cpu 2 --timeout 4h --quiet </dev/null >/dev/null 2>&1 &
load=$!
stop_load() { kill -TERM -- "-$load" 2>/dev/null; wait "$load" 2>/dev/null; }
trap 'stop_load; exit 130' INT TERM
trap stop_load EXIT

failures=0
log=$(mktemp)
for ((i = 1; i <= rounds; i++)); do
  scripts/run_tests.sh "${suites[@]}" >"$log" 2>&1
  last=$(tail -n 1 "$log")
  f=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' <<<"$last")
  [[ -n $f ]] || f=1                       # no summary line: count the round as failed
  failures=$((failures + f))
  echo "round $i of $rounds: $last"
  grep -E '^not ok' "$log" | sed 's/^/  /'
done
if [[ ${PROCLAB_STRESS_SWEEP:-1} == 1 ]]; then
  PROCLAB_AUDIT_FULL=1 scripts/run_tests.sh tests/audit/signals.bats >"$log" 2>&1
  last=$(tail -n 1 "$log")
  f=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' <<<"$last")
  [[ -n $f ]] || f=1
  failures=$((failures + f))
  echo "full signal sweep: $last"
  grep -E '^not ok|^# #' "$log" | sed 's/^/  /'
fi
rm -f "$log"
echo "test-stress: $rounds rounds under stress-ng --cpu 2: $failures failures (0 wanted)"
((failures == 0))

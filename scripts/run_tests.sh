#!/usr/bin/env bash
# scripts/run_tests.sh [PATH...]: run the C unit tests and the bats tests.
#
# With no PATH: every unit test in $PROCLAB_BUILD/tests and every .bats file
# under tests/.  With PATHs: only those .bats files or directories (and unit
# tests only when tests/unit is named).  Both kinds speak TAP; this script
# counts every "ok" and "not ok" line and ends with one line
#     N passed, N failed[, N skipped]
# exiting 1 when anything failed (a unit-test binary that dies without saying
# "not ok" counts as one failure).
#
# bats runs in a session of its own (setsid) so the leak check in
# tests/helpers/common.bash can find stray processes of this run only.
set -uo pipefail
# Our Python needs only the standard library of Debian's python3 (deps.sh
# installs it); prefer it over a version manager's shim on PATH, whose
# start-up alone can cost ten times more than the script.
[[ -x /usr/bin/python3 ]] && PATH=/usr/bin:$PATH
cd "$(dirname "$0")/.."
build=${PROCLAB_BUILD:-build}
[[ $build == /* ]] || build=$PWD/$build
export PROCLAB_BIN=${PROCLAB_BIN:-$build/bin}
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}

# POSIX message queues are visible in /dev/mqueue only when the mqueue
# filesystem is mounted there (containers often lack it): the labs' tests
# and the leak check look there, so mount it when we can.
if ! grep -qs ' /dev/mqueue mqueue ' /proc/mounts; then
  if [[ $(id -u) -eq 0 ]]; then
    mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue ||
      echo "# warning: could not mount /dev/mqueue; POSIX queue leaks go unseen" >&2
  else
    echo "# warning: /dev/mqueue is not mounted (as root: mount -t mqueue none /dev/mqueue)" >&2
  fi
fi

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {  # add up the TAP lines in $log; sets last_failed
  local p f s
  p=$(grep -cE '^ok ' "$log")
  s=$(grep -cE '^ok .*# (skip|SKIP)' "$log")
  f=$(grep -cE '^not ok ' "$log")
  passed=$((passed + p - s)) skipped=$((skipped + s)) failed=$((failed + f))
  last_failed=$f
}

run_unit=1 bats_paths=()
if (($#)); then
  run_unit=0
  for a in "$@"; do
    if [[ $a == tests/unit* ]]; then run_unit=1; else bats_paths+=("$a"); fi
  done
else
  bats_paths=(tests)
fi

if ((run_unit)); then
  for t in "$build"/tests/test_*; do
    [[ -x $t ]] || continue
    echo "# unit: ${t##*/}"
    CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 120 "$t" >"$log" 2>&1
    rc=$?
    sed 's/^/  /' "$log" | grep -vE '^  (ok|not ok|1\.\.)' || true
    grep -E '^(ok|not ok)' "$log"
    count
    if ((rc != 0 && last_failed == 0)); then
      echo "not ok - ${t##*/} exited with status $rc"
      failed=$((failed + 1))
    fi
  done
fi

if ((${#bats_paths[@]})); then
  echo "# bats: ${bats_paths[*]}"
  setsid -w bats --tap -r "${bats_paths[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  count
  if ((rc != 0 && last_failed == 0)); then
    echo "not ok - bats exited with status $rc"
    failed=$((failed + 1))
  fi
fi

if ((skipped)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))

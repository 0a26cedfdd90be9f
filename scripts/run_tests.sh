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
  # cmocka reports a skipped test as "not ok N # SKIP": a skip, not a failure
  p=$(grep -cE '^ok ' "$log")
  s=$(grep -cE '^(not )?ok .*# (skip|SKIP)' "$log")
  f=$(grep -cE '^not ok ' "$log")
  f=$((f - $(grep -cE '^not ok .*# (skip|SKIP)' "$log")))
  p=$((p + $(grep -cE '^not ok .*# (skip|SKIP)' "$log")))
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

# ---------------------------------------------------------------- bats
# With two CPUs or more, as root, the .bats files run in two halves at once,
# each in private IPC and mount namespaces: its own System V objects, POSIX
# queues (/dev/mqueue), /dev/shm and /tmp, so one half's objects can never
# look like the other's leaks, and a test's clean-up can never touch what
# the other half made.  PROCLAB_TEST_JOBS=1 (or no root, or no unshare)
# runs them one after another in this namespace, as before.

# in_private_namespaces ROOT CMD...: run CMD with fresh /tmp, /dev/shm and
# /dev/mqueue and a new IPC namespace; ROOT (the checkout, maybe under
# /tmp) stays where it is.
in_private_namespaces() {
  env --default-signal=INT,QUIT unshare --ipc --mount --fork -- bash -c '
    root=$1; shift
    mount --make-rprivate / &&
    exec 9<"$root" &&
    mount -t tmpfs -o mode=1777 tmpfs /tmp &&
    mkdir -p "$root" && mount --no-canonicalize --bind /proc/$$/fd/9 "$root" &&
    exec 9<&- &&
    mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
    mount -t mqueue mqueue /dev/mqueue &&
    cd "$root" || { echo "not ok - could not set up private namespaces"; exit 1; }
    exec "$@"' _ "$1" "${@:2}"
}

can_split() {
  [[ ${PROCLAB_TEST_JOBS:-2} != 1 && $(id -u) -eq 0 ]] || return 1
  (($(nproc 2>/dev/null || echo 1) >= 2)) || return 1
  in_private_namespaces "$PWD" true >/dev/null 2>&1
}

run_bats() {  # files or directories...
  # Tests that Ctrl-C a program expect SIGINT's default action: restore it
  # when this script was started with it ignored (nohup, a shell's & job).
  env --default-signal=INT,QUIT setsid -w bats --tap -r "$@" 2>&1
}

if ((${#bats_paths[@]})); then
  echo "# bats: ${bats_paths[*]}"
  mapfile -t files < <(find "${bats_paths[@]}" -name '*.bats' -type f 2>/dev/null | sort)
  if ((${#files[@]} >= 2)) && can_split; then
    # Two halves of about equal weight: a test costs 1, an audit or fault
    # test 4 (they sweep many programs).
    halves=("" "") weight=(0 0)
    while read -r w f; do
      h=0; ((weight[1] < weight[0])) && h=1
      halves[h]+="$f"$'\n'; weight[h]=$((weight[h] + w))
    done < <(for f in "${files[@]}"; do
               w=$(grep -c '^@test' "$f"); [[ $f == tests/audit/* || $f == tests/faults/* ]] && w=$((w * 4))
               echo "$w $f"; done | sort -rn)
    mapfile -t first <<<"${halves[0]%$'\n'}"
    mapfile -t second <<<"${halves[1]%$'\n'}"
    echo "# two halves at once in private namespaces: ${#first[@]} and ${#second[@]} files"
    other=$(mktemp)
    in_private_namespaces "$PWD" bash -c "$(declare -f run_bats); run_bats \"\$@\"" _ "${second[@]}" \
      >"$other" 2>&1 &
    other_pid=$!
    in_private_namespaces "$PWD" bash -c "$(declare -f run_bats); run_bats \"\$@\"" _ "${first[@]}" \
      | tee "$log"
    rc=${PIPESTATUS[0]}
    count
    if ((rc != 0 && last_failed == 0)); then
      echo "not ok - bats (first half) exited with status $rc"
      failed=$((failed + 1))
    fi
    wait "$other_pid"
    rc=$?
    echo "# the second half:"
    cat "$other" | tee "$log"
    rm -f "$other"
    count
    if ((rc != 0 && last_failed == 0)); then
      echo "not ok - bats (second half) exited with status $rc"
      failed=$((failed + 1))
    fi
  else
    run_bats "${bats_paths[@]}" | tee "$log"
    rc=${PIPESTATUS[0]}
    count
    if ((rc != 0 && last_failed == 0)); then
      echo "not ok - bats exited with status $rc"
      failed=$((failed + 1))
    fi
  fi
fi

if ((skipped)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))

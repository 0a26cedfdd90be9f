#!/usr/bin/env bats
# `make clean-ipc` (scripts/clean_ipc.sh) removes every kind of object a dead
# proclab run left, and nothing else: not a live run's objects, not another
# program's System V segment, queue or semaphore set.
# bats file_tags=reliability

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# Keyless System V objects made by a program that is not proclab (a Python
# process that exits at once, as a crashed foreign program would): prints
# "shm ID", "msg ID", "sem ID".
foreign_sysv() {
    /usr/bin/python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
for kind, make in (("shm", lambda: libc.shmget(0, 4096, 0o1600)),
                   ("msg", lambda: libc.msgget(0, 0o1600)),
                   ("sem", lambda: libc.semget(0, 1, 0o1600))):
    ident = make()
    if ident < 0:
        sys.exit("%sget: errno %d" % (kind, ctypes.get_errno()))
    print(kind, ident)'
}

# "msg ID" / "sem ID" / "shm ID" lines of this user's System V objects.
sysv_ids() { proclab_sysv_ids "$PROCLAB_USER"; }

# Start CMD... in the background (fd 3 closed for bats) and wait, at most 5 s,
# until PATTERN (a glob with PID for the lab's pid) names something.
start_and_wait_for() {
    local pattern=$1; shift
    "$@" >/dev/null 2>&1 3>&- &
    lab_pid=$!
    local glob=${pattern//PID/$lab_pid} f
    for _ in {1..500}; do
        for f in $glob; do [[ -e $f ]] && return 0; done
        sleep 0.01
    done
    kill -KILL "$lab_pid"
    fail "$* made no $pattern within 5 s"
}

@test "clean-ipc: a SIGKILLed run's objects of every kind go; a foreign System V segment, queue and set stay" {
    local uid=$PROCLAB_UID
    local -a dead_objects=()
    # Real labs killed mid-run: System V queues and sets with their records,
    # a POSIX queue, a named semaphore, shared memory, a FIFO directory.
    start_and_wait_for "/tmp/proclab-$uid-PID-msg-*" "$PROCLAB_BIN/queue_sysv" -n 1000 -w 100
    kill -KILL "$lab_pid"; wait "$lab_pid" || true
    dead_objects+=(/tmp/proclab-"$uid"-"$lab_pid"-*)
    start_and_wait_for "/tmp/proclab-$uid-PID-sem-*" "$PROCLAB_BIN/race" --lock sysv_sem -n 1000000000
    kill -KILL "$lab_pid"; wait "$lab_pid" || true
    dead_objects+=(/tmp/proclab-"$uid"-"$lab_pid"-*)
    if mountpoint -q /dev/mqueue; then     # POSIX queues are files only there
        start_and_wait_for "/dev/mqueue/proclab-$uid-PID-*" "$PROCLAB_BIN/queue_posix" -n 1000 -w 100
        kill -KILL "$lab_pid"; wait "$lab_pid" || true
        dead_objects+=(/dev/mqueue/proclab-"$uid"-"$lab_pid"-*)
    fi
    start_and_wait_for "/dev/shm/sem.proclab-$uid-PID-*" "$PROCLAB_BIN/semaphore" --kind named -w 3000
    kill -KILL "$lab_pid"; wait "$lab_pid" || true
    dead_objects+=(/dev/shm/sem.proclab-"$uid"-"$lab_pid"-*)
    start_and_wait_for "/dev/shm/proclab-$uid-PID-*" "$PROCLAB_BIN/shared_state" --via shm --hold-ms 5000
    kill -KILL "$lab_pid"; wait "$lab_pid" || true
    dead_objects+=(/dev/shm/proclab-"$uid"-"$lab_pid"-*)
    start_and_wait_for "/tmp/proclab-$uid-PID-*" "$PROCLAB_BIN/fifo" -d 60000 -t 60000 demo
    kill -KILL "$lab_pid"; wait "$lab_pid" || true
    dead_objects+=(/tmp/proclab-"$uid"-"$lab_pid"-*)
    # A plain temp file (logging's log) of a process that is gone.
    true &
    local gone=$!
    wait "$gone"
    mktemp "/tmp/proclab-$uid-$gone-log-XXXXXX" >/dev/null
    dead_objects+=(/tmp/proclab-"$uid"-"$gone"-log-*)
    local -a foreign
    mapfile -t foreign < <(foreign_sysv)
    ((${#foreign[@]} == 3))

    run "$PROCLAB_ROOT/scripts/clean_ipc.sh"
    local left
    left=$(sysv_ids)
    # Before any assertion: the foreign objects must not outlive the test.
    local line
    local -A ipcrm_flag=([shm]=m [msg]=q [sem]=s)
    for line in "${foreign[@]}"; do
        ipcrm -"${ipcrm_flag[${line% *}]}" "${line#* }" 2>/dev/null || true
    done
    assert_success
    local f
    for f in "${dead_objects[@]}"; do
        [[ ! -e $f ]] || fail "$f is still there"
        assert_line "removing $f"
    done
    # The System V objects the killed labs recorded are gone; ...
    local -a recorded=()
    local flag
    for f in "${dead_objects[@]}"; do
        [[ $f =~ -(msg|sem)-([0-9]+)-[^-]*$ ]] && recorded+=("${BASH_REMATCH[1]} ${BASH_REMATCH[2]}")
    done
    ((${#recorded[@]} >= 2)) || fail "the killed labs recorded no System V object: ${dead_objects[*]}"
    for line in "${recorded[@]}"; do
        [[ $'\n'$left$'\n' != *$'\n'"$line"$'\n'* ]] || fail "$line of a killed lab was kept"
        [[ $line == msg* ]] && flag=q || flag=s
        assert_line --partial "removing System V -$flag id ${line#* } (recorded by"
    done
    # ... the foreign ones were there until we removed them above.
    for line in "${foreign[@]}"; do
        [[ $'\n'$left$'\n' == *$'\n'"$line"$'\n'* ]] || fail "foreign $line was removed"
    done
}

@test "clean-ipc: a live run's objects stay, and the runs finish OK beside it" {
    local uid=$PROCLAB_UID
    "$PROCLAB_BIN/queue_sysv" -n 40 -w 20 >"$BATS_TEST_TMPDIR/q.out" 2>&1 3>&- &
    local q=$!
    "$PROCLAB_BIN/race" --lock sysv_sem -n 300000 >"$BATS_TEST_TMPDIR/r.out" 2>&1 3>&- &
    local r=$!
    "$PROCLAB_BIN/queue_posix" -n 20 -w 20 >"$BATS_TEST_TMPDIR/p.out" 2>&1 3>&- &
    local p=$!
    # Wait until each has its objects (bounded), then clean while they run.
    for _ in {1..500}; do
        compgen -G "/tmp/proclab-$uid-$q-msg-*" >/dev/null &&
            compgen -G "/tmp/proclab-$uid-$r-sem-*" >/dev/null &&
            { ! mountpoint -q /dev/mqueue || compgen -G "/dev/mqueue/proclab-$uid-$p-*" >/dev/null; } &&
            break
        sleep 0.01
    done
    run "$PROCLAB_ROOT/scripts/clean_ipc.sh"
    local cleaned=$output
    wait "$q" || fail "queue_sysv failed beside clean-ipc: $(<"$BATS_TEST_TMPDIR/q.out")"
    wait "$r" || fail "race --lock sysv_sem failed beside clean-ipc: $(<"$BATS_TEST_TMPDIR/r.out")"
    wait "$p" || fail "queue_posix failed beside clean-ipc: $(<"$BATS_TEST_TMPDIR/p.out")"
    [[ $cleaned != *"-$q-"* && $cleaned != *"-$r-"* && $cleaned != *"-$p-"* ]] ||
        fail "clean-ipc removed a live run's object: $cleaned"
}

@test "clean-ipc: --sysv-all is gone (exit 2, says why)" {
    run --separate-stderr "$PROCLAB_ROOT/scripts/clean_ipc.sh" --sysv-all
    assert_failure 2
    [[ $stderr == *"--sysv-all is gone"* ]]
}

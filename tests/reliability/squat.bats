#!/usr/bin/env bats
# Names nobody can take first: every POSIX IPC name a lab makes carries 8
# random hex digits (/proclab-UID-PID-RAND-WHAT, lab_ipc_name in labs/lab.h),
# so the old predictable names (/proclab-UID-PID-WHAT, the next pid readable
# from /proc) can be created in advance without stopping any lab.
# bats file_tags=reliability

load '../helpers/common'
setup() { _common_setup; }
teardown() {
    rm -f -- "${squatted[@]}"
    _common_teardown
}

# The predictable names of pid FIRST and the next ones (a squatter reads the
# next pid from /proc/sys/kernel/ns_last_pid), one per line.
squat() {
    local uid=$PROCLAB_UID pid
    # A file made in /dev/mqueue is a real queue, and each costs about 80 KiB
    # of RLIMIT_MSGQUEUE (800 KiB a user): queue names for FIRST only.
    if mountpoint -q /dev/mqueue; then     # else queue names are not files here
        printf '%s\n' /dev/mqueue/proclab-"$uid"-"$1"-q /dev/mqueue/proclab-"$uid"-"$1"-pc0
    fi
    for ((pid = $1; pid < $1 + 5; pid++)); do
        printf '%s\n' /dev/shm/proclab-"$uid"-"$pid"-state /dev/shm/sem.proclab-"$uid"-"$pid"-sem
    done
}

@test "squat: the predictable names of the lab's own pid and the next ones, taken first, stop no lab" {
    local -a cases=(
        "queue_posix -n 3"
        "producer_consumer --via mq -n 200"
        "shared_state --via shm"
        "semaphore --kind named -p 2 -w 10"
    )
    local c pid status
    squatted=()
    for c in "${cases[@]}"; do
        # The subshell squats its own pid's names, then becomes the lab:
        # exec keeps the pid, so the lab meets exactly those names.
        # shellcheck disable=SC2086  # program and arguments
        ( me=$BASHPID; squat "$me" | xargs touch -- && exec "$PROCLAB_BIN"/$c ) >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
        pid=$!
        mapfile -t -O "${#squatted[@]}" squatted < <(squat "$pid")
        status=0
        wait "$pid" || status=$?
        [[ -e /dev/shm/proclab-$PROCLAB_UID-$pid-state ]] || fail "the names were not squatted"
        ((status == 0)) || fail "$c failed beside squatted names (status $status): $(<"$BATS_TEST_TMPDIR/out")"
    done
}

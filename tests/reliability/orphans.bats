#!/usr/bin/env bats
# Children die with their parent: every lab that forks is SIGKILLed mid-run
# (no handler of it can run) and none of its processes may outlive it by more
# than about a second.  labs/lab.h's lab_fork_guarded() is what makes it so
# (PR_SET_PDEATHSIG, with the getppid() race closed).  What the killed labs
# leave in /dev/shm, /dev/mqueue, /tmp and System V is then removed by
# scripts/clean_ipc.sh, which is what a user would run after a kill -9.
# bats file_tags=reliability

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# One lab per line, with arguments that keep it and its children busy for
# well over a second (each is killed about 0.3 s after its children appear).
CASES=(
    "producer_consumer --via mq -n 1000 --work-us 100000"
    "producer_consumer --via sysv -n 1000 --work-us 100000"
    "producer_consumer --via shm -n 1000 --work-us 100000"
    "producer_consumer --via fifo -n 1000 --work-us 100000"
    "queue_sysv -n 1000 -w 100"
    "queue_shm -n 1000 -w 100"
    "queue_posix -n 1000 -w 100"
    "semaphore -w 3000"
    "race -p 2 -n 1000000000"
    "fifo -d 60000 -t 60000 demo"
    "barrier -w 16 -k 1000"
    "condition -n 100000"
    "event -d 60000 -t 60000"
    "logging --mode logger -p 16 -l 100000 -B 200"
    "deadlock -t 60000"
    "duplex -n 1000000"
    "framing -n 1000000"
    "pipe_basics --keep-write-end -t 10000"
    "shared_state --layout packed -i 1000000000"
    "popen2 -t 60 -- sleep 30"
)

# Append PID's children and grandchildren to the array "found".  Builtins
# only (the machine may be busy, and a fork per poll adds up); the children
# of the main thread, from which every lab forks.
collect() {
    local -a kids=()
    local kid
    read -r -a kids 2>/dev/null </proc/"$1"/task/"$1"/children || true
    for kid in "${kids[@]}"; do
        found+=("$kid")
        collect "$kid"
    done
}

# True while PID exists and is not a zombie (a dead child nobody reaped yet).
running() {
    local stat
    read -r stat 2>/dev/null </proc/"$1"/stat || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

@test "orphans: every lab's children die within a second of a SIGKILLed parent" {
    local -a parents=() kids=()
    local i pid state
    local -a found
    SECONDS=0
    for i in "${!CASES[@]}"; do
        # shellcheck disable=SC2086  # the case is split into program and arguments
        "$PROCLAB_BIN"/${CASES[i]} >/dev/null 2>"$BATS_TEST_TMPDIR/err.$i" 3>&- &
        parents[i]=$!
    done
    # Wait (at most 5 s) until every lab has forked, then note its descendants.
    local -a seen=() kid_list=()
    local waiting=1
    while ((waiting && SECONDS < 5)); do
        waiting=0
        for i in "${!CASES[@]}"; do
            ((${seen[i]:-0})) && continue
            kid_list=()
            read -r -a kid_list 2>/dev/null </proc/"${parents[i]}"/task/"${parents[i]}"/children || true
            ((${#kid_list[@]})) && seen[i]=1 || waiting=1
        done
        sleep 0.02
    done
    sleep 0.2
    local missing=""
    for i in "${!CASES[@]}"; do
        found=()
        collect "${parents[i]}"
        kids[i]=${found[*]}
        ((${#found[@]})) || {
            running "${parents[i]}" && state="still runs" || state="ended"
            missing+="  ${CASES[i]}: no child seen, parent $state after ${SECONDS}s: $(<"$BATS_TEST_TMPDIR/err.$i")"$'\n'
        }
        kill -KILL "${parents[i]}" 2>/dev/null || true
    done
    for i in "${!CASES[@]}"; do
        wait "${parents[i]}" 2>/dev/null || true
    done
    # Give the kernel's SIGKILL to the orphans up to 1.5 s to land.
    local left=""
    for _ in {1..150}; do
        left=""
        for i in "${!CASES[@]}"; do
            for pid in ${kids[i]}; do
                running "$pid" && left+="  ${CASES[i]}: pid $pid still runs"$'\n'
            done
        done
        [[ -z $left ]] && break
        sleep 0.01
    done
    # Never leave a process behind, whatever the verdict.
    for i in "${!CASES[@]}"; do
        for pid in ${kids[i]}; do kill -KILL "$pid" 2>/dev/null || true; done
    done
    run "$PROCLAB_ROOT/scripts/clean_ipc.sh"
    [[ -z $missing ]] || fail "labs that never forked:"$'\n'"$missing"
    [[ -z $left ]] || fail "children outlived their SIGKILLed parent by 1.5 s:"$'\n'"$left"
}

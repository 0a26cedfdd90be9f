#!/usr/bin/env bats
# Faults for the benchmark harness: a benchmark killed with SIGKILL (no
# handler runs) must not leave its partner processes behind.
# bats file_tags=faults,bench

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The state letter of a process, empty once it is gone.
state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true; }

@test "bench_ipc SIGKILLed mid-run: the partners of posix_mq, sysv_mq, shm_futex, shm_sem and eventfd die with it" {
    declare -A bench partner
    for m in posix_mq sysv_mq shm_futex shm_sem eventfd; do
        bench_ipc --benchmark_filter="ipc_latency/$m/bytes:64/cross:1" \
            --benchmark_min_time=5 >/dev/null 2>&1 </dev/null 3>&- &
        bench[$m]=$!
    done
    for m in "${!bench[@]}"; do          # each benchmark's partner is running
        b=${bench[$m]} kids=
        for _ in $(seq 200); do
            read -r kids <"/proc/$b/task/$b/children" 2>/dev/null || true
            [[ -n $kids ]] && break
            sleep 0.02
        done
        [[ -n $kids ]] || { echo "$m: no partner appeared"; false; }
        partner[$m]=$kids
    done
    # Into the timed loop, where the partner blocks.  The System V queue
    # must have carried a message (its last sender and receiver are how we
    # find it to remove it below: it has no creator pid).
    q="${bench[sysv_mq]} ${partner[sysv_mq]}"
    for _ in $(seq 250); do
        awk -v p=" $q " 'NR > 1 && (index(p, " " $6 " ") || index(p, " " $7 " ")) { f = 1 } END { exit !f }' \
            /proc/sysvipc/msg && break
        sleep 0.02
    done
    sleep 0.3
    for m in "${!bench[@]}"; do kill -KILL "${bench[$m]}"; done
    for m in "${!bench[@]}"; do wait "${bench[$m]}" || true; done
    for m in "${!partner[@]}"; do        # each partner ends (a zombie until init reaps it)
        p=${partner[$m]}
        for _ in $(seq 150); do [[ $(state "$p") == [RSDT] ]] || break; sleep 0.02; done
        [[ $(state "$p") != [RSDT] ]] || { echo "$m: partner $p still running"; false; }
    done
    # SIGKILL leaves what only a handler would remove: our own cleanup,
    # by the creators' pids (named objects carry them; System V queues
    # name the last sender and receiver).
    for m in "${!bench[@]}"; do
        # a queue made just before the kill has carried nothing yet: its
        # record (/tmp/proclab-UID-PID-msg-ID-*) names it
        for rec in /tmp/proclab-"$PROCLAB_UID"-"${bench[$m]}"-msg-*; do
            [[ $rec =~ -msg-([0-9]+)- ]] && ipcrm -q "${BASH_REMATCH[1]}" 2>/dev/null
        done
        rm -rf /dev/shm/proclab-"$PROCLAB_UID"-"${bench[$m]}"-* \
               /dev/mqueue/proclab-"$PROCLAB_UID"-"${bench[$m]}"-* \
               /tmp/proclab-"$PROCLAB_UID"-"${bench[$m]}"-*
        awk -v a="${bench[$m]}" -v b="${partner[$m]}" \
            'NR > 1 && ($6 == a || $6 == b || $7 == a || $7 == b) { print $2 }' \
            /proc/sysvipc/msg | xargs -r -n1 ipcrm -q
    done
}

#!/usr/bin/env bats
# Fault injection: programs run where the system refuses them something
#   - RLIMIT_NPROC=1 (prlimit; as an unprivileged user: root is exempt)
#     -> fork() and thread creation fail;
#   - RLIMIT_NOFILE=4 or 5 (prlimit) -> pipe(), socketpair(), open() fail;
#   - no POSIX message queue may be created (queues_max 0 in a private IPC
#     namespace, with /dev/mqueue mounted in a private mount namespace);
#   - a full /dev/shm (a 4 KiB tmpfs, filled, in a private mount namespace).
# Each must end with a clear message and a non-zero exit (not a signal),
# within its time limit, with no process and no IPC object left.  The
# namespace faults need root (unshare --ipc --mount): skipped otherwise.
# bats file_tags=audit

load '../helpers/common'
setup() { _common_setup; problems=(); }
teardown() { _common_teardown; }

LIMIT=20     # seconds per run

# One small benchmark per family: enough to meet the fault.
BENCH_SYNC=(bench_sync --benchmark_filter=^sync/mutex/procs:2/ --benchmark_repetitions=1
            --benchmark_min_time=0.01)
BENCH_IPC_PIPE=(bench_ipc --benchmark_filter=^ipc_latency/pipe/bytes:64/cross:0
                --benchmark_repetitions=1 --benchmark_min_time=0.01)
BENCH_IPC_MQ=(bench_ipc --benchmark_filter=^ipc_latency/posix_mq/bytes:64/cross:0
              --benchmark_repetitions=1 --benchmark_min_time=0.01)
BENCH_SPAWN=(bench_spawn --benchmark_filter=^spawn/fork/rss_mib:0 --benchmark_repetitions=1
             --benchmark_min_time=0.01)

# expect_clear_failure LABEL: judge the last `run`: non-zero, not killed by
# a signal, not timed out, a message, no sanitizer report.
expect_clear_failure() {
    local label=$1 err=${stderr:-$output}
    if ((status == 0)); then
        problems+=("$label: exit 0")
    elif ((status == 126 || status == 127)); then
        problems+=("$label: could not start (exit $status): ${err:0:200}")
    elif ((status == 124 || status == 137)); then
        problems+=("$label: hang (killed after $LIMIT s)")
    elif ((status > 128)); then
        problems+=("$label: died of signal $((status - 128)): ${err:0:200}")
    elif [[ -z $err ]]; then
        problems+=("$label: exit $status without a message")
    fi
    # A refused resource is an error to report, not a crash of any process.
    if [[ $err =~ SIG(BUS|SEGV|ABRT) ]]; then
        problems+=("$label: a process crashed: ${err:0:200}")
    fi
    if [[ $err == *Sanitizer* || $err == *"runtime error:"* ]]; then
        problems+=("$label: sanitizer report: ${err:0:200}")
    fi
}

report_problems() {
    if ((${#problems[@]})); then
        printf '# %s\n' "${problems[@]}"
        fail "${#problems[@]} bad outcomes"
    fi
}

# Objects of user UID anywhere: for runs as another user, which the leak
# check (this user's objects only) cannot see.
objects_of() {
    local uid=$1 user f
    user=$(id -un "$uid" 2>/dev/null || echo "$uid")
    for f in /dev/shm/*proclab-"$uid"-* /dev/mqueue/proclab-"$uid"-* /tmp/proclab-"$uid"-*; do
        [[ -e $f ]] && echo "$f"
    done
    ipcs 2>/dev/null | awk -v u="$user" '$1 ~ /^0x/ && $3 == u { print "sysv", $2 }'
}

@test "faults: RLIMIT_NPROC=1: forking programs and benchmarks fail clearly, leave nothing" {
    local nobody=65534 cases c
    if [[ $(id -u) -eq 0 ]]; then
        # Root is exempt from RLIMIT_NPROC: run as nobody.
        as=(setpriv --reuid="$nobody" --regid="$nobody" --clear-groups --)
    else
        as=() nobody=$(id -u)
    fi
    cases=(
        "fork_basics -n 2"
        "producer_consumer --via mq -n 100"
        "queue_sysv -n 10"
        "race --lock sysv_sem -n 1000"
        "semaphore --kind named -w 10"
        "popen2 -- true"
        "${BENCH_SYNC[*]}"
        "${BENCH_IPC_PIPE[*]}"
        "${BENCH_SPAWN[*]}"
    )
    local before
    before=$(objects_of "$nobody")
    cd "$BATS_TEST_TMPDIR"
    chmod 0777 "$BATS_TEST_TMPDIR"
    for c in "${cases[@]}"; do
        # LeakSanitizer (SANITIZE=1) needs a thread at exit, which
        # RLIMIT_NPROC refuses: leaks are checked everywhere else.
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
            run_bounded_sep "$LIMIT" prlimit --nproc=1 "${as[@]}" "$PROCLAB_BIN/"$c
        expect_clear_failure "nproc=1: $c"
    done
    local after
    after=$(objects_of "$nobody")
    [[ $after == "$before" ]] || problems+=("left behind: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')")
    report_problems
}

@test "faults: RLIMIT_NOFILE=4 or 5: programs needing descriptors fail clearly, leave nothing" {
    # LIMIT PROGRAM ARGS: 0, 1, 2 and one more for a lab; two more for a
    # benchmark binary, whose sanitizer runtime (SANITIZE=1) needs one of
    # its own to check a C++ object's type.
    local c n cases=(
        "4 producer_consumer --via pipe"
        "4 duplex -n 10"
        "4 pipe_basics --atomic"
        "4 popen2 -- true"
        "5 ${BENCH_IPC_PIPE[*]}"
        "5 ${BENCH_SYNC[*]}"
    )
    cd "$BATS_TEST_TMPDIR"
    for c in "${cases[@]}"; do
        n=${c%% *} c=${c#* }
        # Every other descriptor of bats closed first.
        run_bounded_sep "$LIMIT" bash -c '
            for fd in /proc/$$/fd/*; do
                fd=${fd##*/}
                ((fd > 2)) && eval "exec $fd>&-"
            done
            exec prlimit --nofile="$@"' bash "$n" "$PROCLAB_BIN/"$c
        expect_clear_failure "nofile=$n: $c"
    done
    report_problems
}

# in_namespace SETUP CMD...: CMD in private IPC and mount namespaces after
# the shell commands SETUP; prints what CMD left in /dev/shm and
# /dev/mqueue (besides the filler) on fd 3 -> $BATS_TEST_TMPDIR/left.
in_namespace() {
    local setup=$1
    shift
    run_bounded_sep "$LIMIT" unshare --ipc --mount --fork -- bash -c '
        set -e
        mount --make-rprivate / 2>/dev/null || true
        mount -t mqueue none /dev/mqueue
        mount -t tmpfs -o size=4k,mode=1777 tmpfs /dev/shm
        '"$setup"'
        set +e
        "$@"
        rc=$?
        ls -A /dev/shm /dev/mqueue | grep -v -e "^fill$" -e "^/dev" -e "^$" >"'"$BATS_TEST_TMPDIR"'/left"
        ipcs -q -s -m | awk '\''$1 ~ /^0x/'\'' >>"'"$BATS_TEST_TMPDIR"'/left"
        exit $rc' bash "$@"
}

namespace_or_skip() {
    unshare --ipc --mount --fork -- true 2>/dev/null ||
        skip "cannot make private IPC and mount namespaces here (needs root): fault not tested"
}

@test "faults: no POSIX message queue allowed (queues_max 0, private IPC namespace)" {
    namespace_or_skip
    local c cases=(
        "queue_posix -n 10"
        "producer_consumer --via mq -n 100"
        "${BENCH_IPC_MQ[*]}"
    )
    for c in "${cases[@]}"; do
        in_namespace 'echo 0 >/proc/sys/fs/mqueue/queues_max' "$PROCLAB_BIN/"$c
        expect_clear_failure "queues_max=0: $c"
        [[ ! -s $BATS_TEST_TMPDIR/left ]] ||
            problems+=("queues_max=0: $c left: $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/left")")
    done
    report_problems
}

@test "faults: a full /dev/shm (private mount namespace): shm_open and sem_open users fail clearly" {
    namespace_or_skip
    local c cases=(
        "shared_state --via shm"
        "semaphore --kind named -w 10"
    )
    for c in "${cases[@]}"; do
        in_namespace 'head -c 4096 /dev/zero >/dev/shm/fill 2>/dev/null || true' "$PROCLAB_BIN/"$c
        expect_clear_failure "full /dev/shm: $c"
        [[ ! -s $BATS_TEST_TMPDIR/left ]] ||
            problems+=("full /dev/shm: $c left: $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/left")")
    done
    report_problems
}

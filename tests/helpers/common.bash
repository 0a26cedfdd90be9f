# tests/helpers/common.bash: loaded by every .bats file.
#
#   load '../../helpers/common'     (path relative to the .bats file)
#   setup()    { _common_setup; }
#   teardown() { _common_teardown; }
#
# _common_setup loads bats-support and bats-assert, puts $PROCLAB_BIN first
# on PATH, and snapshots this user's IPC objects (/dev/shm, /dev/mqueue,
# System V queues, semaphores and segments, private /tmp/proclab-UID-*
# directories).  _common_teardown fails the
# test when the test left anything new behind, or left a proclab process
# running in this session (run_tests.sh starts bats with setsid), then
# removes what it found so one leak does not fail every later test.
#
# run_bounded SECONDS CMD...  is `run` with a time limit: the command and
# everything in its process group are killed when the limit passes, and the
# test sees status 124.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

PROCLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${PROCLAB_BIN:=$PROCLAB_ROOT/build/bin}"
export PROCLAB_ROOT PROCLAB_BIN

PROCLAB_UID=$(id -u)
PROCLAB_USER=$(id -un)

# shellcheck source=../../scripts/lib/ipc.bash
source "$PROCLAB_ROOT/scripts/lib/ipc.bash"

# One line per IPC object of this user, sorted: "file PATH" or "msg|sem|shm ID".
_ipc_snapshot() { proclab_ipc_objects "$PROCLAB_USER" "$PROCLAB_UID"; }

# The session of this shell, from /proc (no fork).
_my_session() {
    local stat
    read -r stat </proc/$$/stat
    stat=${stat##*) }            # skip "pid (comm) "
    set -- $stat
    echo "$4"                    # state ppid pgrp session
}

# proclab processes in this session: a live process (zombies are dead
# already) whose program is one in $PROCLAB_BIN.  Tests start programs by
# bare name through PATH, by path, or through bash -c, and children keep
# their parent's name: so compare the name the kernel keeps (comm, cut to
# 15 characters) and the last part of argv[0] with every name in the bin
# directory, never a path prefix.
_stray_processes() {
    local sid names
    sid=$(_my_session)
    names=$(cd "$PROCLAB_BIN" 2>/dev/null && printf '%s\n' *)
    ps -eo sid=,pid=,stat=,comm=,args= 2>/dev/null |
        awk -v sid="$sid" -v names="$names" '
            BEGIN { n = split(names, a, "\n")
                    for (i = 1; i <= n; i++) { prog[a[i]] = 1; comm[substr(a[i], 1, 15)] = 1 } }
            $1 == sid && $3 !~ /^Z/ {
                arg0 = $5; sub(/.*\//, "", arg0)
                if (($4 in comm) || (arg0 in prog)) {
                    $1 = $3 = $4 = ""; sub(/^ +/, ""); sub(/  +/, " "); print
                }
            }'
}

# Drop named objects that belong to a live process outside this session:
# names carry the creator's pid (proclab-UID-PID-...), and a program run
# elsewhere at the same time (another test run, a user's lab) is not ours
# to judge or remove.  An object of a dead creator, or of one still running
# in this session, stays on the list.
# System V queues and semaphore sets carry no name: the labs record each one
# they make as /tmp/proclab-UID-PID-msg|sem-ID-XXXXXX (lab_sysv_record), and
# that record names the creator, so a live run elsewhere keeps its objects.
_not_someone_elses() {
    local kind id pid sid mysid rec
    while read -r kind id; do
        [[ -n $kind ]] || continue
        pid=''
        if [[ $kind == file && $id =~ proclab-$PROCLAB_UID-([0-9]+)- ]]; then
            pid=${BASH_REMATCH[1]}
        elif [[ $kind == msg || $kind == sem ]]; then
            for rec in /tmp/proclab-"$PROCLAB_UID"-*-"$kind"-"$id"-*; do
                [[ -d $rec && $rec =~ proclab-$PROCLAB_UID-([0-9]+)-$kind-$id- ]] &&
                    pid=${BASH_REMATCH[1]} && break
            done
        fi
        if [[ -n $pid ]]; then
            [[ -n ${mysid:-} ]] || mysid=$(_my_session)
            sid=$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')
            [[ -n $sid && $sid != "$mysid" ]] && continue
        fi
        echo "$kind $id"
    done
}

_common_setup() {
    PATH="$PROCLAB_BIN:$PATH"
    LEAK_BEFORE="$BATS_TEST_TMPDIR/ipc.before"
    _ipc_snapshot >"$LEAK_BEFORE"
}

_remove_ipc() {  # kind id-or-path
    case $1 in
        file) rm -rf -- "$2" ;;
        msg) ipcrm -q "$2" 2>/dev/null ;;
        sem) ipcrm -s "$2" 2>/dev/null ;;
        shm) ipcrm -m "$2" 2>/dev/null ;;
    esac
}

_common_teardown() {
    local leaked strays kind id try
    # Give children that were just signalled a moment to be reaped (1 s;
    # tests/harness sets fewer tries: its fixture's strays stay on purpose).
    for ((try = 0; try < ${PROCLAB_STRAY_TRIES:-10}; try++)); do
        strays=$(_stray_processes)
        [[ -z $strays ]] && break
        sleep 0.1
    done
    leaked=$(comm -13 "$LEAK_BEFORE" <(_ipc_snapshot) | _not_someone_elses)
    if [[ -n $strays ]]; then
        awk '{ print $1 }' <<<"$strays" | xargs -r kill -KILL 2>/dev/null
    fi
    if [[ -n $leaked ]]; then
        while read -r kind id; do _remove_ipc "$kind" "$id"; done <<<"$leaked"
    fi
    if [[ -n $strays || -n $leaked ]]; then
        [[ -n $strays ]] && echo "# processes left running:" && sed 's/^/#   /' <<<"$strays"
        [[ -n $leaked ]] && echo "# IPC objects left behind:" && sed 's/^/#   /' <<<"$leaked"
        fail "the test left processes or IPC objects behind"
    fi
}

# run with a time limit (seconds).  The command runs in a process group of
# its own so that the limit also ends its children.
run_bounded() {
    local limit=$1
    shift
    run timeout -k 2 "$limit" "$@"
}

# The same, keeping stderr apart in $stderr.
run_bounded_sep() {
    local limit=$1
    shift
    run --separate-stderr timeout -k 2 "$limit" "$@"
}

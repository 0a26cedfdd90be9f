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

_ipc_snapshot() {
    local me
    me=$(id -u)
    {
        find /dev/shm /dev/mqueue -mindepth 1 -maxdepth 1 -uid "$me" \
            -printf 'file %p\n' 2>/dev/null
        # private directories (FIFOs, sockets, lock files): /tmp/proclab-UID-PID-*
        find /tmp -mindepth 1 -maxdepth 1 -uid "$me" \
            -name "proclab-$me-*" -printf 'file %p\n' 2>/dev/null
        # ipcs -q/-s/-m: key, id, owner ...; keep "kind id" for our user
        ipcs -q 2>/dev/null | awk -v u="$(id -un)" '$3 == u { print "msg " $2 }'
        ipcs -s 2>/dev/null | awk -v u="$(id -un)" '$3 == u { print "sem " $2 }'
        ipcs -m 2>/dev/null | awk -v u="$(id -un)" '$3 == u { print "shm " $2 }'
    } | sort -u
}

# proclab processes (anything run from $PROCLAB_BIN) in this session,
# other than the ones the test itself is still expected to own.
_stray_processes() {
    local sid
    sid=$(ps -o sid= -p $$ | tr -d ' ')
    ps -eo sid=,pid=,stat=,args= 2>/dev/null |
        awk -v sid="$sid" -v bin="$PROCLAB_BIN/" \
            '$1 == sid && index($4, bin) == 1 { print $2, $3, $4 }'
}

# Drop named objects that belong to a live process outside this session:
# names carry the creator's pid (proclab-UID-PID-...), and a program run
# elsewhere at the same time (another test run, a user's lab) is not ours
# to judge or remove.  An object of a dead creator, or of one still running
# in this session, stays on the list.
_not_someone_elses() {
    local kind id pid sid mysid
    mysid=$(ps -o sid= -p $$ | tr -d ' ')
    while read -r kind id; do
        [[ -n $kind ]] || continue
        if [[ $kind == file && $id =~ proclab-$(id -u)-([0-9]+)- ]]; then
            pid=${BASH_REMATCH[1]}
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
    local leaked strays kind id
    # Give children that were just signalled a moment to be reaped.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
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

#!/usr/bin/env bash
# scripts/grade.sh NAME BINARY [WHAT]: grade one exercise.
# scripts/grade.sh --list: the exercises, one name a line.
#
# `make grade EX=NAME [SRC=file.c | SOLUTION=1]` builds the program (the
# starter labs/TOPIC/exercises/NAME.c, the student's SRC, or the reference
# solution docs/answers/exercises/NAME.c) with the labs' flags and calls this
# script with the binary; WHAT says which file it came from.
#
# The behaviour to check lives in labs/TOPIC/exercises/NAME.check, a short
# bash file sourced here that defines grade_checks() with the helpers below:
#
#   start LIMIT [ARG...]   run BINARY in the background, in a process group of
#                          its own, stdin on a pipe this script holds open;
#                          LIMIT seconds bound the whole run (then SIGKILL)
#   start_closed_std LIMIT [ARG...]   the same with fds 0 and 1 closed
#   reach REGEX [SECS]     wait (bounded) until a stdout line matches
#   signal_group SIG       send SIG to the program's process group (Ctrl-C)
#   signal_program SIG     send SIG to the program alone, not its children
#   finish                 close its stdin (EOF), wait for it within LIMIT
#   check "NAME" CMD...    one graded behaviour: CMD succeeds (prints "NAME: ok")
#                          or prints why not ("NAME: FAILED: why")
# and these for CMD (each prints its reason when it fails):
#   ends_in_time, status_is N, ends_by_signal_or_status SIG N,
#   out_has REGEX, out_lacks REGEX, out_count REGEX N (exactly N lines),
#   out_each_once PREFIX FIRST LAST (lines "PREFIX K", each K once),
#   no_zombie (while the program runs), no_leftover_process, no_ipc_left
#   (POSIX shm, queues, semaphores and /tmp/proclab-UID-PID-* dirs named
#   after the program's pids)
#
# GRADE_TIME_LIMIT=S caps every run at S seconds.
#
# Prints one line per behaviour and "score: P/T"; exits 0 only with full
# marks, 1 otherwise, 2 for an unknown exercise or bad arguments (with the
# list of exercises).  Everything the program leaves behind (processes, IPC
# objects named after its pid) is reported, then removed.
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

list_exercises() {
    local f
    for f in labs/*/exercises/*.c; do
        [[ -e $f ]] && basename "$f" .c
    done | sort
}

if [[ ${1:-} == --list ]]; then
    list_exercises
    exit 0
fi
if (($# < 2)) || [[ -z $1 ]] || ! list_exercises | grep -qxF -- "$1"; then
    if (($# == 0)) || [[ -z ${1:-} ]]; then
        echo "grade: say which exercise: make grade EX=NAME [SRC=file.c | SOLUTION=1]" >&2
    else
        echo "grade: unknown exercise '${1}'" >&2
    fi
    echo "The exercises are:" >&2
    list_exercises | sed 's/^/  /' >&2
    exit 2
fi

EX=$1 BIN=$2 WHAT=${3:-$2}
CHECK_FILE=$(ls labs/*/exercises/"$EX".check 2>/dev/null | head -1)
[[ -n $CHECK_FILE ]] || { echo "grade: no check file for $EX" >&2; exit 2; }
[[ -x $BIN ]] || { echo "grade: $BIN is not a program (did it build?)" >&2; exit 2; }
[[ $BIN == /* ]] || BIN=$PWD/$BIN

G_UID=$(id -u)
G_USER=$(id -un)
G_TMP=$(mktemp -d "/tmp/proclab-$G_UID-$$-grade-XXXXXX") || exit 1
G_PASS=0 G_TOTAL=0
# IPC snapshots cost a few processes: only for exercises that check IPC.
G_IPC=0
grep -q no_ipc_left "$CHECK_FILE" && G_IPC=1
mkfifo "$G_TMP/nap" && exec {NAP_FD}<>"$G_TMP/nap" || exit 1
PID= REAPED=0 STATUS= LIMIT= STDIN_FD= TIMED_OUT=0 SNAP_BEFORE=$G_TMP/ipc.before

# One line per IPC object of this user: "file PATH" or "msg|sem|shm ID".
# shellcheck source=lib/ipc.bash
source scripts/lib/ipc.bash         # (we are in the checkout's root: cd above)
ipc_snapshot() { proclab_ipc_objects "$G_USER" "$G_UID" "$G_TMP"; }

# New named objects of this run: names carry the creator's pid
# (proclab-UID-PID-...); objects of other programs running meanwhile are not
# this run's.
new_ipc_objects() {
    ((G_IPC)) || return 0
    comm -13 "$SNAP_BEFORE" <(ipc_snapshot) |
        grep -E "proclab-$G_UID-(${PID:-none}|$(children_pattern))-" || true
}

# Pids the program forked (they may name objects too), recorded while it ran.
children_pattern() {
    local p
    p=$(tr -s ' \n' '|' <"$G_TMP/pids" 2>/dev/null)
    p=${p#|}
    p=${p%|}
    echo "${p:-none}"
}

# Every live process still in the program's process group (a zombie whose
# parent has ended is its new parent's to reap, no longer the program's).
group_members() {
    [[ -n $PID ]] || return 0
    ps -eo pid=,pgid=,stat=,args= 2>/dev/null |
        awk -v g="$PID" '$2 == g && $3 !~ /^Z/ { print $1, $3, $4 }'
}

remember_children() {
    [[ -n $PID ]] && group_members | awk '{ print $1 }' >>"$G_TMP/pids"
}

cleanup() {
    if [[ -n $PID ]] && { ((!REAPED)) || [[ -n $(group_members) ]]; }; then
        kill -KILL -- "-$PID" 2>/dev/null
        { wait "$PID"; } 2>/dev/null
    fi
    local kind id
    while read -r kind id; do
        case $kind in
            file) rm -rf -- "$id" ;;
        esac
    done < <(new_ipc_objects)
    rm -rf -- "$G_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- running the program ------------------------------------------------------

start() {
    LIMIT=$1
    shift
    # GRADE_TIME_LIMIT=S lowers every run's limit (tests of the grader).
    if [[ ${GRADE_TIME_LIMIT:-} =~ ^[1-9][0-9]*$ ]] && ((GRADE_TIME_LIMIT < LIMIT)); then
        LIMIT=$GRADE_TIME_LIMIT
    fi
    ((G_IPC)) && ipc_snapshot >"$SNAP_BEFORE"
    : >"$G_TMP/out" >"$G_TMP/err" >"$G_TMP/pids"
    rm -f "$G_TMP/stdin"
    mkfifo "$G_TMP/stdin" || exit 1
    exec {STDIN_FD}<>"$G_TMP/stdin"
    # A session (so a process group) of its own: a signal and the clean-up
    # reach its children too.  SIGINT back to its default: a background
    # command of a script would inherit it ignored.
    # No core files, and at most 64 MiB of output (a program printing in a
    # loop until its limit would fill /tmp).
    if ((CLOSED_STD)); then     # fds 0 and 1 closed; stderr is the output
        exec {STDIN_FD}>&-
        STDIN_FD=
        (ulimit -c 0 -f 65536; exec setsid env --default-signal=INT,QUIT "$BIN" "$@") \
            2>"$G_TMP/out" <&- >&- {NAP_FD}>&- &
    else
        (ulimit -c 0 -f 65536; exec setsid env --default-signal=INT,QUIT "$BIN" "$@") \
            <"$G_TMP/stdin" >"$G_TMP/out" 2>"$G_TMP/err" {STDIN_FD}>&- {NAP_FD}>&- &
    fi
    PID=$!
    REAPED=0
    CLOSED_STD=0
    TIMED_OUT=0 STATUS=
    DEADLINE_US=$(($(now_us) + LIMIT * 1000000))
}

# The same with stdin and stdout closed (what a daemon or a careless caller
# gives); the program's stderr is its output then.
CLOSED_STD=0
start_closed_std() {
    CLOSED_STD=1
    start "$@"
}

now_us() { echo "${EPOCHREALTIME/./}"; }

# sleep without a fork: read with a timeout from a FIFO nobody writes to.
nap() { read -r -t "$1" -u "$NAP_FD" _ 2>/dev/null || :; }

running() {  # the program has not exited yet (a zombie counts as exited)
    local stat
    read -r stat 2>/dev/null <"/proc/$PID/stat" || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# Wait until a line of stdout matches REGEX (at most SECS, default 2 s).
reach() {
    local regex=$1 until=$(($(now_us) + ${2:-2} * 1000000))
    while :; do
        grep -qE -- "$regex" "$G_TMP/out" && { remember_children; return 0; }
        running || return 1
        (($(now_us) < until && $(now_us) < DEADLINE_US)) || return 1
        nap 0.01
    done
}

signal_group() { kill -"$1" -- "-$PID" 2>/dev/null; }
signal_program() { kill -"$1" "$PID" 2>/dev/null; }   # the program alone

# Close the program's stdin and wait for it, killing it at the run's limit.
finish() {
    remember_children
    [[ -n $STDIN_FD ]] && exec {STDIN_FD}>&-
    STDIN_FD=
    while running; do
        if (($(now_us) >= DEADLINE_US)); then
            TIMED_OUT=1
            kill -KILL -- "-$PID" 2>/dev/null
            break
        fi
        nap 0.01
    done
    # (braces: bash's own "Killed" notice goes to this stderr too)
    { wait "$PID"; STATUS=$?; } 2>/dev/null
    REAPED=1
    # children that die with their parent need a moment
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        [[ -z $(group_members) ]] && break
        nap 0.02
    done
}

# ---- checks -------------------------------------------------------------------

# check "NAME" CMD [ARG...]: one graded behaviour.
check() {
    local name=$1 why
    shift
    G_TOTAL=$((G_TOTAL + 1))
    if why=$("$@" 2>&1); then
        G_PASS=$((G_PASS + 1))
        echo "$name: ok"
    else
        echo "$name: FAILED: ${why:-"(no reason given)"}"
    fi
}

out_tail() {  # the last lines the program printed, for a reason
    local t
    t=$(tail -n 2 "$G_TMP/out" "$G_TMP/err" 2>/dev/null | grep -v '^==> \|^$' | tr '\n' '|')
    echo "${t%|}"
}

ends_in_time() {
    ((TIMED_OUT == 0)) && return 0
    echo "still running after ${LIMIT} s, killed (a wait without a bound? last output: $(out_tail))"
    return 1
}

describe() {  # a shell status as the labs say it
    local s=$1
    if ((s > 128)); then
        echo "signal:SIG$(kill -l $((s - 128)) 2>/dev/null || echo $((s - 128)))"
    else
        echo "exit $s"
    fi
}

status_is() {
    [[ $STATUS == "$1" ]] && return 0
    echo "ended with $(describe "$STATUS"), expected $(describe "$1") (last output: $(out_tail))"
    return 1
}

# Ended as Ctrl-C should end it: killed by SIG, or exit N.
ends_by_signal_or_status() {
    local sig=$1 code=$2
    ((TIMED_OUT == 0)) || { echo "did not end after SIG$sig; killed after ${LIMIT} s"; return 1; }
    [[ $STATUS == $((128 + $(kill -l "$sig"))) || $STATUS == "$code" ]] && return 0
    echo "ended with $(describe "$STATUS") after SIG$sig, expected signal:SIG$sig or exit $code"
    return 1
}

out_has() {
    grep -qE -- "$1" "$G_TMP/out" && return 0
    echo "no output line matches /$1/ (last output: $(out_tail))"
    return 1
}

out_lacks() {
    local line
    line=$(grep -m1 -E -- "$1" "$G_TMP/out" "$G_TMP/err" 2>/dev/null | sed 's/^[^:]*://')
    [[ -z $line ]] && return 0
    echo "$line"
    return 1
}

# out_count REGEX N: exactly N stdout lines match.
out_count() {
    local n
    n=$(grep -cE -- "$1" "$G_TMP/out")
    ((n == $2)) && return 0
    echo "$n lines match /$1/, expected $2"
    return 1
}

# out_each_once PREFIX FIRST LAST: lines "PREFIX K" for K in FIRST..LAST,
# each exactly once, and no other K.
out_each_once() {
    local prefix=$1 first=$2 last=$3 bad
    bad=$(awk -v p="$prefix" -v a="$first" -v b="$last" '
        index($0, p " ") == 1 { k = substr($0, length(p) + 2) + 0; seen[k]++ }
        END {
            for (k = a; k <= b; k++)
                if (seen[k] != 1) { printf "%s %d seen %d times, expected once\n", p, k, seen[k] + 0; exit }
            for (k in seen)
                if (k + 0 < a || k + 0 > b) { printf "%s %d is not one of %d..%d\n", p, k, a, b; exit }
        }' "$G_TMP/out")
    [[ -z $bad ]] && return 0
    echo "$bad"
    return 1
}

# Children of the running program in state Z (call between start and finish).
# Children that are about to exit get half a second to do so first.
no_zombie() {
    local z n i
    for i in $(seq 50); do
        ps -o stat= --ppid "$PID" 2>/dev/null | grep -qv '^Z' || break
        nap 0.01
    done
    z=$(ps -o pid=,stat= --ppid "$PID" 2>/dev/null | awk '$2 ~ /^Z/ { print $1 }')
    [[ -z $z ]] && return 0
    n=$(wc -l <<<"$z")
    # "pid 1234 in state Z", or "3 children in state Z: pid 1234, pid 1235, ..."
    if ((n == 1)); then
        echo "pid $z in state Z"
    else
        echo "$n children in state Z: $(head -3 <<<"$z" | awk '{ printf "%spid %s", (NR > 1 ? ", " : ""), $1 }')$( ((n > 3)) && echo ", ...")"
    fi
    return 1
}

no_leftover_process() {
    local left
    left=$(group_members)
    [[ -z $left ]] && return 0
    echo "still running after the program ended: $(awk '{ printf "%spid %s (state %s)", (NR > 1 ? ", " : ""), $1, $2 }' <<<"$left")"
    kill -KILL -- "-$PID" 2>/dev/null
    return 1
}

no_ipc_left() {
    local left
    left=$(new_ipc_objects)
    [[ -z $left ]] && return 0
    echo "left behind: $(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $2 }' <<<"$left")"
    local kind id
    while read -r kind id; do [[ $kind == file ]] && rm -rf -- "$id"; done <<<"$left"
    return 1
}

# ---- grade --------------------------------------------------------------------

grade_checks() { echo "grade: $CHECK_FILE defines no grade_checks" >&2; exit 2; }
# shellcheck source=/dev/null
source "$CHECK_FILE"
echo "grading $EX: $WHAT"
# bash reports a background program killed by a signal ("... Killed
# setsid env ..."); that is the grader's business, not the student's.
grade_checks 2> >(grep -v --line-buffered -e 'setsid env --default-signal' >&2)
echo "score: $G_PASS/$G_TOTAL"
((G_TOTAL > 0 && G_PASS == G_TOTAL))

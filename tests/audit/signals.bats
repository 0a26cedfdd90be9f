#!/usr/bin/env bats
# The signal sweep: every program in build/bin is started in a session of
# its own and signalled early (POINT_EARLY s after its start: set-up, objects
# being made) or mid-run (POINT_LATE s):
#   SIGINT (to its process group, as Ctrl-C does) or SIGTERM (to the program)
#     -> it ends within 10 s, nothing of its session outlives it by more than
#        3 s, no IPC object or temp file is left;
#   SIGKILL (to the program alone)
#     -> nothing of its session outlives it by more than a second; what it
#        left is then removed by `make clean-ipc` (scripts/clean_ipc.sh),
#        which must leave the system as it was without touching the objects
#        of runs still going beside it.
# Arguments for a run long enough to be signalled: tests/audit/signals.tsv,
# else the args column of tests/audit/programs.tsv.  All programs of a round
# run at the same time (a round lasts about as long as its slowest program).
#
# In `make test` (a time budget) each program gets one of SIGINT early,
# SIGTERM late, SIGTERM early, SIGINT late (in turn down the list) and
# SIGKILL at one point (early and late in turn); with PROCLAB_AUDIT_FULL=1
# (make test-stress) every program gets every signal at both points.
# bats file_tags=audit

load '../helpers/common'
setup() {
    _common_setup
    SWEEP=$BATS_TEST_TMPDIR/sweep
    mkdir -p "$SWEEP/cwd"          # cwd of the runs: a core file lands here
}
teardown() { _common_teardown; }

POINT_EARLY=0.05
POINT_LATE=0.4

# The programs to sweep: everything in build/bin.
_programs() {
    local p
    for p in "$PROCLAB_BIN"/*; do
        [[ -f $p && -x $p ]] && echo "${p##*/}"
    done
}

# NAME's arguments for the sweep, NUL-separated.
_program_args() {
    local line
    local -a words
    line=$(awk -F'\t' -v n="$1" '!/^[[:space:]]*#/ && $1 == n { print $2; exit }' \
           "$BATS_TEST_DIRNAME/signals.tsv")
    [[ -n $line ]] ||
        line=$(awk -F'\t' -v n="$1" '!/^[[:space:]]*#/ && $1 == n { print $3; exit }' \
               "$BATS_TEST_DIRNAME/programs.tsv")
    [[ -z $line || $line == - ]] && return
    read -ra words <<<"${line//@TMP@/$SWEEP}"
    printf '%s\0' "${words[@]}"
}


# Live (non-zombie) processes of session SID: "pid:comm ...".
_session_left() {
    ps -eo sid=,stat=,pid=,comm= 2>/dev/null |
        awk -v s="$1" '$1 == s && $2 !~ /^Z/ { printf "%s:%s ", $3, $4 }'
}

# sweep_one NAME SIG DELAY: one run, signalled; problems go to $SWEEP/problems.
sweep_one() {
    set +e                                   # a monitor runs to its end
    trap - DEBUG ERR                         # no bats tracing in a monitor
    set +ET
    local name=$1 sig=$2 delay=$3 pid i left limit stat
    local -a args=()
    mapfile -d '' -t args < <(_program_args "$name")
    # fd 3 closed: bats waits for whoever holds it.
    (cd "$SWEEP/cwd" && exec setsid "$PROCLAB_BIN/$name" "${args[@]}") \
        </dev/null >/dev/null 2>&1 3>&- &
    pid=$!                                   # = its session and process group
    # The clock starts once it is a session of its own (setsid done).
    for ((i = 0; i < 200; i++)); do
        read -r stat 2>/dev/null </proc/"$pid"/stat || break
        stat=${stat##*) }
        set -- $stat
        [[ $4 == "$pid" ]] && break
        sleep 0.01
    done
    sleep "$delay"
    case $sig in
        INT) kill -INT -- "-$pid" 2>/dev/null ;;
        *)   kill "-$sig" "$pid" 2>/dev/null ;;
    esac
    for ((i = 0; i < 100; i++)); do
        proclab_alive "$pid" || break
        sleep 0.1
    done
    if proclab_alive "$pid"; then
        echo "$name: still running 10 s after SIG$sig at ${delay} s" >>"$SWEEP/problems"
        kill -KILL -- "-$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
    [[ $sig == KILL ]] && limit=10 || limit=30        # tenths of a second
    # One look at the whole session, then only at what it found (builtins:
    # 44 monitors running ps every tenth of a second would load the machine).
    left=$(_session_left "$pid")
    local still entry
    for ((i = 0; i <= limit; i++)); do
        still=''
        for entry in $left; do proclab_alive "${entry%%:*}" && still+="$entry "; done
        left=$still
        [[ -z $left ]] && break
        sleep 0.1
    done
    if [[ -n $left ]]; then
        echo "$name: SIG$sig at ${delay} s: still running $((limit / 10)) s later: $left" \
            >>"$SWEEP/problems"
        for i in $left; do kill -KILL "${i%%:*}" 2>/dev/null; done
    fi
    echo "$name $sig $delay" >>"$SWEEP/runs"
    return 0
}

# round PLAN: run every program at once, NAME's signal and point given by
# the function PLAN NAME INDEX (prints "SIG DELAY"); wait for all.
round() {
    local plan=$1 name i=0 sig delay
    local -a monitors=()
    while read -r name; do
        read -r sig delay < <("$plan" "$name" "$i")
        sweep_one "$name" "$sig" "$delay" 2>/dev/null &   # no "Killed" notices
        monitors+=($!)
        i=$((i + 1))
    done < <(_programs)
    wait "${monitors[@]}" || true
}

# New IPC objects and temp directories since snapshot FILE, less those of a
# live process elsewhere.
_new_objects() {
    comm -13 "$1" <(_ipc_snapshot) | _not_someone_elses
}

plan_a() { local c=(INT:$POINT_EARLY TERM:$POINT_LATE TERM:$POINT_EARLY INT:$POINT_LATE)
           echo "${c[$(($2 % 4))]/:/ }"; }
plan_int_early()  { echo "INT $POINT_EARLY"; }
plan_int_late()   { echo "INT $POINT_LATE"; }
plan_term_early() { echo "TERM $POINT_EARLY"; }
plan_term_late()  { echo "TERM $POINT_LATE"; }
plan_kill_alt()   { if (($2 % 2)); then echo "KILL $POINT_LATE"; else echo "KILL $POINT_EARLY"; fi; }
plan_kill_alt2()  { if (($2 % 2)); then echo "KILL $POINT_EARLY"; else echo "KILL $POINT_LATE"; fi; }

@test "signals: SIGINT and SIGTERM early and mid-run: every program stops, nothing is left" {
    local plans=(plan_a) plan left
    [[ ${PROCLAB_AUDIT_FULL:-0} == 1 ]] &&
        plans=(plan_int_early plan_int_late plan_term_early plan_term_late)
    local before=$BATS_TEST_TMPDIR/before
    for plan in "${plans[@]}"; do
        _ipc_snapshot >"$before"
        round "$plan"
        left=$(_new_objects "$before")
        [[ -z $left ]] || echo "after round $plan: left behind: $(tr '\n' ' ' <<<"$left")" \
            >>"$SWEEP/problems"
        # Remove them so the next round starts clean (teardown would too).
        while read -r kind id; do [[ -n $kind ]] && _remove_ipc "$kind" "$id"; done <<<"$left"
    done
    echo "# $(wc -l <"$SWEEP/runs") runs: $(_programs | wc -l) programs x ${#plans[@]} rounds"
    if [[ -s $SWEEP/problems ]]; then
        sed 's/^/# /' "$SWEEP/problems"
        fail "$(wc -l <"$SWEEP/problems") problems"
    fi
}

# Runs that hold one object of each kind for a second or more, beside
# which `make clean-ipc` runs: none may lose its objects or fail.
LIVE=(
    "shared_state --via shm --hold-ms 1500"
    "semaphore --kind named -p 2 -s 1 -w 600"
    "queue_sysv -c 1 -n 12 -w 100"
    "queue_posix -p 1 -c 1 -n 6 -w 200"
    "fifo -d 1200 demo"
    "race --lock sysv_sem -p 2 -n 400000"
)

@test "signals: SIGKILL early and mid-run: no process outlives it by a second; make clean-ipc removes what it left, and nothing else" {
    local plans=(plan_kill_alt) plan before=$BATS_TEST_TMPDIR/before
    [[ ${PROCLAB_AUDIT_FULL:-0} == 1 ]] && plans=(plan_kill_alt plan_kill_alt2)
    _ipc_snapshot >"$before"
    for plan in "${plans[@]}"; do
        round "$plan"
    done
    local killed_left kind id left
    killed_left=$(_new_objects "$before")
    echo "# $(wc -l <"$SWEEP/runs") runs; SIGKILL left $(grep -c . <<<"$killed_left") objects"
    # Processes that outlived the kill are reported at the end: the clean-up
    # below is checked either way.

    # The clean-up: needs the clean_ipc.sh that knows every kind of object
    # (named semaphores, /tmp/proclab-UID-* directories, a registry of
    # keyless System V objects).  Until it lands, skip with a note.
    if ! grep -q '/tmp/proclab' "$PROCLAB_ROOT/scripts/clean_ipc.sh"; then
        while read -r kind id; do [[ -n $kind ]] && _remove_ipc "$kind" "$id"; done \
            <<<"$killed_left"
        skip "scripts/clean_ipc.sh does not yet handle every kind of object (rewrite pending); leftovers: $(tr '\n' ' ' <<<"$killed_left")"
    fi
    # Live runs beside the clean-up.
    local -a live_pids=() live_names=()
    local spec i status live_before=$BATS_TEST_TMPDIR/live_before
    _ipc_snapshot >"$live_before"
    for spec in "${LIVE[@]}"; do
        (cd "$SWEEP/cwd" && exec $spec) </dev/null >/dev/null 2>"$SWEEP/live.${spec%% *}.err" 3>&- &
        live_pids+=($!)
        live_names+=("$spec")
    done
    sleep 0.4
    local live_objects
    live_objects=$(comm -13 "$live_before" <(_ipc_snapshot))
    run "$PROCLAB_ROOT/scripts/clean_ipc.sh"
    local clean_status=$status clean_output=$output
    # Every object of the live runs is still there, unless the run that made
    # it has already ended (a run that finished removed its own objects; its
    # exit status is checked below).  The creator's pid is in a file's name;
    # a System V id's creator is in its record, /tmp/proclab-UID-PID-KIND-ID-*.
    local missing=() kind id creator
    while read -r kind id; do
        [[ -n $kind ]] || continue
        creator=''
        if [[ $kind == file ]]; then
            [[ $id =~ proclab-$PROCLAB_UID-([0-9]+)- ]] && creator=${BASH_REMATCH[1]}
        elif [[ $live_objects =~ proclab-$PROCLAB_UID-([0-9]+)-$kind-$id- ]]; then
            creator=${BASH_REMATCH[1]}
        fi
        [[ -n $creator ]] && ! proclab_alive "$creator" && continue
        case $kind in
            file) [[ -e $id ]] || missing+=("$id") ;;
            # ipcs -i exits 0 even for an id that is gone: look in the list
            msg|sem|shm)
               local flag=q
               [[ $kind == sem ]] && flag=s
               [[ $kind == shm ]] && flag=m
               ipcs -"$flag" | awk -v id="$id" '$2 == id { f = 1 } END { exit !f }' ||
                   missing+=("$kind $id") ;;
        esac
    done <<<"$live_objects"
    # ...and every live run ends well.
    local failed_live=()
    for i in "${!live_pids[@]}"; do
        status=0
        timeout 15 tail --pid="${live_pids[i]}" -f /dev/null || kill -KILL "${live_pids[i]}"
        wait "${live_pids[i]}" || status=$?
        ((status == 0)) || failed_live+=("${live_names[i]} (exit $status: $(head -c 200 "$SWEEP/live.${live_names[i]%% *}.err"))")
    done
    [[ $clean_status -eq 0 ]] ||
        echo "clean_ipc.sh exited $clean_status: $clean_output" >>"$SWEEP/problems"
    ((${#missing[@]} == 0)) ||
        echo "clean_ipc.sh removed a live run's objects: ${missing[*]}" >>"$SWEEP/problems"
    ((${#failed_live[@]} == 0)) ||
        echo "live runs failed beside clean_ipc.sh: ${failed_live[*]}" >>"$SWEEP/problems"
    # What the killed runs left is gone, and nothing else changed.
    left=$(_new_objects "$before")
    [[ -z $left ]] || echo "left after make clean-ipc: $(tr '\n' ' ' <<<"$left")" >>"$SWEEP/problems"
    if [[ -s $SWEEP/problems ]]; then
        sed 's/^/# /' "$SWEEP/problems"
        fail "$(wc -l <"$SWEEP/problems") problems"
    fi
}

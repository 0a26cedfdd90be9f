#!/usr/bin/env bats
# The bad-input audit: every program in build/bin, every option whose value
# can be wrong (tests/audit/programs.tsv says which and how), every kind of
# wrong value: each run must exit 2 (1 or 2 for an overlong path) with a
# message on stderr, no sanitizer report, no hang, nothing left behind.
# bats file_tags=audit

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

TABLE="$BATS_TEST_DIRNAME/programs.tsv"
LIMIT=10          # seconds a single bad-input run may take

# Rows of the table: "program<TAB>options<TAB>args", comments dropped.
_rows() {
    grep -vE '^[[:space:]]*(#|$)' "$TABLE"
}

# The highest CPU number this process may run on.
_max_cpu() {
    local list
    list=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
    tr ',-' '\n\n' <<<"$list" | sort -n | tail -n 1
}

# check EXPECT ARGV...: run one bad input; on a bad outcome, add a line to
# $problems.  EXPECT: "2", or "12" for exit 1 or 2.  Builtins only around
# the run (a fork each would double the time; so would timeout(1): the
# test's watchdog ends a run that lasts more than LIMIT s instead, found
# through $lane_file).  The run is a process group of its own (set -m in
# the lane), so that the watchdog ends its children too.
check() {
    local expect=$1 rc err='' pid
    shift
    runs=$((runs + 1))
    rc=0
    "$@" </dev/null >/dev/null 2>"$work/err" &
    pid=$!
    printf '%s %s\n' "$pid" "$EPOCHSECONDS" >"$lane_file"
    wait "$pid" || rc=$?
    read -r -N 300 err <"$work/err" || true
    err=${err//$'\n'/ }
    local shown="${*:1:8}"
    if ((${#shown} > 160)); then shown="${shown:0:160}..."; fi
    if ((rc == 137)); then
        problems+=("hang (killed after $LIMIT s): $shown")
    elif [[ $expect != *"$rc"* ]]; then
        problems+=("exit $rc, not ${expect//12/1 or 2}: $shown -- stderr: ${err:0:200}")
    elif [[ -z $err ]]; then
        problems+=("no message on stderr: $shown")
    fi
    if [[ $err == *Sanitizer* || $err == *"runtime error:"* ]]; then
        problems+=("sanitizer report: $shown -- ${err:0:200}")
    fi
}

# args_with K VALUE: the row's args with the K-th word replaced.
args_with() {
    local k=$1 value=$2 i out=()
    for ((i = 0; i < ${#args[@]}; i++)); do
        if ((i + 1 == k)); then out+=("$value"); else out+=("${args[i]}"); fi
    done
    printf '%s\0' "${out[@]}"
}

# try OPT EXPECT VALUE: the program with OPT set to VALUE.
try() {
    local opt=$1 expect=$2 value=$3
    case $opt in
        '#'*) mapfile -d '' -t argv < <(args_with "${opt#\#}" "$value")
              check "$expect" "$bin" "${argv[@]}" ;;
        *=)   check "$expect" "$bin" "$opt$value" "${args[@]}" ;;
        *)    check "$expect" "$bin" "$opt" "$value" "${args[@]}" ;;
    esac
}

# missing OPT: the option with no value at all (last on the command line).
missing() {
    case $1 in
        '#'*) ;;                                    # a positional cannot be left out alone
        *=)   check 2 "$bin" "${1%=}" ;;
        *)    check 2 "$bin" "$1" ;;
    esac
}

# Every bad value of one OPT:KIND.
audit_option() {
    local opt=${1%%:*} kind=${1#*:} lo hi v
    case $kind in
        *..*)
            if [[ $kind == real:* ]]; then
                kind=${kind#real:}; lo=${kind%..*}; hi=${kind#*..}
                missing "$opt"
                for v in "" abc nan -1 "$lo" "$((hi + 1))" 1e18; do try "$opt" 2 "$v"; done
                return
            fi
            lo=${kind%..*}; hi=${kind#*..}
            missing "$opt"
            # 12abc stands for every non-number (a lax parser takes 12 or 0).
            for v in "" 12abc -1 99999999999999999999; do
                try "$opt" 2 "$v"
            done
            if ((lo != 0)); then try "$opt" 2 "$((lo - 1))"; fi    # 0 when LO is 1
            if ((lo > 1)); then try "$opt" 2 0; fi
            if [[ $hi != max ]]; then
                try "$opt" 2 "$((hi + 1))"
                if ((hi < 4294967297)); then try "$opt" 2 4294967297; fi
            fi
            ;;
        cpu)
            missing "$opt"
            for v in "" abc 12abc -1 "$(($(_max_cpu) + 1))" 4096 99999999999999999999; do
                try "$opt" 2 "$v"
            done
            ;;
        word)
            missing "$opt"
            try "$opt" 2 ""
            try "$opt" 2 "$long_word"
            ;;
        regex)
            missing "$opt"
            try "$opt" 2 "("
            try "$opt" 2 "$long_word"
            ;;
        flag)
            try "$opt" 2 junk
            ;;
        path)
            try "$opt" 12 "$tmp/$long_word"
            ;;
        *)
            problems+=("programs.tsv: unknown kind '$kind' in $name's $opt")
            ;;
    esac
}

@test "audit: every program in build/bin has a row in tests/audit/programs.tsv" {
    local missing_rows=() p
    [ -d "$PROCLAB_BIN" ]
    for p in "$PROCLAB_BIN"/*; do
        [[ -f $p && -x $p ]] || continue
        _rows | cut -f1 | grep -qxF "${p##*/}" || missing_rows+=("${p##*/}")
    done
    if ((${#missing_rows[@]})); then
        fail "no row in tests/audit/programs.tsv for: ${missing_rows[*]}"
    fi
    # And every row is well formed: three TAB-separated columns.
    run awk -F'\t' 'NF != 3 { print "line " NR ": " NF " columns" }' <(_rows)
    assert_output ""
}

# audit_program NAME OPTIONS ARGS: every bad input of one program (a row);
# its problems and run count go to $out/NAME.problems and $out/NAME.runs.
audit_program() {
    set +e
    local name=$1 options=$2 argstr=$3 opt
    local -a args=() problems=()
    local work=$out/$name.d
    runs=0
    mkdir -p "$work"
    bin=$PROCLAB_BIN/$name
    tmp=$work
    argstr=${argstr//@TMP@/$work}
    [[ $argstr != - ]] && read -ra args <<<"$argstr"
    check 2 "$bin" --no-such-option "${args[@]}"
    check 2 "$bin" -Z "${args[@]}"
    if [[ $options != - ]]; then
        for opt in $options; do audit_option "$opt"; done
    fi
    if ((${#problems[@]})); then printf '%s\n' "${problems[@]}" >"$out/$name.problems"; fi
    echo "$runs" >"$out/$name.runs"
}

@test "audit: every program refuses every bad input (exit 2, a message, no hang, nothing left)" {
    # Three programs at a time (2 CPUs; much of a run is exec).  What a
    # run leaves (processes, IPC objects) is teardown's leak check.
    local name options argstr total=0 n f lane pid start alive
    local -a lanes=()
    out=$BATS_TEST_TMPDIR/audit
    mkdir -p "$out"
    long_word=$(printf 'x%.0s' {1..5000})
    # Three lanes, each a share of the rows in turn.
    for lane in 0 1 2; do
        (
            set -m                                        # each run: a group of its own
            # bats traces every command (DEBUG/ERR traps): not needed in a
            # lane, and it costs more than the runs.
            trap - DEBUG ERR
            set +ET
            lane_file=$out/lane$lane
            i=0
            while IFS=$'\t' read -r name options argstr; do
                ((i++ % 3 == lane)) || continue
                [[ -x $PROCLAB_BIN/$name ]] || continue   # a row for a program not built here
                audit_program "$name" "$options" "$argstr"
            done < <(_rows)
        ) 2>/dev/null &                                   # no "Killed" notices
        lanes+=($!)
    done
    # The watchdog: a run older than LIMIT s is killed (check() reports it).
    while :; do
        alive=0
        for pid in "${lanes[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        for f in "$out"/lane0 "$out"/lane1 "$out"/lane2; do
            [[ -s $f ]] && read -r pid start <"$f" || continue
            if ((EPOCHSECONDS - start > LIMIT)); then
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            fi
        done
        sleep 0.2
    done
    wait "${lanes[@]}" || true
    for f in "$out"/*.runs; do read -r n <"$f"; total=$((total + n)); done
    echo "# $total bad-input runs over $(ls "$out"/*.runs | wc -l) programs"
    if compgen -G "$out/*.problems" >/dev/null; then
        for f in "$out"/*.problems; do sed "s|^|# ${f##*/}: |; s|\.problems: |: |" "$f"; done
        fail "$(cat "$out"/*.problems | wc -l) bad outcomes in $total runs"
    fi
    ((total > 100))
}

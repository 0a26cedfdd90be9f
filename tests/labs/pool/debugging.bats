#!/usr/bin/env bats
# docs/labs/debugging.md: its recipes (strace -f, gdb follow-fork-mode child,
# /proc/PID/status, ps for zombies and orphans) run on the pool labs.
# bats file_tags=lab,pool,docs

load '../../helpers/common'
load 'servers'
# LeakSanitizer cannot run under ptrace: with a SANITIZE=1 build, strace and
# gdb would turn every exit into its fatal error.  Leaks are checked elsewhere.
setup() { _common_setup; cd "$BATS_TEST_TMPDIR"; export ASAN_OPTIONS=detect_leaks=0; }
teardown() { _common_teardown; }

need() { command -v "$1" >/dev/null || skip "$1 is not installed (scripts/deps.sh installs it)"; }

@test "debugging: strace -f shows who forks, who reaps, who accepts and the fds passed" {
    need strace
    run_bounded 30 strace -f -e trace=clone,clone3,wait4,exit_group -o trace.txt \
        "$PROCLAB_BIN/mapreduce_sum" --elements 10K --workers 2
    assert_success
    parent=$(awk '/clone/ { print $1; exit }' trace.txt)
    # two forks: "clone(...) = PID", or split as "<... clone resumed>...) = PID"
    children=$(grep -E "^$parent +(clone3?\\(|<\\.\\.\\. clone3? resumed>).*= [0-9]+$" trace.txt | sed 's/.*= //')
    [[ $(wc -w <<<"$children") -eq 2 ]]
    for child in $children; do
        grep -qE "^$child +\\+\\+\\+ exited with 0 \\+\\+\\+$" trace.txt
        # the parent reaped it (strace may split the call: "<... wait4 resumed>")
        grep -qE "^$parent +(wait4\\($child, \\[|<\\.\\.\\. wait4 resumed>\\[)\\{WIFEXITED\\(s\\) && WEXITSTATUS\\(s\\) == 0\\}.* = $child$" trace.txt
    done

    start_server server.out strace -f -e trace=accept4,sendmsg,recvmsg -o trace2.txt \
        "$PROCLAB_BIN/prefork_server" --port 0 --mode passfd --workers 2 --requests-limit 20
    run_bounded 30 loadgen --port "$port" --requests 20 --conns 1 --per-conn 10
    assert_success
    wait_server 10
    [ "$server_status" -eq 0 ]
    pid=$(sed -n 's/^prefork_server: .*(pid \([0-9]*\))$/\1/p' server.out)
    workers=$(sed -n 's/^prefork_server: worker pids //p' server.out)
    # only the parent accepts, and it sends each connection with SCM_RIGHTS
    [[ $(grep -E '^[0-9]+ +accept4\(' trace2.txt | awk '{ print $1 }' | sort -u) == "$pid" ]]
    [[ $(grep -cE "^$pid +sendmsg\\(.*SCM_RIGHTS" trace2.txt) -eq 2 ]]
    got=0
    for w in $workers; do
        got=$((got + $(grep -cE "^$w +(recvmsg\\(|<\\.\\.\\. recvmsg resumed>).*SCM_RIGHTS" trace2.txt)))
    done
    [ "$got" -eq 2 ]

    run_bounded 30 strace -f -e trace=pidfd_open,waitid,pidfd_send_signal -o trace3.txt \
        "$PROCLAB_BIN/supervisor" --workers 2 --duration 1 --task-ms 50 --crash-after 2
    assert_success
    [[ $(grep -c 'pidfd_open(' trace3.txt) -ge 3 ]]      # 2 starts + at least one restart
    grep -q 'waitid(P_PIDFD, ' trace3.txt
    grep -q 'pidfd_send_signal([0-9]*, SIGTERM' trace3.txt
}

@test "debugging: gdb with follow-fork-mode child stops in the crashing worker" {
    need gdb
    run_bounded 60 gdb -q -batch -ex 'set follow-fork-mode child' -ex 'set detach-on-fork off' \
        -ex run -ex bt -ex 'info inferiors' \
        --args "$PROCLAB_BIN/supervisor" --workers 1 --crash-after 1 --task-ms 10 --duration 5
    assert_success
    assert_output --partial 'received signal SIGABRT'
    assert_line --regexp '^#[0-9]+ .* worker_main \(.*\) at labs/pool/supervisor.c:[0-9]+$'
    assert_line --regexp '^\* 2 +process [0-9]+ '
    # -batch killed both inferiors: nothing is left
    pids=$(sed -n 's/^[* ] [12] *process \([0-9]*\) .*/\1/p' <<<"$output")
    [[ $(wc -w <<<"$pids") -eq 2 ]]
    all_gone_within 1000 $pids
}

@test "debugging: /proc/PID/status and ps show masks, zombies and an orphan" {
    # a prefork worker waiting in accept: SIGTERM not blocked, SIGINT ignored
    start_server out "$PROCLAB_BIN/prefork_server" --port 0 --workers 2
    worker=$(sed -n 's/^prefork_server: worker pids \([0-9]*\).*/\1/p' out)
    run grep -E '^(State|PPid|SigBlk|SigIgn)' /proc/"$worker"/status
    assert_line --regexp '^State:[[:space:]]+S \(sleeping\)$'
    assert_line --regexp "^PPid:[[:space:]]+$server\$"
    blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' <<<"$output")
    ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' <<<"$output")
    run /usr/bin/python3 -c 'import signal, sys; m = int(sys.argv[1], 16); print([signal.Signals(n).name for n in range(1, 65) if m >> (n - 1) & 1 and n in signal.valid_signals()])' "$blk"
    assert_output "['SIGINT', 'SIGCHLD']"
    (( (16#$ign >> 1) & 1 && (16#$ign >> 12) & 1 ))       # SIGINT and SIGPIPE ignored
    kill -TERM "$server"
    wait_server 5

    # zombies: fork_per_conn --no-reap
    start_server out2 "$PROCLAB_BIN/fork_per_conn" --port 0 --max-children 3 --no-reap
    run_bounded 10 loadgen --port "$port" --requests 4 --conns 1 --per-conn 2
    assert_success
    for _ in $(seq 50); do
        zombies=$(ps -eo pid,ppid,stat,args | awk -v p="$server" '$2 == p && $3 ~ /^Z/' | wc -l)
        [[ $zombies -eq 2 ]] && break
        sleep 0.02
    done
    [ "$zombies" -eq 2 ]
    kill -TERM "$server"
    wait_server 5

    # an orphan: the supervisor started from a subshell that exits at once
    ("$PROCLAB_BIN/supervisor" --workers 1 --duration 5 --task-ms 50 >orphan.out 2>&1 3>&- &
     echo $! >orphan.pid)
    sv=$(cat orphan.pid)
    for _ in $(seq 100); do grep -q 'started: pid' orphan.out && break; sleep 0.02; done
    worker=$(sed -n 's/.*worker 1 started: pid \([0-9]*\)$/\1/p' orphan.out)
    ppid=$(ps -o ppid= -p "$sv" | tr -d ' ')
    [[ -n $ppid && $ppid != "$BASHPID" && $ppid != "$$" ]]   # re-parented: init or a subreaper
    [[ $(awk '/^PPid:/ { print $2 }' /proc/"$worker"/status) == "$sv" ]]   # its worker keeps its parent
    kill -TERM "$sv"
    all_gone_within 2000 "$sv" "$worker"
}

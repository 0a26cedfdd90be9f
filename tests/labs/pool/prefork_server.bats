#!/usr/bin/env bats
# prefork_server: N pre-forked workers on one port (accept, reuseport, passfd);
# loadgen drives them and checks every reply.
# bats file_tags=lab,pool

load '../../helpers/common'
load 'servers'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "prefork_server: each mode answers 10,000 checked requests; per-worker connection counts" {
    for mode in accept reuseport passfd; do
        out=$BATS_TEST_TMPDIR/$mode.out
        start_server "$out" "$PROCLAB_BIN/prefork_server" --port 0 --workers 4 --mode "$mode" \
            --requests-limit 10000 --time-limit 30 --timeline "$BATS_TEST_TMPDIR/$mode.csv"
        sed -n 2p "$out" | grep -q "^prefork_server: 4 workers, mode $mode, listening on 127.0.0.1:$port "
        pids=$(sed -n 's/^prefork_server: worker pids //p' "$out")
        [[ $(wc -w <<<"$pids") -eq 4 ]]
        run_bounded 30 loadgen --port "$port" --requests 10000 --conns 4 --per-conn 100
        assert_success
        assert_line --regexp '^loadgen: 10000 correct replies, 0 errors, [0-9]+ connections in '
        conns=$(sed -n 's/^loadgen: 10000 correct replies, 0 errors, \([0-9]*\) connections.*/\1/p' <<<"$output")
        wait_server 10
        [ "$server_status" -eq 0 ]
        run cat "$out"
        assert_line "prefork_server: stopping on the requests limit"
        # one line per worker; together they took every connection and request
        [[ $(grep -cE '^worker [1-4] \(pid [0-9]+\): [0-9]+ connections, [0-9]+ requests$' "$out") -eq 4 ]]
        sum_c=$(awk '/^worker /{ c += $5 } END { print c }' "$out")
        sum_r=$(awk '/^worker /{ r += $7 } END { print r }' "$out")
        [ "$sum_c" -eq "$conns" ]
        [ "$sum_r" -eq 10000 ]
        assert_line --regexp "^total: $conns connections, 10000 requests over 4 workers; the busiest worker took [0-9]+% "
        echo "# $mode: $(awk '/^worker /{ printf "%s%s", s, $5; s = " " }' "$out") connections per worker" >&3
        # the timeline has a box per connection in its worker's lane
        for w in 1 2 3 4; do
            printed=$(awk -v w="$w" '$1 == "worker" && $2 == w { print $5 }' "$out")
            drawn=$(grep -c "^worker $w,[0-9.]*,[0-9.]*,connection$" "$BATS_TEST_TMPDIR/$mode.csv" || true)
            [ "$printed" -eq "$drawn" ] || fail "$mode worker $w: $printed connections printed, $drawn drawn"
        done
        all_gone_within 1000 $pids
    done
}

@test "prefork_server: SIGTERM and SIGINT stop it cleanly; no worker is left" {
    for how in TERM:accept INT:passfd TERM:reuseport; do
        sig=${how%:*} mode=${how#*:}
        out=$BATS_TEST_TMPDIR/$mode.out
        start_server "$out" "$PROCLAB_BIN/prefork_server" --port 0 --workers 2 --mode "$mode"
        pids=$(sed -n 's/^prefork_server: worker pids //p' "$out")
        run_bounded 10 loadgen --port "$port" --requests 200 --conns 2 --per-conn 10
        assert_success
        kill -"$sig" "$server"
        wait_server 5
        [ "$server_status" -eq 0 ]
        grep -qx "prefork_server: stopping on SIG$sig" "$out"
        [[ $(awk '/^worker /{ r += $7 } END { print r }' "$out") -eq 200 ]]
        all_gone_within 1000 $pids
    done
}

@test "prefork_server killed with SIGKILL: its workers die with it (PR_SET_PDEATHSIG)" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/prefork_server" --port 0 --workers 3 --mode accept
    pids=$(sed -n 's/^prefork_server: worker pids //p' "$out")
    [[ $(wc -w <<<"$pids") -eq 3 ]]
    kill -KILL "$server"
    wait_server 5
    all_gone_within 1000 $pids
}

@test "prefork_server: a worker that dies is reported; the server stops with exit 1" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/prefork_server" --port 0 --workers 2 --mode passfd
    pids=$(sed -n 's/^prefork_server: worker pids //p' "$out")
    victim=${pids%% *}
    kill -KILL "$victim"
    wait_server 5
    [ "$server_status" -eq 1 ]
    grep -qx "prefork_server: worker 1 (pid $victim) died: signal:SIGKILL" "$out.err"
    grep -qx "prefork_server: stopping on a worker's death" "$out"
    grep -q "^worker 1 (pid $victim): 0 connections" "$out"
    all_gone_within 1000 $pids
}

@test "prefork_server --help; bad arguments exit 2" {
    run prefork_server --help
    assert_success
    assert_line --index 0 --partial "Usage: prefork_server [--port P]"
    for args in "--mode fork" "--workers 0" "--workers 65" "--port 65536" "--port x" \
                "--requests-limit -1" "--time-limit 0" "extra"; do
        run --separate-stderr prefork_server $args
        [[ $status -eq 2 ]] || fail "prefork_server $args exited $status"
        [[ -n $stderr ]]
    done
}

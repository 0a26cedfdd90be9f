#!/usr/bin/env bats
# fork_per_conn: a child per connection, reaped by a SIGCHLD handler, bounded.
# bats file_tags=lab,pool

load '../../helpers/common'
load 'servers'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "fork_per_conn: 10,000 checked requests, a child per connection, every child reaped" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/fork_per_conn" --port 0 --requests-limit 10000 --time-limit 30
    sed -n 2p "$out" | grep -q "^fork_per_conn: a child per connection, at most 64 at once, on 127.0.0.1:$port "
    run_bounded 30 loadgen --port "$port" --requests 10000 --conns 4 --per-conn 100
    assert_success
    conns=$(sed -n 's/^loadgen: 10000 correct replies, 0 errors, \([0-9]*\) connections.*/\1/p' <<<"$output")
    [[ -n $conns ]]
    wait_server 10
    [ "$server_status" -eq 0 ]
    run cat "$out"
    assert_line "fork_per_conn: stopping on the requests limit"
    assert_line --regexp "^children: $conns started \\(one connection each\\), [0-9]+ reaped while serving, at most [0-9]+ at once \\(bound 64\\); 10000 requests$"
    echo "# $(grep '^children:' "$out")" >&3
    refute_line --partial "zombies"
}

@test "fork_per_conn --max-children 2: never more than 2 children; the others wait in the backlog" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/fork_per_conn" --port 0 --max-children 2 --time-limit 30
    run_bounded 30 loadgen --port "$port" --requests 600 --conns 6 --per-conn 5
    assert_success
    assert_line --regexp '^loadgen: 600 correct replies, 0 errors, 12[0-9] connections '
    kill -TERM "$server"
    wait_server 5
    [ "$server_status" -eq 0 ]
    run cat "$out"
    assert_line "fork_per_conn: stopping on SIGTERM"
    assert_line --regexp '^children: 12[0-9] started \(one connection each\), [0-9]+ reaped while serving, at most 2 at once \(bound 2\); 600 requests$'
}

@test "fork_per_conn --no-reap: finished children stay zombies (state Z) until the end" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/fork_per_conn" --port 0 --max-children 3 --no-reap --time-limit 30
    run_bounded 10 loadgen --port "$port" --requests 4 --conns 1 --per-conn 2
    assert_success
    # both children served their connection and exited: zombies of the server
    for _ in $(seq 50); do
        states=$(ps -o stat= --ppid "$server" | tr -d ' ' | sort | tr '\n' ' ')
        [[ $states == "Z Z " ]] && break
        sleep 0.02
    done
    [[ $states == "Z Z " ]] || fail "children of the server: '$states'"
    child=$(ps -o pid= --ppid "$server" | head -1 | tr -d ' ')
    grep -q '^State:[[:space:]]*Z (zombie)$' /proc/"$child"/status
    kill -INT "$server"
    wait_server 5
    [ "$server_status" -eq 0 ]
    run cat "$out"
    assert_line "fork_per_conn: 2 of 2 live children are zombies (state Z): nobody reaped them"
    assert_line --regexp '^children: 2 started \(one connection each\), 0 reaped while serving'
    [[ -z $(ps -o pid= --ppid "$server") ]]
}

@test "fork_per_conn killed with SIGKILL mid-connection: the child dies with it" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/fork_per_conn" --port 0 --time-limit 30
    # a client that connects and says nothing: its child waits for a request
    exec 4<>/dev/tcp/127.0.0.1/"$port"
    for _ in $(seq 50); do
        child=$(ps -o pid= --ppid "$server" | tr -d ' ')
        [[ -n $child ]] && break
        sleep 0.02
    done
    [[ -n $child ]]
    kill -KILL "$server"
    wait_server 5
    all_gone_within 1000 "$child"
    exec 4>&-
}

@test "fork_per_conn --help; bad arguments exit 2" {
    run fork_per_conn --help
    assert_success
    assert_line --index 0 --partial "Usage: fork_per_conn [--port P]"
    for args in "--max-children 0" "--max-children 1025" "--port -1" "--requests-limit x" \
                "--time-limit 86401" "extra"; do
        run --separate-stderr fork_per_conn $args
        [[ $status -eq 2 ]] || fail "fork_per_conn $args exited $status"
        [[ -n $stderr ]]
    done
}

#!/usr/bin/env bats
# loadgen: a bounded loopback client that checks every reply.
# bats file_tags=lab,pool

load '../../helpers/common'
load 'servers'
setup() { _common_setup; }
teardown() { _common_teardown; }

# A one-connection server speaking the protocol, that spoils reply 3:
# "seq" (wrong sequence number), "sum" (wrong checksum) or "echo" (a changed
# payload byte).
BAD_SERVER='
import socket, struct, sys
how = sys.argv[1]
def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h
def recv_exactly(conn, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = conn.recv(n - len(buf))
        except OSError:             # the client reset the connection
            sys.exit(0)
        if not chunk:
            sys.exit(0)
        buf += chunk
    return buf
srv = socket.create_server(("127.0.0.1", 0))
srv.settimeout(10)
print("port=%d" % srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.settimeout(10)
for seq in range(1, 100):
    (n,) = struct.unpack(">I", recv_exactly(conn, 4))
    payload = bytearray(recv_exactly(conn, n))
    check = fnv1a(payload)
    if seq == 3:
        if how == "seq": seq = 7
        if how == "sum": check ^= 1
        if how == "echo": payload[-1] ^= 0xff
    conn.sendall(struct.pack(">III", n + 8, seq, check) + bytes(payload))
'

@test "loadgen: a wrong sequence number, checksum or echo is caught: exit 1" {
    for how in seq sum echo; do
        out=$BATS_TEST_TMPDIR/$how.out
        start_server "$out" /usr/bin/python3 -c "$BAD_SERVER" "$how"
        run_bounded_sep 20 loadgen --port "$port" --requests 5 --conns 1 --per-conn 0
        assert_failure 1
        case $how in
            seq)  [[ $stderr == *"request 2: wrong reply header (length 72, seq 7, checksum "* ]] ;;
            sum)  [[ $stderr == *"request 2: wrong reply header (length 72, seq 3, checksum "* ]] ;;
            echo) [[ $stderr == *"request 2: the echoed payload differs"* ]] ;;
        esac || fail "$how: stderr was: $stderr"
        [[ $output == *"loadgen: 2 correct replies, 3 errors,"* ]] || fail "$how: $output"
        wait_server 5
    done
}

@test "loadgen --format json: one flat object with the counts and percentiles" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/prefork_server" --port 0 --workers 2 --mode passfd
    run_bounded_sep 20 loadgen --port "$port" --requests 500 --conns 3 --per-conn 50 --size 1K --format json
    assert_success
    kill -TERM "$server"
    wait_server 5
    [ "$server_status" -eq 0 ]
    [[ $(wc -l <<<"$output") -eq 1 ]]
    /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert all(not isinstance(v, (dict, list)) for v in r.values()), "not flat"
assert r["requests"] == 500 and r["errors"] == 0, r
assert r["conns"] == 3 and r["per_conn"] == 50 and r["size"] == 1024, r
assert 10 <= r["connections"] <= 13, r
assert r["elapsed_s"] > 0 and r["rps"] > 0, r
assert 0 < r["p50_us"] <= r["p90_us"] <= r["p99_us"] <= r["p999_us"] <= r["max_us"], r
assert r["time_limited"] is False, r
' "$output"
    # the server counted the same requests
    [[ $(awk '/^worker /{ r += $7 } END { print r }' "$out") -eq 500 ]]
}

@test "loadgen --time-limit: stops sending after S seconds, every reply still checked" {
    out=$BATS_TEST_TMPDIR/out
    start_server "$out" "$PROCLAB_BIN/prefork_server" --port 0 --workers 1
    run_bounded_sep 20 loadgen --port "$port" --requests 10000000 --conns 1 --time-limit 1 --format json
    assert_success
    kill -TERM "$server"
    wait_server 5
    /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r["time_limited"] is True and r["errors"] == 0, r
assert 0 < r["requests"] < 10000000 and r["elapsed_s"] >= 1.0, r
' "$output"
}

@test "loadgen: no server listening: every request is an error, exit 1" {
    # port 1 (tcpmux) is privileged and unused here: connect is refused
    run_bounded_sep 20 loadgen --port 1 --requests 3 --conns 2
    assert_failure 1
    [[ $stderr == *"connect to port 1: Connection refused"* ]]
    [[ $output == *"loadgen: 0 correct replies, 3 errors, 0 connections"* ]]
}

@test "loadgen refuses an address that is not loopback; bad arguments exit 2" {
    for host in 10.0.0.1 192.168.1.1 8.8.8.8 0.0.0.0; do
        run --separate-stderr loadgen --port 80 --host "$host"
        assert_failure 2
        [[ $stderr == *"is not a loopback address (127.x.y.z): refused"* ]]
    done
    run --separate-stderr loadgen --port 80 --host localhost
    assert_failure 2
    [[ $stderr == *"'localhost' is not an IPv4 address"* ]]
    run --separate-stderr loadgen --requests 10
    assert_failure 2
    [[ $stderr == *"--port is required"* ]]
    for args in "--port 0" "--port 80 --requests 0" "--port 80 --requests 10000001" \
                "--port 80 --conns 257" "--port 80 --size 65537" "--port 80 --time-limit 0" \
                "--port 80 --format xml" "--port 80 --per-conn -1" "--port 80 extra"; do
        run --separate-stderr loadgen $args
        [[ $status -eq 2 ]] || fail "loadgen $args exited $status"
        [[ -n $stderr ]]
    done
    run loadgen --help
    assert_success
    assert_line --index 0 --partial "Usage: loadgen --port P"
}

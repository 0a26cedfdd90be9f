#!/usr/bin/env bats
# bench_server: flags, stable names from the registry, a short run of every
# mode through loadgen (counters, the split over workers), a wrong server
# reported as an error, and Ctrl-C leaving no server or loadgen behind.
# bats file_tags=bench,server

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

modes() { bench_server --list | awk 'NR > 1 { print $1 }'; }

@test "bench_server: --help, --list, bad flags, stable names of every mode" {
    run bench_server --help
    assert_success
    assert_line --index 0 "Usage: bench_server [--suite=quick|full] [FLAGS] [GOOGLE BENCHMARK FLAGS]"
    for bad in --bogus --list=junk --suite=x; do
        run --separate-stderr bench_server "$bad"
        assert_failure 2
        [[ -n $stderr ]]
    done
    M=$(modes)
    for m in accept reuseport passfd fork_per_conn; do grep -qx "$m" <<<"$M"; done
    run bench_server --benchmark_list_tests
    assert_success
    for m in $M; do assert_line "server/$m/workers:2/conns:4/iterations:1/manual_time"; done
    [ "${#lines[@]}" -eq "$(wc -l <<<"$M")" ]
    run bench_server --suite=full --benchmark_list_tests
    assert_line "server/passfd/workers:4/conns:64/iterations:1/manual_time"
    assert_line "server/fork_per_conn/workers:1/conns:1/iterations:1/manual_time"
}

@test "bench_server: a short run of every mode gives requests/s, latency and the worker split" {
    out="$BATS_TEST_TMPDIR/server.json"
    run_bounded 60 bench_server --benchmark_repetitions=1 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_success
    run python3 - "$out" "$(modes)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["context"]["server_modes"] == " ".join(sys.argv[2].split()), d["context"]
req = int(d["context"]["server_requests_per_run"])
by = {b["name"]: b for b in d["benchmarks"]}
for m in sys.argv[2].split():
    b = by["server/%s/workers:2/conns:4/iterations:1/manual_time" % m]
    assert not b.get("error_occurred"), b
    # one iteration = one loadgen run of req requests: items/s = requests / manual time
    assert abs(b["items_per_second"] * b["real_time"] / 1e3 / req - 1) < 1e-3, b
    assert 0 < b["p50_us"] <= b["p99_us"] <= b["p999_us"], b
    assert b["connections"] >= 4 and b["workers"] == 2 and b["conns"] == 4, b
    if m != "fork_per_conn":   # a pre-forked server reports its split
        assert b["conns_min"] + b["conns_max"] <= b["connections"], b
        assert b["conns_max"] >= b["conns_min"] >= 0, b
        if b["conns_min"]:
            assert abs(b["conns_max_over_min"] - b["conns_max"] / b["conns_min"]) < 1e-9, b
print("ok")
PY
    assert_output "ok"
    # The summary's answer is the JSON's maximum (scripts/families/server).
    mkdir "$BATS_TEST_TMPDIR/run" && cp "$out" "$BATS_TEST_TMPDIR/run/server.json"
    run "$PROCLAB_ROOT/scripts/families/server/summary.py" "$BATS_TEST_TMPDIR/run"
    assert_success
    best=$(python3 -c 'import json,sys
b = max(json.load(open(sys.argv[1]))["benchmarks"], key=lambda b: b["items_per_second"])
print(b["name"].split("/")[1])' "$out")
    assert_line --regexp "^  most requests per second: $best \(workers:2, conns:4\)"
}

@test "bench_server: a server that breaks the protocol is an error; the run fails" {
    # A fake prefork_server that answers nothing: loadgen fails, so must the benchmark.
    mkdir "$BATS_TEST_TMPDIR/bin"
    cp "$PROCLAB_BIN/bench_server" "$PROCLAB_BIN/loadgen" "$BATS_TEST_TMPDIR/bin/"
    cat >"$BATS_TEST_TMPDIR/bin/prefork_server" <<'SH'
#!/usr/bin/env python3
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print("port=%d" % s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.recv(100); c.sendall(b"\0\0\0\4junkjunkjunkjunk"); c.close()
SH
    chmod +x "$BATS_TEST_TMPDIR/bin/prefork_server"
    out="$BATS_TEST_TMPDIR/server.json"
    run_bounded 60 "$BATS_TEST_TMPDIR/bin/bench_server" --benchmark_filter='server/accept/' \
        --benchmark_repetitions=1 --benchmark_out="$out" --benchmark_out_format=json
    assert_failure 1
    run python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["benchmarks"][0]; assert b["error_occurred"] and "loadgen" in b["error_message"], b; print("ok")' "$out"
    assert_output "ok"
}

@test "bench_server: SIGINT mid-run leaves no server or loadgen behind" {
    bench_server --benchmark_filter='server/passfd/' --benchmark_repetitions=1000 \
        >/dev/null 2>&1 3>&- &
    pid=$!
    sleep 0.5
    kill -INT "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 130 ]
    sleep 0.2
    run pgrep -f "$PROCLAB_BIN/(prefork_server|loadgen)"
    assert_failure
}

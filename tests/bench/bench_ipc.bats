#!/usr/bin/env bats
# bench_ipc: flags, stable names, the JSON of short runs, checked delivery,
# and a partner killed mid-benchmark (error reported, run goes on, nothing
# left behind: the teardown's leak check covers /dev/shm, /dev/mqueue, ipcs).
# bats file_tags=bench,ipc

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The mechanisms come from the registry (bench_ipc --list), never from a
# list written again here: adding one needs no edit of this file.
mechs() { bench_ipc --list | awk 'NR > 1 && NF == 0 { exit } NR > 1 { print $1 }'; }

@test "bench_ipc --help exits 0 and names the driver flags" {
    run bench_ipc --help
    assert_success
    assert_line --index 0 "Usage: bench_ipc [--suite=quick|full] [FLAGS] [GOOGLE BENCHMARK FLAGS]"
    assert_output --partial "--pairs"
    assert_output --partial "--list"
}

@test "bench_ipc: bad flags, bad values and stray words exit 2 with a message" {
    run --separate-stderr bench_ipc --bogus
    assert_failure 2
    [[ $stderr == *"unknown argument '--bogus'"* ]]
    run --separate-stderr bench_ipc --pairs=some
    assert_failure 2
    [[ $stderr == *"bad value for --pairs"* ]]
    run --separate-stderr bench_ipc --kill-partner-after=x
    assert_failure 2
    run --separate-stderr bench_ipc pipe
    assert_failure 2
    [[ $stderr == *"only taken with --pairs=all"* ]]
    run --separate-stderr bench_ipc --pairs=all nosuchmech
    assert_failure 2
}

@test "bench_ipc --list shows the registry (the same as the JSON context) and the sizes they skip" {
    MECHS=$(mechs)
    [ "$(wc -w <<<"$MECHS")" -ge 18 ]
    [ "$(tr ' ' '\n' <<<"$MECHS" | sort -u | wc -l)" -eq "$(wc -w <<<"$MECHS")" ]   # each once
    run bench_ipc --benchmark_filter='ipc_floor/memcpy/bytes:64/' --benchmark_repetitions=1 \
        --benchmark_min_time=0.001 --benchmark_format=json
    ctx=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["context"]["ipc_mechanisms"])' <<<"$output")
    [ "$ctx" = "$(echo $MECHS)" ]
    run bench_ipc --list
    assert_success
    for m in pipe udp posix_mq shm_spin; do assert_line --regexp "^$m +"; done
    assert_line "  quick udp: throughput 65536 1048576"
    assert_line "  full  posix_mq: latency 32768 65536; throughput 65536 262144 1048576"
}

@test "bench_ipc: the quick suite registers every mechanism x size x placement with stable names" {
    MECHS=$(mechs)
    # 2 latency + 3 throughput sizes per mechanism, minus the quick sizes
    # --list says are skipped, x 2 placements, + memcpy x 3, cacheline,
    # line_each_way, 2 refs.
    skipped=$(bench_ipc --list | awk '$1 == "quick" { gsub(/;/, ""); for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+$/) n++ } END { print n + 0 }')
    want=$(( 2 * (5 * $(wc -w <<<"$MECHS") - skipped) + 7 ))
    run bench_ipc --benchmark_list_tests
    assert_success
    for m in $MECHS; do
        for b in 64 4096; do
            for c in 0 1; do assert_line "ipc_latency/$m/bytes:$b/cross:$c/real_time"; done
        done
        assert_line "ipc_throughput/$m/bytes:64/cross:1/real_time"
    done
    assert_line "ipc_throughput/pipe/bytes:1048576/cross:0/real_time"
    refute_line "ipc_throughput/udp/bytes:65536/cross:0/real_time"    # above max_msg
    refute_line "ipc_throughput/posix_mq/bytes:1048576/cross:1/real_time"
    assert_line "ipc_floor/memcpy/bytes:1048576/real_time"
    assert_line "ipc_floor/cacheline/cross:1/real_time"
    assert_line "ipc_floor/line_each_way/cross:1/real_time"
    assert_line "ipc_ref/pipe_pingpong/bytes:64/cross:0/iterations:1/manual_time"
    assert_line "ipc_ref/pipe_pingpong/bytes:64/cross:1/iterations:1/manual_time"
    [ "${#lines[@]}" -eq "$want" ]
}

@test "bench_ipc --pairs=all MECH registers one ping-pong per ordered CPU pair" {
    run bench_ipc --pairs=all pipe --benchmark_list_tests
    assert_success
    n=$(nproc)
    [ "${#lines[@]}" -eq $(( n * (n - 1) )) ]
    assert_line "ipc_pairs/pipe/cpu_a:0/cpu_b:1/real_time"
    run bench_ipc --pairs=all --benchmark_list_tests
    assert_line "ipc_pairs/shm_spin/cpu_a:1/cpu_b:0/real_time"
}

@test "bench_ipc: short runs of every mechanism write latency and checked throughput to JSON" {
    out="$BATS_TEST_TMPDIR/ipc.json"
    run_bounded 120 bench_ipc --benchmark_filter='ipc_(latency|throughput)/.*/bytes:64/cross:1|ipc_floor|ipc_ref/.*cross:1' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_success
    run python3 - "$out" "$(mechs)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
mechs = sys.argv[2].split()
by = {b["name"]: b for b in d["benchmarks"] if b["run_type"] == "iteration"}
for m in mechs:
    lat = by["ipc_latency/%s/bytes:64/cross:1/real_time" % m]
    thr = by["ipc_throughput/%s/bytes:64/cross:1/real_time" % m]
    for b in (lat, thr):
        assert not b.get("error_occurred"), b
        assert b["items_per_second"] > 0 and b["bytes_per_second"] > 0, b
        assert b["bytes"] == 64 and b["cpu_a"] != b["cpu_b"], b
    # one sample per batch of round trips (core: no clock read inside a trip)
    assert lat["batch"] >= 1 and lat["samples"] == max(1, lat["iterations"] // lat["batch"]), lat
    assert lat["p50_ns"] <= lat["p99_ns"] <= lat["p999_ns"] and lat["mean_ns"] > 0, lat
    if m != "udp":
        assert thr["dropped"] == 0, thr
ref = by["ipc_ref/pipe_pingpong/bytes:64/cross:1/iterations:1/manual_time"]
assert not ref.get("error_occurred") and ref["real_time"] > 0, ref
line = by["ipc_floor/cacheline/cross:1/real_time"]
assert not line.get("error_occurred") and line["samples"] > 0 and line["batch"] >= 1, line
each = by["ipc_floor/line_each_way/cross:1/real_time"]
assert not each.get("error_occurred") and each["samples"] > 0 and each["batch"] >= 1, each
assert d["context"]["proclab_family"] == "ipc"
assert "udp: throughput 65536" in d["context"]["ipc_skipped_sizes"]
print("ok")
PY
    assert_success
    assert_output "ok"
}

@test "bench_ipc: a partner killed mid-benchmark (after the warm-up) is an error in the JSON and later benchmarks run" {
    out="$BATS_TEST_TMPDIR/ipc.json"
    run_bounded 120 bench_ipc --kill-partner-after=0 \
        --benchmark_filter='ipc_latency/(pipe|posix_mq|sysv_mq|shm_spin|shm_futex|signal|unix_stream)/bytes:64/cross:0|ipc_throughput/(pipe|memfd|udp)/bytes:64/cross:1|ipc_floor/memcpy/bytes:64' \
        --benchmark_repetitions=2 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_failure 1          # some benchmarks ended with an error (named on stderr)
    run python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
runs = [b for b in d["benchmarks"] if b["run_type"] == "iteration"]
names = [b["name"] for b in runs]
for b in runs:
    if b["name"].startswith("ipc_floor/memcpy"):
        assert not b.get("error_occurred"), b      # ran after the failures
        continue
    assert b.get("error_occurred"), b
    msg = b["error_message"]
    assert "partner died" in msg or "receiver died" in msg, msg
assert names[-1].startswith("ipc_throughput/udp") or "ipc_floor/memcpy/bytes:64/real_time" in names, names
assert len(runs) == 2 * 11, names
print("ok")
PY
    assert_success
    assert_output "ok"
}

@test "bench_ipc: SIGINT mid-run leaves no partner and no IPC object behind" {
    bench_ipc --benchmark_filter='ipc_latency/(posix_mq|sysv_mq|shm_sem|fifo|unix_stream)' \
        --benchmark_min_time=2 >/dev/null 2>&1 3>&- &
    pid=$!
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    sleep 0.2
    run pgrep -f 'bench_ipc --benchmark_filter=ipc_latency/\(posix_mq'
    assert_failure
}

@test "bench_ipc: a corrupt stream (hidden --corrupt-after) is an error in the JSON and the run fails" {
    out="$BATS_TEST_TMPDIR/ipc.json"
    run_bounded 60 bench_ipc --corrupt-after=0 \
        --benchmark_filter='ipc_throughput/(pipe|shm_spin)/bytes:64/cross:0|ipc_latency/pipe/bytes:64/cross:0' \
        --benchmark_repetitions=1 --benchmark_min_time=0.01 \
        --benchmark_out="$out" --benchmark_out_format=json
    assert_failure 1
    run python3 - "$out" <<'PY'
import json, sys
by = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
for m in ("pipe", "shm_spin"):
    b = by["ipc_throughput/%s/bytes:64/cross:0/real_time" % m]
    assert b.get("error_occurred") and "corrupt" in b["error_message"], b
lat = by["ipc_latency/pipe/bytes:64/cross:0/real_time"]   # not a stream: untouched
assert not lat.get("error_occurred"), lat
print("ok")
PY
    assert_output "ok"
}

@test "bench_ipc: Ctrl-C while a partner is being started is not lost (the run dies of it, nothing left)" {
    # Before the fix a signal that came before the partner's pid was known
    # killed nobody and the run (10^8 round trips with this hook) went on
    # until the time limit.
    run_bounded 20 bench_ipc --stop-during-start \
        --benchmark_filter='ipc_latency/posix_mq/bytes:64/cross:0' --benchmark_repetitions=1
    assert_failure 130
}

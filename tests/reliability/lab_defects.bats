#!/usr/bin/env bats
# Smaller defects the audit found in the labs, one test each: full /dev/shm,
# RLIMIT_NPROC, closed standard fds, a failed second fork, overlong FIFO
# messages, core files, misleading verdicts (queue_shm, barrier, event) and
# queue_posix's time limit.
# bats file_tags=reliability

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# RLIMIT_NPROC does not bind root: as root, run such tests as user nobody.
if ((PROCLAB_UID == 0)); then run_uid=65534; else run_uid=$PROCLAB_UID; fi

as_unprivileged() {
    if ((PROCLAB_UID == 0)); then
        setpriv --reuid="$run_uid" --regid="$run_uid" --clear-groups "$@"
    else
        "$@"
    fi
}

@test "shared_state --via shm with /dev/shm full: ENOSPC, not SIGBUS" {
    ((PROCLAB_UID == 0)) || skip "needs root for a private mount namespace with a tiny /dev/shm"
    run --separate-stderr unshare -m sh -c '
        mount -t tmpfs -o size=64k tmpfs /dev/shm || exit 99
        dd if=/dev/zero of=/dev/shm/fill bs=4k count=100 2>/dev/null
        exec "$1" --via shm' sh "$PROCLAB_BIN/shared_state"
    ((status != 99)) || skip "could not mount a tmpfs on /dev/shm"
    assert_failure 1
    [[ $stderr == *ENOSPC*posix_fallocate* ]] || fail "stderr: $stderr"
    [[ $stderr != *SIGBUS* ]]
}

@test "popen2 under RLIMIT_NPROC reports EAGAIN from posix_spawn, not 'command not found'" {
    run --separate-stderr as_unprivileged prlimit --nproc=1 "$PROCLAB_BIN/popen2" -- true
    assert_failure 1
    [[ $stderr == *EAGAIN*posix_spawn* ]] || fail "stderr: $stderr"
    [[ $stderr != *"not found"* ]]
}

@test "popen2 started with fd 0 (or 1) closed still feeds the child's stdin" {
    run bash -c '"$1" -b 100000 -- cat <&-' sh "$PROCLAB_BIN/popen2"
    assert_success
    assert_output "sent=100000 received=100000 stderr=0 status=0"
    run bash -c '"$1" -b 100000 -- cat >&- 2>/dev/null; echo "exit $?"' sh "$PROCLAB_BIN/popen2"
    assert_output "exit 0"
}

@test "deadlock: when the second fork fails, the lab ends and reaps its first child itself" {
    # A subreaper runs the lab (nproc 3: it, the lab and A; B fails): a child
    # the lab leaves behind (alive, or
    # dying of PR_SET_PDEATHSIG) is re-parented to it, and it says so.
    run as_unprivileged /usr/bin/python3 -c '
import ctypes, os, subprocess, sys
ctypes.CDLL(None).prctl(36, 1)      # PR_SET_CHILD_SUBREAPER
lab = subprocess.run(sys.argv[1:], stderr=subprocess.STDOUT, stdout=subprocess.PIPE)
sys.stdout.write(lab.stdout.decode())
print("lab exit", lab.returncode)
try:
    pid, _ = os.waitpid(-1, os.WNOHANG)
    os.kill(pid, 9) if pid else None
    print("orphan left: the lab did not reap its first child")
except ChildProcessError:
    print("no orphan")' prlimit --nproc=3 "$PROCLAB_BIN/deadlock" -t 5000
    assert_success
    assert_output --partial "EAGAIN"
    assert_line "lab exit 1"
    assert_line "no orphan"
}

@test "fifo send: an overlong message is refused at once (exit 2); 'no reader' goes to stderr" {
    long=$(printf '%*s' 5000 '' | tr ' ' x)
    # -t 60000: before the check, send would wait a minute for a reader.
    run_bounded 10 fifo -t 60000 send "$BATS_TEST_TMPDIR/none" "$long"
    assert_failure 2
    assert_output --partial "message 1 is longer than"
    run --separate-stderr fifo -t 100 send "$BATS_TEST_TMPDIR/none" hi
    assert_failure 3
    [ -z "$output" ]
    [[ $stderr == "send: no reader opened"* ]]
}

@test "wait_status leaves no core file in the current directory" {
    mkdir "$BATS_TEST_TMPDIR/cwd"
    cd "$BATS_TEST_TMPDIR/cwd"
    run_bounded 20 wait_status
    assert_success
    [ -z "$(ls -A)" ] || fail "left in the current directory: $(ls -A)"
    if [[ $output == *WCOREDUMP=1* && $(cat /proc/sys/kernel/core_pattern) == core* ]]; then
        assert_line --regexp "^  core file /tmp/proclab-$PROCLAB_UID-[0-9]+-[A-Za-z0-9]{6}/core"
    fi
}

@test "queue_shm: a join timeout on slow work does not claim an item died with its consumer" {
    run_bounded 20 queue_shm -c 1 -n 5 -w 1000 -s 64 -t 300
    assert_failure 3
    refute_output --partial "died with"
    assert_output --partial "no item was lost"
}

@test "barrier: a stopped worker is named by its pid at once; kill -CONT lets the run finish" {
    barrier -w 3 -k 150 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    local pid=$! kids=() victim named=0
    for _ in {1..300}; do
        read -r -a kids 2>/dev/null </proc/"$pid"/task/"$pid"/children || true
        ((${#kids[@]} == 3)) && break
        sleep 0.01
    done
    ((${#kids[@]} == 3)) || { kill -KILL "$pid"; fail "barrier did not start 3 workers"; }
    victim=${kids[1]}
    kill -STOP "$victim"
    for _ in {1..300}; do
        grep -q "(pid $victim) was stopped by SIGSTOP" "$BATS_TEST_TMPDIR/out" && { named=1; break; }
        sleep 0.01
    done
    kill -CONT "$victim"
    for _ in {1..1000}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" "${kids[@]}"
    run wait "$pid"
    ((named)) || fail "no line named the stopped worker: $(<"$BATS_TEST_TMPDIR/out")"
    assert_success
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line --regexp "^parent: worker [0-9]+ \\(pid $victim\\) continues$"
}

@test "event: waits that time out before set() are not reported as missed wake-ups" {
    run_bounded 20 event --via cond -n 2 -d 300 -t 50
    assert_failure 1
    refute_output --partial "no wake-up reached it"
    assert_line --regexp '^waiter 1: wait\(timeout=50 ms\) -> False after [0-9]+ ms \(timed out before set\(\) was called\)$'
}

@test "queue_posix: --help states the 30 s limit of a run" {
    run queue_posix --help
    assert_success
    assert_output --partial "at most 30 s"
}

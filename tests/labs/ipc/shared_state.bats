#!/usr/bin/env bats
# shared_state: Value/Array shared three ways (anon, shm, memfd); false
# sharing; the named object exists while running and is gone after.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

no_pids() { sed -E 's/child [0-9]+/child PID/; s/proclab-[0-9]+-[0-9]+-[0-9a-f]{8}-state/proclab-UID-PID-RAND-state/g' <<<"$output"; }

@test "shared_state --via anon: the parent sees the child's writes" {
    run_bounded 10 shared_state
    assert_success
    run no_pids
    assert_output - <<'OUT'
anon: mmap(MAP_SHARED | MAP_ANONYMOUS), inherited by fork
child PID: counter += 1000, array[i] = i*i
parent: counter=1000 array=[0 1 4 9 16 25 36 49]
OUT
}

@test "shared_state --via shm: the child opens the name; it exists, then is unlinked" {
    run_bounded 10 shared_state --via shm
    assert_success
    run no_pids
    assert_output - <<'OUT'
shm: shm_open(O_CREAT | O_EXCL, 0600): /dev/shm/proclab-UID-PID-RAND-state exists: yes
child PID: shm_open("/proclab-UID-PID-RAND-state", O_RDWR) by name
child PID: counter += 1000, array[i] = i*i
parent: counter=1000 array=[0 1 4 9 16 25 36 49]
shm: after shm_unlink: /dev/shm/proclab-UID-PID-RAND-state exists: no
OUT
}

@test "shared_state --via memfd: the child maps the inherited fd" {
    run_bounded 10 shared_state --via memfd
    assert_success
    assert_line --regexp '^child [0-9]+: inherited fd [0-9]+ -> /memfd:proclab-state \(deleted\)$'
    assert_line "parent: counter=1000 array=[0 1 4 9 16 25 36 49]"
}

@test "shared_state --via shm: the name is in /dev/shm, mode 0600, while it runs; SIGINT removes it" {
    shared_state --via shm --hold-ms 5000 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.5
    name=$(compgen -G "/dev/shm/proclab-$(id -u)-$pid-????????-state")   # RAND: 8 hex digits
    [ -e "$name" ]
    [ "$(stat -c %a "$name")" = 600 ]
    kill -INT "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 130 ]
    [ ! -e "$name" ]
}

@test "shared_state --layout packed|padded: same counts; the counters share a line or not" {
    run_bounded 30 shared_state --layout packed -i 200000
    assert_success
    assert_line --index 0 "layout packed: counters 8 bytes apart (one 64-byte cache line), 200000 increments each"
    assert_line --regexp '^a=200000 b=200000 in [0-9.]+ ms$'
    run_bounded 30 shared_state --layout padded -i 200000
    assert_success
    assert_line --index 0 "layout padded: counters 64 bytes apart (separate cache lines), 200000 increments each"
    assert_line --regexp '^a=200000 b=200000 in [0-9.]+ ms$'
}

@test "shared_state: SIGTERM during --layout ends both children" {
    shared_state --layout packed -i 1000000000 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    pid=$!
    sleep 0.3
    kill -TERM "$pid"
    run_bounded 10 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
    assert_success
    run wait "$pid"
    [ "$status" -eq 143 ]
}

@test "shared_state --help exits 0 and shows usage" {
    run shared_state --help
    assert_success
    assert_line --index 0 "Usage: shared_state [--via anon|private|shm|memfd | --layout packed|padded] [-i ITERS] [--hold-ms MS]"
}

@test "shared_state: bad arguments exit 2 with a message" {
    run --separate-stderr shared_state --via sysv
    assert_failure 2
    [[ $stderr == *"--via: 'sysv' is not anon, private, shm or memfd"* ]]
    run --separate-stderr shared_state --layout tight
    assert_failure 2
    [[ $stderr == *"--layout: 'tight' is not packed or padded"* ]]
    run --separate-stderr shared_state --via shm --layout packed
    assert_failure 2
    [[ $stderr == *"pick one"* ]]
    run --separate-stderr shared_state -i 0
    assert_failure 2
    [[ $stderr == *"--iters: 0 is out of range [1, 1000000000]"* ]]
    run --separate-stderr shared_state --bogus
    assert_failure 2
    run --separate-stderr shared_state extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "shared_state --via private: MAP_PRIVATE is copied on write; the parent sees its zeros, exit 1" {
    run_bounded 10 shared_state --via private
    assert_failure 1
    assert_line --regexp '^child [0-9]+: counter \+= 1000, array\[i\] = i\*i$'
    assert_line "parent: counter=0 array=[0 0 0 0 0 0 0 0]"
    assert_line "parent: the child's writes went to its own copy of the pages"
}

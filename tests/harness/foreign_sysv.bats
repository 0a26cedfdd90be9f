#!/usr/bin/env bats
# The leak check's attribution of System V objects: a queue that a live
# proclab run in another session made (it left its record,
# /tmp/proclab-UID-PID-msg-ID-XXXXXX) is not this test's leak and must not
# be removed under it; one without a record, or whose creator is dead, is.
# bats file_tags=harness

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "leak check: a live run's System V queue in another session is not ours; an unrecorded one is" {
    # queue_sysv in a session of its own, slow enough to outlive the check
    setsid queue_sysv -c 1 -n 20 -w 50 >"$BATS_TEST_TMPDIR/q.out" 2>&1 &
    local lab=$! rec='' id
    for _ in $(seq 100); do
        for rec in /tmp/proclab-"$PROCLAB_UID"-*-msg-*-*; do [[ -d $rec ]] && break 2; done
        rec=''
        sleep 0.02
    done
    [[ -n $rec ]] || fail "queue_sysv left no record of its queue"
    [[ $rec =~ -msg-([0-9]+)- ]]
    id=${BASH_REMATCH[1]}
    run _not_someone_elses <<<"msg $id"
    assert_output ''                       # someone else's: kept off the list
    run _not_someone_elses <<<"msg 2147483000"
    assert_output 'msg 2147483000'         # no record: judged as ours
    wait "$lab"
    run cat "$BATS_TEST_TMPDIR/q.out"
    refute_output --partial 'EIDRM'
    # the run ended: its queue and record are gone with it
    [ ! -d "$rec" ]
}

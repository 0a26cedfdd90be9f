#!/usr/bin/env bats
# wait_status: decode exit codes, signals and core dumps; zombies and orphans.
# bats file_tags=lab,process

load '../../helpers/common'
# Run in the per-test directory: a core dump may be written to the cwd.
setup() { _common_setup; cd "$BATS_TEST_TMPDIR"; }
teardown() { _common_teardown; }

@test "wait_status: exit code, SIGKILL and a core-dumping abort are decoded" {
    run_bounded 20 wait_status
    assert_success
    assert_line --index 1 "  WIFEXITED=1 WEXITSTATUS=3"
    assert_line --index 3 "  WIFSIGNALED=1 WTERMSIG=9 (SIGKILL) WCOREDUMP=0"
    # Whether a core was written depends on the machine: accept both, but
    # the report must agree with what WCOREDUMP said.
    assert_line --index 5 --regexp '^  WIFSIGNALED=1 WTERMSIG=6 \(SIGABRT\) WCOREDUMP=[01]$'
    assert_line --regexp "^  core_pattern='.*'$"
    if [[ ${lines[5]} == *WCOREDUMP=1 && $(cat /proc/sys/kernel/core_pattern) == core* ]]; then
        assert_line --regexp '^  core file /tmp/proclab-[0-9]+-[0-9]+-[A-Za-z0-9]{6}/core(\.[0-9]+)?: [0-9]+ bytes .*removed at exit'
    fi
    ! compgen -G "$BATS_TEST_TMPDIR/core*"  # never in the current directory
}

@test "wait_status: a dead child is a zombie (state Z) until waitpid reaps it" {
    run_bounded 20 wait_status
    assert_success
    assert_line --regexp '^zombie: child [0-9]+ exited; before waitpid /proc/[0-9]+/stat says state Z$'
    assert_line --regexp '^  after waitpid: /proc/[0-9]+ is gone \(reaped\)$'
}

@test "wait_status: an orphan is re-parented away from its dead parent" {
    run_bounded 20 wait_status
    assert_success
    middle=$(sed -n 's/^orphan: middle \([0-9]*\) forked.*/\1/p' <<<"$output")
    [[ -n $middle ]]
    line=$(grep '^  grandchild ' <<<"$output")
    [[ $line =~ re-parented\ from\ $middle\ to\ ppid=([0-9]+) ]]
    [[ ${BASH_REMATCH[1]} != "$middle" ]]
    [[ $line != *"that is us"* ]]
}

@test "wait_status --subreaper: the orphan's new parent is the lab, which reaps it" {
    run_bounded 20 wait_status --subreaper
    assert_success
    assert_line --regexp '^  grandchild [0-9]+: re-parented from [0-9]+ to ppid=[0-9]+ \(wait_status\), that is us$'
    # The orphan's own exit status is decoded by the lab, its new parent.
    assert_equal "${lines[${#lines[@]}-1]}" "  WIFEXITED=1 WEXITSTATUS=0"
}

@test "wait_status --help exits 0 and shows usage" {
    run wait_status --help
    assert_success
    assert_line --index 0 "Usage: wait_status [--subreaper] [--core-dir DIR] [--timeline FILE]"
}

@test "wait_status: bad arguments exit 2 with a message" {
    run --separate-stderr wait_status --bogus
    assert_failure 2
    run --separate-stderr wait_status extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "wait_status --timeline: a lane per child, each reaped once with its status; the zombie lasts until the reap" {
    load '../../helpers/pictures'
    run_bounded 20 wait_status --subreaper --timeline t.csv
    assert_success
    timeline_ok t.csv
    run timeline_lanes t.csv
    assert_output "$(printf 'parent\nexit child\nkilled child\ncore child\nzombie child\nmiddle\ngrandchild')"
    for lane in "exit child" "killed child" "core child" "zombie child" middle grandchild; do
        [ "$(timeline_count t.csv "$lane" '^reaped: ')" -eq 1 ]
    done
    [ "$(timeline_count t.csv "exit child" '^reaped: exit 3$')" -eq 1 ]
    [ "$(timeline_count t.csv "killed child" '^reaped: signal:SIGKILL$')" -eq 1 ]
    [ "$(timeline_count t.csv parent '^fork ')" -eq 5 ]
    [ "$(timeline_count t.csv grandchild "^re-parented to [0-9]+$")" -eq 1 ]
    # The zombie interval starts after the child's _exit and ends by its reap.
    run awk -F, '$1 == "zombie child" && $4 == "_exit(0)" { e = $2 }
                 $1 == "zombie child" && $4 == "zombie (state Z)" { zs = $2; ze = $3 }
                 $1 == "zombie child" && $4 ~ /^reaped/ { r = $2 }
                 END { exit !(e != "" && e <= zs && zs < ze && ze <= r) }' t.csv
    assert_success
}

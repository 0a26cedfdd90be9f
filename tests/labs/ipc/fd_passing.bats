#!/usr/bin/env bats
# fd_passing: SCM_RIGHTS gives another process the same open file description.
# bats file_tags=lab,ipc

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "fd_passing: the child writes through a passed fd; the offset is shared" {
    run_bounded 10 fd_passing
    assert_success
    assert_line --index 0 --regexp "^parent: opened /tmp/proclab-$(id -u)-[0-9]+-[A-Za-z0-9]{6}/shared.txt as fd [0-9]+, then removed it and its directory$"
    pfd=$(sed -n 's/^parent: wrote 23 bytes through fd \([0-9]*\) (inode .*/\1/p' <<<"$output")
    pino=$(sed -n 's/^parent: wrote 23 bytes through fd [0-9]* (inode \([0-9]*\)), offset now 23$/\1/p' <<<"$output")
    [[ -n $pfd && -n $pino ]]
    assert_line "parent: sending fd $pfd with SCM_RIGHTS"
    cfd=$(sed -n 's/^child: received fd \([0-9]*\), inode .*/\1/p' <<<"$output")
    assert_line "child: received fd $cfd, inode $pino, offset 23: the parent's write moved it for me"
    [ "$cfd" -ne "$pfd" ]           # another number, the same file
    assert_line "child: wrote 22 bytes through fd $cfd, offset now 45"
    assert_line "parent: offset now 45: the child's write moved mine too"
    assert_output --partial $'parent: the file holds:\nparent wrote this line\nchild wrote this line\n'
    assert_line "parent: child ended with exit 0"
    dir=$(sed -n 's|^parent: opened \(.*\)/shared.txt as .*|\1|p' <<<"$output")
    [[ ! -e $dir ]]
}

@test "fd_passing --number-only: a bare fd number is not the file, exit 1" {
    run_bounded 10 fd_passing --number-only
    assert_failure 1
    assert_line --regexp '^parent: sending only the number [0-9]+ as data$'
    assert_line --regexp '^child: (fd [0-9]+ here is a (socket|different file), not the parent.s file|fstat\([0-9]+\) failed: EBADF): an fd number means nothing in another process$'
    assert_line "parent: child ended with exit 1"
    refute_line --partial "offset now 45"
}

@test "fd_passing --help exits 0 and shows usage" {
    run fd_passing --help
    assert_success
    assert_line --index 0 "Usage: fd_passing [--number-only] [--fd-table FILE]"
}

@test "fd_passing: bad arguments exit 2 with a message" {
    run --separate-stderr fd_passing --bogus
    assert_failure 2
    run --separate-stderr fd_passing extra
    assert_failure 2
    [[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "fd_passing --fd-table: the child has no fd to the file until recvmsg gives it one, on the same open file" {
    load '../../helpers/pictures'
    t=$BATS_TEST_TMPDIR/fds.csv
    run_bounded 10 fd_passing --fd-table "$t"
    assert_success
    parent=$(fd_targets "$t" parent "1 after open and unlink")
    file=$(awk '$2 ~ /shared\.txt$/ || $0 ~ /shared\.txt \(deleted\)/ { sub(/^[0-9]+ /, ""); sub(/ rw$/, ""); print }' <<<"$parent")
    [[ $file == */proclab-*/shared.txt\ \(deleted\) ]]
    # Before: no descriptor of the child reaches the file.  After: exactly one, read-write.
    [ "$(fd_targets "$t" child "2 before receiving" | grep -cF "$file")" -eq 0 ]
    after=$(fd_targets "$t" child "3 after recvmsg (SCM_RIGHTS)")
    [ "$(grep -cF " $file rw" <<<"$after")" -eq 1 ]
    # The number it arrives under is the child's lowest free one, not the parent's.
    pfd=$(grep -F " $file rw" <<<"$parent" | cut -d' ' -f1)
    cfd=$(grep -F " $file rw" <<<"$after" | cut -d' ' -f1)
    assert_output --partial "sending fd $pfd with SCM_RIGHTS"
    assert_output --partial "child: received fd $cfd,"
    # --number-only: reading a number adds nothing to the child's table.
    run_bounded 10 fd_passing --number-only --fd-table "$t"
    assert_failure 1
    [ "$(fd_targets "$t" child "2 before receiving")" = "$(fd_targets "$t" child "3 after reading a number")" ]
}

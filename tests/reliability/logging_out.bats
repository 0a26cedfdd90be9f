#!/usr/bin/env bats
# logging -o PATH: never through a symbolic link, never over an existing file
# unless --overwrite (and then a regular file only), mode 0600.  A link in a
# shared /tmp must not make a run overwrite the file it points to.
# bats file_tags=reliability

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "logging -o: a symbolic link is refused, with or without --overwrite; the target is untouched" {
    dir=$BATS_TEST_TMPDIR
    echo "precious" >"$dir/victim"
    ln -s "$dir/victim" "$dir/log"
    for extra in "" --overwrite; do
        # shellcheck disable=SC2086  # $extra is empty or one option
        run --separate-stderr logging -p 2 -l 10 -o "$dir/log" $extra
        assert_failure 1
        [[ $stderr == *"symbolic link"* ]] || fail "stderr: $stderr"
        [ "$(cat "$dir/victim")" = precious ]
        [ -L "$dir/log" ]
    done
    ln -s "$dir/nowhere" "$dir/dangling"    # a dangling link is not created through either
    run --separate-stderr logging -p 2 -l 10 -o "$dir/dangling"
    assert_failure 1
    [ ! -e "$dir/nowhere" ]
}

@test "logging -o: a new file has mode 0600; an existing one needs --overwrite" {
    dir=$BATS_TEST_TMPDIR
    run logging -p 2 -l 10 -o "$dir/new.log"
    assert_success
    [ "$(stat -c %a "$dir/new.log")" = 600 ]
    [ "$(wc -l <"$dir/new.log")" -eq 20 ]
    echo "old" >"$dir/old.log"
    run --separate-stderr logging -p 2 -l 10 -o "$dir/old.log"
    assert_failure 1
    [[ $stderr == *"exists"*"--overwrite"* ]] || fail "stderr: $stderr"
    [ "$(cat "$dir/old.log")" = old ]
    run logging -p 2 -l 10 -o "$dir/old.log" --overwrite
    assert_success
    [ "$(wc -l <"$dir/old.log")" -eq 20 ]
    run --separate-stderr logging --overwrite
    assert_failure 2
}

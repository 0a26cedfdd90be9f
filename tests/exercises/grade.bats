#!/usr/bin/env bats
# Exercises (labs/TOPIC/exercises/NAME.c) and their grader:
#   - `make exercises` lists every exercise, one a line; each has a check
#     file, a reference solution and a statement in docs/exercises.md
#   - `make grade EX=NAME` grades the starter: below full marks, and it says
#     what failed; SOLUTION=1 grades the reference solution: full marks
#   - an unknown exercise exits 2 with the list; SRC= grades any file
#   - the grader's own checks catch a stray process and a hang
# bats file_tags=exercises

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# The build directory the suite uses (PROCLAB_BIN is its bin/).
build_dir() { dirname "$PROCLAB_BIN"; }

grade() { make -s --no-print-directory -C "$PROCLAB_ROOT" O="$(build_dir)" grade "$@"; }

exercise_sources() { ls "$PROCLAB_ROOT"/labs/*/exercises/*.c; }

@test "make exercises lists each exercise once; each has a check, a solution and a statement" {
    run make -s --no-print-directory -C "$PROCLAB_ROOT" exercises
    assert_success
    expected=$(exercise_sources | xargs -n1 basename | sed 's/\.c$//' | sort)
    [[ $output == "$expected" ]] || fail "make exercises says: $output"
    (( ${#lines[@]} >= 12 )) || fail "only ${#lines[@]} exercises"
    for topic in process ipc sync pool; do
        n=$(ls "$PROCLAB_ROOT"/labs/$topic/exercises/*.c 2>/dev/null | wc -l)
        (( n >= 3 )) || fail "topic $topic has $n exercises, fewer than 3"
    done
    for src in $(exercise_sources); do
        name=$(basename "$src" .c)
        [[ -f ${src%.c}.check ]] || fail "$name: no ${src%.c}.check"
        [[ -f $PROCLAB_ROOT/docs/answers/exercises/$name.c ]] || fail "$name: no reference solution"
        grep -q "TODO" "$src" || fail "$name: the starter has no TODO"
        grep -q "^### $name\$" "$PROCLAB_ROOT/docs/exercises.md" ||
            fail "$name: no '### $name' statement in docs/exercises.md"
    done
}

@test "docs/exercises.md and docs/teachers.md: every relative link resolves" {
    for page in exercises teachers; do
        for link in $(grep -o '](\([^)#]*\)' "$PROCLAB_ROOT/docs/$page.md" | sed 's/^](//' | sort -u); do
            [[ -z $link || $link == http* ]] && continue
            [[ -e $PROCLAB_ROOT/docs/$link ]] || fail "docs/$page.md links to a missing $link"
        done
    done
}

@test "every starter scores below full marks and names what failed; every solution scores full marks" {
    dir="$BATS_TEST_TMPDIR"
    grade EX=close_pipe_ends SOLUTION=1 >/dev/null    # builds, settles the settings stamp
    # Four lanes of gradings at once: most of a starter's run is waiting out
    # a bound.  (Wait for the lanes by pid: bats has a watchdog child too.)
    jobs_list=()
    for src in $(exercise_sources); do
        name=$(basename "$src" .c)
        jobs_list+=("$name starter" "$name solution")
    done
    lanes=()
    for ((lane = 0; lane < 4; lane++)); do
        for ((i = lane; i < ${#jobs_list[@]}; i += 4)); do
            read -r name kind <<<"${jobs_list[i]}"
            opt=; [[ $kind == solution ]] && opt=SOLUTION=1
            rc=0
            grade EX="$name" $opt >"$dir/$name.$kind" 2>&1 || rc=$?
            echo "$rc" >"$dir/$name.$kind.rc"
        done &
        lanes+=($!)
    done
    wait "${lanes[@]}"
    for src in $(exercise_sources); do
        name=$(basename "$src" .c)

        output=$(<"$dir/$name.starter") status=$(<"$dir/$name.starter.rc")
        [[ $status -ne 0 ]] || fail "$name: the starter passed: $output"
        [[ $output == *": FAILED: "?* ]] || fail "$name: starter output names no failure: $output"
        score=$(sed -n 's/^score: \([0-9]*\)\/\([0-9]*\)$/\1 \2/p' <<<"$output")
        read -r got total <<<"$score"
        [[ -n $total ]] && (( got < total )) || fail "$name: starter score '$score': $output"

        output=$(<"$dir/$name.solution") status=$(<"$dir/$name.solution.rc")
        [[ $status -eq 0 ]] || fail "$name: the solution failed: $output"
        [[ $output != *"FAILED"* ]] || fail "$name: solution output has a failure: $output"
        [[ $output =~ score:\ ([0-9]+)/([0-9]+) && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] ||
            fail "$name: solution without full marks: $output"
    done
}

@test "make grade with an unknown or no exercise exits 2 and lists the exercises" {
    run --separate-stderr grade EX=no_such_exercise
    assert_failure 2
    [[ $stderr == *"unknown exercise 'no_such_exercise'"* ]] || fail "stderr: $stderr"
    [[ $stderr == *"  close_pipe_ends"* ]] || fail "no list: $stderr"
    run --separate-stderr grade
    assert_failure 2
    [[ $stderr == *"make grade EX=NAME"* && $stderr == *"  lock_ordering"* ]] || fail "stderr: $stderr"
}

@test "grade.sh: 1 for a program below full marks, 2 for an unknown exercise" {
    run grade EX=exec_fail_exit              # builds the starter if needed
    bin="$(build_dir)/obj/exercises/starter/exec_fail_exit"
    run "$PROCLAB_ROOT/scripts/grade.sh" exec_fail_exit "$bin"
    assert_failure 1
    assert_line "buffered line printed once: FAILED: 2 lines match /^parent: running 3 commands\$/, expected 1"
    run "$PROCLAB_ROOT/scripts/grade.sh" nope "$bin"
    assert_failure 2
}

@test "make grade SRC=file grades a student's file: a compile error, a stray child, a hang" {
    dir="$BATS_TEST_TMPDIR"
    echo 'int main(void) { return missing; }' >"$dir/broken.c"
    run grade EX=exec_fail_exit SRC="$dir/broken.c"
    assert_failure
    assert_output --partial "missing"

    # The solution, but it leaves a child behind: "no leftover process" fails.
    sed 's|^    printf("summary: |    if (fork() == 0) { sleep(20); _exit(0); }\n&|' \
        "$PROCLAB_ROOT/docs/answers/exercises/exec_fail_exit.c" >"$dir/stray.c"
    run grade EX=exec_fail_exit SRC="$dir/stray.c"
    assert_failure
    assert_line "grading exec_fail_exit: $dir/stray.c"
    assert_line "score: 6/7"
    assert_line --regexp '^no leftover process: FAILED: still running after the program ended: pid [0-9]+ \(state S'

    # A program that never ends is killed at the limit: "no hang" fails.
    printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' >"$dir/hang.c"
    GRADE_TIME_LIMIT=1 run grade EX=close_pipe_ends SRC="$dir/hang.c"
    assert_failure
    assert_line --regexp '^no hang \(bounded run\): FAILED: still running after 1 s, killed'
}

#!/usr/bin/env bats
# docs/answers/: one answer per question on every lab page, each with a command.
# bats file_tags=docs
#
# A lab page's questions are the numbered items ("1. ", "2. ", ...) under its
# "## Questions" heading; docs/answers/PAGE.md answers them under headings
# "## 1. ...", "## 2. ...", in order, and every answer shows at least one
# command ("prompt> ...") that shows the answer on the reader's machine.

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

questions() {  # page.md: how many numbered questions
    awk '/^## Questions/ { q = 1; next } /^## / { q = 0 } q && /^[0-9]+\. / { n++ }
         END { print n + 0 }' "$1"
}

# Prints "N M C" for answers.md: answers, whether they are numbered 1..N in
# order (1/0), and how many of them show a command.
answers() {
    awk '/^## [0-9]+\. / { n++; if ($2 != n ".") bad = 1; cmd[n] = 0; next }
         n && /^prompt> / { cmd[n] = 1 }
         END { c = 0; for (i = 1; i <= n; i++) c += cmd[i]; print n + 0, !bad, c }' "$1"
}

@test "docs/answers: every lab page's questions are answered, one by one, each with a command" {
    local page name q pages=0 problems=()
    for page in "$PROCLAB_ROOT"/docs/labs/*.md; do
        name=$(basename "$page" .md)
        q=$(questions "$page")
        ((q > 0)) || continue
        pages=$((pages + 1))
        if [[ ! -f $PROCLAB_ROOT/docs/answers/$name.md ]]; then
            problems+=("$name: $q questions, no docs/answers/$name.md")
            continue
        fi
        read -r n ordered with_cmd < <(answers "$PROCLAB_ROOT/docs/answers/$name.md")
        ((n == q)) || problems+=("$name: $q questions, $n answers")
        ((ordered)) || problems+=("$name: answers not numbered 1..$n in order")
        ((with_cmd == n)) || problems+=("$name: $((n - with_cmd)) answer(s) without a 'prompt>' command")
    done
    ((pages >= 20))     # the pages are found at all
    if ((${#problems[@]})); then
        printf '# %s\n' "${problems[@]}"
        return 1
    fi
}

@test "docs/answers: the counting sees a missing and a misnumbered answer; teachers.md links the answers, each answers page its lab page" {
    mkdir -p "$BATS_TEST_TMPDIR/labs"
    printf '# x\n\n## Questions\n\n1. One?\n2. Two,\n   still two?\n3. Three?\n\n## Next\n\n4. not a question\n' \
        >"$BATS_TEST_TMPDIR/labs/x.md"
    [ "$(questions "$BATS_TEST_TMPDIR/labs/x.md")" -eq 3 ]
    printf '## 1. a\nprompt> true\n## 3. b\nprompt> true\n' >"$BATS_TEST_TMPDIR/a.md"
    [ "$(answers "$BATS_TEST_TMPDIR/a.md")" = "2 0 2" ]
    printf '## 1. a\nprompt> true\n## 2. b\n   no command\n## 3. c\nprompt> x\n' >"$BATS_TEST_TMPDIR/a.md"
    [ "$(answers "$BATS_TEST_TMPDIR/a.md")" = "3 1 2" ]
    grep -q '(answers/)' "$PROCLAB_ROOT/docs/teachers.md"
    local f name
    for f in "$PROCLAB_ROOT"/docs/answers/*.md; do
        name=$(basename "$f" .md)
        [[ $name == README ]] && continue
        grep -q "(../labs/$name.md)" "$f" || { echo "# $f does not link ../labs/$name.md"; return 1; }
    done
}

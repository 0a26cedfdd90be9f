#!/usr/bin/env bats
# scripts/report_html.py (run by report.sh): the HTML report opens in a real
# browser (headless Chromium) with every plot rendered.
# bats file_tags=scripts,report

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

# One small real run for the whole file (the sync family only, through the
# runner); each test works on its own copy.
setup_file() {
    export RUN_ONCE="$BATS_FILE_TMPDIR/run"
    timeout -k 2 120 "$PROCLAB_ROOT/scripts/bench.sh" --quick --only sync \
        --filter 'sync/(mutex|atomic)/procs:(1|2)' --out "$RUN_ONCE" >/dev/null 2>&1
}

make_run() {
    [ -s "$RUN_ONCE/report.html" ] || fail "the runner made no report.html in setup_file"
    cp -r "$RUN_ONCE" "$BATS_TEST_TMPDIR/run"
}

# Load the page in headless Chromium and print its <body ...> tag after the
# load event (the page's script writes how many images rendered there).
render_body() {
    local profile="$BATS_TEST_TMPDIR/chromium-profile"
    mkdir -p "$profile"
    timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$profile" \
        --dump-dom "file://$1" 2>/dev/null | grep -o '<body[^>]*>'
}

@test "report.html: made by report.sh, one section per family, links to the run's files" {
    make_run
    html="$BATS_TEST_TMPDIR/run/report.html"
    [ -s "$html" ]
    run grep -c "<h2 id='sync'>Lock contention" "$html"
    assert_output 1
    run grep -o "<img src='plots/sync_ops.svg'" "$html"
    assert_success
    run grep -o "<title>proclab report: run</title>" "$html"
    assert_success
    grep -q "href='machine.json'" "$html"
    grep -q "sync: P processes doing lock" "$html"
}

@test "report.html renders in Chromium with every plot loaded" {
    make_run
    run render_body "$BATS_TEST_TMPDIR/run/report.html"
    assert_success
    assert_output '<body data-images-loaded="1" data-images-total="1">'
}

@test "report.html in Chromium: a missing plot is counted as not rendered" {
    make_run
    rm "$BATS_TEST_TMPDIR/run/plots/sync_ops.svg"
    run render_body "$BATS_TEST_TMPDIR/run/report.html"
    assert_success
    assert_output '<body data-images-loaded="0" data-images-total="1">'
}

@test "report_html.py: usage errors" {
    run python3 "$PROCLAB_ROOT/scripts/report_html.py"
    assert_failure 2
    run python3 "$PROCLAB_ROOT/scripts/report_html.py" "$BATS_TEST_TMPDIR/none"
    assert_failure 1
    assert_output "report_html.py: no run folder '$BATS_TEST_TMPDIR/none'"
}

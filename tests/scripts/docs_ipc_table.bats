#!/usr/bin/env bats
# docs/labs/ipc.md quotes measured numbers: they must be exactly what
# scripts/families/ipc/doc_table.py prints for results/reference/amd-epyc-pvm
# (the reference run the page cites), so the
# page can never drift from the data it cites.
# bats file_tags=scripts,docs

load '../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "docs/labs/ipc.md's measured table is doc_table.py's output for results/reference/amd-epyc-pvm" {
    want=$(python3 "$PROCLAB_ROOT/scripts/families/ipc/doc_table.py" "$PROCLAB_ROOT/results/reference/amd-epyc-pvm")
    have=$(sed -n '/<!-- ipc-table: begin/,/<!-- ipc-table: end/p' "$PROCLAB_ROOT/docs/labs/ipc.md" |
        sed '1d;$d')
    [[ -n $want ]]
    [[ $have == "$want" ]] || fail "docs/labs/ipc.md differs from doc_table.py; regenerate it"
    # one row per mechanism, none failed
    [ "$(grep -c '^| [a-z_]* | [0-9.]* [nu]s' <<<"$want")" -eq 18 ]
    ! grep -q failed <<<"$want"
}

@test "results/reference: a complete run folder per machine kind, named CPU-HYPERVISOR" {
    n=0
    for ref in "$PROCLAB_ROOT"/results/reference/*/; do
        ref=${ref%/}
        [[ ${ref##*/} =~ ^[a-z0-9]+(-[a-z0-9]+)+$ ]] || fail "bad reference folder name: ${ref##*/}"
        for f in spawn.json ipc.json sync.json machine.json summary.txt report.html \
                 plots/spawn_time.png plots/ipc_latency_cross.svg plots/sync_ops.png; do
            [ -s "$ref/$f" ] || fail "${ref#$PROCLAB_ROOT/}/$f is missing"
        done
        run python3 -c 'import json,sys; [json.load(open(p)) for p in sys.argv[1:]]' \
            "$ref/spawn.json" "$ref/ipc.json" "$ref/sync.json" "$ref/machine.json"
        assert_success
        n=$((n + 1))
    done
    [ "$n" -ge 1 ]
}

@test "doc_table.py: usage error exits 2" {
    run python3 "$PROCLAB_ROOT/scripts/families/ipc/doc_table.py"
    assert_failure 2
}

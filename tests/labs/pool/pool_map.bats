#!/usr/bin/env bats
# pool_map: map, starmap and imap_unordered on a pool equal a serial run;
# chunks as the trace shows them.
# bats file_tags=lab,pool

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "pool_map: every mode equals the serial run, both queues, chunksize 1 and automatic" {
    for queue in shm pipe; do
        for chunk in 1 0; do
            run_bounded 30 pool_map --queue "$queue" --workers 2 --tasks 40 --block 2000 --chunksize "$chunk"
            assert_success
            assert_line --regexp "^40 tasks \(blocks of 2000 numbers\), 2 worker processes, queue $queue, chunksize [0-9]+"
            for mode in map starmap imap_unordered; do
                assert_line --regexp "^$mode +[0-9.]+ s  speedup [0-9.]+  equals the serial run$"
            done
            assert_line "all modes equal the serial run"
        done
    done
    # Python's rule: divmod(40, 4 * 2) = (5, 0) -> 5; divmod(41, 8) = (5, 1) -> 6
    run_bounded 30 pool_map --workers 2 --tasks 41 --block 100
    assert_success
    assert_line --partial "chunksize 6 (automatic"
}

@test "pool_map --trace: the timeline CSV has a row per task, chunks run together on one worker" {
    csv="$BATS_TEST_TMPDIR/t.csv"
    run_bounded 30 pool_map --workers 2 --tasks 40 --block 500 --chunksize 10 --trace "$csv"
    assert_success
    assert_line "trace: 120 tasks and the parent's 5 phases written to $csv; draw it: scripts/timeline.sh $csv out.svg"
    [[ $(head -1 "$csv") == "lane,start_s,end_s,label" ]]
    # three modes of 40 tasks; lanes "worker 0" and "worker 1"; labels 0..39
    [[ $(grep -c '^worker' "$csv") -eq 120 ]]
    bad=$(grep '^worker' "$csv" | grep -Evc '^worker [01],[0-9]+\.[0-9]{6},[0-9]+\.[0-9]{6},([0-9]|[1-3][0-9])$' || true)
    [[ $bad -eq 0 ]] || fail "$bad malformed rows"
    # the parent's phases, in order, each after the one before
    [[ $(grep '^parent,' "$csv" | cut -d, -f4 | tr '\n' ' ') == "serial pool_create map starmap imap_unordered " ]]
    grep '^parent,' "$csv" | awk -F, 'NR > 1 && $2 < end { exit 1 } { end = $3 }' ||
        fail "parent phases overlap"
    # every task of map ran inside the parent's map phase
    read -r map_start map_end < <(awk -F, '$1 == "parent" && $4 == "map" { print $2, $3 }' "$csv")
    sed -n '2,41p' "$csv" | awk -F, -v s="$map_start" -v e="$map_end" '$2 < s || $3 > e { exit 1 }' ||
        fail "a map task outside the map phase"
    # map (the first 40 rows): tasks 10k..10k+9 form one chunk: one worker each
    split=$(sed -n '2,41p' "$csv" | awk -F, '{ c = int($4 / 10) }
        c in lane && lane[c] != $1 { split_[c] = 1 } { lane[c] = $1 }
        END { for (c in split_) print c }')
    [[ -z $split ]] || fail "chunks split over workers: $split"
}

@test "pool_map --help exits 0 and shows usage" {
    run pool_map --help
    assert_success
    assert_line --index 0 "Usage: pool_map [--queue shm|pipe] [--workers N] [--tasks N] [--block N] [--chunksize C] [--trace FILE]"
}

@test "pool_map: bad arguments exit 2 with a message" {
    for args in "--queue tcp" "--workers 0" "--tasks abc" "--chunksize -1" "extra"; do
        run --separate-stderr pool_map $args
        [[ $status -eq 2 ]] || fail "pool_map $args exited $status"
        [[ -n $stderr ]]
    done
}

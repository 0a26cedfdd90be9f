#!/usr/bin/env bats
# threads_vs_processes: the same pool on processes and threads; memory
# shared copy-on-write; a segfault kills a worker process, or a whole
# thread-pool process.
# bats file_tags=lab,pool

load '../../helpers/common'
setup() { _common_setup; }
teardown() { _common_teardown; }

@test "threads_vs_processes: both pools compute the same; a segfault costs a worker, or the whole process" {
    run_bounded 30 threads_vs_processes --workers 2 --tasks 2000 --ballast 32
    assert_success
    assert_line "results: both pools returned every task's own value"
    assert_line --regexp '^start-up to first results \(ms\) +[0-9.]+ +[0-9.]+$'
    assert_line --regexp '^per task, chunksize 1 \(us\) +[0-9.]+ +[0-9.]+$'
    assert_line --regexp '^process pool: the task failed: task 0: killed by signal 11'
    assert_line --regexp '^  the pool replaced the worker \(1 died, 3 started\) and then ran 100 more tasks: all done$'
    assert_line --regexp '^thread pool \(in child [0-9]+\): the whole process died: signal:SIGSEGV'
    refute_line --partial "should never print"
    # Two workers forked from a parent holding 32 MiB: each RSS counts the
    # shared pages again; PSS shares them out, so it is clearly smaller.
    rss=$(sed -n "s/^workers' RSS, summed (KiB) *\([0-9]*\).*/\1/p" <<<"$output")
    pss=$(sed -n "s/^workers' PSS, summed (KiB) *\([0-9]*\).*/\1/p" <<<"$output")
    ((rss > 2 * 32 * 1024)) || fail "RSS $rss KiB does not count the 32 MiB twice"
    ((pss < rss * 3 / 4)) || fail "PSS $pss KiB is not well below RSS $rss KiB"
}

@test "threads_vs_processes --no-crash: no segfault demo" {
    run_bounded 30 threads_vs_processes --no-crash --tasks 100 --ballast 0
    assert_success
    refute_line --partial "segfault"
}

@test "threads_vs_processes --help exits 0 and shows usage" {
    run threads_vs_processes --help
    assert_success
    assert_line --index 0 "Usage: threads_vs_processes [--workers N] [--tasks N] [--ballast MB] [--no-crash]"
}

@test "threads_vs_processes: bad arguments exit 2 with a message" {
    for args in "--workers 0" "--tasks 0" "--ballast 5000" "--ballast x" "extra"; do
        run --separate-stderr threads_vs_processes $args
        [[ $status -eq 2 ]] || fail "threads_vs_processes $args exited $status"
        [[ -n $stderr ]]
    done
}

/* Unit tests of bench/sync: every registered lock kind excludes (the
 * counter is exact under contention), a "lock" that does not exclude is
 * caught by the same check, and leaves no file or semaphore behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync/crowd.h"
#include "sync/lock.h"

/* A kind with no lock at all: load, add, store, racing. */
struct pl_lock { int unused; };
static pl_lock *none_create(void) { return pl_shared_alloc(sizeof(pl_lock)); }
static int none_attach(pl_lock *l) { (void)l; return 0; }
static int none_critical(pl_lock *l, volatile long *counter)
{
    (void)l;
    long v = *counter;      /* a separate load and store: updates can be lost */
    *counter = v + 1;
    return 0;
}
static void none_destroy(pl_lock *l) { pl_shared_free(l, sizeof *l); }
static const pl_lock_kind no_lock = { "none", "no lock", none_create, none_attach,
                                      none_critical, none_destroy };

static int count_tmp_entries(void)
{
    char prefix[64];
    int n = 0;
    snprintf(prefix, sizeof prefix, "proclab-%u-%ld-", (unsigned)getuid(), (long)getpid());
    DIR *d = opendir("/tmp");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

/* Run `rounds` rounds with 2 workers; return counter - expected. */
static long run_rounds(const pl_lock_kind *kind, int procs, int rounds, long *expected)
{
    pl_lock *l = kind->create();
    assert_non_null(l);
    pl_crowd *c = pl_crowd_start(kind, l, procs);
    assert_non_null(c);
    assert_int_equal(pl_crowd_calibrate(c, 2.0), 0);
    for (int i = 0; i < rounds; i++)
        assert_int_equal(pl_crowd_round(c), 0);
    long diff = pl_crowd_counter(c) - pl_crowd_expected(c);
    *expected = pl_crowd_expected(c);
    assert_int_equal(pl_crowd_stop(c), 0);
    kind->destroy(l);
    return diff;
}

static void test_every_lock_kind_keeps_the_count_exact(void **state)
{
    (void)state;
    for (const pl_lock_kind *const *k = pl_lock_kinds; *k; k++) {
        long expected;
        long diff = run_rounds(*k, 3, 5, &expected);
        if (diff != 0)
            fail_msg("%s: counter off by %ld of %ld", (*k)->name, diff, expected);
        assert_true(expected > 0);
    }
    assert_int_equal(count_tmp_entries(), 0);    /* lock files removed */
}

static void test_no_lock_loses_updates(void **state)
{
    (void)state;
    long expected, lost = 0;
    /* Two CPUs racing for 20 rounds of ~2 ms each lose updates with
     * near certainty; on one CPU preemption in between load and store is
     * rarer, so try a few times before calling it a failure. */
    for (int attempt = 0; attempt < 5 && lost == 0; attempt++)
        lost = -run_rounds(&no_lock, 2, 20, &expected);
    assert_true(lost > 0);
}

static void test_dead_worker_is_reported(void **state)
{
    (void)state;
    extern const pl_lock_kind pl_lock_mutex;
    pl_lock *l = pl_lock_mutex.create();
    pl_crowd *c = pl_crowd_start(&pl_lock_mutex, l, 2);
    assert_non_null(c);
    assert_int_equal(pl_crowd_round(c), 0);
    assert_int_equal(pl_crowd_kill_worker(c, 1), 0);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++)
        rc = pl_crowd_round(c);
    assert_int_equal(rc, -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(pl_crowd_stop(c), -1);       /* one did not exit cleanly */
    pl_lock_mutex.destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_lock_kind_keeps_the_count_exact),
        cmocka_unit_test(test_no_lock_loses_updates),
        cmocka_unit_test(test_dead_worker_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

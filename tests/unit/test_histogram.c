/* Unit tests of bench/core/histogram.c and stats.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "core/histogram.h"
#include "core/stats.h"

static void test_empty_histogram_reports_zero(void **state)
{
    (void)state;
    pl_hist *h = pl_hist_new();
    assert_non_null(h);
    assert_int_equal(pl_hist_count(h), 0);
    assert_true(pl_hist_percentile(h, 50) == 0.0);
    assert_true(pl_hist_mean(h) == 0.0);
    assert_int_equal(pl_hist_min(h), 0);
    assert_int_equal(pl_hist_max(h), 0);
    pl_hist_free(h);
}

static void test_small_values_are_exact(void **state)
{
    (void)state;
    pl_hist *h = pl_hist_new();
    for (uint64_t v = 1; v <= 100; v++)
        pl_hist_add(h, v);
    assert_int_equal(pl_hist_count(h), 100);
    assert_true(pl_hist_percentile(h, 50) == 50.0);
    assert_true(pl_hist_percentile(h, 99) == 99.0);
    assert_true(pl_hist_percentile(h, 100) == 100.0);
    assert_true(pl_hist_percentile(h, 0) == 1.0);
    assert_true(fabs(pl_hist_mean(h) - 50.5) < 1e-9);
    pl_hist_free(h);
}

/* Against the exact percentiles of a sorted sample: within 1/64. */
static void test_percentiles_within_relative_precision(void **state)
{
    (void)state;
    enum { N = 100000 };
    static double exact[N];
    pl_hist *h = pl_hist_new();
    srand(42);
    for (int i = 0; i < N; i++) {
        /* log-uniform from 100 ns to ~10 ms: spans many powers of two */
        double v = 100.0 * pow(10.0, 5.0 * rand() / (double)RAND_MAX);
        uint64_t ns = (uint64_t)v;
        pl_hist_add(h, ns);
        exact[i] = (double)ns;
    }
    const double ps[] = { 1, 10, 50, 90, 99, 99.9 };
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double want = pl_percentile(exact, N, ps[i]);
        double got = pl_hist_percentile(h, ps[i]);
        double rel = fabs(got - want) / want;
        if (rel > 1.0 / 64)
            fail_msg("p%.1f: histogram %.1f, exact %.1f (error %.4f)", ps[i], got, want, rel);
    }
    pl_hist_free(h);
}

static void test_huge_values_and_tail(void **state)
{
    (void)state;
    pl_hist *h = pl_hist_new();
    for (int i = 0; i < 999; i++)
        pl_hist_add(h, 1000);
    pl_hist_add(h, UINT64_MAX);          /* the largest value still lands */
    assert_int_equal(pl_hist_max(h), UINT64_MAX);
    double p50 = pl_hist_percentile(h, 50);
    assert_true(p50 >= 1000 - 1000 / 64.0 && p50 <= 1000 + 1000 / 64.0);
    assert_true(pl_hist_percentile(h, 99.9) <= 1000 + 1000 / 64.0);  /* 999 of 1000 */
    assert_true(pl_hist_percentile(h, 99.99) > 1e18);
    pl_hist_free(h);
}

static void test_merge_and_reset(void **state)
{
    (void)state;
    pl_hist *a = pl_hist_new(), *b = pl_hist_new();
    for (int i = 0; i < 10; i++)
        pl_hist_add(a, 10);
    for (int i = 0; i < 30; i++)
        pl_hist_add(b, 5000);
    pl_hist_merge(a, b);
    assert_int_equal(pl_hist_count(a), 40);
    assert_int_equal(pl_hist_min(a), 10);
    assert_int_equal(pl_hist_max(a), 5000);
    assert_true(pl_hist_percentile(a, 25) == 10.0);
    assert_true(fabs(pl_hist_percentile(a, 26) - 5000) <= 5000 / 64.0);
    pl_hist_reset(a);
    assert_int_equal(pl_hist_count(a), 0);
    pl_hist_free(a);
    pl_hist_free(b);
}

static void test_stats(void **state)
{
    (void)state;
    double v[] = { 4, 1, 3, 2, 5 };
    assert_true(pl_mean(v, 5) == 3.0);
    assert_true(fabs(pl_stddev(v, 5) - sqrt(2.5)) < 1e-12);
    assert_true(fabs(pl_cv(v, 5) - sqrt(2.5) / 3.0) < 1e-12);
    assert_true(pl_median(v, 5) == 3.0);
    double even[] = { 10, 40, 20, 30 };
    assert_true(pl_median(even, 4) == 25.0);
    assert_true(pl_percentile(even, 4, 0) == 10.0);
    assert_true(pl_percentile(even, 4, 100) == 40.0);
    assert_true(pl_median(v, 0) == 0.0);
    assert_true(pl_stddev(v, 1) == 0.0);
    double zeros[] = { 0, 0 };
    assert_true(pl_cv(zeros, 2) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_histogram_reports_zero),
        cmocka_unit_test(test_small_values_are_exact),
        cmocka_unit_test(test_percentiles_within_relative_precision),
        cmocka_unit_test(test_huge_values_and_tail),
        cmocka_unit_test(test_merge_and_reset),
        cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

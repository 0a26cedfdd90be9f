/* Unit tests of bench/core/partner.c, placement.c, ballast.c, clock.c:
 * handshake, teardown after a killed partner, timeouts, EINTR on partner
 * death, pinning, resident ballast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ballast.h"
#include "core/clock.h"
#include "core/partner.h"
#include "core/placement.h"

/* Partners used by the tests. */
static int echo_until_eof(void *arg, int ctl)
{
    (void)arg;
    if (pl_partner_ready(ctl) == -1)
        return 10;
    char c;
    while (read(ctl, &c, 1) == 1)      /* until the parent closes ctl */
        if (write(ctl, &c, 1) != 1)
            return 11;
    return 7;
}

static int report_cpu(void *arg, int ctl)
{
    (void)arg;
    int cpu = sched_getcpu();
    if (pl_partner_ready(ctl) == -1 || write(ctl, &cpu, sizeof cpu) != sizeof cpu)
        return 10;
    char c;
    while (read(ctl, &c, 1) == 1)
        ;
    return 0;
}

static int never_ready(void *arg, int ctl)
{
    (void)arg;
    (void)ctl;
    sleep(30);
    return 0;
}

static int exit_before_ready(void *arg, int ctl)
{
    (void)arg;
    (void)ctl;
    return 3;
}

static int ignore_eof_forever(void *arg, int ctl)
{
    (void)arg;
    pl_partner_ready(ctl);
    for (int i = 0; i < 300; i++)      /* 30 s at most, if nobody kills it */
        usleep(100000);
    return 0;
}

static void test_handshake_and_clean_stop(void **state)
{
    (void)state;
    pl_partner p;
    assert_int_equal(pl_partner_start(&p, -1, echo_until_eof, NULL, 2000), 0);
    assert_true(p.pid > 0);
    assert_int_equal(pl_partner_alive(&p), 1);
    char c = 'x', back = 0;
    assert_int_equal(write(p.ctl_fd, &c, 1), 1);
    assert_int_equal(read(p.ctl_fd, &back, 1), 1);
    assert_int_equal(back, 'x');
    assert_int_equal(pl_partner_stop(&p, 2000), 7);      /* its own exit code */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);    /* nothing left */
    assert_int_equal(errno, ECHILD);
}

static void test_partner_killed_midway_is_reported_and_reaped(void **state)
{
    (void)state;
    pl_partner p;
    assert_int_equal(pl_partner_start(&p, -1, echo_until_eof, NULL, 2000), 0);
    assert_int_equal(pl_partner_exited, 0);
    assert_int_equal(kill(p.pid, SIGKILL), 0);
    /* A blocking read in the parent is interrupted (EINTR) or sees EOF:
     * either way it returns instead of hanging. */
    char c;
    ssize_t r = read(p.ctl_fd, &c, 1);
    assert_true(r == 0 || (r == -1 && errno == EINTR));
    for (int i = 0; i < 1000 && !pl_partner_exited; i++)
        usleep(1000);
    assert_int_equal(pl_partner_exited, 1);
    assert_int_equal(pl_partner_alive(&p), 0);
    assert_int_equal(pl_partner_stop(&p, 100), 128 + SIGKILL);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_stop_kills_a_partner_that_will_not_leave(void **state)
{
    (void)state;
    pl_partner p;
    assert_int_equal(pl_partner_start(&p, -1, ignore_eof_forever, NULL, 2000), 0);
    uint64_t t0 = pl_now_ns();
    assert_int_equal(pl_partner_stop(&p, 100), 128 + SIGKILL);
    uint64_t ms = (pl_now_ns() - t0) / 1000000;
    if (ms < 100 || ms >= 5000)
        fail_msg("stop took %llu ms, not 100 ms then a kill", (unsigned long long)ms);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_handshake_timeout_and_early_exit(void **state)
{
    (void)state;
    pl_partner p;
    assert_int_equal(pl_partner_start(&p, -1, never_ready, NULL, 100), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(p.pid, 0);
    assert_int_equal(pl_partner_start(&p, -1, exit_before_ready, NULL, 2000), -1);
    assert_int_equal(errno, ECHILD);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);   /* both reaped */
}

static void test_other_children_do_not_look_like_the_partner(void **state)
{
    (void)state;
    pl_partner p;
    assert_int_equal(pl_partner_start(&p, -1, echo_until_eof, NULL, 2000), 0);
    pid_t other = fork();
    assert_true(other != -1);
    if (other == 0)
        _exit(0);
    int status;
    while (waitpid(other, &status, 0) == -1)
        assert_int_equal(errno, EINTR);
    usleep(10000);
    assert_int_equal(pl_partner_exited, 0);
    assert_int_equal(pl_partner_stop(&p, 2000), 7);
}

static void test_placement_pins_both_sides(void **state)
{
    (void)state;
    int cpus[CPU_SETSIZE];
    int n = pl_cpus_allowed(cpus, CPU_SETSIZE);
    assert_true(n >= 1);
    for (int cross = 0; cross <= 1; cross++) {
        pl_placement pl;
        if (cross && n < 2) {
            assert_int_equal(pl_placement_pick(1, &pl), -1);
            continue;
        }
        assert_int_equal(pl_placement_pick(cross, &pl), 0);
        assert_true(cross ? pl.self != pl.partner : pl.self == pl.partner);
        assert_int_equal(pl_pin_self(pl.self), 0);
        assert_int_equal(sched_getcpu(), pl.self);
        pl_partner p;
        assert_int_equal(pl_partner_start(&p, pl.partner, report_cpu, NULL, 2000), 0);
        int where = -1;
        assert_int_equal(read(p.ctl_fd, &where, sizeof where), sizeof where);
        assert_int_equal(where, pl.partner);
        assert_int_equal(pl_partner_stop(&p, 2000), 0);
        char text[64];
        pl_placement_describe(&pl, text, sizeof text);
        assert_non_null(strstr(text, cross ? "+cpu" : "same cpu"));
    }
    assert_int_equal(pl_unpin_self(), 0);
    pl_placement pairs[64];
    int np = pl_placement_all_pairs(pairs, 64);
    assert_int_equal(np, n * (n - 1) < 64 ? n * (n - 1) : 64);
    for (int i = 0; i < np; i++)
        assert_true(pairs[i].self != pairs[i].partner);
}

static void test_ballast_is_resident(void **state)
{
    (void)state;
    pl_ballast b;
    long before = pl_rss_kib();
    assert_true(before > 0);
    assert_int_equal(pl_ballast_alloc(&b, 64, 0), 0);
    long with_ballast = pl_rss_kib();
    long grown = with_ballast - before;
    /* 64 MiB, plus up to 1/8 of it for ASan shadow pages in SANITIZE builds */
    assert_true(grown >= 60 * 1024 && grown <= 80 * 1024);
    pl_ballast_free(&b);
    assert_null(b.addr);
    assert_true(with_ballast - pl_rss_kib() >= 60 * 1024);  /* given back */
    assert_int_equal(pl_ballast_alloc(&b, 0, 0), 0);        /* empty is fine */
    assert_null(b.addr);
}

static void test_clock_overhead_is_plausible(void **state)
{
    (void)state;
    double ns = pl_clock_overhead_ns();
    assert_true(ns > 0.0 && ns < 10000.0);
    uint64_t a = pl_now_ns(), b = pl_now_ns();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_clean_stop),
        cmocka_unit_test(test_partner_killed_midway_is_reported_and_reaped),
        cmocka_unit_test(test_stop_kills_a_partner_that_will_not_leave),
        cmocka_unit_test(test_handshake_timeout_and_early_exit),
        cmocka_unit_test(test_other_children_do_not_look_like_the_partner),
        cmocka_unit_test(test_placement_pins_both_sides),
        cmocka_unit_test(test_ballast_is_resident),
        cmocka_unit_test(test_clock_overhead_is_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of labs/lab.h: strict parsing, status descriptions, readn/writen,
 * bounded waits.  Functions that exit (usageErr) are checked in a child. */
#include "lab.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Run fn(arg) in a child with stderr silenced; return its wait status. */
static int status_of_child(void (*fn)(const char *), const char *arg)
{
    pid_t pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(99);
        fn(arg);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void parse_long_1_to_10(const char *text) { parse_long("-n", text, 1, 10); }
static void parse_bytes_1k_to_1m(const char *text) { parse_bytes("-s", text, 1024, 1 << 20); }

static void test_parse_long_accepts_whole_numbers_in_range(void **state)
{
    (void)state;
    assert_int_equal(parse_long("-n", "1", 1, 10), 1);
    assert_int_equal(parse_long("-n", "10", 1, 10), 10);
    assert_int_equal(parse_long("-n", "-5", -10, 10), -5);
}

static void test_parse_long_rejects_with_exit_2(void **state)
{
    (void)state;
    const char *bad[] = { "", "0", "11", "3x", "x", "1.5", " ", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = status_of_child(parse_long_1_to_10, bad[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 2);
    }
    int ok = status_of_child(parse_long_1_to_10, "7");
    assert_int_equal(WEXITSTATUS(ok), 0);
}

static void test_parse_bytes_suffixes(void **state)
{
    (void)state;
    assert_int_equal(parse_bytes("-s", "64", 0, 1LL << 40), 64);
    assert_int_equal(parse_bytes("-s", "4K", 0, 1LL << 40), 4096);
    assert_int_equal(parse_bytes("-s", "3m", 0, 1LL << 40), 3LL << 20);
    assert_int_equal(parse_bytes("-s", "2G", 0, 1LL << 40), 2LL << 30);
    const char *bad[] = { "1023", "2M", "1KB", "K", "-1", "1T" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(WEXITSTATUS(status_of_child(parse_bytes_1k_to_1m, bad[i])), 2);
}

static void test_describe_status(void **state)
{
    (void)state;
    char buf[64];
    pid_t pid = fork();
    assert_true(pid != -1);
    if (pid == 0)
        _exit(3);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_string_equal(describe_status(status, buf, sizeof buf), "exit 3");

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_string_equal(describe_status(status, buf, sizeof buf), "signal:SIGKILL");
}

static void test_readn_writen_cross_a_full_pipe(void **state)
{
    (void)state;
    enum { N = 1 << 20 };   /* far more than a pipe holds: short counts happen */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        static char out[N];
        for (size_t i = 0; i < N; i++)
            out[i] = (char)(i * 7);
        close(fds[0]);
        _exit(writen(fds[1], out, N) == N ? 0 : 1);
    }
    close(fds[1]);
    static char in[N + 1];
    assert_int_equal(readn(fds[0], in, N + 1), N);   /* stops at EOF */
    for (size_t i = 0; i < N; i++)
        if (in[i] != (char)(i * 7))
            fail_msg("byte %zu differs", i);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
}

static void test_wait_child_for_is_bounded(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    int status;
    long long t0 = now_ns();
    assert_int_equal(wait_child_for(pid, &status, 100), 0);   /* still running */
    long long waited_ms = (now_ns() - t0) / 1000000;
    assert_true(waited_ms >= 100 && waited_ms < 5000);
    kill_and_reap(pid);
    assert_int_equal(waitpid(pid, &status, WNOHANG), -1);     /* gone */
    assert_int_equal(errno, ECHILD);
}

/* A grandchild made by lab_fork_guarded dies of SIGKILL when its parent is
 * SIGKILLed.  This process is a subreaper, so the orphan comes to us and we
 * can wait for it with a bound. */
static void test_fork_guarded_child_dies_with_parent(void **state)
{
    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t middle = fork();
    assert_true(middle != -1);
    if (middle == 0) {
        pid_t grandchild = lab_fork_guarded();
        if (grandchild == -1)
            _exit(98);
        if (grandchild == 0) {      /* guarded by now: say so, then wait */
            pid_t me = getpid();
            if (write(fds[1], &me, sizeof me) != sizeof me)
                _exit(97);
            for (;;)
                pause();
        }
        for (;;)
            pause();
    }
    close(fds[1]);
    pid_t grandchild;
    assert_int_equal(read(fds[0], &grandchild, sizeof grandchild), sizeof grandchild);
    close(fds[0]);
    assert_int_equal(kill(middle, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(middle, &status, 0), middle);
    /* The grandchild is now ours; it must go without anyone killing it. */
    assert_int_equal(wait_child_for(grandchild, &status, 5000), grandchild);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

/* The race: a child whose parent died before prctl() sees another getppid()
 * and leaves with status 1 (simulated by naming a pid that is not its parent). */
static void test_die_with_parent_leaves_when_parent_already_gone(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        lab_die_with_parent(getppid() + 1);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);

    pid = lab_fork_guarded();   /* the parent is alive: the child runs on */
    assert_true(pid != -1);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
}

static void ipc_name_too_small(const char *what)
{
    char small[64];
    volatile size_t size = 16;   /* not a constant: the compiler would refuse */
    lab_ipc_name(small, size, what);
}

static void test_ipc_name_has_uid_pid_random_what(void **state)
{
    (void)state;
    char a[128], b[128], prefix[64];
    lab_ipc_name(a, sizeof a, "queue");
    lab_ipc_name(b, sizeof b, "queue");
    int n = snprintf(prefix, sizeof prefix, "/proclab-%ld-%ld-", (long)getuid(), (long)getpid());
    assert_int_equal(strncmp(a, prefix, (size_t)n), 0);
    const char *rand = a + n;
    for (int i = 0; i < 8; i++)
        assert_non_null(strchr("0123456789abcdef", rand[i]));
    assert_string_equal(rand + 8, "-queue");
    assert_string_not_equal(a, b);   /* 1 in 2^32 to be equal by chance */
    int status = status_of_child(ipc_name_too_small, "a-long-name");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_long_accepts_whole_numbers_in_range),
        cmocka_unit_test(test_parse_long_rejects_with_exit_2),
        cmocka_unit_test(test_parse_bytes_suffixes),
        cmocka_unit_test(test_describe_status),
        cmocka_unit_test(test_readn_writen_cross_a_full_pipe),
        cmocka_unit_test(test_wait_child_for_is_bounded),
        cmocka_unit_test(test_fork_guarded_child_dies_with_parent),
        cmocka_unit_test(test_die_with_parent_leaves_when_parent_already_gone),
        cmocka_unit_test(test_ipc_name_has_uid_pid_random_what),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

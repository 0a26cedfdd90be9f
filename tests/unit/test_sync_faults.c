/* Faults for the contention benchmark's locks: a worker that dies inside
 * the critical section.  The robust mutex kind must hand the lock on
 * (EOWNERDEAD, made consistent) so the next critical sections still work;
 * without pthread_mutex_consistent the mutex would turn unusable for good
 * (ENOTRECOVERABLE) at the next unlock.
 *
 * The holder dies deterministically inside pl_mutex_critical: its counter
 * points at a read-only page, so the increment between lock and unlock is
 * a SIGSEGV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync/lock.h"

static void test_robust_lock_survives_a_holder_that_dies(void **state)
{
    (void)state;
    extern const pl_lock_kind pl_lock_robust;
    const pl_lock_kind *k = &pl_lock_robust;
    pl_lock *l = k->create();
    assert_non_null(l);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        volatile long *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if ((void *)ro == MAP_FAILED || k->attach(l) == -1)
            _exit(2);
        signal(SIGSEGV, SIG_DFL);
        k->critical(l, ro);             /* locks, then faults on the increment */
        _exit(3);                       /* not reached */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* it died inside (a sanitizer reports the fault and exits 1) */
    assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 1));

    volatile long counter = 0;
    for (int i = 0; i < 3; i++)
        if (k->critical(l, &counter) == -1)
            fail_msg("critical section %d after the holder died: %s", i + 1, strerror(errno));
    assert_int_equal(counter, 3);
    k->destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_lock_survives_a_holder_that_dies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

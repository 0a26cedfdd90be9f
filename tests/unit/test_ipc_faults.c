/* Faults the IPC benchmark code must survive or report, driven on purpose:
 *
 *  - A peer that is gone shows as EPIPE from recv (end of file) and from
 *    send, with no SIGCHLD handler installed: only the descriptors tell,
 *    so each side must have closed its copies of the other side's ends.
 *    (The driver's SIGCHLD handler interrupts blocking calls and would
 *    hide a forgotten close.)
 *
 *  - The counted-notifier claim race of shm_ring.c: the waker claims the
 *    waiter's flag in the instant between the waiter raising it and
 *    looking at the data again.  The waiter then sees progress, but a
 *    wake-up is on its way and must be consumed, or counted wake-ups
 *    (eventfd, signals) pile up.  The instant is a few instructions wide;
 *    the test makes it happen every time by making the flag's page
 *    read-only: the waiter's store to the flag faults, the SIGSEGV handler
 *    lets the store through under the trap flag (one instruction), and the
 *    SIGTRAP that follows runs "the other side" right after the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "ipc/mech.h"
#include "ipc/shm_ring.h"

static void on_alarm(int sig) { (void)sig; }   /* only interrupts a blocked call */

/* Partner side: attach, say ready, wait until the parent attached too,
 * then leave (detach closes our ends; exit closes the rest). */
static void gone_partner(const pl_mech *m, pl_chan *ch, int ready_w, int go_r)
{
    char c;
    alarm(10);
    if (m->attach(ch, 1, getppid()) == -1)
        _exit(10);
    if (write(ready_w, "r", 1) != 1 || read(go_r, &c, 1) != 1)
        _exit(11);
    m->detach(ch, 1);
    _exit(0);
}

static void peer_gone_is_epipe(const pl_mech *m)
{
    int ready[2], go[2], status;
    char c, buf[64] = { 0 };
    pl_chan *ch = m->create(sizeof buf);
    assert_non_null(ch);
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        gone_partner(m, ch, ready[1], go[0]);
    }
    close(ready[1]);
    close(go[0]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    if (m->attach(ch, 0, pid) == -1)
        fail_msg("%s: attach(0): %s", m->name, strerror(errno));
    assert_int_equal(write(go[1], "g", 1), 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);     /* no SIGCHLD handler */
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* A recv that blocks because we still hold the peer's write end is cut
     * by the alarm: EINTR, not EPIPE, and the test fails. */
    struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART */
    assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
    alarm(2);
    errno = 0;
    int rc = m->recv(ch, 0, buf, sizeof buf);
    int recv_errno = errno;
    errno = 0;
    int sc = m->send(ch, 0, buf, sizeof buf);
    int send_errno = errno;
    alarm(0);
    m->detach(ch, 0);
    close(ready[0]);
    close(go[1]);
    if (rc != -1 || recv_errno != EPIPE)
        fail_msg("%s: recv from a gone peer: %d, %s (want -1, EPIPE: end of file)",
                 m->name, rc, strerror(recv_errno));
    if (sc != -1 || send_errno != EPIPE)
        fail_msg("%s: send to a gone peer: %d, %s (want -1, EPIPE)", m->name, sc,
                 strerror(send_errno));
}

static void test_peer_gone_is_epipe(void **state)
{
    (void)state;
    const char *names[] = { "pipe", "fifo", "socketpair_stream", "socketpair_seqpacket",
                            "unix_stream" };
    signal(SIGPIPE, SIG_IGN);       /* as the driver does */
    signal(SIGCHLD, SIG_DFL);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const pl_mech *m = pl_mech_find(names[i]);
        assert_non_null(m);
        peer_gone_is_epipe(m);
    }
}

/* ---- the counted-notifier claim race ---------------------------------- */

/* The trap flag is x86-64's; a sanitizer's own SIGSEGV handler would be in
 * the way: elsewhere the test is skipped. */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define TRAP_FLAG 0x100

struct race {
    unsigned char *page;            /* word and flag live here */
    _Atomic uint32_t *word, *flag;
    int bell[2];                    /* the doorbell: one byte per wake-up */
    int wakes, sleeps, other_side_ran;
    pl_notify n;
};
static struct race R;

static int bell_sleep(void *ctx, _Atomic uint32_t *flag)
{
    struct race *r = ctx;
    struct pollfd p = { .fd = r->bell[0], .events = POLLIN };
    char c;
    (void)flag;
    r->sleeps++;
    if (poll(&p, 1, 2000) != 1 || read(r->bell[0], &c, 1) != 1) {
        errno = ETIMEDOUT;          /* a counted sleep with no wake-up coming */
        return -1;
    }
    return 0;
}

static int bell_wake(void *ctx, _Atomic uint32_t *flag)
{
    struct race *r = ctx;
    (void)flag;
    r->wakes++;
    return write(r->bell[1], "w", 1) == 1 ? 0 : -1;
}

/* The waiter's store to its flag faulted: let it through, one instruction. */
static void on_segv(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    (void)sig;
    if ((unsigned char *)si->si_addr < R.page ||
        (unsigned char *)si->si_addr >= R.page + 4096 ||
        mprotect(R.page, 4096, PROT_READ | PROT_WRITE) == -1)
        abort();                    /* a real crash: not ours to handle */
    uc->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
}

/* Right after the waiter's flag store: the other side makes progress and
 * claims the flag, before the waiter looks at the word again. */
static void on_trap(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    (void)sig, (void)si;
    uc->uc_mcontext.gregs[REG_EFL] &= ~TRAP_FLAG;
    atomic_store_explicit(R.word, 1, memory_order_release);
    if (pl_wake_if_waiting(R.flag, &R.n) == -1)
        abort();
    R.other_side_ran = 1;
}
#endif

static void test_counted_claim_race_consumes_the_wakeup(void **state)
{
    (void)state;
#ifdef TRAP_FLAG
    memset(&R, 0, sizeof R);
    R.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(R.page != MAP_FAILED);
    R.word = (_Atomic uint32_t *)R.page;
    R.flag = (_Atomic uint32_t *)(R.page + 64);
    assert_int_equal(pipe(R.bell), 0);
    R.n = (pl_notify){ bell_sleep, bell_wake, &R, 1 };

    struct sigaction segv = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO },
                     trap = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO }, old_segv, old_trap;
    assert_int_equal(sigaction(SIGSEGV, &segv, &old_segv), 0);
    assert_int_equal(sigaction(SIGTRAP, &trap, &old_trap), 0);
    assert_int_equal(mprotect(R.page, 4096, PROT_READ), 0);   /* the flag store faults */

    int rc = pl_wait_change(R.word, 0, R.flag, &R.n);

    assert_int_equal(sigaction(SIGSEGV, &old_segv, NULL), 0);
    assert_int_equal(sigaction(SIGTRAP, &old_trap, NULL), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(R.other_side_ran, 1);          /* the race happened */
    assert_int_equal(R.wakes, 1);
    assert_int_equal(R.sleeps, 1);                  /* ...and its wake-up was taken */
    assert_int_equal(atomic_load(R.flag), 0);
    char c;
    assert_int_equal(fcntl(R.bell[0], F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(read(R.bell[0], &c, 1), -1);   /* nothing piled up */
    assert_int_equal(errno, EAGAIN);
    close(R.bell[0]);
    close(R.bell[1]);
    munmap(R.page, 4096);
#else
    skip();     /* needs the x86-64 trap flag, and no sanitizer's SIGSEGV handler */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_gone_is_epipe),
        cmocka_unit_test(test_counted_claim_race_consumes_the_wakeup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

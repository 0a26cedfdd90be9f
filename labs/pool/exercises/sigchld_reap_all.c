/* sigchld_reap_all.c (exercise): one SIGCHLD may stand
 * for many children; the handler must reap all that have ended.
 *
 * A server that forks a child per connection reaps them from a SIGCHLD
 * handler so that its main loop never blocks in wait.  Standard signals
 * are not queued: while SIGCHLD is pending (or its handler runs), more
 * children ending add nothing, so one delivery may cover several children.
 * This program makes that certain: it blocks SIGCHLD, starts CHILDREN
 * children that exit at once (child K with status K), waits until all have
 * ended, then unblocks SIGCHLD -- one signal for all of them.  The handler
 * records each child it reaps; the main loop prints "reaped child K", then
 * "parent: reaped N of M" and stays alive until its stdin ends (at most
 * 5 s), as a server would.  Unreaped children stay zombies meanwhile.
 *
 * Task: at the TODO, make the handler reap every child that has ended
 * (waitpid with WNOHANG in a loop, until it returns 0 or -1).
 * Grade: make grade EX=sigchld_reap_all SRC=your_copy.c
 * Usage: sigchld_reap_all [CHILDREN]
 */
#include "lab.h"
#include <poll.h>

#define MAX_CHILDREN 64

static volatile sig_atomic_t reaped_count;
static volatile sig_atomic_t reaped_status[MAX_CHILDREN];

/* Async-signal-safe: waitpid, and stores into sig_atomic_t; errno saved. */
static void on_sigchld(int sig)
{
    (void)sig;
    int saved_errno = errno, status;
    pid_t pid;
    /* TODO: one SIGCHLD may stand for many ended children. */
    if ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (reaped_count < MAX_CHILDREN)
            reaped_status[reaped_count] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        reaped_count++;
    }
    errno = saved_errno;
}

/* Wait (bounded) until every child has ended, without reaping any. */
static void wait_until_all_ended(const pid_t *pids, long count)
{
    long long deadline = now_ns() + 2000 * 1000000LL;
    for (long k = 0; k < count; k++) {
        for (;;) {
            siginfo_t info = { 0 };
            if (waitid(P_PID, (id_t)pids[k], &info, WEXITED | WNOHANG | WNOWAIT) == -1)
                errExit("waitid");
            if (info.si_pid != 0)
                break;                  /* ended: a zombie now */
            if (now_ns() > deadline)
                fatal("child %ld did not end within 2 s", k + 1);
            sleep_ms(1);
        }
    }
}

/* Stay alive until stdin ends (or 5 s), like a server. */
static void serve_until_stdin_ends(void)
{
    char buf[256];
    long long deadline = now_ns() + 5000 * 1000000LL;
    for (;;) {
        long left_ms = (long)((deadline - now_ns()) / 1000000);
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        if (left_ms <= 0)
            return;
        int ready = poll(&p, 1, (int)left_ms);
        if (ready == -1 && errno != EINTR)
            errExit("poll");
        if (ready == 1 && read(STDIN_FILENO, buf, sizeof buf) <= 0)
            return;
    }
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [CHILDREN]\nStart CHILDREN children (1..%d, default 8) that end "
               "together; reap them from a SIGCHLD handler.\n", lab_progname, MAX_CHILDREN);
        return 0;
    }
    if (argc > 2)
        usageErr("one argument at most");
    long count = argc > 1 ? parse_long("CHILDREN", argv[1], 1, MAX_CHILDREN) : 8;

    struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) == -1)
        errExit("sigaction");
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &old) == -1)
        errExit("sigprocmask");

    pid_t pids[MAX_CHILDREN];
    fflush(stdout);
    for (long k = 0; k < count; k++) {
        if ((pids[k] = lab_fork_guarded()) == -1)
            errExit("fork");
        if (pids[k] == 0)
            _exit((int)(k + 1));
    }
    wait_until_all_ended(pids, count);
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)   /* the one SIGCHLD arrives */
        errExit("sigprocmask");

    long long deadline = now_ns() + 200 * 1000000LL;
    while (reaped_count < count && now_ns() < deadline)
        sleep_ms(1);                    /* more signals may still come */
    if (sigprocmask(SIG_BLOCK, &chld, NULL) == -1)
        errExit("sigprocmask");
    long reaped = reaped_count;
    for (long i = 0; i < reaped && i < MAX_CHILDREN; i++)
        printf("reaped child %d\n", (int)reaped_status[i]);
    printf("parent: reaped %ld of %ld\n", reaped, count);
    fflush(stdout);
    serve_until_stdin_ends();
    return reaped == count ? 0 : 1;
}

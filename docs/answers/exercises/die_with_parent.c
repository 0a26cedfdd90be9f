/* die_with_parent.c (exercise, reference solution): children that outlive
 * a killed parent are orphans nobody stops; ask the kernel to kill them.
 *
 * The parent starts WORKERS worker children, prints "ready" and serves
 * until its stdin ends (at most 5 s); then it stops its workers (SIGTERM)
 * and reaps them.  That clean path needs the parent alive.  Killed with
 * SIGKILL (the OOM killer, `kill -9`, a crash), it cannot stop anything:
 * its workers are re-parented and work on (here for up to 3 s; a real one
 * forever).  prctl(PR_SET_PDEATHSIG, SIGKILL) in the child asks the kernel
 * to send it SIGKILL when its parent dies.  One race remains: the parent
 * may die between fork() and the prctl() call; the child then sees a
 * getppid() that is no longer the parent's pid, and must end at once.
 *
 * Task: at the TODO, make each worker die with its parent.
 * Grade: make grade EX=die_with_parent SRC=your_copy.c
 * Usage: die_with_parent [WORKERS]
 */
#include "lab.h"
#include <poll.h>
#include <sys/prctl.h>

#define MAX_WORKERS 16
#define WORKER_LIFE_MS 3000

static void worker(pid_t parent)
{
    /* TODO: this child must die when its parent dies (even by SIGKILL),
     * also when the parent died before this line ran. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
        err_exit("prctl PR_SET_PDEATHSIG");
    if (getppid() != parent)
        _exit(1);                       /* too late: the parent is gone */

    long long end = now_ns() + WORKER_LIFE_MS * 1000000LL;
    while (now_ns() < end)
        sleep_ms(20);                   /* the work */
    _exit(0);
}

/* Serve until stdin ends (or 5 s). */
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
        printf("Usage: %s [WORKERS]\nStart WORKERS workers (1..%d, default 3), serve until "
               "stdin ends, stop them.\n", lab_progname, MAX_WORKERS);
        return 0;
    }
    if (argc > 2)
        usageErr("one argument at most");
    long count = argc > 1 ? parse_long("WORKERS", argv[1], 1, MAX_WORKERS) : 3;

    pid_t parent = getpid(), pids[MAX_WORKERS];
    fflush(stdout);
    for (long w = 0; w < count; w++) {
        if ((pids[w] = fork()) == -1)
            errExit("fork");
        if (pids[w] == 0)
            worker(parent);
    }
    printf("ready: %ld workers\n", count);
    fflush(stdout);
    serve_until_stdin_ends();

    for (long w = 0; w < count; w++)
        if (kill(pids[w], SIGTERM) == -1 && errno != ESRCH)
            errExit("kill");
    for (long w = 0; w < count; w++) {
        int status;
        pid_t r = wait_child_for(pids[w], &status, 2000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0)
            kill_and_reap(pids[w]);
    }
    printf("stopped %ld workers\n", count);
    return 0;
}

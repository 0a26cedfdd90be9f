/* reap_every_child.c (exercise): a parent reaps every
 * child it started, or the ones it forgot stay zombies.
 *
 * The parent starts CHILDREN children; child K exits with status K.  It
 * must reap each of them and print "reaped status K" once per child, then
 * "parent: done" -- and then it stays alive until its stdin ends (at most
 * 5 s), like a long-running server would.  A child that has exited but was
 * not waited for is a zombie (state Z in ps) for as long as its parent
 * lives.  One wait() collects one child: the children end in any order, so
 * wait for as many as were started, each wait with a bound.
 *
 * Task: at the TODO, reap every child.
 * Grade: make grade EX=reap_every_child SRC=your_copy.c
 * Usage: reap_every_child [CHILDREN]
 */
#include "lab.h"
#include <poll.h>

#define MAX_CHILDREN 50

static long children_from_args(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [CHILDREN]\nStart CHILDREN children (1..%d, default 5), "
               "reap them all, stay until stdin ends.\n", lab_progname, MAX_CHILDREN);
        exit(0);
    }
    if (argc > 2)
        usageErr("one argument at most");
    return argc == 2 ? parse_long("CHILDREN", argv[1], 1, MAX_CHILDREN) : 5;
}

/* Reap one child, whichever ends first, within timeout_ms; print its status. */
static bool reap_one(long timeout_ms)
{
    int status;
    pid_t pid = wait_child_for(-1, &status, timeout_ms);
    if (pid == -1)
        errExit("waitpid");
    if (pid == 0)
        return false;
    if (WIFEXITED(status))
        printf("reaped status %d\n", WEXITSTATUS(status));
    else
        printf("reaped pid %ld: killed by signal %d\n", (long)pid, WTERMSIG(status));
    return true;
}

/* Stay alive until stdin ends (or 5 s): the zombies, if any, show now. */
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
    long count = children_from_args(argc, argv);

    fflush(stdout);
    for (long k = 1; k <= count; k++) {
        pid_t pid = lab_fork_guarded();
        if (pid == -1)
            errExit("fork");
        if (pid == 0) {
            sleep_ms((count - k) * 5);  /* the last started ends first */
            _exit((int)k);
        }
    }

    /* TODO: one wait collects one child.  Reap them all. */
    long reaped = reap_one(2000);
    printf("parent: done (%ld of %ld reaped)\n", reaped, count);
    fflush(stdout);
    serve_until_stdin_ends();
    return reaped == count ? 0 : 1;
}

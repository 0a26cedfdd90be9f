/* exec_fail_exit.c (exercise): when exec fails, the
 * child must end there, with _exit.
 *
 * The parent prints "parent: running 3 commands" and starts each command in
 * a child with fork + execvp: `true`, `sh -c 'exit 3'` and a command that
 * does not exist.  It prints "command K: exit S" for each and one
 * "summary: ..." line.  execvp returns only when it failed; a child that
 * then carries on runs the parent's code as a second parent (it forks
 * again, prints the summary again).  And exit() would flush the child's
 * copy of the parent's stdio buffer: with stdout on a file or pipe,
 * "parent: running 3 commands" is still in that buffer and comes out twice.
 * _exit(127) ends the child at once; 127 is what shells report for "command
 * not found".
 *
 * Task: at the TODO, end the child after a failed exec.
 * Grade: make grade EX=exec_fail_exit SRC=your_copy.c
 * Usage: exec_fail_exit
 */
#include "lab.h"

static char *const commands[][4] = {
    { "true", NULL },
    { "sh", "-c", "exit 3", NULL },
    { "/nonexistent/proclab-command", NULL },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s\nRun three commands (one missing), report how each ended.\n",
               lab_progname);
        return 0;
    }
    if (argc > 1)
        usageErr("no arguments expected");

    pid_t pids[NCOMMANDS];
    printf("parent: running %zu commands\n", NCOMMANDS);   /* still buffered */
    for (size_t k = 0; k < NCOMMANDS; k++) {
        pids[k] = lab_fork_guarded();
        if (pids[k] == -1)
            errExit("fork");
        if (pids[k] == 0) {
            execvp(commands[k][0], commands[k]);
            fprintf(stderr, "child: execvp %s: %s\n", commands[k][0], strerror(errno));
            /* TODO: the child must not go on into the parent's code. */
        }
    }

    int failed = 0;
    for (size_t k = 0; k < NCOMMANDS; k++) {
        int status;
        char how[64];
        pid_t r = wait_child_for(pids[k], &status, 3000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0) {
            kill_and_reap(pids[k]);
            fatal("command %zu did not end within 3 s", k + 1);
        }
        printf("command %zu: %s\n", k + 1, describe_status(status, how, sizeof how));
        failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    printf("summary: %zu commands, %d failed\n", NCOMMANDS, failed);
    return 0;
}

/* bench/spawn/fork_exec.c: fork(), then execve() of build/bin/proclab_exit0.
 *
 * The classic way to run a program: the fork copies the parent's page
 * tables only for exec to throw them away a moment later, so this grows
 * with the parent's size too, plus the cost of loading a program.
 * Python: subprocess before 3.8 (and whenever posix_spawn cannot be used),
 * multiprocessing's "spawn" start method (which execs a new interpreter). */
#include "spawn/method.h"

#include <unistd.h>

extern char **environ;

static int fork_exec_setup(void **ctx)
{
    const char *helper = pl_spawn_helper();
    *ctx = (void *)helper;
    return helper ? 0 : -1;
}

static int fork_exec_once(void *ctx)
{
    char *const argv[] = { (char *)"proclab_exit0", NULL };
    pid_t pid = fork();
    if (pid == -1)
        return -1;
    if (pid == 0) {
        execve((const char *)ctx, argv, environ);
        _exit(127);   /* exec failed: the reap sees status 127 */
    }
    return pl_spawn_reap(pid);
}

const pl_spawn_method pl_spawn_fork_exec = {
    .name = "fork_exec",
    .what = "fork(); child execve(proclab_exit0); waitpid",
    .setup = fork_exec_setup,
    .spawn_once = fork_exec_once,
};

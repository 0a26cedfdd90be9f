/* bench/spawn/fork.c: fork(); the child _exits at once; waitpid.
 *
 * fork copies the parent's page tables (every mapped page gets an entry in
 * the child, marked copy-on-write), so its cost grows with the parent's
 * resident memory: this is the line that rises on the plot.  Python:
 * multiprocessing's "fork" start method, os.fork(). */
#include "spawn/method.h"

#include <unistd.h>

static int fork_once(void *ctx)
{
    (void)ctx;
    pid_t pid = fork();
    if (pid == -1)
        return -1;
    if (pid == 0)
        _exit(0);   /* child: nothing else, not even stdio flushing */
    return pl_spawn_reap(pid);
}

const pl_spawn_method pl_spawn_fork = {
    .name = "fork",
    .what = "fork(); child _exit(0); waitpid",
    .spawn_once = fork_once,
};

/* bench/spawn/vfork.c: vfork(); the child _exits at once; waitpid.
 *
 * The child borrows the parent's address space (no page tables copied) and
 * the parent sleeps until the child execs or exits, so the cost does not
 * depend on the parent's size.  The child may only call _exit or exec. */
#include "spawn/method.h"

#include <unistd.h>

static int vfork_once(void *ctx)
{
    (void)ctx;
    pid_t pid = vfork();
    if (pid == -1)
        return -1;
    if (pid == 0)
        _exit(0);   /* the only safe things in a vfork child: _exit, exec */
    return pl_spawn_reap(pid);
}

const pl_spawn_method pl_spawn_vfork = {
    .name = "vfork",
    .what = "vfork(); child _exit(0); waitpid",
    .spawn_once = vfork_once,
};

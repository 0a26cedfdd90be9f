/* bench/spawn/posix_spawn.c: posix_spawn() of build/bin/proclab_exit0.
 *
 * glibc implements it with clone(CLONE_VM | CLONE_VFORK): the child runs on
 * a small stack of its own inside the parent's address space until it
 * execs, so no page tables are copied and the cost does not depend on the
 * parent's size.  Python: subprocess.Popen uses it when it can (3.8+). */
#include "spawn/method.h"

#include <errno.h>
#include <spawn.h>

extern char **environ;

static int posix_spawn_setup(void **ctx)
{
    const char *helper = pl_spawn_helper();
    *ctx = (void *)helper;
    return helper ? 0 : -1;
}

static int posix_spawn_once(void *ctx)
{
    char *const argv[] = { (char *)"proclab_exit0", NULL };
    pid_t pid;
    int err = posix_spawn(&pid, (const char *)ctx, NULL, NULL, argv, environ);
    if (err != 0) {
        errno = err;   /* posix_spawn returns the error, like pthreads */
        return -1;
    }
    return pl_spawn_reap(pid);
}

const pl_spawn_method pl_spawn_posix_spawn = {
    .name = "posix_spawn",
    .what = "posix_spawn(proclab_exit0); waitpid",
    .setup = posix_spawn_setup,
    .spawn_once = posix_spawn_once,
};

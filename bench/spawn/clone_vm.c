/* bench/spawn/clone_vm.c: clone(CLONE_VM | CLONE_VFORK) on a stack of its own.
 *
 * What posix_spawn does inside glibc: the child shares the parent's memory
 * (CLONE_VM, so no page tables are copied) but runs on a separate stack,
 * which makes it safer than vfork (the child cannot clobber the parent's
 * stack frame); CLONE_VFORK keeps the parent asleep until the child exits
 * or execs.  SIGCHLD as the exit signal makes it an ordinary child for
 * waitpid. */
#include "spawn/method.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { STACK_BYTES = 64 * 1024 };

static int child_fn(void *arg)
{
    (void)arg;
    _exit(0);
}

static int clone_vm_setup(void **ctx)
{
    void *stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    *ctx = stack;
    return 0;
}

static int clone_vm_once(void *ctx)
{
    char *top = (char *)ctx + STACK_BYTES;   /* stacks grow down on x86-64 */
    pid_t pid = clone(child_fn, top, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (pid == -1)
        return -1;
    return pl_spawn_reap(pid);
}

static void clone_vm_teardown(void *ctx)
{
    if (ctx)
        munmap(ctx, STACK_BYTES);
}

const pl_spawn_method pl_spawn_clone_vm = {
    .name = "clone_vm",
    .what = "clone(CLONE_VM|CLONE_VFORK) on its own stack; child _exit(0); waitpid",
    .setup = clone_vm_setup,
    .spawn_once = clone_vm_once,
    .teardown = clone_vm_teardown,
};

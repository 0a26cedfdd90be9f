/* bench/spawn/registry.c: every spawn method, in the order reports show them. */
#include "spawn/method.h"

#include <stddef.h>

extern const pl_spawn_method pl_spawn_fork, pl_spawn_vfork, pl_spawn_clone_vm,
    pl_spawn_fork_exec, pl_spawn_posix_spawn, pl_spawn_forkserver,
    pl_spawn_system, pl_spawn_thread;

const pl_spawn_method *const pl_spawn_methods[] = {
    &pl_spawn_fork,
    &pl_spawn_vfork,
    &pl_spawn_clone_vm,
    &pl_spawn_fork_exec,
    &pl_spawn_posix_spawn,
    &pl_spawn_forkserver,
    &pl_spawn_system,
    &pl_spawn_thread,
    NULL,
};

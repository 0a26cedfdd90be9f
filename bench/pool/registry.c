/* bench/pool/registry.c: every pool kind bench_pool measures, in order.
 * Adding one: a file defining a pl_pool_kind, and a line here. */
#include "pool/kind.h"

#include <string.h>

extern const pl_pool_kind pl_pool_shm, pl_pool_pipe, pl_pool_thread, pl_pool_fork_per_task,
    pl_pool_static_shards;

const pl_pool_kind *const pl_pool_kinds[] = {
    &pl_pool_shm, &pl_pool_pipe, &pl_pool_thread, &pl_pool_fork_per_task,
    &pl_pool_static_shards, NULL,
};

const pl_pool_kind *pl_pool_kind_find(const char *name)
{
    for (const pl_pool_kind *const *k = pl_pool_kinds; *k; k++)
        if (strcmp((*k)->name, name) == 0)
            return *k;
    return NULL;
}

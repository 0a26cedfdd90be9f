/* bench/sync/registry.c: every lock kind, in report order. */
#include "sync/lock.h"

#include <stddef.h>

extern const pl_lock_kind pl_lock_mutex, pl_lock_robust, pl_lock_sem,
    pl_lock_sysv_sem, pl_lock_flock, pl_lock_fcntl, pl_lock_spin, pl_lock_atomic;

const pl_lock_kind *const pl_lock_kinds[] = {
    &pl_lock_mutex, &pl_lock_robust, &pl_lock_sem, &pl_lock_sysv_sem,
    &pl_lock_flock, &pl_lock_fcntl, &pl_lock_spin, &pl_lock_atomic,
    NULL,
};

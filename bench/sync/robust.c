/* bench/sync/robust.c: the same mutex made PTHREAD_MUTEX_ROBUST, so a
 * worker that dies holding it does not wedge the others (EOWNERDEAD).  The
 * cost over a plain one: the kernel's robust list bookkeeping on each
 * lock/unlock (a user-space list update, no system call). */
#include "sync/lock.h"

pl_lock *pl_mutex_create_robust(void);
int pl_mutex_critical(pl_lock *l, volatile long *counter);
void pl_mutex_destroy(pl_lock *l);

static int attach(pl_lock *l) { (void)l; return 0; }

const pl_lock_kind pl_lock_robust = {
    "robust", "robust process-shared pthread mutex (survives a dead holder)",
    pl_mutex_create_robust, attach, pl_mutex_critical, pl_mutex_destroy,
};

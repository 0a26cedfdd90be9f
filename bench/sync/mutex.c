/* bench/sync/mutex.c: a process-shared pthread mutex (futex underneath:
 * no system call when uncontended, FUTEX_WAIT/WAKE when contended). */
#include "sync/lock.h"

#include <errno.h>
#include <pthread.h>

struct pl_lock { pthread_mutex_t m; };

static pl_lock *create_with(int robust)
{
    pthread_mutexattr_t attr;
    pl_lock *l = pl_shared_alloc(sizeof *l);
    int rc;
    if (!l)
        return NULL;
    if ((rc = pthread_mutexattr_init(&attr)) != 0 ||
        (rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
        (robust && (rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0) ||
        (rc = pthread_mutex_init(&l->m, &attr)) != 0) {
        pl_shared_free(l, sizeof *l);
        errno = rc;
        return NULL;
    }
    pthread_mutexattr_destroy(&attr);
    return l;
}

static pl_lock *create_plain(void) { return create_with(0); }
pl_lock *pl_mutex_create_robust(void);
pl_lock *pl_mutex_create_robust(void) { return create_with(1); }

static int attach(pl_lock *l) { (void)l; return 0; }

int pl_mutex_critical(pl_lock *l, volatile long *counter);
int pl_mutex_critical(pl_lock *l, volatile long *counter)
{
    int rc = pthread_mutex_lock(&l->m);
    if (rc == EOWNERDEAD)           /* robust: a worker died holding it */
        rc = pthread_mutex_consistent(&l->m);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    (*counter)++;
    rc = pthread_mutex_unlock(&l->m);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

void pl_mutex_destroy(pl_lock *l);
void pl_mutex_destroy(pl_lock *l)
{
    pthread_mutex_destroy(&l->m);
    pl_shared_free(l, sizeof *l);
}

const pl_lock_kind pl_lock_mutex = {
    "mutex", "pthread mutex, PTHREAD_PROCESS_SHARED, in shared memory",
    create_plain, attach, pl_mutex_critical, pl_mutex_destroy,
};

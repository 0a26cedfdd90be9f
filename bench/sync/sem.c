/* bench/sync/sem.c: an unnamed POSIX semaphore (sem_init pshared = 1) used
 * as a lock: sem_wait / sem_post.  Futex-based like the mutex, but with no
 * owner: any process may post, so nothing can recover a dead holder. */
#include "sync/lock.h"

#include <errno.h>
#include <semaphore.h>

struct pl_lock { sem_t s; };

static pl_lock *create(void)
{
    pl_lock *l = pl_shared_alloc(sizeof *l);
    if (l && sem_init(&l->s, 1, 1) == -1) {
        int saved = errno;
        pl_shared_free(l, sizeof *l);
        errno = saved;
        return NULL;
    }
    return l;
}

static int attach(pl_lock *l) { (void)l; return 0; }

static int critical(pl_lock *l, volatile long *counter)
{
    while (sem_wait(&l->s) == -1)
        if (errno != EINTR)
            return -1;
    (*counter)++;
    return sem_post(&l->s);
}

static void destroy(pl_lock *l)
{
    sem_destroy(&l->s);
    pl_shared_free(l, sizeof *l);
}

const pl_lock_kind pl_lock_sem = {
    "sem", "unnamed POSIX semaphore (sem_init pshared=1) as a lock",
    create, attach, critical, destroy,
};

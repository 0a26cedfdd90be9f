/* bench/sync/sysv_sem.c: a System V semaphore (semop with SEM_UNDO): every
 * lock and every unlock is a system call, contended or not, and SEM_UNDO
 * makes the kernel keep an undo record per process. */
#include "sync/lock.h"
#include "../../labs/lab.h"   /* lab_sysv_record: what `make clean-ipc` may remove */

#include <errno.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>

struct pl_lock { int id; struct lab_sysv_record record; };

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static pl_lock *create(void)
{
    pl_lock *l = calloc(1, sizeof *l);   /* record.path "" until recorded */
    if (!l)
        return NULL;
    l->id = semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600);
    union semun arg = { .val = 1 };
    if (l->id == -1 || lab_sysv_record(&l->record, "sem", l->id) == -1 ||
        semctl(l->id, 0, SETVAL, arg) == -1) {
        int saved = errno;
        if (l->id != -1)
            semctl(l->id, 0, IPC_RMID);
        lab_sysv_forget(&l->record);
        free(l);
        errno = saved;
        return NULL;
    }
    return l;
}

static int attach(pl_lock *l) { (void)l; return 0; }

static int op(int id, short delta)
{
    struct sembuf sb = { 0, delta, SEM_UNDO };
    while (semop(id, &sb, 1) == -1)
        if (errno != EINTR)
            return -1;
    return 0;
}

static int critical(pl_lock *l, volatile long *counter)
{
    if (op(l->id, -1) == -1)
        return -1;
    (*counter)++;
    return op(l->id, +1);
}

static void destroy(pl_lock *l)
{
    semctl(l->id, 0, IPC_RMID);
    lab_sysv_forget(&l->record);   /* the object is gone, or beyond our reach */
    free(l);
}

const pl_lock_kind pl_lock_sysv_sem = {
    "sysv_sem", "System V semaphore, semop with SEM_UNDO (a system call each way)",
    create, attach, critical, destroy,
};

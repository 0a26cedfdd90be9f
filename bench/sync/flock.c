/* bench/sync/flock.c: flock(LOCK_EX) / flock(LOCK_UN) on a lock file: a
 * system call each way, a lock owned by the open file description. */
#include "sync/filelock.h"
#include "sync/lock.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>

struct pl_lock { pl_filelock file; };

static pl_lock *create(void)
{
    pl_lock *l = malloc(sizeof *l);
    if (l && pl_filelock_create(&l->file) == -1) {
        int saved = errno;
        free(l);
        errno = saved;
        return NULL;
    }
    return l;
}

static int attach(pl_lock *l) { return pl_filelock_reopen(&l->file); }

static int critical(pl_lock *l, volatile long *counter)
{
    while (flock(l->file.fd, LOCK_EX) == -1)
        if (errno != EINTR)
            return -1;
    (*counter)++;
    return flock(l->file.fd, LOCK_UN);
}

static void destroy(pl_lock *l)
{
    pl_filelock_destroy(&l->file);
    free(l);
}

const pl_lock_kind pl_lock_flock = {
    "flock", "flock(LOCK_EX) on a file, one open file description per worker",
    create, attach, critical, destroy,
};

/* bench/sync/fcntl.c: a POSIX record lock, fcntl(F_SETLKW) over the whole
 * lock file: a system call each way, a lock owned by the process (and
 * silently dropped when the process closes ANY descriptor of the file). */
#include "sync/filelock.h"
#include "sync/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

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

static int set(int fd, short type)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    while (fcntl(fd, F_SETLKW, &fl) == -1)
        if (errno != EINTR)
            return -1;
    return 0;
}

static int critical(pl_lock *l, volatile long *counter)
{
    if (set(l->file.fd, F_WRLCK) == -1)
        return -1;
    (*counter)++;
    return set(l->file.fd, F_UNLCK);
}

static void destroy(pl_lock *l)
{
    pl_filelock_destroy(&l->file);
    free(l);
}

const pl_lock_kind pl_lock_fcntl = {
    "fcntl", "fcntl(F_SETLKW) write lock on a file (a POSIX record lock)",
    create, attach, critical, destroy,
};

/* bench/sync/filelock.c: the file behind the flock and fcntl lock kinds.
 * A private directory /tmp/proclab-UID-PID-XXXXXX holds one empty file;
 * each worker opens it again in attach() (flock locks belong to an open
 * file description: a descriptor inherited across fork shares the parent's
 * description, and then the "lock" would not exclude anybody). */
#include "sync/filelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int pl_filelock_create(pl_filelock *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/proclab-%u-%ld-XXXXXX",
             (unsigned)getuid(), (long)getpid());
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/lock", f->dir);
    int fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        int saved = errno;
        rmdir(f->dir);
        errno = saved;
        return -1;
    }
    f->fd = fd;
    return 0;
}

int pl_filelock_reopen(pl_filelock *f)
{
    int fd = open(f->path, O_RDWR | O_CLOEXEC);
    if (fd == -1)
        return -1;
    close(f->fd);
    f->fd = fd;
    return 0;
}

void pl_filelock_destroy(pl_filelock *f)
{
    close(f->fd);
    unlink(f->path);
    rmdir(f->dir);
}

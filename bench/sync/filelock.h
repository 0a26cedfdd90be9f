/* bench/sync/filelock.h: a lock file in a private directory. */
#ifndef PROCLAB_BENCH_SYNC_FILELOCK_H
#define PROCLAB_BENCH_SYNC_FILELOCK_H

typedef struct {
    char dir[64];
    char path[80];
    int fd;
} pl_filelock;

int  pl_filelock_create(pl_filelock *f);   /* 0 or -1 + errno */
int  pl_filelock_reopen(pl_filelock *f);   /* in a worker: own open file description */
void pl_filelock_destroy(pl_filelock *f);  /* close, unlink, rmdir */

#endif

/* bench/sync/lock.h: one lock kind behind one small interface.
 *
 * Each file bench/sync/KIND.c defines `const pl_lock_kind pl_lock_KIND`;
 * registry.c lists them.  The contention benchmark (bench/bench_sync.cc)
 * runs P worker processes that each call critical() many times on one lock
 * and checks at the end that the shared counter equals the number of calls:
 * a lock that does not exclude shows up as an error, not as a fast result.
 *
 * Life: create() once in the parent before any fork (the lock lives in
 * MAP_SHARED memory or is a kernel object the children inherit); attach()
 * in each worker after fork (a kind whose lock belongs to an open file
 * description, flock, opens its file again here); critical() in the timed
 * loop; destroy() in the parent after every worker is gone: it removes
 * every named object (temporary file, System V semaphore). */
#ifndef PROCLAB_BENCH_SYNC_LOCK_H
#define PROCLAB_BENCH_SYNC_LOCK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pl_lock pl_lock;   /* each kind defines its own */

typedef struct pl_lock_kind {
    const char *name;      /* stable: appears in benchmark names */
    const char *summary;   /* one line */
    pl_lock *(*create)(void);                      /* NULL + errno */
    int  (*attach)(pl_lock *l);                    /* 0 or -1 */
    /* lock; (*counter)++; unlock.  0 or -1 with errno. */
    int  (*critical)(pl_lock *l, volatile long *counter);
    void (*destroy)(pl_lock *l);
} pl_lock_kind;

extern const pl_lock_kind *const pl_lock_kinds[];   /* NULL-terminated */

/* MAP_SHARED|MAP_ANONYMOUS memory, zeroed; NULL + errno on failure. */
void *pl_shared_alloc(unsigned long bytes);
void  pl_shared_free(void *p, unsigned long bytes);

#ifdef __cplusplus
}
#endif
#endif

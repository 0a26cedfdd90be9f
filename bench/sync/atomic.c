/* bench/sync/atomic.c: no lock at all: the critical section is one
 * atomic_fetch_add (lock xadd on x86).  The floor for "update a shared
 * counter", and what every lock above is paying over. */
#include "sync/lock.h"

#include <stdatomic.h>

struct pl_lock { int unused; };

static pl_lock *create(void) { return pl_shared_alloc(sizeof(pl_lock)); }
static int attach(pl_lock *l) { (void)l; return 0; }

static int critical(pl_lock *l, volatile long *counter)
{
    (void)l;
    atomic_fetch_add_explicit((_Atomic long *)counter, 1, memory_order_relaxed);
    return 0;
}

static void destroy(pl_lock *l) { pl_shared_free(l, sizeof *l); }

const pl_lock_kind pl_lock_atomic = {
    "atomic", "atomic_fetch_add on the counter itself (no lock: the floor)",
    create, attach, critical, destroy,
};

/* bench/sync/spin.c: a test-and-test-and-set spinlock on a C11 atomic in
 * shared memory.  No system call ever, but a waiter burns its CPU; with
 * more processes than CPUs the holder can be preempted while others spin,
 * so after SPINS_BEFORE_YIELD failed looks the waiter calls sched_yield(). */
#include "sync/lock.h"

#include <sched.h>
#include <stdatomic.h>

enum { SPINS_BEFORE_YIELD = 100 };

struct pl_lock { _Alignas(64) atomic_int held; };

static pl_lock *create(void) { return pl_shared_alloc(sizeof(pl_lock)); }
static int attach(pl_lock *l) { (void)l; return 0; }

static int critical(pl_lock *l, volatile long *counter)
{
    int spins = 0;
    for (;;) {
        /* test (a plain load keeps the line shared while it is held) ... */
        if (!atomic_load_explicit(&l->held, memory_order_relaxed) &&
            /* ... and set */
            !atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
            break;
        if (++spins == SPINS_BEFORE_YIELD) {
            spins = 0;
            sched_yield();
        }
    }
    (*counter)++;
    atomic_store_explicit(&l->held, 0, memory_order_release);
    return 0;
}

static void destroy(pl_lock *l) { pl_shared_free(l, sizeof *l); }

const pl_lock_kind pl_lock_spin = {
    "spin", "test-and-test-and-set spinlock, sched_yield after 100 spins",
    create, attach, critical, destroy,
};

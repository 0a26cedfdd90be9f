/* bench/sync/crowd.c: rounds of contention, started and ended with futexes. */
#include "sync/crowd.h"
#include "core/clock.h"
#include "core/partner.h"
#include "core/placement.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MAX_WORKERS = 64 };

/* What the parent and the workers share.  The counter has a cache line of
 * its own so that round bookkeeping does not add false sharing to it. */
struct shared {
    _Alignas(64) _Atomic uint32_t round;   /* bumped to start a round */
    _Atomic uint32_t stop;
    _Atomic long ops;                       /* per worker per round */
    _Alignas(64) _Atomic uint32_t done;     /* workers finished this round */
    _Atomic uint32_t failed;
    _Alignas(64) volatile long counter;     /* incremented inside the lock */
};

/* Every worker of every running crowd, for pl_crowd_kill_running(). */
static volatile pid_t running_pids[MAX_WORKERS];

static void note_running(pid_t pid, int on)
{
    for (int i = 0; i < MAX_WORKERS; i++)
        if (on ? running_pids[i] == 0 : running_pids[i] == pid) {
            running_pids[i] = on ? pid : 0;
            return;
        }
}

void pl_crowd_kill_running(void)
{
    for (int i = 0; i < MAX_WORKERS; i++) {
        pid_t pid = running_pids[i];
        if (pid > 0)
            kill(pid, SIGKILL);
    }
}

struct pl_crowd {
    const pl_lock_kind *kind;
    pl_lock *lock;
    struct shared *sh;
    int procs;
    long rounds;                            /* rounds completed */
    long total_ops;                         /* critical sections run */
    pl_partner workers[MAX_WORKERS];
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *timeout)
{
    return syscall(SYS_futex, (uint32_t *)addr, op, val, timeout, NULL, 0);
}

static int worker(void *arg, int ctl)
{
    pl_crowd *c = arg;
    struct shared *sh = c->sh;
    uint32_t seen = atomic_load(&sh->round);

    if (c->kind->attach(c->lock) == -1)
        return 2;
    if (pl_partner_ready(ctl) == -1)
        return 3;
    for (;;) {
        uint32_t now;
        while ((now = atomic_load(&sh->round)) == seen)
            futex(&sh->round, FUTEX_WAIT, seen, NULL);   /* woken by the parent */
        seen = now;
        if (atomic_load(&sh->stop))
            return 0;
        long ops = atomic_load(&sh->ops);
        for (long i = 0; i < ops; i++)
            if (c->kind->critical(c->lock, &sh->counter) == -1) {
                atomic_store(&sh->failed, 1);
                break;
            }
        if (atomic_fetch_add(&sh->done, 1) + 1 == (uint32_t)c->procs)
            futex(&sh->done, FUTEX_WAKE, 1, NULL);       /* the last one wakes the parent */
    }
}

pl_crowd *pl_crowd_start(const pl_lock_kind *kind, pl_lock *lock, int procs)
{
    int cpus[MAX_WORKERS];
    int ncpu = pl_cpus_allowed(cpus, MAX_WORKERS);
    pl_crowd *c;

    if (procs < 1 || procs > MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sh = pl_shared_alloc(sizeof *c->sh);
    if (!c->sh) {
        free(c);
        return NULL;
    }
    c->kind = kind;
    c->lock = lock;
    c->procs = procs;
    atomic_store(&c->sh->ops, 1000);
    for (int i = 0; i < procs; i++)
        if (pl_partner_start(&c->workers[i], cpus[i % ncpu], worker, c, 5000) == -1) {
            int saved = errno;
            c->procs = i;                 /* stop only those started */
            pl_crowd_stop(c);
            errno = saved;
            return NULL;
        } else {
            note_running(c->workers[i].pid, 1);
        }
    return c;
}

int pl_crowd_round(pl_crowd *c)
{
    struct shared *sh = c->sh;
    uint64_t deadline = pl_now_ns() + 10ull * 1000000000ull;
    uint32_t d;

    atomic_store(&sh->done, 0);
    atomic_fetch_add(&sh->round, 1);
    futex(&sh->round, FUTEX_WAKE, INT32_MAX, NULL);
    while ((d = atomic_load(&sh->done)) < (uint32_t)c->procs) {
        struct timespec limit = { 1, 0 };
        if (pl_partner_exited) {          /* set by SIGCHLD: a worker died */
            errno = EPIPE;
            return -1;
        }
        if (pl_now_ns() > deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        futex(&sh->done, FUTEX_WAIT, d, &limit);   /* EINTR on SIGCHLD: loop checks */
    }
    c->rounds++;
    c->total_ops += (long)c->procs * atomic_load(&sh->ops);
    if (atomic_load(&sh->failed)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int pl_crowd_calibrate(pl_crowd *c, double target_ms)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        uint64_t t0 = pl_now_ns();
        if (pl_crowd_round(c) == -1)
            return -1;
        double ms = (double)(pl_now_ns() - t0) / 1e6;
        long ops = atomic_load(&c->sh->ops);
        if (ms > target_ms / 2 && ms < target_ms * 2)
            return 0;
        double scale = ms > 0.001 ? target_ms / ms : 100.0;
        if (scale > 100.0)
            scale = 100.0;
        long next = (long)((double)ops * scale);
        if (next < 100)
            next = 100;
        if (next > 100000000L)
            next = 100000000L;
        atomic_store(&c->sh->ops, next);
    }
    return 0;
}

long pl_crowd_ops_per_round(const pl_crowd *c) { return atomic_load(&c->sh->ops); }
long pl_crowd_counter(const pl_crowd *c) { return c->sh->counter; }
long pl_crowd_expected(const pl_crowd *c) { return c->total_ops; }

int pl_crowd_kill_worker(pl_crowd *c, int i)
{
    if (i < 0 || i >= c->procs || c->workers[i].pid <= 0) {
        errno = EINVAL;
        return -1;
    }
    return kill(c->workers[i].pid, SIGKILL);
}

int pl_crowd_stop(pl_crowd *c)
{
    int ok = 1;
    atomic_store(&c->sh->stop, 1);
    atomic_fetch_add(&c->sh->round, 1);
    futex(&c->sh->round, FUTEX_WAKE, INT32_MAX, NULL);
    for (int i = 0; i < c->procs; i++) {
        pid_t pid = c->workers[i].pid;
        if (pl_partner_stop(&c->workers[i], 2000) != 0)
            ok = 0;
        note_running(pid, 0);
    }
    pl_shared_free(c->sh, sizeof *c->sh);
    free(c);
    return ok ? 0 : -1;
}

/* lock_the_counter.c (exercise, reference solution): counter++ in shared
 * memory loses updates unless a lock covers the whole read-modify-write.
 *
 * PROCS processes each add 1 to one counter in shared memory ITERS times,
 * all starting at once; the parent prints "counter=N expected=M".  The
 * increment is a load, an add and a store: when two processes interleave
 * them, one store overwrites the other and an update is lost.  The mutex in
 * the shared memory is already made PTHREAD_PROCESS_SHARED; nobody takes it.
 *
 * Task: at the TODOs, take the mutex around the increment (and release it).
 * Grade: make grade EX=lock_the_counter SRC=your_copy.c
 * Usage: lock_the_counter [PROCS [ITERS]]
 */
#include "lab.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define MAX_PROCS 16

struct shared {
    pthread_mutex_t lock;
    volatile long counter;
    atomic_long arrived;        /* the start line: everyone begins together */
};

/* value + 1, after a little work: a real program does more between reading
 * and writing, and the longer that window, the likelier another process
 * writes in between (on one CPU too: preemption can fall in the window). */
static long next_value(long value)
{
    for (volatile int work = 0; work < 100; work++)
        ;
    return value + 1;
}

static void add_many(struct shared *s, long iters)
{
    for (long i = 0; i < iters; i++) {
        int rc;
        /* TODO: take the lock here ... */
        if ((rc = pthread_mutex_lock(&s->lock)) != 0)
            errExitEN(rc, "pthread_mutex_lock");
        long value = s->counter;        /* load */
        value = next_value(value);      /* add (and some work) */
        s->counter = value;             /* store */
        /* TODO: ... and release it here. */
        if ((rc = pthread_mutex_unlock(&s->lock)) != 0)
            errExitEN(rc, "pthread_mutex_unlock");
    }
}

/* Spin (yielding) until all procs have arrived, so that they really run
 * at the same time; give up after 2 s (a sibling may have died). */
static void wait_for_everyone(struct shared *s, long procs)
{
    long long deadline = now_ns() + 2000 * 1000000LL;
    atomic_fetch_add(&s->arrived, 1);
    while (atomic_load(&s->arrived) < procs && now_ns() < deadline)
        sched_yield();
}

static struct shared *make_shared(void)
{
    pthread_mutexattr_t attr;
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        errExit("mmap");
    int rc = pthread_mutexattr_init(&attr);
    if (rc == 0) rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutex_init(&s->lock, &attr);
    if (rc != 0)
        errExitEN(rc, "process-shared mutex");
    pthread_mutexattr_destroy(&attr);
    s->counter = 0;
    atomic_init(&s->arrived, 0);
    return s;
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [PROCS [ITERS]]\nPROCS processes (2..%d, default 4) add 1 to a "
               "shared counter ITERS times (1..10000000, default 100000).\n",
               lab_progname, MAX_PROCS);
        return 0;
    }
    if (argc > 3)
        usageErr("two arguments at most");
    long procs = argc > 1 ? parse_long("PROCS", argv[1], 2, MAX_PROCS) : 4;
    long iters = argc > 2 ? parse_long("ITERS", argv[2], 1, 10000000) : 100000;

    struct shared *s = make_shared();
    pid_t pids[MAX_PROCS];
    fflush(stdout);
    for (long p = 0; p < procs; p++) {
        if ((pids[p] = lab_fork_guarded()) == -1)
            errExit("fork");
        if (pids[p] == 0) {
            wait_for_everyone(s, procs);
            add_many(s, iters);
            _exit(0);
        }
    }

    int failed = 0;
    for (long p = 0; p < procs; p++) {
        int status;
        pid_t r = wait_child_for(pids[p], &status, 20000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0) {
            kill_and_reap(pids[p]);
            failed = 1;
            continue;
        }
        failed |= !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    long expected = procs * iters;
    printf("counter=%ld expected=%ld lost=%ld\n", s->counter, expected, expected - s->counter);
    return !failed && s->counter == expected ? 0 : 1;
}

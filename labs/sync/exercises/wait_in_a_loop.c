/* wait_in_a_loop.c (exercise): a condition variable
 * wait belongs in a loop that re-checks the condition.
 *
 * One producer (the parent) hands ITEMS items, one at a time, through a
 * one-slot mailbox in shared memory to CONSUMERS consumer processes; a
 * process-shared mutex guards the slot and a condition variable says "the
 * slot changed".  The producer puts an item, then wakes every waiting
 * consumer with pthread_cond_broadcast.  All of them wake, but only the
 * first to get the mutex finds the item; for the others the condition
 * ("there is an item") is false again.  Waking up is a hint, not a
 * promise (POSIX also allows spurious wake-ups): after every wait, check
 * again, and wait again while the condition does not hold.  Each consumer
 * prints "consumed K by consumer C"; every item must be consumed exactly
 * once.  (Every wait here has a 2 s deadline.)
 *
 * Task: at the TODO, wait in the right loop.
 * Grade: make grade EX=wait_in_a_loop SRC=your_copy.c
 * Usage: wait_in_a_loop [CONSUMERS [ITEMS]]
 */
#include "lab.h"
#include <pthread.h>
#include <sys/mman.h>

#define MAX_CONSUMERS 8
#define WAIT_LIMIT_MS 2000

struct mailbox {
    pthread_mutex_t lock;
    pthread_cond_t changed;     /* an item was put, or we are done */
    bool has_item;
    long item;
    bool done;                  /* no more items will come */
    int waiting;                /* consumers inside pthread_cond_wait */
    long wakeups;               /* returns from pthread_cond_wait so far */
};

static void lock(struct mailbox *m)
{
    int rc = pthread_mutex_lock(&m->lock);
    if (rc != 0)
        errExitEN(rc, "pthread_mutex_lock");
}

static void unlock(struct mailbox *m)
{
    int rc = pthread_mutex_unlock(&m->lock);
    if (rc != 0)
        errExitEN(rc, "pthread_mutex_unlock");
}

static void wake_all(struct mailbox *m)
{
    int rc = pthread_cond_broadcast(&m->changed);
    if (rc != 0)
        errExitEN(rc, "pthread_cond_broadcast");
}

static struct timespec deadline_in(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Wait for a change, at most until the deadline (then give up: exit 3). */
static void wait_for_change(struct mailbox *m, const struct timespec *deadline, int me)
{
    m->waiting++;
    int rc = pthread_cond_timedwait(&m->changed, &m->lock, deadline);
    m->waiting--;
    m->wakeups++;
    if (rc == ETIMEDOUT) {
        printf("consumer %d: nothing for %d ms, giving up\n", me, WAIT_LIMIT_MS);
        fflush(stdout);
        _exit(3);
    }
    if (rc != 0) {
        errno = rc;
        err_exit("pthread_cond_timedwait");
    }
}

static void consumer(struct mailbox *m, int me)
{
    lock(m);
    for (;;) {
        struct timespec deadline = deadline_in(WAIT_LIMIT_MS);
        /* TODO: waking up does not mean there is an item. */
        if (!m->has_item && !m->done)
            wait_for_change(m, &deadline, me);
        if (!m->has_item && m->done)
            break;
        long item = m->item;            /* take it */
        m->has_item = false;
        printf("consumed %ld by consumer %d\n", item, me);
        fflush(stdout);
    }
    unlock(m);
    _exit(0);
}

/* The producer waits until every consumer woken by the last broadcast has
 * come back out of its wait, and all are waiting again: each item is then
 * announced to all of them at once. */
static bool all_consumers_waiting(struct mailbox *m, int consumers, long broadcasts)
{
    long long deadline = now_ns() + WAIT_LIMIT_MS * 1000000LL;
    for (;;) {
        lock(m);
        bool ready = m->waiting == consumers && !m->has_item &&
                     m->wakeups >= broadcasts * consumers;
        unlock(m);
        if (ready)
            return true;
        if (now_ns() >= deadline)
            return false;
        sleep_ms(1);
    }
}

static struct mailbox *make_mailbox(void)
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    struct mailbox *m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        errExit("mmap");
    int rc = pthread_mutexattr_init(&ma);
    if (rc == 0) rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutex_init(&m->lock, &ma);
    if (rc == 0) rc = pthread_condattr_init(&ca);
    if (rc == 0) rc = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_cond_init(&m->changed, &ca);
    if (rc != 0)
        errExitEN(rc, "process-shared mutex and condition variable");
    return m;
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [CONSUMERS [ITEMS]]\nHand ITEMS items (1..1000, default 5) to "
               "CONSUMERS consumers (2..%d, default 3) through a one-slot mailbox.\n",
               lab_progname, MAX_CONSUMERS);
        return 0;
    }
    if (argc > 3)
        usageErr("two arguments at most");
    int consumers = argc > 1 ? (int)parse_long("CONSUMERS", argv[1], 2, MAX_CONSUMERS) : 3;
    long items = argc > 2 ? parse_long("ITEMS", argv[2], 1, 1000) : 5;

    struct mailbox *m = make_mailbox();
    pid_t pids[MAX_CONSUMERS];
    fflush(stdout);
    for (int c = 0; c < consumers; c++) {
        if ((pids[c] = lab_fork_guarded()) == -1)
            errExit("fork");
        if (pids[c] == 0)
            consumer(m, c + 1);
    }

    int failed = 0;
    for (long k = 1; k <= items + 1; k++) {
        if (!all_consumers_waiting(m, consumers, k - 1)) {
            printf("producer: the consumers did not all wait within %d ms\n", WAIT_LIMIT_MS);
            failed = 1;
            break;
        }
        lock(m);
        if (k <= items) {
            m->item = k;
            m->has_item = true;
        } else {
            m->done = true;
        }
        wake_all(m);
        unlock(m);
    }
    if (failed) {
        lock(m);
        m->done = true;
        wake_all(m);
        unlock(m);
    }

    for (int c = 0; c < consumers; c++) {
        int status;
        char how[64];
        pid_t r = wait_child_for(pids[c], &status, WAIT_LIMIT_MS + 1000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0) {
            kill_and_reap(pids[c]);
            printf("consumer %d: killed, it did not end\n", c + 1);
            failed = 1;
        } else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            printf("consumer %d: %s\n", c + 1, describe_status(status, how, sizeof how));
            failed = 1;
        }
    }
    printf("producer: %ld items handed out\n", items);
    return failed;
}

/* lock_ordering.c (exercise): two locks taken in
 * opposite orders deadlock; one global order removes the deadlock.
 *
 * Two worker processes move ROUNDS units between two accounts in shared
 * memory; each account has its own process-shared mutex, and a transfer
 * holds both.  Worker 1 takes lock A, then lock B; worker 2 takes them the
 * other way round.  When each holds its first lock and waits for the
 * other's, neither can go on: a deadlock.  (The first round makes that
 * moment certain: each worker, once it holds its first lock, waits a
 * little for the other to take its own.)  Every lock is taken with
 * pthread_mutex_timedlock and a 0.5 s limit, so a deadlock is reported
 * ("worker 2: deadlock ...", exit 3) instead of hanging.  The cure: every
 * process takes the locks in one agreed order.
 *
 * Task: at the TODO, make worker 2 take the locks in a deadlock-free order.
 * Grade: make grade EX=lock_ordering SRC=your_copy.c
 * Usage: lock_ordering [ROUNDS]
 */
#include "lab.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define LOCK_LIMIT_MS 500
#define RENDEZVOUS_MS 200

struct bank {
    pthread_mutex_t lock_a, lock_b;
    long account_a, account_b;
    atomic_int holding_first;   /* workers holding their first lock (round 1) */
};

static void take(pthread_mutex_t *lock, const char *name, int worker)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += LOCK_LIMIT_MS * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_timedlock(lock, &deadline);
    if (rc == ETIMEDOUT) {
        printf("worker %d: deadlock: waited %d ms for lock %s\n", worker, LOCK_LIMIT_MS, name);
        fflush(stdout);
        _exit(3);
    }
    if (rc != 0) {
        errno = rc;
        err_exit("pthread_mutex_timedlock %s", name);
    }
}

/* Round 1 only: wait (briefly) until the other worker holds its first lock. */
static void rendezvous(struct bank *b)
{
    long long deadline = now_ns() + RENDEZVOUS_MS * 1000000LL;
    atomic_fetch_add(&b->holding_first, 1);
    while (atomic_load(&b->holding_first) < 2 && now_ns() < deadline)
        sched_yield();
}

static void worker(struct bank *b, int me, long rounds)
{
    /* Worker 1 moves from A to B, worker 2 from B to A. */
    pthread_mutex_t *first = &b->lock_a, *second = &b->lock_b;
    const char *first_name = "A", *second_name = "B";
    if (me == 2) {
        /* TODO: in which order must worker 2 take the two locks? */
        first = &b->lock_b, second = &b->lock_a;
        first_name = "B", second_name = "A";
    }
    for (long r = 1; r <= rounds; r++) {
        take(first, first_name, me);
        if (r == 1)
            rendezvous(b);
        take(second, second_name, me);
        if (me == 1) {
            b->account_a--;
            b->account_b++;
        } else {
            b->account_b--;
            b->account_a++;
        }
        int rc = pthread_mutex_unlock(second);
        if (rc == 0)
            rc = pthread_mutex_unlock(first);
        if (rc != 0)
            errExitEN(rc, "pthread_mutex_unlock");
    }
    printf("worker %d: %ld transfers done\n", me, rounds);
    fflush(stdout);
    _exit(0);
}

static struct bank *open_bank(void)
{
    pthread_mutexattr_t attr;
    struct bank *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        errExit("mmap");
    int rc = pthread_mutexattr_init(&attr);
    if (rc == 0) rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutex_init(&b->lock_a, &attr);
    if (rc == 0) rc = pthread_mutex_init(&b->lock_b, &attr);
    if (rc != 0)
        errExitEN(rc, "process-shared mutexes");
    b->account_a = b->account_b = 1000;
    atomic_init(&b->holding_first, 0);
    return b;
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [ROUNDS]\nTwo workers each make ROUNDS transfers (1..1000000, "
               "default 10000) holding two locks.\n", lab_progname);
        return 0;
    }
    if (argc > 2)
        usageErr("one argument at most");
    long rounds = argc > 1 ? parse_long("ROUNDS", argv[1], 1, 1000000) : 10000;

    struct bank *b = open_bank();
    pid_t pids[2];
    fflush(stdout);
    for (int w = 0; w < 2; w++) {
        if ((pids[w] = lab_fork_guarded()) == -1)
            errExit("fork");
        if (pids[w] == 0)
            worker(b, w + 1, rounds);
    }
    int failed = 0;
    for (int w = 0; w < 2; w++) {
        int status;
        char how[64];
        pid_t r = wait_child_for(pids[w], &status, 2 * LOCK_LIMIT_MS + 5000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0) {
            kill_and_reap(pids[w]);
            printf("worker %d: killed, it did not end\n", w + 1);
            failed = 1;
        } else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            printf("worker %d: %s\n", w + 1, describe_status(status, how, sizeof how));
            failed = 1;
        }
    }
    printf("accounts: A=%ld B=%ld total=%ld\n", b->account_a, b->account_b,
           b->account_a + b->account_b);
    return failed;
}

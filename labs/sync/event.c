/* event.c: Python's Event (set/clear/wait) across processes, three ways.
 *
 * Lesson: an event is a level-triggered flag.  set() raises it and wakes
 * every waiter; it stays up, so a later wait() returns at once; clear()
 * lowers it; wait(timeout) returns the flag, False if the time ran out.
 * Three ways to build it between processes:
 *   cond     a flag + a process-shared mutex and condition variable, all
 *            in MAP_SHARED memory; wait re-checks the flag in a loop.
 *   eventfd  a kernel counter behind an fd that fork copies.  A counter is
 *            not a flag: read() consumes it (to 0, or by 1 with
 *            EFD_SEMAPHORE), so a waiter that read() would take the event
 *            from the others.  Here set = write(1), wait = poll() for
 *            readability (does not consume), clear = a non-blocking read.
 *   futex    an int in shared memory; wait = FUTEX_WAIT (sleeps only while
 *            the int is still 0: no lost wake-up between check and sleep),
 *            set = store 1 + FUTEX_WAKE(all).
 *
 * The pitfall (--private-futex): FUTEX_PRIVATE_FLAG tells the kernel the
 * futex is used by one process only, so it keys waiters by (this process's
 * memory map, address).  A child has another map: the parent's wake finds
 * nobody, and every child sleeps to its timeout.  Exit 1 when a waiter did
 * not wake before its timeout.
 *
 * Watch for: the waiters all wake ~DELAY ms after starting; wait on an unset
 * event returns False after its timeout; --private-futex waiters sleep to
 * their timeout.
 *
 * Try:
 *   ./event --via futex -n 4
 *   ./event --via eventfd -d 500
 *   ./event --via eventfd --eventfd-read   # read() takes the event: one True
 *   ./event --via futex --private-futex -t 1000
 *
 * With --eventfd-read the eventfd waiters read() the counter instead of
 * poll()ing it: the first takes the event (the counter drops to 0) and the
 * others wait to their timeout, False (exit 1): a counter is not a flag.
 *
 * Usage: event [--via cond|eventfd|futex] [--private-futex | --eventfd-read] [-n WAITERS] [-d DELAY_MS] [-t TIMEOUT_MS]
 * Python: multiprocessing.Event(): set(), clear(), is_set(), wait(timeout)
 */
#include "../lab.h"
#include <getopt.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define MAX_WAITERS 32
#define PROBE_MS 50             /* the short waits the parent makes itself */

enum via { VIA_COND, VIA_EVENTFD, VIA_FUTEX };
static const char *via_names[] = { "cond", "eventfd", "futex" };

struct shared {                 /* one MAP_SHARED page, seen by every process */
    pthread_mutex_t mutex;      /* cond: guards flag */
    pthread_cond_t cond;
    int flag;                   /* cond and futex: 1 = set (the futex word) */
    int ready;                  /* waiters about to call wait() */
    struct { long long waited_ns, ended_ns; int result, timed_out; } w[MAX_WAITERS];
};

static enum via via = VIA_COND;
static bool private_futex;
static bool waiters_read;       /* --eventfd-read: wait consumes the counter */
static struct shared *sh;
static int efd = -1;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--via cond|eventfd|futex] [--private-futex | --eventfd-read] [-n WAITERS] [-d DELAY_MS] [-t TIMEOUT_MS]\n"
            "WAITERS processes wait(TIMEOUT) on one event; the parent sets it after DELAY.\n"
            "      --via KIND       cond (default), eventfd or futex\n"
            "      --private-futex  with --via futex: add FUTEX_PRIVATE_FLAG (the wake is lost)\n"
            "  -n, --waiters N      waiting processes (1..%d, default 3)\n"
            "  -d, --delay MS       the parent sets the event after MS (0..60000, default 200)\n"
            "  -t, --timeout MS     each waiter's wait timeout (1..60000, default 2000)\n"
            "  -h, --help           this help\n"
            "Exit 0 when every waiter woke before its timeout, 1 otherwise.\n",
            lab_progname, MAX_WAITERS);
    exit(status);
}

static long futex(int *word, int op, int val, const struct timespec *timeout)
{
    if (private_futex)
        op |= FUTEX_PRIVATE_FLAG;
    return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* The mutex is held for a few instructions; the time limit only guards
 * against a holder that died.  err_exit: this runs in children too. */
static void lock(void)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += 5;
    int rc = pthread_mutex_clocklock(&sh->mutex, CLOCK_MONOTONIC, &dl);
    if (rc != 0) { errno = rc; err_exit("pthread_mutex_clocklock"); }
}

static void unlock(void)
{
    int rc = pthread_mutex_unlock(&sh->mutex);
    if (rc != 0) { errno = rc; err_exit("pthread_mutex_unlock"); }
}

static bool is_set(void)
{
    struct pollfd p = { .fd = efd, .events = POLLIN };
    bool set;
    switch (via) {
    case VIA_COND:    lock(); set = sh->flag; unlock(); return set;
    case VIA_EVENTFD: if (poll(&p, 1, 0) == -1) err_exit("poll"); return p.revents & POLLIN;
    default:          return __atomic_load_n(&sh->flag, __ATOMIC_ACQUIRE);
    }
}

static void event_set(void)
{
    uint64_t one = 1;
    switch (via) {
    case VIA_COND:
        lock();
        sh->flag = 1;
        int rc = pthread_cond_broadcast(&sh->cond);   /* wake all, not one */
        if (rc != 0) errExitEN(rc, "pthread_cond_broadcast");
        unlock();
        break;
    case VIA_EVENTFD:   /* counter > 0 = set; poll() wakes every poller */
        if (write(efd, &one, sizeof one) != sizeof one) errExit("write eventfd");
        break;
    case VIA_FUTEX:
        __atomic_store_n(&sh->flag, 1, __ATOMIC_RELEASE);
        if (futex(&sh->flag, FUTEX_WAKE, INT_MAX, NULL) == -1) errExit("futex wake");
        break;
    }
}

static void event_clear(void)
{
    uint64_t count;
    switch (via) {
    case VIA_COND:    lock(); sh->flag = 0; unlock(); break;
    case VIA_EVENTFD: /* reads the counter back to 0; EAGAIN: it was 0 */
        if (read(efd, &count, sizeof count) == -1 && errno != EAGAIN) errExit("read eventfd");
        break;
    case VIA_FUTEX:   __atomic_store_n(&sh->flag, 0, __ATOMIC_RELEASE); break;
    }
}

/* wait(timeout): returns the flag, like Python; *timed_out when time ran out. */
static bool event_wait(long timeout_ms, bool *timed_out)
{
    long long deadline = now_ns() + timeout_ms * 1000000LL;
    struct timespec abs = { deadline / 1000000000LL, deadline % 1000000000LL };
    *timed_out = false;
    if (via == VIA_EVENTFD && waiters_read) {  /* the pitfall: read() takes it */
        for (;;) {
            uint64_t count;
            if (read(efd, &count, sizeof count) == sizeof count)
                return true;        /* mine, and now 0 for everyone else */
            if (errno != EAGAIN && errno != EINTR) err_exit("read eventfd");
            long long left = deadline - now_ns();
            if (left <= 0) {
                *timed_out = true;
                return false;
            }
            struct pollfd p = { .fd = efd, .events = POLLIN };
            if (poll(&p, 1, (int)((left + 999999) / 1000000)) == -1 && errno != EINTR)
                err_exit("poll");
        }
    }
    if (via == VIA_COND) {
        lock();
        while (!sh->flag && !*timed_out) {  /* while: wake-ups can be spurious */
            int rc = pthread_cond_timedwait(&sh->cond, &sh->mutex, &abs);
            if (rc == ETIMEDOUT) *timed_out = true;
            else if (rc != 0) { errno = rc; err_exit("pthread_cond_timedwait"); }
        }
        unlock();
        return is_set();
    }
    while (!is_set()) {
        long long left = deadline - now_ns();
        struct timespec rel = { left / 1000000000LL, left % 1000000000LL };
        struct pollfd p = { .fd = efd, .events = POLLIN };
        int rc = 1;
        if (left <= 0)
            rc = 0;
        else if (via == VIA_EVENTFD) {
            rc = poll(&p, 1, (int)((left + 999999) / 1000000));
            if (rc == -1 && errno != EINTR) err_exit("poll");
        } else if (futex(&sh->flag, FUTEX_WAIT, 0, &rel) == -1) {
            /* The kernel sleeps only while the word is still 0 (else EAGAIN). */
            if (errno == ETIMEDOUT) rc = 0;
            else if (errno != EAGAIN && errno != EINTR) err_exit("futex wait");
        }
        if (rc == 0) {
            *timed_out = true;
            break;
        }
    }
    return is_set();
}

static void probe(const char *when)
{
    bool timed_out;
    long long t0 = now_ns();
    bool r = event_wait(PROBE_MS, &timed_out);
    printf("%-8s wait(timeout=%d ms) -> %s after %lld ms\n", when, PROBE_MS,
           r ? "True" : "False", (now_ns() - t0) / 1000000);
}

static void waiter(int i, long timeout_ms)
{
    bool timed_out;
    __atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
    long long t0 = now_ns();
    sh->w[i].result = event_wait(timeout_ms, &timed_out);
    sh->w[i].ended_ns = now_ns();
    sh->w[i].waited_ns = sh->w[i].ended_ns - t0;
    sh->w[i].timed_out = timed_out;
    _exit(0);
}

static void setup(void)
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) errExit("mmap");
    /* PTHREAD_PROCESS_SHARED: the objects live in memory other processes use. */
    if (pthread_mutexattr_init(&ma) || pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) ||
        pthread_mutex_init(&sh->mutex, &ma) || pthread_condattr_init(&ca) ||
        pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED) ||
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) || pthread_cond_init(&sh->cond, &ca))
        fatal("cannot set up the process-shared mutex and condition variable");
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_destroy(&ca);
    /* Children get the fd through fork; EFD_CLOEXEC only closes it on exec. */
    if (via == VIA_EVENTFD && (efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
        errExit("eventfd");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "via", required_argument, NULL, 'v' },
        { "private-futex", no_argument, NULL, 'P' },
        { "eventfd-read", no_argument, NULL, 'R' },
        { "waiters", required_argument, NULL, 'n' },
        { "delay", required_argument, NULL, 'd' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long waiters = 3, delay = 200, timeout = 2000;
    pid_t pids[MAX_WAITERS];
    int opt, failed = 0, early = 0;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "n:d:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'v':
            for (via = VIA_COND; via <= VIA_FUTEX && strcmp(optarg, via_names[via]); via++)
                ;
            if (via > VIA_FUTEX) usageErr("--via: '%s' is not cond, eventfd or futex", optarg);
            break;
        case 'P': private_futex = true; break;
        case 'R': waiters_read = true; break;
        case 'n': waiters = parse_long("--waiters", optarg, 1, MAX_WAITERS); break;
        case 'd': delay = parse_long("--delay", optarg, 0, 60000); break;
        case 't': timeout = parse_long("--timeout", optarg, 1, 60000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (private_futex && via != VIA_FUTEX)
        usageErr("--private-futex needs --via futex");
    if (waiters_read && via != VIA_EVENTFD)
        usageErr("--eventfd-read needs --via eventfd");

    setbuf(stdout, NULL);
    setup();
    printf("event via %s%s: %ld waiters, set after %ld ms, wait timeout %ld ms\n",
           via_names[via], private_futex ? " (FUTEX_PRIVATE_FLAG)" : waiters_read ? " (read)" : "",
           waiters, delay, timeout);
    probe("unset:");
    for (int i = 0; i < waiters; i++) {
        if ((pids[i] = lab_fork_guarded()) == -1) errExit("fork");   /* dies with us */
        if (pids[i] == 0) waiter(i, timeout);
    }
    for (long long t0 = now_ns(); __atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < waiters;
         sleep_ms(1))
        if (now_ns() - t0 > 5000000000LL) fatal("waiters did not start within 5 s");
    sleep_ms(delay);
    long long set_ns = now_ns();    /* a wait that ended before this missed nothing */
    event_set();
    printf("parent:  set() after %ld ms\n", delay);

    for (int i = 0; i < waiters; i++) {     /* the waiters end by their timeout */
        int status;
        pid_t r = wait_child_for(pids[i], &status, timeout + 5000);
        if (r == -1) errExit("waitpid");
        if (r == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            for (int j = i; j < waiters; j++) kill_and_reap(pids[j]);
            fatal("waiter %d did not finish cleanly", i + 1);
        }
        /* Timed out before set() was even called: nothing was sent, so no
         * wake-up was lost; the timeout was just shorter than the delay. */
        bool before_set = sh->w[i].timed_out && sh->w[i].ended_ns < set_ns;
        printf("waiter %d: wait(timeout=%ld ms) -> %s after %lld ms%s\n", i + 1, timeout,
               sh->w[i].result ? "True" : "False", sh->w[i].waited_ns / 1000000,
               before_set ? " (timed out before set() was called)"
               : sh->w[i].timed_out ? " (timed out: no wake-up reached it)" : "");
        failed += sh->w[i].timed_out || !sh->w[i].result;
        early += before_set;
    }
    probe("set:");                          /* level-triggered: still set */
    event_clear();
    probe("cleared:");

    pthread_cond_destroy(&sh->cond);
    pthread_mutex_destroy(&sh->mutex);
    if (efd != -1 && close(efd) == -1) errExit("close");
    if (munmap(sh, sizeof *sh) == -1) errExit("munmap");
    if (failed && early)
        printf("%d of %ld waiters timed out (%d before set() was called: -t is shorter "
               "than -d)\n", failed, waiters, early);
    else if (failed)
        printf("%d of %ld waiters timed out\n", failed, waiters);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

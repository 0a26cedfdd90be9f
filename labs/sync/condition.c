/* condition.c: producers and consumers on a process-shared condition variable.
 *
 * Lesson: a condition variable is a place to sleep until a predicate about
 * shared state may have changed.  The state (a bounded buffer here) and the
 * mutex that guards it live in MAP_SHARED memory; the mutex and the two
 * conditions (not_empty, not_full) are made PTHREAD_PROCESS_SHARED.  A
 * consumer sleeps while the buffer is empty; a producer puts one item and
 * wakes the sleepers.  Waking up only means "look again": the predicate is
 * tested in a `while` loop, under the mutex, every time.
 *
 * The pitfall (--if-not-while): test the predicate with `if`.  The producer
 * uses pthread_cond_broadcast (notify_all), so every sleeping consumer wakes
 * for one item; the first one takes it, the others do not look again and
 * take from an empty buffer.  Spurious and stolen wake-ups do the same.
 * To make that happen every round, not once in a while, the producer here
 * waits until every consumer is asleep before it puts an item ("staging",
 * which real code would not do).  The lab checks each take: a count that
 * would go below 0 is recorded and undone so the run can go on.
 * Exit 0 when every item was consumed exactly once and nobody took from an
 * empty buffer, 1 otherwise.
 *
 * Watch for: "takes from an empty buffer: 0" with `while`; with --if-not-while
 * about (CONSUMERS - 1) per item.
 *
 * Try:
 *   ./condition
 *   ./condition --if-not-while
 *   ./condition -p 2 -c 5 -n 1000 -b 8
 *
 * Usage: condition [--if-not-while] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS] [-b SLOTS]
 * Python: multiprocessing.Condition(): wait(timeout), wait_for(pred), notify(), notify_all()
 */
#include "../lab.h"
#include <getopt.h>
#include <pthread.h>
#include <sys/mman.h>

#define MAX_SLOTS 64
#define WAIT_S 10               /* no single wait lasts longer than this */

struct shared {
    pthread_mutex_t mutex;
    pthread_cond_t not_empty, not_full;
    int slots, consumers, head, tail, count;
    int buf[MAX_SLOTS];
    int sleepers;               /* consumers gone to sleep since the last broadcast */
    int producers_left;
    long empty_takes;           /* the bug, as the lab's own check sees it */
    int first_consumer, first_value;
    int taken[];                /* taken[item]: how often item was consumed */
};

static struct shared *sh;
static bool if_not_while;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--if-not-while] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS] [-b SLOTS]\n"
            "Producers put ITEMS numbered items into a bounded buffer; consumers take them.\n"
            "      --if-not-while  consumers test 'buffer empty?' with if, not while (the bug)\n"
            "  -p, --producers N   producer processes (1..4, default 1)\n"
            "  -c, --consumers N   consumer processes (2..16, default 3)\n"
            "  -n, --items N       items in all (1..100000, default 100)\n"
            "  -b, --buffer N      buffer slots (1..%d, default 4)\n"
            "  -h, --help          this help\n"
            "Exit 0 when every item was consumed exactly once, 1 otherwise.\n",
            lab_progname, MAX_SLOTS);
    exit(status);
}

/* pthread calls return an error number; children must leave with _exit. */
static void check(int rc, const char *what)
{
    if (rc != 0) { errno = rc; err_exit("%s", what); }
}

static void lock(void)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += WAIT_S;        /* only a holder that died could make this wait */
    check(pthread_mutex_clocklock(&sh->mutex, CLOCK_MONOTONIC, &dl), "pthread_mutex_clocklock");
}

static void unlock(void) { check(pthread_mutex_unlock(&sh->mutex), "pthread_mutex_unlock"); }

/* Sleep on cond (mutex held; released while asleep, held again on return). */
static void sleep_on(pthread_cond_t *cond, const char *who)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += WAIT_S;
    int rc = pthread_cond_timedwait(cond, &sh->mutex, &dl);
    if (rc == ETIMEDOUT) { errno = rc; err_exit("%s: nobody woke me within %d s", who, WAIT_S); }
    check(rc, "pthread_cond_timedwait");
}

static void consumer_sleeps(void)
{
    sh->sleepers++;
    check(pthread_cond_broadcast(&sh->not_full), "pthread_cond_broadcast");
    sleep_on(&sh->not_empty, "consumer");
}

static void take(int id)
{
    int value = sh->buf[sh->head];
    sh->head = (sh->head + 1) % sh->slots;
    if (--sh->count < 0) {      /* the lab's check: there was nothing to take */
        if (sh->empty_takes++ == 0) {
            sh->first_consumer = id;
            sh->first_value = value;
        }
        sh->head = (sh->head + sh->slots - 1) % sh->slots;      /* undo */
        sh->count = 0;
        return;
    }
    sh->taken[value]++;
}

static void consumer(int id)
{
    for (;;) {
        lock();
        if (if_not_while) {     /* WRONG: a wake-up is not a promise */
            if (sh->count == 0 && sh->producers_left > 0)
                consumer_sleeps();
        } else {                /* right: look again after every wake-up */
            while (sh->count == 0 && sh->producers_left > 0)
                consumer_sleeps();
        }
        if (sh->count == 0 && sh->producers_left == 0) {
            unlock();
            _exit(0);
        }
        take(id);
        check(pthread_cond_broadcast(&sh->not_full), "pthread_cond_broadcast");
        unlock();
    }
}

static void producer(int first, int step, int items)
{
    for (int item = first; item <= items; item += step) {
        lock();
        /* Room in the buffer (the real predicate) and every consumer asleep
         * (the staging that makes the --if-not-while bug show each round). */
        while (sh->count == sh->slots || sh->sleepers < sh->consumers)
            sleep_on(&sh->not_full, "producer");
        sh->buf[sh->tail] = item;
        sh->tail = (sh->tail + 1) % sh->slots;
        sh->count++;
        sh->sleepers = 0;
        check(pthread_cond_broadcast(&sh->not_empty), "pthread_cond_broadcast");
        unlock();
    }
    lock();
    if (--sh->producers_left == 0)  /* the last one out wakes all to finish */
        check(pthread_cond_broadcast(&sh->not_empty), "pthread_cond_broadcast");
    unlock();
    _exit(0);
}

static struct shared *setup(size_t size)
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    struct shared *s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) errExit("mmap");
    if (pthread_mutexattr_init(&ma) || pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) ||
        pthread_mutex_init(&s->mutex, &ma) || pthread_condattr_init(&ca) ||
        pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED) ||
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
        pthread_cond_init(&s->not_empty, &ca) || pthread_cond_init(&s->not_full, &ca))
        fatal("cannot set up the process-shared mutex and condition variables");
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_destroy(&ca);
    return s;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "if-not-while", no_argument, NULL, 'I' },
        { "producers", required_argument, NULL, 'p' },
        { "consumers", required_argument, NULL, 'c' },
        { "items", required_argument, NULL, 'n' },
        { "buffer", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long producers = 1, consumers = 3, items = 100, slots = 4;
    int opt, once = 0, twice = 0, never = 0, failed = 0;
    pid_t pids[4 + 16];

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "p:c:n:b:h", options, NULL)) != -1) {
        switch (opt) {
        case 'I': if_not_while = true; break;
        case 'p': producers = parse_long("--producers", optarg, 1, 4); break;
        case 'c': consumers = parse_long("--consumers", optarg, 2, 16); break;
        case 'n': items = parse_long("--items", optarg, 1, 100000); break;
        case 'b': slots = parse_long("--buffer", optarg, 1, MAX_SLOTS); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    setbuf(stdout, NULL);
    size_t size = sizeof *sh + (items + 1) * sizeof sh->taken[0];
    sh = setup(size);
    sh->slots = slots;
    sh->consumers = consumers;
    sh->producers_left = producers;
    printf("condition (%s): %ld producer(s), %ld consumers, %ld items, buffer of %ld\n",
           if_not_while ? "if" : "while", producers, consumers, items, slots);

    int n = producers + consumers;
    for (int i = 0; i < n; i++) {
        if ((pids[i] = lab_fork_guarded()) == -1) errExit("fork");   /* dies with us */
        if (pids[i] == 0) {
            if (i < producers) producer(i + 1, producers, items);
            consumer(i - producers + 1);
        }
    }
    /* Every wait inside is bounded by WAIT_S; this bounds the whole run. */
    long long deadline = now_ns() + (WAIT_S + 50) * 1000000000LL;
    for (int i = 0; i < n; i++) {
        int status;
        pid_t r = wait_child_for(pids[i], &status, (deadline - now_ns()) / 1000000);
        if (r == -1) errExit("waitpid");
        if (r == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            for (int j = i; j < n; j++) kill_and_reap(pids[j]);
            fatal("%s %d did not finish cleanly", i < producers ? "producer" : "consumer",
                  i < producers ? i + 1 : i - (int)producers + 1);
        }
    }

    if (sh->empty_takes > 0)
        printf("consumer %d woke, did not look again, and took from an empty buffer "
               "(the slot held %d, an item already taken or never put)\n",
               sh->first_consumer, sh->first_value);
    for (long item = 1; item <= items; item++) {
        once += sh->taken[item] == 1;
        twice += sh->taken[item] > 1;
        never += sh->taken[item] == 0;
    }
    printf("items: %d consumed once, %d more than once, %d never\n", once, twice, never);
    printf("takes from an empty buffer: %ld\n", sh->empty_takes);
    failed = sh->empty_takes > 0 || once != items;

    pthread_cond_destroy(&sh->not_empty);
    pthread_cond_destroy(&sh->not_full);
    pthread_mutex_destroy(&sh->mutex);
    if (munmap(sh, size) == -1) errExit("munmap");
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

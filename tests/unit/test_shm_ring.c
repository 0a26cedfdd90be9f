/* Unit tests of bench/ipc/shm_ring.c: the layout (slot counts, alignment),
 * the non-blocking steps in one process (full, empty, wrap-around, length
 * mismatch), streams between two processes with the futex notifier and
 * with a counted notifier (every wake-up sent is taken: none pile up), and
 * EINTR from a sleep passed up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/shm_ring.h"

enum { STREAM = 20000 };

static unsigned char pattern(uint32_t msg, size_t i) { return (unsigned char)(msg * 31 + i); }

static size_t size_of(uint32_t msg, size_t max) { return 1 + (msg * 7919u) % max; }

static void test_layout(void **state)
{
    (void)state;
    size_t sizes[] = { 1, 56, 57, 64, 4096, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t bytes = pl_ring_bytes(sizes[i]);
        assert_true(bytes > sizes[i]);
        void *mem = pl_ring_map_shared(bytes);
        assert_non_null(mem);
        pl_ring *r = pl_ring_init(mem, sizes[i]);
        assert_true(r->nslots >= 2 && r->nslots <= 64);
        assert_int_equal(r->nslots & (r->nslots - 1), 0);     /* power of two */
        assert_int_equal(r->stride % 64, 0);
        assert_true(r->stride >= sizes[i] + sizeof(pl_ring_slot));
        pl_ring_end e;
        pl_ring_end_init(&e, r);
        assert_int_equal((uintptr_t)e.slots % 128, 0);
        assert_true(e.slots + (size_t)r->nslots * r->stride <= (unsigned char *)mem + bytes);
        assert_int_equal(pl_duplex_bytes(sizes[i]) % 4096, 0);
        munmap(mem, bytes);
    }
    /* Up to 56 payload bytes share the slot's first line with seq and len. */
    pl_ring small, big;
    void *m56 = pl_ring_map_shared(pl_ring_bytes(56)), *m57 = pl_ring_map_shared(pl_ring_bytes(57));
    assert_non_null(m56);
    assert_non_null(m57);
    small = *pl_ring_init(m56, 56);
    big = *pl_ring_init(m57, 57);
    assert_int_equal(small.stride, 64);
    assert_int_equal(big.stride, 128);
    munmap(m56, pl_ring_bytes(56));
    munmap(m57, pl_ring_bytes(57));
    errno = 0;
    assert_int_equal(pl_ring_bytes(0), 0);
    assert_int_equal(errno, EOVERFLOW);
}

static void test_steps_in_one_process(void **state)
{
    (void)state;
    const size_t max = 100;
    size_t bytes = pl_ring_bytes(max);
    void *mem = pl_ring_map_shared(bytes);
    assert_non_null(mem);
    pl_ring *r = pl_ring_init(mem, max);
    pl_ring_end prod, cons;
    pl_ring_end_init(&prod, r);
    pl_ring_end_init(&cons, r);
    unsigned char in[100], out[100];
    uint32_t sent = 0, got = 0;

    assert_false(pl_ring_can_get(&cons));                   /* empty at start */
    for (int lap = 0; lap < 5; lap++) {                     /* wraps around */
        while (pl_ring_can_put(&prod)) {
            size_t n = size_of(sent, max);
            for (size_t i = 0; i < n; i++)
                in[i] = pattern(sent, i);
            pl_ring_put_now(&prod, in, n);
            sent++;
        }
        assert_int_equal(sent - got, r->nslots);            /* full: nslots in */
        while (pl_ring_can_get(&cons)) {
            size_t n = size_of(got, max);
            assert_int_equal(pl_ring_get_now(&cons, out, n), 0);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(out[i], pattern(got, i));
            got++;
        }
        assert_int_equal(got, sent);
    }
    /* A length mismatch fails with EPROTO and still frees the slot. */
    memset(in, 1, 10);
    pl_ring_put_now(&prod, in, 10);
    errno = 0;
    assert_int_equal(pl_ring_get_now(&cons, out, 11), -1);
    assert_int_equal(errno, EPROTO);
    assert_false(pl_ring_can_get(&cons));
    assert_int_equal(atomic_load(&r->tail), sent + 1);
    munmap(mem, bytes);
}

/* A counted notifier on pipes: each side's doorbell is a pipe it reads. */
typedef struct { int rd, wr; } doorbell;    /* my read end, the peer's write end */

static int pipe_sleep(void *ctx, _Atomic uint32_t *flag)
{
    doorbell *d = ctx;
    char c;
    (void)flag;
    ssize_t n = read(d->rd, &c, 1);
    return n == 1 ? 0 : -1;
}

static int pipe_wake(void *ctx, _Atomic uint32_t *flag)
{
    doorbell *d = ctx;
    (void)flag;
    return write(d->wr, "x", 1) == 1 ? 0 : -1;
}

/* Pin the caller to the n-th allowed CPU (wraps), so the two processes
 * race on two CPUs when there are two. */
static void pin_nth(int n)
{
    cpu_set_t allowed, one;
    assert_int_equal(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    int count = CPU_COUNT(&allowed), seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &allowed) && seen++ == n % count) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
            return;
        }
}

/* Stream STREAM messages of varying sizes parent -> child and back, the
 * parent at most `ahead` messages ahead (1: ping-pong, every message waits;
 * 32: rings fill and drain); the child checks every byte and echoes.
 * Returns the child's status. */
static int stream_both_ways(pl_notify *parent_n, pl_notify *child_n, size_t max,
                            uint32_t ahead)
{
    cpu_set_t saved;
    assert_int_equal(sched_getaffinity(0, sizeof saved, &saved), 0);
    size_t bytes = pl_duplex_bytes(max);
    void *mem = pl_ring_map_shared(bytes);
    assert_non_null(mem);
    pl_duplex d;
    pl_duplex_init(&d, mem, max);
    unsigned char *buf = malloc(max);
    assert_non_null(buf);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60);                      /* a lost wake-up must not hang the test */
        pin_nth(1);
        pl_duplex_attach(&d, mem, 1);
        for (uint32_t m = 0; m < STREAM; m++) {
            size_t n = size_of(m, max);
            if (pl_ring_recv(&d.in, buf, n, child_n) == -1)
                _exit(2);
            for (size_t i = 0; i < n; i++)
                if (buf[i] != pattern(m, i))
                    _exit(3);
            if (pl_ring_send(&d.out, buf, n, child_n) == -1)
                _exit(4);
        }
        _exit(0);
    }
    alarm(60);
    pin_nth(0);
    pl_duplex_attach(&d, mem, 0);
    uint32_t sent = 0, got = 0;
    while (got < STREAM) {
        if (sent < STREAM && sent - got < ahead) {
            size_t n = size_of(sent, max);
            for (size_t i = 0; i < n; i++)
                buf[i] = pattern(sent, i);
            assert_int_equal(pl_ring_send(&d.out, buf, n, parent_n), 0);
            sent++;
        } else {
            size_t n = size_of(got, max);
            assert_int_equal(pl_ring_recv(&d.in, buf, n, parent_n), 0);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(buf[i], pattern(got, i));
            got++;
        }
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    alarm(0);
    assert_int_equal(sched_setaffinity(0, sizeof saved, &saved), 0);
    free(buf);
    munmap(mem, bytes);
    return status;
}

static void test_stream_with_futex(void **state)
{
    (void)state;
    pl_notify n = pl_notify_futex;
    for (uint32_t ahead = 1; ahead <= 32; ahead *= 32) {
        int status = stream_both_ways(&n, &n, 300, ahead);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

static void test_stream_with_counted_notifier_leaves_no_wakeup(void **state)
{
    (void)state;
    int to_parent[2], to_child[2];
    assert_int_equal(pipe(to_parent), 0);
    assert_int_equal(pipe(to_child), 0);
    doorbell pd = { to_parent[0], to_child[1] }, cd = { to_child[0], to_parent[1] };
    pl_notify pn = { pipe_sleep, pipe_wake, &pd, 1 };
    pl_notify cn = { pipe_sleep, pipe_wake, &cd, 1 };
    for (uint32_t ahead = 1; ahead <= 32; ahead *= 32) {
        int status = stream_both_ways(&pn, &cn, 64, ahead);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* Every wake-up sent was taken by a sleep: both doorbells are empty. */
    char c;
    for (int i = 0; i < 2; i++) {
        int fd = i ? to_parent[0] : to_child[0];
        assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
        assert_int_equal(read(fd, &c, 1), -1);
        assert_int_equal(errno, EAGAIN);
    }
    close(to_parent[0]); close(to_parent[1]);
    close(to_child[0]); close(to_child[1]);
}

static int failing_sleep(void *ctx, _Atomic uint32_t *flag)
{
    (void)ctx, (void)flag;
    errno = EINTR;
    return -1;
}

static void test_interrupted_sleep_is_passed_up(void **state)
{
    (void)state;
    size_t bytes = pl_ring_bytes(8);
    void *mem = pl_ring_map_shared(bytes);
    assert_non_null(mem);
    pl_ring *r = pl_ring_init(mem, 8);
    pl_ring_end cons;
    pl_ring_end_init(&cons, r);
    pl_notify n = { failing_sleep, NULL, NULL, 1 };
    char buf[8];
    errno = 0;
    assert_int_equal(pl_ring_recv(&cons, buf, 8, &n), -1);  /* empty: sleeps */
    assert_int_equal(errno, EINTR);
    assert_int_equal(atomic_load(&r->cons_waiting), 0);     /* flag taken back */
    errno = 0;
    assert_int_equal(pl_ring_send(&cons, buf, 9, &n), -1);  /* larger than max */
    assert_int_equal(errno, EMSGSIZE);
    munmap(mem, bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_steps_in_one_process),
        cmocka_unit_test(test_stream_with_futex),
        cmocka_unit_test(test_stream_with_counted_notifier_leaves_no_wakeup),
        cmocka_unit_test(test_interrupted_sleep_is_passed_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

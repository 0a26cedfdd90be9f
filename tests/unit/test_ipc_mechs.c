/* Unit tests of every registered IPC mechanism (bench/ipc/registry.c):
 * create, attach on both sides of a fork (the partner first, as the driver
 * does), messages of a few sizes up to the mechanism's max_msg in both
 * directions with their content checked byte for byte, and after detach
 * nothing of ours left in /dev/shm, /dev/mqueue, System V queues or /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/partner.h"
#include "ipc/mech.h"

enum { MESSAGES = 5, UNLIMITED_MAX = 1 << 20, EXIT_NOPERM = 77 };

/* Byte i of message k in direction d: differs per message and direction. */
static unsigned char pattern(size_t i, int k, int d)
{
    return (unsigned char)(i * 31 + (size_t)k * 7 + (size_t)d * 101 + (i >> 8));
}

static void fill(unsigned char *buf, size_t len, int k, int d)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(i, k, d);
}

static int check(const unsigned char *buf, size_t len, int k, int d)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != pattern(i, k, d))
            return -1;
    return 0;
}

struct trial {
    const pl_mech *m;
    pl_chan *ch;
    size_t len;
};

/* The partner: receive each message, check it, answer with direction 1.
 * Exit codes: 0 fine, 10 attach, 11 recv, 12 content, 13 send, 77 EPERM. */
static int partner(void *arg, int ctl)
{
    struct trial *t = arg;
    unsigned char *buf = malloc(t->len);
    int rc = 0;
    if (!buf)
        return 14;
    if (t->m->attach(t->ch, 1, getppid()) == -1) {
        free(buf);
        return errno == EPERM ? EXIT_NOPERM : 10;
    }
    if (pl_partner_ready(ctl) == -1)
        rc = 15;
    for (int k = 0; k < MESSAGES && rc == 0; k++) {
        if (t->m->recv(t->ch, 1, buf, t->len) == -1)
            rc = 11;
        else if (check(buf, t->len, k, 0) == -1)
            rc = 12;
        else {
            fill(buf, t->len, k, 1);
            if (t->m->send(t->ch, 1, buf, t->len) == -1)
                rc = 13;
        }
    }
    /* Stay until the parent stops us: exiting now would send SIGCHLD while
     * the parent may still be reading the last reply in pieces (a stream),
     * and interrupt it. */
    char c;
    while (rc == 0 && read(ctl, &c, 1) > 0)
        ;
    t->m->detach(t->ch, 1);
    free(buf);
    return rc;
}

/* Our named objects: "proclab-<uid>-<pid>-..." in /dev/shm and /dev/mqueue,
 * private directories in /tmp; and System V queues of our uid. */
static int count_ours(void)
{
    char prefix[64];
    int n = 0;
    snprintf(prefix, sizeof prefix, "proclab-%u-%ld-", (unsigned)getuid(), (long)getpid());
    const char *dirs[] = { "/dev/shm", "/dev/mqueue", "/tmp" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        if (!d)
            continue;
        while ((e = readdir(d)) != NULL)
            if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
                n++;
        closedir(d);
    }
    FILE *f = fopen("/proc/sysvipc/msg", "re");
    if (f) {
        char line[512];
        unsigned uid = (unsigned)getuid();
        while (fgets(line, sizeof line, f)) {
            unsigned long v[9];
            /* key msqid perms cbytes qnum lspid lrpid uid gid ... */
            if (sscanf(line, "%lu %lu %lo %lu %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2],
                       &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9 && v[7] == uid)
                n++;
        }
        fclose(f);
    }
    return n;
}

static void one_size(const pl_mech *m, size_t len)
{
    struct trial t = { m, NULL, len };
    pl_partner p;
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    int before = count_ours();

    t.ch = m->create(len);
    if (!t.ch)
        fail_msg("%s: create(%zu): %s", m->name, len, strerror(errno));
    if (pl_partner_start(&p, -1, partner, &t, 5000) == -1) {
        int code = p.reaped && WIFEXITED(p.status) ? WEXITSTATUS(p.status) : -1;
        m->detach(t.ch, 0);
        free(buf);
        if (code == EXIT_NOPERM)
            skip();     /* e.g. process_vm under a strict ptrace_scope */
        fail_msg("%s: partner start: %s (exit %d)", m->name, strerror(errno), code);
    }
    if (m->attach(t.ch, 0, p.pid) == -1)
        fail_msg("%s: attach(0): %s", m->name, strerror(errno));
    for (int k = 0; k < MESSAGES; k++) {
        fill(buf, len, k, 0);
        if (m->send(t.ch, 0, buf, len) == -1)
            fail_msg("%s: send %zu bytes: %s", m->name, len, strerror(errno));
        memset(buf, 0, len);
        if (m->recv(t.ch, 0, buf, len) == -1)
            fail_msg("%s: recv %zu bytes: %s", m->name, len, strerror(errno));
        if (check(buf, len, k, 1) == -1)
            fail_msg("%s: reply %d of %zu bytes has wrong content", m->name, k, len);
    }
    int rc = pl_partner_stop(&p, 2000);
    m->detach(t.ch, 0);
    free(buf);
    if (rc != 0)
        fail_msg("%s: partner ended with %d at %zu bytes", m->name, rc, len);
    assert_int_equal(count_ours(), before);
}

static void test_mech(void **state)
{
    const pl_mech *m = *state;
    size_t max = m->max_msg ? m->max_msg : UNLIMITED_MAX;
    size_t sizes[] = { 8, 64, 4096, 65536 + 8, max };
    assert_non_null(m->name);
    assert_non_null(m->summary);
    assert_true(pl_mech_find(m->name) == m);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] <= max)
            one_size(m, sizes[i]);
}

static void test_registry(void **state)
{
    (void)state;
    const char *want[] = { "pipe", "fifo", "socketpair_stream", "socketpair_dgram",
                           "socketpair_seqpacket", "unix_stream", "tcp", "udp", "vmsplice",
                           "posix_mq", "sysv_mq", "shm_futex", "shm_sem", "shm_spin",
                           "eventfd", "signal", "process_vm", "memfd" };
    size_t n = 0;
    while (pl_mechs[n])
        n++;
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(pl_mechs[i]->name, want[i]);
    assert_null(pl_mech_find("nosuch"));
}

int main(void)
{
    struct CMUnitTest tests[64];
    size_t n = 0;
    signal(SIGPIPE, SIG_IGN);       /* a dead reader is EPIPE, as in the driver */
    tests[n++] = (struct CMUnitTest){ "registry order", test_registry, NULL, NULL, NULL };
    for (const pl_mech *const *m = pl_mechs; *m && n < 64; m++)
        tests[n++] = (struct CMUnitTest){ (*m)->name, test_mech, NULL, NULL, (void *)*m };
    return _cmocka_run_group_tests("ipc_mechs", tests, n, NULL, NULL);
}

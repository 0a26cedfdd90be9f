/* bench/tools/spawn_probe.c: the small C process bench_spawn times spawns from.
 *
 * Forking copies the parent's page tables and mappings, so the cost of a
 * spawn depends on WHICH process spawns: timed from inside bench_spawn (a
 * C++ program with libstdc++, Google Benchmark and hwloc mapped) it is the
 * harness's cost, not a learner's.  This probe is a plain C program (libc
 * only: no stdio on the measured path, no C++ runtime, no hwloc), holding
 * the ballast itself, so spawn/METHOD/rss_mib:N is "a C process of N MiB
 * starts a child by METHOD" -- and spawn/fork/rss_mib:0 is comparable with
 * the stand-alone loop of ref_fork.c.
 *
 * bench_spawn execs it once per method and ballast size (--method), with a
 * socket as stdin and stdout (it is a tool, not for people).  Start-up: the fork server's
 * set-up (it is forked now, while the probe is still small), then the
 * ballast; then one line "ready rss_kib=K\n" (or "error: WHY\n", exit 1).
 * Every other method is set up just before its request's spawns and torn
 * down right after (outside the timed loop): a clone_vm stack or a system()
 * command string left mapped would be one more thing every fork copies.
 * Then requests until end of file, each answered in binary:
 *   request  struct probe_request  (method name, count, warm-up spawns)
 *   reply    struct probe_reply, then count uint64_t: ns of each spawn
 *            (err != 0: errno of the failure, and no samples follow)
 * The probe times its own loop: one clock read per spawn, each sample the
 * time from the previous read (the loop's total is the sum).  Samples go
 * to a MAP_SHARED buffer: a private page written after every fork would be
 * copy-on-write, and each first write a page fault inside the next spawn.
 *
 * Usage: spawn_probe --parent PID --rss-mib N [--thp]
 * Exit: 0 at end of file, 1 on a failed set-up or I/O error, 2 on a bad
 * argument.  It dies with its parent (PR_SET_PDEATHSIG, parent checked). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/ballast.h"
#include "core/clock.h"
#include "spawn/method.h"
#include "spawn/probe.h"

enum { max_methods = 32 };   /* spawn methods the probe can hold set-ups for */

static const char usage_text[] =
    "Usage: spawn_probe --parent PID --rss-mib N [--method NAME] [--thp]\n"
    "The process bench_spawn times spawning from (a plain C program holding\n"
    "N MiB of resident memory; with --method, serving that method only); it\n"
    "reads requests on stdin, answers on stdout.\n"
    "Not for use by hand: run bench_spawn.\n";

/* write(2) only: stdio would add its buffers and locks to what is forked. */
static void say(int fd, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    if (write(fd, a, la) != (ssize_t)la || (b && write(fd, b, lb) != (ssize_t)lb))
        return;     /* nobody left to tell */
}

static void usage_error(const char *what)
{
    say(2, "spawn_probe: ", what);
    say(2, "\n", NULL);
    say(2, usage_text, NULL);
    exit(2);
}

static long whole(const char *s, long lo, long hi, const char *what)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || *s == '\0' || *end != '\0' || v < lo || v > hi)
        usage_error(what);
    return v;
}

static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* 1 when len bytes were read, 0 at end of file before any, -1 on error. */
static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == 0 && got == 0)
            return 0;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 1;
}

static int method_index(const char *name)
{
    for (int i = 0; pl_spawn_methods[i]; i++)
        if (strcmp(pl_spawn_methods[i]->name, name) == 0)
            return i;
    return -1;
}

/* --method NAME: the one method this probe serves (-1: all).  A process
 * keeps traces of the methods it ran: after a pthread_create it has a heap
 * and is multi-threaded for glibc, after a vfork or clone(CLONE_VM) child
 * its memory has had other users, and its own forks then cost measurably
 * more or less (up to a third either way at 0 MiB on a KVM guest).  So
 * bench_spawn gives each method a probe of its own. */
static int only_method = -1;

static int served(int idx)
{
    return only_method < 0 || idx == only_method;
}

/* Set up only while small (before the ballast): the fork server. */
static int kept(const pl_spawn_method *m)
{
    return strcmp(m->name, "forkserver") == 0;
}

/* The timed loop of one request; 0 or an errno value. */
static int time_spawns(const pl_spawn_method *m, void *ctx, const pl_probe_request *rq,
                       uint64_t *samples, uint64_t *total_ns)
{
    for (int32_t i = 0; i < rq->warmup; i++)
        if (m->spawn_once(ctx) == -1)
            return errno ? errno : EIO;
    uint64_t first = pl_now_ns(), prev = first;
    for (int32_t i = 0; i < rq->count; i++) {
        if (m->spawn_once(ctx) == -1)
            return errno ? errno : EIO;
        uint64_t now = pl_now_ns();
        samples[i] = now - prev;
        prev = now;
    }
    *total_ns = prev - first;
    return 0;
}

int main(int argc, char **argv)
{
    long parent = -1, mib = -1;
    int huge = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            say(1, usage_text, NULL);
            return 0;
        } else if (strcmp(argv[i], "--parent") == 0) {
            parent = whole(argv[++i], 1, INT32_MAX, "--parent wants a process id");
        } else if (strcmp(argv[i], "--rss-mib") == 0) {
            mib = whole(argv[++i], 0, 1L << 20, "--rss-mib wants 0..1048576");
        } else if (strcmp(argv[i], "--method") == 0) {
            if (i + 1 >= argc || (only_method = method_index(argv[++i])) < 0)
                usage_error("--method wants a spawn method's name");
        } else if (strcmp(argv[i], "--thp") == 0) {
            huge = 1;
        } else {
            usage_error("unknown argument");
        }
    }
    if (parent < 0 || mib < 0)
        usage_error("--parent and --rss-mib are required");
    /* Die with bench_spawn; if it is gone already, do not start. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != (pid_t)parent)
        return 1;

    /* No heap: a malloc'd arena is one more mapping with private pages,
     * which every fork would copy (ref_fork.c has none). */
    static void *ctx[max_methods];
    static int setup_err[max_methods];
    int n = 0;
    while (pl_spawn_methods[n])
        n++;
    if (n > max_methods) {
        say(1, "error: more spawn methods than max_methods\n", NULL);
        return 1;
    }
    uint64_t *samples = mmap(NULL, PL_PROBE_MAX_COUNT * sizeof(uint64_t),
                             PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (samples == MAP_FAILED) {
        say(1, "error: out of memory\n", NULL);
        return 1;
    }
    /* Set up first, while small: a fork server must not carry the ballast. */
    for (int i = 0; i < n; i++)
        if (served(i) && kept(pl_spawn_methods[i]) && pl_spawn_methods[i]->setup &&
            pl_spawn_methods[i]->setup(&ctx[i]) == -1)
            setup_err[i] = errno ? errno : EIO;
    pl_ballast ballast = { NULL, 0 };
    long before = pl_rss_kib();
    if (pl_ballast_alloc(&ballast, (size_t)mib, huge) == -1) {
        say(1, "error: ballast: ", strerror(errno));
        say(1, "\n", NULL);
        return 1;
    }
    long rss = pl_rss_kib();
    if (before < 0 || rss - before < mib * 1024 * 9 / 10) {
        say(1, "error: the ballast did not become resident\n", NULL);
        return 1;
    }
    char line[64], digits[24], *d = digits + sizeof digits;
    *--d = '\0';
    do
        *--d = (char)('0' + rss % 10);
    while ((rss /= 10) > 0);
    strcpy(line, "ready rss_kib=");
    strcat(line, d);
    strcat(line, "\n");
    if (write_full(1, line, strlen(line)) == -1)
        return 1;

    int rc = 0;
    for (;;) {
        pl_probe_request rq;
        int r = read_full(0, &rq, sizeof rq);
        if (r == 0)
            break;                      /* bench_spawn is done with us */
        if (r == -1) {
            rc = 1;
            break;
        }
        rq.method[sizeof rq.method - 1] = '\0';
        pl_probe_reply rp = { 0, 0, 0, pl_rss_kib() };
        int idx = method_index(rq.method);
        const pl_spawn_method *m = idx >= 0 ? pl_spawn_methods[idx] : NULL;
        if (!m || !served(idx) || rq.count < 1 || rq.count > PL_PROBE_MAX_COUNT ||
            rq.warmup < 0)
            rp.err = EINVAL;
        else if (setup_err[idx])
            rp.err = setup_err[idx];
        else if (!kept(m) && m->setup && m->setup(&ctx[idx]) == -1)
            rp.err = errno ? errno : EIO;
        else {
            rp.err = time_spawns(m, ctx[idx], &rq, samples, &rp.total_ns);
            if (!kept(m)) {
                if (m->teardown)
                    m->teardown(ctx[idx]);
                ctx[idx] = NULL;
            }
        }
        rp.count = rp.err ? 0 : rq.count;
        if (write_full(1, &rp, sizeof rp) == -1 ||
            write_full(1, samples, (size_t)rp.count * sizeof *samples) == -1) {
            rc = 1;
            break;
        }
    }
    for (int i = 0; i < n; i++)
        if (served(i) && kept(pl_spawn_methods[i]) && !setup_err[i] &&
            pl_spawn_methods[i]->teardown)
            pl_spawn_methods[i]->teardown(ctx[i]);
    pl_ballast_free(&ballast);
    munmap(samples, PL_PROBE_MAX_COUNT * sizeof(uint64_t));
    return rc;
}

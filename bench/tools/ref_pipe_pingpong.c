/* bench/tools/ref_pipe_pingpong.c: the smallest honest pipe ping-pong,
 * with no harness code, to check that bench_ipc's ipc_latency/pipe adds
 * nothing of its own.
 *
 * Two processes, two pipes.  The parent pins itself to CPU_A, the child to
 * CPU_B; after WARMUP untimed round trips, the parent times N round trips
 * of BYTES bytes each way with CLOCK_MONOTONIC and prints one number: the
 * mean nanoseconds per round trip.  Exit 0, 1 on any error, 2 on bad
 * arguments (a number out of range, a CPU this process may not run on).
 * The child dies with the parent; every wait is bounded.
 *
 * Usage: ref_pipe_pingpong CPU_A CPU_B N BYTES */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    WARMUP = 200,
    MAX_ROUND_TRIPS = 1000000,      /* a few seconds even at 25 us each */
    MAX_BYTES = 1 << 20,
    WAIT_CHILD_MS = 5000,           /* the child exits at once on end of file */
};

static const char usage_text[] =
    "Usage: ref_pipe_pingpong CPU_A CPU_B N BYTES\n"
    "Time N pipe round trips of BYTES bytes each way between a parent on CPU_A\n"
    "and a child on CPU_B (after 200 untimed ones); print the mean ns per round trip.\n"
    "  CPU_A, CPU_B  CPUs this process may run on (the same one is allowed)\n"
    "  N             round trips (1..1000000)\n"
    "  BYTES         message size (1..1048576)\n"
    "  -h, --help    this help\n"
    "Exit 0, 1 on an error, 2 on bad arguments.\n";

static void die(const char *what)
{
    fprintf(stderr, "ref_pipe_pingpong: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void usage_error(const char *fmt, const char *text)
{
    fprintf(stderr, "ref_pipe_pingpong: ");
    fprintf(stderr, fmt, text);
    fprintf(stderr, "\nTry 'ref_pipe_pingpong --help'.\n");
    exit(2);
}

static long parse_arg(const char *what, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < min || v > max) {
        fprintf(stderr, "ref_pipe_pingpong: %s must be a whole number from %ld to %ld, not '%s'\n"
                "Try 'ref_pipe_pingpong --help'.\n", what, min, max, s);
        exit(2);
    }
    return v;
}

/* A CPU this process may run on, else exit 2 (not a failed pin later). */
static int parse_cpu(const char *what, const char *s)
{
    cpu_set_t allowed;
    int cpu = (int)parse_arg(what, s, 0, CPU_SETSIZE - 1);
    if (sched_getaffinity(0, sizeof allowed, &allowed) == -1)
        die("sched_getaffinity");
    if (!CPU_ISSET(cpu, &allowed))
        usage_error("CPU %s does not exist or is not one this process may run on", s);
    return cpu;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) == -1)
        die("sched_setaffinity");
}

/* Move exactly len bytes; 0 at end of file or on an error. */
static int xfer(int fd, char *buf, size_t len, int out)
{
    while (len > 0) {
        ssize_t n = out ? write(fd, buf, len) : read(fd, buf, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        buf += n;
        len -= (size_t)n;
    }
    return 1;
}

static double now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        die("clock_gettime");
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* waitpid with a time limit: SIGKILL the child when it passes. */
static int reap(pid_t pid)
{
    int status;
    for (int waited_ms = 0;; waited_ms++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r == -1 && errno != EINTR)
            die("waitpid");
        if (waited_ms == WAIT_CHILD_MS)
            kill(pid, SIGKILL);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* The child: pinned to cpu, echo every message until end of file. */
static void echo_child(pid_t parent, int cpu, int in, int out, char *buf, size_t bytes)
{
    /* Die with the parent; if it is already gone, go now. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
        _exit(1);
    pin(cpu);
    while (xfer(in, buf, bytes, 0) && xfer(out, buf, bytes, 1))
        ;
    _exit(0);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
    int opt;
    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        fprintf(stderr, "Try 'ref_pipe_pingpong --help'.\n");
        return 2;
    }
    if (argc - optind != 4) {
        fprintf(stderr, "ref_pipe_pingpong: 4 arguments wanted, %d given\n%s",
                argc - optind, usage_text);
        return 2;
    }
    char **arg = argv + optind;
    int a = parse_cpu("CPU_A", arg[0]), b = parse_cpu("CPU_B", arg[1]);
    long n = parse_arg("N", arg[2], 1, MAX_ROUND_TRIPS);
    size_t bytes = (size_t)parse_arg("BYTES", arg[3], 1, MAX_BYTES);

    /* A dead child is EPIPE from write(), reported, not a fatal signal. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        die("signal");
    int ping[2], pong[2];
    char *buf = calloc(1, bytes);
    if (!buf)
        die("calloc");
    if (pipe(ping) == -1 || pipe(pong) == -1)
        die("pipe");
    fflush(stdout);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        close(ping[1]);
        close(pong[0]);
        echo_child(parent, b, ping[0], pong[1], buf, bytes);
    }
    close(ping[0]);
    close(pong[1]);
    pin(a);
    double t0 = 0;
    for (long i = 0; i < WARMUP + n; i++) {       /* n <= MAX_ROUND_TRIPS: no overflow */
        if (i == WARMUP)
            t0 = now_ns();
        if (!xfer(ping[1], buf, bytes, 1) || !xfer(pong[0], buf, bytes, 0)) {
            fprintf(stderr, "ref_pipe_pingpong: the child went away\n");
            kill(pid, SIGKILL);
            reap(pid);
            return 1;
        }
    }
    double ns = (now_ns() - t0) / (double)n;
    close(ping[1]);                 /* end of file: the child exits */
    int status = reap(pid);
    free(buf);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ref_pipe_pingpong: the child did not exit 0 (status %d)\n", status);
        return 1;
    }
    printf("%.1f\n", ns);
    return 0;
}

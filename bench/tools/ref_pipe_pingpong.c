/* bench/tools/ref_pipe_pingpong.c: the smallest honest pipe ping-pong,
 * with no harness code, to check that bench_ipc's ipc_latency/pipe adds
 * nothing of its own.
 *
 * Two processes, two pipes.  The parent pins itself to CPU_A, the child to
 * CPU_B; after WARMUP untimed round trips, the parent times N round trips
 * of BYTES bytes each way with CLOCK_MONOTONIC and prints one number: the
 * mean nanoseconds per round trip.  Exit 0, 1 on any error, 2 on bad
 * arguments.
 *
 * Usage: ref_pipe_pingpong CPU_A CPU_B N BYTES */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WARMUP = 200 };

static void die(const char *what)
{
    fprintf(stderr, "ref_pipe_pingpong: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long arg(const char *s, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < min) {
        fprintf(stderr, "ref_pipe_pingpong: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static void pin(long cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) == -1)
        die("sched_setaffinity");
}

/* Move exactly len bytes; 0 at end of file. */
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
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "Usage: ref_pipe_pingpong CPU_A CPU_B N BYTES\n");
        return 2;
    }
    long a = arg(argv[1], 0), b = arg(argv[2], 0), n = arg(argv[3], 1);
    size_t bytes = (size_t)arg(argv[4], 1);
    int ping[2], pong[2];
    char *buf = calloc(1, bytes);
    if (!buf)
        die("calloc");
    if (pipe(ping) == -1 || pipe(pong) == -1)
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {                 /* child: echo until end of file */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pin(b);
        close(ping[1]);
        close(pong[0]);
        while (xfer(ping[0], buf, bytes, 0) && xfer(pong[1], buf, bytes, 1))
            ;
        _exit(0);
    }
    pin(a);
    close(ping[0]);
    close(pong[1]);
    double t0 = 0;
    for (long i = 0; i < WARMUP + n; i++) {
        if (i == WARMUP)
            t0 = now_ns();
        if (!xfer(ping[1], buf, bytes, 1) || !xfer(pong[0], buf, bytes, 0)) {
            fprintf(stderr, "ref_pipe_pingpong: the child went away\n");
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return 1;
        }
    }
    double ns = (now_ns() - t0) / (double)n;
    close(ping[1]);                 /* end of file: the child exits */
    int status;
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    printf("%.1f\n", ns);
    free(buf);
    return 0;
}

/* bench/tools/ref_fork.c: the plainest fork timing there is, as a yardstick.
 *
 * N times: fork(); the child _exit(0)s; waitpid() for it.  Prints the mean
 * time of one round in ns.  No harness, no Google Benchmark, no histogram:
 * bench_spawn runs it (as spawn_ref/fork_loop/rss_mib:0, with the same CPU
 * pinning) so that its own spawn/fork/rss_mib:0 can be checked against it;
 * if the two disagree by much, the harness is adding cost.
 *
 * Usage: ref_fork [-n COUNT] [-w WARMUP]
 * Output (stdout, one line): "NS ns per fork (COUNT forks)"
 * Exit: 0, 1 on a failed call, 2 on a bad argument. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] = "Usage: ref_fork [-n COUNT] [-w WARMUP]\n";

static void die(const char *what)
{
    fprintf(stderr, "ref_fork: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long parse_count(const char *s, const char *name)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < 0 || v > 100000000) {
        fprintf(stderr, "ref_fork: bad %s '%s'\n%s", name, s, usage_text);
        exit(2);
    }
    return v;
}

static double now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        die("clock_gettime");
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fork_and_reap(void)
{
    int status;
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0)
        _exit(0);
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ref_fork: child did not exit 0\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
    long count = 1000, warmup = 10;
    int opt;

    while ((opt = getopt_long(argc, argv, "n:w:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': count = parse_count(optarg, "COUNT"); break;
        case 'w': warmup = parse_count(optarg, "WARMUP"); break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind != argc || count == 0) {
        fprintf(stderr, "ref_fork: %s\n%s",
                optind != argc ? "unexpected argument" : "COUNT must be > 0", usage_text);
        return 2;
    }
    for (long i = 0; i < warmup; i++)
        fork_and_reap();
    double t0 = now_ns();
    for (long i = 0; i < count; i++)
        fork_and_reap();
    double t1 = now_ns();
    printf("%.1f ns per fork (%ld forks)\n", (t1 - t0) / count, count);
    return 0;
}

/* bench/tools/cpu_steady.c: how steady this machine's own CPU speed is.
 *
 * A benchmark cannot be steadier than the CPU it runs on.  On a virtual
 * machine the CPU's speed can change under the guest (another guest on the
 * same core or its hyperthread sibling, the host's frequency, the vCPU
 * moved between physical cores), and nothing inside the guest shows it: no
 * load, no steal time.  This tool times a fixed piece of work -- a chain of
 * dependent multiply-adds, no memory, no system call -- several times on
 * every CPU the process may use.  scripts/bench.sh runs it before the first
 * family and after each one, into RUNDIR/cpu_steadiness.csv; scripts/
 * machine.py --after turns the spread into machine.json's cpu_speed_cv and
 * the summary's answers say whether the run's CVs could be expected at 5 %.
 *
 * Output: one CSV row per timing, "LABEL,CPU,INDEX,NS" (no header).
 * Usage: cpu_steady [--label WORD] [--count N] [--help]
 * Exit: 0; 1 when pinning or the clock fails; 2 on a bad argument. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* 2^23 multiply-adds, each waiting for the one before: about 34 million
 * cycles, 9 ms on a 2.6 GHz core -- long enough that one timer interrupt
 * or a short host preemption is a small part of it, as it is of a
 * benchmark's repetition (30 ms and more).  Fixed, so timings from
 * different runs and machines compare. */
enum { CHAIN_LENGTH = 1 << 23, MAX_COUNT = 1000 };

static const char usage_text[] =
    "Usage: cpu_steady [--label WORD] [--count N] [--help]\n"
    "Times a fixed chain of dependent multiply-adds N times (default 5, at\n"
    "most 1000) on every CPU this process may use, after one untimed run\n"
    "each, and prints \"LABEL,CPU,INDEX,NS\" per timing (LABEL default \"-\":\n"
    "letters, digits, '_' and '-' only).\n";

static volatile uint64_t sink;      /* keeps the chain from being optimised away */

static uint64_t timed_chain(void)
{
    uint64_t x = sink | 1, t0 = pl_now_ns();
    for (int i = 0; i < CHAIN_LENGTH; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    uint64_t t1 = pl_now_ns();
    sink = x;
    return t1 - t0;
}

static int label_ok(const char *s)
{
    if (*s == '\0' || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int usage_error(const char *what, const char *value)
{
    fprintf(stderr, "cpu_steady: %s '%s'\n%s", what, value, usage_text);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"label", required_argument, NULL, 'l'},
        {"count", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *label = "-";
    long count = 5;
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'l':
            if (!label_ok(optarg))
                return usage_error("bad label", optarg);
            label = optarg;
            break;
        case 'n':
            errno = 0;
            count = strtol(optarg, &end, 10);
            if (errno || *optarg == '\0' || *end != '\0' || count < 1 || count > MAX_COUNT)
                return usage_error("--count wants 1..1000, not", optarg);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return usage_error("unknown or incomplete option",
                               argv[optind - 1] ? argv[optind - 1] : "?");
        }
    }
    if (optind != argc)
        return usage_error("unexpected argument", argv[optind]);

    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == -1) {
        perror("cpu_steady: sched_getaffinity");
        return 1;
    }
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed))
            continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof one, &one) == -1) {
            fprintf(stderr, "cpu_steady: pinning to cpu %d: %s\n", cpu, strerror(errno));
            return 1;
        }
        (void)timed_chain();        /* wake the CPU up; not counted */
        for (long i = 0; i < count; i++)
            printf("%s,%d,%ld,%llu\n", label, cpu, i, (unsigned long long)timed_chain());
    }
    if (sched_setaffinity(0, sizeof allowed, &allowed) == -1) {
        perror("cpu_steady: sched_setaffinity");
        return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* bench/tools/timer_cost.c: what one clock read costs on this machine.
 *
 * Prints "timer_ns=X", the median cost in nanoseconds of one
 * clock_gettime(CLOCK_MONOTONIC) through the vDSO, as every proclab
 * benchmark reads it (bench/core/clock.c: 101 rounds of 100 back-to-back
 * reads).  scripts/machine.py records it in machine.json, so a reader can
 * tell when a timed operation is close to the clock's own cost: a timer
 * read inside every sub-microsecond round trip is part of what was timed.
 *
 * Usage: timer_cost [--help]
 * Exit: 0, or 2 on any argument other than --help. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: timer_cost [--help]\n"
               "Prints timer_ns=X: the median cost of one CLOCK_MONOTONIC read (ns).\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "timer_cost: unexpected argument '%s'\n"
                        "Usage: timer_cost [--help]\n", argv[1]);
        return 2;
    }
    printf("timer_ns=%.1f\n", pl_clock_overhead_ns());
    return 0;
}

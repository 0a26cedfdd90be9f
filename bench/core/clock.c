/* bench/core/clock.c: what one clock read costs here. */
#include "core/clock.h"
#include "core/stats.h"

double pl_clock_overhead_ns(void)
{
    static double cached = -1.0;
    enum { ROUNDS = 101, CALLS = 100 };
    double per_call[ROUNDS];

    if (cached >= 0.0)
        return cached;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = pl_now_ns(), t = t0;
        for (int i = 0; i < CALLS; i++)
            t = pl_now_ns();
        per_call[r] = (double)(t - t0) / CALLS;
    }
    cached = pl_median(per_call, ROUNDS);
    return cached;
}

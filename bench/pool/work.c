/* bench/pool/work.c: see work.h. */
#include "pool/work.h"

#include <time.h>

/* CPU time of this thread: a run that another process interrupts is not
 * made to look slower (wall-clock time would count the wait). */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t pl_work(uint64_t turns)
{
    uint64_t x = 0;
    for (uint64_t i = 0; i < turns; i++) {
        x += i ^ (x >> 3);
        __asm__ volatile("" : "+r"(x));   /* a turn the compiler cannot fold */
    }
    return x;
}

double pl_work_turns_per_us(void)
{
    static double cached;
    if (cached > 0)
        return cached;
    const uint64_t turns = 2000000;
    double best = 0;
    pl_work(turns / 10);                  /* warm the CPU up */
    for (int i = 0; i < 7; i++) {
        uint64_t t0 = cpu_ns();
        pl_work(turns);
        uint64_t ns = cpu_ns() - t0;
        double rate = (double)turns / ((double)(ns ? ns : 1) / 1000.0);
        if (rate > best)
            best = rate;
    }
    cached = best;
    return cached;
}

uint64_t pl_work_turns(double grain_us)
{
    return grain_us <= 0 ? 0 : (uint64_t)(grain_us * pl_work_turns_per_us() + 0.5);
}

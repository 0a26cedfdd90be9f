/* bench/core/pin.c: pin this process to a CPU and back (placement.h).
 *
 * Kept apart from placement.c, which asks hwloc for the topology: the
 * partner code and the lean spawn probe (bench/tools/spawn_probe.c) pin
 * themselves but must not map libhwloc and its libraries -- a process with
 * fewer mappings is cheaper to fork, and the probe exists to be small. */
#include "core/placement.h"

#include <errno.h>
#include <sched.h>

static cpu_set_t initial_mask;
static int initial_cpus[CPU_SETSIZE];
static int initial_count = -1;

/* Record the affinity mask we started with (once). */
static void load_initial(void)
{
    if (initial_count >= 0)
        return;
    initial_count = 0;
    if (sched_getaffinity(0, sizeof initial_mask, &initial_mask) == -1) {
        CPU_ZERO(&initial_mask);
        CPU_SET(0, &initial_mask);
    }
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &initial_mask))
            initial_cpus[initial_count++] = cpu;
}

int pl_cpus_allowed(int *cpus, int max)
{
    load_initial();
    for (int i = 0; i < initial_count && i < max; i++)
        cpus[i] = initial_cpus[i];
    return initial_count;
}

int pl_pin_self(int cpu)
{
    cpu_set_t set;
    load_initial();
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
        errno = EINVAL;
        return -1;
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int pl_unpin_self(void)
{
    load_initial();
    return sched_setaffinity(0, sizeof initial_mask, &initial_mask);
}

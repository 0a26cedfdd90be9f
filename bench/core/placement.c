/* bench/core/placement.c: choose and pin CPUs, with hwloc for topology. */
#include "core/placement.h"

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdio.h>

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

/* The os index of the physical core holding a CPU, or the CPU itself when
 * hwloc cannot tell (then every CPU counts as its own core). */
static int core_of(int cpu)
{
    static hwloc_topology_t topo;
    static int loaded = 0;

    if (loaded == 0) {
        loaded = -1;
        if (hwloc_topology_init(&topo) == 0) {
            if (hwloc_topology_load(topo) == 0)
                loaded = 1;
            else
                hwloc_topology_destroy(topo);
        }
    }
    if (loaded != 1)
        return cpu;
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topo, (unsigned)cpu);
    hwloc_obj_t core = pu ? hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu) : NULL;
    return core ? (int)core->logical_index : cpu;
}

int pl_placement_pick(int cross, pl_placement *out)
{
    load_initial();
    out->self = out->partner = initial_cpus[0];
    if (!cross)
        return 0;
    if (initial_count < 2) {
        errno = ENODEV;
        return -1;
    }
    /* Prefer a CPU on another physical core; an SMT sibling only if that
     * is all there is. */
    out->partner = initial_cpus[1];
    for (int i = 1; i < initial_count; i++)
        if (core_of(initial_cpus[i]) != core_of(out->self)) {
            out->partner = initial_cpus[i];
            break;
        }
    return 0;
}

int pl_placement_all_pairs(pl_placement *out, int max)
{
    int n = 0;
    load_initial();
    for (int a = 0; a < initial_count; a++)
        for (int b = 0; b < initial_count; b++)
            if (a != b && n < max) {
                out[n].self = initial_cpus[a];
                out[n].partner = initial_cpus[b];
                n++;
            }
    return n;
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

const char *pl_placement_describe(const pl_placement *p, char *buf, size_t size)
{
    if (p->self == p->partner)
        snprintf(buf, size, "cpu%d (same cpu)", p->self);
    else
        snprintf(buf, size, "cpu%d+cpu%d (%s)", p->self, p->partner,
                 core_of(p->self) == core_of(p->partner) ? "SMT siblings"
                                                         : "different cores");
    return buf;
}

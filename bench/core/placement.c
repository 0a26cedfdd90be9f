/* bench/core/placement.c: choose CPUs, with hwloc for topology (pinning
 * itself is in pin.c, which needs no hwloc). */
#include "core/placement.h"

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdio.h>

/* The CPUs allowed at start-up (pin.c records them), read once. */
static int initial_cpus[CPU_SETSIZE];
static int initial_count = -1;

static void load_initial(void)
{
    if (initial_count < 0)
        initial_count = pl_cpus_allowed(initial_cpus, CPU_SETSIZE);
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

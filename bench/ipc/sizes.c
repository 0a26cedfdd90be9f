/* bench/ipc/sizes.c: see sizes.h. */
#include "ipc/sizes.h"

#include <string.h>

static const int64_t quick_latency[] = { 64, 4096 };
static const int64_t quick_throughput[] = { 64, 65536, 1 << 20 };
static const int64_t full_latency[] = { 8, 64, 512, 4096, 32768, 65536 };
static const int64_t full_throughput[] = { 64, 512, 4096, 65536, 262144, 1 << 20 };

#define N(a) (sizeof (a) / sizeof *(a))

static const pl_ipc_sizes quick = { quick_latency, N(quick_latency), quick_throughput,
                                    N(quick_throughput) };
static const pl_ipc_sizes full = { full_latency, N(full_latency), full_throughput,
                                   N(full_throughput) };

const pl_ipc_sizes *pl_ipc_sizes_for(int is_full)
{
    return is_full ? &full : &quick;
}

int pl_ipc_fits(const pl_mech *m, int64_t bytes)
{
    return m->max_msg == 0 || (size_t)bytes <= m->max_msg;
}

/* Append " N" for each size of list that m skips; how many. */
static int append_skipped(const pl_mech *m, const int64_t *list, size_t n, char *buf, size_t size)
{
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (!pl_ipc_fits(m, list[i])) {
            size_t len = strlen(buf);
            snprintf(buf + len, size - len, " %lld", (long long)list[i]);
            count++;
        }
    return count;
}

void pl_ipc_skipped(const pl_mech *m, const pl_ipc_sizes *sz, char *buf, size_t size)
{
    char lat[128] = "", thr[128] = "";
    int nl = append_skipped(m, sz->latency, sz->n_latency, lat, sizeof lat);
    int nt = append_skipped(m, sz->throughput, sz->n_throughput, thr, sizeof thr);
    buf[0] = '\0';
    if (nl == 0 && nt == 0)
        return;
    snprintf(buf, size, "%s:%s%s%s%s", m->name, nl ? " latency" : "", lat,
             nt ? (nl ? "; throughput" : " throughput") : "", thr);
}

void pl_ipc_list(FILE *out)
{
    fprintf(out, "%-22s %-10s %s\n", "mechanism", "max_msg", "what one message does");
    for (const pl_mech *const *m = pl_mechs; *m; m++) {
        char max[32] = "-";
        if ((*m)->max_msg)
            snprintf(max, sizeof max, "%zu B", (*m)->max_msg);
        fprintf(out, "%-22s %-10s %s\n", (*m)->name, max, (*m)->summary);
    }
    fprintf(out, "\nSizes not registered (above max_msg):\n");
    for (int is_full = 0; is_full <= 1; is_full++)
        for (const pl_mech *const *m = pl_mechs; *m; m++) {
            char k[256];
            pl_ipc_skipped(*m, pl_ipc_sizes_for(is_full), k, sizeof k);
            if (k[0])
                fprintf(out, "  %-5s %s\n", is_full ? "full" : "quick", k);
        }
}

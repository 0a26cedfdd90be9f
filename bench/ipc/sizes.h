/* bench/ipc/sizes.h: the message sizes bench_ipc registers, and which ones a
 * mechanism skips (above its max_msg) -- for registration, --list and the
 * JSON context.
 *
 *   pl_ipc_sizes_for(full)    latency and throughput sizes of a suite
 *   pl_ipc_fits(m, bytes)     may m carry a message of this size?
 *   pl_ipc_skipped(m, sz, ..) "udp: latency 65536; throughput 65536 1048576"
 *                             for the sizes of sz that m skips ("" if none)
 *   pl_ipc_list(out)          the --list table: every mechanism, its largest
 *                             message and summary, then the skipped sizes */
#ifndef PROCLAB_BENCH_IPC_SIZES_H
#define PROCLAB_BENCH_IPC_SIZES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipc/mech.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const int64_t *latency;
    size_t n_latency;
    const int64_t *throughput;
    size_t n_throughput;
} pl_ipc_sizes;

const pl_ipc_sizes *pl_ipc_sizes_for(int full);
int pl_ipc_fits(const pl_mech *m, int64_t bytes);
void pl_ipc_skipped(const pl_mech *m, const pl_ipc_sizes *sz, char *buf, size_t size);
void pl_ipc_list(FILE *out);

#ifdef __cplusplus
}
#endif
#endif

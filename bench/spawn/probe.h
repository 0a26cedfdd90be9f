/* bench/spawn/probe.h: what bench_spawn and its probe (bench/tools/
 * spawn_probe.c) say to each other over a socket.  Both are built from this
 * tree at the same time, so the structs are sent as they are in memory. */
#ifndef PROCLAB_BENCH_SPAWN_PROBE_H
#define PROCLAB_BENCH_SPAWN_PROBE_H

#include <stdint.h>

enum { PL_PROBE_MAX_COUNT = 1 << 16 };   /* spawns per request */

typedef struct {
    char method[32];    /* a pl_spawn_method name, NUL-terminated */
    int32_t count;      /* timed spawns, 1..PL_PROBE_MAX_COUNT */
    int32_t warmup;     /* untimed spawns before them */
} pl_probe_request;

typedef struct {
    int32_t err;        /* 0, or the errno of the failed set-up or spawn */
    int32_t count;      /* samples that follow (0 when err) */
    uint64_t total_ns;  /* the timed loop, first clock read to last */
    int64_t rss_kib;    /* the probe's VmRSS when the request came */
} pl_probe_reply;

#endif

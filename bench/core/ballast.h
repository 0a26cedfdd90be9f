/* bench/core/ballast.h: make the parent big before measuring a spawn.
 *
 * fork() copies the parent's page tables, so its cost grows with the
 * parent's resident memory.  A ballast is N MiB of private anonymous memory
 * with every page written (so it is resident and has page-table entries).
 * With huge = 1 the region is advised MADV_HUGEPAGE (transparent huge
 * pages: 512x fewer entries to copy); with huge = 0 MADV_NOHUGEPAGE, so the
 * result does not depend on the system's THP default. */
#ifndef PROCLAB_BENCH_BALLAST_H
#define PROCLAB_BENCH_BALLAST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    void *addr;
    size_t bytes;
} pl_ballast;

/* 0, or -1 with errno (b is left empty).  mib == 0 is a valid empty ballast. */
int  pl_ballast_alloc(pl_ballast *b, size_t mib, int huge);
void pl_ballast_free(pl_ballast *b);

/* This process's resident set size from /proc/self/status (VmRSS), KiB; -1 on error. */
long pl_rss_kib(void);

#ifdef __cplusplus
}
#endif
#endif

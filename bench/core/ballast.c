/* bench/core/ballast.c: resident memory on demand. */
#include "core/ballast.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int pl_ballast_alloc(pl_ballast *b, size_t mib, int huge)
{
    size_t bytes = mib << 20;
    long page = sysconf(_SC_PAGESIZE);

    b->addr = NULL;
    b->bytes = 0;
    if (mib == 0)
        return 0;
    if (page <= 0)
        page = 4096;
    void *addr = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED)
        return -1;
    /* Advise before touching: THP decisions are made at fault time. */
    if (madvise(addr, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) == -1 &&
        errno != EINVAL) {
        int saved = errno;
        munmap(addr, bytes);
        errno = saved;
        return -1;
    }
    /* Write one byte per page: a read would map the shared zero page and
     * leave the memory non-resident. */
    for (size_t off = 0; off < bytes; off += (size_t)page)
        ((volatile char *)addr)[off] = 1;
    b->addr = addr;
    b->bytes = bytes;
    return 0;
}

void pl_ballast_free(pl_ballast *b)
{
    if (b->addr)
        munmap(b->addr, b->bytes);
    b->addr = NULL;
    b->bytes = 0;
}

long pl_rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "re");

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            if (sscanf(line + 6, "%ld", &kib) != 1)
                kib = -1;
            break;
        }
    fclose(f);
    return kib;
}

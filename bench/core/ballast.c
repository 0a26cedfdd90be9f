/* bench/core/ballast.c: resident memory on demand. */
#include "core/ballast.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

/* read(2), not stdio: fopen's buffer would give the spawn probe a heap,
 * one more private mapping for every fork to copy. */
long pl_rss_kib(void)
{
    char buf[4096];
    ssize_t n = 0, got;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

    if (fd == -1)
        return -1;
    while (n < (ssize_t)sizeof buf - 1 &&
           ((got = read(fd, buf + n, sizeof buf - 1 - (size_t)n)) > 0 ||
            (got == -1 && errno == EINTR)))
        if (got > 0)
            n += got;
    close(fd);
    buf[n] = '\0';
    const char *line = strstr(buf, "\nVmRSS:");
    char *end;
    if (!line)
        return -1;
    long kib = strtol(line + 7, &end, 10);
    return end == line + 7 ? -1 : kib;
}

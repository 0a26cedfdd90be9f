/* bench/sync/shared.c: memory every worker sees. */
#include "sync/lock.h"

#include <sys/mman.h>

void *pl_shared_alloc(unsigned long bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;    /* anonymous memory starts zeroed */
}

void pl_shared_free(void *p, unsigned long bytes)
{
    if (p)
        munmap(p, bytes);
}

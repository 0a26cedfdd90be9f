/* bench/ipc/floor.c: the cache-line ping-pong (see floor.h). */
#include "ipc/floor.h"
#include "core/partner.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

enum { CHECK_EVERY = 4096 };                    /* power of two */
#define STOP_VALUE UINT64_MAX                   /* odd: the partner looks */

struct pl_floor_line {
    _Alignas(64) _Atomic uint64_t value;        /* the shared line (parent -> partner) */
    char pad[64 - sizeof(uint64_t)];
    _Alignas(64) _Atomic uint64_t reply;        /* each_way: partner -> parent */
    char pad2[64 - sizeof(uint64_t)];
    uint64_t next;                              /* parent's next odd value */
    int each_way;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

pl_floor_line *pl_floor_line_new(int each_way)
{
    void *p = mmap(NULL, sizeof(pl_floor_line), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    pl_floor_line *l = p;
    atomic_init(&l->value, 0);
    atomic_init(&l->reply, 0);
    l->next = 1;
    l->each_way = each_way != 0;
    return l;
}

void pl_floor_line_free(pl_floor_line *l)
{
    if (l)
        munmap(l, sizeof *l);
}

int pl_floor_line_serve(pl_floor_line *l, pid_t parent)
{
    unsigned spins = 0;
    uint64_t answered = 0;
    /* Read once: the line holding each_way is the parent's (it writes
     * next there every round trip); reading it in the loop would bounce a
     * third line. */
    _Atomic uint64_t *answer = l->each_way ? &l->reply : &l->value;
    for (;;) {
        uint64_t v = atomic_load_explicit(&l->value, memory_order_acquire);
        if (v == STOP_VALUE)
            return 0;
        if ((v & 1) && v != answered) {
            /* each_way: the answer goes to the other line, and this one
             * stays odd until the parent's next value: remember it. */
            atomic_store_explicit(answer, v + 1, memory_order_release);
            answered = v;
            continue;
        }
        cpu_relax();
        if ((++spins & (CHECK_EVERY - 1)) == 0 && getppid() != parent) {
            errno = EPIPE;
            return -1;
        }
    }
}

int pl_floor_line_roundtrip(pl_floor_line *l)
{
    uint64_t v = l->next;
    unsigned spins = 0;
    l->next += 2;
    _Atomic uint64_t *answer = l->each_way ? &l->reply : &l->value;
    atomic_store_explicit(&l->value, v, memory_order_release);
    while (atomic_load_explicit(answer, memory_order_acquire) != v + 1) {
        cpu_relax();
        if ((++spins & (CHECK_EVERY - 1)) == 0 && pl_partner_exited) {
            errno = EPIPE;
            return -1;
        }
    }
    return 0;
}

void pl_floor_line_stop(pl_floor_line *l)
{
    atomic_store_explicit(&l->value, STOP_VALUE, memory_order_release);
}

/* bench/spawn/thread.c: pthread_create + pthread_join, the reference.
 *
 * A thread shares everything (address space, file table, signal handlers):
 * nothing is copied and there is no new process to tear down.  The floor a
 * process has to be compared with.  Python: threading.Thread,
 * ThreadPoolExecutor.
 *
 * The stack is ours (set up before the timed loop, unmapped after): glibc
 * would otherwise keep the stack of a joined thread cached for reuse, and
 * that mapping would stay in the spawn probe and make every later fork
 * copy it.  A cached stack is what glibc reuses in a loop like this one
 * anyway, so the timed work is the same: no stack mmap per thread. */
#include "spawn/method.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { STACK_BYTES = 1 << 20 };

struct thread_ctx {
    pthread_attr_t attr;
    void *stack;
};

static int thread_setup(void **ctx)
{
    struct thread_ctx *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return -1;
    t->stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    int err = t->stack == MAP_FAILED ? errno : pthread_attr_init(&t->attr);
    if (!err) {
        err = pthread_attr_setstack(&t->attr, t->stack, STACK_BYTES);
        if (err)
            pthread_attr_destroy(&t->attr);
    }
    if (err) {
        if (t->stack != MAP_FAILED)
            munmap(t->stack, STACK_BYTES);
        munmap(t, sizeof *t);
        errno = err;
        return -1;
    }
    *ctx = t;
    return 0;
}

static void thread_teardown(void *ctx)
{
    struct thread_ctx *t = ctx;
    if (!t)
        return;
    pthread_attr_destroy(&t->attr);
    munmap(t->stack, STACK_BYTES);
    munmap(t, sizeof *t);
}

static void *thread_fn(void *arg)
{
    return arg;
}

static int thread_once(void *ctx)
{
    struct thread_ctx *c = ctx;
    pthread_t t;
    int err = pthread_create(&t, &c->attr, thread_fn, NULL);
    if (err == 0)
        err = pthread_join(t, NULL);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

const pl_spawn_method pl_spawn_thread = {
    .name = "thread",
    .what = "pthread_create + pthread_join (a thread, not a process: the reference)",
    .setup = thread_setup,
    .spawn_once = thread_once,
    .teardown = thread_teardown,
};

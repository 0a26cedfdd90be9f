/* bench/spawn/thread.c: pthread_create + pthread_join, the reference.
 *
 * A thread shares everything (address space, file table, signal handlers):
 * nothing is copied and there is no new process to tear down, and glibc
 * reuses the stacks of joined threads.  The floor a process has to be
 * compared with.  Python: threading.Thread, ThreadPoolExecutor. */
#include "spawn/method.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>

static void *thread_fn(void *arg)
{
    return arg;
}

static int thread_once(void *ctx)
{
    (void)ctx;
    pthread_t t;
    int err = pthread_create(&t, NULL, thread_fn, NULL);
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
    .spawn_once = thread_once,
};

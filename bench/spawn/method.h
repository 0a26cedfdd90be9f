/* bench/spawn/method.h: one way of starting a child, behind one interface.
 *
 * Every method starts a child that exits at once (status 0) and reaps it:
 * spawn_once() returns only when the child is gone, so the time of one call
 * is the full "start a worker and learn it finished" cost that a process
 * pool or a shell pays.  The child runs nothing but the exit, so what is
 * timed is the creation (and for exec methods, loading a tiny program).
 *
 * Life cycle, driven by bench/bench_spawn.cc:
 *   setup(&ctx)      once per process, before the method's first benchmark,
 *                    while the parent is still small (the driver frees its
 *                    memory ballast first): a fork server forked here does
 *                    not inherit the parent's big address space.
 *   spawn_once(ctx)  many times, timed one by one.
 *   teardown(ctx)    once, at the end of the run.
 * setup and teardown may be NULL (nothing to prepare).
 *
 * Adding a method: one file bench/spawn/NAME.c defining a pl_spawn_method,
 * and one line in bench/spawn/registry.c. */
#ifndef PROCLAB_BENCH_SPAWN_METHOD_H
#define PROCLAB_BENCH_SPAWN_METHOD_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *name;     /* the VARIANT of spawn/VARIANT/rss_mib:N */
    const char *what;     /* one line for docs and --help */
    /* 0, or -1 with errno set; *ctx is passed to the other two. */
    int  (*setup)(void **ctx);
    /* Start one child that exits with status 0, and reap it.  0, or -1 with
     * errno set (ECHILD: the child did not exit with status 0). */
    int  (*spawn_once)(void *ctx);
    void (*teardown)(void *ctx);
} pl_spawn_method;

/* Every method, in report order, NULL-terminated (registry.c). */
extern const pl_spawn_method *const pl_spawn_methods[];

/* --- shared by the methods (common.c) --- */

/* Wait for exactly this child (never waitpid(-1): that could reap a
 * partner), retrying EINTR.  0 when it exited with status 0, else -1 with
 * errno = ECHILD (errno of waitpid on a real failure). */
int pl_spawn_reap(pid_t pid);

/* Absolute path of build/bin/proclab_exit0, the program the exec methods
 * start: found in the directory of /proc/self/exe.  NULL with errno =
 * ENOENT when it is not there (or not executable). */
const char *pl_spawn_helper(void);

#ifdef __cplusplus
}
#endif
#endif

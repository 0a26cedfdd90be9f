/* bench/core/run.h: run another program and read what it prints -- for the
 * reference programs a family times itself against (bench/tools/).
 *
 *   pl_self_dir()     the directory of this executable (build/bin), where
 *                     the tools live
 *   pl_run_capture()  posix_spawn path with argv (envp NULL: ours); its
 *                     stdout into out (NUL-terminated, cut at out_size-1);
 *                     SIGPIPE, SIGINT, SIGTERM default and no signal blocked
 *                     in the child, which inherits our CPU mask; SIGKILLed
 *                     after timeout_ms.  Returns its wait status, or -1 with
 *                     errno (ETIMEDOUT when it had to be killed). */
#ifndef PROCLAB_BENCH_RUN_H
#define PROCLAB_BENCH_RUN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int pl_self_dir(char *buf, size_t size);

int pl_run_capture(const char *path, char *const argv[], char *const envp[],
                   char *out, size_t out_size, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif

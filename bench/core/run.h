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

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

int pl_self_dir(char *buf, size_t size);

int pl_run_capture(const char *path, char *const argv[], char *const envp[],
                   char *out, size_t out_size, int timeout_ms);

/* posix_spawn path with argv (envp NULL: ours), in_fd as its stdin and
 * out_fd as its stdout (-1: inherited), SIGPIPE, SIGINT, SIGTERM default and
 * no signal blocked in the child.  No page tables of ours are copied (the
 * caller may be large).  0, or the error number (errno is not set). */
int pl_spawn_with_fds(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                      int in_fd, int out_fd);

/* A program that runs beside the benchmark (a server): fork + exec with its
 * stdout on a pipe (*out_fd, close-on-exec in us), dying with us
 * (PR_SET_PDEATHSIG SIGTERM, getppid checked), SIGINT/SIGTERM/SIGPIPE
 * default and nothing blocked in it.  *pid is stored before any stop
 * signal can be delivered (they are held across fork), so a handler that
 * kills stored pids never misses it.  0, or -1 with errno. */
int pl_run_background(const char *path, char *const argv[], volatile int *pid, int *out_fd);

/* Read from fd, appending to buf (NUL-terminated, len in *len), until a
 * line starting with prefix is complete or timeout_ms passes.  Returns a
 * pointer to that line's text after the prefix, or NULL (EOF, timeout:
 * errno ETIMEDOUT, or an error). */
const char *pl_read_until_line(int fd, char *buf, size_t size, size_t *len,
                               const char *prefix, int timeout_ms);

/* Read fd to end of file (at most timeout_ms), appending to buf. */
void pl_read_rest(int fd, char *buf, size_t size, size_t *len, int timeout_ms);

/* Send sig to pid, wait up to timeout_ms for it to exit, else SIGKILL; reap.
 * Returns its wait status, or -1 with errno. */
int pl_stop_child(int pid, int sig, int timeout_ms);

/* Wait for child pid (-1: any child) that must exit 0, retrying EINTR.
 * Returns 0, or -1 with errno set: waitpid's, or fail_errno when the child
 * exited non-zero or died of a signal.  Inline, so that spawn_probe (libc
 * only, no core library) shares it with the pool and spawn families. */
static inline int pl_reap_exit0(pid_t pid, int fail_errno)
{
    int status;
    pid_t r;

    while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
        ;
    if (r == -1)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = fail_errno;
        return -1;
    }
    return 0;
}

#ifdef __cplusplus
}
#endif
#endif

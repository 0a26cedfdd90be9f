/* bench/spawn/common.c: what several spawn methods share. */
#include "spawn/method.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int pl_spawn_reap(pid_t pid)
{
    int status;
    pid_t r;

    while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
        ;
    if (r == -1)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;
        return -1;
    }
    return 0;
}

const char *pl_spawn_helper(void)
{
    static char path[PATH_MAX];
    static const char name[] = "/proclab_exit0";

    if (path[0])
        return path;
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return path[0] = '\0', NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) + sizeof name > sizeof path) {
        path[0] = '\0';
        errno = ENAMETOOLONG;
        return NULL;
    }
    memcpy(slash, name, sizeof name);
    if (access(path, X_OK) == -1) {
        path[0] = '\0';
        errno = ENOENT;
        return NULL;
    }
    return path;
}

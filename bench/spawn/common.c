/* bench/spawn/common.c: what several spawn methods share. */
#include "spawn/method.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/run.h"

int pl_spawn_reap(pid_t pid)
{
    return pl_reap_exit0(pid, ECHILD);
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

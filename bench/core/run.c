/* bench/core/run.c: see run.h. */
#include "core/run.h"
#include "core/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int pl_self_dir(char *buf, size_t size)
{
    if (size < 2) {
        errno = ENAMETOOLONG;
        return -1;
    }
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    return 0;
}

int pl_spawn_with_fds(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                      int in_fd, int out_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    int err = posix_spawn_file_actions_init(&fa);
    if (err)
        return err;
    err = posix_spawnattr_init(&at);
    if (err) {
        posix_spawn_file_actions_destroy(&fa);
        return err;
    }
    if (in_fd >= 0)
        err = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
    if (!err && out_fd >= 0)
        err = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    if (!err)
        err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (!err)
        err = posix_spawnattr_setsigdefault(&at, &defaults);
    if (!err)
        err = posix_spawnattr_setsigmask(&at, &none);
    if (!err)
        err = posix_spawn(pid, path, &fa, &at, argv, envp ? envp : environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return err;
}

int pl_run_capture(const char *path, char *const argv[], char *const envp[],
                   char *out, size_t out_size, int timeout_ms)
{
    int pfd[2];
    pid_t pid;
    size_t got = 0;
    int timed_out = 0;

    if (out_size == 0 || pipe2(pfd, O_CLOEXEC) == -1)
        return -1;
    int err = pl_spawn_with_fds(&pid, path, argv, envp, -1, pfd[1]);
    close(pfd[1]);
    if (err) {
        close(pfd[0]);
        errno = err;
        return -1;
    }
    uint64_t deadline = pl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        if (pl_now_ns() > deadline) {
            kill(pid, SIGKILL);
            timed_out = 1;
            break;
        }
        struct pollfd p = { .fd = pfd[0], .events = POLLIN };
        if (poll(&p, 1, 100) <= 0)
            continue;                           /* EINTR, nothing yet */
        char sink[256];
        char *to = got < out_size - 1 ? out + got : sink;
        size_t room = got < out_size - 1 ? out_size - 1 - got : sizeof sink;
        ssize_t k = read(pfd[0], to, room);
        if (k == -1 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        if (to != sink)
            got += (size_t)k;
    }
    out[got] = '\0';
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            return -1;
    if (timed_out) {
        errno = ETIMEDOUT;
        return -1;
    }
    return status;
}

int pl_run_background(const char *path, char *const argv[], volatile int *pidp, int *out_fd)
{
    int pfd[2];
    sigset_t stops, old;
    if (pipe2(pfd, O_CLOEXEC) == -1)
        return -1;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
            _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        if (dup2(pfd[1], STDOUT_FILENO) == -1)
            _exit(127);
        execv(path, argv);
        _exit(127);
    }
    int saved = errno;
    if (pid > 0)
        *pidp = pid;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pfd[1]);
    if (pid == -1) {
        close(pfd[0]);
        errno = saved;
        return -1;
    }
    *out_fd = pfd[0];
    return 0;
}

static int read_some(int fd, char *buf, size_t size, size_t *len, uint64_t deadline)
{
    for (;;) {
        uint64_t now = pl_now_ns();
        if (now >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int)((deadline - now) / 1000000u) + 1;
        int n = poll(&p, 1, left > 100 ? 100 : left);
        if (n <= 0)
            continue;                           /* EINTR or nothing yet */
        if (*len + 1 >= size) {
            char sink[256];                     /* full: drop the rest */
            ssize_t k = read(fd, sink, sizeof sink);
            if (k == -1 && errno == EINTR)
                continue;
            return k <= 0 ? 0 : 1;
        }
        ssize_t k = read(fd, buf + *len, size - 1 - *len);
        if (k == -1 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;                           /* end of file (or error) */
        *len += (size_t)k;
        buf[*len] = '\0';
        return 1;
    }
}

const char *pl_read_until_line(int fd, char *buf, size_t size, size_t *len,
                               const char *prefix, int timeout_ms)
{
    uint64_t deadline = pl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    size_t plen = strlen(prefix);
    buf[*len] = '\0';
    for (;;) {
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, prefix, plen) == 0 && strchr(line, '\n'))
                return line + plen;
        int r = read_some(fd, buf, size, len, deadline);
        if (r <= 0) {
            if (r == 0)
                errno = EPIPE;
            return NULL;
        }
    }
}

void pl_read_rest(int fd, char *buf, size_t size, size_t *len, int timeout_ms)
{
    uint64_t deadline = pl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (read_some(fd, buf, size, len, deadline) == 1)
        ;
}

int pl_stop_child(int pid, int sig, int timeout_ms)
{
    int status;
    uint64_t deadline = pl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    if (kill(pid, sig) == -1 && errno != ESRCH)
        return -1;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r == -1 && errno != EINTR)
            return -1;
        if (pl_now_ns() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) == -1)
                if (errno != EINTR)
                    return -1;
            return status;
        }
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
}

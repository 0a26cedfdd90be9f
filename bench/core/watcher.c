/* bench/core/watcher.c: see watcher.h. */
#include "core/watcher.h"
#include "core/clock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_alarm(int sig)
{
    (void)sig;    /* being delivered interrupts the blocked call */
}

static int wait_stop(int stop_fd, int ms)
{
    struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };
    return poll(&pfd, 1, ms) > 0;
}

static int partner_gone(pl_watcher *w, const struct pollfd *pidfd_poll, int n)
{
    siginfo_t si;
    if (n > 0 && w->pidfd >= 0 && (pidfd_poll->revents & POLLIN))
        return 1;
    si.si_pid = 0;
    return waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == w->pid;
}

static void *watch(void *arg)
{
    pl_watcher *w = arg;
    uint64_t deadline = pl_now_ns() + (uint64_t)w->watchdog_s * 1000000000u;
    for (;;) {
        if (pl_now_ns() >= deadline) {
            kill(w->pid, SIGKILL);          /* hung: the watchdog */
            deadline = UINT64_MAX;
        }
        struct pollfd pfd[2] = { { .fd = w->stop_fd, .events = POLLIN },
                                 { .fd = w->pidfd, .events = POLLIN } };
        int n = poll(pfd, w->pidfd >= 0 ? 2 : 1, 50);
        if (n > 0 && (pfd[0].revents & POLLIN))
            return NULL;
        if (partner_gone(w, &pfd[1], n))
            break;
    }
    do
        pthread_kill(w->target, SIGALRM);
    while (!wait_stop(w->stop_fd, 10));
    return NULL;
}

int pl_watcher_start(pl_watcher *w, pid_t pid, unsigned watchdog_s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;               /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) == -1)
        return -1;
    w->pid = pid;
    w->target = pthread_self();
    w->watchdog_s = watchdog_s;
    w->running = 0;
    w->stop_fd = -1;
    w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    w->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (w->stop_fd == -1)
        return -1;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);          /* inherited by the thread */
    int err = pthread_create(&w->thread, NULL, watch, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        errno = err;
        return -1;
    }
    w->running = 1;
    return 0;
}

void pl_watcher_stop(pl_watcher *w)
{
    if (w->running) {
        uint64_t one = 1;
        while (write(w->stop_fd, &one, sizeof one) == -1 && errno == EINTR)
            ;
        pthread_join(w->thread, NULL);
        w->running = 0;
    }
    if (w->pidfd >= 0)
        close(w->pidfd);
    if (w->stop_fd >= 0)
        close(w->stop_fd);
    w->pidfd = w->stop_fd = -1;
}

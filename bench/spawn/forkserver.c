/* bench/spawn/forkserver.c: ask a small pre-forked server to fork for us.
 *
 * Python's multiprocessing "forkserver" start method: a server process is
 * started early, while the program is still small; later, each new worker
 * is forked by that server, not by the (now big) program.  One spawn here
 * is a request byte over a socketpair, the server's fork + _exit + waitpid
 * of its own small self, and a reply byte: the cost stays flat however big
 * the parent grows.
 *
 * The server is a harness partner (core/partner.h): it dies with the
 * benchmark (PR_SET_PDEATHSIG), and the driver calls setup before it
 * allocates any ballast, so the server never carries the parent's memory. */
#include "spawn/method.h"
#include "core/partner.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum { REQUEST = 'F', DONE = 'K', FAILED = 'E', START_TIMEOUT_MS = 5000 };

static int send_byte(int fd, char c)
{
    ssize_t n;
    /* MSG_NOSIGNAL: a dead peer is EPIPE, not a SIGPIPE that kills us */
    while ((n = send(fd, &c, 1, MSG_NOSIGNAL)) == -1 && errno == EINTR)
        ;
    return n == 1 ? 0 : -1;
}

/* 1 byte read, 0 at EOF, -1 on error. */
static int recv_byte(int fd, char *c)
{
    ssize_t n;
    while ((n = read(fd, c, 1)) == -1 && errno == EINTR)
        ;
    return (int)n;
}

/* The server: one fork per request until the benchmark closes the socket. */
static int server(void *arg, int fd)
{
    (void)arg;
    if (pl_partner_ready(fd) == -1)
        return 1;
    for (;;) {
        char c;
        int r = recv_byte(fd, &c);
        if (r == 0)
            return 0;               /* the benchmark is done with us */
        if (r == -1 || c != REQUEST)
            return 1;
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        int ok = pid != -1 && pl_spawn_reap(pid) == 0;
        if (send_byte(fd, ok ? DONE : FAILED) == -1)
            return 1;
    }
}

/* One fork server per process, in static storage: a malloc here would give
 * the spawn probe a heap, one more private mapping for every fork to copy. */
static pl_partner the_server;
static int the_server_running;

static int forkserver_setup(void **ctx)
{
    pl_partner *p = &the_server;
    struct sigaction old;
    if (the_server_running) {
        errno = EBUSY;
        return -1;
    }
    if (sigaction(SIGCHLD, NULL, &old) == -1)
        return -1;
    /* cpu -1: the server inherits our affinity (the driver pinned us). */
    if (pl_partner_start(p, -1, server, NULL, START_TIMEOUT_MS) == -1) {
        int saved = errno;
        sigaction(SIGCHLD, &old, NULL);
        errno = saved;
        return -1;
    }
    /* pl_partner_start installs a SIGCHLD handler to notice a dead
     * partner.  Put the old action back: otherwise every child of every
     * later method would pay a signal delivery.  A dead server shows up
     * here as EOF on the socket instead. */
    if (sigaction(SIGCHLD, &old, NULL) == -1) {
        int saved = errno;
        pl_partner_stop(p, 1000);
        errno = saved;
        return -1;
    }
    the_server_running = 1;
    *ctx = p;
    return 0;
}

static int forkserver_once(void *ctx)
{
    pl_partner *p = ctx;
    char reply;
    if (send_byte(p->ctl_fd, REQUEST) == -1)
        return -1;
    int r = recv_byte(p->ctl_fd, &reply);
    if (r == 1 && reply == DONE)
        return 0;
    errno = r == 0 ? EPIPE : r == 1 ? ECHILD : errno;
    return -1;
}

static void forkserver_teardown(void *ctx)
{
    if (ctx) {
        pl_partner_stop(ctx, 1000);
        the_server_running = 0;
    }
}

const pl_spawn_method pl_spawn_forkserver = {
    .name = "forkserver",
    .what = "request to a small pre-forked server that forks, reaps, answers",
    .setup = forkserver_setup,
    .spawn_once = forkserver_once,
    .teardown = forkserver_teardown,
};

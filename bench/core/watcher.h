/* bench/core/watcher.h: a dead partner must never leave the parent blocked.
 *
 * The partner's SIGCHLD interrupts a blocked call -- unless it lands just
 * BEFORE the call (a message queue's receive, a futex wait: nothing else
 * wakes them).  So while a session runs, a watcher thread waits on the
 * partner (a pidfd; no cost while it lives) and, once it is gone, sends
 * SIGALRM to the measuring thread every 10 ms until the watcher is
 * stopped: whatever blocking call that thread is in, or enters, fails with
 * EINTR.  The same thread is the watchdog: after watchdog_s seconds it
 * kills the partner.  It runs with every signal blocked, so signals meant
 * for the process (a mechanism's doorbell, SIGCHLD, Ctrl-C) still go to
 * the measuring thread. */
#ifndef PROCLAB_BENCH_WATCHER_H
#define PROCLAB_BENCH_WATCHER_H

#include <pthread.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    pthread_t thread;
    pthread_t target;       /* the measuring thread (the caller of start) */
    pid_t pid;
    int pidfd;              /* -1: waitid() every 50 ms instead */
    int stop_fd;            /* eventfd: the session closes */
    unsigned watchdog_s;
    int running;
} pl_watcher;

/* A watcher that was never started (pl_watcher_stop() does nothing). */
#define PL_WATCHER_INIT { .pidfd = -1, .stop_fd = -1 }

/* Start watching pid for the calling thread.  0, or -1 with errno. */
int pl_watcher_start(pl_watcher *w, pid_t pid, unsigned watchdog_s);

/* Stop the thread and close its descriptors (safe on PL_WATCHER_INIT and
 * twice). */
void pl_watcher_stop(pl_watcher *w);

#ifdef __cplusplus
}
#endif
#endif

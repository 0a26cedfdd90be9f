/* bench/core/partner.h: the other process of a two-process benchmark.
 *
 * pl_partner_start() forks a child that pins itself to a CPU, arranges to
 * die with its parent (PR_SET_PDEATHSIG), runs fn(arg, ctl_fd) and _exits
 * with fn's return value.  fn does its own set-up, then calls
 * pl_partner_ready(ctl_fd); the parent's pl_partner_start() returns only
 * after that handshake (or fails after timeout_ms), so nothing the partner
 * does to set up is ever timed.
 *
 * ctl_fd is one end of a socketpair; the parent holds the other.  When the
 * parent calls pl_partner_stop() it closes its end (the partner sees EOF on
 * ctl_fd, or POLLHUP, whenever it looks), waits up to timeout_ms for the
 * partner to exit, and otherwise kills it with SIGKILL and reaps it.  No
 * path leaves a zombie or a stray partner, even when the partner has died
 * mid-benchmark (pl_partner_alive() tells).
 *
 * A process that has a partner and other children must wait for those
 * with waitpid(THEIR_PID, ...), never waitpid(-1, ...), which could reap the
 * partner; and must retry calls that fail with EINTR (SIGCHLD below). */
#ifndef PROCLAB_BENCH_PARTNER_H
#define PROCLAB_BENCH_PARTNER_H

#include <signal.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*pl_partner_fn)(void *arg, int ctl_fd);

/* How a partner ends: fn's return value is its exit code.  One list for
 * every family, so a parent can say what went wrong (pl_partner_exit_text). */
enum pl_partner_exit {
    PL_PARTNER_OK = 0,
    PL_PARTNER_ATTACH = 10,      /* its side of the channel could not attach */
    PL_PARTNER_RECV = 11,        /* a receive failed */
    PL_PARTNER_SEND = 12,        /* a send failed */
    PL_PARTNER_REPORT = 13,      /* the control socket (ready, report) failed */
    PL_PARTNER_NOMEM = 14,       /* out of memory */
    PL_PARTNER_WORK = 15,        /* the family's own work failed */
    PL_PARTNER_ORPHAN = 125,     /* the parent was gone before it started */
    PL_PARTNER_PIN = 126,        /* could not pin itself to its CPU */
};

/* "its attach failed", "killed by signal 9" ... for what pl_partner_stop()
 * returned (never NULL). */
const char *pl_partner_exit_text(int rc);

/* Set to 1 (in the parent) by a SIGCHLD handler that pl_partner_start()
 * installs WITHOUT SA_RESTART: when a partner dies, any blocking call the
 * parent is in (read, msgrcv, futex wait ...) returns -1/EINTR, and a spin
 * loop that checks this flag can stop.  That is how a benchmark whose
 * partner dies reports an error instead of hanging, at no cost per message.
 * Reset to 0 by pl_partner_start(). */
extern volatile sig_atomic_t pl_partner_exited;

typedef struct {
    pid_t pid;      /* 0 when not running */
    int ctl_fd;     /* parent's end of the control socketpair, -1 when closed */
    int status;     /* wait status once reaped */
    int reaped;     /* 1 once the partner has been waited for */
} pl_partner;

/* Fork the partner pinned to cpu (-1: not pinned).  Returns 0 once the
 * partner said ready, or -1 (errno set: ETIMEDOUT when no handshake came
 * in time, ECHILD when the partner exited first); on failure the partner is
 * already killed and reaped. */
int pl_partner_start(pl_partner *p, int cpu, pl_partner_fn fn, void *arg,
                     int timeout_ms);

/* Async-signal-safe: SIGKILL every partner this process has running (a
 * stop-signal handler's kill_children, core/stop.h).  pl_partner_start()
 * blocks SIGINT and SIGTERM from fork() until the new partner is
 * remembered, so a stop signal never lands while a partner runs unknown. */
void pl_partner_kill_all(void);

/* In the partner: tell the parent set-up is done.  0 or -1. */
int pl_partner_ready(int ctl_fd);

/* Has the partner exited (reaps it if so)?  1 alive, 0 gone. */
int pl_partner_alive(pl_partner *p);

/* Close the control channel, wait up to timeout_ms, then SIGKILL and reap.
 * Returns the partner's exit code (0..255), 128+signal if killed by a
 * signal (including our own SIGKILL), or -1 if there was no partner. */
int pl_partner_stop(pl_partner *p, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif

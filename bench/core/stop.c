/* bench/core/stop.c: see stop.h. */
#include "core/stop.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t in_session;
static volatile sig_atomic_t stop_signal;
static pl_stop_kill_fn kill_children;

static void die_of(int sig)
{
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_stop(int sig)
{
    stop_signal = sig;
    if (!in_session) {
        die_of(sig);
        return;
    }
    if (kill_children)
        kill_children();
}

int pl_stop_install(pl_stop_kill_fn fn)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    kill_children = fn;
    sa.sa_handler = on_stop;     /* no SA_RESTART: a blocked call returns */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        return -1;
    return 0;
}

void pl_stop_session_begin(void)
{
    in_session = 1;
}

void pl_stop_session_end(void)
{
    in_session = 0;
    if (stop_signal)
        die_of(stop_signal);
}

int pl_stop_requested(void)
{
    return stop_signal;
}

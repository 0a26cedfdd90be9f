/* bench/core/session.c: see session.h. */
#include "core/session.h"
#include "core/stop.h"

#include <errno.h>
#include <string.h>

void pl_session_init(pl_session *s)
{
    memset(s, 0, sizeof *s);
    s->p.ctl_fd = -1;
    s->w.pidfd = s->w.stop_fd = -1;
}

int pl_session_start(pl_session *s, int cpu, pl_partner_fn fn, void *arg,
                     int start_timeout_ms, unsigned watchdog_s)
{
    if (pl_partner_start(&s->p, cpu, fn, arg, start_timeout_ms) == -1)
        return -1;
    /* A stop signal that came before the fork found no partner to kill. */
    int err = pl_stop_requested() ? EINTR : 0;
    if (!err && pl_watcher_start(&s->w, s->p.pid, watchdog_s) == -1)
        err = errno;
    if (err) {
        pl_watcher_stop(&s->w);
        pl_partner_stop(&s->p, 0);
        errno = err;
        return -1;
    }
    return 0;
}

void pl_session_unwatch(pl_session *s)
{
    pl_watcher_stop(&s->w);
}

int pl_session_stop(pl_session *s, int timeout_ms)
{
    pl_watcher_stop(&s->w);
    return pl_partner_stop(&s->p, timeout_ms);
}

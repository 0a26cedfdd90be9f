/* bench/core/session.h: a partner process and its watcher, started and
 * stopped together -- the "other side" of every two-process benchmark.
 *
 *   pl_session_start()    pl_partner_start() (fork, pin, handshake), then a
 *                         watcher thread (core/watcher.h) for the caller;
 *                         fails with EINTR when a stop signal came at any
 *                         time since pl_stop_session_begin() (core/stop.h):
 *                         together with pl_partner_start() holding the stop
 *                         signals until the pid is remembered, no Ctrl-C can
 *                         land where nobody kills the partner
 *   pl_session_unwatch()  stop the watcher (before the partner's normal exit,
 *                         which the watcher would take for a death)
 *   pl_session_stop()     unwatch, then pl_partner_stop(): the partner's exit
 *                         code, 128+signal, or -1 when none ran
 *
 * The stop handler's kill_children is pl_partner_kill_all(). */
#ifndef PROCLAB_BENCH_SESSION_H
#define PROCLAB_BENCH_SESSION_H

#include "core/partner.h"
#include "core/watcher.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    pl_partner p;
    pl_watcher w;
} pl_session;

/* Call before anything else touches the session. */
void pl_session_init(pl_session *s);

/* 0, or -1 with errno (the partner, if any, is killed and reaped). */
int pl_session_start(pl_session *s, int cpu, pl_partner_fn fn, void *arg,
                     int start_timeout_ms, unsigned watchdog_s);

void pl_session_unwatch(pl_session *s);

int pl_session_stop(pl_session *s, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif

/* bench/core/stop.h: Ctrl-C and SIGTERM in a benchmark binary -- clean up,
 * then die of the signal.
 *
 * Every driver that starts processes or makes named objects needs the same
 * thing: outside a session (nothing to remove) the signal kills the process
 * at once; inside one (a partner or workers run, objects exist) the handler
 * only kills the children, so the blocked call of the measuring thread
 * fails, the session removes what it made, and pl_stop_session_end() then
 * re-raises the signal with its default action (exit status 128+SIG).
 *
 *   pl_stop_install(kill_children)  SIGINT/SIGTERM handler, no SA_RESTART;
 *                                   kill_children must be async-signal-safe
 *                                   (kill() of remembered pids)
 *   pl_stop_session_begin()         from here on a signal only kills children
 *   pl_stop_session_end()           dies of the signal if one came
 *   pl_stop_requested()             the signal that came (0: none); a session
 *                                   checks it once its children are known, so
 *                                   a signal that came before they existed is
 *                                   not lost (see pl_session_start()). */
#ifndef PROCLAB_BENCH_STOP_H
#define PROCLAB_BENCH_STOP_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*pl_stop_kill_fn)(void);

/* 0, or -1 with errno. */
int pl_stop_install(pl_stop_kill_fn kill_children);
void pl_stop_session_begin(void);
void pl_stop_session_end(void);
int pl_stop_requested(void);

#ifdef __cplusplus
}
#endif
#endif

/* bench/server/mode.h: how a server of the pool labs hands connections to
 * processes -- one entry per mode bench_server measures.
 *
 * Every mode is a lab program in build/bin (labs/pool/), started with
 * --port 0 (it prints port=N first) and stopped with SIGTERM (CONVENTIONS
 * 5); a pre-forked mode prints its per-worker split at the end:
 *   accept         prefork_server --mode accept: W workers block in accept()
 *                  on one shared listening socket
 *   reuseport      prefork_server --mode reuseport: a listening socket per
 *                  worker (SO_REUSEPORT), the kernel hashes connections
 *   passfd         prefork_server --mode passfd: the parent accepts and
 *                  passes each connection to the least busy worker
 *   fork_per_conn  fork_per_conn: a new child per connection, at most W at once */
#ifndef PROCLAB_BENCH_SERVER_MODE_H
#define PROCLAB_BENCH_SERVER_MODE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pl_server_mode {
    const char *name;
    const char *program;       /* in build/bin */
    const char *summary;       /* one line for --list */
    int prefork;               /* 1: --workers W --mode NAME; 0: --max-children W */
} pl_server_mode;

extern const pl_server_mode *const pl_server_modes[];   /* NULL-terminated */

#ifdef __cplusplus
}
#endif
#endif

/* bench/server/registry.c: the server modes bench_server measures, in order.
 * Adding one: an entry here (its program speaks loadgen's protocol). */
#include "server/mode.h"

#include <stddef.h>

static const pl_server_mode accept_mode = {
    "accept", "prefork_server", "W pre-forked workers block in accept() on one socket", 1,
};
static const pl_server_mode reuseport_mode = {
    "reuseport", "prefork_server", "a socket per worker (SO_REUSEPORT), the kernel picks", 1,
};
static const pl_server_mode passfd_mode = {
    "passfd", "prefork_server", "the parent accepts, passes each fd to the least busy worker", 1,
};
static const pl_server_mode fork_per_conn_mode = {
    "fork_per_conn", "fork_per_conn", "fork() a child per connection, at most W at once", 0,
};

const pl_server_mode *const pl_server_modes[] = {
    &accept_mode, &reuseport_mode, &passfd_mode, &fork_per_conn_mode, NULL,
};

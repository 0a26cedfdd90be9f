/* bench/ipc/registry.c: every IPC mechanism, in report order.  Adding a
 * mechanism: its file bench/ipc/NAME.c and one line in each list below. */
#include "ipc/mech.h"

#include <string.h>

extern const pl_mech pl_mech_pipe, pl_mech_fifo, pl_mech_socketpair_stream,
    pl_mech_socketpair_dgram, pl_mech_socketpair_seqpacket, pl_mech_unix_stream,
    pl_mech_tcp, pl_mech_udp, pl_mech_vmsplice, pl_mech_posix_mq, pl_mech_sysv_mq,
    pl_mech_shm_futex, pl_mech_shm_sem, pl_mech_shm_spin, pl_mech_eventfd,
    pl_mech_signal, pl_mech_process_vm, pl_mech_memfd;

const pl_mech *const pl_mechs[] = {
    &pl_mech_pipe,
    &pl_mech_fifo,
    &pl_mech_socketpair_stream,
    &pl_mech_socketpair_dgram,
    &pl_mech_socketpair_seqpacket,
    &pl_mech_unix_stream,
    &pl_mech_tcp,
    &pl_mech_udp,
    &pl_mech_vmsplice,
    &pl_mech_posix_mq,
    &pl_mech_sysv_mq,
    &pl_mech_shm_futex,
    &pl_mech_shm_sem,
    &pl_mech_shm_spin,
    &pl_mech_eventfd,
    &pl_mech_signal,
    &pl_mech_process_vm,
    &pl_mech_memfd,
    NULL,
};

const pl_mech *pl_mech_find(const char *name)
{
    for (const pl_mech *const *m = pl_mechs; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}

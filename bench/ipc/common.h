/* bench/ipc/common.h: small helpers any mechanism file may use.
 *
 * Everything here follows the rules of mech.h: no output, -1 with errno on
 * failure, and an EINTR from a blocking call passes up unchanged (that is
 * how the parent learns its partner died).
 *
 *   pl_ipc_name()      "/proclab-<uid>-<pid>-<rand>-<what>" for POSIX shm,
 *                      mqueue, semaphores (pid = the creating process; rand:
 *                      8 random hex digits, a fresh one each call)
 *   pl_ipc_tmpdir()    a private mkdtemp directory "/tmp/proclab-<uid>-
 *                      <pid>-XXXXXX" (mode 0700) for FIFOs and sockets;
 *                      pl_ipc_tmpdir_remove() removes it and what is in it
 *   pl_ipc_read_full() / pl_ipc_write_full()
 *                      exactly len bytes over a stream descriptor, looping
 *                      over short counts; end of file is EPIPE
 *
 * Driver-level capability bits beyond mech.h's PL_CAP_* (the driver reads
 * them from pl_mech.caps too): */
#ifndef PROCLAB_BENCH_IPC_COMMON_H
#define PROCLAB_BENCH_IPC_COMMON_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    /* May lose messages with no error (datagrams without flow control, e.g.
     * udp): the throughput benchmark counts and reports drops instead of
     * failing, and resends its stop message until the receiver answers. */
    PL_CAP_MAY_DROP = 1u << 8,
};

/* Room for any name or path made here. */
enum { PL_IPC_NAME_MAX = 108 };   /* also fits sockaddr_un.sun_path */

/* "/proclab-<uid>-<pid>-<rand>-<what>" into buf; 0, or -1 (ENAMETOOLONG).
 * Open with O_EXCL and call again for a new name on EEXIST. */
int pl_ipc_name(char *buf, size_t size, const char *what);

/* Make a private directory "/tmp/proclab-<uid>-<pid>-XXXXXX" (0700) and
 * put its path in dir; 0 or -1 with errno. */
int pl_ipc_tmpdir(char *dir, size_t size);

/* "DIR/NAME" into buf; 0, or -1 (ENAMETOOLONG). */
int pl_ipc_path(char *buf, size_t size, const char *dir, const char *name);

/* Remove every entry of dir (no subdirectories expected), then dir itself.
 * Safe to call with an empty string (does nothing). Keeps errno. */
void pl_ipc_tmpdir_remove(const char *dir);

/* Read exactly len bytes: 0, or -1 with errno (EPIPE at end of file,
 * EINTR unchanged -- the bytes already read are then lost, which only
 * happens when the benchmark is over anyway). */
int pl_ipc_read_full(int fd, void *buf, size_t len);

/* Write exactly len bytes: 0, or -1 with errno (EINTR unchanged). */
int pl_ipc_write_full(int fd, const void *buf, size_t len);

/* Close *fd if >= 0 and set it to -1; keeps errno. */
void pl_ipc_close(int *fd);

/* A zeroed buffer for messages the benchmark sends or receives: page-aligned
 * from 4 KiB up (the kernel copies whole pages faster, vmsplice and
 * process_vm care), else 64-byte aligned (one cache line: a buffer 16 bytes
 * off a line boundary copies measurably slower).  free() it; NULL + errno. */
void *pl_ipc_buf_alloc(size_t bytes);

#ifdef __cplusplus
}
#endif
#endif

/* unlink_on_signal.c (exercise): a named IPC object
 * outlives its creator unless someone removes it, also on Ctrl-C.
 *
 * The program creates a POSIX shared-memory object (/dev/shm/proclab-UID-
 * PID-...), prints "ready NAME" and serves until its stdin reaches EOF (at
 * most 5 s), then removes the object and exits 0.  Ctrl-C (SIGINT) or
 * SIGTERM kill it by default before it can remove anything: the object
 * stays in /dev/shm until reboot.  A signal handler must not call
 * shm_unlink itself (not async-signal-safe): it only records the signal;
 * poll() then fails with EINTR, the main loop sees the flag, cleans up,
 * and dies of the same signal so that its parent sees how it ended.
 *
 * Task: at the TODO, install the handler for SIGINT and SIGTERM.
 * Grade: make grade EX=unlink_on_signal SRC=your_copy.c
 * Usage: unlink_on_signal
 */
#include "lab.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>

#define SERVE_LIMIT_MS 5000

static volatile sig_atomic_t stop_signal;

__attribute__((unused)) static void on_stop_signal(int sig) { stop_signal = sig; }

static void install_handlers(void)
{
    /* TODO: call on_stop_signal for SIGINT and SIGTERM (sigaction, without
     * SA_RESTART so that the poll() below returns with EINTR). */
}

/* Create the object: a fresh name on the rare EEXIST. */
static int create_object(char *name, size_t size)
{
    for (;;) {
        lab_ipc_name(name, size, "exercise");
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd != -1)
            return fd;
        if (errno != EEXIST)
            errExit("shm_open %s", name);
    }
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s\nCreate a shared-memory object, serve until stdin ends, "
               "remove it (also on Ctrl-C).\n", lab_progname);
        return 0;
    }
    if (argc > 1)
        usageErr("no arguments expected");

    char name[128];
    install_handlers();
    int fd = create_object(name, sizeof name);
    if (ftruncate(fd, 4096) == -1)
        errExit("ftruncate");
    char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED)
        errExit("mmap");
    if (close(fd) == -1)
        errExit("close");
    snprintf(mem, 4096, "hello from %ld", (long)getpid());
    printf("ready %s\n", name);
    fflush(stdout);

    long long deadline = now_ns() + SERVE_LIMIT_MS * 1000000LL;
    while (!stop_signal) {
        long left_ms = (long)((deadline - now_ns()) / 1000000);
        if (left_ms <= 0)
            break;
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        int ready = poll(&p, 1, (int)left_ms);
        if (ready == -1 && errno != EINTR)
            errExit("poll");
        if (ready == 1) {
            char buf[256];
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n == -1 && errno != EINTR)
                errExit("read");
            if (n == 0)
                break;                  /* EOF: done serving */
        }
    }

    if (munmap(mem, 4096) == -1)
        errExit("munmap");
    if (shm_unlink(name) == -1)
        errExit("shm_unlink %s", name);
    if (stop_signal) {
        printf("removed %s, dying of signal %d\n", name, (int)stop_signal);
        fflush(stdout);
        if (signal(stop_signal, SIG_DFL) == SIG_ERR || raise(stop_signal) != 0)
            errExit("signal");
    }
    printf("removed %s\n", name);
    return 0;
}

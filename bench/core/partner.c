/* bench/core/partner.c: fork, pin, handshake, guaranteed teardown. */
#include "core/partner.h"
#include "core/placement.h"

#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t pl_partner_exited;

/* Partners of this process, so the SIGCHLD handler can tell a partner's
 * death from that of any other child (a spawn benchmark reaps thousands). */
enum { MAX_PARTNERS = 64 };
static volatile pid_t partner_pids[MAX_PARTNERS];

static void on_sigchld(int sig)
{
    int saved = errno;
    (void)sig;
    for (int i = 0; i < MAX_PARTNERS; i++) {
        pid_t pid = partner_pids[i];
        siginfo_t si;
        if (pid <= 0)
            continue;
        si.si_pid = 0;
        /* WNOWAIT: look without reaping; pl_partner_* reaps. */
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid == pid)
            pl_partner_exited = 1;
    }
    errno = saved;
}

void pl_partner_kill_all(void)
{
    for (int i = 0; i < MAX_PARTNERS; i++) {
        pid_t pid = partner_pids[i];
        if (pid > 0)
            kill(pid, SIGKILL);
    }
}

const char *pl_partner_exit_text(int rc)
{
    static const char *const signals[] = {
        [SIGKILL] = "killed by signal 9", [SIGSEGV] = "killed by signal 11 (a crash)",
        [SIGABRT] = "killed by signal 6 (abort)", [SIGTERM] = "killed by signal 15",
    };
    switch (rc) {
    case PL_PARTNER_OK: return "exited normally";
    case PL_PARTNER_ATTACH: return "its attach failed";
    case PL_PARTNER_RECV: return "a receive failed";
    case PL_PARTNER_SEND: return "a send failed";
    case PL_PARTNER_REPORT: return "its control socket failed";
    case PL_PARTNER_NOMEM: return "out of memory";
    case PL_PARTNER_WORK: return "its work failed";
    case PL_PARTNER_ORPHAN: return "its parent was gone";
    case PL_PARTNER_PIN: return "pinning it failed";
    default: break;
    }
    if (rc > 128 && rc - 128 < (int)(sizeof signals / sizeof *signals) && signals[rc - 128])
        return signals[rc - 128];
    return rc > 128 ? "killed by a signal" : "an unknown exit code";
}

static void remember(pid_t pid)
{
    for (int i = 0; i < MAX_PARTNERS; i++)
        if (partner_pids[i] == 0) {
            partner_pids[i] = pid;
            return;
        }
}

static void forget(pid_t pid)
{
    for (int i = 0; i < MAX_PARTNERS; i++)
        if (partner_pids[i] == pid)
            partner_pids[i] = 0;
}

static int install_sigchld(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_NOCLDSTOP;   /* no SA_RESTART: blocking calls see EINTR */
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGCHLD, &sa, NULL);
}

static long long ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whole milliseconds left until deadline (ns), rounded up: a wait never
 * ends before its deadline.  0 once it has passed. */
static long long ms_left(long long deadline)
{
    long long left = deadline - ns_now();
    return left <= 0 ? 0 : (left + 999999) / 1000000;
}

/* Wait up to timeout_ms for pid to exit; 1 if reaped (status set), 0 if not. */
static int reap_within(pid_t pid, int *status, int timeout_ms)
{
    long long deadline = ns_now() + timeout_ms * 1000000LL;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            break;
        if (r == -1 && errno != EINTR) {
            if (pidfd >= 0)
                close(pidfd);
            return errno == ECHILD ? 1 : 0;
        }
        long long left = ms_left(deadline);
        if (left <= 0) {
            if (pidfd >= 0)
                close(pidfd);
            return 0;
        }
        if (pidfd >= 0) {
            struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
            poll(&pfd, 1, (int)(left < 50 ? left : 50));
        } else {
            struct timespec ts = { 0, 1000000 };
            nanosleep(&ts, NULL);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return 1;
}

static void kill_and_reap(pl_partner *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, &p->status, 0) == -1 && errno == EINTR)
            ;
        forget(p->pid);
        p->pid = 0;
        p->reaped = 1;
    }
    if (p->ctl_fd >= 0) {
        close(p->ctl_fd);
        p->ctl_fd = -1;
    }
}

static void run_partner(int cpu, pl_partner_fn fn, void *arg, int ctl_fd, pid_t parent,
                        const sigset_t *mask)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, NULL);
    /* Die with the parent, even if it is SIGKILLed: never a stray partner. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
        _exit(PL_PARTNER_ORPHAN);
    pthread_sigmask(SIG_SETMASK, mask, NULL);
    if (cpu >= 0 && pl_pin_self(cpu) == -1)
        _exit(PL_PARTNER_PIN);
    _exit(fn(arg, ctl_fd) & 0xff);
}

int pl_partner_start(pl_partner *p, int cpu, pl_partner_fn fn, void *arg, int timeout_ms)
{
    int sv[2];
    pid_t parent = getpid();

    p->pid = 0;
    p->ctl_fd = -1;
    p->status = 0;
    p->reaped = 0;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
        return -1;
    if (install_sigchld() == -1)
        goto fail_fds;
    pl_partner_exited = 0;
    fflush(NULL);    /* no stdio buffer copied into the partner */
    /* A stop signal between fork() and remember() would find no partner to
     * kill, and the run would go on: hold SIGINT/SIGTERM until the pid is
     * known (pl_partner_kill_all()); a pending one is delivered right after. */
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    pid_t pid = fork();
    if (pid == -1) {
        int saved = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = saved;
        goto fail_fds;
    }
    if (pid == 0) {
        close(sv[0]);
        run_partner(cpu, fn, arg, sv[1], parent, &old);
    }
    close(sv[1]);
    p->pid = pid;
    p->ctl_fd = sv[0];
    remember(pid);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    /* The handshake: one byte 'R' once the partner's set-up is done. */
    long long deadline = ns_now() + timeout_ms * 1000000LL;
    for (;;) {
        long long left = ms_left(deadline);
        struct pollfd pfd = { .fd = p->ctl_fd, .events = POLLIN };
        int n = left > 0 ? poll(&pfd, 1, (int)left) : 0;
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n == 0 ? ETIMEDOUT : errno;
            kill_and_reap(p);
            errno = saved;
            return -1;
        }
        char c;
        ssize_t r = read(p->ctl_fd, &c, 1);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == 1 && c == 'R')
            return 0;
        kill_and_reap(p);       /* EOF: the partner exited before ready */
        errno = ECHILD;
        return -1;
    }

fail_fds:
    {
        int saved = errno;
        close(sv[0]);
        close(sv[1]);
        errno = saved;
    }
    return -1;
}

int pl_partner_ready(int ctl_fd)
{
    char c = 'R';
    ssize_t w;
    while ((w = write(ctl_fd, &c, 1)) == -1 && errno == EINTR)
        ;
    return w == 1 ? 0 : -1;
}

int pl_partner_alive(pl_partner *p)
{
    if (p->pid <= 0)
        return 0;
    pid_t r = waitpid(p->pid, &p->status, WNOHANG);
    if (r == 0)
        return 1;
    if (r == p->pid || (r == -1 && errno == ECHILD)) {
        forget(p->pid);
        p->pid = 0;
        p->reaped = 1;
    }
    return r == -1 && errno != ECHILD ? 1 : 0;
}

int pl_partner_stop(pl_partner *p, int timeout_ms)
{
    int had_partner = p->pid > 0 || p->reaped;

    if (p->ctl_fd >= 0) {
        close(p->ctl_fd);
        p->ctl_fd = -1;
    }
    if (p->pid > 0) {
        if (reap_within(p->pid, &p->status, timeout_ms)) {
            forget(p->pid);
            p->pid = 0;
            p->reaped = 1;
        } else {
            kill_and_reap(p);
        }
    }
    if (!had_partner)
        return -1;
    if (WIFEXITED(p->status))
        return WEXITSTATUS(p->status);
    if (WIFSIGNALED(p->status))
        return 128 + WTERMSIG(p->status);
    return -1;
}

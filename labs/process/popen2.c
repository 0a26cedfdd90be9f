/* popen2.c: run a command on three pipes, and talk to it without deadlock.
 *
 * Lesson: this is subprocess.Popen(cmd, stdin=PIPE, stdout=PIPE, stderr=PIPE)
 * followed by communicate(input, timeout).  Three pipes are made; the child
 * is started with posix_spawn, whose file actions dup2 the pipe ends onto
 * its fds 0, 1 and 2 and close the rest.  (It starts this program again in a
 * hidden mode that makes the command die with us, then execs the command.)  The parent then writes stdin and
 * reads stdout and stderr *at the same time*, with poll(), until both
 * outputs reach EOF, and reaps the child.  A deadline bounds it all: at the
 * timeout the child is killed, then reaped.
 *
 * The pitfall: --naive writes all of stdin before reading anything.  With
 * `cat`, input beyond three pipe buffers (64 KiB each by default on Linux:
 * one fills cat's stdout pipe, one waits inside cat, blocked writing it, one
 * fills cat's stdin pipe; 196608 bytes pass, 196609 do not) means cat blocks
 * writing its full stdout, stops reading stdin, and the parent blocks
 * writing stdin: each waits for the other forever.  A watchdog
 * thread sees that nothing moved for --timeout seconds, kills the child and
 * reports "deadlock" (exit 3).
 *
 * Watch for: received=67108864 without --naive; "deadlock" with it;
 * stderr=K counted apart from stdout; status=signal:SIGKILL after a timeout.
 *
 * Try:
 *   ./popen2 --bytes 64M -- cat
 *   ./popen2 --naive --timeout 2 --bytes 64M -- cat; echo "exit $?"
 *   ./popen2 -- sh -c 'cat; echo oops >&2; exit 4'
 *   ./popen2 --fd-table fds.csv --bytes 10 -- cat   # who holds which pipe end
 *
 * Exit: 0 the child exited 0, 1 it did not (or an error, timeout, command
 *       not found: status=127), 2 bad arguments, 3 deadlock (--naive).
 * Usage: popen2 [--naive] [--timeout SEC] [--bytes N] [--fd-table FILE] -- CMD [ARG...]
 * Python: subprocess.Popen(args, stdin=PIPE, stdout=PIPE, stderr=PIPE),
 *         communicate(input, timeout), poll(), kill(), returncode
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>

extern char **environ;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--naive] [--timeout SEC] [--bytes N] [--fd-table FILE] -- CMD [ARG...]\n"
            "Run CMD with stdin, stdout and stderr on pipes; send it N bytes, count\n"
            "what comes back, print 'sent=N received=M stderr=K status=S'.\n"
            "  -b, --bytes N      pseudo-random bytes to write to CMD's stdin\n"
            "                     (0..1G, K/M/G suffixes, default 1M)\n"
            "  -t, --timeout SEC  kill CMD after SEC seconds (--naive: after SEC\n"
            "                     seconds without progress) (1..3600, default 10)\n"
            "      --naive        write all of stdin before reading: may deadlock\n"
            "      --fd-table FILE  write both fd tables (after pipe, after spawn,\n"
            "                     after closing the child's ends) as CSV for\n"
            "                     scripts/fd_table.py\n"
            "  -h, --help         this help\n",
            lab_progname);
    exit(status);
}

enum { IN, OUT, ERR };                  /* the child's fds 0, 1, 2 */
static long long to_send, sent, got[3]; /* got[OUT], got[ERR] */
static char chunk[65536];
static size_t chunk_len, chunk_off;     /* unsent part of chunk */
static unsigned long long rng = 88172645463325252ULL;  /* fixed seed */

/* The next bytes of input: xorshift64, the same every run. */
static void refill(void)
{
    chunk_len = to_send - sent < (long long)sizeof chunk ? (size_t)(to_send - sent) : sizeof chunk;
    for (size_t i = 0; i < chunk_len; i++) {
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        chunk[i] = (char)rng;
    }
    chunk_off = 0;
}

/* Started with fd 0, 1 or 2 closed (`popen2 -- cat <&-`), pipe() would hand
 * that number out again, and the file actions below (dup2 onto 0..2, then
 * close every original end) would close the child's stdin.  So fill any gap
 * among 0..2 with /dev/null first: pipes then never land there. */
static void fill_std_fds(void)
{
    for (;;) {
        int fd = open("/dev/null", O_RDWR);
        if (fd == -1)
            errExit("open /dev/null");
        if (fd > 2) {
            if (close(fd) == -1)
                errExit("close");
            return;
        }
    }
}

/* The command must die with us, even if we are killed with SIGKILL, and
 * posix_spawn has no attribute for PR_SET_PDEATHSIG.  So we spawn ourselves
 * in a hidden mode first (GUARD_ARG): that process arms the guard, which
 * survives exec, and then execs the command.  Whether that exec worked comes
 * back on an error pipe, fd ERR_FD in the child, marked close-on-exec there:
 * EOF means the command runs; an int means exec failed with that errno.
 * (Python's subprocess reports exec errors the same way.) */
#define GUARD_ARG "--exec-guarded-by"
#define ERR_FD 3

/* argv: popen2 GUARD_ARG PARENT_PID CMD [ARG...]: the spawned side. */
_Noreturn static void guarded_exec(char *argv[])
{
    lab_die_with_parent((pid_t)strtol(argv[2], NULL, 10));
    int err = errno = 0;
    if (fcntl(ERR_FD, F_SETFD, FD_CLOEXEC) == 0) {
        execvp(argv[3], &argv[3]);
        err = errno;
    } else {
        err = errno;
    }
    if (write(ERR_FD, &err, sizeof err) != (ssize_t)sizeof err) {
        /* the parent reads EOF: it will see exit 127 */
    }
    _exit(127);
}

/* After a successful spawn: wait (bounded) for the exec verdict.  Returns 0
 * when the command runs, else the errno of its failed exec (the child is
 * then reaped). */
static int exec_verdict(pid_t pid, int errfd)
{
    struct pollfd pfd = { .fd = errfd, .events = POLLIN };
    int err = 0, status;
    ssize_t n;
    int ready = poll(&pfd, 1, 10000);
    if (ready == -1)
        errExit("poll");
    if (ready == 0) {
        kill_and_reap(pid);
        fatal("the command was not started within 10 s");
    }
    while ((n = read(errfd, &err, sizeof err)) == -1 && errno == EINTR)
        ;
    if (n == -1)
        errExit("read exec status");
    if (n == 0)
        return 0;                       /* EOF: exec closed the pipe */
    if (waitpid(pid, &status, 0) == -1)
        errExit("waitpid");
    return err != 0 ? err : EIO;
}

/* Spawn argv on three pipes; parent[i] gets our end of the child's fd i. */
static pid_t spawn_on_pipes(char *argv[], int parent[3])
{
    int p[3][2];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t pipe_only;
    pid_t pid;
    int rc;

    for (int i = 0; i < 3; i++)
        if (pipe(p[i]) == -1)
            errExit("pipe");
    lab_fd_table_snapshot("parent", "1 after pipe x3");
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
        errExitEN(rc, "posix_spawn_file_actions_init");
    /* In the child: the child's end of each pipe becomes fd 0, 1, 2 ... */
    rc = posix_spawn_file_actions_adddup2(&fa, p[IN][0], 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, p[OUT][1], 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, p[ERR][1], 2);
    /* ... then every original end is closed.  A write end left open in the
     * child (even our end of its stdin) means a reader never sees EOF. */
    for (int i = 0; i < 3 && rc == 0; i++)
        if ((rc = posix_spawn_file_actions_addclose(&fa, p[i][0])) == 0)
            rc = posix_spawn_file_actions_addclose(&fa, p[i][1]);
    /* ... and the exec-status pipe goes to ERR_FD (pipes never sit on 0..2,
     * see fill_std_fds, and every fd above was closed first). */
    int errp[2];
    if (pipe2(errp, O_CLOEXEC) == -1)
        errExit("pipe2");
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, errp[1], ERR_FD);
    if (rc != 0)
        errExitEN(rc, "posix_spawn_file_actions_add*");
    /* We ignore SIGPIPE; an ignored signal stays ignored across exec, so give
     * the child the default back (Popen's restore_signals=True). */
    if ((rc = posix_spawnattr_init(&attr)) != 0)
        errExitEN(rc, "posix_spawnattr_init");
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    if ((rc = posix_spawnattr_setsigdefault(&attr, &pipe_only)) != 0 ||
        (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF)) != 0)
        errExitEN(rc, "posix_spawnattr");
    int n = 0;
    while (argv[n] != NULL)
        n++;
    char parent_pid[24], **guard_argv = calloc((size_t)n + 4, sizeof *guard_argv);
    if (guard_argv == NULL)
        errExit("calloc");
    snprintf(parent_pid, sizeof parent_pid, "%ld", (long)getpid());
    guard_argv[0] = (char *)lab_progname;
    guard_argv[1] = GUARD_ARG;
    guard_argv[2] = parent_pid;
    memcpy(&guard_argv[3], argv, ((size_t)n + 1) * sizeof *argv);
    rc = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, guard_argv, environ);
    free(guard_argv);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (close(errp[1]) == -1)
        errExit("close");
    if (rc == 0)
        rc = exec_verdict(pid, errp[0]);
    if (close(errp[0]) == -1)
        errExit("close");
    /* In the parent, close the child's ends: our copy of a write end would
     * keep its pipe open, and we would never read EOF on stdout or stderr. */
    if (rc == 0)    /* the child has exec'd: its table is final */
        lab_fd_table_snapshot_of(pid, "child", "2 after spawn");
    for (int i = 0; i < 3; i++)
        if (close(i == IN ? p[i][0] : p[i][1]) == -1)
            errExit("close");
    lab_fd_table_snapshot("parent", "3 after closing the child's ends");
    parent[IN] = p[IN][1], parent[OUT] = p[OUT][0], parent[ERR] = p[ERR][0];
    if (rc != 0) {
        for (int i = 0; i < 3; i++)
            close(parent[i]);
        errno = rc;
        return -1;
    }
    return pid;
}

/* Write what the pipe takes now.  Returns false when stdin is finished (all
 * sent, or EPIPE: the child stopped reading, which is not an error). */
static bool feed(int fd)
{
    if (chunk_off == chunk_len)
        refill();
    ssize_t w = write(fd, chunk + chunk_off, chunk_len - chunk_off);
    if (w == -1) {
        if (errno == EPIPE)
            return false;
        if (errno == EINTR || errno == EAGAIN)
            return true;
        errExit("write to child's stdin");
    }
    chunk_off += (size_t)w;
    sent += w;
    return sent < to_send;
}

/* Read what is there; returns false at EOF. */
static bool drain(int fd, int which)
{
    char buf[65536];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r == -1) {
        if (errno == EINTR)
            return true;
        errExit("read from child");
    }
    got[which] += r;
    return r > 0;
}

static void close_checked(int fd)
{
    if (close(fd) == -1)
        errExit("close");
}

/* communicate(): poll all three until both outputs hit EOF or the deadline.
 * Closes our ends; returns false at the deadline. */
static bool communicate(int fd[3], long long deadline)
{
    bool open_[3] = { true, true, true }, in_time = true;
    if (fcntl(fd[IN], F_SETFL, O_NONBLOCK) == -1)   /* never block in write */
        errExit("fcntl");
    if (to_send == 0)
        close_checked(fd[IN]), open_[IN] = false;   /* EOF for the child's stdin */
    while (open_[OUT] || open_[ERR]) {
        struct pollfd p[3];
        for (int i = 0; i < 3; i++)
            p[i] = (struct pollfd){ .fd = open_[i] ? fd[i] : -1,
                                    .events = i == IN ? POLLOUT : POLLIN };
        long long left_ms = (deadline - now_ns()) / 1000000;
        if (left_ms <= 0) {
            in_time = false;
            break;
        }
        if (poll(p, 3, (int)left_ms) == -1 && errno != EINTR)
            errExit("poll");
        if (open_[IN] && p[IN].revents && !feed(fd[IN]))
            close_checked(fd[IN]), open_[IN] = false;
        for (int i = OUT; i <= ERR; i++)
            if (open_[i] && p[i].revents && !drain(fd[i], i))
                close_checked(fd[i]), open_[i] = false;
    }
    for (int i = 0; i < 3; i++)
        if (open_[i])
            close_checked(fd[i]);
    return in_time;
}

/* The watchdog for --naive: if no byte moved for `timeout` seconds, kill the
 * child.  Its death closes its pipe ends, so our blocked write fails with
 * EPIPE and our read sees EOF: the main thread is free again. */
static _Atomic long long moved;         /* bytes written + read so far */
static _Atomic bool finished, stalled;
static pid_t child_pid;
static long timeout = 10;

static void *watchdog(void *arg)
{
    long long last = -1, since = now_ns();
    (void)arg;
    while (!finished) {
        if (moved != last)
            last = moved, since = now_ns();
        else if (now_ns() - since >= timeout * 1000000000LL) {
            stalled = true;
            if (kill(child_pid, SIGKILL) == -1)
                err_exit("kill");
            break;
        }
        sleep_ms(20);
    }
    return NULL;
}

/* The naive order: all of stdin, then all of stdout, then all of stderr,
 * with blocking calls.  Returns false if the watchdog had to step in. */
static bool naive(int fd[3])
{
    pthread_t tid;
    int rc = pthread_create(&tid, NULL, watchdog, NULL);
    if (rc != 0)
        errExitEN(rc, "pthread_create");
    while (sent < to_send) {
        long long before = sent;
        if (!feed(fd[IN]))
            break;
        moved += sent - before;
    }
    close_checked(fd[IN]);
    for (int i = OUT; i <= ERR; i++) {
        long long before = got[i];
        while (drain(fd[i], i)) {
            moved += got[i] - before;
            before = got[i];
        }
        close_checked(fd[i]);
    }
    finished = true;
    if ((rc = pthread_join(tid, NULL)) != 0)
        errExitEN(rc, "pthread_join");
    return !stalled;
}

/* Ctrl-C or kill: take the child along (as subprocess.run does when
 * interrupted), reap it, then die of the same signal.  kill and waitpid are
 * async-signal-safe. */
static void on_interrupt(int sig)
{
    kill(child_pid, SIGKILL);
    waitpid(child_pid, NULL, 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "bytes", required_argument, NULL, 'b' },
        { "timeout", required_argument, NULL, 't' },
        { "naive", no_argument, NULL, 'N' },
        { "fd-table", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool naive_mode = false;
    int opt, fd[3], status;
    char how[32];

    if (argc >= 4 && strcmp(argv[1], GUARD_ARG) == 0)
        guarded_exec(argv);             /* we are the spawned side */
    lab_init(argv[0]);
    to_send = 1 << 20;
    /* '+': stop at the first non-option, so CMD's own options stay its own. */
    while ((opt = getopt_long(argc, argv, "+b:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'b': to_send = parse_bytes("--bytes", optarg, 0, 1LL << 30); break;
        case 't': timeout = parse_long("--timeout", optarg, 1, 3600); break;
        case 'N': naive_mode = true; break;
        case 'F': lab_fd_table_open(optarg); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind == argc)
        usageErr("a command is required after --");
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)     /* EPIPE from write instead */
        errExit("signal");

    long long deadline = now_ns() + timeout * 1000000000LL;
    fill_std_fds();
    pid_t pid = child_pid = spawn_on_pipes(&argv[optind], fd);
    if (pid == -1 && (errno == ENOENT || errno == EACCES || errno == ENOTDIR)) {
        /* exec failed: like a shell */
        fprintf(stderr, "%s: %s: command not found (%s)\n", lab_progname, argv[optind],
                strerror(errno));
        printf("sent=0 received=0 stderr=0 status=127\n");
        return EXIT_FAILURE;
    }
    if (pid == -1)      /* no process at all (EAGAIN: RLIMIT_NPROC), not "not found" */
        errExit("posix_spawn %s", argv[optind]);
    struct sigaction sa = { .sa_handler = on_interrupt };
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        errExit("sigaction");
    if (naive_mode && !naive(fd)) {
        fprintf(stderr, "%s: deadlock: nothing moved for %ld s (sent %lld of %lld bytes, "
                "received %lld); the child was killed\n",
                lab_progname, timeout, sent, to_send, got[OUT]);
        kill_and_reap(pid);             /* already dead: this reaps it */
        return 3;
    }
    if (!naive_mode && !communicate(fd, deadline)) {
        fprintf(stderr, "%s: timeout after %ld s: killing the child\n", lab_progname, timeout);
        if (kill(pid, SIGKILL) == -1)
            errExit("kill");
    }
    long left_ms = (long)((deadline - now_ns()) / 1000000);
    pid_t r = wait_child_for(pid, &status, left_ms > 1000 ? left_ms : 1000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {                       /* closed its outputs but lives on */
        fprintf(stderr, "%s: timeout after %ld s: killing the child\n", lab_progname, timeout);
        if (kill(pid, SIGKILL) == -1)
            errExit("kill");
        if (wait_child_for(pid, &status, 10000) <= 0)
            errExit("waitpid after SIGKILL");
    }
    if (WIFEXITED(status))
        snprintf(how, sizeof how, "%d", WEXITSTATUS(status));
    else
        describe_status(status, how, sizeof how);
    printf("sent=%lld received=%lld stderr=%lld status=%s\n", sent, got[OUT], got[ERR], how);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

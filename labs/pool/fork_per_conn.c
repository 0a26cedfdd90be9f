/* fork_per_conn.c: a child per connection, reaped by a SIGCHLD handler.
 *
 * Lesson: the oldest server design (inetd, classic game and mail servers):
 * the parent only accept()s; every connection gets a fresh fork()ed child
 * that serves it and exits.  A crash in one child cannot hurt another
 * client, and the code is as simple as serving one client.  The costs: a
 * fork per connection, and the parent now owes every child a wait().
 *
 * The reaping is done the classic way, in a SIGCHLD handler:
 *   - it loops on waitpid(-1, WNOHANG): signals do not queue, so one
 *     SIGCHLD may stand for several dead children;
 *   - it saves and restores errno, which waitpid changes under the feet of
 *     the code it interrupted;
 *   - SIGCHLD stays blocked except while the parent waits in ppoll() (and
 *     for a moment right after a busy ppoll, when the parent opens the mask
 *     on purpose), so the handler never runs in the middle of the parent's
 *     own bookkeeping.
 * A bound on live children (--max-children) keeps a flood of connections
 * from becoming a flood of processes: at the bound the parent stops
 * accepting, and new clients wait in the listen backlog.
 *
 * The pitfall (--no-reap): a handler that does not wait.  Every finished
 * child stays a zombie (state Z in ps) holding a process-table slot; they
 * count against the bound, so the server stops accepting for good.
 *
 * The protocol is prefork_server's (loadgen speaks it); stopping is the
 * same: SIGTERM/SIGINT, --requests-limit or --time-limit; children finish
 * the request they are on.
 *
 * Watch for: "at most K at once" against the bound; with --no-reap, the
 * zombies counted at the end and loadgen's timeouts.
 *
 * Try:
 *   ./fork_per_conn --port 0 &                     # prints port=N
 *   ./loadgen --port N --requests 2000 --conns 8 --per-conn 10; kill %1
 *   ./fork_per_conn --port 0 --max-children 2 --no-reap &
 *   ps -o pid,ppid,stat,args --ppid $!             # Z: zombies
 *
 * Exit: 0 stopped cleanly, 1 an error (or a child failed), 2 bad arguments.
 * Usage: fork_per_conn [--port P] [--max-children N] [--no-reap] [--requests-limit R] [--time-limit S]
 * Python: socketserver.ForkingTCPServer (ForkingMixIn reaps in
 *         collect_children(), max_children = 40), signal.signal(SIGCHLD, ...)
 */
#include "../lab.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define PROGRESS_NS 10000000000LL        /* a progress line every 10 s */

enum { MAX_CHILDREN = 1024, MAX_PAYLOAD = 65536, IDLE_TIMEOUT_MS = 2000,
       STOP_TIMEOUT_MS = 3000, TICK_MS = 50 };

/* The live children's pids: written by the parent, and by the SIGCHLD
 * handler, which runs only inside ppoll() (SIGCHLD is blocked elsewhere). */
static pid_t live[MAX_CHILDREN];
static int live_count, max_children = 64;
static long started, reaped, failed_children;
static bool no_reap, stopping;

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) { stop_signal = sig; }

static void forget_child(pid_t pid)
{
    for (int i = 0; i < live_count; i++)
        if (live[i] == pid) {
            live[i] = live[--live_count];
            return;
        }
}

/* The lesson's handler: reap every child that has ended, not just one. */
static void on_sigchld(int sig)
{
    (void)sig;
    if (no_reap)                        /* the pitfall: nobody waits */
        return;
    int saved_errno = errno, status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        forget_child(pid);
        reaped++;
        bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        bool stopped = stopping && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
        if (!clean && !stopped)
            failed_children++;
    }
    errno = saved_errno;
}

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--port P] [--max-children N] [--no-reap] [--requests-limit R] [--time-limit S]\n"
            "Fork a child per connection (prefork_server's echo protocol, 127.0.0.1);\n"
            "a SIGCHLD handler reaps them.\n"
            "  -p, --port P            TCP port on 127.0.0.1, 0 = any free one (default 0);\n"
            "                          the first line printed is port=N\n"
            "  -c, --max-children N    live children at most, 1..%d (default 64); at the\n"
            "                          bound new connections wait in the backlog\n"
            "      --no-reap           the pitfall: the handler does not wait; zombies pile up\n"
            "  -r, --requests-limit R  stop after R requests in all (0 = no limit, default)\n"
            "  -t, --time-limit S      stop after S seconds, 1..86400 (default 300)\n"
            "  -h, --help              this help\n"
            "Stops on SIGTERM or SIGINT too.\n",
            lab_progname, MAX_CHILDREN);
    exit(status);
}

/* ---- the protocol (as in prefork_server.c) -------------------------------- */

static uint32_t fnv1a(const unsigned char *data, size_t n)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        hash ^= data[i];
        hash *= 16777619u;
    }
    return hash;
}

static bool sigterm_pending(void)
{
    sigset_t pending;
    return sigpending(&pending) == 0 && sigismember(&pending, SIGTERM);
}

static void serve_connection(int conn, atomic_long *requests)
{
    static unsigned char reply[12 + MAX_PAYLOAD];
    unsigned char *payload = reply + 12;
    uint32_t seq = 0, len;
    struct timeval idle = { IDLE_TIMEOUT_MS / 1000, (IDLE_TIMEOUT_MS % 1000) * 1000 };
    int one = 1;

    if (setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) == -1 ||
        setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle) == -1 ||
        setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
        err_exit("setsockopt");
    while (!sigterm_pending()) {
        if (readn(conn, &len, 4) != 4)
            break;
        len = ntohl(len);
        if (len > MAX_PAYLOAD || readn(conn, payload, len) != (ssize_t)len)
            break;
        uint32_t header[3] = { htonl(len + 8), htonl(++seq), htonl(fnv1a(payload, len)) };
        memcpy(reply, header, sizeof header);
        if (writen(conn, reply, 12 + len) == -1)
            break;
        atomic_fetch_add_explicit(requests, 1, memory_order_relaxed);
    }
    if (close(conn) == -1)
        err_exit("close connection");
}

/* ---- the parent ------------------------------------------------------------ */

static int listen_loopback(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    if (fd == -1)
        errExit("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1)
        errExit("setsockopt");
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == -1)
        errExit("bind 127.0.0.1:%d", port);
    if (listen(fd, SOMAXCONN) == -1)
        errExit("listen");
    if (getsockname(fd, (struct sockaddr *)&addr, &len) == -1)
        errExit("getsockname");
    return fd;
}

/* The child: serve one connection and leave.  It dies with the parent
 * (PR_SET_PDEATHSIG; the getppid() check closes the race of a parent that
 * died before the prctl).  SIGTERM stays blocked (inherited): it is checked
 * between requests, so a request is never cut. */
_Noreturn static void child_main(pid_t parent, int listener, int conn, atomic_long *requests)
{
    lab_die_with_parent(parent);
    if (signal(SIGINT, SIG_IGN) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
        signal(SIGCHLD, SIG_DFL) == SIG_ERR || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        err_exit("signal");
    if (close(listener) == -1)
        err_exit("close");
    serve_connection(conn, requests);
    _exit(EXIT_SUCCESS);
}

static void accept_and_fork(int listener, atomic_long *requests)
{
    int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (conn == -1) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
            return;
        errExit("accept");
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == -1)
        errExit("fork");
    if (pid == 0)
        child_main(parent, listener, conn, requests);
    live[live_count++] = pid;
    started++;
    if (close(conn) == -1)              /* the child has it; ours would keep it open */
        errExit("close");
}

/* Read the state letter of a process from /proc/PID/stat ('?' if gone). */
static char process_state(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *paren = strrchr(buf, ')');    /* the name may hold spaces */
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* ppoll() runs a signal's handler only when it returns EINTR.  When it
 * returns ready descriptors instead, a signal that arrived meanwhile stays
 * pending (blocked again); under steady load that could be forever.  So
 * after every ready return, open the mask for a moment: the kernel delivers
 * whatever is pending right there. */
static void let_pending_signals_in(const sigset_t *open_mask)
{
    sigset_t blocked;
    if (sigprocmask(SIG_SETMASK, open_mask, &blocked) == -1 ||
        sigprocmask(SIG_SETMASK, &blocked, NULL) == -1)
        errExit("sigprocmask");
}

static const char *serve(int listener, atomic_long *requests, long limit, long long deadline,
                         const sigset_t *open_mask, int *most_at_once)
{
    long long up_since = now_ns(), next_progress = up_since + PROGRESS_NS;
    for (;;) {
        if (now_ns() >= next_progress) {       /* a long run is seen to move */
            fprintf(stderr, "%s: up %lld s, %ld children started, %ld requests served\n",
                    lab_progname, (now_ns() - up_since) / 1000000000LL, started,
                    atomic_load(requests));
            next_progress += PROGRESS_NS;
        }
        if (stop_signal)
            return stop_signal == SIGINT ? "SIGINT" : "SIGTERM";
        if (limit > 0 && atomic_load(requests) >= limit)
            return "the requests limit";
        if (now_ns() >= deadline)
            return "the time limit";
        if (live_count > *most_at_once)
            *most_at_once = live_count;
        /* At the bound, stop watching the listener: clients wait in the
         * backlog until a child is reaped (fd -1 is ignored by poll). */
        struct pollfd p = { .fd = live_count < max_children ? listener : -1, .events = POLLIN };
        struct timespec tick = { 0, TICK_MS * 1000000L };
        int r = ppoll(&p, 1, &tick, open_mask);     /* the SIGCHLD handler runs in here */
        if (r == -1 && errno != EINTR)
            errExit("ppoll");
        if (r == 1) {
            let_pending_signals_in(open_mask);
            if (p.revents & POLLIN)
                accept_and_fork(listener, requests);
        }
    }
}

/* SIGTERM the live children, then reap them all (bounded; SIGKILL after). */
static void stop_children(const sigset_t *open_mask)
{
    stopping = true;
    int zombies = 0;
    for (int i = 0; i < live_count; i++)
        if (process_state(live[i]) == 'Z')
            zombies++;
    if (no_reap)
        printf("%s: %d of %d live children are zombies (state Z): nobody reaped them\n",
               lab_progname, zombies, live_count);
    for (int i = 0; i < live_count; i++)
        if (kill(live[i], SIGTERM) == -1 && errno != ESRCH)
            errExit("kill");
    no_reap = false;                    /* reap now, pitfall or not */
    long long deadline = now_ns() + STOP_TIMEOUT_MS * 1000000LL;
    while (live_count > 0 && now_ns() < deadline) {
        struct timespec tick = { 0, 10 * 1000000L };
        on_sigchld(SIGCHLD);            /* reap what has ended, as the handler does */
        if (live_count > 0 && ppoll(NULL, 0, &tick, open_mask) == -1 && errno != EINTR)
            errExit("ppoll");
    }
    for (int i = 0; i < live_count; i++) {
        fprintf(stderr, "%s: child %ld did not stop in time: SIGKILL\n", lab_progname, (long)live[i]);
        kill_and_reap(live[i]);
    }
    live_count = 0;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "port", required_argument, NULL, 'p' },
        { "max-children", required_argument, NULL, 'c' },
        { "no-reap", no_argument, NULL, 'Z' },
        { "requests-limit", required_argument, NULL, 'r' },
        { "time-limit", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int port = 0, opt;
    long limit = 0, seconds = 300;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "p:c:r:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'p': port = (int)parse_long("--port", optarg, 0, 65535); break;
        case 'c': max_children = (int)parse_long("--max-children", optarg, 1, MAX_CHILDREN); break;
        case 'Z': no_reap = true; break;
        case 'r': limit = parse_long("--requests-limit", optarg, 0, 1000000000); break;
        case 't': seconds = parse_long("--time-limit", optarg, 1, 86400); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    sigset_t blocked, open_mask;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &blocked, &open_mask) == -1)
        errExit("sigprocmask");
    struct sigaction stop = { .sa_handler = on_stop };
    struct sigaction child = { .sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP };
    if (sigaction(SIGINT, &stop, NULL) == -1 || sigaction(SIGTERM, &stop, NULL) == -1 ||
        sigaction(SIGCHLD, &child, NULL) == -1)
        errExit("sigaction");

    int listener = listen_loopback(port);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    if (getsockname(listener, (struct sockaddr *)&addr, &len) == -1)
        errExit("getsockname");
    atomic_long *requests = mmap(NULL, sizeof *requests, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (requests == MAP_FAILED)
        errExit("mmap");

    printf("port=%d\n", ntohs(addr.sin_port));
    printf("%s: a child per connection, at most %d at once%s, on 127.0.0.1:%d (pid %ld)\n",
           lab_progname, max_children, no_reap ? ", children NOT reaped" : "",
           ntohs(addr.sin_port), (long)getpid());
    fflush(stdout);                     /* before any fork: no buffered copy */

    int most_at_once = 0;
    const char *why = serve(listener, requests, limit, now_ns() + seconds * 1000000000LL,
                            &open_mask, &most_at_once);
    printf("%s: stopping on %s\n", lab_progname, why);
    fflush(stdout);
    if (close(listener) == -1)
        errExit("close");
    long reaped_serving = reaped;
    stop_children(&open_mask);
    printf("children: %ld started (one connection each), %ld reaped while serving, "
           "at most %d at once (bound %d); %ld requests\n",
           started, reaped_serving, most_at_once, max_children, atomic_load(requests));
    if (failed_children > 0)
        printf("children: %ld ended with an error or an unexpected signal\n", failed_children);
    if (munmap(requests, sizeof *requests) == -1)
        errExit("munmap");
    return failed_children > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

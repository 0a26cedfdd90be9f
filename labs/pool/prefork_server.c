/* prefork_server.c: N pre-forked workers serve one TCP port, three ways.
 *
 * Lesson: a pre-forked server starts its workers once, before the first
 * client, so a connection costs no fork.  Then one question is left: which
 * worker gets the next connection?  Three answers, one --mode each:
 *
 *   accept     the parent opens one listening socket; every worker blocks in
 *              accept() on it.  The kernel wakes ONE waiter per connection
 *              (no thundering herd for a blocking accept), but which one is
 *              its business: the split is often uneven.
 *   reuseport  every worker opens its OWN listening socket on the same port
 *              with SO_REUSEPORT; the kernel hashes each connection (the
 *              addresses and ports) to one of them.  No shared queue, but a
 *              busy worker's queue fills while another idles.
 *   passfd     only the parent accept()s, and hands each connection to the
 *              least busy worker over a socketpair with SCM_RIGHTS (the
 *              fd_passing lab).  Even split, one more hop per connection.
 *
 * Each worker counts its connections and requests in shared memory; at the
 * end the parent prints the split.  Stopping is graceful: workers block
 * SIGTERM while they serve a connection, so they finish the request they are
 * on; an idle worker dies at once.  Ctrl-C reaches the whole process group:
 * workers ignore SIGINT and wait for the parent's SIGTERM.
 *
 * The protocol (loadgen speaks it): a request is a 4-byte big-endian length
 * and that many payload bytes (at most 65536); the reply is a 4-byte length,
 * the request's sequence number on this connection (from 1), the payload's
 * FNV-1a checksum (both 4 bytes, big-endian), then the payload echoed.
 *
 * Watch for: the per-worker connection counts of each mode; in accept mode
 * one or two workers may take most; in passfd mode the split is even.
 *
 * Try:
 *   ./prefork_server --port 0 --mode accept &     # prints port=N first
 *   ./loadgen --port N --requests 10000 --conns 4; kill %1
 *   ./prefork_server --port 0 --mode passfd --requests-limit 10000 &
 *   ./prefork_server --port 0 --mode accept --timeline t.csv &   # a box per connection
 *   strace -f -e trace=accept4,sendmsg,recvmsg ./prefork_server --port 0 --mode passfd
 *
 * Exit: 0 stopped cleanly, 1 an error (or a worker died), 2 bad arguments.
 * Usage: prefork_server [--port P] [--workers N] [--mode accept|reuseport|passfd] [--requests-limit R] [--time-limit S] [--timeline FILE]
 * Python: socketserver.PreForkingMixIn does not exist; multiprocessing +
 *         socket.create_server(reuse_port=True), socket.send_fds/recv_fds,
 *         gunicorn's pre-fork model
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

enum { MAX_WORKERS = 64, MAX_PAYLOAD = 65536, IDLE_TIMEOUT_MS = 2000,
       READY_TIMEOUT_MS = 5000, STOP_TIMEOUT_MS = 3000, TICK_MS = 50 };

#define PROGRESS_NS 10000000000LL        /* a progress line every 10 s */

enum mode { MODE_ACCEPT, MODE_REUSEPORT, MODE_PASSFD };
static const char *const mode_names[] = { "accept", "reuseport", "passfd" };

/* One slot per worker in a MAP_SHARED page: the worker writes, the parent
 * reads (relaxed atomics: counts, no ordering needed). */
struct worker_stats {
    atomic_long connections;
    atomic_long requests;
};

struct worker {
    pid_t pid;
    bool reaped;        /* died early, already waited for */
    int channel;        /* passfd: the parent's end of the socketpair */
    long busy;          /* passfd: connections sent, not yet reported done */
};

static volatile sig_atomic_t stop_signal;      /* SIGINT/SIGTERM seen */
static volatile sig_atomic_t child_died;

static void on_stop(int sig) { stop_signal = sig; }
static void on_child(int sig) { (void)sig; child_died = 1; }

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--port P] [--workers N] [--mode accept|reuseport|passfd] [--requests-limit R] [--time-limit S] [--timeline FILE]\n"
            "Pre-forked workers serve a length-prefixed echo protocol on 127.0.0.1;\n"
            "at the end, how many connections each worker took.\n"
            "  -p, --port P            TCP port on 127.0.0.1, 0 = any free one (default 0);\n"
            "                          the first line printed is port=N\n"
            "  -w, --workers N         worker processes, 1..%d (default 4)\n"
            "  -m, --mode M            accept (shared listening socket, default),\n"
            "                          reuseport (SO_REUSEPORT, a socket per worker),\n"
            "                          passfd (the parent accepts, passes fds)\n"
            "  -r, --requests-limit R  stop after R requests in all (0 = no limit, default)\n"
            "  -t, --time-limit S      stop after S seconds, 1..86400 (default 300)\n"
            "  -T, --timeline FILE     write a CSV timeline (lane,start_s,end_s,label):\n"
            "                          a lane per worker, a box per connection it served\n"
            "  -h, --help              this help\n"
            "Stops on SIGTERM or SIGINT too.\n",
            lab_progname, MAX_WORKERS);
    exit(status);
}

/* ---- the protocol ------------------------------------------------------- */

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

/* Answer requests on one connection until the client closes it, an idle
 * timeout, an error, or a SIGTERM waiting (blocked) for us. */
static void serve_connection(int conn, struct worker_stats *stats)
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
        if (readn(conn, &len, 4) != 4)              /* EOF, idle or error */
            break;
        len = ntohl(len);
        if (len > MAX_PAYLOAD || readn(conn, payload, len) != (ssize_t)len)
            break;
        uint32_t header[3] = { htonl(len + 8), htonl(++seq), htonl(fnv1a(payload, len)) };
        memcpy(reply, header, sizeof header);
        if (writen(conn, reply, 12 + len) == -1)
            break;
        atomic_fetch_add_explicit(&stats->requests, 1, memory_order_relaxed);
    }
    if (close(conn) == -1)
        err_exit("close connection");
}

/* ---- sockets ------------------------------------------------------------ */

static int tcp_socket(bool reuseport)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd == -1)
        err_exit("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1)
        err_exit("setsockopt SO_REUSEADDR");
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == -1)
        err_exit("setsockopt SO_REUSEPORT");
    return fd;
}

static void bind_loopback(int fd, int port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == -1)
        err_exit("bind 127.0.0.1:%d", port);
}

static int bound_port(int fd)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) == -1)
        errExit("getsockname");
    return ntohs(addr.sin_port);
}

/* passfd: one data byte carries the SCM_RIGHTS control message.  Returns
 * false when the worker has gone (EPIPE, ECONNRESET). */
static bool send_fd(int channel, int fd)
{
    char byte = 'C';
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (sendmsg(channel, &msg, MSG_NOSIGNAL) == 1)
        return true;
    if (errno == EPIPE || errno == ECONNRESET)
        return false;
    errExit("sendmsg");
}

/* Returns the passed fd, or -1 when the parent closed the channel. */
static int recv_fd(int channel)
{
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t n;
    while ((n = recvmsg(channel, &msg, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR)
        ;
    if (n == -1)
        err_exit("recvmsg");
    if (n == 0)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS || (msg.msg_flags & MSG_CTRUNC))
        err_exit("a message without an fd");
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/* ---- workers ------------------------------------------------------------- */

/* SIGTERM stays blocked while a worker serves; it is let in only here, where
 * the worker waits for its next connection: a pending SIGTERM kills it at
 * once (default action), and a connection being served is never cut. */
static int next_connection(enum mode mode, int fd)
{
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    if (sigprocmask(SIG_UNBLOCK, &term, NULL) == -1)
        err_exit("sigprocmask");
    int conn;
    if (mode == MODE_PASSFD)
        conn = recv_fd(fd);
    else
        while ((conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) == -1 &&
               (errno == EINTR || errno == ECONNABORTED))
            ;
    if (sigprocmask(SIG_BLOCK, &term, NULL) == -1)
        err_exit("sigprocmask");
    if (conn == -1 && mode != MODE_PASSFD)
        err_exit("accept");
    return conn;
}

_Noreturn static void worker_main(int index, enum mode mode, int fd, int port, int ready,
                                  struct worker_stats *stats)
{
    char lane[32];
    snprintf(lane, sizeof lane, "worker %d", index + 1);
    /* A client that leaves early must not kill us with SIGPIPE: EPIPE will do. */
    if (signal(SIGINT, SIG_IGN) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
        signal(SIGCHLD, SIG_DFL) == SIG_ERR || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        err_exit("signal");
    if (mode == MODE_REUSEPORT) {       /* a listening socket of our own */
        if (close(fd) == -1)
            err_exit("close");
        fd = tcp_socket(true);
        bind_loopback(fd, port);
        if (listen(fd, SOMAXCONN) == -1)
            err_exit("listen");
    }
    if (write(ready, "r", 1) != 1 || close(ready) == -1)
        err_exit("write ready");
    for (;;) {
        int conn = next_connection(mode, fd);
        if (conn == -1)                 /* passfd: the parent closed our channel */
            _exit(EXIT_SUCCESS);
        atomic_fetch_add_explicit(&stats->connections, 1, memory_order_relaxed);
        double began = lab_timeline_now();
        serve_connection(conn, stats);
        lab_timeline_interval(lane, began, lab_timeline_now(), "connection");
        if (mode == MODE_PASSFD && send(fd, "d", 1, 0) != 1 && errno != EPIPE)
            err_exit("send done");      /* done: I am free (EPIPE: the parent is stopping) */
        if (sigterm_pending())
            _exit(EXIT_SUCCESS);
    }
}

/* ---- the parent ------------------------------------------------------------ */

static long total_requests(struct worker_stats *stats, int n)
{
    long sum = 0;
    for (int i = 0; i < n; i++)
        sum += atomic_load_explicit(&stats[i].requests, memory_order_relaxed);
    return sum;
}

/* Wait until every worker has written its ready byte (bounded). */
static void wait_ready(int ready, int n)
{
    long long deadline = now_ns() + READY_TIMEOUT_MS * 1000000LL;
    for (int got = 0; got < n;) {
        int left_ms = (int)((deadline - now_ns()) / 1000000);
        struct pollfd p = { .fd = ready, .events = POLLIN };
        int r = left_ms > 0 ? poll(&p, 1, left_ms) : 0;
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1)
            errExit("poll");
        if (r == 0)
            fatal("only %d of %d workers ready within %d ms", got, n, READY_TIMEOUT_MS);
        char buf[MAX_WORKERS];
        ssize_t k = read(ready, buf, sizeof buf);
        if (k <= 0)
            fatal("a worker died before it was ready");
        got += (int)k;
    }
}

/* passfd: the least busy worker, ties broken round-robin. */
static int pick_worker(struct worker *w, int n, int *cursor)
{
    int best = *cursor;
    for (int k = 1; k < n; k++) {
        int i = (*cursor + k) % n;
        if (w[i].busy < w[best].busy)
            best = i;
    }
    *cursor = (best + 1) % n;
    return best;
}

static void pass_one_connection(int listener, struct worker *w, int n, int *cursor)
{
    int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn == -1) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
            return;
        errExit("accept");
    }
    /* The worker gets a blocking socket: flags belong to the open file
     * description, which the worker shares. */
    if (fcntl(conn, F_SETFL, 0) == -1)
        errExit("fcntl");
    int i = pick_worker(w, n, cursor);
    if (send_fd(w[i].channel, conn))
        w[i].busy++;
    else
        child_died = 1;                 /* that worker has died: the loop finds out how */
    if (close(conn) == -1)              /* the worker holds it now (or nobody does) */
        errExit("close");
}

/* A worker's "done" bytes.  Returns false at EOF (or an error): the worker
 * has gone. */
static bool read_done(struct worker *w)
{
    char buf[64];
    ssize_t k = read(w->channel, buf, sizeof buf);
    if (k > 0)
        w->busy -= k;
    return k > 0;
}

/* Is any worker gone?  Reap it and say how it ended. */
static bool worker_died(struct worker *w, int n)
{
    bool died = false;
    for (int i = 0; i < n; i++) {
        int status;
        char how[64];
        if (!w[i].reaped && waitpid(w[i].pid, &status, WNOHANG) == w[i].pid) {
            fprintf(stderr, "%s: worker %d (pid %ld) died: %s\n", lab_progname, i + 1,
                    (long)w[i].pid, describe_status(status, how, sizeof how));
            w[i].reaped = true;
            died = true;
        }
    }
    return died;
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

static const char *serve(enum mode mode, int listener, struct worker *w, int n,
                         struct worker_stats *stats, long limit, long long deadline,
                         const sigset_t *open_mask, bool *failed)
{
    struct pollfd fds[1 + MAX_WORKERS];
    int nfds = 0, cursor = 0;
    if (mode == MODE_PASSFD) {
        fds[nfds++] = (struct pollfd){ .fd = listener, .events = POLLIN };
        for (int i = 0; i < n; i++)
            fds[nfds++] = (struct pollfd){ .fd = w[i].channel, .events = POLLIN };
    }
    long long started = now_ns(), next_progress = started + PROGRESS_NS;
    for (;;) {
        if (now_ns() >= next_progress) {       /* a long run is seen to move */
            fprintf(stderr, "%s: up %lld s, %ld requests served\n", lab_progname,
                    (now_ns() - started) / 1000000000LL, total_requests(stats, n));
            next_progress += PROGRESS_NS;
        }
        if (stop_signal)
            return stop_signal == SIGINT ? "SIGINT" : "SIGTERM";
        if (limit > 0 && total_requests(stats, n) >= limit)
            return "the requests limit";
        if (now_ns() >= deadline)
            return "the time limit";
        if (child_died) {
            child_died = 0;
            if (worker_died(w, n)) {
                *failed = true;
                return "a worker's death";
            }
        }
        /* Signals are blocked except inside ppoll: none is missed between
         * the checks above and the wait. */
        struct timespec tick = { 0, TICK_MS * 1000000L };
        int r = ppoll(fds, (nfds_t)nfds, &tick, open_mask);
        if (r == -1 && errno != EINTR)
            errExit("ppoll");
        if (r <= 0)
            continue;
        let_pending_signals_in(open_mask);
        if (mode != MODE_PASSFD)
            continue;
        if (fds[0].revents & POLLIN)
            pass_one_connection(listener, w, n, &cursor);
        for (int i = 0; i < n; i++)
            if ((fds[1 + i].revents & (POLLIN | POLLHUP)) && !read_done(&w[i])) {
                /* Its channel would stay readable (EOF) and ppoll would
                 * spin: stop watching it and look for the dead worker now. */
                fds[1 + i].fd = -1;
                child_died = 1;
            }
    }
}

/* SIGTERM every worker; each finishes its request and dies.  Bounded: who is
 * still there after STOP_TIMEOUT_MS gets SIGKILL. */
static void stop_workers(struct worker *w, int n)
{
    for (int i = 0; i < n; i++) {
        if (w[i].channel != -1 && close(w[i].channel) == -1)
            errExit("close");
        if (!w[i].reaped && kill(w[i].pid, SIGTERM) == -1 && errno != ESRCH)
            errExit("kill");
    }
    long long deadline = now_ns() + STOP_TIMEOUT_MS * 1000000LL;
    for (int i = 0; i < n; i++) {
        if (w[i].reaped)
            continue;
        long left_ms = (long)((deadline - now_ns()) / 1000000);
        int status;
        pid_t r = wait_child_for(w[i].pid, &status, left_ms > 0 ? left_ms : 0);
        if (r == -1)
            errExit("waitpid");
        if (r == 0) {
            fprintf(stderr, "%s: worker %d did not stop in time: SIGKILL\n", lab_progname, i + 1);
            kill_and_reap(w[i].pid);
        }
    }
}

static void print_split(struct worker *w, int n, struct worker_stats *stats)
{
    long conns = 0, reqs = 0, most = 0;
    for (int i = 0; i < n; i++) {
        long c = atomic_load(&stats[i].connections), r = atomic_load(&stats[i].requests);
        printf("worker %d (pid %ld): %ld connections, %ld requests\n",
               i + 1, (long)w[i].pid, c, r);
        conns += c;
        reqs += r;
        if (c > most)
            most = c;
    }
    printf("total: %ld connections, %ld requests over %d workers", conns, reqs, n);
    if (conns > 0)
        printf("; the busiest worker took %.0f%% of the connections (an even split: %.0f%%)",
               100.0 * (double)most / (double)conns, 100.0 / n);
    printf("\n");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "port", required_argument, NULL, 'p' },
        { "workers", required_argument, NULL, 'w' },
        { "mode", required_argument, NULL, 'm' },
        { "requests-limit", required_argument, NULL, 'r' },
        { "time-limit", required_argument, NULL, 't' },
        { "timeline", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int port = 0, n = 4, opt;
    enum mode mode = MODE_ACCEPT;
    long limit = 0, seconds = 300;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "p:w:m:r:t:T:h", options, NULL)) != -1) {
        switch (opt) {
        case 'p': port = (int)parse_long("--port", optarg, 0, 65535); break;
        case 'w': n = (int)parse_long("--workers", optarg, 1, MAX_WORKERS); break;
        case 'm':
            if (strcmp(optarg, "accept") == 0) mode = MODE_ACCEPT;
            else if (strcmp(optarg, "reuseport") == 0) mode = MODE_REUSEPORT;
            else if (strcmp(optarg, "passfd") == 0) mode = MODE_PASSFD;
            else usageErr("--mode: '%s' is not accept, reuseport or passfd", optarg);
            break;
        case 'r': limit = parse_long("--requests-limit", optarg, 0, 1000000000); break;
        case 't': seconds = parse_long("--time-limit", optarg, 1, 86400); break;
        case 'T': lab_timeline_open(optarg); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);

    /* Signals: blocked, except while the parent waits in ppoll. */
    sigset_t blocked, open_mask;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &blocked, &open_mask) == -1)
        errExit("sigprocmask");
    struct sigaction stop = { .sa_handler = on_stop }, child = { .sa_handler = on_child };
    if (sigaction(SIGINT, &stop, NULL) == -1 || sigaction(SIGTERM, &stop, NULL) == -1 ||
        sigaction(SIGCHLD, &child, NULL) == -1)
        errExit("sigaction");

    /* reuseport: the parent's socket is bound (it holds the port, so port 0
     * gets a number) but never listens: only the workers' sockets get
     * connections. */
    int listener = tcp_socket(mode == MODE_REUSEPORT);
    bind_loopback(listener, port);
    port = bound_port(listener);
    if (mode != MODE_REUSEPORT && listen(listener, SOMAXCONN) == -1)
        errExit("listen");
    if (mode == MODE_PASSFD && fcntl(listener, F_SETFL, O_NONBLOCK) == -1)
        errExit("fcntl");

    struct worker_stats *stats = mmap(NULL, sizeof *stats * MAX_WORKERS, PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (stats == MAP_FAILED)
        errExit("mmap");
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) == -1)
        errExit("pipe");
    fflush(stdout);
    struct worker w[MAX_WORKERS];
    for (int i = 0; i < n; i++) {
        int sv[2] = { -1, -1 };
        if (mode == MODE_PASSFD && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
            errExit("socketpair");
        pid_t pid = lab_fork_guarded();     /* a worker never outlives a SIGKILLed parent */
        if (pid == -1)
            errExit("fork");
        if (pid == 0) {
            if (close(ready[0]) == -1)
                err_exit("close");
            for (int k = 0; k < i; k++)     /* other workers' channels are not ours */
                if (w[k].channel != -1 && close(w[k].channel) == -1)
                    err_exit("close");
            if (mode == MODE_PASSFD) {
                if (close(sv[0]) == -1 || close(listener) == -1)
                    err_exit("close");
                worker_main(i, mode, sv[1], port, ready[1], &stats[i]);
            }
            worker_main(i, mode, listener, port, ready[1], &stats[i]);
        }
        w[i] = (struct worker){ .pid = pid, .channel = sv[0] };
        if (sv[1] != -1 && close(sv[1]) == -1)
            errExit("close");
    }
    if (close(ready[1]) == -1)
        errExit("close");
    wait_ready(ready[0], n);
    lab_timeline_event("parent", "ready: port %d", port);
    if (close(ready[0]) == -1)
        errExit("close");

    printf("port=%d\n", port);
    printf("%s: %d workers, mode %s, listening on 127.0.0.1:%d (pid %ld)\n",
           lab_progname, n, mode_names[mode], port, (long)getpid());
    printf("%s: worker pids", lab_progname);
    for (int i = 0; i < n; i++)
        printf(" %ld", (long)w[i].pid);
    printf("\n");
    fflush(stdout);

    bool failed = false;
    const char *why = serve(mode, listener, w, n, stats, limit,
                            now_ns() + seconds * 1000000000LL, &open_mask, &failed);
    printf("%s: stopping on %s\n", lab_progname, why);
    lab_timeline_event("parent", "stop: %s", why);
    stop_workers(w, n);
    if (close(listener) == -1)
        errExit("close");
    print_split(w, n, stats);
    if (munmap(stats, sizeof *stats * MAX_WORKERS) == -1)
        errExit("munmap");
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

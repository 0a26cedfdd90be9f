/* duplex.c: a two-way channel is one socketpair, or two pipes.
 *
 * Lesson: a pipe carries bytes one way.  For replies you need either a
 * socketpair(), whose two ends both read and write (what Python's
 * Pipe(duplex=True) uses), or two pipes, one per direction (Pipe(duplex=False)
 * is one pipe).  The parent sends "ping i", the child answers "pong i".
 * When the child closes its end, the parent's next read() returns 0: EOF.
 * Python's Connection.recv() turns that 0 into EOFError.
 *
 * Watch for: one fd per process with a socketpair, two with pipes; every
 * reply matching its ping; "read() returned 0" once the child has closed.
 * With pipes, the parent must close its copy of the child's write end, or
 * that EOF never comes (see pipe_basics).
 *
 * Messages here are fixed-size records read with readn(), the simplest way
 * to keep message boundaries on a byte stream (see framing).
 *
 * Try:
 *   ./duplex
 *   ./duplex --via pipes
 *   ./duplex -n 100000 --via socketpair      # compare the round-trip time
 *
 * Usage: duplex [--via socketpair|pipes] [-n MESSAGES]
 * Python: multiprocessing.Pipe(duplex=True), Connection.send/recv, EOFError
 */
#include "../lab.h"
#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>

enum { MSG_SIZE = 32, TIMEOUT_MS = 5000 };

/* One process's view of the channel: where it reads and where it writes. */
struct end { int rfd, wfd; };

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--via socketpair|pipes] [-n MESSAGES]\n"
            "Ping-pong MESSAGES messages (default 5) between parent and child,\n"
            "then show EOF once the child has closed its end.\n"
            "  -v, --via KIND     socketpair (one two-way channel, default) or\n"
            "                     pipes (one pipe per direction)\n"
            "  -n, --messages N   round trips (1..1000000)\n"
            "  -h, --help         this help\n",
            lab_progname);
    exit(status);
}

/* Read one record, waiting at most TIMEOUT_MS.  Returns MSG_SIZE, or 0 at
 * EOF; dies on a timeout or a torn record. */
static ssize_t recv_msg(int fd, char msg[MSG_SIZE], void (*die)(const char *, ...))
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int ready = poll(&p, 1, TIMEOUT_MS);
    if (ready == -1)
        die("poll");
    if (ready == 0) {
        errno = ETIMEDOUT;
        die("no message within %d ms", TIMEOUT_MS);
    }
    ssize_t n = readn(fd, msg, MSG_SIZE);
    if (n == -1)
        die("read");
    if (n != 0 && n != MSG_SIZE) {
        errno = EPROTO;
        die("short record: %zd bytes", n);
    }
    return n;
}

static void child(struct end e, long messages)
{
    char msg[MSG_SIZE], reply[MSG_SIZE];
    for (long i = 1; i <= messages; i++) {
        if (recv_msg(e.rfd, msg, err_exit) == 0)
            err_exit("unexpected EOF from the parent");
        long n;
        if (sscanf(msg, "ping %ld", &n) != 1)
            err_exit("bad message '%.*s'", MSG_SIZE, msg);
        memset(reply, 0, sizeof reply);
        snprintf(reply, sizeof reply, "pong %ld", n);
        if (writen(e.wfd, reply, MSG_SIZE) == -1)
            err_exit("write");
    }
    printf("child: answered %ld pings, now closes its end and exits\n", messages);
    if (close(e.wfd) == -1 || (e.rfd != e.wfd && close(e.rfd) == -1))
        err_exit("close");
    _exit(EXIT_SUCCESS);
}

static void parent(struct end e, long messages)
{
    char msg[MSG_SIZE], want[MSG_SIZE];
    long long start = now_ns();

    for (long i = 1; i <= messages; i++) {
        memset(msg, 0, sizeof msg);
        snprintf(msg, sizeof msg, "ping %ld", i);
        if (writen(e.wfd, msg, MSG_SIZE) == -1)
            errExit("write");
        if (recv_msg(e.rfd, msg, errExit) == 0)
            fatal("EOF before the reply to ping %ld", i);
        snprintf(want, sizeof want, "pong %ld", i);
        if (strncmp(msg, want, MSG_SIZE) != 0)
            fatal("ping %ld got reply '%.*s'", i, MSG_SIZE, msg);
        if (i <= 5)
            printf("round %ld: parent sent 'ping %ld', got '%s'\n", i, i, msg);
    }
    printf("parent: %ld round trips, every reply matched (%.1f us per round trip)\n",
           messages, (now_ns() - start) / 1e3 / messages);
    /* The child has closed its end: the next read() returns 0. */
    if (recv_msg(e.rfd, msg, errExit) != 0)
        fatal("expected EOF, got a message");
    printf("parent: read() returned 0\n");
    printf("EOF: peer closed (Python raises EOFError here)\n");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "via", required_argument, NULL, 'v' },
        { "messages", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long messages = 5;
    bool use_pipes = false;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "v:n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'v':
            if (strcmp(optarg, "pipes") == 0)
                use_pipes = true;
            else if (strcmp(optarg, "socketpair") != 0)
                usageErr("--via: '%s' is not socketpair or pipes", optarg);
            break;
        case 'n': messages = parse_long("--messages", optarg, 1, 1000000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    setbuf(stdout, NULL);       /* the child prints too, and leaves with _exit */

    struct end mine, theirs;
    int sv[2], down[2], up[2];
    if (use_pipes) {
        if (pipe(down) == -1 || pipe(up) == -1)
            errExit("pipe");
        mine = (struct end){ .rfd = up[0], .wfd = down[1] };
        theirs = (struct end){ .rfd = down[0], .wfd = up[1] };
        printf("via pipes: parent writes fd %d, reads fd %d; child reads fd %d, writes fd %d\n",
               mine.wfd, mine.rfd, theirs.rfd, theirs.wfd);
    } else {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
            errExit("socketpair");
        mine = (struct end){ .rfd = sv[0], .wfd = sv[0] };
        theirs = (struct end){ .rfd = sv[1], .wfd = sv[1] };
        printf("via socketpair: parent reads and writes fd %d, child fd %d\n",
               sv[0], sv[1]);
    }

    pid_t pid = lab_fork_guarded();   /* the child dies with us */
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {             /* child: drop the parent's ends, then serve */
        if (close(mine.rfd) == -1 || (mine.wfd != mine.rfd && close(mine.wfd) == -1))
            err_exit("close parent's end - child");
        child(theirs, messages);
    }
    /* parent: drop the child's ends, or the child's close would not be EOF */
    if (close(theirs.rfd) == -1 || (theirs.wfd != theirs.rfd && close(theirs.wfd) == -1))
        errExit("close child's end");
    parent(mine, messages);
    if (close(mine.rfd) == -1 || (mine.wfd != mine.rfd && close(mine.wfd) == -1))
        errExit("close");

    int status;
    char how[64];
    pid_t r = wait_child_for(pid, &status, TIMEOUT_MS);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("the child did not exit in time");
    }
    printf("parent: child ended with %s\n", describe_status(status, how, sizeof how));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* pipe_basics.c: a one-way pipe, and when its reader sees EOF.
 *
 * Lesson: pipe() gives two fds, a read end and a write end; after fork both
 * processes hold both.  The reader sees EOF (read returns 0) only when EVERY
 * write end is closed, its own copy included.  A writer whose reader is gone
 * gets SIGPIPE (killed, by default) or, with SIGPIPE ignored, EPIPE from
 * write().  Writes of at most PIPE_BUF bytes are atomic: several writers'
 * records never interleave.
 *
 * The pitfall: --keep-write-end makes the child forget to close its copy of
 * the write end.  The parent closes its own, but the child still holds one,
 * so its read() would block forever; here poll() gives up after --timeout.
 *
 * Watch for: "then EOF" without the flag; "no EOF after 2.0 s" (exit 3) with
 * it; signal:SIGPIPE vs EPIPE with --reader-gone; "0 torn" with --atomic.
 *
 * Try:
 *   ./pipe_basics                       # parent -> child, EOF when done
 *   ./pipe_basics --keep-write-end      # the child waits, then gives up
 *   ./pipe_basics --reader-gone         # SIGPIPE, then EPIPE
 *   ./pipe_basics --atomic -s 100000    # above PIPE_BUF: records may tear
 *   ./pipe_basics --fd-table fds.csv; scripts/fd_table.py fds.csv fds.svg
 *
 * Exit: 0 shown as expected, 1 error or torn records, 2 bad arguments,
 *       3 no EOF before the timeout (--keep-write-end).
 * Usage: pipe_basics [-n LINES] [--keep-write-end] [-t MS] [--fd-table FILE] [--reader-gone] [--atomic [-w WRITERS] [-s SIZE]]
 * Python: os.pipe(), os.close(), signal.signal(SIGPIPE, ...), BrokenPipeError
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [-n LINES] [--keep-write-end] [-t MS] [--fd-table FILE] [--reader-gone] [--atomic [-w WRITERS] [-s SIZE]]\n"
            "The parent writes LINES lines into a pipe; the child reads until EOF.\n"
            "  -n, --lines N        lines the parent writes (1..100000, default 3)\n"
            "      --keep-write-end the child forgets to close its write end: no EOF\n"
            "  -t, --timeout MS     how long the child waits for EOF (1..60000, default 2000)\n"
            "      --fd-table FILE  write both processes' fd tables (after pipe, after fork,\n"
            "                       after each closes its unused end) as CSV for\n"
            "                       scripts/fd_table.py\n"
            "      --reader-gone    write to a pipe with no reader: SIGPIPE, then EPIPE\n"
            "      --atomic         WRITERS processes write SIZE-byte records at once\n"
            "  -w, --writers N      writers for --atomic (2..16, default 4)\n"
            "  -s, --size SIZE      record size for --atomic (1..1M, default PIPE_BUF)\n"
            "  -h, --help           this help\n",
            lab_progname);
    exit(status);
}

/* The child reads until EOF, or gives up after timeout_ms without one. */
static void reader_child(int pfd[2], bool close_write_end, long timeout_ms)
{
    char buf[4096];
    long bytes = 0, lines = 0;

    lab_fd_table_snapshot("child", "2 after fork");
    if (close_write_end && close(pfd[1]) == -1)   /* the step people forget */
        err_exit("close write end - child");
    lab_fd_table_snapshot("child", close_write_end ? "3 after close(write end)"
                                                   : "3 write end kept open");
    for (;;) {
        struct pollfd p = { .fd = pfd[0], .events = POLLIN };
        int ready = poll(&p, 1, (int)timeout_ms);
        if (ready == -1)
            err_exit("poll");
        if (ready == 0) {
            printf("child: read %ld bytes (%ld lines), then no EOF after %.1f s: "
                   "a write end is still open\n", bytes, lines, timeout_ms / 1000.0);
            _exit(3);
        }
        ssize_t n = read(pfd[0], buf, sizeof buf);
        if (n == -1)
            err_exit("read");
        if (n == 0)
            break;                      /* EOF: no write end is open anywhere */
        bytes += n;
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    }
    printf("child: read %ld bytes (%ld lines), then EOF: every write end is closed\n",
           bytes, lines);
    _exit(EXIT_SUCCESS);
}

static int one_way(long lines, bool keep_write_end, long timeout_ms)
{
    int pfd[2], status;
    char how[64];

    if (pipe(pfd) == -1)
        errExit("pipe");
    lab_fd_table_snapshot("parent", "1 after pipe");
    int capacity = fcntl(pfd[1], F_GETPIPE_SZ);
    if (capacity == -1)
        errExit("fcntl F_GETPIPE_SZ");
    printf("PIPE_BUF = %d bytes (writes up to this size are atomic)\n", PIPE_BUF);
    printf("pipe capacity (F_GETPIPE_SZ) = %d bytes (a writer blocks when it is full)\n",
           capacity);
    pid_t pid = lab_fork_guarded();   /* the child dies with us */
    if (pid == -1)
        errExit("fork");
    if (pid == 0)                                   /* child: the reader */
        reader_child(pfd, !keep_write_end, timeout_ms);
    if (close(pfd[0]) == -1)                        /* parent: the writer */
        errExit("close read end");
    lab_fd_table_snapshot("parent", "3 after close(read end)");
    long bytes = 0;
    for (long i = 1; i <= lines; i++) {
        char line[32];
        int len = snprintf(line, sizeof line, "line %ld\n", i);
        if (writen(pfd[1], line, (size_t)len) == -1)
            errExit("write");
        bytes += len;
    }
    if (close(pfd[1]) == -1)
        errExit("close write end");
    printf("parent: wrote %ld lines (%ld bytes) and closed its write end\n", lines, bytes);
    pid_t r = wait_child_for(pid, &status, timeout_ms + 5000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("the reader did not finish in time");
    }
    printf("parent: child ended with %s\n", describe_status(status, how, sizeof how));
    return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILURE;
}

/* Write into a pipe whose every read end is closed, with SIGPIPE at its
 * default action or ignored; the writer is a child so its fate shows. */
static void write_to_no_reader(bool ignore_sigpipe)
{
    int pfd[2], status;
    char how[64];

    if (pipe(pfd) == -1)
        errExit("pipe");
    pid_t reader = lab_fork_guarded();
    if (reader == -1)
        errExit("fork");
    if (reader == 0)                    /* the reader leaves without reading */
        _exit(EXIT_SUCCESS);
    if (close(pfd[0]) == -1)            /* our own copy is a reader too */
        errExit("close read end");
    if (wait_child_for(reader, &status, 5000) != reader)
        errExit("waitpid reader");
    pid_t writer = lab_fork_guarded();
    if (writer == -1)
        errExit("fork");
    if (writer == 0) {
        if (signal(SIGPIPE, ignore_sigpipe ? SIG_IGN : SIG_DFL) == SIG_ERR)
            err_exit("signal");
        if (write(pfd[1], "hello", 5) == -1) {
            printf("writer: write() failed: %s (%s)\n",
                   strerrorname_np(errno), strerror(errno));
            _exit(errno == EPIPE ? EXIT_SUCCESS : EXIT_FAILURE);
        }
        printf("writer: write() succeeded?\n");      /* should not happen */
        _exit(EXIT_FAILURE);
    }
    if (close(pfd[1]) == -1)
        errExit("close write end");
    pid_t r = wait_child_for(writer, &status, 5000);
    if (r <= 0)
        errExit("waitpid writer");
    printf("SIGPIPE %s: the writer ended with %s\n",
           ignore_sigpipe ? "ignored" : "default", describe_status(status, how, sizeof how));
}

/* Several writers, each writing whole records of its own letter; the reader
 * reads record-sized chunks and counts the ones that mix letters. */
static int atomic_writes(long writers, long size)
{
    const long records = 200;
    int pfd[2];
    long torn = 0;
    char *buf = malloc((size_t)size);

    if (buf == NULL)
        errExit("malloc");
    if (pipe(pfd) == -1)
        errExit("pipe");
    for (long w = 0; w < writers; w++) {
        pid_t pid = lab_fork_guarded();
        if (pid == -1)
            errExit("fork");
        if (pid == 0) {
            if (close(pfd[0]) == -1)
                err_exit("close read end - writer");
            memset(buf, 'A' + (int)w, (size_t)size);
            for (long i = 0; i < records; i++)
                if (writen(pfd[1], buf, (size_t)size) == -1)
                    err_exit("write");
            _exit(EXIT_SUCCESS);
        }
    }
    if (close(pfd[1]) == -1)            /* else the reader never sees EOF */
        errExit("close write end");
    long got = 0;
    ssize_t n;
    while ((n = readn(pfd[0], buf, (size_t)size)) == size) {
        got++;
        if (memcmp(buf, buf + 1, (size_t)size - 1) != 0)   /* not all one letter */
            torn++;
    }
    if (n == -1)
        errExit("read");
    free(buf);
    for (long w = 0; w < writers; w++) {
        int status;
        if (wait_child_for(-1, &status, 10000) <= 0)
            errExit("waitpid writer");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fatal("a writer failed");
    }
    printf("%ld writers x %ld records of %ld bytes: %ld records read, %ld torn\n",
           writers, records, size, got, torn);
    if (size <= PIPE_BUF)
        printf("writes of at most PIPE_BUF (%d) bytes are atomic\n", PIPE_BUF);
    else
        printf("writes larger than PIPE_BUF (%d) bytes may interleave\n", PIPE_BUF);
    return torn || got != writers * records ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "lines", required_argument, NULL, 'n' },
        { "keep-write-end", no_argument, NULL, 'K' },
        { "timeout", required_argument, NULL, 't' },
        { "reader-gone", no_argument, NULL, 'R' },
        { "fd-table", required_argument, NULL, 'F' },
        { "atomic", no_argument, NULL, 'A' },
        { "writers", required_argument, NULL, 'w' },
        { "size", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long lines = 3, timeout_ms = 2000, writers = 4, size = PIPE_BUF;
    bool keep = false, reader_gone = false, atomic = false;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "n:t:w:s:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': lines = parse_long("--lines", optarg, 1, 100000); break;
        case 'K': keep = true; break;
        case 't': timeout_ms = parse_long("--timeout", optarg, 1, 60000); break;
        case 'R': reader_gone = true; break;
        case 'F': lab_fd_table_open(optarg); break;
        case 'A': atomic = true; break;
        case 'w': writers = parse_long("--writers", optarg, 2, 16); break;
        case 's': size = (long)parse_bytes("--size", optarg, 1, 1 << 20); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (keep + reader_gone + atomic > 1)
        usageErr("--keep-write-end, --reader-gone and --atomic are separate demos");
    setbuf(stdout, NULL);   /* children print too, and leave with _exit */
    alarm(60);          /* a watchdog: whatever goes wrong, no endless wait */

    if (reader_gone) {
        write_to_no_reader(false);
        write_to_no_reader(true);
        return EXIT_SUCCESS;
    }
    if (atomic)
        return atomic_writes(writers, size);
    return one_way(lines, keep, timeout_ms);
}

/* logging.c: many processes, one log file: which writes keep lines whole?
 *
 * Lesson: PROCS processes each write LINES lines to one file, three ways:
 *   stdio   each process has its own FILE* (fopen "a", so O_APPEND) with a
 *           full buffer (setvbuf, --buffer bytes).  stdio flushes when the
 *           buffer is full, not at line ends, so a line is written in two
 *           or more write()s, and other processes' writes land in between:
 *           torn, interleaved lines.
 *   append  one write() of a whole line to a file opened with O_APPEND: the
 *           kernel moves to the end and writes in one step, so lines from
 *           different processes never overlap.
 *   logger  workers write whole lines to one pipe; one logger process reads
 *           the pipe and writes the file.  A pipe write of at most PIPE_BUF
 *           (4096) bytes is atomic: it is never mixed with another writer's.
 *           Longer writes may be split (try --mode logger -B 6000).
 * Python's logging cookbook says logging to one file from several processes
 * is not supported (its handler lock works between threads only) and
 * points to a QueueHandler feeding one listener process: the logger case.
 *
 * Every line carries writer, sequence, length and a checksum; after all
 * processes are done the lab reads the file back and counts whole lines.
 * Exit 0 when no line is torn or missing, 1 otherwise.
 *
 * Watch for: "lines: N intact, 0 torn, 0 missing" for append and logger;
 * torn lines for stdio.
 *
 * Try:
 *   ./logging --mode append -p 4 -l 25000
 *   ./logging --mode stdio -B 6000 -l 500
 *   ./logging --mode logger -o log.txt --overwrite; head -3 log.txt
 *
 * Usage: logging [--mode stdio|append|logger] [-p PROCS] [-l LINES] [-B LINE_BYTES] [--buffer BYTES] [-o PATH [--overwrite]]
 * Python: logging.FileHandler in each process; logging.handlers.QueueHandler/QueueListener
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/stat.h>

#define HEADER 33               /* "w=01 s=000001 n=00100 c=deadbeef " */
#define MAX_PROCS 16

enum mode { STDIO, APPEND, LOGGER };
static const char *mode_names[] = { "stdio", "append", "logger" };

static char tmp_path[64];       /* our temp file, removed on every exit */
static volatile sig_atomic_t have_tmp;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--mode stdio|append|logger] [-p PROCS] [-l LINES] [-B LINE_BYTES] [--buffer BYTES] [-o PATH [--overwrite]]\n"
            "PROCS processes write LINES lines each to one log; then the log is checked.\n"
            "      --mode M          stdio, append (default) or logger\n"
            "  -p, --procs N         writer processes (1..%d, default 4)\n"
            "  -l, --lines N         lines per process (1..100000, default 1000)\n"
            "  -B, --line-bytes N    bytes per line, newline included (40..65536, default 100)\n"
            "      --buffer BYTES    stdio buffer size for --mode stdio (64..1M, default 4096)\n"
            "  -o, --out PATH        write the log to PATH (a new file, mode 0600; kept),\n"
            "                        not a temp file; never through a symbolic link\n"
            "      --overwrite       with -o: PATH may be an existing regular file (truncated)\n"
            "  -h, --help            this help\n"
            "Exit 0 when every line is intact and none is missing, 1 otherwise.\n",
            lab_progname, MAX_PROCS);
    exit(status);
}

static void on_signal(int sig)
{
    if (have_tmp)
        unlink(tmp_path);       /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* For exit() on an error path (errExit, fatal); children leave with _exit. */
static void remove_tmp(void)
{
    if (have_tmp)
        unlink(tmp_path);
}

static unsigned checksum(const char *p, size_t n, int w, int s)
{
    unsigned h = 2166136261u ^ (unsigned)(w << 20 ^ s);    /* FNV-1a */
    while (n--)
        h = (h ^ (unsigned char)*p++) * 16777619u;
    return h;
}

/* One line of exactly `bytes` bytes, newline included, NUL after it. */
static void make_line(char *line, long bytes, int w, int s)
{
    char head[64];
    size_t body = bytes - HEADER - 1;
    memset(line + HEADER, 'a' + (w * 7 + s) % 26, body);
    if (snprintf(head, sizeof head, "w=%02d s=%06d n=%05ld c=%08x ", w, s, bytes,
                 checksum(line + HEADER, body, w, s)) != HEADER)
        err_exit("header is not %d bytes", HEADER);
    memcpy(line, head, HEADER);
    line[bytes - 1] = '\n';
    line[bytes] = '\0';
}

static void writer(enum mode mode, const char *path, int log_fd, int w, long lines,
                   long bytes, long bufsize)
{
    char *line = malloc(bytes + 1);
    FILE *f = NULL;
    int fd = log_fd;
    if (line == NULL) err_exit("malloc");
    /* O_NOFOLLOW: a symbolic link put in the log's place is refused. */
    if (mode != LOGGER && (fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW)) == -1)
        err_exit("open %s", path);
    if (mode == STDIO && ((f = fdopen(fd, "a")) == NULL ||     /* fopen "a" does O_APPEND */
                          setvbuf(f, NULL, _IOFBF, bufsize) != 0))
        err_exit("fdopen/setvbuf %s", path);
    for (int s = 0; s < lines; s++) {
        make_line(line, bytes, w, s);
        if (mode == STDIO) {
            if (fputs(line, f) == EOF) err_exit("fputs");
        } else {                /* one write() per whole line, never writen() */
            ssize_t n = write(fd, line, bytes);
            if (n == -1) err_exit("write");
            if (n != bytes) err_exit("short write: %zd of %ld bytes", n, bytes);
        }
    }
    if ((f && fclose(f) == EOF) || (mode == APPEND && close(fd) == -1))
        err_exit("close");
    free(line);
}

/* The logger: copy the pipe to the file until every writer has closed it. */
static void logger(int in, const char *path)
{
    static char buf[65536];
    ssize_t n;
    int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW);
    if (fd == -1) err_exit("open %s", path);
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n == -1 && errno == EINTR) continue;
        if (n == -1) err_exit("read pipe");
        if (writen(fd, buf, n) != n) err_exit("write %s", path);
    }
    if (close(fd) == -1) err_exit("close");
}

/* Read the log back: intact = right length, header, checksum, seen once. */
static int check_log(const char *path, int procs, long lines, long bytes)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, *seen = calloc(procs * lines, 1);
    size_t cap = 0;
    ssize_t len;
    long intact = 0, torn = 0;
    if (f == NULL) errExit("fopen %s", path);
    if (seen == NULL) errExit("calloc");
    while ((len = getline(&line, &cap, f)) != -1) {
        int w, s, n, end = 0;
        unsigned c;
        if (len == bytes && line[len - 1] == '\n' &&
            sscanf(line, "w=%2d s=%6d n=%5d c=%8x %n", &w, &s, &n, &c, &end) == 4 &&
            end == HEADER && w >= 1 && w <= procs && s >= 0 && s < lines && n == len &&
            checksum(line + HEADER, len - HEADER - 1, w, s) == c && !seen[(w - 1) * lines + s]) {
            seen[(w - 1) * lines + s] = 1;
            intact++;
        } else {
            torn++;
        }
    }
    if (ferror(f)) errExit("getline %s", path);
    fclose(f);
    free(line);
    free(seen);
    long missing = procs * lines - intact;
    printf("lines: %ld intact, %ld torn, %ld missing\n", intact, torn, missing);
    return torn == 0 && missing == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Create the -o file.  A path in a shared directory such as /tmp may have
 * been prepared by someone else: a symbolic link to a file of ours would
 * make us overwrite that file.  So: never follow a link (O_NOFOLLOW), a new
 * file only (O_EXCL) unless --overwrite, and then only a regular file;
 * mode 0600 (the log is ours alone). */
static void open_out(const char *path, bool overwrite)
{
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL);
    int fd = open(path, flags | O_NONBLOCK, 0600);   /* O_NONBLOCK: a FIFO must not block us */
    struct stat st;
    if (fd == -1 && errno == EEXIST)
        fatal("%s exists (or is a symbolic link): choose a new path, or add --overwrite "
              "to replace a regular file", path);
    if (fd == -1 && errno == ELOOP)
        fatal("%s is a symbolic link: not followed", path);
    if (fd == -1)
        errExit("open %s", path);
    if (fstat(fd, &st) == -1)
        errExit("fstat %s", path);
    if (!S_ISREG(st.st_mode))
        fatal("%s is not a regular file", path);
    if (close(fd) == -1)
        errExit("close %s", path);
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "mode", required_argument, NULL, 'm' }, { "procs", required_argument, NULL, 'p' },
        { "lines", required_argument, NULL, 'l' }, { "line-bytes", required_argument, NULL, 'B' },
        { "buffer", required_argument, NULL, 'b' }, { "out", required_argument, NULL, 'o' },
        { "overwrite", no_argument, NULL, 'O' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    enum mode mode = APPEND;
    bool overwrite = false;
    long procs = 4, lines = 1000, bytes = 100, bufsize = 4096;
    const char *path = NULL;
    int opt, gate[2], pipefd[2] = { -1, -1 }, failed = 0;
    pid_t pids[MAX_PROCS + 1], me = getpid();

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "p:l:B:o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'm':
            for (mode = STDIO; mode <= LOGGER && strcmp(optarg, mode_names[mode]); mode++)
                ;
            if (mode > LOGGER) usageErr("--mode: '%s' is not stdio, append or logger", optarg);
            break;
        case 'p': procs = parse_long("--procs", optarg, 1, MAX_PROCS); break;
        case 'l': lines = parse_long("--lines", optarg, 1, 100000); break;
        case 'B': bytes = parse_long("--line-bytes", optarg, 40, 65536); break;
        case 'b': bufsize = parse_bytes("--buffer", optarg, 64, 1 << 20); break;
        case 'o': path = optarg; break;
        case 'O': overwrite = true; break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (overwrite && path == NULL)
        usageErr("--overwrite needs -o PATH");
    if (procs * lines * bytes > (1L << 30))
        usageErr("PROCS x LINES x LINE_BYTES is over 1 GiB");

    setbuf(stdout, NULL);
    signal(SIGINT, on_signal);  /* remove the temp file on Ctrl-C too */
    signal(SIGTERM, on_signal);
    if (path == NULL) {
        snprintf(tmp_path, sizeof tmp_path, "/tmp/proclab-%d-%d-log-XXXXXX", getuid(), me);
        int fd = mkstemp(tmp_path);             /* O_EXCL, mode 0600 */
        if (fd == -1) errExit("mkstemp");
        have_tmp = 1;
        if (atexit(remove_tmp) != 0) fatal("atexit");
        if (close(fd) == -1) errExit("close");
        path = tmp_path;
    } else {
        open_out(path, overwrite);
    }
    printf("logging --mode %s: %ld processes x %ld lines of %ld bytes -> %s%s\n",
           mode_names[mode], procs, lines, bytes, path, have_tmp ? " (removed at exit)" : "");

    /* The gate: writers block reading it until the parent closes it, so all
     * start together instead of one finishing before the next is forked. */
    if (pipe(gate) == -1 || (mode == LOGGER && pipe(pipefd) == -1)) errExit("pipe");
    int n = procs + (mode == LOGGER);
    for (int i = 0; i < n; i++) {
        if ((pids[i] = lab_fork_guarded()) == -1) errExit("fork");   /* dies with us */
        if (pids[i] != 0)
            continue;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (close(gate[1]) == -1) err_exit("close");
        if (i == procs) {                       /* the logger */
            if (close(pipefd[1]) == -1) err_exit("close");
            logger(pipefd[0], path);
            _exit(0);
        }
        if (mode == LOGGER && close(pipefd[0]) == -1) err_exit("close");
        struct pollfd p = { .fd = gate[0], .events = POLLIN };
        char c;
        if (poll(&p, 1, 10000) != 1 || read(gate[0], &c, 1) != 0) err_exit("gate");
        writer(mode, path, pipefd[1], i + 1, lines, bytes, bufsize);
        _exit(0);
    }
    /* Closing the gate's write end opens it; closing ours of the log pipe
     * lets the logger see EOF once the writers are done. */
    if (close(gate[0]) == -1 || close(gate[1]) == -1) errExit("close");
    if (mode == LOGGER && (close(pipefd[0]) == -1 || close(pipefd[1]) == -1)) errExit("close");

    long long deadline = now_ns() + 120 * 1000000000LL;
    for (int i = 0; i < n; i++) {
        int status;
        pid_t r = wait_child_for(pids[i], &status, (deadline - now_ns()) / 1000000);
        if (r == -1) errExit("waitpid");
        if (r == 0) {
            for (int j = i; j < n; j++) kill_and_reap(pids[j]);
            fprintf(stderr, "%s: processes still running after 120 s: killed\n", lab_progname);
            failed = 1;
            break;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char how[64];
            fprintf(stderr, "%s: process %d ended with %s\n", lab_progname, i + 1,
                    describe_status(status, how, sizeof how));
            failed = 1;
        }
    }
    if (!failed)
        failed = check_log(path, procs, lines, bytes);
    if (have_tmp && unlink(tmp_path) == -1) errExit("unlink %s", tmp_path);
    have_tmp = 0;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* fifo.c: a named pipe lets two unrelated processes talk.
 *
 * Lesson: mkfifo() puts a pipe in the file system.  Any process allowed to
 * open the path can use it: no common parent needed.  Opening blocks until
 * the other side opens too (a reader waits for a writer and vice versa), and
 * the reader sees EOF when every writer has closed.
 *
 * The pitfall: a blocking open() with nobody on the other side waits forever.
 * Here every open is bounded: `serve` opens O_NONBLOCK (a reader may) and
 * waits with poll(); `send` retries a non-blocking open (ENXIO: no reader
 * yet); `demo` blocks on purpose, with alarm() to interrupt it.  The FIFO is
 * a name that outlives its users, so it is removed on every exit path and on
 * SIGINT/SIGTERM.
 *
 * Watch for: in `demo`, the reader's open() returns only when the writer,
 * started later, opens; in two terminals, `serve` printing what `send` sent.
 *
 * Try:
 *   ./fifo demo
 *   ./fifo serve /tmp/f &  ./fifo send /tmp/f hello world
 *   ./fifo send /tmp/nobody hi -t 500      # no reader: gives up, exit 3
 *
 * Exit: 0 done, 1 error (PATH exists for serve), 2 bad arguments,
 *       3 the other side did not come within the timeout.
 * Usage: fifo [-t MS] [-d MS] serve PATH | send PATH MSG... | demo
 * Python: os.mkfifo(path, 0o600), open(path), os.unlink(path)
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/time.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [-t MS] [-d MS] serve PATH | send PATH MSG... | demo\n"
            "  serve PATH     create the FIFO PATH (mode 0600, must not exist), print\n"
            "                 the lines written to it until EOF, then remove it\n"
            "  send PATH MSG  write each MSG as a line into the FIFO PATH\n"
            "  demo           a reader and a writer in a private directory: open()\n"
            "                 blocks until the other side opens\n"
            "  -t, --timeout MS  longest wait for the other side (1..600000, default 30000)\n"
            "  -d, --delay MS    demo: the writer starts this late (0..60000, default 300)\n"
            "  -h, --help        this help\n",
            lab_progname);
    exit(status);
}

/* What to remove on exit or on a signal.  Only the process that made them
 * (owner) removes them; the demo's children inherit handlers, not duties. */
static char fifo_path[PATH_MAX], dir_path[64];
static volatile sig_atomic_t fifo_made, dir_made;
static pid_t owner, kids[2];
static long long t0;

static void cleanup(void)           /* async-signal-safe calls only */
{
    if (getpid() != owner)
        return;
    for (int i = 0; i < 2; i++)
        if (kids[i] > 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
            kids[i] = 0;
        }
    if (fifo_made && unlink(fifo_path) == 0)
        fifo_made = 0;
    if (dir_made && rmdir(dir_path) == 0)
        dir_made = 0;
}

static void on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);                     /* die of it, so the caller sees why */
}

static void on_alarm(int sig) { (void)sig; }    /* only interrupts open() */

static void make_fifo(const char *path)
{
    if (snprintf(fifo_path, sizeof fifo_path, "%s", path) >= (int)sizeof fifo_path)
        fatal("path too long");
    if (mkfifo(fifo_path, 0600) == -1) {    /* fails if the name exists */
        if (errno == EEXIST)
            fatal("%s exists: remove it, or pick a new path", path);
        errExit("mkfifo %s", path);
    }
    fifo_made = 1;
}

static long ms_since_t0(void) { return (long)((now_ns() - t0) / 1000000); }

static int serve(const char *path, long timeout_ms)
{
    char buf[PIPE_BUF];
    long lines = 0;
    size_t have = 0;

    make_fifo(path);
    /* O_NONBLOCK: a reader's open returns at once, writer or not. */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd == -1)
        errExit("open %s", path);
    printf("serve: created FIFO %s (mode 0600), waiting up to %.1f s for writers\n",
           path, timeout_ms / 1000.0);
    long long deadline = now_ns() + timeout_ms * 1000000LL;
    for (;;) {
        long left = (long)((deadline - now_ns()) / 1000000);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (ready == -1)
            errExit("poll");
        if (ready == 0) {
            printf("serve: no EOF within %.1f s, giving up\n", timeout_ms / 1000.0);
            return 3;
        }
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n == -1 && errno == EAGAIN)
            continue;
        if (n == -1)
            errExit("read");
        if (n == 0)
            break;          /* EOF: a writer came and every writer has gone */
        have += (size_t)n;
        char *nl, *start = buf;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf))) != NULL) {
            printf("serve: got '%.*s'\n", (int)(nl - start), start);
            lines++;
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof buf)             /* a line longer than the buffer */
            fatal("line longer than %zu bytes", sizeof buf);
    }
    if (close(fd) == -1)
        errExit("close");
    printf("serve: EOF after %ld lines: every writer has closed\n", lines);
    if (unlink(path) == -1)
        errExit("unlink %s", path);
    fifo_made = 0;
    printf("serve: removed %s\n", path);
    return EXIT_SUCCESS;
}

static int send_lines(const char *path, char *msgs[], int count, long timeout_ms)
{
    long long deadline = now_ns() + timeout_ms * 1000000LL;
    int fd;
    /* Check every message first: a bad one is refused at once, not after
     * a reader has come and waited for it. */
    for (int i = 0; i < count; i++)
        if (strlen(msgs[i]) + 1 >= PIPE_BUF)
            usageErr("message %d is longer than %d bytes (one atomic write of at most "
                     "PIPE_BUF, newline included)", i + 1, PIPE_BUF - 2);
    /* A writer's O_NONBLOCK open fails with ENXIO while nobody reads. */
    while ((fd = open(path, O_WRONLY | O_NONBLOCK)) == -1) {
        if (errno != ENXIO && errno != ENOENT)
            errExit("open %s", path);
        if (now_ns() >= deadline) {
            fprintf(stderr, "send: no reader opened %s within %.1f s\n", path,
                    timeout_ms / 1000.0);
            return 3;
        }
        sleep_ms(10);
    }
    struct stat st;
    if (fstat(fd, &st) == -1)
        errExit("fstat");
    if (!S_ISFIFO(st.st_mode))
        fatal("%s is not a FIFO", path);
    int flags = fcntl(fd, F_GETFL);         /* from now on, plain blocking writes */
    if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
        errExit("fcntl");
    alarm((unsigned)(timeout_ms / 1000 + 1));   /* a watchdog: the reader may stall */
    for (int i = 0; i < count; i++) {
        char line[PIPE_BUF];                /* one write per line: atomic */
        int len = snprintf(line, sizeof line, "%s\n", msgs[i]);   /* fits: checked above */
        if (writen(fd, line, (size_t)len) == -1)
            errExit("write");
    }
    if (close(fd) == -1)
        errExit("close");
    printf("send: wrote %d lines to %s\n", count, path);
    return EXIT_SUCCESS;
}

/* A blocking open, interrupted by SIGALRM (EINTR) after timeout_ms. */
static int timed_open(const char *who, int flags, long timeout_ms)
{
    struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART */
    if (sigaction(SIGALRM, &sa, NULL) == -1)
        err_exit("sigaction");
    printf("%s: open(%s) started at %ld ms\n", who,
           flags == O_RDONLY ? "O_RDONLY" : "O_WRONLY", ms_since_t0());
    struct itimerval timer = { .it_value = { timeout_ms / 1000, timeout_ms % 1000 * 1000 } };
    if (setitimer(ITIMER_REAL, &timer, NULL) == -1)     /* SIGALRM then */
        err_exit("setitimer");
    int fd = open(fifo_path, flags);
    timer.it_value = (struct timeval){ 0, 0 };
    if (setitimer(ITIMER_REAL, &timer, NULL) == -1)
        err_exit("setitimer");
    if (fd == -1 && errno == EINTR) {
        printf("%s: nobody opened the other end in time\n", who);
        _exit(3);
    }
    if (fd == -1)
        err_exit("open %s", fifo_path);
    printf("%s: open returned at %ld ms\n", who, ms_since_t0());
    return fd;
}

static void demo_reader(long timeout_ms)
{
    char buf[256];
    int fd = timed_open("reader", O_RDONLY, timeout_ms);
    ssize_t n = readn(fd, buf, sizeof buf - 1);     /* until EOF */
    if (n == -1)
        err_exit("read");
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    printf("reader: got '%s', then EOF\n", buf);
    _exit(EXIT_SUCCESS);
}

static void demo_writer(long delay_ms, long timeout_ms)
{
    sleep_ms(delay_ms);
    int fd = timed_open("writer", O_WRONLY, timeout_ms);
    char line[64];
    int len = snprintf(line, sizeof line, "hello from pid %ld\n", (long)getpid());
    if (writen(fd, line, (size_t)len) == -1 || close(fd) == -1)
        err_exit("write");
    _exit(EXIT_SUCCESS);
}

static int demo(long delay_ms, long timeout_ms)
{
    snprintf(dir_path, sizeof dir_path, "/tmp/proclab-%ld-%ld-XXXXXX",
             (long)getuid(), (long)getpid());
    if (mkdtemp(dir_path) == NULL)          /* mode 0700: ours alone */
        errExit("mkdtemp");
    dir_made = 1;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/fifo", dir_path);
    make_fifo(path);
    printf("demo: FIFO %s; the writer starts %ld ms after the reader\n", path, delay_ms);
    t0 = now_ns();
    for (int i = 0; i < 2; i++) {
        pid_t pid = lab_fork_guarded();   /* dies with the parent */
        if (pid == -1)
            errExit("fork");
        if (pid == 0) {
            if (i == 0)
                demo_reader(timeout_ms);
            demo_writer(delay_ms, timeout_ms);
        }
        kids[i] = pid;
    }
    int worst = EXIT_SUCCESS;
    for (int i = 0; i < 2; i++) {
        int status;
        char how[64];
        pid_t r = wait_child_for(kids[i], &status, delay_ms + timeout_ms + 3000);
        if (r <= 0)
            fatal("%s did not finish", i == 0 ? "reader" : "writer");
        kids[i] = 0;
        printf("demo: %s ended with %s\n", i == 0 ? "reader" : "writer",
               describe_status(status, how, sizeof how));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            worst = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILURE;
    }
    cleanup();
    printf("demo: removed the FIFO and %s\n", dir_path);
    return worst;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "timeout", required_argument, NULL, 't' },
        { "delay", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long timeout_ms = 30000, delay_ms = 300;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "t:d:h", options, NULL)) != -1) {
        switch (opt) {
        case 't': timeout_ms = parse_long("--timeout", optarg, 1, 600000); break;
        case 'd': delay_ms = parse_long("--delay", optarg, 0, 60000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind == argc)
        usageErr("a command is required: serve, send or demo");
    const char *cmd = argv[optind++];
    int left = argc - optind;
    bool ok = (strcmp(cmd, "serve") == 0 && left == 1) ||
              (strcmp(cmd, "send") == 0 && left >= 2) ||
              (strcmp(cmd, "demo") == 0 && left == 0);
    if (!ok)
        usageErr("'%s' with %d argument(s): expected serve PATH, send PATH MSG..., or demo",
                 cmd, left);

    setbuf(stdout, NULL);           /* children print too, and leave with _exit */
    owner = getpid();
    if (atexit(cleanup) != 0)       /* errExit and fatal paths clean up too */
        fatal("atexit");
    struct sigaction sa = { .sa_handler = on_signal };
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
        sigaction(SIGHUP, &sa, NULL) == -1)
        errExit("sigaction");

    if (strcmp(cmd, "serve") == 0)
        return serve(argv[optind], timeout_ms);
    if (strcmp(cmd, "send") == 0)
        return send_lines(argv[optind], &argv[optind + 1], left - 1, timeout_ms);
    return demo(delay_ms, timeout_ms);
}

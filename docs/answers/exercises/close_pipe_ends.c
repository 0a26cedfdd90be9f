/* close_pipe_ends.c (exercise, reference solution): the reader sees EOF
 * only when every write end of the pipe is closed.
 *
 * The parent writes LINES numbered lines into a pipe, closes its write end
 * and waits; the child prints "got K" for every line and, at EOF,
 * "reader: EOF after N lines".  After fork both processes hold both ends:
 * the child's own copy of the write end keeps the pipe open, so its read()
 * would never return 0.  (The child gives up after 0.3 s without data and
 * says so, exit 3, so that the run stays bounded.)
 *
 * Task: at the TODOs, close the end each process does not use.
 * Grade: make grade EX=close_pipe_ends SRC=your_copy.c
 * Usage: close_pipe_ends [LINES]
 */
#include "lab.h"
#include <poll.h>

#define EOF_WAIT_MS 300

static long lines_from_args(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [LINES]\nThe parent writes LINES lines (1..100000, default 100) "
               "into a pipe; the child reads them until EOF.\n", lab_progname);
        exit(0);
    }
    if (argc > 2)
        usageErr("one argument at most");
    return argc == 2 ? parse_long("LINES", argv[1], 1, 100000) : 100;
}

/* Read until EOF, printing each number; give up after EOF_WAIT_MS of silence. */
static void reader(int fd)
{
    char buf[4096];
    long lines = 0, number = 0;

    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int ready = poll(&p, 1, EOF_WAIT_MS);
        if (ready == -1)
            err_exit("poll");
        if (ready == 0) {
            printf("reader: no EOF after %.1f s (%ld lines): a write end is still open\n",
                   EOF_WAIT_MS / 1000.0, lines);
            fflush(stdout);
            _exit(3);
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == -1)
            err_exit("read");
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                printf("got %ld\n", number);
                lines++;
                number = 0;
            } else {
                number = number * 10 + (buf[i] - '0');
            }
        }
    }
    printf("reader: EOF after %ld lines\n", lines);
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    long count = lines_from_args(argc, argv);
    int pfd[2];

    if (pipe(pfd) == -1)
        errExit("pipe");
    fflush(stdout);
    pid_t child = lab_fork_guarded();
    if (child == -1)
        errExit("fork");
    if (child == 0) {
        /* TODO: close the end of the pipe the reader does not use. */
        if (close(pfd[1]) == -1)
            err_exit("close write end");
        reader(pfd[0]);
    }

    /* TODO: close the end of the pipe the writer does not use. */
    if (close(pfd[0]) == -1)
        errExit("close read end");
    for (long k = 1; k <= count; k++) {
        char line[32];
        int len = snprintf(line, sizeof line, "%ld\n", k);
        if (writen(pfd[1], line, (size_t)len) == -1)
            errExit("write");
    }
    if (close(pfd[1]) == -1)
        errExit("close write end");

    int status;
    pid_t r = wait_child_for(child, &status, 5000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(child);
        fatal("the reader did not end within 5 s");
    }
    char how[64];
    printf("writer: reader ended with %s\n", describe_status(status, how, sizeof how));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

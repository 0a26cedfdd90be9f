/* popen2_closed_std.c (exercise, reference solution): a pipe to and from a
 * command, that still works when the program was started with its standard
 * descriptors closed.
 *
 * The program runs `tr a-z A-Z` with its stdin and stdout on two pipes,
 * sends "hello world", reads the answer until EOF and prints
 * "result: HELLO WORLD" on stderr.  It works from a terminal.  Now start it
 * with stdin and stdout closed (`./popen2_closed_std <&- >&-`, as a daemon
 * or a careless caller may): pipe() returns the lowest free fds, so the
 * first pipe gets fds 0 and 1, and the child's dup2-then-close dance closes
 * the very descriptors it has just set up: tr reads and writes nothing.
 * Either keep 0, 1 and 2 taken (open /dev/null on the closed ones) before
 * making pipes, or have the child move every pipe end above 2 before its
 * dup2 calls.
 *
 * Task: at the TODO, keep the pipes off fds 0, 1 and 2.
 * Grade: make grade EX=popen2_closed_std SRC=your_copy.c
 * Usage: popen2_closed_std
 */
#include "lab.h"
#include <fcntl.h>
#include <poll.h>

static const char message[] = "hello world\n";

/* Descriptors 0, 1 and 2 may be closed when we start. */
static void keep_standard_fds_taken(void)
{
    /* TODO: a closed fd 0, 1 or 2 would be the next pipe end. */
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1)
            continue;
        if (errno != EBADF)
            errExit("fcntl F_GETFD %d", fd);
        int opened = open("/dev/null", O_RDWR);   /* the lowest free fd: this one */
        if (opened == -1)
            errExit("open /dev/null");
        if (opened != fd)
            fatal("/dev/null opened as fd %d, expected %d", opened, fd);
    }
}

static void child(int to_child[2], int from_child[2])
{
    if (dup2(to_child[0], STDIN_FILENO) == -1 || dup2(from_child[1], STDOUT_FILENO) == -1)
        err_exit("dup2");
    if (close(to_child[0]) == -1 || close(to_child[1]) == -1 ||
        close(from_child[0]) == -1 || close(from_child[1]) == -1)
        err_exit("close");
    execlp("tr", "tr", "a-z", "A-Z", (char *)NULL);
    err_exit("execlp tr");
}

/* Read what the command prints until EOF, at most 2 s. */
static size_t read_answer(int fd, char *buf, size_t size)
{
    size_t got = 0;
    long long deadline = now_ns() + 2000 * 1000000LL;
    while (got < size - 1) {
        long left_ms = (long)((deadline - now_ns()) / 1000000);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int ready = left_ms > 0 ? poll(&p, 1, (int)left_ms) : 0;
        if (ready == -1) {
            if (errno == EINTR)
                continue;
            errExit("poll");
        }
        if (ready == 0)
            fatal("no EOF from tr within 2 s");
        ssize_t n = read(fd, buf + got, size - 1 - got);
        if (n == -1)
            errExit("read");
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return got;
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s\nSend 'hello world' through tr a-z A-Z on two pipes; "
                "print the answer on stderr.\n", lab_progname);
        return 0;
    }
    if (argc > 1)
        usageErr("no arguments expected");

    keep_standard_fds_taken();
    int to_child[2], from_child[2];
    if (pipe(to_child) == -1 || pipe(from_child) == -1)
        errExit("pipe");
    fprintf(stderr, "pipes: to tr %d->%d, from tr %d->%d\n",
            to_child[1], to_child[0], from_child[1], from_child[0]);
    pid_t pid = lab_fork_guarded();
    if (pid == -1)
        errExit("fork");
    if (pid == 0)
        child(to_child, from_child);

    if (close(to_child[0]) == -1 || close(from_child[1]) == -1)
        errExit("close");
    if (writen(to_child[1], message, sizeof message - 1) == -1)
        errExit("write to tr");
    if (close(to_child[1]) == -1)       /* EOF for tr */
        errExit("close");
    char answer[256];
    read_answer(from_child[0], answer, sizeof answer);
    if (close(from_child[0]) == -1)
        errExit("close");

    int status;
    char how[64];
    pid_t r = wait_child_for(pid, &status, 2000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("tr did not end within 2 s");
    }
    fprintf(stderr, "result: %s", answer[0] ? answer : "(nothing)\n");
    fprintf(stderr, "tr: %s\n", describe_status(status, how, sizeof how));
    return strcmp(answer, "HELLO WORLD\n") == 0 && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0 ? 0 : 1;
}

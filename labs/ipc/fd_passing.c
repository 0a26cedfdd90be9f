/* fd_passing.c: hand an open file to another process with SCM_RIGHTS.
 *
 * Lesson: an fd is an index into one process's table; the thing it points
 * to is an "open file description" (file, offset, flags) in the kernel.
 * Over a Unix socket, sendmsg() with an SCM_RIGHTS control message gives
 * the receiver a new fd pointing at the SAME open file description.  The
 * number may differ, but the offset is shared: a write by either process
 * moves it for both.
 *
 * Here the child is forked first, so it cannot have inherited the file; the
 * parent then creates the file in a private directory and removes its name
 * at once, so the child cannot open it by name either.  The only way in is
 * the fd it is sent.  Pre-forked servers use this: a master accept()s a
 * connection and passes the connected socket to an idle worker.
 *
 * The pitfall (--number-only): sending the fd's NUMBER as plain data.  In
 * the child that number is some other fd or none at all.
 *
 * Watch for: different fd numbers, the same inode, and the offset 23 -> 45
 * moved by the other process.
 *
 * Try:
 *   ./fd_passing
 *   ./fd_passing --number-only          # exit 1: a number is not an fd
 *   strace -f -e trace=sendmsg,recvmsg ./fd_passing
 *   ./fd_passing --fd-table fds.csv; scripts/fd_table.py fds.csv fds.svg
 *
 * Usage: fd_passing [--number-only] [--fd-table FILE]
 * Python: socket.send_fds/recv_fds, multiprocessing.reduction.send_handle/recv_handle
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

enum { TIMEOUT_MS = 5000 };

/* What --number-only sends instead of the fd itself. */
struct fd_number { int fd; ino_t ino; };

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--number-only] [--fd-table FILE]\n"
            "The parent opens a file and sends the open fd to its child over a\n"
            "Unix socketpair (SCM_RIGHTS); both write through it.\n"
            "      --number-only  send just the fd's number as data (the pitfall)\n"
            "      --fd-table FILE  write both fd tables (the parent's after open, the\n"
            "                     child's before and after receiving) as CSV for\n"
            "                     scripts/fd_table.py\n"
            "  -h, --help         this help\n",
            lab_progname);
    exit(status);
}

static void wait_readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int ready = poll(&p, 1, TIMEOUT_MS);
    if (ready == -1)
        err_exit("poll");
    if (ready == 0)
        err_exit("nothing from the other process within %d ms", TIMEOUT_MS);
}

/* One data byte carries the control message: SCM_RIGHTS needs real data. */
static void send_fd(int sock, int fd)
{
    char byte = 'F';
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
    if (sendmsg(sock, &msg, 0) != 1)
        errExit("sendmsg");
}

static int recv_fd(int sock)
{
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    int fd;

    wait_readable(sock);
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n == -1)
        err_exit("recvmsg");
    if (n == 0)
        err_exit("the parent closed the socket");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        (msg.msg_flags & MSG_CTRUNC))
        err_exit("no fd in the message");
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

static void child(int sock, bool number_only)
{
    struct stat st;
    lab_fd_table_snapshot("child", "2 before receiving");
    if (number_only) {                  /* the pitfall: just a number */
        struct fd_number got;
        wait_readable(sock);
        if (readn(sock, &got, sizeof got) != sizeof got)
            err_exit("read");
        lab_fd_table_snapshot("child", "3 after reading a number");
        if (fstat(got.fd, &st) == -1)
            printf("child: fstat(%d) failed: %s: ", got.fd, strerrorname_np(errno));
        else if (st.st_ino != got.ino)
            printf("child: fd %d here is a %s, not the parent's file: ", got.fd,
                   S_ISSOCK(st.st_mode) ? "socket" : "different file");
        else
            printf("child: fd %d is the file only because it was inherited: ", got.fd);
        printf("an fd number means nothing in another process\n");
        _exit(EXIT_FAILURE);
    }
    int fd = recv_fd(sock);
    lab_fd_table_snapshot("child", "3 after recvmsg (SCM_RIGHTS)");
    if (fstat(fd, &st) == -1)
        err_exit("fstat");
    off_t off = lseek(fd, 0, SEEK_CUR);
    if (off == -1)
        err_exit("lseek");
    printf("child: received fd %d, inode %lu, offset %lld: the parent's write moved it for me\n",
           fd, (unsigned long)st.st_ino, (long long)off);
    const char line[] = "child wrote this line\n";
    if (writen(fd, line, sizeof line - 1) == -1)
        err_exit("write");
    if ((off = lseek(fd, 0, SEEK_CUR)) == -1)
        err_exit("lseek");
    printf("child: wrote %zu bytes through fd %d, offset now %lld\n",
           sizeof line - 1, fd, (long long)off);
    if (close(fd) == -1 || write(sock, "k", 1) != 1)   /* tell the parent: done */
        err_exit("close or ack");
    _exit(EXIT_SUCCESS);
}

/* Create a file nobody else can reach: a private directory, O_EXCL, 0600,
 * and both names removed as soon as the fd exists. */
static int open_private_file(void)
{
    char dir[64], path[96];
    snprintf(dir, sizeof dir, "/tmp/proclab-%ld-%ld-XXXXXX", (long)getuid(), (long)getpid());
    if (mkdtemp(dir) == NULL)
        errExit("mkdtemp");
    snprintf(path, sizeof path, "%s/shared.txt", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int saved = errno;
    if (fd != -1 && unlink(path) == -1)
        errExit("unlink %s", path);
    if (rmdir(dir) == -1)
        errExit("rmdir %s", dir);
    errno = saved;
    if (fd == -1)
        errExit("open %s", path);
    printf("parent: opened %s as fd %d, then removed it and its directory\n", path, fd);
    return fd;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "number-only", no_argument, NULL, 'N' },
        { "fd-table", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool number_only = false;
    int opt, sv[2];

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'N': number_only = true; break;
        case 'F': lab_fd_table_open(optarg); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    setbuf(stdout, NULL);       /* the child prints too, and leaves with _exit */

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        errExit("socketpair");
    pid_t pid = lab_fork_guarded();   /* before the file exists: nothing to inherit */
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        if (close(sv[0]) == -1)
            err_exit("close - child");
        child(sv[1], number_only);
    }
    if (close(sv[1]) == -1)
        errExit("close");

    int fd = open_private_file();
    const char line[] = "parent wrote this line\n";
    if (writen(fd, line, sizeof line - 1) == -1)
        errExit("write");
    struct stat st;
    off_t off = lseek(fd, 0, SEEK_CUR);
    if (fstat(fd, &st) == -1 || off == -1)
        errExit("fstat or lseek");
    printf("parent: wrote %zu bytes through fd %d (inode %lu), offset now %lld\n",
           sizeof line - 1, fd, (unsigned long)st.st_ino, (long long)off);
    lab_fd_table_snapshot("parent", "1 after open and unlink");
    if (number_only) {
        printf("parent: sending only the number %d as data\n", fd);
        struct fd_number n = { .fd = fd, .ino = st.st_ino };
        if (writen(sv[0], &n, sizeof n) == -1)
            errExit("write");
    } else {
        printf("parent: sending fd %d with SCM_RIGHTS\n", fd);
        send_fd(sv[0], fd);
    }

    char ack;
    struct pollfd p = { .fd = sv[0], .events = POLLIN };
    if (poll(&p, 1, TIMEOUT_MS) == 1 && read(sv[0], &ack, 1) == 1) {
        if ((off = lseek(fd, 0, SEEK_CUR)) == -1)
            errExit("lseek");
        printf("parent: offset now %lld: the child's write moved mine too\n", (long long)off);
        char buf[128] = "";
        if (pread(fd, buf, sizeof buf - 1, 0) == -1)
            errExit("pread");
        printf("parent: the file holds:\n%s", buf);
    }
    if (close(fd) == -1 || close(sv[0]) == -1)      /* last fd: the file goes */
        errExit("close");

    int status;
    char how[64];
    pid_t r = wait_child_for(pid, &status, TIMEOUT_MS + 1000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("the child did not finish");
    }
    printf("parent: child ended with %s\n", describe_status(status, how, sizeof how));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* read_whole_frames.c (exercise, reference solution): a pipe is a byte
 * stream, so one read() may return less than the message you asked for.
 *
 * The child writes MESSAGES framed messages into a pipe: a 4-byte length,
 * then that many payload bytes (sizes up to 192 KiB, more than a pipe
 * holds).  The parent reads frame after frame, checks each payload and
 * prints "intact K" (or "corrupt K: ..."), then "reader: N messages, then
 * EOF".  read() returns what is in the pipe now, at most its capacity
 * (64 KiB by default): asking for 192 KiB in one call gets a part.  Every
 * read of a header or a payload must loop until it has all it asked for.
 *
 * Task: at the TODOs, read the whole header and the whole payload
 * (readn() in lab.h loops over short counts; or write the loop yourself).
 * Grade: make grade EX=read_whole_frames SRC=your_copy.c
 * Usage: read_whole_frames [MESSAGES]
 */
#include "lab.h"
#include <stdint.h>

#define MAX_PAYLOAD (192 * 1024)

static long messages_from_args(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [MESSAGES]\nThe child sends MESSAGES framed messages "
               "(1..1000, default 12); the parent checks each.\n", lab_progname);
        exit(0);
    }
    if (argc > 2)
        usageErr("one argument at most");
    return argc == 2 ? parse_long("MESSAGES", argv[1], 1, 1000) : 12;
}

static uint32_t payload_size(long k) { return (uint32_t)(1000 + (k * 37813) % MAX_PAYLOAD); }
static unsigned char payload_byte(long k, uint32_t i) { return (unsigned char)(k * 31 + i); }

static void writer(int fd, long count)
{
    static unsigned char buf[MAX_PAYLOAD + 4];
    for (long k = 1; k <= count; k++) {
        uint32_t size = payload_size(k);
        memcpy(buf, &size, 4);
        for (uint32_t i = 0; i < size; i++)
            buf[4 + i] = payload_byte(k, i);
        if (writen(fd, buf, 4 + (size_t)size) == -1)
            err_exit("write");
    }
    _exit(0);
}

/* One message: 1 read, 0 clean EOF, -1 broken stream (reported). */
static int read_message(int fd, long k, unsigned char *buf)
{
    uint32_t size = 0;
    /* TODO: the 4-byte header may come in pieces too. */
    ssize_t got = readn(fd, &size, 4);
    if (got == -1)
        errExit("read header");
    if (got == 0)
        return 0;
    if (got != 4 || size > MAX_PAYLOAD) {
        printf("corrupt %ld: bad header (%zd bytes, length %u)\n", k, got, size);
        return -1;
    }
    /* TODO: one read() returns at most what the pipe holds now. */
    got = readn(fd, buf, size);
    if (got == -1)
        errExit("read payload");
    if ((uint32_t)got != size) {
        printf("corrupt %ld: %zd of %u bytes\n", k, got, size);
        return -1;
    }
    for (uint32_t i = 0; i < size; i++) {
        if (buf[i] != payload_byte(k, i)) {
            printf("corrupt %ld: byte %u differs\n", k, i);
            return -1;
        }
    }
    printf("intact %ld (%u bytes)\n", k, size);
    return 1;
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    long count = messages_from_args(argc, argv);
    static unsigned char buf[MAX_PAYLOAD];
    int pfd[2];

    if (pipe(pfd) == -1)
        errExit("pipe");
    fflush(stdout);
    pid_t child = lab_fork_guarded();
    if (child == -1)
        errExit("fork");
    if (child == 0) {
        if (close(pfd[0]) == -1)
            err_exit("close");
        writer(pfd[1], count);
    }
    if (close(pfd[1]) == -1)
        errExit("close");

    long k = 0;
    int r;
    while ((r = read_message(pfd[0], k + 1, buf)) == 1)
        k++;
    if (r == 0)
        printf("reader: %ld messages, then EOF\n", k);
    if (close(pfd[0]) == -1)    /* a writer still writing gets EPIPE or SIGPIPE */
        errExit("close");

    int status;
    pid_t w = wait_child_for(child, &status, 5000);
    if (w == -1)
        errExit("waitpid");
    if (w == 0)
        kill_and_reap(child);
    return r == 0 && k == count ? 0 : 1;
}

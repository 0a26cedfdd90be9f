/* framing.c: a byte stream has no message boundaries; frames put them back.
 *
 * Lesson: a pipe or a stream socket carries bytes, not messages.  One write()
 * is not one read(): the reader may get two messages merged, or one message
 * split over several reads.  The fix is framing: send each message as
 *     4-byte big-endian length | 4-byte sequence | payload | 4-byte checksum
 * and read exactly that many bytes with readn().  Then it does not matter
 * how the bytes were cut on the way.
 *
 * --no-framing: the sender writes each message with one write(); the
 * receiver does one read() per "message" into a 4096-byte buffer.  The
 * sender writes a few messages before the receiver starts, so reads merge
 * them, and some messages are bigger than the buffer, so reads split them.
 * The receiver knows the true sizes (same --seed) only to count the damage.
 *
 * --chaos: the framed sender cuts every frame into random pieces with
 * yields and short sleeps in between; every frame still arrives intact.
 *
 * Watch for: "N merged, N split" and exit 1 with --no-framing; "frames: N
 * sent, N received intact" and exit 0 otherwise.
 *
 * Try:
 *   ./framing --no-framing
 *   ./framing --chaos -n 10000
 *   ./framing --chaos --via socketpair --seed 7
 *
 * Exit: 0 every message arrived whole, 1 boundaries lost or a bad frame,
 *       2 bad arguments.
 * Usage: framing [-n MESSAGES] [--seed N] [--via pipe|socketpair] [--no-framing] [--chaos]
 * Python: pickle.dumps + struct.pack('>I', len); Connection.send_bytes/recv_bytes
 *
 * Fault injection (not in --help; tests use it): --corrupt K flips one
 * payload byte of frame K (from 0) after its checksum is made: the receiver
 * must stop there, with K frames intact, and exit 1.
 */
#include "../lab.h"
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/socket.h>

enum { RECV_BUF = 4096, MAX_PAYLOAD = 16384, HEADER = 8, TRAILER = 4 };

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [-n MESSAGES] [--seed N] [--via pipe|socketpair] [--no-framing] [--chaos]\n"
            "A child sends MESSAGES messages of 1..%d bytes (default 1000) to the parent.\n"
            "  -n, --messages N  how many (1..1000000)\n"
            "  -S, --seed N      seed for sizes and cuts (default 1): same seed, same run\n"
            "  -v, --via KIND    pipe (default) or socketpair\n"
            "      --no-framing  raw messages, one read() each: boundaries are lost\n"
            "      --chaos       cut every frame into random pieces: still intact\n"
            "  -h, --help        this help\n",
            lab_progname, MAX_PAYLOAD);
    exit(status);
}

/* splitmix64: a tiny generator, so both sides can replay the same sizes. */
static uint64_t next_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Mostly small messages; one in ten bigger than the receiver's buffer. */
static uint32_t next_size(uint64_t *state)
{
    uint64_t r = next_rand(state);
    return r % 10 == 0 ? RECV_BUF + 1 + (uint32_t)(r / 10 % (MAX_PAYLOAD - RECV_BUF))
                       : 1 + (uint32_t)(r / 10 % 512);
}

static uint32_t checksum(const uint8_t *p, size_t n)       /* FNV-1a */
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void put_be32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* Write n bytes in random pieces, yielding between them. */
static long write_chaos(int fd, const uint8_t *p, size_t n, uint64_t *rng)
{
    long writes = 0;
    while (n > 0) {
        uint64_t r = next_rand(rng);
        size_t piece = 1 + r % (n < 700 ? n : 700);
        if (writen(fd, p, piece) == -1)
            err_exit("write");
        p += piece, n -= piece, writes++;
        if (r >> 58 == 0)                               /* 1 in 64 */
            nanosleep(&(struct timespec){ 0, 20000 }, NULL);
        else
            sched_yield();
    }
    return writes;
}

static long corrupt_frame = -1;     /* --corrupt K: damage frame K */

static void sender(int fd, int sync_fd, long n, uint64_t seed, bool framed, bool chaos)
{
    static uint8_t frame[HEADER + MAX_PAYLOAD + TRAILER];
    uint64_t sizes = seed, cuts = seed ^ 0xC4A05ULL;
    long writes = 0, prefill = 0;

    for (long i = 0; i < n; i++) {
        uint32_t len = next_size(&sizes);
        uint8_t *payload = framed ? frame + HEADER : frame;
        for (uint32_t j = 0; j < len; j++)
            payload[j] = (uint8_t)(i * 7 + j);
        if (!framed) {
            if (writen(fd, payload, len) == -1)         /* one write, one message */
                err_exit("write");
            writes++;
            /* Let the receiver start once a few messages wait in the pipe. */
            prefill += len;
            if (sync_fd != -1 && i >= 1 && (i + 1 == n || prefill > 16384)) {
                if (write(sync_fd, "g", 1) != 1 || close(sync_fd) == -1)
                    err_exit("write sync");
                sync_fd = -1;
            }
            continue;
        }
        put_be32(frame, len);
        put_be32(frame + 4, (uint32_t)i);
        put_be32(payload + len, checksum(payload, len));
        if (i == corrupt_frame)
            payload[len / 2] ^= 0x40;                   /* damaged on the way */
        size_t total = HEADER + len + TRAILER;
        if (chaos) {
            writes += write_chaos(fd, frame, total, &cuts);
        } else {
            if (writen(fd, frame, total) == -1)
                err_exit("write");
            writes++;
        }
    }
    if (sync_fd != -1 && (write(sync_fd, "g", 1) != 1 || close(sync_fd) == -1))
        err_exit("write sync");
    printf("sender: %ld %s in %ld write() calls\n", n, framed ? "frames" : "messages", writes);
    _exit(EXIT_SUCCESS);
}

/* One read() per expected message; count reads that hold parts of several
 * messages (merged) and messages that took several reads (split). */
static int receive_raw(int fd, int sync_fd, long n, uint64_t seed)
{
    long long *end = malloc((size_t)n * sizeof *end);   /* where each message ends */
    bool *split = calloc((size_t)n, sizeof *split);
    uint8_t buf[RECV_BUF];
    uint64_t sizes = seed;
    long long total = 0, off = 0;
    long reads = 0, merged = 0, nsplit = 0, m = 0;
    char c;

    if (end == NULL || split == NULL)
        errExit("malloc");
    for (long i = 0; i < n; i++)
        end[i] = total += next_size(&sizes);
    if (read(sync_fd, &c, 1) != 1)                      /* wait for the prefill */
        errExit("read sync");
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        long first, last;
        reads++;
        while (m < n && end[m] <= off)
            m++;
        for (first = last = m; last < n && end[last] < off + r; last++)
            ;
        if (last >= n)
            fatal("more bytes than were sent");
        if (last > first)
            merged++;
        if (off != (first ? end[first - 1] : 0))        /* began inside a message */
            split[first] = true;
        if (off + r != end[last])                       /* ended inside one */
            split[last] = true;
        off += r;
    }
    if (r == -1)
        errExit("read");
    for (long i = 0; i < n; i++)
        nsplit += split[i];
    printf("sent %ld messages (%lld bytes), receiver saw %ld reads of up to %d bytes: "
           "%ld merged, %ld split\n", n, total, reads, RECV_BUF, merged, nsplit);
    free(end);
    free(split);
    if (off != total)
        fatal("received %lld bytes, expected %lld", off, total);
    if (merged || nsplit) {
        printf("message boundaries lost: a byte stream keeps bytes, not messages\n");
        return EXIT_FAILURE;
    }
    printf("boundaries survived this time, but nothing guarantees it\n");
    return EXIT_SUCCESS;
}

static int receive_frames(int fd, long n)
{
    static uint8_t frame[HEADER + MAX_PAYLOAD + TRAILER];
    long intact = 0;

    for (;;) {
        ssize_t got = readn(fd, frame, HEADER);
        if (got == 0)
            break;                                      /* EOF between frames */
        uint32_t len = got == HEADER ? get_be32(frame) : 0;
        if (got != HEADER || len > MAX_PAYLOAD) {
            printf("frame %ld: bad header\n", intact);
            break;
        }
        if (readn(fd, frame + HEADER, len + TRAILER) != (ssize_t)(len + TRAILER) ||
            get_be32(frame + 4) != (uint32_t)intact ||
            get_be32(frame + HEADER + len) != checksum(frame + HEADER, len)) {
            printf("frame %ld: torn, out of order or corrupt\n", intact);
            break;
        }
        intact++;
    }
    printf("frames: %ld sent, %ld received intact\n", n, intact);
    return intact == n ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "messages", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 'S' },
        { "via", required_argument, NULL, 'v' },
        { "no-framing", no_argument, NULL, 'R' },
        { "chaos", no_argument, NULL, 'C' },
        { "corrupt", required_argument, NULL, 'X' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long n = 1000, seed = 1;
    bool framed = true, chaos = false, use_socketpair = false;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "n:S:v:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': n = parse_long("--messages", optarg, 1, 1000000); break;
        case 'S': seed = parse_long("--seed", optarg, 0, LONG_MAX); break;
        case 'v':
            if (strcmp(optarg, "socketpair") == 0)
                use_socketpair = true;
            else if (strcmp(optarg, "pipe") != 0)
                usageErr("--via: '%s' is not pipe or socketpair", optarg);
            break;
        case 'R': framed = false; break;
        case 'C': chaos = true; break;
        case 'X': corrupt_frame = parse_long("--corrupt", optarg, 0, 999999); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (chaos && !framed)
        usageErr("--chaos cuts frames: it needs framing");
    if (corrupt_frame >= 0 && !framed)
        usageErr("--corrupt damages a frame: it needs framing");
    setbuf(stdout, NULL);       /* the child prints too, and leaves with _exit */
    alarm(120);                 /* a watchdog: no run waits forever */

    int ch[2], sync[2] = { -1, -1 };
    if (use_socketpair ? socketpair(AF_UNIX, SOCK_STREAM, 0, ch) == -1 : pipe(ch) == -1)
        errExit(use_socketpair ? "socketpair" : "pipe");
    if (!framed && pipe(sync) == -1)
        errExit("pipe");
    int rfd = ch[0], wfd = ch[1];
    pid_t pid = lab_fork_guarded();   /* the child dies with us */
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {                                     /* child: the sender */
        if (close(rfd) == -1 || (sync[0] != -1 && close(sync[0]) == -1))
            err_exit("close - child");
        sender(wfd, sync[1], n, (uint64_t)seed, framed, chaos);
    }
    if (close(wfd) == -1 || (sync[1] != -1 && close(sync[1]) == -1))
        errExit("close");
    int rc = framed ? receive_frames(rfd, n) : receive_raw(rfd, sync[0], n, (uint64_t)seed);
    if (close(rfd) == -1 || (sync[0] != -1 && close(sync[0]) == -1))
        errExit("close");

    int status;
    char how[64];
    pid_t r = wait_child_for(pid, &status, 10000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("the sender did not finish");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("sender ended with %s\n", describe_status(status, how, sizeof how));
        return EXIT_FAILURE;
    }
    return rc;
}

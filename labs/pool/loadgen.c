/* loadgen.c: a bounded loopback load generator that checks every reply.
 *
 * Lesson: measuring a server is measuring a distribution.  K client threads
 * each keep one connection busy: send a request, wait for its reply, check
 * it, send the next (a "closed loop": at most K requests in flight).  Every
 * request's latency is kept; the run reports requests per second and the
 * percentiles (p50 is the typical request, p99 the one in a hundred that
 * waited behind something: a fork, a busy worker, a full accept queue).
 * After --per-conn requests a thread reconnects, so the servers' connection
 * handling (accept, fork, fd passing) is part of what is measured.
 *
 * A load generator is a tool that can hurt: this one talks to 127.0.0.1 (or
 * another 127.x.y.z) only, and stops after --requests or --time-limit,
 * whichever comes first.  A reply is correct when its sequence number, its
 * FNV-1a checksum and its echoed payload all match the request (the protocol
 * is described in prefork_server.c).  Exit 0 only when every reply was.
 *
 * Watch for: p99 much larger than p50; with fork_per_conn, --per-conn 1
 * (a fork per request) against --per-conn 1000.
 *
 * Try:
 *   ./prefork_server --port 0 &            # prints port=N
 *   ./loadgen --port N --requests 10000 --conns 4
 *   ./loadgen --port N --requests 2000 --conns 8 --per-conn 1 --format json
 *   ./loadgen --host 10.0.0.1 --port N     # refused: exit 2
 *
 * Exit: 0 every reply correct, 1 an error or a wrong reply, 2 bad arguments.
 * Usage: loadgen --port P [--host 127.0.0.1] [--requests R] [--conns K] [--per-conn M] [--size B] [--time-limit S] [--format text|json]
 * Python: concurrent.futures.ThreadPoolExecutor + socket.create_connection;
 *         statistics.quantiles() for the percentiles
 */
#include "../lab.h"
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

enum { MAX_PAYLOAD = 65536, MAX_CONNS = 256, IO_TIMEOUT_MS = 5000, MAX_ERRORS_SHOWN = 5 };

struct config {
    struct sockaddr_in addr;
    long requests, per_conn;
    int conns;
    size_t size;
    long long deadline_ns;
};

/* Shared by the client threads. */
static struct config cfg;
static atomic_long next_ticket;          /* request numbers handed out */
static atomic_long correct, errors, connections;
static long long *latency_ns;            /* per ticket; -1 = failed */

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s --port P [--host 127.0.0.1] [--requests R] [--conns K] [--per-conn M] [--size B] [--time-limit S] [--format text|json]\n"
            "Send R checked requests to a proclab server on the loopback interface.\n"
            "  -p, --port P        the server's port (required)\n"
            "  -H, --host A        a loopback IPv4 address, 127.x.y.z (default 127.0.0.1)\n"
            "  -n, --requests R    requests in all, 1..10000000 (default 1000)\n"
            "  -c, --conns K       connections at a time (client threads), 1..%d (default 4)\n"
            "  -m, --per-conn M    requests per connection before reconnecting,\n"
            "                      0 = one connection per thread for the whole run (default 100)\n"
            "  -s, --size B        payload bytes per request, 0..64K (default 64)\n"
            "  -t, --time-limit S  stop sending after S seconds, 1..3600 (default 60)\n"
            "  -f, --format F      text (default) or json (one flat object on stdout)\n"
            "  -h, --help          this help\n",
            lab_progname, MAX_CONNS);
    exit(status);
}

static uint32_t fnv1a(const unsigned char *data, size_t n)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        hash ^= data[i];
        hash *= 16777619u;
    }
    return hash;
}

/* Say what went wrong, for the first few errors only. */
__attribute__((format(printf, 1, 2)))
static void report_error(const char *fmt, ...)
{
    long n = atomic_fetch_add(&errors, 1);
    if (n >= MAX_ERRORS_SHOWN)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", lab_progname, msg);
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct timeval limit = { IO_TIMEOUT_MS / 1000, (IO_TIMEOUT_MS % 1000) * 1000 };
    if (fd == -1)
        return -1;
    /* SO_SNDTIMEO bounds connect() too; SO_RCVTIMEO bounds each read. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == -1 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) == -1 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1 ||
        connect(fd, (struct sockaddr *)&cfg.addr, sizeof cfg.addr) == -1) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* One request and its reply; true when the reply is right. */
static bool round_trip(int fd, long ticket, uint32_t seq, unsigned char *req, unsigned char *reply)
{
    uint32_t len = (uint32_t)cfg.size;
    for (size_t i = 0; i < cfg.size; i++)           /* a payload unique to this ticket */
        req[4 + i] = (unsigned char)(ticket * 131 + i * 7 + (i >> 8));
    uint32_t be_len = htonl(len);
    memcpy(req, &be_len, 4);
    if (send(fd, req, 4 + len, MSG_NOSIGNAL) != (ssize_t)(4 + len)) {
        report_error("request %ld: send: %s", ticket, strerror(errno));
        return false;
    }
    uint32_t header[3];
    ssize_t got = readn(fd, header, sizeof header);
    if (got != sizeof header) {
        report_error("request %ld: %s", ticket,
                     got == -1 && errno == EAGAIN ? "no reply within the I/O time limit"
                     : got == -1 ? strerror(errno) : "the server closed the connection");
        return false;
    }
    if (ntohl(header[0]) != len + 8 || ntohl(header[1]) != seq ||
        ntohl(header[2]) != fnv1a(req + 4, len)) {
        report_error("request %ld: wrong reply header (length %u, seq %u, checksum %08x)",
                     ticket, ntohl(header[0]), ntohl(header[1]), ntohl(header[2]));
        return false;
    }
    if (readn(fd, reply, len) != (ssize_t)len || memcmp(reply, req + 4, len) != 0) {
        report_error("request %ld: the echoed payload differs", ticket);
        return false;
    }
    return true;
}

/* Take a ticket unless the count or the time is used up. */
static long take_ticket(void)
{
    if (now_ns() >= cfg.deadline_ns)
        return -1;
    long t = atomic_fetch_add(&next_ticket, 1);
    return t < cfg.requests ? t : -1;
}

static void *client_thread(void *arg)
{
    (void)arg;
    unsigned char *req = malloc(4 + cfg.size + 1), *reply = malloc(cfg.size + 1);
    if (req == NULL || reply == NULL)
        fatal("out of memory");
    long ticket = take_ticket();
    while (ticket >= 0) {
        int fd = connect_server();
        if (fd == -1) {                 /* the ticket counts as one error */
            report_error("connect to port %d: %s", ntohs(cfg.addr.sin_port), strerror(errno));
            latency_ns[ticket] = -1;
            ticket = take_ticket();
            continue;
        }
        atomic_fetch_add(&connections, 1);
        for (uint32_t seq = 1; ticket >= 0; seq++) {
            long long start = now_ns();
            bool ok = round_trip(fd, ticket, seq, req, reply);
            latency_ns[ticket] = ok ? now_ns() - start : -1;
            if (ok)
                atomic_fetch_add(&correct, 1);
            ticket = take_ticket();
            if (!ok || (cfg.per_conn > 0 && seq >= cfg.per_conn))
                break;                  /* reconnect */
        }
        if (close(fd) == -1)
            errExit("close");
    }
    free(req);
    free(reply);
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* The latency below which a fraction q of the requests finished, in us. */
static double percentile_us(const long long *sorted, long n, double q)
{
    if (n == 0)
        return 0;
    long i = (long)(q * (double)(n - 1) + 0.5);
    return (double)sorted[i] / 1000.0;
}

static void parse_host(const char *text)
{
    if (inet_pton(AF_INET, text, &cfg.addr.sin_addr) != 1)
        usageErr("--host: '%s' is not an IPv4 address", text);
    if ((ntohl(cfg.addr.sin_addr.s_addr) >> 24) != 127)
        usageErr("--host: %s is not a loopback address (127.x.y.z): refused", text);
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "port", required_argument, NULL, 'p' },
        { "host", required_argument, NULL, 'H' },
        { "requests", required_argument, NULL, 'n' },
        { "conns", required_argument, NULL, 'c' },
        { "per-conn", required_argument, NULL, 'm' },
        { "size", required_argument, NULL, 's' },
        { "time-limit", required_argument, NULL, 't' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long port = -1, seconds = 60;
    bool json = false;
    int opt;

    lab_init(argv[0]);
    cfg = (struct config){ .requests = 1000, .conns = 4, .per_conn = 100, .size = 64 };
    cfg.addr.sin_family = AF_INET;
    cfg.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while ((opt = getopt_long(argc, argv, "p:H:n:c:m:s:t:f:h", options, NULL)) != -1) {
        switch (opt) {
        case 'p': port = parse_long("--port", optarg, 1, 65535); break;
        case 'H': parse_host(optarg); break;
        case 'n': cfg.requests = parse_long("--requests", optarg, 1, 10000000); break;
        case 'c': cfg.conns = (int)parse_long("--conns", optarg, 1, MAX_CONNS); break;
        case 'm': cfg.per_conn = parse_long("--per-conn", optarg, 0, 10000000); break;
        case 's': cfg.size = (size_t)parse_bytes("--size", optarg, 0, MAX_PAYLOAD); break;
        case 't': seconds = parse_long("--time-limit", optarg, 1, 3600); break;
        case 'f':
            if (strcmp(optarg, "json") == 0) json = true;
            else if (strcmp(optarg, "text") != 0) usageErr("--format: '%s' is not text or json", optarg);
            break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (port == -1)
        usageErr("--port is required");
    cfg.addr.sin_port = htons((uint16_t)port);

    latency_ns = malloc(sizeof *latency_ns * (size_t)cfg.requests);
    if (latency_ns == NULL)
        fatal("out of memory for %ld latencies", cfg.requests);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &cfg.addr.sin_addr, host, sizeof host);
    if (!json)
        printf("%s: %ld requests of %zu bytes to %s:%ld, %d connections at a time, "
               "%ld requests per connection\n", lab_progname, cfg.requests, cfg.size, host,
               port, cfg.conns, cfg.per_conn);

    long long start = now_ns();
    cfg.deadline_ns = start + seconds * 1000000000LL;
    pthread_t threads[MAX_CONNS];
    for (int i = 0; i < cfg.conns; i++) {
        int rc = pthread_create(&threads[i], NULL, client_thread, NULL);
        if (rc != 0)
            errExitEN(rc, "pthread_create");
    }
    /* Progress on stderr every 2 s, so a long run is seen to move. */
    long long next_progress = start + 2000000000LL;
    while (atomic_load(&correct) + atomic_load(&errors) < cfg.requests && now_ns() < cfg.deadline_ns) {
        sleep_ms(20);
        if (now_ns() >= next_progress) {
            fprintf(stderr, "%s: %ld of %ld requests done\n", lab_progname,
                    atomic_load(&correct) + atomic_load(&errors), cfg.requests);
            next_progress += 2000000000LL;
        }
    }
    for (int i = 0; i < cfg.conns; i++) {   /* every thread's wait is bounded by its socket timeouts */
        int rc = pthread_join(threads[i], NULL);
        if (rc != 0)
            errExitEN(rc, "pthread_join");
    }
    double elapsed = (double)(now_ns() - start) / 1e9;

    long issued = atomic_load(&next_ticket) < cfg.requests ? atomic_load(&next_ticket) : cfg.requests;
    long ok = 0;
    double sum_us = 0;
    for (long t = 0; t < issued; t++)
        if (latency_ns[t] >= 0) {
            latency_ns[ok++] = latency_ns[t];       /* compact the good ones */
            sum_us += (double)latency_ns[t] / 1000.0;
        }
    qsort(latency_ns, (size_t)ok, sizeof *latency_ns, by_value);
    long bad = atomic_load(&errors);
    bool time_limited = issued < cfg.requests;
    double rps = elapsed > 0 ? (double)ok / elapsed : 0;
    double p50 = percentile_us(latency_ns, ok, 0.50), p90 = percentile_us(latency_ns, ok, 0.90),
           p99 = percentile_us(latency_ns, ok, 0.99), p999 = percentile_us(latency_ns, ok, 0.999),
           max = percentile_us(latency_ns, ok, 1.0), mean = ok ? sum_us / (double)ok : 0;
    if (json) {
        printf("{\"requests\": %ld, \"errors\": %ld, \"connections\": %ld, \"conns\": %d, "
               "\"per_conn\": %ld, \"size\": %zu, \"elapsed_s\": %.6f, \"rps\": %.1f, "
               "\"mean_us\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, "
               "\"p999_us\": %.1f, \"max_us\": %.1f, \"time_limited\": %s}\n",
               ok, bad, atomic_load(&connections), cfg.conns, cfg.per_conn, cfg.size, elapsed,
               rps, mean, p50, p90, p99, p999, max, time_limited ? "true" : "false");
    } else {
        printf("%s: %ld correct replies, %ld errors, %ld connections in %.3f s: %.0f requests/s%s\n",
               lab_progname, ok, bad, atomic_load(&connections), elapsed, rps,
               time_limited ? " (stopped by the time limit)" : "");
        printf("%s: latency us: mean %.1f, p50 %.1f, p90 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n",
               lab_progname, mean, p50, p90, p99, p999, max);
    }
    free(latency_ns);
    return bad == 0 && ok > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

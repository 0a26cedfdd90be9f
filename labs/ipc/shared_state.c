/* shared_state.c: Python's Value and Array are shared pages; three ways to get them.
 *
 * Lesson: memory is shared between processes only when it is mapped
 * MAP_SHARED; fork copies everything else.  The same state (a counter and
 * an array of 8 longs) is shared three ways, and the child's writes are
 * seen by the parent each time:
 *   anon   mmap(MAP_SHARED | MAP_ANONYMOUS) before fork: no name, no fd;
 *          only descendants can have it
 *   shm    shm_open("/proclab-UID-PID-RAND-state"): a file in /dev/shm that any
 *          process may open by name (multiprocessing.shared_memory); it
 *          outlives every process until shm_unlink
 *   memfd  memfd_create: an fd to anonymous memory; the child inherits the
 *          fd and maps it itself; gone when the last fd and map go
 *          (multiprocessing.Value and Array do the same with a temporary
 *          file in /dev/shm, unlinked at once and mapped by its fd)
 *
 * The pitfalls:
 *   - --via private maps MAP_PRIVATE: fork copies such pages on write like
 *     any other memory, so the parent still sees its zeros (exit 1);
 *   - a named object is left in /dev/shm by a crash; this lab creates it
 *     O_EXCL, 0600, and unlinks it at exit and on SIGINT/SIGTERM;
 *   - false sharing (--layout): two processes each increment their own
 *     counter; packed, both counters share one 64-byte cache line, which
 *     the two CPUs pass back and forth on every write; padded, each has its
 *     own line.  Same work, very different time (not asserted anywhere:
 *     timing on a shared machine is a demonstration, not a fact).
 *
 * Watch for: the parent printing the child's values; /dev/shm/NAME present
 * while it runs and gone after; packed slower than padded.
 *
 * Try:
 *   ./shared_state --via shm --hold-ms 2000 & sleep 0.5; ls -l /dev/shm; wait
 *   ./shared_state --via memfd
 *   ./shared_state --via private        # MAP_PRIVATE: the parent sees nothing
 *   ./shared_state --layout packed; ./shared_state --layout padded
 *
 * Usage: shared_state [--via anon|private|shm|memfd | --layout packed|padded] [-i ITERS] [--hold-ms MS]
 * Python: multiprocessing.Value('l'), Array('l', 8), shared_memory.SharedMemory(create=True)
 *         with close() and unlink()
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <stdalign.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define NARRAY 8
#define RUN_LIMIT_MS 60000L

struct state { long counter; long array[NARRAY]; };      /* Value + Array */
struct packed { volatile long a, b; };                   /* one cache line */
struct padded { alignas(64) volatile long a; alignas(64) volatile long b; };

static char shm_name[64];       /* non-empty while the name exists */
static pid_t kids[2];

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--via anon|private|shm|memfd | --layout packed|padded] [-i ITERS] [--hold-ms MS]\n"
            "Share a counter and an array with a child, or show false sharing.\n"
            "      --via KIND       anon (default), shm (named, /dev/shm) or memfd; private\n"
            "                       (MAP_PRIVATE) shows the pitfall: nothing is shared\n"
            "      --layout KIND    false sharing: two counters packed in one cache line,\n"
            "                       or padded to separate 64-byte lines\n"
            "  -i, --iters N        increments per process with --layout (1..1000000000,\n"
            "                       default 20000000)\n"
            "      --hold-ms MS     keep the shared object MS ms before removing it (0..60000)\n"
            "  -h, --help           this help\n",
            lab_progname);
    exit(status);
}

static void cleanup(void)        /* async-signal-safe */
{
    for (int i = 0; i < 2; i++)
        if (kids[i] > 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
            kids[i] = 0;
        }
    if (shm_name[0] != '\0' && shm_unlink(shm_name) == 0)
        shm_name[0] = '\0';
}

static void on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void *map_fd(int fd, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        err_exit("mmap");
    return p;
}

static pid_t spawn(void)
{
    if (fflush(stdout) == EOF)
        errExit("fflush");
    pid_t pid = lab_fork_guarded();   /* the child dies with us */
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        shm_name[0] = '\0';     /* the parent removes the name */
        kids[0] = kids[1] = 0;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
    }
    return pid;
}

static void reap(pid_t pid)
{
    int status;
    char how[64];
    pid_t r = wait_child_for(pid, &status, RUN_LIMIT_MS);
    if (r == -1)
        errExit("waitpid");
    if (r == 0)
        fatal("child %ld did not finish", (long)pid);
    for (int i = 0; i < 2; i++)
        if (kids[i] == pid)
            kids[i] = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fatal("child ended with %s", describe_status(status, how, sizeof how));
}

/* The child's part, whatever the mapping: write, then leave. */
static void child_writes(struct state *s)
{
    for (int i = 0; i < 1000; i++)
        s->counter++;
    for (int i = 0; i < NARRAY; i++)
        s->array[i] = (long)i * i;
    printf("child %ld: counter += 1000, array[i] = i*i\n", (long)getpid());
    fflush(stdout);
    _exit(EXIT_SUCCESS);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Give the object its size with the memory reserved now: ftruncate alone
 * makes a sparse file, and with /dev/shm full the first store into the
 * mapping would die of SIGBUS.  posix_fallocate says ENOSPC instead. */
static void reserve(int fd, size_t size)
{
    int rc = posix_fallocate(fd, 0, (off_t)size);
    if (rc != 0)
        errExitEN(rc, "posix_fallocate %zu bytes (is /dev/shm full?)", size);
}

/* Returns false when the parent did not see the child's writes. */
static bool share(const char *via, long hold_ms)
{
    struct state *s;
    int fd = -1;
    char path[80] = "";

    if (strcmp(via, "anon") == 0) {
        s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (s == MAP_FAILED)
            errExit("mmap");
        printf("anon: mmap(MAP_SHARED | MAP_ANONYMOUS), inherited by fork\n");
    } else if (strcmp(via, "private") == 0) {     /* the pitfall */
        s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s == MAP_FAILED)
            errExit("mmap");
        printf("private: mmap(MAP_PRIVATE | MAP_ANONYMOUS): fork copies it on write\n");
    } else if (strcmp(via, "shm") == 0) {
        /* The random part of the name keeps anyone from taking it first. */
        do {
            lab_ipc_name(shm_name, sizeof shm_name, "state");
            fd = shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
        } while (fd == -1 && errno == EEXIST);
        if (fd == -1) {
            shm_name[0] = '\0';  /* not ours to unlink */
            errExit("shm_open");
        }
        snprintf(path, sizeof path, "/dev/shm%s", shm_name);
        reserve(fd, sizeof *s);
        s = map_fd(fd, sizeof *s);
        printf("shm: shm_open(O_CREAT | O_EXCL, 0600): %s exists: %s\n", path,
               exists(path) ? "yes" : "no");
    } else {
        fd = memfd_create("proclab-state", 0);  /* no MFD_CLOEXEC: fork keeps fds anyway */
        if (fd == -1)
            errExit("memfd_create");
        reserve(fd, sizeof *s);
        s = map_fd(fd, sizeof *s);
        printf("memfd: memfd_create gave fd %d; the child maps that fd itself\n", fd);
    }

    char name[sizeof shm_name];
    snprintf(name, sizeof name, "%s", shm_name);    /* the child clears shm_name */
    pid_t pid = spawn();
    if (pid == 0) {
        if (fd != -1) {         /* shm and memfd: map it anew in the child */
            if (munmap(s, sizeof *s) == -1)
                err_exit("munmap");
            if (strcmp(via, "shm") == 0) {    /* a name anyone could open */
                close(fd);
                if ((fd = shm_open(name, O_RDWR, 0)) == -1)
                    err_exit("child: shm_open %s", name);
                printf("child %ld: shm_open(\"%s\", O_RDWR) by name\n", (long)getpid(), name);
            } else {                        /* memfd: only the inherited fd */
                char link[32], target[128];
                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                ssize_t n = readlink(link, target, sizeof target - 1);
                if (n == -1)
                    err_exit("readlink %s", link);
                target[n] = '\0';
                printf("child %ld: inherited fd %d -> %s\n", (long)getpid(), fd, target);
            }
            s = map_fd(fd, sizeof *s);
        }
        child_writes(s);
    }
    kids[0] = pid;
    reap(pid);

    printf("parent: counter=%ld array=[", s->counter);
    for (int i = 0; i < NARRAY; i++)
        printf(i ? " %ld" : "%ld", s->array[i]);
    printf("]\n");
    bool seen = s->counter != 0;
    if (!seen)
        printf("parent: the child's writes went to its own copy of the pages\n");
    sleep_ms(hold_ms);
    if (munmap(s, sizeof *s) == -1 || (fd != -1 && close(fd) == -1))
        errExit("munmap/close");
    if (shm_name[0] != '\0') {
        if (shm_unlink(shm_name) == -1)
            errExit("shm_unlink");
        shm_name[0] = '\0';
        printf("shm: after shm_unlink: %s exists: %s\n", path, exists(path) ? "yes" : "no");
    }
    return seen;
}

static void bump(volatile long *c, long iters)
{
    for (long i = 0; i < iters; i++)
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);  /* must own the line each time */
    _exit(EXIT_SUCCESS);
}

static void false_sharing(bool packed, long iters)
{
    size_t size = packed ? sizeof(struct packed) : sizeof(struct padded);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        errExit("mmap");
    volatile long *a = packed ? &((struct packed *)m)->a : &((struct padded *)m)->a;
    volatile long *b = packed ? &((struct packed *)m)->b : &((struct padded *)m)->b;
    printf("layout %s: counters %td bytes apart (%s), %ld increments each\n",
           packed ? "packed" : "padded", (char *)b - (char *)a,
           packed ? "one 64-byte cache line" : "separate cache lines", iters);

    long long start = now_ns();
    for (int i = 0; i < 2; i++) {
        pid_t pid = spawn();
        if (pid == 0)
            bump(i == 0 ? a : b, iters);
        kids[i] = pid;
    }
    reap(kids[0]);
    reap(kids[1]);
    printf("a=%ld b=%ld in %.1f ms\n", *a, *b, (now_ns() - start) / 1e6);
    if (*a != iters || *b != iters)
        fatal("a counter is wrong");
    if (munmap(m, size) == -1)
        errExit("munmap");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "via", required_argument, NULL, 'V' },
        { "layout", required_argument, NULL, 'L' },
        { "iters", required_argument, NULL, 'i' },
        { "hold-ms", required_argument, NULL, 'H' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *via = NULL, *layout = NULL;
    long iters = 20000000, hold_ms = 0;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "i:h", options, NULL)) != -1) {
        switch (opt) {
        case 'V': via = optarg; break;
        case 'L': layout = optarg; break;
        case 'i': iters = parse_long("--iters", optarg, 1, 1000000000); break;
        case 'H': hold_ms = parse_long("--hold-ms", optarg, 0, 60000); break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (via && layout)
        usageErr("--via and --layout are two different demos: pick one");
    if (via && strcmp(via, "anon") && strcmp(via, "private") && strcmp(via, "shm") &&
        strcmp(via, "memfd"))
        usageErr("--via: '%s' is not anon, private, shm or memfd", via);
    if (layout && strcmp(layout, "packed") && strcmp(layout, "padded"))
        usageErr("--layout: '%s' is not packed or padded", layout);

    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        errExit("signal");
    atexit(cleanup);
    if (layout)
        false_sharing(strcmp(layout, "packed") == 0, iters);
    else if (!share(via ? via : "anon", hold_ms))
        return EXIT_FAILURE;
    return EXIT_SUCCESS;
}

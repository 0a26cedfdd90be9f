/* lab.h: the one small header every lab may include.
 *
 * It holds only what would otherwise be repeated in every lab and distract
 * from its lesson:
 *   - error helpers that name the failing call and errno, then exit:
 *       errExit("fork")          prints "ERROR [EAGAIN Resource ...] fork", exit(1)
 *       err_exit("write")        the same, but _exit(1): for children after fork,
 *                                so stdio buffers inherited from the parent are
 *                                not flushed twice
 *       errExitEN(rc, "pthread_mutex_lock")   for calls that return an error
 *                                number instead of setting errno (pthreads)
 *       fatal("bad frame")       a failure that is not a system call error
 *       usageErr("bad -n")       bad arguments: message, hint, exit(2)
 *   - strict number parsing: parse_long("-n", optarg, 1, 1000000) accepts
 *     only a whole decimal number in range, else usageErr (exit 2);
 *     parse_bytes also takes K, M, G suffixes (powers of 1024).
 *   - readn/writen: loop over short counts and EINTR.
 *   - describe_status(): "exit 3", "signal:SIGKILL", "signal:SIGSEGV (core dumped)".
 *   - wait_child_for(): waitpid with a time limit; no lab waits forever.
 *   - now_ns(): CLOCK_MONOTONIC in nanoseconds.
 *   - lab_fork_guarded(): fork() whose child dies with its parent (even after
 *     SIGKILL); lab_die_with_parent() is that guard, for other spawn paths.
 *   - lab_ipc_name(): "/proclab-UID-PID-RAND-WHAT", an unguessable name for
 *     shm_open/mq_open/sem_open; on EEXIST make a new one and try again.
 *   - lab_sysv_record()/lab_sysv_forget(): note an IPC_PRIVATE System V object
 *     so that `make clean-ipc` can remove it after a kill -9, and only it.
 *   - pictures: lab_timeline_open(FILE) then lab_timeline_event("child 1",
 *     "exit %d", 0) / lab_timeline_interval(lane, start_s, end_s, label)
 *     write the CSV that scripts/timeline.sh draws (--timeline FILE);
 *     lab_fd_table_open(FILE) then lab_fd_table_snapshot("child", "after
 *     close") record every open descriptor as /proc/PID/fd shows it, for
 *     scripts/fd_table.py (--fd-table FILE).  Both files take lines from the
 *     parent and its children alike; without a file the calls do nothing.
 *
 * Exit statuses shared by every lab: 0 success, 1 an error (or the pitfall a
 * lab reports as failure), 2 bad arguments; a lab may define more in its
 * header comment (popen2's 3 = deadlock detected).
 *
 * Everything here is static inline so that a lab still builds alone:
 *   cc -Wall labs/process/fork_basics.c -o fork_basics
 */
#ifndef PROCLAB_LAB_H
#define PROCLAB_LAB_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The program's name for messages: set by lab_init(argv[0]). */
static const char *lab_progname = "lab";

static inline void lab_init(const char *argv0)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    lab_progname = slash ? slash + 1 : (argv0 ? argv0 : "lab");
}

/* ---- error reporting ---------------------------------------------------- */

static inline void lab_vreport(int errnum, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (errnum > 0) {
        const char *name = strerrorname_np(errnum);
        fprintf(stderr, "%s: ERROR [%s %s] %s\n", lab_progname,
                name ? name : "?", strerror(errnum), msg);
    } else {
        fprintf(stderr, "%s: ERROR %s\n", lab_progname, msg);
    }
}

/* A system call failed (errno is set): report and exit(1). */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void errExit(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    lab_vreport(saved, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

/* As errExit, for a child after fork: _exit skips atexit handlers and does
 * not flush stdio buffers that are copies of the parent's. */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void err_exit(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    lab_vreport(saved, fmt, ap);
    va_end(ap);
    _exit(EXIT_FAILURE);
}

/* For functions that return an error number (pthread_*, posix_spawn). */
__attribute__((noreturn, format(printf, 2, 3)))
static inline void errExitEN(int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lab_vreport(errnum, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

/* A failure that is not a system call's (a check the lab makes itself). */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lab_vreport(0, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

/* Bad command line: say what is wrong and where help is, exit(2). */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void usageErr(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", lab_progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", lab_progname);
    exit(2);
}

/* ---- strict argument parsing --------------------------------------------- */

/* A whole decimal number in [min, max], or usageErr naming the option. */
static inline long parse_long(const char *what, const char *text, long min, long max)
{
    char *end;
    long value;

    if (text == NULL || *text == '\0')
        usageErr("%s: a number is required", what);
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text)
        usageErr("%s: '%s' is not a whole number", what, text);
    if (value < min || value > max)
        usageErr("%s: %ld is out of range [%ld, %ld]", what, value, min, max);
    return value;
}

/* A byte count: digits with an optional K, M or G (x1024, x1024^2, x1024^3). */
static inline long long parse_bytes(const char *what, const char *text,
                                    long long min, long long max)
{
    char *end;
    long long value, scale = 1;

    if (text == NULL || *text == '\0')
        usageErr("%s: a size is required", what);
    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || value < 0)
        usageErr("%s: '%s' is not a size", what, text);
    switch (*end) {
    case '\0': break;
    case 'K': case 'k': scale = 1LL << 10; end++; break;
    case 'M': case 'm': scale = 1LL << 20; end++; break;
    case 'G': case 'g': scale = 1LL << 30; end++; break;
    default: usageErr("%s: '%s' is not a size (digits, then K, M or G)", what, text);
    }
    if (*end != '\0')
        usageErr("%s: '%s' is not a size (digits, then K, M or G)", what, text);
    if (value > LLONG_MAX / scale)
        usageErr("%s: '%s' is too large", what, text);
    value *= scale;
    if (value < min || value > max)
        usageErr("%s: %lld is out of range [%lld, %lld]", what, value, min, max);
    return value;
}

/* ---- I/O that survives short counts and signals --------------------------- */

/* Read exactly n bytes unless EOF comes first.  Returns bytes read (< n only
 * at EOF), or -1 with errno set. */
static inline ssize_t readn(int fd, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, (char *)buf + done, n - done);
        if (r == 0)
            break;
        if (r == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* Write all n bytes.  Returns n, or -1 with errno set. */
static inline ssize_t writen(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)buf + done, n - done);
        if (w == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

/* ---- time and children ---------------------------------------------------- */

static inline long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* "exit 3", "signal:SIGKILL", "signal:SIGSEGV (core dumped)". */
static inline const char *describe_status(int status, char *buf, size_t size)
{
    if (WIFEXITED(status)) {
        snprintf(buf, size, "exit %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));
        snprintf(buf, size, "signal:SIG%s%s", abbrev ? abbrev : "?",
                 WCOREDUMP(status) ? " (core dumped)" : "");
    } else {
        snprintf(buf, size, "status 0x%x", status);
    }
    return buf;
}

/* waitpid(pid) for at most timeout_ms.  Returns pid once reaped, 0 if the
 * child is still running at the deadline, -1 on error.  It polls with
 * WNOHANG every millisecond: simple, and bounded. */
static inline pid_t wait_child_for(pid_t pid, int *status, long timeout_ms)
{
    long long deadline = now_ns() + timeout_ms * 1000000LL;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r != 0 || now_ns() >= deadline) {
            if (r == -1 && errno == EINTR)
                continue;
            return r;
        }
        sleep_ms(1);
    }
}

/* Kill a child that overstayed and reap it: the last resort that keeps a lab
 * from leaving a stray process behind. */
static inline void kill_and_reap(pid_t pid)
{
    int status;
    if (kill(pid, SIGKILL) == -1 && errno != ESRCH)
        errExit("kill %ld", (long)pid);
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
}

/* ---- children that die with their parent ---------------------------------- */

/* Call in a child right after fork(), passing the parent's pid as it was
 * before fork.  PR_SET_PDEATHSIG makes the kernel send SIGKILL to this child
 * when the parent dies, even of SIGKILL (no handler of the parent runs then).
 * The parent may have died between fork() and prctl(): then the child was
 * already re-parented, getppid() differs, and the child leaves at once. */
static inline void lab_die_with_parent(pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
        err_exit("prctl(PR_SET_PDEATHSIG)");
    if (getppid() != parent)
        _exit(1);
}

/* fork(), and in the child lab_die_with_parent().  Returns what fork()
 * returned: the child's pid, 0 in the child, -1 with errno on failure. */
static inline pid_t lab_fork_guarded(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        lab_die_with_parent(parent);
    return pid;
}

/* ---- names of POSIX IPC objects -------------------------------------------- */

/* Write "/proclab-UID-PID-RAND-WHAT" into buf: UID and PID let a leak check
 * (and `make clean-ipc`) tell whose object it is and whether its creator still
 * runs; RAND, 8 random hex digits, keeps another user from creating the name
 * first (the next pid is easy to guess).  Open with O_CREAT | O_EXCL, mode
 * 0600, and on EEXIST call this again for a fresh name. */
static inline void lab_ipc_name(char *buf, size_t size, const char *what)
{
    uint32_t bits = 0;
    ssize_t got;
    while ((got = getrandom(&bits, sizeof bits, 0)) == -1 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof bits) {
        /* getrandom cannot fail for 4 bytes once the pool is ready; should it,
         * the clock's nanoseconds still make the name hard to guess. */
        bits = (uint32_t)now_ns() ^ (uint32_t)((uint64_t)now_ns() >> 32);
    }
    int n = snprintf(buf, size, "/proclab-%ld-%ld-%08x-%s", (long)getuid(),
                     (long)getpid(), (unsigned)bits, what);
    if (n < 0 || (size_t)n >= size)
        fatal("lab_ipc_name: name for '%s' does not fit in %zu bytes", what, size);
}

/* ---- pictures: timelines and fd tables ------------------------------------ */

/* A CSV file shared by a parent and its children: opened once before fork
 * with O_APPEND, and every record goes out in one write(), so records of
 * different processes never tear or overwrite each other.  O_CLOEXEC keeps
 * it out of programs the lab execs.  A failed write is reported once and
 * ends the recording, not the lesson. */
static inline int lab_csv_open(const char *path, const char *header)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd == -1)
        errExit("open %s", path);
    if (writen(fd, header, strlen(header)) == -1)
        errExit("write %s", path);
    return fd;
}

static inline void lab_csv_write(int *fd, const char *record, size_t len)
{
    if (*fd == -1)
        return;
    ssize_t w;
    while ((w = write(*fd, record, len)) == -1 && errno == EINTR)
        ;
    if (w != (ssize_t)len) {
        fprintf(stderr, "%s: recording stopped: %s\n", lab_progname,
                w == -1 ? strerror(errno) : "short write");
        *fd = -1;               /* not closed: another process may share it */
    }
}

/* Text for a CSV field: commas and newlines would break the record. */
static inline void lab_csv_field(char *text)
{
    for (; *text; text++)
        if (*text == ',' || *text == '\n' || *text == '\r')
            *text = ';';
}

/* The timeline of CONVENTIONS: "lane,start_s,end_s,label", seconds since
 * lab_timeline_open (CLOCK_MONOTONIC; children inherit the start time with
 * the rest of memory).  An instant event has end_s == start_s. */
struct lab_timeline { int fd; long long t0_ns; };

static inline struct lab_timeline *lab_timeline_state(void)
{
    static struct lab_timeline timeline = { -1, 0 };
    return &timeline;
}

static inline void lab_timeline_open(const char *path)
{
    struct lab_timeline *tl = lab_timeline_state();
    tl->t0_ns = now_ns();
    tl->fd = lab_csv_open(path, "lane,start_s,end_s,label\n");
}

static inline bool lab_timeline_on(void)
{
    return lab_timeline_state()->fd != -1;
}

/* Seconds since lab_timeline_open: keep one to pass as an interval's start. */
static inline double lab_timeline_now(void)
{
    return (double)(now_ns() - lab_timeline_state()->t0_ns) / 1e9;
}

__attribute__((format(printf, 4, 5)))
static inline void lab_timeline_interval(const char *lane, double start_s,
                                         double end_s, const char *fmt, ...)
{
    struct lab_timeline *tl = lab_timeline_state();
    char label[128], lane_text[64], record[256];
    va_list ap;

    if (tl->fd == -1)
        return;
    va_start(ap, fmt);
    vsnprintf(label, sizeof label, fmt, ap);
    va_end(ap);
    snprintf(lane_text, sizeof lane_text, "%s", lane);
    lab_csv_field(label);
    lab_csv_field(lane_text);
    int n = snprintf(record, sizeof record, "%s,%.6f,%.6f,%s\n", lane_text,
                     start_s, end_s, label);
    lab_csv_write(&tl->fd, record, (size_t)n < sizeof record ? (size_t)n : sizeof record - 1);
}

/* An instant event (fork, exec, wait, exit) in LANE, now. */
#define lab_timeline_event(lane, ...)                                          \
    do {                                                                       \
        if (lab_timeline_on()) {                                               \
            double lab_t_ = lab_timeline_now();                                \
            lab_timeline_interval((lane), lab_t_, lab_t_, __VA_ARGS__);        \
        }                                                                      \
    } while (0)

/* An fd table: "process,pid,step,fd,target,access", one record per
 * descriptor open in a process at that step: target as readlink of
 * /proc/PID/fd/N shows it ("pipe:[41852]", "socket:[41855]", "/dev/pts/0"),
 * access r, w or rw from the flags in /proc/PID/fdinfo/N (which end of a
 * pipe).  The descriptors of the recordings themselves are left out. */
static inline int *lab_fd_table_fd(void)
{
    static int fd = -1;
    return &fd;
}

static inline void lab_fd_table_open(const char *path)
{
    *lab_fd_table_fd() = lab_csv_open(path, "process,pid,step,fd,target,access\n");
}

/* "r", "w" or "rw" from the octal "flags:" line of /proc/PID/fdinfo/FD. */
static inline const char *lab_fd_access(pid_t pid, int fd)
{
    char path[64], info[512];
    snprintf(path, sizeof path, "/proc/%ld/fdinfo/%d", (long)pid, fd);
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in == -1)
        return "?";
    ssize_t len = read(in, info, sizeof info - 1);
    close(in);
    const char *flags = len > 0 ? (info[len] = '\0', strstr(info, "flags:")) : NULL;
    if (flags == NULL)
        return "?";
    switch (strtol(flags + 6, NULL, 8) & O_ACCMODE) {
    case O_RDONLY: return "r";
    case O_WRONLY: return "w";
    default:       return "rw";
    }
}

/* Record the table of process PID (0: the caller; another one must be ours
 * to read, a child for instance) as it is now, under PROCESS and STEP. */
static inline void lab_fd_table_snapshot_of(pid_t pid, const char *process, const char *step)
{
    int *out = lab_fd_table_fd();
    char records[8192], proc_name[64], step_text[64];
    size_t used = 0;

    if (*out == -1)
        return;
    bool self = pid == 0;
    if (self)
        pid = getpid();
    snprintf(proc_name, sizeof proc_name, "%s", process);
    snprintf(step_text, sizeof step_text, "%s", step);
    lab_csv_field(proc_name);
    lab_csv_field(step_text);
    /* Try every number rather than read the directory: opendir would itself
     * show up as an open descriptor. */
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 1024)
        max_fd = 1024;
    for (int fd = 0; fd < max_fd; fd++) {
        char link[64], target[256];
        if (self && (fd == *out || fd == lab_timeline_state()->fd))
            continue;           /* a recording file */
        snprintf(link, sizeof link, "/proc/%ld/fd/%d", (long)pid, fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len == -1) {
            if (errno == ENOENT)
                continue;       /* not open */
            snprintf(target, sizeof target, "? (%s)", strerror(errno));
        } else {
            target[len] = '\0';
        }
        lab_csv_field(target);
        int n = snprintf(records + used, sizeof records - used, "%s,%ld,%s,%d,%s,%s\n",
                         proc_name, (long)pid, step_text, fd, target,
                         lab_fd_access(pid, fd));
        if (n < 0 || (size_t)n >= sizeof records - used)
            break;              /* a lab has a handful of descriptors */
        used += (size_t)n;
    }
    lab_csv_write(out, records, used);
}

static inline void lab_fd_table_snapshot(const char *process, const char *step)
{
    lab_fd_table_snapshot_of(0, process, step);
}

/* ---- System V objects: a record `make clean-ipc` can trust ------------------ */

/* An IPC_PRIVATE System V queue or semaphore set has no name, and the kernel
 * does not say which process created it.  So a lab that makes one records it
 * at once as an empty directory /tmp/proclab-UID-PID-KIND-ID-XXXXXX (KIND is
 * "msg" or "sem") and removes that record when it removes the object.  After
 * a kill -9 both stay; scripts/clean_ipc.sh then removes exactly the objects
 * whose record names a dead PID, and nothing another program made. */
struct lab_sysv_record { char path[96]; };

/* Record object ID of KIND.  Returns 0, or -1 with errno set (the caller
 * decides: a lab removes the object and exits, a benchmark reports it). */
static inline int lab_sysv_record(struct lab_sysv_record *r, const char *kind, int id)
{
    int n = snprintf(r->path, sizeof r->path, "/tmp/proclab-%ld-%ld-%s-%d-XXXXXX",
                     (long)getuid(), (long)getpid(), kind, id);
    if (n < 0 || (size_t)n >= sizeof r->path) {
        r->path[0] = '\0';
        errno = ENAMETOOLONG;
        return -1;
    }
    if (mkdtemp(r->path) == NULL) {         /* mode 0700 */
        r->path[0] = '\0';
        return -1;
    }
    return 0;
}

/* Remove the record (after IPC_RMID).  Only rmdir: safe in a signal handler. */
static inline void lab_sysv_forget(struct lab_sysv_record *r)
{
    if (r->path[0] != '\0') {
        rmdir(r->path);
        r->path[0] = '\0';
    }
}

#endif /* PROCLAB_LAB_H */

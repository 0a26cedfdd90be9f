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

#endif /* PROCLAB_LAB_H */

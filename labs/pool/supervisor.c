/* supervisor.c: one epoll loop watches worker processes; clean shutdown.
 *
 * Lesson: a supervisor (systemd, supervisord, an asyncio program that runs
 * subprocesses) is an event loop.  Everything it waits for is a file
 * descriptor in one epoll set:
 *   - each worker's stdout, a pipe: its log lines;
 *   - each worker's pidfd (pidfd_open): readable when the worker has ended,
 *     so a death is one more event, not a SIGCHLD handler racing the loop;
 *     waitid(P_PIDFD) then reaps exactly that worker;
 *   - a signalfd for SIGTERM and SIGINT: signals become events too;
 *   - the timeout of epoll_wait: the next restart or the end of the demo.
 *
 * Three promises are kept:
 *   1. SIGTERM (or SIGINT, or the end of the demo): every worker is sent
 *      SIGTERM, finishes the task it is on, and exits; the supervisor waits
 *      for them (bounded: SIGKILL after a deadline) and exits 0.
 *   2. The supervisor killed with SIGKILL cannot clean up, so the workers
 *      arrange it themselves: PR_SET_PDEATHSIG sends them SIGKILL when their
 *      parent dies.  The race: the parent may die between fork() and prctl();
 *      the worker then checks getppid() against the pid it was forked from.
 *   3. A worker that crashes is restarted after a back-off that doubles with
 *      each quick crash (up to --backoff-max-ms) and resets once a worker has
 *      stayed up a while: a crash loop does not become a fork bomb.
 *
 * Watch for: "crashed: signal:SIGABRT ... restart in 200 ms", then 400,
 * 800 ...; after SIGTERM, each worker's "stopping after task K".
 *
 * Try:
 *   ./supervisor                           # a 12 s demo; worker 1 crashes
 *   ./supervisor --duration 60 & sleep 3; kill -TERM $!
 *   ./supervisor --duration 60 & sleep 3; kill -KILL $!; sleep 0.2; pgrep supervisor
 *   strace -f -e trace=pidfd_open,waitid,epoll_wait ./supervisor --duration 2
 *   ./supervisor --duration 4 --timeline t.csv && scripts/timeline.sh t.csv t.svg
 *
 * Exit: 0 stopped cleanly, 1 an error, 2 bad arguments.
 * Usage: supervisor [--workers N] [--duration S] [--task-ms MS] [--crash-after K] [--backoff-ms MS] [--backoff-max-ms MS] [--timeline FILE]
 * Python: asyncio.create_subprocess_exec() + loop.add_signal_handler(),
 *         proc.wait() / proc.terminate(); os.pidfd_open() (3.9+)
 */
#include "../lab.h"
#include <fcntl.h>
#include <getopt.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

enum { MAX_WORKERS = 32, STABLE_MS = 5000, STOP_GRACE_MS = 1000, LINE_MAX_BYTES = 256 };
enum { EV_SIGNAL, EV_PIPE, EV_PIDFD };      /* what an epoll event is about */

struct settings {
    int workers, task_ms, crash_after;
    long duration_s, backoff_ms, backoff_max_ms;
};

struct slot {
    pid_t pid;              /* 0: not running */
    int pidfd, pipe;        /* -1 when closed */
    long long started_ns, restart_at_ns;   /* restart_at_ns 0: none pending */
    long backoff_ms;
    char line[LINE_MAX_BYTES];
    size_t line_len;
};

static struct settings cfg = { .workers = 3, .task_ms = 300, .crash_after = 4,
                               .duration_s = 12, .backoff_ms = 200, .backoff_max_ms = 3200 };
static struct slot slots[MAX_WORKERS];
static int epfd;
static long restarts;

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--workers N] [--duration S] [--task-ms MS] [--crash-after K] [--backoff-ms MS] [--backoff-max-ms MS] [--timeline FILE]\n"
            "Run N workers under an epoll loop (pipes, pidfds, signalfd); restart\n"
            "crashed ones with back-off; stop them cleanly on SIGTERM/SIGINT.\n"
            "  -w, --workers N         workers, 1..%d (default 3)\n"
            "  -d, --duration S        stop after S seconds, 1..3600 (default 12)\n"
            "  -t, --task-ms MS        length of one task, 1..5000 ms (default 300)\n"
            "  -c, --crash-after K     worker 1 aborts after every K tasks, 0 = never (default 4)\n"
            "  -b, --backoff-ms MS     first restart delay, 1..60000 ms (default 200); doubles\n"
            "                          per quick crash, resets after %d s up\n"
            "  -B, --backoff-max-ms MS longest restart delay, 1..600000 ms (default 3200)\n"
            "  -T, --timeline FILE     write a CSV timeline (lane,start_s,end_s,label):\n"
            "                          a lane per worker, its tasks, starts, crashes, stops\n"
            "  -h, --help              this help\n",
            lab_progname, MAX_WORKERS, STABLE_MS / 1000);
    exit(status);
}

/* ---- the worker ------------------------------------------------------------ */

static volatile sig_atomic_t asked_to_stop;
static void on_sigterm(int sig) { (void)sig; asked_to_stop = 1; }

/* Sleep a whole task: a signal interrupts nanosleep, the task goes on. */
static void do_task(int ms)
{
    struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
}

_Noreturn static void worker_main(int index)
{
    char lane[32];
    snprintf(lane, sizeof lane, "worker %d", index + 1);
    struct sigaction sa = { .sa_handler = on_sigterm };    /* no SA_RESTART needed */
    sigset_t all;
    sigfillset(&all);
    if (sigaction(SIGTERM, &sa, NULL) == -1 || signal(SIGINT, SIG_IGN) == SIG_ERR ||
        sigprocmask(SIG_UNBLOCK, &all, NULL) == -1)
        err_exit("signals");
    struct rlimit no_core = { 0, 0 };   /* the planned crash leaves no core file */
    if (setrlimit(RLIMIT_CORE, &no_core) == -1)
        err_exit("setrlimit");
    for (int task = 1;; task++) {
        double began = lab_timeline_now();
        do_task(cfg.task_ms);
        lab_timeline_interval(lane, began, lab_timeline_now(), "task %d", task);
        if (dprintf(STDOUT_FILENO, "task %d done\n", task) < 0)   /* one write: one line */
            err_exit("write");
        if (asked_to_stop) {
            lab_timeline_event(lane, "SIGTERM: stop after task %d", task);
            if (dprintf(STDOUT_FILENO, "SIGTERM: stopping after task %d\n", task) < 0)
                err_exit("write");
            _exit(EXIT_SUCCESS);
        }
        if (index == 0 && cfg.crash_after > 0 && task == cfg.crash_after) {
            if (dprintf(STDOUT_FILENO, "crashing on purpose (abort)\n") < 0)
                err_exit("write");
            lab_timeline_event(lane, "abort");
            abort();
        }
    }
}

/* ---- the supervisor ---------------------------------------------------------- */

static void watch(int fd, int kind, int index)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ((uint64_t)kind << 32) | (uint32_t)index };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
        errExit("epoll_ctl ADD");
}

/* Close every fd from 3 up, except the timeline's (the worker writes its
 * tasks into the same O_APPEND file). */
static void close_fds_but_timeline(void)
{
    int keep = lab_timeline_state()->fd;
    if (keep == -1) {
        close_range(3, ~0U, 0);
        return;
    }
    if (keep > 3)
        close_range(3, (unsigned)keep - 1, 0);
    close_range((unsigned)keep + 1, ~0U, 0);
}

static void start_worker(int i)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC) == -1)
        errExit("pipe");
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
            err_exit("prctl");
        if (getppid() != parent)        /* the supervisor died before prctl */
            _exit(EXIT_FAILURE);
        if (dup2(out[1], STDOUT_FILENO) == -1)
            err_exit("dup2");
        close_fds_but_timeline();       /* epoll, signalfd, other workers' pipes */
        worker_main(i);
    }
    if (close(out[1]) == -1)
        errExit("close");
    /* Safe: the pid cannot be reused before we reap it, and only we do. */
    int pidfd = pidfd_open(pid, 0);
    if (pidfd == -1)
        errExit("pidfd_open");
    if (fcntl(out[0], F_SETFL, O_NONBLOCK) == -1)
        errExit("fcntl");
    char lane[32];
    snprintf(lane, sizeof lane, "worker %d", i + 1);
    lab_timeline_event(lane, "start pid %ld", (long)pid);
    slots[i].pid = pid;
    slots[i].pidfd = pidfd;
    slots[i].pipe = out[0];
    slots[i].started_ns = now_ns();
    slots[i].restart_at_ns = 0;
    slots[i].line_len = 0;
    watch(pidfd, EV_PIDFD, i);
    watch(out[0], EV_PIPE, i);
}

/* Print the worker's complete lines; keep a partial one for later.  Returns
 * false at EOF. */
static bool relay_output(int i)
{
    struct slot *s = &slots[i];
    for (;;) {
        ssize_t n = read(s->pipe, s->line + s->line_len, sizeof s->line - 1 - s->line_len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && errno == EAGAIN)
            return true;
        if (n == -1)
            errExit("read worker pipe");
        if (n == 0)
            return false;
        s->line_len += (size_t)n;
        char *start = s->line, *nl;
        while ((nl = memchr(start, '\n', s->line_len - (size_t)(start - s->line))) != NULL) {
            *nl = '\0';
            printf("[worker %d pid %ld] %s\n", i + 1, (long)s->pid, start);
            start = nl + 1;
        }
        s->line_len -= (size_t)(start - s->line);
        memmove(s->line, start, s->line_len);
        if (s->line_len == sizeof s->line - 1)      /* a line too long: print it cut */
            s->line_len = 0;
    }
}

static void close_pipe(struct slot *s)
{
    if (s->pipe != -1 && close(s->pipe) == -1)     /* close also leaves the epoll set */
        errExit("close");
    s->pipe = -1;
}

/* The pidfd is readable: the worker ended.  Reap it, relay its last words,
 * and plan a restart unless we are stopping. */
static void worker_ended(int i, bool stopping)
{
    struct slot *s = &slots[i];
    siginfo_t info = { 0 };
    if (waitid(P_PIDFD, (id_t)s->pidfd, &info, WEXITED) == -1)
        errExit("waitid");
    if (s->pipe != -1) {
        relay_output(i);
        close_pipe(s);
    }
    if (close(s->pidfd) == -1)
        errExit("close");
    s->pidfd = -1;
    int status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0)
               : info.si_code == CLD_DUMPED ? info.si_status | 0x80 : info.si_status;
    char how[64];
    describe_status(status, how, sizeof how);
    long long up_ms = (now_ns() - s->started_ns) / 1000000;
    pid_t pid = s->pid;
    s->pid = 0;
    char lane[32];
    snprintf(lane, sizeof lane, "worker %d", i + 1);
    lab_timeline_event(lane, "%s %s", stopping ? "stopped" : "crashed", how);
    if (stopping) {
        printf("%s: worker %d (pid %ld) stopped: %s\n", lab_progname, i + 1, (long)pid, how);
        return;
    }
    if (up_ms >= STABLE_MS)             /* it had been fine for a while */
        s->backoff_ms = cfg.backoff_ms;
    printf("%s: worker %d (pid %ld) crashed: %s after %lld ms up; restart in %ld ms\n",
           lab_progname, i + 1, (long)pid, how, up_ms, s->backoff_ms);
    s->restart_at_ns = now_ns() + s->backoff_ms * 1000000LL;
    s->backoff_ms = s->backoff_ms * 2 > cfg.backoff_max_ms ? cfg.backoff_max_ms : s->backoff_ms * 2;
}

static int live_workers(void)
{
    int n = 0;
    for (int i = 0; i < cfg.workers; i++)
        n += slots[i].pid != 0;
    return n;
}

/* Milliseconds until the earliest of: the deadline, a pending restart. */
static int next_timeout_ms(long long deadline_ns)
{
    long long next = deadline_ns;
    for (int i = 0; i < cfg.workers; i++)
        if (slots[i].restart_at_ns != 0 && slots[i].restart_at_ns < next)
            next = slots[i].restart_at_ns;
    long long ms = (next - now_ns() + 999999) / 1000000;
    return ms < 0 ? 0 : (int)ms;
}

static void restart_due_workers(void)
{
    for (int i = 0; i < cfg.workers; i++)
        if (slots[i].restart_at_ns != 0 && now_ns() >= slots[i].restart_at_ns) {
            start_worker(i);
            restarts++;
            printf("%s: worker %d restarted: pid %ld (restart %ld)\n",
                   lab_progname, i + 1, (long)slots[i].pid, restarts);
        }
}

/* Handle the events of one epoll_wait.  Returns the signal read from the
 * signalfd, or 0. */
static int dispatch(struct epoll_event *events, int n, int sigfd, bool stopping)
{
    int signo = 0;
    for (int k = 0; k < n; k++) {
        int kind = (int)(events[k].data.u64 >> 32), i = (int)(uint32_t)events[k].data.u64;
        if (kind == EV_SIGNAL) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof si) == sizeof si)
                signo = (int)si.ssi_signo;
        } else if (kind == EV_PIPE && slots[i].pipe != -1) {
            if (!relay_output(i))       /* EOF: the pidfd event will follow */
                close_pipe(&slots[i]);
        } else if (kind == EV_PIDFD && slots[i].pidfd != -1) {
            worker_ended(i, stopping);
        }
    }
    return signo;
}

/* The loop: run until the demo ends or a signal comes; then stop. */
static void supervise(int sigfd)
{
    struct epoll_event events[2 * MAX_WORKERS + 1];
    long long deadline = now_ns() + cfg.duration_s * 1000000000LL;
    const char *why = "the end of the demo";
    for (;;) {
        restart_due_workers();
        int timeout = next_timeout_ms(deadline);
        if (timeout == 0 && now_ns() >= deadline)
            break;
        fflush(stdout);
        int n = epoll_wait(epfd, events, 2 * MAX_WORKERS + 1, timeout);
        if (n == -1 && errno != EINTR)
            errExit("epoll_wait");
        int signo = dispatch(events, n > 0 ? n : 0, sigfd, false);
        if (signo != 0) {
            why = signo == SIGINT ? "SIGINT" : "SIGTERM";
            break;
        }
    }

    /* Stopping: no more restarts; SIGTERM each worker through its pidfd
     * (no pid-reuse race), then wait for the pidfds, bounded. */
    lab_timeline_event("supervisor", "%s: stop the workers", why);
    printf("%s: %s: asking %d workers to finish their task and stop\n",
           lab_progname, why, live_workers());
    for (int i = 0; i < cfg.workers; i++) {
        slots[i].restart_at_ns = 0;
        if (slots[i].pid != 0 && pidfd_send_signal(slots[i].pidfd, SIGTERM, NULL, 0) == -1)
            errExit("pidfd_send_signal");
    }
    long long stop_by = now_ns() + (cfg.task_ms + STOP_GRACE_MS) * 1000000LL;
    while (live_workers() > 0) {
        long long left_ms = (stop_by - now_ns()) / 1000000;
        if (left_ms <= 0)
            break;
        fflush(stdout);
        int n = epoll_wait(epfd, events, 2 * MAX_WORKERS + 1, (int)left_ms);
        if (n == -1 && errno != EINTR)
            errExit("epoll_wait");
        dispatch(events, n > 0 ? n : 0, sigfd, true);   /* a second signal changes nothing */
    }
    for (int i = 0; i < cfg.workers; i++)
        if (slots[i].pid != 0) {
            printf("%s: worker %d did not stop in time: SIGKILL\n", lab_progname, i + 1);
            if (pidfd_send_signal(slots[i].pidfd, SIGKILL, NULL, 0) == -1)
                errExit("pidfd_send_signal");
            worker_ended(i, true);      /* waitid blocks only until the kill lands */
        }
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "workers", required_argument, NULL, 'w' },
        { "duration", required_argument, NULL, 'd' },
        { "task-ms", required_argument, NULL, 't' },
        { "crash-after", required_argument, NULL, 'c' },
        { "backoff-ms", required_argument, NULL, 'b' },
        { "backoff-max-ms", required_argument, NULL, 'B' },
        { "timeline", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *timeline = NULL;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "w:d:t:c:b:B:T:h", options, NULL)) != -1) {
        switch (opt) {
        case 'w': cfg.workers = (int)parse_long("--workers", optarg, 1, MAX_WORKERS); break;
        case 'd': cfg.duration_s = parse_long("--duration", optarg, 1, 3600); break;
        case 't': cfg.task_ms = (int)parse_long("--task-ms", optarg, 1, 5000); break;
        case 'c': cfg.crash_after = (int)parse_long("--crash-after", optarg, 0, 1000000); break;
        case 'b': cfg.backoff_ms = parse_long("--backoff-ms", optarg, 1, 60000); break;
        case 'B': cfg.backoff_max_ms = parse_long("--backoff-max-ms", optarg, 1, 600000); break;
        case 'T': timeline = optarg; break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (cfg.backoff_max_ms < cfg.backoff_ms)
        usageErr("--backoff-max-ms %ld is below --backoff-ms %ld", cfg.backoff_max_ms, cfg.backoff_ms);

    /* Signals become events: block them, read them from a signalfd. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) == -1)
        errExit("sigprocmask");
    if (timeline != NULL)
        lab_timeline_open(timeline);
    lab_timeline_event("supervisor", "start");
    int sigfd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd == -1)
        errExit("signalfd");
    if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
        errExit("epoll_create1");
    watch(sigfd, EV_SIGNAL, 0);

    printf("%s: %d workers, %d ms tasks, for %ld s (pid %ld)", lab_progname, cfg.workers,
           cfg.task_ms, cfg.duration_s, (long)getpid());
    if (cfg.crash_after > 0)
        printf("; worker 1 aborts after every %d tasks", cfg.crash_after);
    printf("\n");
    for (int i = 0; i < cfg.workers; i++) {
        slots[i] = (struct slot){ .pidfd = -1, .pipe = -1, .backoff_ms = cfg.backoff_ms };
        start_worker(i);
        printf("%s: worker %d started: pid %ld\n", lab_progname, i + 1, (long)slots[i].pid);
    }
    supervise(sigfd);
    printf("%s: all workers stopped; %ld restarts\n", lab_progname, restarts);
    if (close(epfd) == -1 || close(sigfd) == -1)
        errExit("close");
    return EXIT_SUCCESS;
}

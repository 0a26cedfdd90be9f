/* wait_status.c: how a child ended, as waitpid() tells it; zombies and orphans.
 *
 * Lesson: waitpid() fills an int "status" that says how the child ended.
 * The W* macros decode it: WIFEXITED + WEXITSTATUS for a child that called
 * exit/_exit, WIFSIGNALED + WTERMSIG for one killed by a signal, WCOREDUMP
 * when the kernel also wrote a core dump.  Until the parent waits, the dead
 * child stays in the process table as a zombie (state Z): its pid and status
 * are kept for the parent.  A child whose parent dies first is an orphan: the
 * kernel gives it a new parent, init (pid 1) or the nearest ancestor that
 * asked to be a "subreaper" (prctl PR_SET_CHILD_SUBREAPER).
 *
 * The pitfall: a parent that never waits fills the process table with
 * zombies; an orphan is reaped by someone else, so its status is lost to you.
 *
 * Watch for: WEXITSTATUS=3; WTERMSIG=9; WCOREDUMP=1 or 0 (it depends on
 * the machine's /proc/sys/kernel/core_pattern and limits, printed below);
 * "state Z" before waitpid and "gone" after; the orphan's new ppid.
 *
 * Try:
 *   ./wait_status --core-dir /tmp       # keep the core file (if any) in /tmp
 *   ./wait_status --subreaper           # the orphan's new parent is us
 *   cat /proc/sys/kernel/core_pattern
 *   ./wait_status --timeline t.csv && scripts/timeline.sh t.csv t.svg
 *
 * Exit: 0 shown as expected, 1 an error (or --subreaper not obeyed), 2 bad arguments.
 * A core file, when the kernel writes one where the process runs (core_pattern
 * "core"), lands in a private directory /tmp/proclab-UID-PID-XXXXXX that is
 * removed at exit, or in --core-dir DIR, where it is kept; never in the
 * directory you started the lab from.
 *
 * Usage: wait_status [--subreaper] [--core-dir DIR] [--timeline FILE]
 * Python: os.waitpid(), os.WIFEXITED(), os.WEXITSTATUS(), os.WTERMSIG(),
 *         os.WCOREDUMP(), multiprocessing.Process.exitcode (-N for signal N)
 */
#include "../lab.h"
#include <getopt.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--subreaper] [--core-dir DIR] [--timeline FILE]\n"
            "Children exit, are killed, dump core, linger as a zombie, become an orphan.\n"
            "      --subreaper  become a child subreaper first: the orphan is re-parented\n"
            "                   to this process instead of init\n"
            "      --core-dir DIR  the core-dumping child runs in DIR: a core file\n"
            "                   written there is kept (default: a private directory\n"
            "                   in /tmp, removed at exit)\n"
            "      --timeline FILE  write fork, kill, exit, zombie and wait times as CSV\n"
            "                   for scripts/timeline.sh (one lane per process)\n"
            "  -h, --help       this help\n",
            lab_progname);
    exit(status);
}

/* Reap pid (at most 10 s) and print the W* macros' view of its status.
 * LANE names the child on the timeline. */
static void reap_and_decode(pid_t pid, const char *lane)
{
    int status;
    pid_t r = wait_child_for(pid, &status, 10000);
    if (r == -1)
        errExit("waitpid");
    if (r == 0) {
        kill_and_reap(pid);
        fatal("child %ld did not end within 10 s", (long)pid);
    }
    char how[64];
    lab_timeline_event(lane, "reaped: %s", describe_status(status, how, sizeof how));
    if (WIFEXITED(status))
        printf("  WIFEXITED=1 WEXITSTATUS=%d\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("  WIFSIGNALED=1 WTERMSIG=%d (SIG%s) WCOREDUMP=%d\n", WTERMSIG(status),
               sigabbrev_np(WTERMSIG(status)), WCOREDUMP(status) ? 1 : 0);
}

static pid_t fork_checked(void)
{
    if (fflush(stdout) == EOF)          /* no copied buffer in the child */
        errExit("fflush");
    pid_t pid = lab_fork_guarded();   /* the child dies with us */
    if (pid == -1)
        errExit("fork");
    return pid;
}

/* Where the core child runs: with core_pattern "core" the kernel writes the
 * file into the dying process's current directory. */
static char core_dir[PATH_MAX], core_names[2][PATH_MAX + 32];
static bool core_dir_ours;              /* our private directory: remove it */

/* Remove the private directory and a core file in it.  Only unlink and
 * rmdir: a signal handler runs it too. */
static void remove_core_dir(void)
{
    if (!core_dir_ours)
        return;
    for (int i = 0; i < 2; i++)
        if (core_names[i][0] != '\0')
            unlink(core_names[i]);
    if (rmdir(core_dir) == 0)
        core_dir_ours = false;
}

static void on_signal(int sig)
{
    remove_core_dir();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The core-dump child: lift the soft core limit to the hard one, restore the
 * default action for SIGABRT (a sanitizer may catch it), then abort(). */
static void core_child(void)
{
    if (chdir(core_dir) == -1)
        err_exit("chdir %s", core_dir);
    struct rlimit rl;
    if (getrlimit(RLIMIT_CORE, &rl) == -1)
        err_exit("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_CORE, &rl) == -1)
        err_exit("setrlimit");
    signal(SIGABRT, SIG_DFL);
    abort();
}

/* The first line of a small file (in /proc), without its newline; false if
 * it cannot be read (the process is gone). */
static bool read_line(const char *path, char *buf, int size)
{
    FILE *f = fopen(path, "r");
    bool ok = f != NULL && fgets(buf, size, f) != NULL;
    if (f != NULL)
        fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* Say what the kernel did with the core: it follows core_pattern ("core",
 * "/var/crash/%e.%p", or "|/usr/lib/crash-reporter ..." for a pipe). */
static void explain_core(pid_t pid, time_t since)
{
    char pattern[256] = "?";
    struct stat st;
    read_line("/proc/sys/kernel/core_pattern", pattern, sizeof pattern);
    printf("  core_pattern='%s'\n", pattern);
    snprintf(core_names[0], sizeof core_names[0], "%s/core.%ld", core_dir, (long)pid);
    snprintf(core_names[1], sizeof core_names[1], "%s/core", core_dir);
    const char *found = NULL;
    for (int i = 0; i < 2 && found == NULL; i++)
        if (stat(core_names[i], &st) == 0 && st.st_mtime >= since)
            found = core_names[i];
    if (pattern[0] == '|')
        printf("  cores go to a program (a crash reporter), not to a file here\n");
    else if (found != NULL)
        printf("  core file %s: %lld bytes (gdb PROGRAM core)%s\n", found,
               (long long)st.st_size, core_dir_ours ? "; removed at exit (--core-dir keeps it)" : "");
    else
        printf("  no core file in %s (see core_pattern and ulimit -c)\n", core_dir);
}

/* The process state letter from /proc/PID/stat ("pid (comm) S ..."), or 0
 * if the process is gone.  comm may hold ')' so look for the last one. */
static char proc_state(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if (!read_line(path, line, sizeof line))
        return 0;
    char *paren = strrchr(line, ')');
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void show_zombie(void)
{
    pid_t pid = fork_checked();
    if (pid == 0) {
        lab_timeline_event("zombie child", "_exit(0)");
        _exit(0);
    }
    lab_timeline_event("parent", "fork zombie child");
    char state = 0;                     /* wait (bounded) for it to die */
    for (int i = 0; i < 5000 && (state = proc_state(pid)) != 'Z'; i++)
        sleep_ms(1);
    double zombie_seen = lab_timeline_now();
    sleep_ms(lab_timeline_on() ? 5 : 0);    /* a zombie wide enough to see */
    printf("zombie: child %ld exited; before waitpid /proc/%ld/stat says state %c\n",
           (long)pid, (long)pid, state);
    lab_timeline_interval("zombie child", zombie_seen, lab_timeline_now(), "zombie (state Z)");
    reap_and_decode(pid, "zombie child");
    printf("  after waitpid: /proc/%ld is %s\n", (long)pid,
           proc_state(pid) == 0 ? "gone (reaped)" : "still there");
}

/* Read one int from fd, waiting at most 5 s; false at EOF or timeout. */
static bool read_int(int fd, int *value)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int ready = poll(&p, 1, 5000);
    if (ready == -1)
        errExit("poll");
    return ready == 1 && readn(fd, value, sizeof *value) == sizeof *value;
}

/* The grandchild: wait (bounded) until its parent is gone, report the new
 * parent's pid and its own through the pipe. */
static void grandchild(pid_t middle, int wfd)
{
    double orphaned_from = lab_timeline_now();
    for (int i = 0; i < 5000 && getppid() == middle; i++)
        sleep_ms(1);
    lab_timeline_interval("grandchild", orphaned_from, lab_timeline_now(), "child of middle");
    lab_timeline_event("grandchild", "re-parented to %ld", (long)getppid());
    int report[2] = { getppid(), getpid() };
    if (writen(wfd, report, sizeof report) == -1)
        err_exit("write - grandchild");
    _exit(0);
}

/* Parent -> middle -> grandchild; the middle exits at once, so the
 * grandchild is orphaned and re-parented. */
static void show_orphan(bool subreaper)
{
    int pfd[2], new_ppid, gc;
    if (pipe(pfd) == -1)
        errExit("pipe");
    pid_t middle = fork_checked();
    if (middle == 0) {
        pid_t me = getpid();
        pid_t pid = fork();
        if (pid == -1)
            err_exit("fork - middle");
        if (pid == 0)
            grandchild(me, pfd[1]);
        printf("orphan: middle %ld forked grandchild %ld and exits now\n",
               (long)me, (long)pid);
        lab_timeline_event("middle", "fork grandchild then _exit(0)");
        fflush(stdout);                 /* _exit does not flush */
        _exit(0);
    }
    lab_timeline_event("parent", "fork middle");
    if (close(pfd[1]) == -1)            /* so EOF means the grandchild is done */
        errExit("close");
    reap_and_decode(middle, "middle");
    if (!read_int(pfd[0], &new_ppid) || !read_int(pfd[0], &gc))
        fatal("the grandchild did not report within 5 s");
    char path[64], comm[64] = "?";
    snprintf(path, sizeof path, "/proc/%d/comm", new_ppid);
    read_line(path, comm, sizeof comm);
    printf("  grandchild %d: re-parented from %ld to ppid=%d (%s)%s\n", gc, (long)middle,
           new_ppid, comm, new_ppid == getpid() ? ", that is us" : "");
    if (subreaper) {
        if (new_ppid != getpid())
            fatal("--subreaper: expected ppid %ld, got %d", (long)getpid(), new_ppid);
        reap_and_decode(gc, "grandchild");  /* it is our child now: we must reap it */
    } else {
        int dummy;                      /* EOF: the grandchild has exited */
        (void)read_int(pfd[0], &dummy);
    }
    if (close(pfd[0]) == -1)
        errExit("close");
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "subreaper", no_argument, NULL, 'S' },
        { "timeline", required_argument, NULL, 'T' },
        { "core-dir", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool subreaper = false;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'S': subreaper = true; break;
        case 'T': lab_timeline_open(optarg); break;
        case 'C':
            if (snprintf(core_dir, sizeof core_dir, "%s", optarg) >= (int)sizeof core_dir)
                usageErr("--core-dir: path too long");
            break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    if (subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
        errExit("prctl PR_SET_CHILD_SUBREAPER");
    if (core_dir[0] != '\0') {   /* say so now, not as a child's failed chdir */
        struct stat st;
        if (stat(core_dir, &st) == -1)
            errExit("--core-dir %s", core_dir);
        if (!S_ISDIR(st.st_mode))
            fatal("--core-dir %s: not a directory", core_dir);
    }
    if (core_dir[0] == '\0') {    /* a private directory, not the current one */
        snprintf(core_dir, sizeof core_dir, "/tmp/proclab-%ld-%ld-XXXXXX",
                 (long)getuid(), (long)getpid());
        if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
            errExit("signal");
        if (mkdtemp(core_dir) == NULL)
            errExit("mkdtemp");
        core_dir_ours = true;
        if (atexit(remove_core_dir) != 0)
            fatal("atexit");
    }
    lab_timeline_event("parent", "start");

    pid_t pid = fork_checked();
    if (pid == 0) {
        lab_timeline_event("exit child", "_exit(3)");
        _exit(3);
    }
    lab_timeline_event("parent", "fork exit child");
    printf("exit: child %ld called _exit(3)\n", (long)pid);
    reap_and_decode(pid, "exit child");

    pid = fork_checked();
    if (pid == 0) {
        alarm(30);                      /* a safety net: never outlive us long */
        lab_timeline_event("killed child", "pause()");
        for (;;)
            pause();
    }
    lab_timeline_event("parent", "fork killed child");
    sleep_ms(lab_timeline_on() ? 2 : 0);    /* let it reach pause() on the picture */
    if (kill(pid, SIGKILL) == -1)
        errExit("kill");
    lab_timeline_event("parent", "kill");
    printf("signal: child %ld killed with SIGKILL\n", (long)pid);
    reap_and_decode(pid, "killed child");

    time_t before_core = time(NULL);
    pid = fork_checked();
    if (pid == 0) {
        lab_timeline_event("core child", "abort()");
        core_child();
    }
    lab_timeline_event("parent", "fork core child");
    printf("core: child %ld raised its core limit and called abort()\n", (long)pid);
    reap_and_decode(pid, "core child");
    explain_core(pid, before_core);

    show_zombie();
    show_orphan(subreaper);
    return EXIT_SUCCESS;
}

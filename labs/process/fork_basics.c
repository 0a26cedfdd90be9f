/* fork_basics.c: fork() returns twice, and copies your unwritten output too.
 *
 * Lesson: fork() makes a copy of the calling process.  Both copies return
 * from the same call: the parent gets the child's pid, the child gets 0.
 * Which one prints first is up to the scheduler; run it a few times.
 *
 * The pitfall: the copy includes stdio's buffer.  When stdout is a terminal
 * it is line-buffered and already empty at fork; when it is a pipe or a file
 * it is fully buffered, so a line printed *before* fork may still sit in the
 * buffer, and then every process writes its own copy of it.  This lab
 * flushes stdout before forking unless you pass --no-flush.
 *
 * Watch for: "before fork" printed once per process with --no-flush | cat,
 * and the interleaving of parent and child lines changing between runs.
 *
 * Try:
 *   ./fork_basics                      # a terminal: "before fork" once
 *   ./fork_basics --no-flush | cat     # a pipe: "before fork" twice
 *   ./fork_basics -n 4 --no-flush > out.txt; grep -c before out.txt
 *   ./fork_basics -n 3 --timeline t.csv && scripts/timeline.sh t.csv t.svg
 *   ./fork_basics -n 2 --child-exit     # the parent's atexit handler, 3 times
 *
 * With --child-exit the children leave with exit() instead of _exit(): exit
 * also runs the atexit handlers the parent registered before fork (here one
 * that says which process runs it), and flushes stdio buffers.  A child
 * that shares its parent's handlers and buffers must leave with _exit.
 *
 * Usage: fork_basics [--no-flush] [--child-exit] [-n CHILDREN] [--timeline FILE]
 * Python: os.fork(), os.getpid(), os.getppid()
 */
#include "../lab.h"
#include <getopt.h>

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [--no-flush] [--child-exit] [-n CHILDREN] [--timeline FILE]\n"
            "Fork CHILDREN processes (default 1); each says who it is.\n"
            "  -n, --children N  how many children to fork (1..64)\n"
            "      --no-flush    do not flush stdout before fork: with stdout on a\n"
            "                    pipe or file, 'before fork' is printed once per process\n"
            "      --child-exit  children leave with exit(), not _exit(): the parent's\n"
            "                    atexit handler runs in every child too\n"
            "      --timeline FILE  write fork, exit and wait times as CSV for\n"
            "                    scripts/timeline.sh (one lane per process)\n"
            "  -h, --help        this help\n",
            lab_progname);
    exit(status);
}

/* Registered by the parent with atexit(); fork copies the registration. */
static pid_t registered_by;

static void say_who_exits(void)
{
    printf("atexit handler registered by pid %ld runs in pid %ld\n",
           (long)registered_by, (long)getpid());
}

/* The child's whole life: say who it is, then leave with _exit so that the
 * stdio buffer (a copy of the parent's) is not flushed a second time here,
 * and the parent's atexit handlers do not run, unless the lesson wants it. */
static void child(int index, bool flush_at_exit)
{
    char lane[32];
    double born = lab_timeline_now();
    snprintf(lane, sizeof lane, "child %d", index);
    printf("child %d: fork returned 0, my pid=%ld, my parent (ppid)=%ld\n",
           index, (long)getpid(), (long)getppid());
    if (!flush_at_exit && fflush(stdout) == EOF)
        err_exit("fflush");
    lab_timeline_interval(lane, born, lab_timeline_now(), "runs");
    lab_timeline_event(lane, "exit 0");
    if (flush_at_exit)
        exit(EXIT_SUCCESS);     /* flushes the buffer, copied line and all */
    _exit(EXIT_SUCCESS);
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "children", required_argument, NULL, 'n' },
        { "no-flush", no_argument, NULL, 'F' },
        { "child-exit", no_argument, NULL, 'E' },
        { "timeline", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long children = 1;
    const char *timeline = NULL;
    pid_t child_pids[64];
    bool flush_before_fork = true, child_exit = false;
    int opt;

    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': children = parse_long("--children", optarg, 1, 64); break;
        case 'F': flush_before_fork = false; break;
        case 'E': child_exit = true; break;
        case 'T': timeline = optarg; break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    registered_by = getpid();
    if (atexit(say_who_exits) != 0)
        fatal("atexit");
    if (timeline) {
        lab_timeline_open(timeline);
        lab_timeline_event("parent", "start");
    }

    /* No newline problem here: the newline is there, but on a pipe stdout is
     * fully buffered, so this line waits in the buffer until a flush. */
    printf("before fork: parent pid=%ld\n", (long)getpid());

    for (int i = 1; i <= children; i++) {
        /* Empty the buffer before *every* fork: the parent's own lines
         * printed since the last one would be copied too. */
        if (flush_before_fork && fflush(stdout) == EOF)
            errExit("fflush");
        double fork_called = lab_timeline_now();
        pid_t pid = fork();
        if (pid == -1)
            errExit("fork");
        if (pid == 0)                       /* child (new process) */
            child(i, !flush_before_fork || child_exit);
        child_pids[i - 1] = pid;
        lab_timeline_interval("parent", fork_called, fork_called, "fork child %d", i);
        /* parent: fork returned the child's pid */
        printf("parent: fork returned %ld for child %d, my pid=%ld\n",
               (long)pid, i, (long)getpid());
    }

    /* Reap every child: a child nobody waits for stays a zombie until we
     * exit.  Children here exit at once; the bound is a safety net. */
    for (int i = 0; i < children; i++) {
        int status;
        pid_t pid = wait_child_for(-1, &status, 10000);
        if (pid == -1)
            errExit("waitpid");
        if (pid == 0)
            fatal("a child did not exit within 10 s");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char how[64];
            fatal("child %ld ended with %s", (long)pid,
                  describe_status(status, how, sizeof how));
        }
        for (int c = 0; c < children; c++)
            if (child_pids[c] == pid)
                lab_timeline_event("parent", "wait: child %d", c + 1);
    }
    return EXIT_SUCCESS;
}

/* start_methods.c: six ways to start a child, and which ones pay for your memory.
 *
 * Lesson: every method below starts a child that exits at once with code 42,
 * and the parent checks that code.  What differs is the work done on the way:
 *   fork         copy the process: its page tables, marked copy-on-write
 *   fork_exec    the same copy, then thrown away by exec (this program again,
 *                via /proc/self/exe --child-exit 42)
 *   vfork_exec   no copy: the child borrows the parent's memory until exec
 *   clone_vfork  the same with clone(CLONE_VM | CLONE_VFORK) and its own stack
 *   posix_spawn  the library's way to do the above (glibc uses clone, too)
 *   forkserver   a small helper forked at start-up forks on request, over a
 *                socketpair, and sends the grandchild's status back
 * With --parent-mib N the parent first touches N MiB.  fork's cost grows
 * with it (more page tables to copy); the others stay flat.  --no-touch
 * allocates the N MiB without touching them: no page is real yet, there
 * is nothing to copy, and fork stays cheap.
 *
 * Python's start methods: 'fork' is fork; 'spawn' is fork_exec (CPython
 * uses vfork or posix_spawn when it can); 'forkserver' is the fork server.
 *
 * Watch for: fork and fork_exec growing with --parent-mib; the rest not.
 *
 * Try:
 *   ./start_methods -n 200
 *   ./start_methods -n 50 --parent-mib 1024
 *   ./start_methods -n 50 --parent-mib 1024 --no-touch
 *
 * Exit: 0 every child exited 42, 1 an error, 2 bad arguments.
 * Usage: start_methods [-n REPS] [--parent-mib N [--no-touch]]
 * Python: multiprocessing.set_start_method('fork' | 'spawn' | 'forkserver'),
 *         os.fork(), os.posix_spawn(), subprocess.Popen
 */
#include "../lab.h"
#include <getopt.h>
#include <sched.h>
#include <spawn.h>
#include <sys/socket.h>

extern char **environ;
enum { CODE = 42, STACK = 64 * 1024 };
static char *exec_argv[] = { "start_methods", "--child-exit", "42", NULL };

_Noreturn static void usage(FILE *out, int status)
{
    fprintf(out,
            "Usage: %s [-n REPS] [--parent-mib N [--no-touch]]\n"
            "Start a child REPS times with each method; print the mean time per child.\n"
            "  -n, --reps N        children per method (1..100000, default 100)\n"
            "  -m, --parent-mib N  touch N MiB in the parent first (0..65536, default 0)\n"
            "      --no-touch      allocate the N MiB but do not touch them\n"
            "  -h, --help          this help\n",
            lab_progname);
    exit(status);
}

static void exec_self(void)
{
    execv("/proc/self/exe", exec_argv);
    err_exit("execv /proc/self/exe");       /* only if exec failed */
}

/* waitpid without wait_child_for's 1 ms polling, which would swamp what we
 * measure; alarm() bounds it instead (SIGALRM's default action ends us). */
static bool reap(pid_t pid, int *status)
{
    alarm(10);
    pid_t r;
    while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
        ;
    alarm(0);
    return r == pid;
}

/* Each method starts one child and returns its pid (to be reaped). */
static pid_t by_fork(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(CODE);
    return pid;
}

static pid_t by_fork_exec(void)
{
    pid_t pid = fork();
    if (pid == 0)
        exec_self();
    return pid;
}

static pid_t by_vfork_exec(void)
{
    pid_t pid = vfork();    /* we are suspended until the child execs or exits */
    if (pid == 0)
        exec_self();        /* in a vfork child: only exec or _exit */
    return pid;
}

static char *clone_stack;
static int clone_child(void *arg) { (void)arg; exec_self(); return 127; }

static pid_t by_clone_vfork(void)
{
    /* The stack grows down on x86-64 and arm64: pass its top. */
    return clone(clone_child, clone_stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
}

static pid_t by_posix_spawn(void)
{
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, exec_argv, environ);
    if (rc != 0)
        errExitEN(rc, "posix_spawn");
    return pid;
}

/* The fork server: started before the parent grows, so its forks are cheap.
 * Each request byte asks for one child; the reply is its wait status. */
static int server_fd = -1;
static pid_t server_pid;

static void fork_server(int fd)
{
    char req;
    while (readn(fd, &req, 1) == 1) {           /* EOF: the parent is done */
        int status;
        pid_t pid = fork();
        if (pid == -1)
            err_exit("fork - server");
        if (pid == 0)
            _exit(CODE);
        if (!reap(pid, &status))
            err_exit("waitpid - server");
        if (writen(fd, &status, sizeof status) != sizeof status)
            err_exit("write - server");
    }
    _exit(0);
}

static void start_fork_server(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
        errExit("socketpair");
    if ((server_pid = lab_fork_guarded()) == -1)
        errExit("fork");
    if (server_pid == 0) {
        close(sv[0]);
        fork_server(sv[1]);
    }
    if (close(sv[1]) == -1)
        errExit("close");
    server_fd = sv[0];
}

/* One child through the server: returns its status, not a pid. */
static int via_server(void)
{
    int status;
    if (writen(server_fd, "x", 1) != 1)
        errExit("write to fork server");
    if (readn(server_fd, &status, sizeof status) != sizeof status)
        fatal("the fork server did not answer");
    return status;
}

static void check(const char *method, int status)
{
    char how[64];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != CODE)
        fatal("%s: child ended with %s, expected exit %d", method,
              describe_status(status, how, sizeof how), CODE);
}

/* Start reps children with one method; print the mean time per child. */
static void measure(const char *name, pid_t (*start)(void), long reps)
{
    long long t0 = now_ns();
    for (long i = 0; i < reps; i++) {
        int status;
        if (start == NULL) {
            status = via_server();
        } else {
            pid_t pid = start();
            if (pid == -1)
                errExit("%s", name);
            if (!reap(pid, &status))
                errExit("waitpid %s", name);
        }
        check(name, status);
    }
    printf("%-15s %8.1f us\n", name, (now_ns() - t0) / 1e3 / reps);
}

/* This process's resident memory, from /proc/self/statm (pages). */
static long resident_mib(void)
{
    long size, resident = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        errExit("fopen /proc/self/statm");
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        fatal("/proc/self/statm: unexpected format");
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE) >> 20;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        { "reps", required_argument, NULL, 'n' },
        { "parent-mib", required_argument, NULL, 'm' },
        { "no-touch", no_argument, NULL, 'U' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long reps = 100, mib = 0;
    bool touch = true;
    int opt;

    /* The exec target: this same program, asked to exit at once. */
    if (argc == 3 && strcmp(argv[1], "--child-exit") == 0)
        _exit(atoi(argv[2]));
    lab_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "n:m:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': reps = parse_long("--reps", optarg, 1, 100000); break;
        case 'm': mib = parse_long("--parent-mib", optarg, 0, 65536); break;
        case 'U': touch = false; break;
        case 'h': usage(stdout, EXIT_SUCCESS);
        default:  usageErr("unknown option");
        }
    }
    if (optind != argc)
        usageErr("unexpected argument '%s'", argv[optind]);
    setbuf(stdout, NULL);               /* nothing buffered to copy at fork */

    start_fork_server();                /* early: while we are still small */
    char *ballast = NULL;
    if (mib > 0) {
        size_t size = (size_t)mib << 20;
        if ((ballast = malloc(size)) == NULL)
            errExit("malloc %ld MiB", mib);
        for (size_t off = 0; touch && off < size; off += 4096)
            ((volatile char *)ballast)[off] = 1;   /* make every page real */
    }
    if (!touch)     /* allocated: address space only, no page, no page table */
        printf("parent allocated %ld MiB without touching them (resident: %ld MiB); ",
               mib, resident_mib());
    if ((clone_stack = malloc(STACK)) == NULL)
        errExit("malloc");
    printf("parent touched %ld MiB; mean time per child over %ld runs:\n", touch ? mib : 0, reps);

    measure("fork", by_fork, reps);
    measure("fork_exec", by_fork_exec, reps);
    measure("vfork_exec", by_vfork_exec, reps);
#ifdef __SANITIZE_ADDRESS__
    (void)by_clone_vfork;   /* ASan warns of false positives in such a child */
    printf("%-15s skipped: AddressSanitizer does not follow a CLONE_VM child "
           "running on its own stack\n", "clone_vfork");
#else
    measure("clone_vfork", by_clone_vfork, reps);
#endif
    measure("posix_spawn", by_posix_spawn, reps);
    measure("forkserver", NULL, reps);

    if (close(server_fd) == -1)         /* EOF: the server exits */
        errExit("close");
    int status;
    if (wait_child_for(server_pid, &status, 10000) != server_pid)
        fatal("the fork server did not exit");
    free(clone_stack);
    free(ballast);
    return EXIT_SUCCESS;
}

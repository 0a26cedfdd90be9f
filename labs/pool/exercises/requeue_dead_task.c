/* requeue_dead_task.c (exercise): a process pool must
 * not lose the task a worker was running when it died.
 *
 * The parent runs TASKS tasks (task K computes K*K) on WORKERS worker
 * processes.  Each worker has a pipe of its own for tasks; results come
 * back on one shared pipe.  The parent remembers which task each worker is
 * running.  Task 4 crashes its worker (SIGKILL) the first time it runs --
 * a stand-in for a segfault or the OOM killer.  When waitpid shows that a
 * worker died, its task must go back on the queue (a second attempt) and
 * a new worker must take the dead one's place; otherwise that task is lost
 * and the pool ends with fewer workers.  The parent prints "task K = R"
 * per result and "all N tasks done" (or "lost: ...").
 *
 * Task: at the TODO, put the dead worker's task back on the queue and
 * start a replacement worker.
 * Grade: make grade EX=requeue_dead_task SRC=your_copy.c
 * Usage: requeue_dead_task [TASKS [WORKERS]]
 */
#include "lab.h"
#include <poll.h>

#define MAX_TASKS 100
#define MAX_WORKERS 8
#define CRASHING_TASK 4
#define RUN_LIMIT_MS 3000

struct order { int task, attempt; };
struct result { int task; long value; };

struct worker {
    pid_t pid;          /* 0: this slot has no worker */
    int task_fd;        /* the parent's write end of the worker's task pipe */
    int running;        /* task in progress, 0 when idle */
    int attempt;
};

static struct worker workers[MAX_WORKERS];
static int result_pipe[2];
static struct order queue[2 * MAX_TASKS];
static int queue_head, queue_tail;

static void enqueue(int task, int attempt) { queue[queue_tail++] = (struct order){ task, attempt }; }

/* The worker: run tasks until its task pipe reaches EOF. */
static void worker_loop(int task_fd)
{
    struct order o;
    ssize_t n;
    while ((n = readn(task_fd, &o, sizeof o)) == (ssize_t)sizeof o) {
        if (o.task == CRASHING_TASK && o.attempt == 1)
            raise(SIGKILL);             /* the crash */
        struct result r = { o.task, (long)o.task * o.task };
        if (writen(result_pipe[1], &r, sizeof r) == -1)
            err_exit("write result");
    }
    if (n == -1)
        err_exit("read task");
    _exit(0);
}

static void start_worker(int slot)
{
    int fds[2];
    if (pipe(fds) == -1)
        errExit("pipe");
    fflush(stdout);
    pid_t pid = lab_fork_guarded();
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        /* keep only our own task pipe's read end and the result write end */
        for (int s = 0; s < MAX_WORKERS; s++)
            if (workers[s].pid != 0 && close(workers[s].task_fd) == -1)
                err_exit("close");
        if (close(fds[1]) == -1 || close(result_pipe[0]) == -1)
            err_exit("close");
        worker_loop(fds[0]);
    }
    if (close(fds[0]) == -1)
        errExit("close");
    workers[slot] = (struct worker){ .pid = pid, .task_fd = fds[1] };
}

/* Give queued tasks to idle workers. */
static void dispatch(int nworkers)
{
    for (int s = 0; s < nworkers && queue_head < queue_tail; s++) {
        if (workers[s].pid == 0 || workers[s].running != 0)
            continue;
        struct order o = queue[queue_head++];
        if (writen(workers[s].task_fd, &o, sizeof o) == -1)
            errExit("write task");
        workers[s].running = o.task;
        workers[s].attempt = o.attempt;
    }
}

/* Reap the workers that died; what becomes of their tasks is the lesson. */
static void reap_dead_workers(int nworkers)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int s = 0; s < nworkers; s++) {
            if (workers[s].pid != pid)
                continue;
            char how[64];
            printf("worker %d (pid %ld) died with %s while running task %d\n", s + 1,
                   (long)pid, describe_status(status, how, sizeof how), workers[s].running);
            if (close(workers[s].task_fd) == -1)
                errExit("close");
            int task = workers[s].running, attempt = workers[s].attempt;
            workers[s].pid = 0;
            /* TODO: the task it was running is not done: run it again, and
             * give the pool its worker back. */
            (void)task, (void)attempt;
        }
    }
    if (pid == -1 && errno != ECHILD)
        errExit("waitpid");
}

static bool any_worker_busy(int nworkers)
{
    for (int s = 0; s < nworkers; s++)
        if (workers[s].pid != 0 && workers[s].running != 0)
            return true;
    return false;
}

/* End the pool: EOF on every task pipe, then reap each worker (bounded). */
static void stop_workers(int nworkers)
{
    for (int s = 0; s < nworkers; s++)
        if (workers[s].pid != 0 && close(workers[s].task_fd) == -1)
            errExit("close");
    for (int s = 0; s < nworkers; s++) {
        int status;
        if (workers[s].pid == 0)
            continue;
        pid_t r = wait_child_for(workers[s].pid, &status, 2000);
        if (r == -1)
            errExit("waitpid");
        if (r == 0)
            kill_and_reap(workers[s].pid);
    }
}

int main(int argc, char **argv)
{
    lab_init(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: %s [TASKS [WORKERS]]\nRun TASKS tasks (%d..%d, default 6) on WORKERS "
               "workers (1..%d, default 2); task %d crashes its worker once.\n",
               lab_progname, CRASHING_TASK, MAX_TASKS, MAX_WORKERS, CRASHING_TASK);
        return 0;
    }
    if (argc > 3)
        usageErr("two arguments at most");
    int ntasks = argc > 1 ? (int)parse_long("TASKS", argv[1], CRASHING_TASK, MAX_TASKS) : 6;
    int nworkers = argc > 2 ? (int)parse_long("WORKERS", argv[2], 1, MAX_WORKERS) : 2;

    if (pipe(result_pipe) == -1)
        errExit("pipe");
    for (int s = 0; s < nworkers; s++)
        start_worker(s);
    for (int k = 1; k <= ntasks; k++)
        enqueue(k, 1);

    bool done[MAX_TASKS + 1] = { false };
    int finished = 0;
    long long deadline = now_ns() + RUN_LIMIT_MS * 1000000LL;
    while (finished < ntasks && now_ns() < deadline) {
        dispatch(nworkers);
        struct pollfd p = { .fd = result_pipe[0], .events = POLLIN };
        int ready = poll(&p, 1, 10);
        if (ready == -1)
            errExit("poll");
        if (ready == 1) {
            struct result r;
            if (readn(result_pipe[0], &r, sizeof r) != (ssize_t)sizeof r)
                errExit("read result");
            printf("task %d = %ld\n", r.task, r.value);
            for (int s = 0; s < nworkers; s++)
                if (workers[s].pid != 0 && workers[s].running == r.task)
                    workers[s].running = 0;
            if (r.task >= 1 && r.task <= ntasks && !done[r.task]) {
                done[r.task] = true;
                finished++;
            }
        }
        reap_dead_workers(nworkers);
        if (queue_head == queue_tail && !any_worker_busy(nworkers) && ready == 0)
            break;                      /* nothing queued, nothing running */
    }
    stop_workers(nworkers);

    if (finished == ntasks) {
        printf("all %d tasks done\n", ntasks);
        return 0;
    }
    printf("lost: %d of %d tasks never done:", ntasks - finished, ntasks);
    for (int k = 1; k <= ntasks; k++)
        if (!done[k])
            printf(" %d", k);
    printf("\n");
    return 1;
}

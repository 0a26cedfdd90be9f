/* pool.c: the pool library.  Read pool.h's header comment first: it is the
 * design, and this file follows it in order: frames, rings, the worker, the
 * parent's dispatch / collect / wait loop, faults, then the public calls. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    TASK_RING = 64 * 1024,            /* bytes of a worker's task queue */
    RESULT_RING = 256 * 1024,         /* bytes of a worker's result queue */
    MAX_CHUNK_BYTES = TASK_RING / 4,  /* one chunk frame, at most */
    MAX_WINDOW = 1024,                /* tasks queued at one worker, at most */
    STOP_FN = -1,                     /* the frame that tells a worker to exit */
};
#define QUEUED_WORK_NS 100000         /* keep ~100 us of work queued per worker */
#define SPIN_NS 20000                 /* spin this long before sleeping */
#define WRAP UINT32_MAX               /* "continue at the ring's start" */

/* ---- frames: what crosses between processes --------------------------- */
struct task_frame {       /* parent -> worker: a chunk of tasks of one job */
    uint32_t size;        /* whole frame in bytes, a multiple of 8 */
    int32_t fn;           /* registered function id, or STOP_FN */
    uint64_t first_id;    /* its tasks have ids first_id .. first_id+count-1 */
    uint32_t count;
    uint32_t out_cap;     /* room for each task's result */
};                        /* then per task: uint32_t len, pad, len bytes padded to 8 */
struct result_frame {     /* worker -> parent: one task's outcome */
    uint32_t size;
    uint32_t failed;      /* 1: the bytes are an error message */
    uint64_t id;
    int64_t start_ns, end_ns;
    uint32_t len, pad;
};                        /* then len bytes */

static uint32_t pad8(size_t n) { return (uint32_t)((n + 7) & ~(size_t)7); }

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();   /* tell the CPU we spin: saves power, helps the other hyperthread */
#endif
}

/* ---- a ring: one producer, one consumer, frames of bytes ---------------
 * head and tail count bytes forever (mod 2^32); a frame never wraps: when it
 * does not fit before the end, the producer writes WRAP and starts at 0.
 * Publishing is one release store of tail (or head): the other side's
 * acquire load then sees the whole frame.  No lock, no system call. */
struct ring {
    _Alignas(64) _Atomic uint32_t head;   /* the consumer's position */
    _Alignas(64) _Atomic uint32_t tail;   /* the producer's; also the futex word */
    _Atomic uint32_t sleeping;            /* 1: the consumer sleeps on tail */
    uint32_t cap;                         /* bytes, a power of two */
    _Alignas(64) unsigned char data[];
};

/* Room for a frame of size bytes, or NULL when the ring is too full. */
static void *ring_reserve(struct ring *r, uint32_t size)
{
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint32_t pos = tail & (r->cap - 1), contig = r->cap - pos;
    if (r->cap - (tail - head) < (size <= contig ? size : contig + size))
        return NULL;
    if (size > contig) {
        memcpy(r->data + pos, &(uint32_t){ WRAP }, 4);
        atomic_store_explicit(&r->tail, tail + contig, memory_order_release);
        pos = 0;
    }
    return r->data + pos;
}

static void ring_commit(struct ring *r, uint32_t size)
{
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + size, memory_order_release);
}

/* The oldest frame, left in place until ring_pop(); NULL when empty. */
static void *ring_peek(struct ring *r)
{
    for (;;) {
        uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        if (head == atomic_load_explicit(&r->tail, memory_order_acquire))
            return NULL;
        uint32_t pos = head & (r->cap - 1), size;
        memcpy(&size, r->data + pos, 4);
        if (size != WRAP)
            return r->data + pos;
        atomic_store_explicit(&r->head, head + (r->cap - pos), memory_order_release);
    }
}

static void ring_pop(struct ring *r)
{
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed), size;
    memcpy(&size, r->data + (head & (r->cap - 1)), 4);
    atomic_store_explicit(&r->head, head + size, memory_order_release);
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* A worker's shared memory: what it runs now, then its two rings. */
struct slot {
    _Alignas(64) _Atomic uint64_t running;   /* id of the task it runs, 0: none */
    _Atomic int64_t since_ns;                /* when that task started */
    _Atomic uint32_t stop;                   /* thread pools: stop between tasks */
};
#define SLOT_BYTES (sizeof(struct slot) + 2 * sizeof(struct ring) + TASK_RING + RESULT_RING)
static struct ring *task_ring(struct slot *s) { return (struct ring *)(s + 1); }
static struct ring *result_ring(struct slot *s)
{
    return (struct ring *)((char *)(s + 1) + sizeof(struct ring) + TASK_RING);
}

/* Pipe mode: bytes read from a pipe, cut into whole frames. */
struct rxbuf { unsigned char *data; size_t off, len, cap; };

/* The next whole frame, reading more when needed; NULL at end of file, on
 * an error, or (nonblocking fd) when no whole frame has arrived yet. */
static void *rx_frame(int fd, struct rxbuf *rx)
{
    for (;;) {
        uint32_t size = 0;
        if (rx->len >= 4)
            memcpy(&size, rx->data + rx->off, 4);
        if (rx->len >= 4 && rx->len >= size)
            return rx->data + rx->off;
        memmove(rx->data, rx->data + rx->off, rx->len);   /* keep frames 8-aligned */
        rx->off = 0;
        ssize_t r = read(fd, rx->data + rx->len, rx->cap - rx->len);
        if (r > 0)
            rx->len += (size_t)r;
        else if (r == 0 || errno != EINTR)
            return NULL;
    }
}

static void rx_consume(struct rxbuf *rx)
{
    uint32_t size;
    memcpy(&size, rx->data + rx->off, 4);
    rx->off += size;
    rx->len -= size;
}

/* ---- the parent's bookkeeping ------------------------------------------ */
struct job;
struct chunk {            /* tasks sent to a worker, results not all back */
    struct job *job;
    size_t first;         /* task index of its first task */
    uint32_t count, received, bytes;
    uint64_t first_id;
};

struct worker {
    pool_t *pool;
    int index, pidfd, task_fd, result_fd;    /* the parent's ends (pipe mode) */
    int child_task_fd, child_result_fd;      /* the worker's ends */
    pid_t pid;
    pthread_t thread;
    bool alive, sent;                        /* sent: frames since the last wake */
    struct slot *slot;
    struct rxbuf task_rx, result_rx;         /* pipe mode: worker's, parent's */
    struct chunk *chunks;                    /* in flight, oldest first (FIFO) */
    size_t chunk_head, chunk_count, queued;  /* queued: tasks in flight */
    size_t task_bytes, result_bytes;         /* bytes in flight each way */
    size_t pipe_cap;                         /* pipe mode: the task pipe's capacity */
    uint64_t timed_out_id;                   /* the task we killed it for */
};

enum { WAITING, DONE, FAILED };
struct job {              /* a map, an imap iterator or a future */
    pool_t *pool;
    struct job *prev, *next, *next_pending;
    int fn;
    size_t n, next_index, completed, dropped, delivered, chunksize;
    const unsigned char *args;               /* n * arg_size bytes, or */
    const struct pool_arg *argv;             /* one (data, len) per task */
    size_t arg_size, result_size;
    unsigned char *results, *state, *attempts;
    uint32_t *lens;
    char **errors;                           /* per task, once one failed */
    size_t *order;                           /* imap: indexes in completion order */
    void *own_args, *own_results;
    bool released, cancelled, reported, attached, in_pending;
    uint64_t done_seq;
};
struct pool_future { struct job job; };
struct pool_iter { struct job job; };
struct requeued { struct job *job; size_t index; };

struct pool {
    struct pool_options opt;
    bool threads, closed, stopped, broken, epipe;
    int nworkers, live, nfuncs, doorbell;
    pid_t parent;
    struct worker *workers;
    _Atomic uint32_t *parent_sleeping;       /* shared: ring the doorbell */
    struct job *jobs, *pending, *pending_tail;
    struct requeued *requeue;
    size_t rq_head, rq_count, rq_cap, outstanding, to_free;
    uint64_t next_id, done_seq;
    int64_t avg_task_ns, created_ns, last_death_check;
    unsigned char *txbuf;
    struct pool_stats stats;
    struct pool_trace_entry *trace;
    size_t ntrace, trace_cap;
    char error[256];
};

static pool_fn funcs[POOL_MAX_FUNCS];
static int nfuncs;

int pool_register(pool_fn fn)
{
    for (int i = 0; i < nfuncs; i++)
        if (funcs[i] == fn)
            return i;
    if (nfuncs == POOL_MAX_FUNCS || fn == NULL) {
        errno = fn ? ENOSPC : EINVAL;
        return -1;
    }
    funcs[nfuncs] = fn;
    return nfuncs++;
}

static int fail_with(pool_t *p, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof p->error, fmt, ap);
    va_end(ap);
    errno = err;
    return -1;
}

/* ---- the worker: take a chunk, run its tasks, send each result ---------- */
static __thread char *task_error;   /* where pool_fail() writes */

int pool_fail(const char *fmt, ...)
{
    if (task_error) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(task_error, POOL_MAX_ERROR, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static uint32_t result_room(uint32_t out_cap)
{
    return sizeof(struct result_frame) + pad8(out_cap > POOL_MAX_ERROR ? out_cap : POOL_MAX_ERROR);
}

static int run_task(pool_t *p, struct worker *w, const struct task_frame *tf, uint64_t id,
                    const void *arg, uint32_t len)
{
    _Alignas(8) unsigned char local[sizeof(struct result_frame) + POOL_MAX_RESULT + 8];
    char err[POOL_MAX_ERROR] = "";
    struct result_frame *rf = (void *)local;
    bool shm = p->opt.queue == POOL_QUEUE_SHM;
    /* The parent reserved this room before sending the task: no wait here. */
    while (shm && (rf = ring_reserve(result_ring(w->slot), result_room(tf->out_cap))) == NULL)
        cpu_relax();
    unsigned char *out = (unsigned char *)(rf + 1);
    size_t out_len = tf->out_cap;

    rf->start_ns = now_ns();
    atomic_store(&w->slot->since_ns, rf->start_ns);
    atomic_store(&w->slot->running, id);        /* the parent's clue if we die */
    task_error = err;
    int rc = tf->fn < p->nfuncs ? funcs[tf->fn](arg, len, out, &out_len)
                                : pool_fail("no registered function %d", tf->fn);
    if (rc == 0 && out_len > tf->out_cap)
        rc = pool_fail("result of %zu bytes, room for %u", out_len, tf->out_cap);
    task_error = NULL;
    rf->end_ns = now_ns();
    if (rc != 0) {
        if (err[0] == '\0')
            snprintf(err, sizeof err, "task function returned %d", rc);
        out_len = strlen(err);
        memcpy(out, err, out_len);
    }
    *rf = (struct result_frame){ .size = sizeof *rf + pad8(out_len), .failed = rc != 0, .id = id,
                                 .start_ns = rf->start_ns, .end_ns = rf->end_ns,
                                 .len = (uint32_t)out_len };
    if (!shm) {
        size_t done = 0;
        while (done < rf->size) {
            ssize_t n = write(w->child_result_fd, local + done, rf->size - done);
            if (n == -1 && errno != EINTR)
                return -1;                      /* the parent is gone */
            done += n > 0 ? (size_t)n : 0;
        }
    } else {
        ring_commit(result_ring(w->slot), rf->size);
        /* Ring the parent's doorbell only if it sleeps, and only once: an
         * eventfd keeps the ring until read, so the parent cannot miss it. */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load(p->parent_sleeping) && atomic_exchange(p->parent_sleeping, 0))
            if (write(p->doorbell, &(uint64_t){ 1 }, 8) == -1)
                return -1;
    }
    atomic_store(&w->slot->running, 0);         /* after the result is out */
    return 0;
}

/* The next chunk frame: spin a little, then sleep on the ring's futex. */
static const struct task_frame *next_frame(pool_t *p, struct worker *w)
{
    if (p->opt.queue == POOL_QUEUE_PIPE)
        return rx_frame(w->child_task_fd, &w->task_rx);
    struct ring *r = task_ring(w->slot);
    int64_t spin_until = now_ns() + SPIN_NS;
    for (;;) {
        const struct task_frame *tf = ring_peek(r);
        if (tf != NULL || atomic_load(&w->slot->stop))
            return tf;
        if (now_ns() < spin_until) {
            cpu_relax();
            continue;
        }
        uint32_t tail = atomic_load(&r->tail);
        atomic_store(&r->sleeping, 1);          /* then look once more: no lost wake-up
                                                   (futex_wait compares tail too) */
        if (atomic_load(&r->head) == tail && !atomic_load(&w->slot->stop))
            futex(&r->tail, FUTEX_WAIT, tail);
        atomic_store(&r->sleeping, 0);
    }
}

static void worker_loop(pool_t *p, struct worker *w)
{
    const struct task_frame *tf;
    while ((tf = next_frame(p, w)) != NULL && tf->fn != STOP_FN) {
        const unsigned char *a = (const unsigned char *)(tf + 1);
        for (uint32_t i = 0; i < tf->count; i++) {
            uint32_t len;
            memcpy(&len, a, 4);
            if (atomic_load(&w->slot->stop) || run_task(p, w, tf, tf->first_id + i, a + 8, len))
                return;
            a += 8 + pad8(len);
        }
        if (p->opt.queue == POOL_QUEUE_SHM)
            ring_pop(task_ring(w->slot));
        else
            rx_consume(&w->task_rx);
    }
}

static void *worker_thread(void *arg)
{
    struct worker *w = arg;
    worker_loop(w->pool, w);
    return NULL;
}

/* A forked worker: die with the parent, keep only its own descriptors. */
static void worker_process(pool_t *p, struct worker *w)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != p->parent)
        _exit(1);                               /* the parent already died */
    signal(SIGINT, SIG_IGN);                    /* Ctrl-C is the parent's to handle */
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    for (int i = 0; i < p->nworkers; i++) {
        struct worker *o = &p->workers[i];
        int fds[] = { o->pidfd, o->task_fd, o->result_fd,
                      o == w ? -1 : o->child_task_fd, o == w ? -1 : o->child_result_fd };
        for (size_t k = 0; k < sizeof fds / sizeof fds[0]; k++)
            if (fds[k] >= 0)
                close(fds[k]);
    }
    worker_loop(p, w);
    _exit(0);                                   /* never return into the caller's code */
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void release_worker(pool_t *p, struct worker *w)
{
    int *fds[] = { &w->pidfd, &w->task_fd, &w->result_fd, &w->child_task_fd, &w->child_result_fd };
    for (size_t k = 0; k < sizeof fds / sizeof fds[0]; k++)
        close_fd(fds[k]);
    if (w->slot != NULL)
        munmap(w->slot, SLOT_BYTES);
    w->slot = NULL;
    if (w->alive)
        p->live--;
    w->alive = false;
}

static int start_worker(pool_t *p, struct worker *w)
{
    int t[2] = { -1, -1 }, r[2] = { -1, -1 };
    w->slot = mmap(NULL, SLOT_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w->slot == MAP_FAILED) {
        w->slot = NULL;
        return fail_with(p, errno, "mmap: %s", strerror(errno));
    }
    task_ring(w->slot)->cap = TASK_RING;
    result_ring(w->slot)->cap = RESULT_RING;
    w->chunk_head = w->chunk_count = w->queued = w->task_bytes = w->result_bytes = 0;
    w->task_rx.off = w->task_rx.len = w->result_rx.off = w->result_rx.len = 0;
    w->timed_out_id = 0;
    if (p->opt.queue == POOL_QUEUE_PIPE) {
        if (pipe2(t, O_CLOEXEC) == -1 || pipe2(r, O_CLOEXEC) == -1 ||
            fcntl(r[0], F_SETFL, O_NONBLOCK) == -1) {
            int e = errno;
            int *fds[] = { &t[0], &t[1], &r[0], &r[1] };
            for (int k = 0; k < 4; k++)
                close_fd(fds[k]);
            release_worker(p, w);
            return fail_with(p, e, "pipe: %s", strerror(e));
        }
        (void)fcntl(r[1], F_SETPIPE_SZ, RESULT_RING);   /* best effort: fewer blocked writes */
        int cap = fcntl(t[1], F_GETPIPE_SZ);            /* less than 64 KiB when the
                                                           user has many pipes */
        w->pipe_cap = cap > 0 ? (size_t)cap : 4096;
        w->task_fd = t[1], w->child_task_fd = t[0];
        w->result_fd = r[0], w->child_result_fd = r[1];
    }
    if (p->threads) {
        int e = pthread_create(&w->thread, NULL, worker_thread, w);
        if (e != 0) {
            release_worker(p, w);
            return fail_with(p, e, "pthread_create: %s", strerror(e));
        }
    } else {
        w->pid = fork();
        if (w->pid == 0)
            worker_process(p, w);
        if (w->pid == -1 || (w->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0)) == -1) {
            int e = errno;
            if (w->pid > 0) {
                kill(w->pid, SIGKILL);
                waitpid(w->pid, NULL, 0);
            }
            release_worker(p, w);
            return fail_with(p, e, "%s: %s", w->pid == -1 ? "fork" : "pidfd_open", strerror(e));
        }
        close_fd(&w->child_task_fd);
        close_fd(&w->child_result_fd);
    }
    w->alive = true;
    p->live++;
    p->stats.workers_started++;
    return 0;
}

/* ---- jobs: tasks waiting, finished, freed -------------------------------- */
static bool job_done(const struct job *j) { return j->completed + j->dropped == j->n; }

/* Take j off the list of jobs with tasks not yet sent. */
static void pending_remove(pool_t *p, struct job *j)
{
    struct job *prev = NULL;
    for (struct job *q = j->in_pending ? p->pending : NULL; q; prev = q, q = q->next_pending)
        if (q == j) {
            j->in_pending = false;
            *(prev ? &prev->next_pending : &p->pending) = j->next_pending;
            if (p->pending_tail == j)
                p->pending_tail = prev;
            return;
        }
}

static void job_free(pool_t *p, struct job *j)
{
    if (j->attached) {
        pending_remove(p, j);
        *(j->prev ? &j->prev->next : &p->jobs) = j->next;
        if (j->next)
            j->next->prev = j->prev;
    }
    for (size_t i = 0; j->errors && i < j->n; i++)
        free(j->errors[i]);
    free(j->errors), free(j->state), free(j->attempts), free(j->lens), free(j->order);
    free(j->own_args), free(j->own_results), free(j);
}

/* Free the jobs their owner let go of once they are done. */
static void free_released(pool_t *p)
{
    for (struct job *j = p->jobs, *next; p->to_free > 0 && j; j = next) {
        next = j->next;
        if (j->released && job_done(j)) {
            p->to_free--;
            job_free(p, j);
        }
    }
}

static void job_release(pool_t *p, struct job *j)
{
    if (!j->attached) {
        job_free(p, j);
        return;
    }
    j->released = true;
    if (job_done(j))
        job_free(p, j);
}

static void job_check_done(pool_t *p, struct job *j)
{
    if (job_done(j) && j->done_seq == 0) {
        j->done_seq = ++p->done_seq;
        if (j->released)
            p->to_free++;
    }
}

/* A task's outcome reaches its job: exactly once. */
static int complete_task(pool_t *p, struct job *j, size_t i, bool failed,
                         const void *data, size_t len)
{
    if (j->state[i] != WAITING)
        return fail_with(p, EPROTO, "task %zu completed twice", i);
    j->state[i] = failed ? FAILED : DONE;
    if (failed) {
        p->stats.tasks_failed++;
        if (j->errors == NULL)
            j->errors = calloc(j->n, sizeof *j->errors);
        if (j->errors != NULL)
            j->errors[i] = strndup(data, len);
    } else {
        p->stats.tasks_done++;
        j->lens[i] = (uint32_t)len;
        if (!j->cancelled) {
            memcpy(j->results + i * j->result_size, data, len);
            memset(j->results + i * j->result_size + len, 0, j->result_size - len);
        }
    }
    if (j->order)
        j->order[j->completed] = i;
    j->completed++;
    p->outstanding--;
    job_check_done(p, j);
    return 0;
}

static int requeue(pool_t *p, struct job *j, size_t index)
{
    if (p->rq_count == p->rq_cap) {
        size_t cap = p->rq_cap ? 2 * p->rq_cap : 64;
        struct requeued *q = malloc(cap * sizeof *q);
        if (q == NULL)
            return fail_with(p, ENOMEM, "out of memory");
        for (size_t k = 0; k < p->rq_count; k++)
            q[k] = p->requeue[(p->rq_head + k) % p->rq_cap];
        free(p->requeue);
        p->requeue = q, p->rq_cap = cap, p->rq_head = 0;
    }
    p->requeue[(p->rq_head + p->rq_count++) % p->rq_cap] = (struct requeued){ j, index };
    return 0;
}

static const void *task_arg(const struct job *j, size_t i, size_t *len)
{
    if (j->argv) {
        *len = j->argv[i].len;
        return j->argv[i].data;
    }
    *len = j->arg_size;
    return j->args + i * j->arg_size;
}

/* ---- dispatch: fill each worker's queue up to its window ----------------- */
static size_t window(const pool_t *p)
{
    int64_t w = QUEUED_WORK_NS / (p->avg_task_ns > 0 ? p->avg_task_ns : 1);
    return w < 1 ? 1 : w > MAX_WINDOW ? MAX_WINDOW : (size_t)w;
}

/* The next tasks to send: a requeued task, else the next tasks of the
 * oldest job.  false when nothing waits. */
static bool next_work(pool_t *p, struct job **job, size_t *first, size_t *count, bool *again)
{
    while (p->rq_count > 0) {
        struct requeued rq = p->requeue[p->rq_head];
        if (!rq.job->cancelled) {
            *job = rq.job, *first = rq.index, *count = 1, *again = true;
            return true;
        }
        p->rq_head = (p->rq_head + 1) % p->rq_cap, p->rq_count--;
        rq.job->dropped++, p->outstanding--;
        job_check_done(p, rq.job);
    }
    while (p->pending && p->pending->next_index == p->pending->n)
        pending_remove(p, p->pending);
    if (p->pending == NULL)
        return false;
    *job = p->pending, *first = p->pending->next_index, *again = false;
    *count = p->pending->n - *first < p->pending->chunksize ? p->pending->n - *first
                                                            : p->pending->chunksize;
    return true;
}

/* Send one chunk to w.  1: sent; 0: no room or no work; -1: error. */
static int send_chunk(pool_t *p, struct worker *w)
{
    struct job *j;
    size_t first, count, len;
    bool again;
    if ((w->chunk_count >= 2 && w->queued >= window(p)) || w->chunk_count == MAX_WINDOW ||
        !next_work(p, &j, &first, &count, &again))
        return 0;
    uint32_t room = result_room((uint32_t)j->result_size), bytes = sizeof(struct task_frame);
    size_t fit = 0;     /* how many of count fit in a frame and in the result queue */
    while (fit < count && w->result_bytes + (fit + 1) * room <= RESULT_RING / 2) {
        task_arg(j, first + fit, &len);
        if (bytes + 8 + pad8(len) > MAX_CHUNK_BYTES)
            break;
        bytes += 8 + pad8(len);
        fit++;
    }
    bool shm = p->opt.queue == POOL_QUEUE_SHM;
    unsigned char *frame = shm ? ring_reserve(task_ring(w->slot), bytes) : p->txbuf;
    /* A pipe write must not block while the worker may be blocked writing a
     * result we do not read: stay within the pipe, unless nothing is in flight. */
    if (fit == 0 || frame == NULL || (!shm && w->task_bytes > 0 && w->task_bytes + bytes > w->pipe_cap / 2))
        return 0;
    struct task_frame tf = { bytes, j->fn, p->next_id, (uint32_t)fit, (uint32_t)j->result_size };
    memcpy(frame, &tf, sizeof tf);
    unsigned char *a = frame + sizeof tf;
    for (size_t i = 0; i < fit; i++) {
        const void *arg = task_arg(j, first + i, &len);
        memcpy(a, &(uint32_t[2]){ (uint32_t)len, 0 }, 8);
        memcpy(a + 8, arg, len);
        a += 8 + pad8(len);
    }
    if (shm) {
        ring_commit(task_ring(w->slot), bytes);
    } else if (write(w->task_fd, frame, bytes) != (ssize_t)bytes) {
        p->epipe = true;
        return 0;   /* the worker died (EPIPE): its pidfd will tell */
    }
    w->chunks[(w->chunk_head + w->chunk_count++) % MAX_WINDOW] =
        (struct chunk){ j, first, (uint32_t)fit, 0, bytes, p->next_id };
    p->next_id += fit;
    w->queued += fit, w->task_bytes += bytes, w->result_bytes += fit * room, w->sent = true;
    if (again)
        p->rq_head = (p->rq_head + 1) % p->rq_cap, p->rq_count--;
    else if ((j->next_index += fit) == j->n)
        pending_remove(p, j);              /* all sent: it is the list's head */
    return 1;
}

static int dispatch(pool_t *p)
{
    sigset_t pipe_sig, old;
    bool guard = p->opt.queue == POOL_QUEUE_PIPE && !p->threads;
    if (guard) {       /* a write to a dead worker's pipe must not kill us */
        sigemptyset(&pipe_sig);
        sigaddset(&pipe_sig, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_sig, &old);
    }
    for (bool sent = true; sent;) {    /* round robin, one chunk at a time */
        sent = false;
        for (int i = 0; i < p->nworkers; i++)
            if (p->workers[i].alive && send_chunk(p, &p->workers[i]) == 1)
                sent = true;
    }
    if (guard) {       /* discard the SIGPIPE we may have earned */
        while (p->epipe && sigtimedwait(&pipe_sig, NULL, &(struct timespec){ 0, 0 }) == SIGPIPE)
            ;
        p->epipe = false;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    /* One wake-up per batch, only for a worker that says it sleeps.  Only
     * the worker clears its flag: were we to clear it, a wake-up sent just
     * before it enters futex_wait would be lost, and with it every later one. */
    atomic_thread_fence(memory_order_seq_cst);
    for (int i = 0; i < p->nworkers; i++) {
        struct worker *w = &p->workers[i];
        if (w->alive && w->sent && p->opt.queue == POOL_QUEUE_SHM &&
            atomic_load(&task_ring(w->slot)->sleeping))
            futex(&task_ring(w->slot)->tail, FUTEX_WAKE, 1);
        w->sent = false;
    }
    return 0;
}

/* ---- collect: results back to their jobs ---------------------------------- */
static void trace_add(pool_t *p, int worker, size_t task, int64_t start, int64_t end)
{
    if (p->ntrace == p->trace_cap) {
        size_t cap = p->trace_cap ? 2 * p->trace_cap : 1024;
        void *t = realloc(p->trace, cap * sizeof *p->trace);
        if (t == NULL)
            return;        /* the trace is a bonus: drop entries, not the run */
        p->trace = t, p->trace_cap = cap;
    }
    p->trace[p->ntrace++] = (struct pool_trace_entry){ worker, task, start, end };
}

static int handle_result(pool_t *p, struct worker *w, const struct result_frame *rf)
{
    struct chunk *c = &w->chunks[w->chunk_head];
    if (w->chunk_count == 0 || rf->id != c->first_id + c->received)
        return fail_with(p, EPROTO, "worker %d sent result %llu out of turn", w->index,
                         (unsigned long long)rf->id);
    struct job *j = c->job;
    size_t index = c->first + c->received++;
    w->queued--;
    w->result_bytes -= result_room((uint32_t)j->result_size);
    if (c->received == c->count) {
        w->task_bytes -= c->bytes;
        w->chunk_head = (w->chunk_head + 1) % MAX_WINDOW, w->chunk_count--;
    }
    p->avg_task_ns += (rf->end_ns - rf->start_ns - p->avg_task_ns) / 8;
    if (p->opt.trace)
        trace_add(p, w->index, index, rf->start_ns, rf->end_ns);
    return complete_task(p, j, index, rf->failed, rf + 1, rf->len);
}

/* Every result w has sent so far; the count, or -1. */
static int collect_worker(pool_t *p, struct worker *w)
{
    int got = 0;
    const struct result_frame *rf;
    if (p->opt.queue == POOL_QUEUE_SHM) {
        while ((rf = ring_peek(result_ring(w->slot))) != NULL) {
            if (handle_result(p, w, rf) == -1)
                return -1;
            ring_pop(result_ring(w->slot));
            got++;
        }
    } else {
        while ((rf = rx_frame(w->result_fd, &w->result_rx)) != NULL) {
            if (handle_result(p, w, rf) == -1)
                return -1;
            rx_consume(&w->result_rx);
            got++;
        }
    }
    return got;
}

static int collect(pool_t *p)
{
    int got = 0;
    for (int i = 0; i < p->nworkers; i++) {
        int n = p->workers[i].alive ? collect_worker(p, &p->workers[i]) : 0;
        if (n == -1)
            return -1;
        got += n;
    }
    return got;
}

/* ---- faults: a worker died -------------------------------------------------- */
static void describe(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, size, "worker exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, size, "worker ended (status 0x%x)", status);
}

/* Results it sent count; the task it ran fails (or runs again); the tasks it
 * never started go back in line; a new worker takes its place. */
static int worker_died(pool_t *p, struct worker *w)
{
    char cause[128], msg[POOL_MAX_ERROR];
    int status = 0;
    if (collect_worker(p, w) == -1)
        return -1;
    while (waitpid(w->pid, &status, 0) == -1 && errno == EINTR)
        ;
    describe(status, cause, sizeof cause);
    uint64_t running = atomic_load(&w->slot->running);
    p->stats.workers_died++;
    if (p->opt.trace)
        trace_add(p, w->index, POOL_TRACE_DEATH, now_ns(), now_ns());
    for (; w->chunk_count > 0; w->chunk_head = (w->chunk_head + 1) % MAX_WINDOW, w->chunk_count--) {
        struct chunk *c = &w->chunks[w->chunk_head];
        for (uint32_t k = c->received; k < c->count; k++) {
            struct job *j = c->job;
            size_t i = c->first + k;
            int rc = 0;
            if (c->first_id + k != running) {
                rc = requeue(p, j, i);             /* never started: no attempt used */
            } else if (running == w->timed_out_id) {
                snprintf(msg, sizeof msg, "timed out after %d ms", p->opt.task_timeout_ms);
                rc = complete_task(p, j, i, true, msg, strlen(msg));
            } else if (++j->attempts[i] <= p->opt.retries) {
                p->stats.tasks_retried++;
                rc = requeue(p, j, i);
            } else {
                snprintf(msg, sizeof msg, "%s%s", cause, j->attempts[i] > 1 ? " (retried)" : "");
                rc = complete_task(p, j, i, true, msg, strlen(msg));
            }
            if (rc == -1)
                return -1;
        }
    }
    release_worker(p, w);
    return p->stopped ? 0 : start_worker(p, w);
}

/* Kill the worker of a task over its time limit; its death does the rest. */
static void enforce_time_limit(pool_t *p, int64_t now, int64_t *next_check)
{
    int64_t limit = (int64_t)p->opt.task_timeout_ms * 1000000;
    for (int i = 0; limit > 0 && i < p->nworkers; i++) {
        struct worker *w = &p->workers[i];
        if (!w->alive)
            continue;
        uint64_t id = atomic_load(&w->slot->running);
        int64_t end = atomic_load(&w->slot->since_ns) + limit;
        if (id == 0 || id == w->timed_out_id) {
            if (w->queued > 0 && *next_check > now + limit / 4)
                *next_check = now + limit / 4;  /* about to start one */
        } else if (now >= end) {
            w->timed_out_id = id;
            kill(w->pid, SIGKILL);
        } else if (end < *next_check) {
            *next_check = end;
        }
    }
}

static bool results_waiting(pool_t *p)
{
    for (int i = 0; i < p->nworkers; i++) {
        struct ring *r = p->workers[i].alive ? result_ring(p->workers[i].slot) : NULL;
        if (r && atomic_load_explicit(&r->head, memory_order_relaxed) !=
                     atomic_load_explicit(&r->tail, memory_order_acquire))
            return true;
    }
    return false;
}

/* Nothing to collect: spin briefly (shm), then sleep in poll() on the
 * doorbell or result pipes and every pidfd, until deadline at most. */
static int wait_events(pool_t *p, int64_t deadline, bool sleep)
{
    bool shm = p->opt.queue == POOL_QUEUE_SHM;
    /* Spinning pays only when results come back sooner than a sleep and wake-up. */
    int64_t now = now_ns(), spin = p->avg_task_ns <= SPIN_NS ? SPIN_NS : 0;
    for (int64_t until = now + spin; sleep && shm && now < until; now = now_ns()) {
        if (results_waiting(p))
            return 0;
        cpu_relax();
    }
    int64_t wake = deadline;
    enforce_time_limit(p, now, &wake);
    int timeout = !sleep ? 0 : wake == INT64_MAX ? -1
                : wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
    struct pollfd fds[1 + 2 * p->nworkers];
    int nfds = 0, at[p->nworkers];
    if (shm)
        fds[nfds++] = (struct pollfd){ .fd = p->doorbell, .events = POLLIN };
    for (int i = 0; i < p->nworkers; i++) {
        struct worker *w = &p->workers[i];
        if (w->alive && !shm)
            fds[nfds++] = (struct pollfd){ .fd = w->result_fd, .events = POLLIN };
        at[i] = w->alive && !p->threads ? nfds : -1;
        if (at[i] >= 0)
            fds[nfds++] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
    }
    if (shm && sleep) {
        atomic_store(p->parent_sleeping, 1);
        if (results_waiting(p))
            timeout = 0;                    /* a result slipped in meanwhile */
    }
    int r = poll(fds, (nfds_t)nfds, timeout);
    if (shm && sleep) {
        atomic_store(p->parent_sleeping, 0);
        uint64_t rings;
        if (read(p->doorbell, &rings, sizeof rings) == -1 && errno != EAGAIN)
            return fail_with(p, errno, "read doorbell: %s", strerror(errno));
    }
    if (r == -1 && errno != EINTR)
        return fail_with(p, errno, "poll: %s", strerror(errno));
    for (int i = 0; r > 0 && i < p->nworkers; i++)   /* a pidfd is readable: it died */
        if (at[i] >= 0 && fds[at[i]].revents && worker_died(p, &p->workers[i]) == -1)
            return -1;
    p->last_death_check = now_ns();
    return 0;
}

static void fail_all(pool_t *p, const char *why);

/* One round of work: send what fits, take what came back, else wait. */
static int step(pool_t *p, int64_t deadline)
{
    if (p->broken)
        return fail_with(p, EPROTO, "%s", p->error);
    if (p->live == 0 && p->outstanding > 0) {
        char why[300];
        snprintf(why, sizeof why, "no worker left: %s", p->error);
        fail_all(p, why);
    }
    int got;
    if (dispatch(p) == -1 || (got = collect(p)) == -1)
        goto broken;
    if (got > 0 && now_ns() - p->last_death_check < 1000000)
        return 0;
    if (wait_events(p, deadline, got == 0) == -1)
        goto broken;
    free_released(p);
    return 0;
broken:
    p->broken = errno == EPROTO;
    return -1;
}

/* Run step() until *count >= target, or until timeout_ms passes. */
static int progress_until(pool_t *p, const size_t *count, size_t target, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ns() + (int64_t)timeout_ms * 1000000;
    while (*count < target) {
        if (deadline != INT64_MAX && now_ns() >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (step(p, deadline) == -1)
            return -1;
    }
    return 0;
}

static void fail_all(pool_t *p, const char *why)
{
    for (struct job *j = p->jobs; j; j = j->next)
        for (size_t i = 0; i < j->n; i++)
            if (j->state[i] == WAITING)
                complete_task(p, j, i, true, why, strlen(why));
    while (p->pending)
        pending_remove(p, p->pending);
    p->rq_count = 0;
    for (int i = 0; i < p->nworkers; i++)
        p->workers[i].chunk_count = p->workers[i].queued = 0;
    free_released(p);
}

/* ---- creating and ending a pool ----------------------------------------------- */
int pool_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

size_t pool_auto_chunksize(size_t n, int workers)
{
    size_t per = 4 * (size_t)(workers > 0 ? workers : 1);
    return n / per + (n % per != 0);
}

static pool_t *create(const struct pool_options *opt, bool threads)
{
    struct pool_options o = opt ? *opt : (struct pool_options){ 0 };
    if (o.workers < 0 || o.workers > 1024 || (o.queue != POOL_QUEUE_SHM && o.queue != POOL_QUEUE_PIPE) ||
        o.task_timeout_ms < 0 || o.retries < 0 || o.retries > 100 || (threads && o.task_timeout_ms)) {
        errno = EINVAL;
        return NULL;
    }
    pool_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->opt = o, p->threads = threads, p->nfuncs = nfuncs, p->parent = getpid();
    p->nworkers = o.workers ? o.workers : pool_cpus();
    p->next_id = 1, p->avg_task_ns = QUEUED_WORK_NS, p->created_ns = now_ns();
    p->doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->parent_sleeping = mmap(NULL, sizeof *p->parent_sleeping, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    p->workers = calloc((size_t)p->nworkers, sizeof *p->workers);
    p->txbuf = malloc(MAX_CHUNK_BYTES);
    if (p->parent_sleeping == MAP_FAILED)
        p->parent_sleeping = NULL;
    bool ok = p->doorbell >= 0 && p->parent_sleeping && p->workers && p->txbuf;
    for (int i = 0; ok && i < p->nworkers; i++) {
        struct worker *w = &p->workers[i];
        *w = (struct worker){ .pool = p, .index = i, .pidfd = -1, .task_fd = -1, .result_fd = -1,
                              .child_task_fd = -1, .child_result_fd = -1 };
        w->chunks = malloc(MAX_WINDOW * sizeof *w->chunks);
        w->task_rx = (struct rxbuf){ .data = malloc(2 * MAX_CHUNK_BYTES), .cap = 2 * MAX_CHUNK_BYTES };
        w->result_rx = (struct rxbuf){ .data = malloc(RESULT_RING / 4), .cap = RESULT_RING / 4 };
        ok = w->chunks && w->task_rx.data && w->result_rx.data;
    }
    sigset_t all, old;     /* threads: signals are the caller's thread's business */
    sigfillset(&all);
    if (threads)
        pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; ok && i < p->nworkers; i++)
        ok = start_worker(p, &p->workers[i]) == 0;
    if (threads)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) {
        int e = errno ? errno : ENOMEM;
        pool_destroy(p);
        errno = e;
        return NULL;
    }
    return p;
}

pool_t *pool_create(const struct pool_options *opt) { return create(opt, false); }
pool_t *pool_create_threads(const struct pool_options *opt) { return create(opt, true); }

/* Ask every worker to stop (a STOP frame; threads also the stop flag),
 * wait for them until deadline, then kill what is left; reap. */
static void stop_workers(pool_t *p, bool now, int64_t deadline)
{
    struct task_frame stop = { sizeof stop, STOP_FN, 0, 0, 0 };
    for (int i = 0; i < p->nworkers; i++) {
        struct worker *w = &p->workers[i];
        if (!w->alive)
            continue;
        if (now && !p->threads) {
            kill(w->pid, SIGKILL);
            continue;
        }
        atomic_store(&w->slot->stop, now);
        void *f = p->opt.queue == POOL_QUEUE_SHM ? ring_reserve(task_ring(w->slot), sizeof stop) : NULL;
        if (f != NULL) {
            memcpy(f, &stop, sizeof stop);
            ring_commit(task_ring(w->slot), sizeof stop);
        } else if (w->task_fd < 0 || write(w->task_fd, &stop, sizeof stop) != sizeof stop) {
            atomic_store(&w->slot->stop, 1);
        }
        futex(&task_ring(w->slot)->tail, FUTEX_WAKE, 1);
    }
    for (int i = 0; i < p->nworkers; i++) {
        struct worker *w = &p->workers[i];
        if (!w->alive)
            continue;
        if (p->threads) {
            pthread_join(w->thread, NULL);     /* a thread cannot be killed */
            collect_worker(p, w);
        } else {
            struct pollfd pfd = { .fd = w->pidfd, .events = POLLIN };
            int64_t left = deadline - now_ns();
            if (poll(&pfd, 1, left > 0 ? (int)(left / 1000000) : 0) != 1)
                kill(w->pid, SIGKILL);
            while (waitpid(w->pid, NULL, 0) == -1 && errno == EINTR)
                ;
        }
        release_worker(p, w);
    }
    p->stopped = p->closed = true;
}

int pool_close(pool_t *p)
{
    p->closed = true;
    return 0;
}

int pool_join(pool_t *p, int timeout_ms)
{
    if (!p->closed)
        return fail_with(p, EINVAL, "pool_join before pool_close");
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ns() + (int64_t)timeout_ms * 1000000;
    while (!p->stopped && p->outstanding > 0) {
        if (deadline != INT64_MAX && now_ns() >= deadline)
            return fail_with(p, ETIMEDOUT, "pool_join: tasks still running");
        if (step(p, deadline) == -1)
            return -1;
    }
    if (!p->stopped)
        stop_workers(p, false, now_ns() + 5000000000);
    return 0;
}

int pool_terminate(pool_t *p)
{
    if (!p->stopped) {
        if (!p->broken)
            collect(p);                   /* what already came back counts */
        stop_workers(p, true, 0);
    }
    fail_all(p, "pool terminated");
    return 0;
}

void pool_destroy(pool_t *p)
{
    if (p == NULL)
        return;
    if (!p->stopped && p->closed && p->outstanding == 0)
        stop_workers(p, false, now_ns() + 5000000000);
    pool_terminate(p);
    for (struct job *j = p->jobs, *next; j; j = next) {
        next = j->next;
        if (j->released)
            job_free(p, j);
        else
            j->attached = false;          /* its owner frees it later */
    }
    for (int i = 0; p->workers && i < p->nworkers; i++) {
        free(p->workers[i].chunks);
        free(p->workers[i].task_rx.data);
        free(p->workers[i].result_rx.data);
    }
    if (p->doorbell >= 0)
        close(p->doorbell);
    if (p->parent_sleeping)
        munmap(p->parent_sleeping, sizeof *p->parent_sleeping);
    free(p->workers), free(p->txbuf), free(p->requeue), free(p->trace), free(p);
}

/* ---- map, starmap, imap_unordered, futures ------------------------------------- */
static struct job *job_new(pool_t *p, int fn, size_t n, const void *args, size_t arg_size,
                           const struct pool_arg *argv, size_t result_size, size_t chunksize,
                           void *results)
{
    if (p->closed || p->broken || fn < 0 || fn >= p->nfuncs || result_size > POOL_MAX_RESULT ||
        (!argv && arg_size > POOL_MAX_ARG) || (n > 0 && !argv && !args && arg_size > 0)) {
        fail_with(p, EINVAL, p->closed ? "pool is closed" : "bad function id or size");
        return NULL;
    }
    for (size_t i = 0; argv && i < n; i++)
        if (argv[i].len > POOL_MAX_ARG || (argv[i].len > 0 && !argv[i].data)) {
            fail_with(p, EINVAL, "task %zu: argument of %zu bytes", i, argv[i].len);
            return NULL;
        }
    struct job *j = calloc(1, sizeof *j);
    size_t m = n ? n : 1;
    if (j == NULL || !(j->state = calloc(m, 1)) || !(j->attempts = calloc(m, 1)) ||
        !(j->lens = calloc(m, sizeof *j->lens)) ||
        (!results && !(results = j->own_results = calloc(m, result_size ? result_size : 1)))) {
        if (j)
            job_free(p, j);
        fail_with(p, ENOMEM, "out of memory");
        return NULL;
    }
    *j = (struct job){ .pool = p, .fn = fn, .n = n, .args = args, .argv = argv, .arg_size = arg_size,
                       .result_size = result_size, .results = results, .state = j->state,
                       .attempts = j->attempts, .lens = j->lens, .own_results = j->own_results,
                       .chunksize = chunksize ? chunksize : pool_auto_chunksize(n, p->nworkers),
                       .attached = true, .next = p->jobs };
    if (j->next)
        j->next->prev = j;
    p->jobs = j;
    if (n > 0) {
        if (p->pending)
            p->pending_tail->next_pending = j;
        else
            p->pending = j;
        p->pending_tail = j;
        j->in_pending = true;
        p->outstanding += n;
    }
    job_check_done(p, j);
    return j;
}

/* The map's verdict: 0, or -1 EIO naming the first failed task. */
static int map_finish(pool_t *p, struct job *j, int rc)
{
    for (size_t i = 0; rc == 0 && i < j->n; i++)
        if (j->state[i] == FAILED)
            rc = fail_with(p, EIO, "task %zu: %s", i,
                           j->errors && j->errors[i] ? j->errors[i] : "failed");
    if (!job_done(j))
        j->cancelled = true;              /* the caller's arrays are not ours after return */
    job_release(p, j);
    return rc;
}

int pool_map(pool_t *p, int fn, const void *args, size_t arg_size, size_t n,
             void *results, size_t result_size, size_t chunksize)
{
    struct job *j = job_new(p, fn, n, args, arg_size, NULL, result_size, chunksize, results);
    return j ? map_finish(p, j, progress_until(p, &j->completed, n, -1)) : -1;
}

int pool_starmap(pool_t *p, int fn, const struct pool_arg *args, size_t n,
                 void *results, size_t result_size, size_t chunksize)
{
    struct job *j = job_new(p, fn, n, NULL, 0, args, result_size, chunksize, results);
    return j ? map_finish(p, j, progress_until(p, &j->completed, n, -1)) : -1;
}

pool_iter_t *pool_imap_unordered(pool_t *p, int fn, const void *args, size_t arg_size,
                                 size_t n, size_t result_size, size_t chunksize)
{
    struct job *j = job_new(p, fn, n, args, arg_size, NULL, result_size, chunksize, NULL);
    if (j && !(j->order = calloc(n ? n : 1, sizeof *j->order))) {
        j->cancelled = true;
        job_release(p, j);
        fail_with(p, ENOMEM, "out of memory");
        return NULL;
    }
    return (pool_iter_t *)j;
}

int pool_iter_next(pool_iter_t *it, struct pool_result *r, int timeout_ms)
{
    struct job *j = &it->job;
    if (j->delivered == j->n)
        return 0;
    if (j->delivered == j->completed && !j->attached) {
        errno = EPIPE;                    /* its pool was destroyed */
        return -1;
    }
    if (j->delivered == j->completed &&
        progress_until(j->pool, &j->completed, j->delivered + 1, timeout_ms) == -1)
        return -1;
    size_t i = j->order[j->delivered++];
    *r = (struct pool_result){ .index = i, .failed = j->state[i] == FAILED,
                               .data = j->results + i * j->result_size, .len = j->lens[i] };
    if (r->failed)
        r->error = j->errors && j->errors[i] ? j->errors[i] : "failed", r->len = 0;
    return 1;
}

void pool_iter_free(pool_iter_t *it)
{
    if (it == NULL)
        return;
    struct job *j = &it->job;
    if (j->attached) {
        pool_t *p = j->pool;
        p->outstanding -= j->n - j->next_index;
        j->dropped += j->n - j->next_index;
        j->next_index = j->n;             /* unsent tasks are dropped */
        j->cancelled = true;
        job_check_done(p, j);
        job_release(p, j);
    } else {
        job_free(NULL, j);
    }
}

pool_future_t *pool_submit(pool_t *p, int fn, const void *arg, size_t arg_len)
{
    if (arg_len > POOL_MAX_ARG)
        return fail_with(p, EINVAL, "argument of %zu bytes", arg_len), NULL;
    void *copy = malloc(arg_len ? arg_len : 1);
    if (copy == NULL)
        return NULL;
    if (arg_len)
        memcpy(copy, arg, arg_len);
    struct job *j = job_new(p, fn, 1, copy, arg_len, NULL, POOL_MAX_RESULT, 1, NULL);
    if (j == NULL)
        free(copy);
    else
        j->own_args = copy;
    return (pool_future_t *)j;
}

bool future_done(const pool_future_t *f) { return job_done(&f->job); }

int future_wait(pool_future_t *f, int timeout_ms)
{
    if (future_done(f))
        return 0;
    if (!f->job.attached) {
        errno = EPIPE;
        return -1;
    }
    return progress_until(f->job.pool, &f->job.completed, 1, timeout_ms);
}

int future_result(pool_future_t *f, void *out, size_t size, size_t *len)
{
    if (!future_done(f) || f->job.state[0] == FAILED) {
        errno = future_done(f) ? EIO : EAGAIN;
        return -1;
    }
    size_t n = f->job.lens[0] < size ? f->job.lens[0] : size;
    memcpy(out, f->job.results, n);
    if (len)
        *len = f->job.lens[0];
    return 0;
}

const char *future_error(const pool_future_t *f)
{
    if (!future_done(f) || f->job.state[0] != FAILED)
        return NULL;
    return f->job.errors && f->job.errors[0] ? f->job.errors[0] : "failed";
}

void future_free(pool_future_t *f)
{
    if (f == NULL)
        return;
    if (f->job.attached)
        job_release(f->job.pool, &f->job);
    else
        job_free(NULL, &f->job);
}

pool_future_t *pool_as_completed(pool_t *p, pool_future_t *const *fs, size_t n, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        pool_future_t *first = NULL;
        size_t left = 0;
        for (size_t i = 0; i < n; i++) {
            struct job *j = &fs[i]->job;
            if (j->reported)
                continue;
            left++;
            if (job_done(j) && (!first || j->done_seq < first->job.done_seq))
                first = fs[i];
        }
        if (first) {
            first->job.reported = true;
            return first;
        }
        errno = left == 0 ? ENOENT : ETIMEDOUT;
        if (left == 0 || (deadline != INT64_MAX && now_ns() >= deadline) || step(p, deadline) == -1)
            return NULL;
    }
}

/* ---- looking inside ---------------------------------------------------------------- */
int pool_size(const pool_t *p) { return p->nworkers; }
const char *pool_last_error(const pool_t *p) { return p->error; }
void pool_get_stats(const pool_t *p, struct pool_stats *s) { *s = p->stats; }

pid_t pool_worker_pid(const pool_t *p, int worker)
{
    if (worker < 0 || worker >= p->nworkers || p->threads || !p->workers[worker].alive)
        return 0;
    return p->workers[worker].pid;
}

size_t pool_trace(const pool_t *p, const struct pool_trace_entry **entries)
{
    *entries = p->trace;
    return p->ntrace;
}

int pool_trace_write(const pool_t *p, const char *path, int64_t origin_ns)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int64_t t0 = origin_ns ? origin_ns : p->created_ns;
    fprintf(f, "lane,start_s,end_s,label\n");
    for (size_t i = 0; i < p->ntrace; i++) {
        const struct pool_trace_entry *e = &p->trace[i];
        fprintf(f, "worker %d,%.6f,%.6f,", e->worker, (e->start_ns - t0) / 1e9, (e->end_ns - t0) / 1e9);
        if (e->task == POOL_TRACE_DEATH)
            fprintf(f, "worker died\n");
        else
            fprintf(f, "%zu\n", e->task);
    }
    int bad = ferror(f);
    if (fclose(f) == EOF || bad)
        return -1;
    return 0;
}

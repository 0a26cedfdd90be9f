#!/usr/bin/python3
"""scripts/families/python/probe.py: what Python's multiprocessing and the
shell cost on top of the operating system, measured on the same work as
bench_pool and written in Google Benchmark's JSON shape (python.json).

Usage: probe.py [--quick|--full] [--filter REGEX] [--out FILE] [--repetitions N] [--tasks-scale F] [--list] [--help]

Names (stable; W workers, G microseconds of calibrated CPU work per task):
  python/pool_map/chunk:1|auto/workers:W/grain_us:G    multiprocessing.Pool.map
  python/pool_imap_unordered/chunk:1/workers:W/grain_us:G
  python/ppe_submit/workers:W/grain_us:G    ProcessPoolExecutor.submit, one future a task
  python/ppe_map/chunk:1/workers:W/grain_us:G           ProcessPoolExecutor.map
  python/tpe_map/workers:W/grain_us:G       ThreadPoolExecutor.map (the GIL)
  python/process_start/method:fork|forkserver|spawn     Process(...).start(); join()
  python/pipe_pingpong/bytes:64   python/queue_pingpong/bytes:64  one round trip
  shell/xargs/workers:W     shell/parallel/workers:W    one /bin/true per task

One "iteration" is one task (or one start, one round trip): real_time is
wall-clock time per task, items_per_second tasks per second.  A pool is
created and warmed up before timing (its start is not in the task cost);
every repetition times one whole map of `tasks` tasks.  Counters:
  overhead_us_per_task  per-task overhead beyond the grain, in microseconds: what
                each worker spends per task beyond the task's own work,
                real_time x workers - grain (for a start or a round trip:
                its whole time)
  workers, grain_us, tasks, chunksize (the chunk size actually used)
The work is a Python loop calibrated once to take G us on this machine
(bench_pool calibrates its C loop the same way).  A missing tool (xargs,
GNU parallel) or start method is skipped with a note in the JSON context
("python_skipped") and on stderr, never an error.

Exit: 0 all ran (or were skipped), 1 a benchmark failed (error_occurred in
the JSON, its name on stderr), 2 bad arguments.
"""

import concurrent.futures as cf
import datetime
import json
import multiprocessing as mp
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

# ---------------------------------------------------------------- the work


def spin(count):
    """The calibrated CPU work: count loop turns (the task function)."""
    x = 0
    for i in range(count):
        x += i
    return count


def noop():
    pass


def echo(conn, rounds):
    """Pipe ping-pong partner: send back every message."""
    for _ in range(rounds):
        conn.send_bytes(conn.recv_bytes())


def queue_echo(q_in, q_out, rounds):
    for _ in range(rounds):
        q_out.put(q_in.get())


def calibrate():
    """Loop turns per microsecond of CPU time (thread_time: another process
    on the CPU does not make it look slower): the fastest of 7 timings of
    100,000 turns."""
    n = 100000
    rates = []
    for _ in range(7):
        t0 = time.thread_time_ns()
        spin(n)
        rates.append(n / (max(time.thread_time_ns() - t0, 1) / 1000.0))
    return max(rates)


# ---------------------------------------------------------------- suites


def suite(kind):
    cpus = len(os.sched_getaffinity(0))
    if kind == "quick":
        return {"workers": [1, 2], "grains": [0, 1000], "reps": 3, "starts": 10,
                "trips": 1000, "work_s": 0.08, "xargs": 100, "parallel": 12}
    ws, w = [], 1
    while w <= 2 * cpus:
        ws.append(w)
        w *= 2
    if ws[-1] != 2 * cpus:
        ws.append(2 * cpus)
    return {"workers": ws, "grains": [0, 10, 100, 1000], "reps": 5, "starts": 40,
            "trips": 5000, "work_s": 0.3, "xargs": 400, "parallel": 60}


def tasks_for(grain, work_s, scale):
    """About work_s seconds of work a repetition (20 to 2000 tasks)."""
    return max(20, int(min(2000, work_s * 1e6 / (grain + 50)) * scale))


# ---------------------------------------------------------------- timing one map
# Each returns the wall-clock seconds of one whole map, and the chunk size used.


def auto_chunk(n, workers):
    chunk, extra = divmod(n, 4 * workers)
    return chunk + 1 if extra else chunk


def time_pool(workers, args, how):
    with mp.get_context("fork").Pool(workers) as pool:
        pool.map(spin, [0] * (4 * workers), chunksize=1)     # warm-up: every worker up
        t0 = time.perf_counter()
        if how == "map1":
            pool.map(spin, args, chunksize=1)
            chunk = 1
        elif how == "mapauto":
            pool.map(spin, args)
            chunk = auto_chunk(len(args), workers)
        else:
            for _ in pool.imap_unordered(spin, args, chunksize=1):
                pass
            chunk = 1
        return time.perf_counter() - t0, chunk


def time_executor(workers, args, how):
    if how == "tpe":
        ex = cf.ThreadPoolExecutor(workers)
    else:
        ex = cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"))
    with ex:
        list(ex.map(spin, [0] * (4 * workers)))               # warm-up
        t0 = time.perf_counter()
        if how == "submit":
            for f in [ex.submit(spin, a) for a in args]:
                f.result()
        else:
            list(ex.map(spin, args))
        return time.perf_counter() - t0, 1


def time_shell(tool, workers, n):
    items = "".join("%d\n" % i for i in range(n)).encode()
    if tool == "xargs":
        cmd = ["xargs", "-P", str(workers), "-n", "1", "/bin/true"]
    else:
        cmd = ["parallel", "--will-cite", "-j", str(workers), "/bin/true"]
    t0 = time.perf_counter()
    subprocess.run(cmd, input=items, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    return time.perf_counter() - t0, 1


def time_starts(method, n):
    ctx = mp.get_context(method)
    ctx.Process(target=noop).start()    # warm-up (starts the fork server)
    t0 = time.perf_counter()
    for _ in range(n):
        p = ctx.Process(target=noop)
        p.start()
        p.join(30)
        if p.exitcode != 0:
            raise RuntimeError("child exit code %s" % p.exitcode)
    return time.perf_counter() - t0


def time_pipe(n, size):
    a, b = mp.Pipe()
    msg = b"x" * size
    child = mp.get_context("fork").Process(target=echo, args=(b, n + 10))
    child.start()
    for _ in range(10):
        a.send_bytes(msg)
        a.recv_bytes()
    t0 = time.perf_counter()
    for _ in range(n):
        a.send_bytes(msg)
        a.recv_bytes()
    dt = time.perf_counter() - t0
    child.join(10)
    return dt


def time_queue(n, size):
    ctx = mp.get_context("fork")
    q_in, q_out = ctx.Queue(), ctx.Queue()
    msg = b"x" * size
    child = ctx.Process(target=queue_echo, args=(q_in, q_out, n + 10))
    child.start()
    for _ in range(10):
        q_in.put(msg)
        q_out.get(timeout=30)
    t0 = time.perf_counter()
    for _ in range(n):
        q_in.put(msg)
        q_out.get(timeout=30)
    dt = time.perf_counter() - t0
    child.join(10)
    return dt


# ---------------------------------------------------------------- the list


class Bench:
    """One named benchmark: run() returns (seconds, items, counters)."""

    def __init__(self, name, run, need=None):
        self.name, self.run, self.need = name, run, need


def benchmarks(cfg, per_us, scale):
    out = []

    def pool_case(variant, how, timer, chunk_label):
        for g in cfg["grains"]:
            for w in cfg["workers"]:
                n = tasks_for(g, cfg["work_s"], scale)
                count = int(round(g * per_us))
                name = "python/%s/%sworkers:%d/grain_us:%d" % (
                    variant, "chunk:%s/" % chunk_label if chunk_label else "", w, g)

                def run(w=w, n=n, count=count, g=g):
                    secs, chunk = timer(w, [count] * n, how)
                    return secs, n, {"workers": w, "grain_us": g, "tasks": n,
                                     "chunksize": chunk,
                                     "overhead_us_per_task": secs / n * 1e6 * w - g}
                out.append(Bench(name, run))

    pool_case("pool_map", "map1", time_pool, "1")
    pool_case("pool_map", "mapauto", time_pool, "auto")
    pool_case("pool_imap_unordered", "imap", time_pool, "1")
    pool_case("ppe_submit", "submit", time_executor, "")
    pool_case("ppe_map", "map", time_executor, "1")
    pool_case("tpe_map", "tpe", time_executor, "")

    for method in ("fork", "forkserver", "spawn"):
        n = cfg["starts"] * (5 if method == "fork" else 1)

        def run(method=method, n=n):
            secs = time_starts(method, n)
            return secs, n, {"overhead_us_per_task": secs / n * 1e6}
        need = None if method in mp.get_all_start_methods() else "start method %s" % method
        out.append(Bench("python/process_start/method:%s" % method, run, need))

    for kind, timer in (("pipe_pingpong", time_pipe), ("queue_pingpong", time_queue)):
        def run(timer=timer):
            n = max(50, int(cfg["trips"] * scale))
            secs = timer(n, 64)
            return secs, n, {"bytes": 64, "overhead_us_per_task": secs / n * 1e6}
        out.append(Bench("python/%s/bytes:64" % kind, run))

    for tool in ("xargs", "parallel"):
        for w in cfg["workers"]:
            n = max(4, int(cfg[tool] * scale))

            def run(tool=tool, w=w, n=n):
                secs, _ = time_shell(tool, w, n)
                return secs, n, {"workers": w, "grain_us": 0, "tasks": n,
                                 "overhead_us_per_task": secs / n * 1e6 * w}
            need = None if shutil.which(tool) else "%s not installed" % tool
            out.append(Bench("shell/%s/workers:%d" % (tool, w), run, need))
    return out


# ---------------------------------------------------------------- JSON


def entry(name, rep, reps, secs, items, counters, error=None):
    e = {"name": name, "run_name": name, "run_type": "iteration",
         "repetitions": reps, "repetition_index": rep, "threads": 1,
         "iterations": items, "real_time": secs / max(items, 1) * 1e6,
         "cpu_time": secs / max(items, 1) * 1e6, "time_unit": "us",
         "items_per_second": items / secs if secs > 0 else 0.0}
    e.update(counters)
    if error:
        e.update({"error_occurred": True, "error_message": error,
                  "iterations": 0, "real_time": 0.0, "cpu_time": 0.0})
    return e


def median_entry(runs):
    m = dict(runs[0])
    m.update({"name": runs[0]["name"] + "_median", "run_type": "aggregate",
              "aggregate_name": "median", "aggregate_unit": "time"})
    m.pop("repetition_index", None)
    for k, v in runs[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in (
                "repetitions", "threads"):
            m[k] = statistics.median(r[k] for r in runs)
    return m


def context(kind, per_us, skipped):
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host_name": socket.gethostname(),
        "executable": sys.executable,
        "num_cpus": os.cpu_count(),
        "library_build_type": "release",
        "proclab_family": "python",
        "proclab_suite": kind,
        "python_version": sys.version.split()[0],
        "python_spin_turns_per_us": "%.2f" % per_us,
        "python_skipped": "; ".join(skipped) if skipped else "none",
    }


def parse(argv):
    opts = {"suite": "quick", "filter": None, "out": None, "reps": None, "scale": 1.0,
            "list": False}
    it = iter(argv)
    for a in it:
        key, eq, val = a.partition("=")
        if a in ("-h", "--help"):
            print(__doc__.split("\n\n", 2)[1])
            print(__doc__.split("\n\n", 2)[2])
            sys.exit(0)
        elif a in ("--quick", "--full"):
            opts["suite"] = a[2:]
        elif a == "--list":
            opts["list"] = True
        elif key in ("--filter", "--out", "--repetitions", "--tasks-scale"):
            if not eq:
                val = next(it, None)
                if val is None:
                    bad("%s needs a value" % key)
            if key == "--filter":
                try:
                    re.compile(val)
                except re.error as e:
                    bad("bad --filter regex: %s" % e)
                opts["filter"] = val
            elif key == "--out":
                opts["out"] = val
            elif key == "--repetitions":
                if not re.fullmatch(r"[1-9][0-9]{0,2}", val):
                    bad("--repetitions must be 1..999, not '%s'" % val)
                opts["reps"] = int(val)
            else:
                try:
                    opts["scale"] = float(val)
                except ValueError:
                    bad("--tasks-scale must be a number, not '%s'" % val)
                if not 0.001 <= opts["scale"] <= 100:
                    bad("--tasks-scale must be in 0.001..100")
        else:
            bad("unknown argument '%s'" % a)
    return opts


def bad(msg):
    print("probe.py: %s" % msg, file=sys.stderr)
    print(__doc__.split("\n\n", 2)[1], file=sys.stderr)
    sys.exit(2)


def main():
    opts = parse(sys.argv[1:])
    cfg = suite(opts["suite"])
    reps = opts["reps"] or cfg["reps"]
    per_us = calibrate() if not opts["list"] else 1.0
    todo = benchmarks(cfg, per_us, opts["scale"])
    if opts["filter"]:
        todo = [b for b in todo if re.search(opts["filter"], b.name)]
    if opts["list"]:
        for b in todo:
            print(b.name)
        return 0
    if not todo:
        print("probe.py: --filter matches no benchmark", file=sys.stderr)
        return 2
    skipped, results, failed = [], [], []
    for i, b in enumerate(todo, 1):
        if b.need:
            skipped.append("%s: %s" % (b.name, b.need))
            print("probe.py: skipped %s (%s)" % (b.name, b.need), file=sys.stderr)
            continue
        print("probe.py: [%d/%d] %s" % (i, len(todo), b.name), file=sys.stderr, flush=True)
        runs = []
        for rep in range(reps):
            try:
                secs, items, counters = b.run()
                runs.append(entry(b.name, rep, reps, secs, items, counters))
            except Exception as e:  # a failed benchmark is reported, the rest run
                runs.append(entry(b.name, rep, reps, 0.0, 0, {}, error="%s: %s" % (
                    type(e).__name__, e)))
        results.extend(runs)
        if any(r.get("error_occurred") for r in runs):
            failed.append(b.name)
        elif reps > 1:
            results.append(median_entry(runs))
    doc = {"context": context(opts["suite"], per_us, skipped), "benchmarks": results}
    text = json.dumps(doc, indent=2) + "\n"
    if opts["out"]:
        with open(opts["out"], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    for name in failed:
        print("probe.py: FAILED %s" % name, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""scripts/families/pool/summary.py RUNDIR: the pool section of summary.txt.

From RUNDIR/pool.json (and RUNDIR/python.json when the Python and shell
probe ran), every number computed here from the medians in the JSON:
  - per kind, grain and W: time per task, per-task overhead beyond the
    grain, speedup and efficiency against W = 1 (same kind, grain, chunk)
  - skewed tasks: a fixed split (static_shards) against a queue (shm)
  - "C vs Python vs shell": the same work (grain 0 and 1000 us, W = 2) in
    the C pool, multiprocessing / concurrent.futures and xargs / GNU
    parallel, with the ratio to the C shm pool
  - the two goals: shm's per-task overhead at grain 0, chunk 1, W = 2 at
    least 20x below multiprocessing.Pool.map chunksize 1; shm's efficiency
    at W = 2, grain 1000 us at least 0.85 -- each printed as met or NOT met,
    with the figures it was computed from."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

R = C.R
OVERHEAD_GOAL = 20.0
EFFICIENCY_GOAL = 0.85


def us(x):
    return "-" if x is None else R.fmt_ns(x * 1e3)


def ratio(x):
    return "-" if x is None else "%.3g" % x


def scaling_table(rs):
    rows = []
    for r in rs:
        if r.family != "pool":
            continue
        if r.error:
            rows.append([r.variant, r.params.get("chunk"), r.param("grain_us"),
                         r.param("workers"), "FAILED", "", "", ""])
            continue
        rows.append([r.variant, r.params.get("chunk"), r.param("grain_us"), r.param("workers"),
                     us(C.per_task_us(r)), us(C.overhead_us(r)), ratio(C.speedup(rs, r)),
                     ratio(C.efficiency(rs, r))])
    return R.table(["kind", "chunk", "grain_us", "workers", "time/task", "overhead/task",
                    "speedup", "efficiency"], rows)


def python_efficiency(py, name1, name2):
    one, two = R.find(py, name1), R.find(py, name2)
    if C.per_task_us(one) is None or C.per_task_us(two) is None:
        return None
    return C.per_task_us(one) / C.per_task_us(two) / 2


def comparison(rs, py):
    """Rows: (what, C figure, Python/shell figure, ratio); overhead in us."""
    shm0 = C.overhead_us(R.find(rs, C.name("pool", "shm", 2, 0, "1")))
    shm_auto = C.overhead_us(R.find(rs, C.name("pool", "shm", 2, 0, "auto")))
    fork0 = C.overhead_us(R.find(rs, C.name("pool", "fork_per_task", 2, 0, "1")))
    rows = []

    def add(what, c_name, c_val, p_name, p_val):
        rows.append([what, c_name, us(c_val), p_name, us(p_val),
                     "-" if c_val is None or p_val is None or c_val <= 0
                     else "%.0fx" % (p_val / c_val)])
    for variant in ("pool_map/chunk:1", "pool_imap_unordered/chunk:1", "ppe_submit",
                    "ppe_map/chunk:1", "tpe_map"):
        name = "python/%s/workers:2/grain_us:0" % variant
        add("overhead/task, grain 0, W=2", "shm chunk 1", shm0, variant,
            C.overhead_us(R.find(py, name)))
    add("overhead/task, grain 0, W=2", "shm chunk auto", shm_auto, "pool_map/chunk:auto",
        C.overhead_us(R.find(py, "python/pool_map/chunk:auto/workers:2/grain_us:0")))
    for tool in ("shell/xargs/workers:2", "shell/parallel/workers:2",
                 "python/process_start/method:fork"):
        add("a process per task, W=2", "fork_per_task", fork0,
            tool, C.overhead_us(R.find(py, tool)))
    return rows


def main(rundir):
    ctx, rs = C.load(rundir)
    print("pool: N tasks of G us of calibrated CPU work on W workers (median of "
          "repetitions; overhead = time per task x W - grain)")
    print(scaling_table(rs))
    print()
    sk = {r.variant: r for r in rs if r.family == "pool_skew" and not r.error}
    for w in sorted({r.param("workers") for r in sk.values()}):
        shm = R.find(rs, C.name("pool_skew", "shm", w, 100, "1"))
        st = R.find(rs, C.name("pool_skew", "static_shards", w, 100, "auto"))
        if C.per_task_us(shm) and C.per_task_us(st):
            print("  skewed tasks (first 1/W cost 3x), W=%d: static_shards %s a task, shm queue "
                  "%s: the fixed split takes %.2fx as long" % (
                      w, us(C.per_task_us(st)), us(C.per_task_us(shm)),
                      C.per_task_us(st) / C.per_task_us(shm)))
    py_path = os.path.join(rundir, "python.json")
    py = R.load(py_path)[1] if os.path.exists(py_path) else []
    if py:
        print()
        print("C vs Python vs shell, the same work (per-task overhead beyond the grain; "
              "ratio = Python or shell / C)")
        print(R.table(["what", "C", "C overhead", "Python / shell", "its overhead", "ratio"],
                      comparison(rs, py)))
    else:
        print("  (no python.json in this run: no C vs Python vs shell table)")
    print()
    shm0 = C.overhead_us(R.find(rs, C.name("pool", "shm", 2, 0, "1")))
    mp0 = C.overhead_us(R.find(py, "python/pool_map/chunk:1/workers:2/grain_us:0"))
    if shm0 and mp0 and shm0 > 0:
        k = mp0 / shm0
        print("  goal: shm pool overhead/task at grain 0, chunk 1, W=2 is %s, "
              "multiprocessing.Pool.map chunksize 1 %s: %.0fx lower (want >= %.0fx): %s"
              % (us(shm0), us(mp0), k, OVERHEAD_GOAL, "met" if k >= OVERHEAD_GOAL else "NOT met"))
    else:
        print("  goal: shm pool vs Pool.map overhead at grain 0, chunk 1, W=2: not measured "
              "in this run")
    shm_eff = C.efficiency(rs, R.find(rs, C.name("pool", "shm", 2, 1000, "1")))
    if shm_eff is not None:
        print("  goal: shm pool efficiency at W=2, grain 1000 us, chunk 1 is %.2f "
              "(want >= %.2f): %s" % (shm_eff, EFFICIENCY_GOAL,
                                      "met" if shm_eff >= EFFICIENCY_GOAL else "NOT met"))
        mp_eff = python_efficiency(py, "python/pool_map/chunk:1/workers:1/grain_us:1000",
                                   "python/pool_map/chunk:1/workers:2/grain_us:1000")
        if mp_eff is not None:
            print("        (multiprocessing.Pool.map chunksize 1, same work: %.2f)" % mp_eff)
    else:
        print("  goal: shm pool efficiency at W=2, grain 1000 us: not measured in this run")
    m = R.load_machine(rundir)
    if m.get("load_before") or m.get("load_after"):
        print("  (load average before the run %s, after it %s: other processes on the CPUs "
              "lower the speedup)" % (m.get("load_before", "?"), m.get("load_after", "?")))
    for line in R.error_lines(rs):
        print("  " + line)


if __name__ == "__main__":
    R.run_with_rundir(main)

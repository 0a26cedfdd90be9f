#!/usr/bin/env python3
"""scripts/families/python/summary.py RUNDIR: the Python and shell section of
summary.txt, from RUNDIR/python.json (scripts/families/python/probe.py).

A table per kind of probe (medians): time per task and per-task overhead
beyond the grain for the pools and executors; time per start for
Process.start with each start method; time per round trip for Pipe and
Queue; time per task for xargs -P and GNU parallel.  What was skipped (a
missing tool or start method) is listed with the reason; failures show as
FAILED with their message.  The comparison with the C pool on the same work
is in the pool section (scripts/families/pool/summary.py)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402


def cell(r, key=None):
    if r.error:
        return "FAILED"
    if key is None:
        return R.fmt_ns(r.real_ns)
    v = r.counter(key)
    return "-" if v is None else R.fmt_ns(v * 1e3)


def main(rundir):
    ctx, rs = R.load(os.path.join(rundir, "python.json"))
    print("python: multiprocessing, concurrent.futures and the shell on the same tasks as "
          "bench_pool (Python %s, median of repetitions)" % ctx.get("python_version", "?"))
    pools = [r for r in rs if r.family == "python" and "workers" in r.params]
    if pools:
        rows = [[r.variant + ("/chunk:%s" % r.params["chunk"] if "chunk" in r.params else ""),
                 r.params.get("workers"), r.params.get("grain_us"), cell(r),
                 cell(r, "overhead_us_per_task")] for r in pools]
        print(R.table(["pool", "workers", "grain_us", "time/task", "overhead/task"], rows))
    other = [r for r in rs if r not in pools]
    if other:
        rows = [[r.name, cell(r), "-" if r.error else R.fmt_rate(r.counter("items_per_second"))]
                for r in other]
        print(R.table(["start, round trip, shell", "time each", "per second"], rows))
    skipped = ctx.get("python_skipped", "none")
    if skipped != "none":
        print("  skipped: %s" % skipped)
    for line in R.error_lines(rs):
        print("  " + line)


if __name__ == "__main__":
    R.run_with_rundir(main)

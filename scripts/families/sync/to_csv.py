#!/usr/bin/env python3
"""scripts/families/sync/to_csv.py RUNDIR: sync.json -> sync_ops.csv.

One row per sync/LOCK/procs:P benchmark, in registry order then P, so
gnuplot draws one line per lock kind:
  lock, procs, ops_per_s, ns_per_op, cv_pct, error
Prints four lines for plot.sh: the lock kinds in order, the host name, a
subtitle, the registry (the JSON context's sync_locks: fixes each lock's
colour).  Numbers are copied from the JSON (median over repetitions)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402
import statistics  # noqa: E402


def ops_cv(r):
    """Spread of critical sections per second between repetitions.  (Not
    of real time: every repetition sizes its own rounds to ~5 ms, so the
    time per iteration is the same by construction.)"""
    rates = [b["items_per_second"] for b in r.runs
             if not b.get("error_occurred") and b.get("items_per_second")]
    if len(rates) < 2:
        return None
    return statistics.stdev(rates) / statistics.mean(rates)


def main(rundir):
    ctx, rs = R.load(os.path.join(rundir, "sync.json"))
    rs = [r for r in rs if r.family == "sync"]
    order = []
    for r in rs:
        if r.variant not in order:
            order.append(r.variant)
    rows = []
    for r in sorted(rs, key=lambda r: (order.index(r.variant), r.param("procs", 0))):
        ops = r.counter("items_per_second")
        nsop = r.counter("ns_per_op")
        rows.append([r.variant, r.param("procs", 0),
                     "" if r.error or ops is None else "%.1f" % ops,
                     "" if r.error or nsop is None else "%.3f" % nsop,
                     "" if ops_cv(r) is None else "%.2f" % (100 * ops_cv(r)),
                     r.error or ""])
    R.write_csv(os.path.join(rundir, "sync_ops.csv"),
                ["lock", "procs", "ops_per_s", "ns_per_op", "cv_pct", "error"], rows)
    print(" ".join(order))
    print(ctx.get("host_name", "?"))
    reps = max((r.repetitions for r in rs), default=0)
    print("%s suite, median of %d repetitions, workers pinned round-robin, %s" % (
        ctx.get("proclab_suite", "?"), reps, ctx.get("date", "")[:10]))
    # The registry, in order (recorded by the driver): a lock keeps its colour
    # in every plot, whatever ran.
    print(ctx.get("sync_locks", "") or " ".join(order))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("Usage: to_csv.py RUNDIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])

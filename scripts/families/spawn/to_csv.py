#!/usr/bin/env python3
"""scripts/families/spawn/to_csv.py RUNDIR: spawn.json -> spawn_time.csv.

One row per spawn/METHOD/rss_mib:N benchmark, sorted by method (registry
order) then RSS, so gnuplot draws one line per method:
  method, rss_mib, x_mib (rss_mib, with 0 moved to 1 for the log axis),
  median_us, p50_us, p99_us, spawns_per_s, cv_pct, rss_kib, error
The reference loops (spawn_ref/...) go to spawn_ref.csv.  Prints four
lines for plot.sh: the methods in order, the host name, a subtitle, the
registry (the JSON context's spawn_methods: fixes each method's colour).
Numbers are copied from the JSON (median over repetitions), never edited."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402

ZERO_AT = 1  # where 0 MiB is drawn on the log axis (said in the plot's label)


def us(ns):
    return "" if ns is None else "%.3f" % (ns / 1e3)


def main(rundir):
    ctx, rs = R.load(os.path.join(rundir, "spawn.json"))
    order = []
    for r in rs:
        if r.family == "spawn" and r.variant not in order:
            order.append(r.variant)
    rows, ref = [], []
    for r in rs:
        rss = r.param("rss_mib", 0)
        row = [r.variant, rss, rss if rss > 0 else ZERO_AT, us(r.real_ns),
               us(r.counter("p50_ns")), us(r.counter("p99_ns")),
               "" if r.counter("items_per_second") is None else "%.1f" % r.counter("items_per_second"),
               "" if r.cv is None else "%.2f" % (100 * r.cv),
               "" if r.counter("rss_kib") is None else "%d" % r.counter("rss_kib"),
               r.error or ""]
        if r.family == "spawn":
            rows.append((order.index(r.variant), rss, row))
        else:
            ref.append(row)
    head = ["method", "rss_mib", "x_mib", "median_us", "p50_us", "p99_us",
            "spawns_per_s", "cv_pct", "rss_kib", "error"]
    R.write_csv(os.path.join(rundir, "spawn_time.csv"), head,
                [row for _, _, row in sorted(rows, key=lambda t: (t[0], t[1]))])
    if ref:
        R.write_csv(os.path.join(rundir, "spawn_ref.csv"), head, ref)
    # For the plot script: the methods in order, the host, a subtitle.
    print(" ".join(order))
    print(ctx.get("host_name", "?"))
    reps = max((r.repetitions for r in rs), default=0)
    print("%s suite, median of %d repetitions, pinned to cpu %s, %s" % (
        ctx.get("proclab_suite", "?"), reps, ctx.get("spawn_pinned_cpu", "?"),
        ctx.get("date", "")[:10]))
    # The registry, in order (recorded by the driver): a method keeps its colour
    # in every plot, whatever ran.
    print(ctx.get("spawn_methods", "") or " ".join(order))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("Usage: to_csv.py RUNDIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])

#!/usr/bin/env python3
"""scripts/families/pool/to_csv.py RUNDIR: the pool family's CSV files.

Reads RUNDIR/pool.json and writes (medians over repetitions):
  pool_scaling.csv  kind,chunk,grain_us,workers,us_per_task,tasks_per_s,
                    overhead_us,speedup,efficiency,error
                    (speedup and efficiency against W = 1 of the same kind,
                    grain and chunk; chunk "auto" is written as 0)
  pool_skew.csv     kind,chunk,workers,us_per_task,overhead_us,error
Prints three lines for the gnuplot scripts: the pool kinds in registry
order (the JSON context's pool_kinds), the host, a subtitle."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

R = C.R


def fmt(x, f="%.4g"):
    return "" if x is None else f % x


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("Usage: to_csv.py RUNDIR", file=sys.stderr)
        sys.exit(2)
    run = sys.argv[1]
    ctx, rs = C.load(run)
    kinds = ctx.get("pool_kinds", "").split() or sorted({r.variant for r in rs})
    rows, skew = [], []
    for r in rs:
        chunk = r.params.get("chunk", "")
        c = "0" if chunk == "auto" else chunk
        if r.family == "pool":
            rows.append([r.variant, c, r.param("grain_us"), r.param("workers"),
                         fmt(C.per_task_us(r)),
                         fmt(None if r.error else r.counter("items_per_second"), "%.1f"),
                         fmt(C.overhead_us(r)), fmt(C.speedup(rs, r)),
                         fmt(C.efficiency(rs, r)), r.error or ""])
        elif r.family == "pool_skew":
            skew.append([r.variant, c, r.param("workers"), fmt(C.per_task_us(r)),
                         fmt(C.overhead_us(r)), r.error or ""])
    R.write_csv(os.path.join(run, "pool_scaling.csv"),
                ["kind", "chunk", "grain_us", "workers", "us_per_task", "tasks_per_s",
                 "overhead_us", "speedup", "efficiency", "error"], rows)
    R.write_csv(os.path.join(run, "pool_skew.csv"),
                ["kind", "chunk", "workers", "us_per_task", "overhead_us", "error"], skew)
    print(" ".join(kinds))
    print(ctx.get("host_name", "?").replace(" ", "_"))
    print("%s suite, median of repetitions, %s" % (ctx.get("proclab_suite", "?"),
                                                   ctx.get("date", "")[:10]))


if __name__ == "__main__":
    main()

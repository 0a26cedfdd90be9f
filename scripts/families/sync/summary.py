#!/usr/bin/env python3
"""scripts/families/sync/summary.py RUNDIR: the contention section of summary.txt.

A table of ns per lock+unlock (median, all processes together) for every
lock kind and process count, then answers computed from RUNDIR/sync.json:
  - what each lock costs uncontended, as a multiple of the atomic floor
  - how many mutex critical sections cost as much as one flock one
  - whether a lock slows down under contention (procs:2 vs procs:1)
Every lock must have kept the shared counter exact; a lock that did not
shows as FAILED with the benchmark's own message."""

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


def ns_per_op(r):
    if r is None or r.error:
        return None
    v = r.counter("ns_per_op")
    return v


def main(rundir):
    ctx, rs = R.load(os.path.join(rundir, "sync.json"))
    rs = [r for r in rs if r.family == "sync"]
    locks, procs = [], sorted({r.param("procs", 0) for r in rs})
    for r in rs:
        if r.variant not in locks:
            locks.append(r.variant)
    reps = max((r.repetitions for r in rs), default=0)
    print("sync: P processes doing lock; counter++; unlock on one lock (ns per critical "
          "section, all processes together; median of %d repetitions)" % reps)
    rows = []
    for lock in locks:
        row = [lock]
        for p in procs:
            r = R.find(rs, "sync/%s/procs:%d" % (lock, p))
            row.append("-" if r is None else "FAILED" if r.error else R.fmt_ns(ns_per_op(r)))
        rows.append(row)
    print(R.table(["lock"] + ["procs:%d" % p for p in procs], rows))
    print()

    def get(lock, p):
        return ns_per_op(R.find(rs, "sync/%s/procs:%d" % (lock, p)))

    floor = get("atomic", 1)
    if floor:
        parts = ["%s %.1fx" % (lock, get(lock, 1) / floor) for lock in locks
                 if lock != "atomic" and get(lock, 1)]
        print("  uncontended (procs:1), as a multiple of one atomic add (%s): %s"
              % (R.fmt_ns(floor), ", ".join(parts)))
    if get("mutex", 1) and get("flock", 1):
        print("  one flock lock+unlock costs as much as %.0f mutex ones (uncontended)"
              % (get("flock", 1) / get("mutex", 1)))
    for lock in locks:
        a, b = get(lock, 1), get(lock, 2)
        if a and b:
            print("  %-9s procs:2 / procs:1 = %.2fx per critical section" % (lock, b / a))
    for line in R.error_lines(rs):
        print("  " + line)
    noisy = [r for r in rs if (ops_cv(r) or 0) > R.NOISY_CV]
    if noisy:
        print("  noisy (cv > %d %% between repetitions): %s" % (
            round(R.NOISY_CV * 100),
            ", ".join("%s/procs:%s %s" % (r.variant, r.params.get("procs"), R.fmt_pct(ops_cv(r)))
                      for r in noisy)))


if __name__ == "__main__":
    R.run_with_rundir(main)

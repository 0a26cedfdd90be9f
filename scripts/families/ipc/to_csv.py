#!/usr/bin/env python3
"""scripts/families/ipc/to_csv.py RUNDIR: the ipc family's CSV files.

Reads RUNDIR/ipc.json (and RUNDIR/ipc_pairs.json when a --pairs=all run
was saved there) and writes, medians over repetitions, times in us:
  ipc_latency.csv     mech,bytes,cross,p50_us,mean_us,p99_us,p999_us (p50, the
                      median of all round trips, is the headline: column 4)
  ipc_throughput.csv  mech,bytes,cross,gib_per_s,msgs_per_s,dropped
  ipc_floor.csv       what,bytes,cross,value,unit (cacheline and line_each_way
                      us, memcpy GiB/s)
  ipc_bar64.csv       mech,same_us,cross_us (64-byte round trip)
  ipc_pairs.csv       cpu_a,cpu_b,p50_us (only when pairs ran)
Prints the mechanisms in run order (one line, space separated) for the
gnuplot scripts.  Failed benchmarks are left out of the CSV (summary.py
lists them)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402

GIB = float(1 << 30)


def ok(r):
    return r.error is None and r.real_ns


def p50_us(r):
    """The headline round trip (p50), us; real time for a run without it."""
    return (r.counter("p50_ns") or r.real_ns) / 1e3


def main():
    if len(sys.argv) != 2:
        print("Usage: to_csv.py RUNDIR", file=sys.stderr)
        sys.exit(2)
    run = sys.argv[1]
    _, rs = R.load(os.path.join(run, "ipc.json"))
    pairs_path = os.path.join(run, "ipc_pairs.json")
    if os.path.exists(pairs_path):
        rs += R.load(pairs_path)[1]
    mechs = []
    lat, thr, floor, pairs = [], [], [], []
    for r in rs:
        if r.family in ("ipc_latency", "ipc_throughput") and r.variant not in mechs:
            mechs.append(r.variant)
        if not ok(r):
            continue
        c = r.counter
        if r.family == "ipc_latency":
            lat.append([r.variant, r.param("bytes"), r.param("cross"), p50_us(r),
                        (c("mean_ns") or r.real_ns) / 1e3, c("p99_ns", 0) / 1e3,
                        c("p999_ns", 0) / 1e3])
        elif r.family == "ipc_throughput":
            thr.append([r.variant, r.param("bytes"), r.param("cross"),
                        c("bytes_per_second", 0) / GIB, c("items_per_second", 0),
                        int(c("dropped", 0))])
        elif r.family == "ipc_floor" and r.variant in ("cacheline", "line_each_way"):
            floor.append([r.variant, 64, r.param("cross"), p50_us(r), "us"])
        elif r.family == "ipc_floor" and r.variant == "memcpy":
            floor.append(["memcpy", r.param("bytes"), 0, c("bytes_per_second", 0) / GIB, "GiB/s"])
        elif r.family == "ipc_pairs":
            pairs.append([r.param("cpu_a"), r.param("cpu_b"), p50_us(r)])
    R.write_csv(os.path.join(run, "ipc_latency.csv"),
                ["mech", "bytes", "cross", "p50_us", "mean_us", "p99_us", "p999_us"], lat)
    R.write_csv(os.path.join(run, "ipc_throughput.csv"),
                ["mech", "bytes", "cross", "gib_per_s", "msgs_per_s", "dropped"], thr)
    R.write_csv(os.path.join(run, "ipc_floor.csv"), ["what", "bytes", "cross", "value", "unit"], floor)
    bar = []
    for m in mechs:
        same = [x[3] for x in lat if x[0] == m and x[1] == 64 and x[2] == 0]
        cross = [x[3] for x in lat if x[0] == m and x[1] == 64 and x[2] == 1]
        if same or cross:
            bar.append([m, same[0] if same else "", cross[0] if cross else ""])
    R.write_csv(os.path.join(run, "ipc_bar64.csv"), ["mech", "same_us", "cross_us"], bar)
    pairs_csv = os.path.join(run, "ipc_pairs.csv")
    if pairs:
        R.write_csv(pairs_csv, ["cpu_a", "cpu_b", "p50_us"], pairs)
    elif os.path.exists(pairs_csv):
        os.remove(pairs_csv)
    print(" ".join(mechs))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""scripts/families/ipc/doc_table.py RUNDIR: the measured table of docs/labs/ipc.md.

Prints a Markdown table, one row per mechanism of RUNDIR/ipc.json: the
64-byte round trip (p50 -- the median of all round trips -- with the mean
and p99) on one CPU and across two, and the
one-way throughput of 64 KiB messages across two CPUs, with the run's
floors underneath.  Numbers come from the JSON through scripts/lib/results.py;
docs/labs/ipc.md holds this script's output for results/reference/amd-epyc-pvm/ between
two markers, and a test checks the page still matches it:
    python3 scripts/families/ipc/doc_table.py results/reference/amd-epyc-pvm"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402


def cell_latency(rs, mech, cross):
    r = R.find(rs, "ipc_latency/%s/bytes:64/cross:%d" % (mech, cross))
    if r is None:
        return "-"
    if r.error:
        return "failed"
    p50 = r.counter("p50_ns") or r.real_ns
    return "%s (mean %s, p99 %s)" % (R.fmt_ns(p50), R.fmt_ns(r.counter("mean_ns") or r.real_ns),
                                     R.fmt_ns(r.counter("p99_ns")))


def cell_throughput(rs, mech, size, cross):
    r = R.find(rs, "ipc_throughput/%s/bytes:%d/cross:%d" % (mech, size, cross))
    if r is None:
        return "-"
    if r.error:
        return "failed"
    return R.fmt_bytes_rate(r.counter("bytes_per_second"))


def main(rundir):
    ctx, rs = R.load(os.path.join(rundir, "ipc.json"))
    mechs = []
    for r in rs:
        if r.family in ("ipc_latency", "ipc_throughput") and r.variant not in mechs:
            mechs.append(r.variant)
    machine = R.load_machine(rundir)
    print("Measured by `make bench` (quick suite) on %s: %s, %s CPUs, kernel %s, %s. "
          "Round trips: p50 (the median of all round trips), mean and p99, each the median "
          "over repetitions; same = both processes on one CPU, cross = two CPUs."
          % (machine.get("date_utc", ctx.get("date", "?"))[:10], machine.get("cpu_model", "?"),
             machine.get("cpus_online", "?"), str(machine.get("kernel", "?")).split()[0],
             "a virtual machine" if machine.get("virtualisation") else "bare metal"))
    print()
    print("| mechanism | 64 B round trip, same CPU | 64 B round trip, cross CPU "
          "| 64 KiB one-way, cross CPU |")
    print("|---|---|---|---|")
    for m in mechs:
        print("| %s | %s | %s | %s |" % (m, cell_latency(rs, m, 0), cell_latency(rs, m, 1),
                                         cell_throughput(rs, m, 65536, 1)))
    cl = R.find(rs, "ipc_floor/cacheline/cross:1")
    mc = R.find(rs, "ipc_floor/memcpy/bytes:65536")
    floors = []
    if cl is not None and not cl.error:
        floors.append("cache-line round trip between two CPUs p50 %s"
                      % R.fmt_ns(cl.counter("p50_ns") or cl.real_ns))
    if mc is not None and not mc.error:
        floors.append("memcpy of 64 KiB on one core %s"
                      % R.fmt_bytes_rate(mc.counter("bytes_per_second")))
    if floors:
        print()
        print("Floors in the same run: %s." % "; ".join(floors))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("Usage: doc_table.py RUNDIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])

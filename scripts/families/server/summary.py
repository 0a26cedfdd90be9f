#!/usr/bin/env python3
"""scripts/families/server/summary.py RUNDIR: the server section of summary.txt.

From RUNDIR/server.json (bench_server): for every mode, worker count and
number of loadgen connections, requests per second, p50 and p99 request
latency (medians of repetitions), and how evenly a pre-forked server spread
its connections over its workers (busiest / idlest worker; 1 = even).
Then computed answers: the mode with the most requests per second, and the
mode with the most uneven split.  Failures show as FAILED with their message."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402


def main(rundir):
    ctx, rs = R.load(os.path.join(rundir, "server.json"))
    rs = [r for r in rs if r.family == "server"]
    print("server: loopback servers under loadgen (%s requests a run; median of repetitions)"
          % ctx.get("server_requests_per_run", "?"))
    rows = []
    for r in rs:
        head = [r.variant, r.param("workers"), r.param("conns")]
        if r.error:
            rows.append(head + ["FAILED", "", "", ""])
            continue
        spread = r.counter("conns_max_over_min")
        rows.append(head + [R.fmt_rate(r.counter("items_per_second")),
                            R.fmt_ns(r.counter("p50_us") * 1e3), R.fmt_ns(r.counter("p99_us") * 1e3),
                            "-" if spread is None else
                            "%g/%g = %.2f" % (r.counter("conns_max"), r.counter("conns_min"), spread)
                            if spread else "%g/0" % r.counter("conns_max")])
    print(R.table(["mode", "workers", "conns", "requests/s", "p50", "p99",
                   "busiest/idlest worker (connections)"], rows))
    good = [r for r in rs if not r.error and r.counter("items_per_second")]
    if good:
        best = max(good, key=lambda r: r.counter("items_per_second"))
        print("  most requests per second: %s (workers:%s, conns:%s), %s"
              % (best.variant, best.param("workers"), best.param("conns"),
                 R.fmt_rate(best.counter("items_per_second"))))
    split = [r for r in good if r.counter("conns_max_over_min")]
    if split:
        worst = max(split, key=lambda r: r.counter("conns_max_over_min"))
        print("  most uneven split: %s (workers:%s, conns:%s), the busiest worker took %.2fx "
              "the connections of the idlest" % (worst.variant, worst.param("workers"),
                                                  worst.param("conns"),
                                                  worst.counter("conns_max_over_min")))
    for line in R.error_lines(rs):
        print("  " + line)


if __name__ == "__main__":
    R.run_with_rundir(main)

#!/usr/bin/env python3
"""scripts/families/ipc/summary.py RUNDIR: the ipc section of summary.txt.

Tables of medians from RUNDIR/ipc.json: round trip per mechanism and size
in both placements -- the headline is p50, the median of all round trips
(timed in batches when a round trip is under 20 us, so that no clock read
sits inside a trip), with the mean and p99 beside it and the multiple of the
cache-line floor --
throughput per mechanism and size (and as a fraction of one core's
memcpy), sizes not registered (above a mechanism's max_msg), failures,
then the answers, each computed from the JSON and marked PASS or CHECK:
  - our pipe 64 B round trip agrees within 25 % with the stand-alone
    ref_pipe_pingpong, same run, same placement
  - shm_spin cross-CPU round trip at least 5x faster than pipe cross-CPU
  - shm_spin 64 B cross-CPU p50 within 2x of the cache-line floor's p50
    (the floor: one line ping-ponged, timed in batches: the true floor);
    beside it, ipc_floor/line_each_way (the same counter with one line per
    direction, the least a duplex channel of two rings moves) over the
    floor, and shm_spin over that
  - latency and throughput in both placements for at least 16 mechanisms
CHECK is not a failure of the run: it says "look at this on your machine"."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402


def good(r):
    return r is not None and r.error is None and bool(r.real_ns)


def lat(r):
    """The headline round trip: p50 (median of all round trips), ns."""
    return r.counter("p50_ns") or r.real_ns


def mean(r):
    """The mean round trip (total time / round trips), ns."""
    return r.counter("mean_ns") or r.real_ns


def size_label(b):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= scale and b % scale == 0:
            return "%d %s" % (b // scale, unit)
    return "%d B" % b


def main():
    if len(sys.argv) != 2:
        print("Usage: summary.py RUNDIR", file=sys.stderr)
        sys.exit(2)
    run = sys.argv[1]
    ctx, rs = R.load(os.path.join(run, "ipc.json"))
    by = {r.name: r for r in rs}

    def get(name):
        r = by.get(name)
        return r if good(r) else None

    mechs = []
    for r in rs:
        if r.family in ("ipc_latency", "ipc_throughput") and r.variant not in mechs:
            mechs.append(r.variant)
    lat_sizes = sorted({r.param("bytes") for r in rs if r.family == "ipc_latency"})
    thr_sizes = sorted({r.param("bytes") for r in rs if r.family == "ipc_throughput"})
    floor = get("ipc_floor/cacheline/cross:1")
    print("IPC (%s suite): medians of repetitions; cross:0 = both processes on one CPU, "
          "cross:1 = two CPUs" % ctx.get("proclab_suite", "?"))
    each_way = get("ipc_floor/line_each_way/cross:1")
    if floor:
        print("Floors: cache-line round trip between two CPUs p50 %s, mean %s (batches of %d)"
              % (R.fmt_ns(lat(floor)), R.fmt_ns(mean(floor)), floor.counter("batch", 1)), end="")
        if each_way:
            print("; one line each way p50 %s" % R.fmt_ns(lat(each_way)), end="")
    mem = {b: get("ipc_floor/memcpy/bytes:%d" % b) for b in thr_sizes}
    mems = ["%s %s" % (size_label(b), R.fmt_bytes_rate(m.counter("bytes_per_second")))
            for b, m in mem.items() if m]
    print("; memcpy one core: " + ", ".join(mems) if mems else "")

    # Round trips
    headers = ["mechanism"]
    for b in lat_sizes:
        headers += ["%s same" % size_label(b), "%s cross" % size_label(b)]
    headers += ["mean 64 B cross", "p99 64 B cross", "x floor"]
    rows = []
    for m in mechs:
        row = [m]
        for b in lat_sizes:
            for c in (0, 1):
                r = get("ipc_latency/%s/bytes:%d/cross:%d" % (m, b, c))
                row.append(R.fmt_ns(lat(r)) if r else "-")
        r64 = get("ipc_latency/%s/bytes:64/cross:1" % m)
        row.append(R.fmt_ns(mean(r64)) if r64 else "-")
        row.append(R.fmt_ns(r64.counter("p99_ns")) if r64 else "-")
        row.append("%.1fx" % (lat(r64) / lat(floor)) if r64 and floor else "-")
        rows.append(row)
    print("\nRound trip (ping-pong): p50 = median of all round trips (timed in batches of "
          "about 20 us, no clock read inside a trip), per size, same and cross CPU; then the "
          "mean and p99 at 64 B cross; x floor = p50 / floor p50:")
    print(R.table(headers, rows))

    # Throughput
    headers = ["mechanism"]
    for b in thr_sizes:
        headers += ["%s same" % size_label(b), "%s cross" % size_label(b)]
    big = thr_sizes[-1] if thr_sizes else None
    headers += ["%s cross / memcpy" % size_label(big) if big else "/ memcpy", "dropped"]
    rows = []
    for m in mechs:
        row = [m]
        drops = 0
        for b in thr_sizes:
            for c in (0, 1):
                r = get("ipc_throughput/%s/bytes:%d/cross:%d" % (m, b, c))
                if r:
                    drops += r.counter("dropped", 0) or 0
                row.append(R.fmt_bytes_rate(r.counter("bytes_per_second")) if r else "-")
        rb = get("ipc_throughput/%s/bytes:%d/cross:1" % (m, big)) if big else None
        mb = mem.get(big)
        row.append(R.fmt_pct(rb.counter("bytes_per_second") / mb.counter("bytes_per_second"))
                   if rb and mb else "-")
        row.append("%d" % drops)
        rows.append(row)
    print("\nOne-way throughput (payload bytes received per second):")
    print(R.table(headers, rows))
    small = thr_sizes[0] if thr_sizes else None
    if small:
        rates = []
        for m in mechs:
            r = get("ipc_throughput/%s/bytes:%d/cross:1" % (m, small))
            if r:
                rates.append("%s %s" % (m, R.fmt_rate(r.counter("items_per_second"), " msg/s")))
        print("Messages per second at %s, cross: %s" % (size_label(small), "; ".join(rates)))

    skipped = ctx.get("ipc_skipped_sizes", "")
    if skipped and skipped != "none":
        print("\nNot registered (message larger than the mechanism's max_msg): " + skipped)
    errs = [r for r in rs if r.error]
    if errs:
        print("\nFailed benchmarks:")
        for r in errs:
            print("  %s: %s" % (r.name, r.error))
    noisy = [r.name for r in rs if r.noisy]
    if noisy:
        print("\nNoisy (cv > %d %% between repetitions): %d of %d benchmarks"
              % (int(R.NOISY_CV * 100), len(noisy), len(rs)))

    print("\nAnswers:")
    for c in (0, 1):
        ours = get("ipc_latency/pipe/bytes:64/cross:%d" % c)
        ref = get("ipc_ref/pipe_pingpong/bytes:64/cross:%d" % c)
        if ours and ref:
            x = mean(ours) / ref.real_ns
            print("  pipe 64 B cross:%d mean %s vs stand-alone ref_pipe_pingpong %s = %.2fx   %s "
                  "(expected within 25 %%: the harness adds nothing)"
                  % (c, R.fmt_ns(mean(ours)), R.fmt_ns(ref.real_ns), x,
                     R.verdict(abs(x - 1) <= 0.25)))
        else:
            print("  pipe 64 B cross:%d vs reference: missing   CHECK" % c)
    spin = get("ipc_latency/shm_spin/bytes:64/cross:1")
    pipe = get("ipc_latency/pipe/bytes:64/cross:1")
    if spin and pipe:
        x = lat(pipe) / lat(spin)
        print("  shm_spin 64 B cross p50 %s is %.1fx faster than pipe %s   %s (expected >= 5x: "
              "no system call, no wake-up)" % (R.fmt_ns(lat(spin)), x, R.fmt_ns(lat(pipe)),
                                               R.verdict(x >= 5)))
    else:
        print("  shm_spin vs pipe (64 B cross): missing   CHECK")
    if spin and floor:
        x = lat(spin) / lat(floor)
        print("  shm_spin 64 B cross p50 %s / true floor (one cache line ping-ponged) %s = %.2fx"
              "   %s (expected <= 2.0x)" % (R.fmt_ns(lat(spin)), R.fmt_ns(lat(floor)), x,
                                             R.verdict(x <= 2.0)))
        if each_way:
            # What the layout alone costs here: a duplex channel whose
            # directions write different lines cannot beat this one.
            print("  one line each way (ipc_floor/line_each_way, nothing else moved) %s = %.2fx the "
                  "floor; shm_spin 64 B = %.2fx that   (info: a channel with one line per "
                  "direction cannot be under the first ratio on this machine)"
                  % (R.fmt_ns(lat(each_way)), lat(each_way) / lat(floor),
                     lat(spin) / lat(each_way)))
    else:
        print("  shm_spin vs cache-line floor: missing   CHECK")
    full = []
    for m in mechs:
        if all(any(get("ipc_%s/%s/bytes:%d/cross:%d" % (kind, m, b, c)) for b in sizes)
               for kind, sizes in (("latency", lat_sizes), ("throughput", thr_sizes))
               for c in (0, 1)):
            full.append(m)
    print("  mechanisms with latency and throughput in both placements: %d of %d   %s "
          "(expected >= 16)" % (len(full), len(mechs), R.verdict(len(full) >= 16)))
    udp = [r for r in rs if r.family == "ipc_throughput" and r.variant == "udp" and good(r)]
    if udp:
        print("  udp drops (no flow control): " + ", ".join(
            "%s cross:%d dropped %d messages (%s of those sent)" % (
                size_label(r.param("bytes")), r.param("cross"), r.counter("dropped", 0),
                R.fmt_pct(r.counter("drop_ratio", 0))) for r in udp))


if __name__ == "__main__":
    main()

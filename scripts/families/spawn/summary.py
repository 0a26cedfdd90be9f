#!/usr/bin/env python3
"""scripts/families/spawn/summary.py RUNDIR: the spawn section of summary.txt.

A table of median time per spawn (mean of each repetition's spawns; the
spawns are timed from bench/tools/spawn_probe, a C process of that RSS) (one row per method, one column per parent
RSS), p99 and spawns per second at the largest RSS, then the answers this
benchmark exists to give, each computed from RUNDIR/spawn.json and marked
PASS or CHECK against what the theory predicts:
  - fork gets expensive as the parent grows   (fork 256 MiB / 0 MiB >= 3)
  - posix_spawn and vfork do not             (256 MiB / 0 MiB within 1.5x)
  - our fork timing adds nothing to fork      (the probe's fork loop /
                                               the stand-alone loop ref_fork
                                               within 0.9-1.1, timed side by
                                               side in spawn_ref's alternating
                                               batches (counter probe_over_ref):
                                               spawns are timed from a small C
                                               probe)
CHECK is not a failure of the run: it says "look at this on your machine"."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402


def get(rs, method, mib):
    r = R.find(rs, "spawn/%s/rss_mib:%d" % (method, mib))
    return r if r is not None and r.error is None and r.real_ns else None


def ratio(a, b):
    return a.real_ns / b.real_ns if a and b else None


def answers(rs):
    out = []
    f0, f256 = get(rs, "fork", 0), get(rs, "fork", 256)
    x = ratio(f256, f0)
    if x is not None:
        out.append("fork 256 MiB / 0 MiB = %.2fx   %s (expected >= 3x: fork copies the "
                   "page tables of every resident page)" % (x, R.verdict(x >= 3)))
    for m in ("posix_spawn", "vfork"):
        x = ratio(get(rs, m, 256), get(rs, m, 0))
        if x is not None:
            out.append("%s 256 MiB / 0 MiB = %.2fx   %s (expected within 1.5x: the child "
                       "shares the parent's memory until exec/exit)"
                       % (m, x, R.verdict(1 / 1.5 <= x <= 1.5)))
    sizes = sorted({r.param("rss_mib") for r in rs if r.family == "spawn"})
    big = sizes[-1] if sizes else None
    if big and big > 256:
        x = ratio(get(rs, "fork", big), f0)
        if x is not None:
            out.append("fork %d MiB / 0 MiB = %.2fx   (info)" % (big, x))
    ref = R.find(rs, "spawn_ref/fork_loop/rss_mib:0")
    if ref is not None and ref.error is None and ref.real_ns and f0:
        x = f0.real_ns / ref.real_ns
        paired = ref.counter("probe_over_ref")
        if paired:
            # The verdict rests on the side-by-side ratio: the two loops
            # alternate batch by batch, so a drift of the machine's speed
            # between repetitions (10 % and more on a VM) moves both.
            out.append("spawn/fork/rss_mib:0 / minimal fork loop (ref_fork), side by side in "
                       "alternating batches = %.2fx   %s (expected 0.9-1.1: timed from a C "
                       "process as small as the loop; as separate benchmarks: %s / %s = %.2fx)"
                       % (paired, R.verdict(0.9 <= paired <= 1.1), R.fmt_ns(f0.real_ns),
                          R.fmt_ns(ref.real_ns), x))
        else:
            out.append("spawn/fork/rss_mib:0 %s / minimal fork loop (ref_fork) %s = %.2fx   %s "
                       "(expected 0.9-1.1: timed from a C process as small as the loop)"
                       % (R.fmt_ns(f0.real_ns), R.fmt_ns(ref.real_ns), x,
                          R.verdict(0.9 <= x <= 1.1)))
    elif ref is not None and ref.error:
        out.append("reference loop failed: %s   CHECK" % ref.error)
    else:
        out.append("spawn/fork/rss_mib:0 / minimal fork loop: missing   CHECK")
    inproc = R.find(rs, "spawn_inproc/fork/rss_mib:0")
    if inproc is not None and inproc.error is None and inproc.real_ns and f0:
        out.append("fork timed inside bench_spawn (C++, Google Benchmark, hwloc mapped): %s = "
                   "%.2fx the small C probe   (info: a bigger process costs more to fork)"
                   % (R.fmt_ns(inproc.real_ns), inproc.real_ns / f0.real_ns))
    t0 = get(rs, "thread", 0)
    if t0 and f0:
        out.append("a process (fork, 0 MiB) costs %.0fx a thread (pthread_create+join)   (info)"
                   % (f0.real_ns / t0.real_ns))
    fs = get(rs, "forkserver", big) if big else None
    fb = get(rs, "fork", big) if big else None
    if fs and fb:
        out.append("at %d MiB, forkserver is %.1fx faster than fork   (info)"
                   % (big, fb.real_ns / fs.real_ns))
    return out


def main(rundir):
    path = os.path.join(rundir, "spawn.json")
    ctx, rs = R.load(path)
    spawn = [r for r in rs if r.family == "spawn"]
    methods = []
    for r in spawn:
        if r.variant not in methods:
            methods.append(r.variant)
    sizes = sorted({r.param("rss_mib") for r in spawn})
    reps = max((r.repetitions for r in rs), default=0)
    print("spawn: start a child that exits at once, and reap it (median of %d repetitions;"
          " p99 over every spawn; pinned to cpu %s)"
          % (reps, ctx.get("spawn_pinned_cpu", "?")))
    big = sizes[-1] if sizes else 0
    head = ["method"] + ["%d MiB" % s for s in sizes] + ["p99 @%d" % big, "spawns/s @%d" % big]
    rows = []
    for m in methods:
        row = [m]
        for s in sizes:
            r = R.find(spawn, "spawn/%s/rss_mib:%d" % (m, s))
            row.append("FAILED" if r is not None and r.error else
                       R.fmt_ns(r.real_ns) if r is not None else "-")
        r = R.find(spawn, "spawn/%s/rss_mib:%d" % (m, big))
        row.append(R.fmt_ns(r.counter("p99_ns")) if r else "-")
        row.append(R.fmt_rate(r.counter("items_per_second")) if r else "-")
        rows.append(row)
    for label, name in (("(ref_fork loop)", "spawn_ref/fork_loop/rss_mib:0"),
                        ("(fork in harness)", "spawn_inproc/fork/rss_mib:0")):
        ref = R.find(rs, name)
        if ref is not None:
            rows.append([label, "FAILED" if ref.error else R.fmt_ns(ref.real_ns)]
                        + ["" for _ in sizes[1:]] + ["", ""])
    print(R.table(head, rows))
    print()
    for line in answers(rs):
        print("  " + line)
    for line in R.error_lines(rs):
        print("  " + line)
    noisy = [r for r in rs if r.noisy]
    if noisy:
        print("  noisy (cv > %d %% between repetitions): %s"
              % (round(R.NOISY_CV * 100), ", ".join("%s/%s %s" % (
                  r.variant, r.params.get("rss_mib", ""), R.fmt_pct(r.cv)) for r in noisy)))


if __name__ == "__main__":
    R.run_with_rundir(main)

#!/usr/bin/env python3
"""scripts/answers.py RUNDIR: the answers that open summary.txt and the report.

Each answer is computed from the run's own JSON (through scripts/lib/
results.py), with its number, so that a reader who wants one fact finds it
first and can check it against the tables below it:

  - the lowest-latency IPC mechanism at 64 B, on one CPU and across two
    (by the median round trip, p50, of every round trip timed; the mean
    beside it), and the highest throughput at 1 MiB in each placement;
  - the cheapest way to start a process from a parent of each size the
    run measured (spawn/METHOD/rss_mib:R; a thread is not a process and is
    named apart);
  - the smallest pool and task grain where the pool's efficiency passes
    0.8 (pool.json, when the pool family ran);
  - how much Python's multiprocessing adds over the C pool on the same
    work (python.json beside pool.json, when both ran);
  - noise: the share of benchmarks whose repetitions agree within 5 %
    (coefficient of variation), and whether other processes used the CPUs
    during the run (machine.json: others_cpu_share, written by
    scripts/machine.py --after);
  - a 95 % (or the best the repetitions allow) distribution-free confidence
    interval of each headline median, from the order statistics of the
    repetitions' results.

--plot adds one ASCII plot (gnuplot's dumb terminal) of spawn time against
the parent's size, for readers on SSH.  A family missing from the run makes
its answer say so; nothing here fails for a partial run.

Usage: scripts/answers.py [--plot] RUNDIR
Exit: 0, 2 bad arguments or no such folder.
"""

import math
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import results as R  # noqa: E402

CV_OK = 0.05


def load_family(run, fam):
    path = os.path.join(run, fam + ".json")
    if not os.path.exists(path):
        return None
    try:
        return R.load(path)[1]
    except (OSError, ValueError):
        return None


def good(rs):
    return [r for r in rs or [] if r.error is None and r.real_ns]


def rep_values(r, counter=None):
    """The per-repetition values of a result: real time (ns) or a counter."""
    out = []
    for b in r.runs:
        if b.get("error_occurred"):
            continue
        if counter is None:
            out.append(R.to_ns(b["real_time"], b["time_unit"]))
        elif counter in b:
            out.append(float(b[counter]))
    return out


def median_ci(values):
    """(lo, hi, confidence) of the median from order statistics: the widest
    interval [x_(k), x_(n+1-k)] whose coverage is at least 95 %, else the
    full range with the coverage it has (n = 3: 75 %)."""
    xs = sorted(values)
    n = len(xs)
    if n < 2:
        return None

    def coverage(k):  # P(x_(k) <= median <= x_(n+1-k)), k 1-based
        return 1.0 - 2.0 * sum(math.comb(n, i) for i in range(k)) / 2.0 ** n

    k = 1
    while k + 1 <= n // 2 and coverage(k + 1) >= 0.95:
        k += 1
    return xs[k - 1], xs[n - k], coverage(k)


def fmt_ci(r, counter=None, fmt=R.fmt_ns):
    ci = median_ci(rep_values(r, counter))
    if not ci:
        return ""
    lo, hi, level = ci
    return " [%s..%s, %d%% CI over %d reps]" % (fmt(lo), fmt(hi), round(level * 100),
                                                len(rep_values(r, counter)))


def ipc_answers(rs):
    out = []
    if rs is None:
        return ["IPC: the ipc family is not in this run"]
    lat = [r for r in good(rs) if r.family == "ipc_latency" and r.param("bytes") == 64]
    for cross, where in ((0, "on one CPU"), (1, "across two CPUs")):
        cands = [r for r in lat if r.param("cross") == cross]
        if not cands:
            out.append("lowest latency at 64 B %s: not measured" % where)
            continue
        key = (lambda r: r.counter("p50_ns") if r.counter("p50_ns") is not None else r.real_ns)
        best = min(cands, key=key)
        out.append("lowest latency at 64 B %s: %s, %s round trip (p50; mean %s)%s"
                   % (where, best.variant, R.fmt_ns(key(best)),
                      R.fmt_ns(best.counter("mean_ns", best.real_ns)),
                      fmt_ci(best, "p50_ns" if best.counter("p50_ns") is not None else None)))
    thr = [r for r in good(rs) if r.family == "ipc_throughput" and r.param("bytes") == 1 << 20
           and r.counter("bytes_per_second")]
    for cross, where in ((0, "on one CPU"), (1, "across two CPUs")):
        cands = [r for r in thr if r.param("cross") == cross]
        if not cands:
            out.append("highest throughput at 1 MiB %s: not measured" % where)
            continue
        best = max(cands, key=lambda r: r.counter("bytes_per_second"))
        out.append("highest throughput at 1 MiB %s: %s, %s%s"
                   % (where, best.variant, R.fmt_bytes_rate(best.counter("bytes_per_second")),
                      fmt_ci(best, "bytes_per_second", R.fmt_bytes_rate)))
    return out


def spawn_answers(rs):
    if rs is None:
        return ["spawn: the spawn family is not in this run"]
    sp = [r for r in good(rs) if r.family == "spawn"]
    out = []
    for rss in sorted({r.param("rss_mib") for r in sp}):
        procs = [r for r in sp if r.param("rss_mib") == rss and r.variant != "thread"]
        if not procs:
            continue
        best = min(procs, key=lambda r: r.real_ns)
        fork = next((r for r in procs if r.variant == "fork"), None)
        extra = ""
        if fork is not None and fork is not best:
            extra = "; fork takes %s" % R.fmt_ratio(fork.real_ns / best.real_ns)
        thread = next((r for r in sp if r.param("rss_mib") == rss and r.variant == "thread"), None)
        if thread is not None:
            extra += "; a thread (not a process) %s" % R.fmt_ns(thread.real_ns)
        out.append("cheapest process start from a %d MiB parent: %s, %s%s%s"
                   % (rss, best.variant, R.fmt_ns(best.real_ns), fmt_ci(best), extra))
    return out or ["spawn: no spawn/METHOD/rss_mib:R result in this run"]


def pool_answers(pool, python):
    out = []
    if pool is None:
        out.append("pool: the pool family is not in this run")
    else:
        pr = [r for r in good(pool) if r.family == "pool" and r.counter("efficiency") is not None]
        passing = [r for r in pr if r.counter("efficiency") >= 0.8 and r.param("workers", 1) > 1]
        if passing:
            best = min(passing, key=lambda r: (r.param("grain_us", 0), -r.param("workers", 1)))
            out.append("pool efficiency passes 0.8 from grain %s us with %s workers (%s, chunk %s):"
                       " efficiency %.2f"
                       % (best.param("grain_us"), best.param("workers"), best.variant,
                          best.param("chunk"), best.counter("efficiency")))
        elif pr:
            top = max(pr, key=lambda r: r.counter("efficiency"))
            out.append("pool efficiency never passes 0.8 with more than one worker here"
                       " (best %.2f: %s)" % (top.counter("efficiency"), top.name))
        else:
            out.append("pool: no efficiency counter in pool.json")
    if python is not None and pool is not None:
        py = {r.name: r for r in good(python)}
        c = {(r.variant, r.param("workers"), r.param("grain_us"), r.param("chunk")): r
             for r in good(pool) if r.family == "pool"}
        pairs = []
        for name, r in py.items():
            over = r.counter("overhead_us_per_task")
            # The dispatch cost shows alone at grain 0 (no work), chunk 1.
            if over is None or r.param("chunk") != 1 or r.param("grain_us") != 0:
                continue
            cr = c.get(("shm", r.param("workers"), r.param("grain_us"), 1))
            if cr is not None and cr.counter("overhead_us_per_task"):
                pairs.append((r, cr, over / cr.counter("overhead_us_per_task")))
        if pairs:
            r, cr, ratio = min(pairs, key=lambda p: p[2])   # the kindest to Python
            out.append("Python adds: %s costs %.1f us a task beyond the work, the C shm pool"
                       " %.2f us: %.0fx" % (r.name, r.counter("overhead_us_per_task"),
                                            cr.counter("overhead_us_per_task"), ratio))
        else:
            out.append("Python vs C: no matching per-task overhead in python.json and pool.json")
    elif python is None:
        out.append("Python: the python probe is not in this run")
    return out


def noise_answers(run, families):
    out = []
    all_rs = [r for rs in families.values() for r in good(rs) if r.cv is not None]
    if all_rs:
        ok = sum(1 for r in all_rs if r.cv <= CV_OK)
        line = ("repetitions agree within 5 %% (CV) for %d of %d benchmarks (%.0f %%)"
                % (ok, len(all_rs), 100.0 * ok / len(all_rs)))
        # Where the noise lives: a cross-CPU message wakes the other CPU
        # (on a VM, an exit to the hypervisor); everything else runs on one.
        cross = [r for r in all_rs if r.param("cross") == 1]
        if cross:
            cross_ok = sum(1 for r in cross if r.cv <= CV_OK)
            line += ("; across two CPUs %d of %d, the rest %d of %d"
                     % (cross_ok, len(cross), ok - cross_ok, len(all_rs) - len(cross)))
        out.append(line)
    m = R.load_machine(run)
    share = m.get("others_cpu_share")
    if isinstance(share, (int, float)):
        verdict = ("BUSY: other processes used the CPUs during the run; numbers are disturbed"
                   if m.get("busy_machine") else "quiet")
        out.append("other processes used %.0f %% of the CPUs during the run: %s"
                   % (100.0 * share, verdict))
    else:
        out.append("load from other processes during the run: not recorded")
    speed = m.get("cpu_speed_cv")
    if isinstance(speed, (int, float)):
        if m.get("noisy_host"):
            verdict = ("NOISY HOST: the CPUs themselves ran slower at times (a neighbour on the "
                       "host, not visible in this machine's load); benchmarks cannot be expected "
                       "to repeat within 5 %")
        else:
            verdict = "steady"
        out.append("the CPUs' own speed (a fixed loop timed %s times at %s points of the run, "
                   "cpu_steady) varied %.1f %% (CV): %s"
                   % (m.get("cpu_speed_timings", "?"), m.get("cpu_speed_points", "?"),
                      100.0 * speed, verdict))
    if m.get("timer_ns") is not None:
        out.append("one timer read costs %s here (machine.json timer_ns); hypervisor: %s"
                   % (R.fmt_ns(m["timer_ns"]), m.get("hypervisor", "?")))
    return out


def ascii_plot(spawn):
    """Spawn time against parent size per method, gnuplot's dumb terminal."""
    if spawn is None or not shutil.which("gnuplot"):
        return []
    sp = [r for r in good(spawn) if r.family == "spawn"]
    methods = []
    for r in sp:
        if r.variant not in methods:
            methods.append(r.variant)
    blocks = []
    for m in methods:
        pts = sorted((r.param("rss_mib"), r.real_ns / 1e3) for r in sp if r.variant == m)
        if len(pts) >= 2:
            blocks.append((m, pts))
    if not blocks:
        return []
    data = "\n\n\n".join("\n".join("%g %g" % (max(x, 0.5), y) for x, y in pts)
                         for _, pts in blocks)
    plots = ", ".join("'-' using 1:2 with linespoints title '%s'" % m for m, _ in blocks)
    script = "\n".join([
        "set terminal dumb size 79,24", "set logscale xy", "set key outside right",
        "set xlabel 'parent RSS (MiB; 0 drawn at 0.5)'", "set ylabel 'us'",
        "set title 'spawn: time to start and reap one process'",
        "plot " + plots,
    ] + ["\n".join("%g %g" % (max(x, 0.5), y) for x, y in pts) + "\ne" for _, pts in blocks])
    del data
    try:
        res = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if res.returncode != 0:
        return []
    return [line.rstrip() for line in res.stdout.splitlines() if line.strip()]


def main():
    args = sys.argv[1:]
    plot = False
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if args and args[0] == "--plot":
        plot = True
        args = args[1:]
    if len(args) != 1 or args[0].startswith("-"):
        print("Usage: scripts/answers.py [--plot] RUNDIR", file=sys.stderr)
        return 2
    run = args[0]
    if not os.path.isdir(run):
        print("answers.py: no run folder '%s'" % run, file=sys.stderr)
        return 2
    fams = {}
    for f in sorted(os.listdir(run)):
        if f.endswith(".json") and f != "machine.json":
            rs = load_family(run, f[:-5])
            if rs is not None:
                fams[f[:-5]] = rs
    lines = ["Answers (computed from this run; the tables below hold the detail):"]
    body = (ipc_answers(fams.get("ipc")) + spawn_answers(fams.get("spawn"))
            + pool_answers(fams.get("pool"), fams.get("python")) + noise_answers(run, fams))
    lines += ["  - " + b for b in body]
    if plot:
        lines += [""] + ascii_plot(fams.get("spawn"))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""scripts/compare.py: compare two benchmark runs, benchmark by benchmark.

Usage: scripts/compare.py [--out DIR] [--alpha P] A B
       scripts/compare.py --help

A and B are run folders (results/HOST-STAMP, results/reference/NAME) or
archives made by `make share` (.tar.gz).  For every family JSON both runs
hold, and every benchmark both ran without error, it prints

  - the headline time of each (the median over repetitions, as every
    proclab report uses) and the ratio B/A: above 1.00x B took longer;
  - a two-sided Mann-Whitney U test over the per-repetition times when
    each side has at least 2 repetitions (the test Google Benchmark's
    compare.py uses), with its p-value, and "same" / "B faster" /
    "B slower" at level alpha (default 0.05).  With few repetitions the
    smallest reachable p-value is large (3 and 3: 0.10), and the verdict
    says "too few reps" rather than claiming anything;
  - the two machine.json side by side, so the reader sees what differs.

With --out DIR it also writes DIR/compare.txt (the same text),
DIR/compare.csv (one row per benchmark) and, when gnuplot is installed,
DIR/FAMILY_overlay.png/.svg: both runs' times per benchmark on one log
axis, ordered by A's time.  `make compare A=... B=...` writes DIR as
results/compare-<A>-vs-<B>.

Exit: 0 compared, 1 nothing in common, 2 bad arguments (a missing run,
an archive that is not a run).  Standard library only.
"""

import argparse
import csv
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import results  # noqa: E402

NOT_FAMILIES = {"machine.json"}


def fail_usage(msg):
    print("compare.py: %s" % msg, file=sys.stderr)
    print("Usage: scripts/compare.py [--out DIR] [--alpha P] A B", file=sys.stderr)
    sys.exit(2)


def open_run(path, tmp):
    """A run folder for path: the folder itself, or an archive unpacked into tmp."""
    if os.path.isdir(path):
        if not os.path.exists(os.path.join(path, "machine.json")) and not family_files(path):
            fail_usage("%s is a folder but not a benchmark run (no machine.json, no FAMILY.json)" % path)
        return path
    if not os.path.exists(path):
        fail_usage("%s: no such run folder or archive" % path)
    if not tarfile.is_tarfile(path):
        fail_usage("%s is neither a run folder nor a .tar.gz made by make share" % path)
    dest = tempfile.mkdtemp(dir=tmp)
    with tarfile.open(path) as tar:
        for m in tar.getmembers():
            # Only plain files and folders inside the archive's own tree.
            if m.name.startswith("/") or ".." in m.name.split("/") or not (m.isfile() or m.isdir()):
                fail_usage("%s: unsafe member %r in archive" % (path, m.name))
        tar.extractall(dest)
    tops = [os.path.join(dest, d) for d in os.listdir(dest)]
    run = tops[0] if len(tops) == 1 and os.path.isdir(tops[0]) else dest
    if not family_files(run):
        fail_usage("%s: the archive holds no FAMILY.json" % path)
    return run


def family_files(run):
    """{family: path} of the Google Benchmark JSON files of a run folder."""
    out = {}
    for f in sorted(os.listdir(run)):
        if f.endswith(".json") and f not in NOT_FAMILIES:
            out[f[:-5]] = os.path.join(run, f)
    return out


def rep_times(r):
    """Per-repetition real times (ns) of a Result, errors left out."""
    return [results.to_ns(b["real_time"], b["time_unit"])
            for b in r.runs if not b.get("error_occurred")]


def mann_whitney_p(a, b):
    """Two-sided p-value of the Mann-Whitney U test of samples a and b.

    Exact (every assignment of ranks enumerated) when there are at most
    20 values in all, else the normal approximation with tie correction."""
    n1, n2 = len(a), len(b)
    pooled = sorted((v, i) for i, v in enumerate(a + b))
    ranks = [0.0] * (n1 + n2)
    i = 0
    while i < len(pooled):          # average ranks over ties
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[pooled[k][1]] = (i + j) / 2.0 + 1
        i = j + 1
    r1 = sum(ranks[:n1])
    u1 = r1 - n1 * (n1 + 1) / 2.0
    mean_u = n1 * n2 / 2.0
    if n1 + n2 <= 20:
        observed = abs(u1 - mean_u)
        extreme = total = 0
        for combo in itertools.combinations(range(n1 + n2), n1):
            u = sum(ranks[k] for k in combo) - n1 * (n1 + 1) / 2.0
            total += 1
            if abs(u - mean_u) >= observed - 1e-9:
                extreme += 1
        return extreme / total
    ties = {}
    for v, _ in pooled:
        ties[v] = ties.get(v, 0) + 1
    n = n1 + n2
    var = n1 * n2 / 12.0 * ((n + 1) - sum(t ** 3 - t for t in ties.values()) / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (abs(u1 - mean_u) - 0.5) / math.sqrt(var)
    return math.erfc(max(z, 0.0) / math.sqrt(2))


def min_p(n1, n2):
    """The smallest two-sided p-value the exact test can give with n1, n2."""
    return 2.0 / math.comb(n1 + n2, n1)


def compare_family(fam, path_a, path_b, alpha):
    _, ra = results.load(path_a)
    _, rb = results.load(path_b)
    by_b = {r.name: r for r in rb}
    rows = []
    for a in ra:
        b = by_b.get(a.name)
        if b is None or a.error or b.error or not a.real_ns or not b.real_ns:
            continue
        ratio = b.real_ns / a.real_ns
        ta, tb = rep_times(a), rep_times(b)
        if len(ta) >= 2 and len(tb) >= 2:
            p = mann_whitney_p(ta, tb)
            if len(ta) + len(tb) <= 20 and min_p(len(ta), len(tb)) > alpha:
                verdict = "too few reps"
            elif p < alpha:
                verdict = "B slower" if ratio > 1 else "B faster"
            else:
                verdict = "same"
        else:
            p, verdict = None, "one rep"
        rows.append({"family": fam, "benchmark": a.name, "a_ns": a.real_ns,
                     "b_ns": b.real_ns, "ratio": ratio, "p": p, "verdict": verdict,
                     "reps": "%d/%d" % (len(ta), len(tb))})
    only_a = sorted(r.name for r in ra if r.name not in by_b)
    only_b = sorted(set(by_b) - {r.name for r in ra})
    return rows, only_a, only_b


MACHINE_KEYS = [
    ("cpu_model", "CPU"), ("cpus_online", "CPUs online"),
    ("physical_cores", "physical cores"), ("memory_mib", "memory (MiB)"),
    ("kernel", "kernel"), ("hypervisor", "hypervisor"),
    ("timer_ns", "timer cost (ns)"), ("cpu_mhz", "CPU MHz"),
    ("load_before", "load before"), ("load_after", "load after"),
    ("compiler", "compiler"), ("proclab_commit", "proclab commit"),
    ("date_utc", "date"),
]


def machine_table(ma, mb):
    rows = []
    for key, label in MACHINE_KEYS:
        va, vb = ma.get(key, "-"), mb.get(key, "-")
        if isinstance(va, (dict, list)):
            va = json.dumps(va)
        if isinstance(vb, (dict, list)):
            vb = json.dumps(vb)
        rows.append([label, str(va), str(vb), "" if va == vb else "differs"])
    return results.table(["machine", "A", "B", ""], rows, right=set())


def overlay_plot(fam, rows, outdir, name_a, name_b):
    """FAMILY_overlay.png/.svg: both runs' times, benchmarks ordered by A."""
    if not shutil.which("gnuplot") or not rows:
        return []
    data = os.path.join(outdir, "%s_overlay.dat" % fam)
    rows = sorted(rows, key=lambda r: r["a_ns"])
    with open(data, "w") as f:
        for i, r in enumerate(rows):
            f.write("%d %g %g\n" % (i, r["a_ns"], r["b_ns"]))
        f.write("\n\n")                        # second block: ratios, sorted
        for i, x in enumerate(sorted(r["ratio"] for r in rows)):
            f.write("%d %g\n" % (i, x))
    made = []
    for ext, term in (("png", "pngcairo size 1000,800" if _has_cairo() else "png size 1000,800"),
                      ("svg", "svg size 1000,800 dynamic")):
        out = os.path.join(outdir, "%s_overlay.%s" % (fam, ext))
        script = "\n".join([
            "set terminal %s" % term,
            "set output '%s'" % out,
            "set multiplot layout 2,1",
            "set title '%s: time per benchmark, A and B (ordered by A)' noenhanced" % fam,
            "set logscale y", "set ylabel 'median time per iteration (ns)'",
            "set xlabel 'benchmark (%d shared, ordered by A)'" % len(rows),
            "set key top left noenhanced", "set grid ytics",
            "plot '%s' index 0 using 1:2 with points pt 7 ps 0.6 title 'A: %s', \\" % (data, name_a),
            "     '' index 0 using 1:3 with points pt 6 ps 0.8 title 'B: %s'" % name_b,
            "set title 'B / A per benchmark, sorted (above 1: B took longer)'",
            "set ylabel 'B / A'", "set xlabel 'benchmark (sorted by ratio)'",
            "plot '%s' index 1 using 1:2 with points pt 7 ps 0.6 notitle, 1 with lines dt 2 notitle" % data,
            "unset multiplot",
        ])
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        made.append(out)
    os.unlink(data)
    return made


def _has_cairo():
    try:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        return "pngcairo" in out.stdout + out.stderr
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("a", nargs="?")
    ap.add_argument("b", nargs="?")
    ap.add_argument("--out")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("-h", "--help", action="store_true")
    try:
        args = ap.parse_args()
    except SystemExit:
        fail_usage("bad arguments")
    if args.help:
        print(__doc__.strip())
        return 0
    if not args.a or not args.b:
        fail_usage("two runs are needed (A and B)")
    if not 0 < args.alpha < 1:
        fail_usage("--alpha must be between 0 and 1")
    tmp = tempfile.mkdtemp(prefix="proclab-compare-")
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp):
    run_a, run_b = open_run(args.a, tmp), open_run(args.b, tmp)
    fa, fb = family_files(run_a), family_files(run_b)
    name_a = os.path.basename(os.path.normpath(args.a))
    name_b = os.path.basename(os.path.normpath(args.b))
    out = ["A: %s" % args.a, "B: %s" % args.b,
           "ratio = B / A of the median time per iteration (above 1.00x: B took longer);",
           "test: two-sided Mann-Whitney U over the repetitions, alpha %g" % args.alpha, ""]
    ma, mb = results.load_machine(run_a), results.load_machine(run_b)
    out += [machine_table(ma, mb), ""]
    all_rows = []
    for fam in sorted(set(fa) & set(fb)):
        rows, only_a, only_b = compare_family(fam, fa[fam], fb[fam], args.alpha)
        all_rows += rows
        out.append("== %s: %d benchmarks in both" % (fam, len(rows)))
        if rows:
            ratios = [r["ratio"] for r in rows]
            gmean = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            table = [[r["benchmark"], results.fmt_ns(r["a_ns"]), results.fmt_ns(r["b_ns"]),
                      results.fmt_ratio(r["ratio"]),
                      "-" if r["p"] is None else "%.3f" % r["p"], r["reps"], r["verdict"]]
                     for r in rows]
            out.append(results.table(["benchmark", "A", "B", "B/A", "p", "reps", "verdict"], table))
            counts = {}
            for r in rows:
                counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
            out.append("geometric mean B/A %s; %s" % (
                results.fmt_ratio(gmean),
                ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        if only_a:
            out.append("only in A (%d): %s" % (len(only_a), " ".join(only_a[:10]) +
                                               (" ..." if len(only_a) > 10 else "")))
        if only_b:
            out.append("only in B (%d): %s" % (len(only_b), " ".join(only_b[:10]) +
                                               (" ..." if len(only_b) > 10 else "")))
        out.append("")
    for fam in sorted(set(fa) ^ set(fb)):
        out.append("family %s only in %s" % (fam, "A" if fam in fa else "B"))
    text = "\n".join(out).rstrip() + "\n"
    sys.stdout.write(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "compare.txt"), "w") as f:
            f.write(text)
        with open(os.path.join(args.out, "compare.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["family", "benchmark", "a_ns", "b_ns", "ratio", "p", "reps", "verdict"])
            for r in all_rows:
                w.writerow([r["family"], r["benchmark"], "%.6g" % r["a_ns"], "%.6g" % r["b_ns"],
                            "%.6g" % r["ratio"], "" if r["p"] is None else "%.4g" % r["p"],
                            r["reps"], r["verdict"]])
        plots = []
        for fam in sorted(set(fa) & set(fb)):
            plots += overlay_plot(fam, [r for r in all_rows if r["family"] == fam],
                                  args.out, name_a, name_b)
        print("written: %s (compare.txt, compare.csv, %d plots)" % (args.out, len(plots)))
    if not all_rows:
        print("compare.py: the two runs share no benchmark", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

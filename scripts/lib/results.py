#!/usr/bin/env python3
"""scripts/lib/results.py: read a Google Benchmark JSON the proclab way.

Every report script (scripts/families/FAMILY/summary.py, plot.sh helpers,
scripts/report.sh) goes through this module, so names, units and "which
number is the result" are decided in one place:

  - a benchmark name is FAMILY/VARIANT/key:value/key:value[/real_time];
    split_name() gives family, variant and an ordered dict of params, and
    strips Google Benchmark's own suffixes (/real_time, /manual_time,
    /min_time:..., /repeats:..., /iterations:..., /threads:...);
  - the result of a benchmark is its "median" aggregate when it ran with
    repetitions, else its single run; load() returns one Result per
    benchmark in the order they ran, failed ones included (never dropped);
  - every time is converted to nanoseconds;
  - fmt_*() and table() format numbers with their units.

Standard library only.  Run it as a script for a generic table:
    python3 scripts/lib/results.py RUNDIR/FAMILY.json
"""

import csv
import json
import math
import os
import statistics
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Name segments Google Benchmark adds by itself; not part of our params.
GBENCH_SUFFIXES = ("real_time", "manual_time", "process_time")
GBENCH_KEYS = ("min_time", "min_warmup_time", "repeats", "iterations", "threads")

# Fields of a JSON run entry that are not user counters.
RUN_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time",
    "cpu_time", "time_unit", "aggregate_name", "aggregate_unit",
    "error_occurred", "error_message", "label", "big_o", "rms",
    "complexity_n",
}

# Above this coefficient of variation between repetitions, say it is noisy.
NOISY_CV = 0.05


def to_ns(value, unit):
    """A time in Google Benchmark's time_unit, in nanoseconds."""
    return float(value) * UNIT_NS[unit]


def split_name(name):
    """'spawn/fork/rss_mib:256/real_time' -> ('spawn', 'fork', {'rss_mib': '256'}).

    Segments without ':' after the variant are joined onto the variant
    ('ipc/pipe/lat' -> variant 'pipe/lat').  Param values stay strings;
    num() turns one into a number."""
    parts = [p for p in name.split("/") if p]
    family = parts[0] if parts else ""
    variant = []
    params = {}
    for p in parts[1:]:
        if p in GBENCH_SUFFIXES:
            continue
        if ":" in p:
            k, v = p.split(":", 1)
            if k in GBENCH_KEYS:
                continue
            params[k] = v
        elif not params:
            variant.append(p)
        else:
            variant.append(p)  # unusual, but never lose a segment
    return family, "/".join(variant), params


def base_name(name):
    """The stable name without Google Benchmark's suffixes."""
    family, variant, params = split_name(name)
    segs = [family] + ([variant] if variant else [])
    segs += ["%s:%s" % kv for kv in params.items()]
    return "/".join(segs)


def num(text):
    """'256' -> 256, '0.5' -> 0.5, anything else unchanged."""
    try:
        return int(text)
    except (TypeError, ValueError):
        try:
            return float(text)
        except (TypeError, ValueError):
            return text


class Result:
    """One benchmark (one name), summarised over its repetitions.

    real_ns, cpu_ns   median real / CPU time per iteration, ns
    counters          median of each counter (items_per_second, p99_ns ...)
    cv                coefficient of variation of the headline between
                      repetitions (0.05 = 5 %), None with one repetition:
                      real time, or p50 for round trips timed in batches
    cv_mean           the same of real time (the mean), always
    repetitions       how many repetitions ran
    iterations        iterations of the median aggregate (or the single run)
    error             error message of a failed run, else None
    """

    def __init__(self, name):
        self.name = base_name(name)
        self.full_name = name
        self.family, self.variant, self.params = split_name(name)
        self.real_ns = None
        self.cpu_ns = None
        self.counters = {}
        self.cv = None
        self.cv_mean = None
        self.repetitions = 0
        self.iterations = 0
        self.error = None
        self.runs = []  # every "iteration" entry, as in the JSON

    def param(self, key, default=None):
        return num(self.params.get(key, default))

    def counter(self, key, default=None):
        return self.counters.get(key, default)

    @property
    def noisy(self):
        return self.cv is not None and self.cv > NOISY_CV

    def __repr__(self):
        return "Result(%s, real_ns=%r, cv=%r, error=%r)" % (
            self.name, self.real_ns, self.cv, self.error)


def _counters(entry):
    return {k: v for k, v in entry.items()
            if k not in RUN_FIELDS and isinstance(v, (int, float))}


def load_json(path):
    with open(path) as f:
        return json.load(f)


def run_with_rundir(main):
    """The entry point of a family's summary.py RUNDIR: main(RUNDIR), or the
    usage on stderr and exit 2 without exactly one argument."""
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("Usage: %s RUNDIR" % os.path.basename(sys.argv[0]), file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])


def write_json(path, doc):
    """Replace path with doc as indented JSON, atomically (a reader never
    sees half a file: written beside it, then renamed over it)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def results(doc):
    """Results of a loaded Google Benchmark JSON document, in run order."""
    by_run = {}
    order = []
    aggs = {}
    for b in doc.get("benchmarks", []):
        run = b.get("run_name", b["name"])
        if run not in by_run:
            by_run[run] = Result(run)
            order.append(run)
        r = by_run[run]
        if b.get("error_occurred"):
            r.error = b.get("error_message") or "error"
        if b.get("run_type") == "aggregate":
            aggs.setdefault(run, {})[b.get("aggregate_name")] = b
        else:
            r.runs.append(b)
    out = []
    for run in order:
        r = by_run[run]
        a = aggs.get(run, {})
        good = [b for b in r.runs if not b.get("error_occurred")]
        r.repetitions = len(r.runs) or (a["median"].get("repetitions", 0)
                                        if "median" in a else 0)
        if "median" in a:
            m = a["median"]
            r.real_ns = to_ns(m["real_time"], m["time_unit"])
            r.cpu_ns = to_ns(m["cpu_time"], m["time_unit"])
            r.counters = _counters(m)
            r.iterations = m.get("iterations", 0)
        elif good:
            r.real_ns = statistics.median(to_ns(b["real_time"], b["time_unit"]) for b in good)
            r.cpu_ns = statistics.median(to_ns(b["cpu_time"], b["time_unit"]) for b in good)
            keys = set().union(*(_counters(b).keys() for b in good))
            r.counters = {k: statistics.median(b[k] for b in good if k in b) for k in keys}
            r.iterations = good[len(good) // 2].get("iterations", 0)
        if "cv" in a:
            r.cv = float(a["cv"]["real_time"])
        elif len(good) >= 2:
            times = [to_ns(b["real_time"], b["time_unit"]) for b in good]
            mean = statistics.mean(times)
            r.cv = statistics.stdev(times) / mean if mean else 0.0
        # A round trip timed in batches (counter "batch", bench_ipc) has p50
        # as its headline: its CV is the CV of p50 between repetitions (the
        # mean's stays in cv_mean).
        r.cv_mean = r.cv
        if "batch" in r.counters:
            p50s = [b["p50_ns"] for b in good if b.get("p50_ns")]
            if "cv" in a and isinstance(a["cv"].get("p50_ns"), (int, float)):
                r.cv = float(a["cv"]["p50_ns"])
            elif len(p50s) >= 2:
                m = statistics.mean(p50s)
                r.cv = statistics.stdev(p50s) / m if m else 0.0
        out.append(r)
    return out


def load(path):
    """(context dict, [Result]) of a Google Benchmark JSON file."""
    doc = load_json(path)
    return doc.get("context", {}), results(doc)


def find(results_list, name):
    """The Result with this stable name (suffixes ignored), or None."""
    want = base_name(name)
    for r in results_list:
        if r.name == want:
            return r
    return None


def load_machine(rundir):
    """machine.json of a run folder as a dict ({} when absent)."""
    path = os.path.join(rundir, "machine.json")
    if not os.path.exists(path):
        return {}
    return load_json(path)


# ---------------------------------------------------------------- formatting

def fmt_ns(ns, digits=3):
    """A duration with a unit that keeps 3 significant digits: '812 ns', '1.23 ms'."""
    if ns is None or (isinstance(ns, float) and math.isnan(ns)):
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(ns) >= scale:
            return "%s %s" % (_sig(ns / scale, digits), unit)
    return "%s ns" % _sig(ns, digits)


def fmt_rate(per_s, unit="/s", digits=3):
    """A rate: '12.3 k/s', '4.56 M/s'."""
    if per_s is None:
        return "-"
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(per_s) >= scale:
            return "%s %s%s" % (_sig(per_s / scale, digits), prefix, unit)
    return "%s %s" % (_sig(per_s, digits), unit)


def fmt_bytes_rate(per_s, digits=3):
    """Bytes per second in binary units: '1.23 GiB/s'."""
    if per_s is None:
        return "-"
    for prefix, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if abs(per_s) >= scale:
            return "%s %s/s" % (_sig(per_s / scale, digits), prefix)
    return "%s B/s" % _sig(per_s, digits)


def fmt_pct(fraction):
    return "-" if fraction is None else "%.1f %%" % (100.0 * fraction)


def fmt_ratio(x):
    return "-" if x is None else "%.2fx" % x


def _sig(x, digits):
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return "%.*f" % (decimals, x)


def table(headers, rows, right=None):
    """A plain-text table.  right: set of column indexes to right-align
    (default: every column but the first)."""
    rows = [["" if c is None else str(c) for c in row] for row in rows]
    if right is None:
        right = set(range(1, len(headers)))
    widths = [len(h) for h in headers]
    for row in rows:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def write_csv(path, headers, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        for row in rows:
            w.writerow(row)


def noise_warnings(results_list, threshold=NOISY_CV):
    """One line per benchmark whose repetitions disagree by more than threshold."""
    return ["noisy: %s varies %s between repetitions" % (r.name, fmt_pct(r.cv))
            for r in results_list if r.cv is not None and r.cv > threshold]


def error_lines(results_list):
    return ["FAILED: %s: %s" % (r.name, r.error) for r in results_list if r.error]


def verdict(ok):
    """The word summary scripts print next to a computed answer."""
    return "PASS" if ok else "CHECK"


def generic_summary(path):
    """A table of every benchmark in a JSON file (for families with no summary.py)."""
    ctx, rs = load(path)
    rows = []
    for r in rs:
        rows.append([r.name, fmt_ns(r.real_ns), fmt_ns(r.counter("p99_ns")),
                     fmt_rate(r.counter("items_per_second")), fmt_pct(r.cv),
                     r.error or ""])
    out = [table(["benchmark", "median", "p99", "items/s", "cv", "error"], rows)]
    noisy = [r for r in rs if r.noisy]
    if noisy:
        out.append("noisy (cv > %d %% between repetitions): %s" % (
            round(NOISY_CV * 100), ", ".join(r.name for r in noisy)))
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print("Usage: results.py FAMILY.json")
        sys.exit(0 if len(sys.argv) == 2 else 2)
    print(generic_summary(sys.argv[1]))

#!/usr/bin/env python3
"""scripts/report_html.py RUNDIR: RUNDIR/report.html from what report.sh made.

One page a person can open in a browser: the machine (from machine.json),
then for each family its plots (the SVG files, PNG as fallback) and its
section of the summary, exactly as summary.txt has it.  It reads the run
folder only; nothing is measured or edited.  Images are referenced by
relative path, so the folder can be copied or served as it is.

When the page has loaded, a small script counts the images that really
rendered and writes the count to <body data-images-loaded="N">, so a test
in a headless browser can tell a page that shows its plots from one that
does not."""

import html
import json
import os
import re
import sys

FAMILY_ORDER = ("spawn", "ipc", "sync")
TITLES = {"spawn": "Starting a process", "ipc": "IPC latency and throughput",
          "sync": "Lock contention"}
STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; }
table.machine td { padding: .1em .8em .1em 0; vertical-align: top; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
.warn { background: #fff3cd; padding: .5em 1em; border: 1px solid #e0c060; }
"""
ONLOAD = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('figure img'), ok = 0;
  for (var i = 0; i < imgs.length; i++)
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  document.body.setAttribute('data-images-loaded', String(ok));
  document.body.setAttribute('data-images-total', String(imgs.length));
});
"""


def families(rundir):
    found = [f[:-5] for f in sorted(os.listdir(rundir))
             if f.endswith(".json") and f != "machine.json"
             and not f.endswith("_pairs.json")]          # part of its family
    return [f for f in FAMILY_ORDER if f in found] + [f for f in found if f not in FAMILY_ORDER]


def summary_sections(rundir, fams):
    """Split summary.txt into its header and one block per family: a block
    starts at a line that begins with the family's name (as every
    summary.py and the generic table do) and runs to the next one."""
    path = os.path.join(rundir, "summary.txt")
    if not os.path.exists(path):
        return "", {}
    text = open(path).read().split("\n")
    starts = []
    for i, line in enumerate(text):
        for f in fams:
            if re.match(r"^%s\b" % re.escape(f), line, re.IGNORECASE) and \
                    not any(s[1] == f for s in starts):
                starts.append((i, f))
    starts.sort()
    header = "\n".join(text[:starts[0][0]] if starts else text).strip()
    blocks = {}
    for n, (i, f) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(text)
        blocks[f] = "\n".join(text[i:end]).strip()
    return header, blocks


def machine_rows(rundir):
    try:
        m = json.load(open(os.path.join(rundir, "machine.json")))
    except (OSError, ValueError):
        return []
    caches = ", ".join("L%s %s %s" % (c.get("level"), c.get("type", "").lower(), c.get("size"))
                       for c in m.get("caches", []))
    virt = m.get("virtualisation", {})
    if isinstance(virt, dict):
        virt = ", ".join("%s: %s" % kv for kv in virt.items())
    rows = [("host", m.get("hostname")), ("date (UTC)", m.get("date_utc")),
            ("CPU", m.get("cpu_model")),
            ("CPUs", "%s online, %s allowed, %s cores, %s threads per core" % (
                m.get("cpus_online"), m.get("cpus_allowed"), m.get("physical_cores"),
                m.get("threads_per_core"))),
            ("caches", caches), ("memory", "%s MiB" % m.get("memory_mib")),
            ("kernel", m.get("kernel")), ("virtualisation", virt),
            ("governor", m.get("governor")), ("THP", m.get("thp_enabled")),
            ("compiler", m.get("compiler")), ("Google Benchmark", m.get("google_benchmark")),
            ("proclab", m.get("proclab_commit"))]
    return [(k, v) for k, v in rows if v not in (None, "")]


def page(rundir):
    fams = families(rundir)
    header, blocks = summary_sections(rundir, fams)
    name = os.path.basename(os.path.realpath(rundir))   # results/latest -> its folder
    out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
           "<title>proclab report: %s</title>" % html.escape(name),
           "<style>%s</style>" % STYLE, "<script>%s</script>" % ONLOAD,
           "</head><body>", "<h1>proclab benchmark report: %s</h1>" % html.escape(name)]
    for marker in ("INCOMPLETE", "FAILED"):
        p = os.path.join(rundir, marker)
        if os.path.exists(p):
            out.append("<p class='warn'>%s</p>" % html.escape(open(p).read().strip()))
    rows = machine_rows(rundir)
    if rows:
        out.append("<h2>Machine</h2><table class='machine'>")
        out += ["<tr><td>%s</td><td>%s</td></tr>" % (html.escape(k), html.escape(str(v)))
                for k, v in rows]
        out.append("</table>")
    if header:
        out.append("<pre>%s</pre>" % html.escape(header))
    out.append("<p>Full description: <a href='machine.json'>machine.json</a>; "
               "exact commands: <a href='command.txt'>command.txt</a>; plain text: "
               "<a href='summary.txt'>summary.txt</a>.</p>")
    plots = os.path.join(rundir, "plots")
    for f in fams:
        out.append("<h2 id='%s'>%s <small>(%s.json)</small></h2>" % (
            html.escape(f), html.escape(TITLES.get(f, f)), html.escape(f)))
        pngs = sorted(p for p in os.listdir(plots)
                      if p.startswith(f + "_") and p.endswith(".png")) if os.path.isdir(plots) else []
        for png in pngs:
            stem = png[:-4]
            src = "plots/%s.svg" % stem if os.path.exists(os.path.join(plots, stem + ".svg")) \
                else "plots/" + png
            out.append("<figure><img src='%s' alt='%s'><figcaption>%s "
                       "(<a href='plots/%s'>PNG</a>)</figcaption></figure>" % (
                           html.escape(src), html.escape(stem), html.escape(stem),
                           html.escape(png)))
        out.append("<pre>%s</pre>" % html.escape(blocks.get(f, "(no summary for %s)" % f)))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("Usage: report_html.py RUNDIR", file=sys.stderr)
        sys.exit(2)
    rundir = sys.argv[1]
    if not os.path.isdir(rundir):
        print("report_html.py: no run folder '%s'" % rundir, file=sys.stderr)
        sys.exit(1)
    with open(os.path.join(rundir, "report.html"), "w") as f:
        f.write(page(rundir))


if __name__ == "__main__":
    main()

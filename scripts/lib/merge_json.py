#!/usr/bin/env python3
"""scripts/lib/merge_json.py FAMILY.json EXTRA.json [--append-context KEY=WORD]...

Adds the benchmarks of EXTRA.json (Google Benchmark's JSON shape, written
by another program of the same family: bench/mpi/ipc_mpi under mpirun) to
FAMILY.json, so every script that reads the family (CSV, plots, summary,
report, compare) sees them beside the rest.  Context keys of EXTRA that
FAMILY lacks are added (mpi_library, mpi_transport); --append-context adds
WORD to a space-separated list in FAMILY's context (ipc_mechanisms).
FAMILY.json is replaced atomically; nothing is re-measured or edited.
Exit: 0, 1 a file missing or not JSON, 2 bad arguments."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import write_json  # noqa: E402


def main(argv):
    if len(argv) < 3 or argv[1].startswith("-") or argv[2].startswith("-"):
        print(__doc__.splitlines()[0].replace("scripts/lib/", "Usage: "), file=sys.stderr)
        return 2
    base_path, extra_path = argv[1], argv[2]
    appends = []
    rest = argv[3:]
    while rest:
        if rest[0] != "--append-context" or len(rest) < 2 or "=" not in rest[1]:
            print("merge_json.py: bad argument %r" % rest[0], file=sys.stderr)
            return 2
        appends.append(rest[1].split("=", 1))
        rest = rest[2:]
    try:
        with open(base_path) as f:
            base = json.load(f)
        with open(extra_path) as f:
            extra = json.load(f)
    except (OSError, ValueError) as e:
        print("merge_json.py: %s" % e, file=sys.stderr)
        return 1
    ctx = base.setdefault("context", {})
    for k, v in extra.get("context", {}).items():
        ctx.setdefault(k, v)
    for key, word in appends:
        words = str(ctx.get(key, "")).split()
        if word not in words:
            ctx[key] = " ".join(words + [word])
    base.setdefault("benchmarks", []).extend(extra.get("benchmarks", []))
    write_json(base_path, base)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""scripts/fd_table.py: draw the fd tables a lab recorded as an SVG figure.

Usage: fd_table.py FILE.csv OUT.svg [--title TEXT]

FILE.csv is what a lab writes with --fd-table FILE: the header
"process,pid,step,fd,target,access" and one row per open descriptor of one
process at one step, as /proc/PID/fd and /proc/PID/fdinfo showed it.  Each
(process, step) becomes a column, in the order the CSV first names it (by
step number when every step starts with one: "1 after pipe"); each
descriptor number a row.  A cell shows what the descriptor refers to and
its access (r, w, rw); every pipe, socket and lab file gets its own colour,
so the same object held by two processes, or under two numbers, is the same
colour.  An
empty cell means that number was not open then.

Exit status: 0 drawn, 1 the CSV is unreadable or malformed, 2 bad arguments.
"""
import csv
import sys
from xml.sax.saxutils import escape

HEADER = ["process", "pid", "step", "fd", "target", "access"]
# Fill colours for pipes and sockets, in order of first appearance.
COLOURS = ["#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc", "#fc9272",
           "#c7e9c0", "#fdd0a2", "#dadaeb", "#fee391", "#c6dbef"]
FILE_FILL = "#eeeeee"
COL_W, ROW_H, FD_W, HEAD_H, TITLE_H = 200, 30, 46, 56, 34


def usage_error(message):
    print(f"fd_table.py: {message}", file=sys.stderr)
    print("Usage: fd_table.py FILE.csv OUT.svg [--title TEXT]", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    title, paths, i = "", [], 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            print(__doc__.strip().split("\n\n", 3)[1])
            print()
            print(__doc__.strip().split("\n\n", 3)[2])
            sys.exit(0)
        if arg == "--title":
            if i + 1 >= len(argv):
                usage_error("--title needs a value")
            title, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--title="):
            title, i = arg[len("--title="):], i + 1
            continue
        if arg.startswith("-"):
            usage_error(f"unknown option '{arg}'")
        paths.append(arg)
        i += 1
    if len(paths) != 2:
        usage_error(f"expected FILE.csv and OUT.svg, got {len(paths)} argument(s)")
    if not paths[1].endswith(".svg"):
        usage_error(f"OUT must end in .svg: '{paths[1]}'")
    return paths[0], paths[1], title


def read_tables(path):
    """[(process, pid, step)] in order, and {(column index, fd): (target, access)}."""
    columns, cells = [], {}
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header != HEADER:
            raise ValueError(f"line 1: header must be {','.join(HEADER)}, got {header}")
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 6 or not row[1].isdigit() or not row[3].isdigit():
                raise ValueError(f"line {line}: expected {','.join(HEADER)}: {row}")
            key = (row[0], row[1], row[2])
            if key not in columns:
                columns.append(key)
            cells[(columns.index(key), int(row[3]))] = (row[4], row[5])
    if not columns:
        raise ValueError("no descriptors after the header")
    # Processes write their snapshots in whatever order they run; steps
    # numbered "1 ...", "2 ..." put the columns in the lab's order.
    if all(step.split(" ", 1)[0].isdigit() for (_, _, step) in columns):
        order = sorted(range(len(columns)), key=lambda c: int(columns[c][2].split(" ", 1)[0]))
        renumber = {old: new for new, old in enumerate(order)}
        columns = [columns[c] for c in order]
        cells = {(renumber[c], fd): v for (c, fd), v in cells.items()}
    return columns, cells


def short(target):
    """A target that fits a cell: pipes and sockets whole, paths by their end."""
    if len(target) <= 24:
        return target
    if target.startswith("/"):
        target = "\u2026/" + target.rsplit("/", 1)[1]
    return target if len(target) <= 24 else "\u2026" + target[-23:]


def draw(columns, cells, title):
    fds = sorted({fd for (_, fd) in cells})
    colour = {}
    for key in sorted(cells, key=lambda k: (k[0], k[1])):
        target = cells[key][0]
        shared = target.startswith(("pipe:", "socket:", "anon_inode:")) or \
            target.endswith("(deleted)") or "/proclab-" in target
        if shared and target not in colour:
            colour[target] = COLOURS[len(colour) % len(COLOURS)]
    top = TITLE_H if title else 10
    width = FD_W + COL_W * len(columns) + 20
    height = top + HEAD_H + ROW_H * len(fds) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">'
                   f'{escape(title)}</text>')
    out.append(f'<text x="{FD_W - 8}" y="{top + HEAD_H - 10}" text-anchor="end" '
               f'font-weight="bold">fd</text>')
    for c, (process, pid, step) in enumerate(columns):
        x = FD_W + c * COL_W
        out.append(f'<text x="{x + COL_W / 2}" y="{top + 18}" text-anchor="middle" '
                   f'font-weight="bold">{escape(process)} (pid {escape(pid)})</text>')
        out.append(f'<text x="{x + COL_W / 2}" y="{top + 36}" text-anchor="middle">'
                   f'{escape(step)}</text>')
    for r, fd in enumerate(fds):
        y = top + HEAD_H + r * ROW_H
        out.append(f'<text x="{FD_W - 8}" y="{y + ROW_H / 2 + 4}" text-anchor="end">{fd}</text>')
        for c in range(len(columns)):
            x = FD_W + c * COL_W
            cell = cells.get((c, fd))
            if cell is None:
                out.append(f'<rect x="{x + 4}" y="{y + 3}" width="{COL_W - 8}" '
                           f'height="{ROW_H - 6}" fill="none" stroke="#cccccc" '
                           f'stroke-dasharray="4 3"/>')
                continue
            target, access = cell
            fill = colour.get(target, FILE_FILL)
            out.append(f'<rect x="{x + 4}" y="{y + 3}" width="{COL_W - 8}" '
                       f'height="{ROW_H - 6}" fill="{fill}" stroke="#555555"/>')
            out.append(f'<text x="{x + COL_W / 2}" y="{y + ROW_H / 2 + 4}" '
                       f'text-anchor="middle"><title>{escape(target)}</title>'
                       f'{escape(short(target))} {escape(access)}</text>')
    legend_y = top + HEAD_H + ROW_H * len(fds) + 24
    out.append(f'<text x="{FD_W}" y="{legend_y}" fill="#555555">Same colour: the same '
               'pipe, socket or file. r = read end, w = write end. Dashed: not open.</text>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


def main():
    src, dst, title = parse_args(sys.argv[1:])
    try:
        columns, cells = read_tables(src)
    except OSError as e:
        print(f"fd_table.py: cannot read '{src}': {e.strerror}", file=sys.stderr)
        return 1
    except (ValueError, csv.Error) as e:
        print(f"fd_table.py: '{src}' is not an fd table: {e}", file=sys.stderr)
        return 1
    svg = draw(columns, cells, title)
    with open(dst, "w") as f:
        f.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())

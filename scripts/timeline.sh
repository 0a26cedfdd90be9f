#!/usr/bin/env bash
# scripts/timeline.sh: draw a lab's timeline CSV as lanes, one per process.
#
# Usage: timeline.sh FILE.csv OUT.svg|OUT.png [--title TEXT]
#
# FILE.csv is what a lab writes with --timeline FILE (the pool: --trace FILE),
# header "lane,start_s,end_s,label", times in seconds since the program
# started.  Lanes are drawn top to bottom in the order they first appear.
# A row with end_s > start_s is an interval (a box, its label inside when it
# fits; boxes with the same label share a colour); end_s == start_s is an
# instant event (fork, exec, wait, exit: a marker, its label above it).
# The output kind follows OUT's extension.  Exit status: 0 drawn, 1 the CSV
# is unreadable or malformed (the message names the line), 2 bad arguments.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '4p' "$0" | sed 's/^# //'; }
bad() { echo "timeline.sh: $*" >&2; usage >&2; exit 2; }

title='' args=()
while (($#)); do
  case $1 in
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --title) (($# >= 2)) || bad "--title needs a value"; title=$2; shift 2 ;;
    --title=*) title=${1#--title=}; shift ;;
    -*) bad "unknown option '$1'" ;;
    *) args+=("$1"); shift ;;
  esac
done
((${#args[@]} == 2)) || bad "expected FILE.csv and OUT.svg|OUT.png, got ${#args[@]} argument(s)"
csv=${args[0]} out=${args[1]}
case $out in
  *.svg) term=svg ;;
  *.png) term=png ;;
  *) bad "OUT must end in .svg or .png: '$out'" ;;
esac
[[ -r $csv && -f $csv ]] || { echo "timeline.sh: cannot read '$csv'" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/timeline.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Check the CSV and turn it into a tab-separated data file gnuplot reads:
#   y  start  end  label  colour  kind(1 interval, 0 instant)  label_y
# Labels of instants close together in one lane are staggered upwards.
# and a settings file: lane names as y tics, the time range, the size.
awk -F, -v data="$tmp/data.tsv" -v gp="$tmp/settings.gp" '
  function clean(s) { gsub(/["\\\t\r]/, "", s); return s }
  function num(s) { return s ~ /^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ }
  NR == 1 {
    sub(/\r$/, "")
    if ($0 != "lane,start_s,end_s,label") {
      printf "line 1: header must be \"lane,start_s,end_s,label\", got \"%s\"\n", $0 > "/dev/stderr"
      bad = 1; exit
    }
    next
  }
  /^[ \t\r]*$/ { next }
  {
    sub(/\r$/, "")
    if (NF != 4 || $1 == "" || !num($2) || !num($3) || $3 + 0 < $2 + 0) {
      printf "line %d: expected lane,start_s,end_s,label with 0 <= start_s <= end_s: \"%s\"\n", NR, $0 > "/dev/stderr"
      bad = 1; exit
    }
    lane = clean($1)
    if (!(lane in index_of)) { index_of[lane] = nlanes; name[nlanes++] = lane }
    n++; L[n] = index_of[lane]; S[n] = $2 + 0; E[n] = $3 + 0; T[n] = clean($4)
    if (E[n] > tmax) tmax = E[n]
    if (E[n] > S[n] && !(T[n] in colour)) colour[T[n]] = ncolours++ % 8 + 1
  }
  END {
    if (bad) exit 1
    if (n == 0) { print "no events after the header" > "/dev/stderr"; exit 1 }
    if (tmax <= 0) tmax = 1e-6
    for (i = 1; i <= n; i++) {
      interval = E[i] > S[i]
      y = nlanes - L[i]
      # Interval labels only where the box is wide enough to hold them.
      label = T[i]
      if (interval && (E[i] - S[i]) < length(label) * tmax / 110) label = ""
      label_y = y + 0.3
      if (!interval) {
        # The lowest of three rows above the lane where the label does not
        # run into the previous one (a character is about tmax/140 wide),
        # else the row that frees up first.
        best = 0
        for (k = 0; k < 3; k++) {
          if (!((L[i], k) in ends) || ends[L[i], k] < S[i]) { best = k; break }
          if (ends[L[i], k] < ends[L[i], best]) best = k
        }
        ends[L[i], best] = S[i] + (length(label) + 2) * tmax / 140
        label_y = y + 0.24 + 0.2 * best
      }
      printf "%d\t%.6f\t%.6f\t%s\t%d\t%d\t%.2f\n", y, S[i], E[i], label,
             interval ? colour[T[i]] : 0, interval, label_y > data
    }
    tics = ""
    for (i = 0; i < nlanes; i++)
      tics = tics (i ? ", " : "") sprintf("\"%s\" %d", name[i], nlanes - i)
    printf "set ytics (%s)\n", tics > gp
    printf "set yrange [0.4:%f]\n", nlanes + 1.2 > gp
    printf "set xrange [0:%.9g]\n", tmax * 1.04 > gp
    printf "height = %d\n", 140 + 85 * nlanes > gp
  }
' "$csv" || { echo "timeline.sh: '$csv' is not a timeline CSV" >&2; exit 1; }

gnuplot -e "data='$tmp/data.tsv'; settings='$tmp/settings.gp'; out='$tmp/out.$term'; term='$term'; plot_title='${title//\'/}'" \
  "$here/timeline.gp"
mv -f "$tmp/out.$term" "$out"

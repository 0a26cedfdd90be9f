# scripts/families/ipc/throughput.gp: one-way throughput vs message size,
# log-log, one line per mechanism, one core's memcpy dashed (the ceiling).
# Called by plot.sh with: xt (xtics list),
# csv, floor_csv, out, host, mechs, cross, subtitle.
load dir.'style.gp'
set logscale xy 2
set logscale y 10
set xlabel 'message size, bytes'
set ylabel 'throughput, GiB/s (median; payload bytes received)'
set title sprintf("IPC one-way throughput, %s on %s\n%s", \
    cross == 1 ? 'two CPUs (cross)' : 'one CPU (same)', host, subtitle)
if (xt ne '()') eval 'set xtics '.xt
set offsets graph 0.05, graph 0.05, 0, 0
# ipc_throughput.csv: 1 mech, 2 bytes, 3 cross, 4 gib_per_s
src(i) = sprintf("< awk -F, -v m=%s -v c=%d '$1 == m && $3 == c' '%s'", word(mechs, i), cross, csv)
mem = sprintf("< awk -F, '$1 == \"memcpy\"' '%s'", floor_csv)
plotcmd = "plot for [i=1:words(mechs)] src(i) using 2:4 with linespoints lt lt_of(word(mechs, i)) title word(mechs, i), "\
    ."mem using 2:4 with linespoints lc rgb '#555555' lw 2 dt 2 pt 7 title 'memcpy, one core (ceiling)'"
set terminal pngcairo size 1100,680 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1100,680 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

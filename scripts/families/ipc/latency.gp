# scripts/families/ipc/latency.gp: round-trip time vs message size, log-log,
# one line per mechanism, the cache-line floor dashed (cross-CPU only).
# Called by plot.sh with: xt (xtics list),
# csv, out, host, mechs, cross (0|1), floor_us ('' = none), subtitle.
load dir.'style.gp'
set logscale xy 2
set logscale y 10
set xlabel 'message size, bytes (each way)'
set ylabel 'round trip, microseconds (p50: median of all round trips)'
set title sprintf("IPC round trip (ping-pong), %s on %s\n%s", \
    cross == 1 ? 'two CPUs (cross)' : 'one CPU (same)', host, subtitle)
if (xt ne '()') eval 'set xtics '.xt
set offsets graph 0.05, graph 0.05, 0, 0
# ipc_latency.csv: 1 mech, 2 bytes, 3 cross, 4 p50_us (the headline), 5 mean_us
src(i) = sprintf("< awk -F, -v m=%s -v c=%d '$1 == m && $3 == c' '%s'", word(mechs, i), cross, csv)
plotcmd = "plot for [i=1:words(mechs)] src(i) using 2:4 with linespoints lt lt_of(word(mechs, i)) title word(mechs, i)"
if (floor_us ne '') plotcmd = plotcmd.", ".floor_us." with lines lc rgb '#555555' lw 2 dt 2 title 'cache-line floor'"
set terminal pngcairo size 1100,680 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1100,680 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

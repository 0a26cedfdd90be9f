# scripts/families/ipc/pairs.gp: 64-byte round trip for every ordered pair
# of CPUs (a --pairs=all run), as a heatmap like core-to-core latency tools.
# Called by plot.sh with: csv, out, host, mech, subtitle, ncpu.
set datafile separator ','
set title sprintf("%s 64-byte round trip by CPU pair on %s\n%s", mech, host, subtitle)
set xlabel 'CPU of the partner (cpu_b)'
set ylabel 'CPU of the measuring process (cpu_a)'
set cblabel 'round trip, microseconds (p50)'
set palette defined (0 '#fff5eb', 1 '#fd8d3c', 2 '#7f2704')
set size ratio -1
set xrange [-0.5:ncpu-0.5]
set yrange [ncpu-0.5:-0.5]
set xtics 1
set ytics 1
unset key
# ipc_pairs.csv: 1 cpu_a, 2 cpu_b, 3 p50_us; one filled square per pair
# (boxxyerror, not "with image": the diagonal has no value)
plotcmd = "plot csv using 2:1:(0.5):(0.5):3 skip 1 with boxxyerror fc palette fs solid border lc rgb '#ffffff', '' using 2:1:(sprintf('%.2f', $3)) skip 1 with labels font ',9'"
set terminal pngcairo size 800,700 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 800,700 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

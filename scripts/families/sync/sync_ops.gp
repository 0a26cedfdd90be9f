# scripts/families/sync/sync_ops.gp: lock+unlock pairs per second vs processes.
# Called by plot.sh with: csv, out (without extension), host, locks, subtitle.
set datafile separator ','
set datafile missing ''
set logscale y
set logscale x 2
set key outside right top spacing 1.2
set grid xtics ytics mytics lc rgb '#dddddd'
set xlabel 'processes contending for one lock'
set ylabel 'critical sections per second, all processes (median)'
set title sprintf("Lock contention between processes on %s\n%s", host, subtitle)
set format y '%.0s%c'
set offsets graph 0.05, graph 0.05, 0, 0
set style data linespoints
colors = "#1f77b4 #17becf #2ca02c #d62728 #ff7f0e #9467bd #8c564b #000000"
# One line type per entry of the registry (plot.sh passes `registry`, from
# the JSON context), so an entry keeps its colour whatever ran.
if (!exists("registry") || registry eq '') registry = locks
lt_of_from(w, k) = k > words(registry) ? k : (word(registry, k) eq w ? k : lt_of_from(w, k + 1))
lt_of(w) = lt_of_from(w, 1)
do for [i=1:words(registry)] { set linetype i lc rgb word(colors, (i-1)%8+1) lw 2 pt 1+(i-1)%13 dt 1+(i-1)/8 }
set pointsize 1.2

# sync_ops.csv columns: 1 lock, 2 procs, 3 ops_per_s
plotcmd = "plot for [i=1:words(locks)] csv using 2:(strcol(1) eq word(locks, i) ? $3 : NaN) skip 1 lt lt_of(word(locks, i)) title word(locks, i)"

set terminal pngcairo size 1000,620 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1000,620 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

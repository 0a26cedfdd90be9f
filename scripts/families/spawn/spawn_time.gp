# scripts/families/spawn/spawn_time.gp: time per spawn vs parent RSS, log-log.
# Called by plot.sh with: csv, out (without extension), host, methods, subtitle.
set datafile separator ','
set datafile missing ''
set logscale xy
set key outside right top spacing 1.2
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set xlabel "parent's resident memory, MiB (0 MiB drawn at 1)"
set ylabel 'time per spawn, microseconds (median)'
set title sprintf("Spawn cost vs parent size on %s\n%s", host, subtitle)
set xtics ("0" 1, "16" 16, "64" 64, "256" 256, "1024" 1024, "4096" 4096)
set format y '%g'
set autoscale xfix
set offsets graph 0.06, graph 0.06, 0, 0
set style data linespoints
# Eight distinct dark colours; point shapes differ too (vfork and clone_vm
# often lie on top of each other).
colors = "#d62728 #2ca02c #17becf #ff7f0e #1f77b4 #9467bd #8c564b #000000"
# One line type per entry of the registry (plot.sh passes `registry`, from
# the JSON context), so an entry keeps its colour whatever ran.
if (!exists("registry") || registry eq '') registry = methods
lt_of_from(w, k) = k > words(registry) ? k : (word(registry, k) eq w ? k : lt_of_from(w, k + 1))
lt_of(w) = lt_of_from(w, 1)
do for [i=1:words(registry)] { set linetype i lc rgb word(colors, (i-1)%8+1) lw 2 pt 1+(i-1)%13 dt 1+(i-1)/8 }
set pointsize 1.2

# spawn_time.csv columns: 1 method, 3 x_mib, 4 median_us
plotcmd = "plot for [i=1:words(methods)] csv using 3:(strcol(1) eq word(methods, i) ? $4 : NaN) skip 1 lt lt_of(word(methods, i)) dt 1+(i==2) title word(methods, i)"

set terminal pngcairo size 1000,620 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1000,620 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

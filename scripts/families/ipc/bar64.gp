# scripts/families/ipc/bar64.gp: 64-byte round trip, same CPU vs two CPUs,
# one pair of bars per mechanism (log scale: they span 1000x).
# Called by plot.sh with: csv, out, host, subtitle, floor_us ('' = none).
set datafile separator ','
set datafile missing ''
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set format y '%g'
set grid ytics mytics lc rgb '#dddddd'
set key inside left top
set xtics rotate by -40 font ',9'
set ylabel 'round trip, microseconds (p50: median of all round trips; log scale)'
set title sprintf("64-byte round trip: same CPU vs two CPUs, on %s\n%s", host, subtitle)
plotcmd = "plot csv using 2:xtic(1) skip 1 title 'same CPU (cross:0)' lc rgb '#1f77b4', "\
    ."'' using 3 skip 1 title 'two CPUs (cross:1)' lc rgb '#d62728'"
if (floor_us ne '') plotcmd = plotcmd.", ".floor_us." with lines lc rgb '#555555' lw 2 dt 2 title 'cache-line floor (two CPUs)'"
set terminal pngcairo size 1100,620 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1100,620 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

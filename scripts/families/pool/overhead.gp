# scripts/families/pool/overhead.gp: per-task overhead beyond the grain vs
# the grain, log-log, one line per kind (chunk 1; static_shards: its
# slices), at W workers.  Points at or below zero (the overhead is lost in
# the noise of the work) are not drawn on a log axis.
# Called by plot.sh with: dir, csv, out, host, kinds, workers, subtitle.
load dir.'style.gp'
set logscale xy 10
set xlabel 'grain: CPU work per task, microseconds (0 = no-op)'
set ylabel 'per-task overhead beyond the grain, us (median)'
set title sprintf("Per-task overhead, %d workers, on %s\n%s", workers, host, subtitle)
set xtics ("0" 0.3, "1" 1, "10" 10, "100" 100, "1000" 1000)
set xrange [0.2:2000]
# pool_scaling.csv: 1 kind, 2 chunk, 3 grain_us, 4 workers, ... 7 overhead_us
src(k) = sprintf("< awk -F, -v k=%s -v w=%d '$1 == k && $4 == w && ($2 == 1 || k == \"static_shards\") && $7 > 0' '%s'", k, workers, csv)
plotcmd = "plot for [i=1:words(kinds)] src(word(kinds, i)) using (gx($3)):7 lt i title word(kinds, i)"
set terminal pngcairo size 1000,640 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1000,640 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

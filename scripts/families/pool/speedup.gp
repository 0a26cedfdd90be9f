# scripts/families/pool/speedup.gp: speedup against W = 1 vs workers, one
# line per kind (chunk 1; static_shards: its fixed slices), at one grain,
# with the ideal line (speedup = workers) dashed.
# Called by plot.sh with: dir, csv, out, host, kinds, grain, subtitle.
load dir.'style.gp'
set xlabel 'workers (W)'
set ylabel 'speedup over W = 1 (same kind, grain, chunk)'
set title sprintf("Pool scaling, tasks of %d us of CPU work, on %s\n%s", grain, host, subtitle)
set logscale x 2
set xtics 2
set yrange [0:*]
set offsets graph 0.05, graph 0.05, 0, 0
# pool_scaling.csv: 1 kind, 2 chunk, 3 grain_us, 4 workers, ... 8 speedup
src(k) = sprintf("< awk -F, -v k=%s -v g=%d '$1 == k && $3 == g && ($2 == 1 || k == \"static_shards\") && $8 != \"\"' '%s'", k, grain, csv)
plotcmd = "plot for [i=1:words(kinds)] src(word(kinds, i)) using 4:8 lt i title word(kinds, i), x with lines lc rgb '#555555' dt 2 lw 2 title 'ideal (speedup = W)'"
set terminal pngcairo size 1000,640 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1000,640 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

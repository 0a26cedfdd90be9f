# scripts/families/pool/chunks.gp: the chunk size's effect -- time per task
# vs grain for each chunk size (1, 16, auto) of one kind at W workers.
# Called by plot.sh with: dir, csv, out, host, kinds, kind, workers, chunks, subtitle.
load dir.'style.gp'
set logscale xy 10
set xlabel 'grain: CPU work per task, microseconds (0 = no-op)'
set ylabel 'wall-clock time per task, us (median)'
set title sprintf("Chunk size, %s pool, %d workers, on %s\n%s", kind, workers, host, subtitle)
set xtics ("0" 0.3, "1" 1, "10" 10, "100" 100, "1000" 1000)
set xrange [0.2:2000]
do for [i=1:words(chunks)] { set linetype 20+i lc rgb word(colors, i) lw 2 pt 4+i }
label(c) = c eq '0' ? 'chunk auto' : 'chunk '.c
# pool_scaling.csv: 1 kind, 2 chunk, 3 grain_us, 4 workers, 5 us_per_task
src(c) = sprintf("< awk -F, -v k=%s -v w=%d -v c=%s '$1 == k && $4 == w && $2 == c && $5 != \"\"' '%s'", kind, workers, c, csv)
plotcmd = "plot for [i=1:words(chunks)] src(word(chunks, i)) using (gx($3)):5 lt 20+i title label(word(chunks, i))"
set terminal pngcairo size 1000,640 font 'sans,11' noenhanced
set output out.'.png'
eval plotcmd
set terminal svg size 1000,640 font 'sans,11' dynamic noenhanced
set output out.'.svg'
eval plotcmd

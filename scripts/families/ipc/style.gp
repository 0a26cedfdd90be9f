# scripts/families/ipc/style.gp: what every ipc plot shares (loaded first).
set datafile separator ','
set datafile missing ''
set key outside right top spacing 1.1 font ',9'
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set format y '%g'
# One line type per mechanism of the registry (plot.sh passes `registry`,
# the list bench_ipc recorded in the JSON context), in registry order, so a
# mechanism keeps its colour in every plot and every run, filtered or not:
# 9 colours x as many dash patterns as needed, point shapes differ too.
colors = "#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #000000"
if (!exists("registry") || registry eq '') registry = exists("mechs") ? mechs : ''
do for [i=1:words(registry)] { set linetype i lc rgb word(colors, (i-1)%9+1) lw 2 pt 1+(i-1)%13 dt 1+(i-1)/9 }
# lt_of(name): the line type of a mechanism (its place in the registry).
lt_of_from(w, k) = k > words(registry) ? k : (word(registry, k) eq w ? k : lt_of_from(w, k + 1))
lt_of(w) = lt_of_from(w, 1)
set pointsize 0.9

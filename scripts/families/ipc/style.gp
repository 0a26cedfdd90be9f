# scripts/families/ipc/style.gp: what every ipc plot shares (loaded first).
set datafile separator ','
set datafile missing ''
set key outside right top spacing 1.1 font ',9'
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set format y '%g'
# 18 mechanisms: 9 colours x 2 dash patterns, point shapes differ too.
colors = "#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #000000"
do for [i=1:18] { set linetype i lc rgb word(colors, (i-1)%9+1) lw 2 pt 1+(i-1)%13 dt 1+(i-1)/9 }
set pointsize 0.9

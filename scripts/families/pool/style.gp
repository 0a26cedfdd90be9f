# scripts/families/pool/style.gp: what every pool plot shares (loaded first).
# One line type per pool kind of the registry (`kinds`, in registry order,
# from the JSON context), so a kind keeps its colour in every plot.
set datafile separator ','
set datafile missing ''
set key outside right top spacing 1.2 font ',9'
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set style data linespoints
colors = "#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #000000"
do for [i=1:words(kinds)] { set linetype i lc rgb word(colors, (i-1)%9+1) lw 2 pt 1+(i-1)%13 dt 1+(i-1)/9 }
set pointsize 1.1
# grain 0 (a no-op task) cannot sit on a log axis: drawn at 0.3, labelled 0
gx(g) = g == 0 ? 0.3 : g

# scripts/timeline.gp: lanes of intervals and instant events (timeline.sh).
# Called with: data (y, start, end, label, colour, kind, label y; tab-separated),
# settings (ytics, yrange, xrange, height), out, term (svg|png), plot_title.
# Labels of late events need room on the right.
set rmargin 12
set datafile separator "\t"
load settings
set xlabel 'seconds since the program started'
set grid xtics lc rgb '#dddddd'
set ytics nomirror scale 0
set xtics nomirror
set border 3
set key off
if (strlen(plot_title) > 0) { set title plot_title }
# Eight light fill colours for intervals (the same label, the same colour).
colours = "#9ecae1 #fdae6b #a1d99b #bcbddc #fc9272 #c7e9c0 #fdd0a2 #d9d9d9"
do for [i=1:8] { set linetype i lc rgb word(colours, i) }
set style fill solid 1.0 border lc rgb '#555555'

if (term eq 'png') {
  set terminal pngcairo size 1000,height font 'sans,10' noenhanced
} else {
  set terminal svg size 1000,height font 'sans,10' dynamic noenhanced
}
set output out
# Columns: 1 y, 2 start, 3 end, 4 label, 5 colour, 6 kind (1 interval), 7 label y.
plot data using (($2+$3)/2):($6 == 1 ? $1 : NaN):(($3-$2)/2):(0.28):5 \
       with boxxyerror lc variable, \
     '' using (($2+$3)/2):($6 == 1 ? $1 : NaN):4 with labels center font ',9', \
     '' using 2:($6 == 0 ? $1 : NaN) with points pt 9 ps 1.6 lc rgb '#d62728', \
     '' using 2:($6 == 0 ? $7 : NaN):4 with labels left offset 0.3,0 font ',8' tc rgb '#8b0000'

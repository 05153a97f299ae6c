# Bar chart of bench/results.json: each mode's forwarding capacity (pps over
# the router CPU's busy share) relative to the baseline (conntrack +
# masquerade without fastpath.ko), the median of the ratios paired within a
# round, clustered by topology, family and flow count.
#   gnuplot -e "datafile='DAT'; outfile='PNG'; subtitle='...'" bench/plot.gp
# DAT (written by bench/run): a header line "group MODE...", then one line
# per cluster: a quoted label and one ratio per mode (NaN when the mode did
# not run in that cell).

# 1300 pixels wide, more from 13 clusters on; labels naming a topology
# (all but routed's) slant.
nclusters = system("wc -l < '".datafile."'") - 1
set terminal pngcairo size (nclusters > 12 ? 100 * nclusters : 1300),650 font ",11"
set output outfile
set title "fastpath forwarding benchmark: minimum-size UDP through the router\n{/*0.8 ".subtitle."}"
set ylabel "capacity relative to conntrack + masquerade"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left
set xtics nomirror
if (system("grep -c -e PPPoE -e bridge '".datafile."'") > 0) {
	set xtics rotate by -20 left
	set rmargin 16
}
ncols = system("head -n1 '".datafile."' | wc -w") + 0
plot for [i=2:ncols] datafile using i:xtic(1) title columnheader(i), \
     1 with lines lc rgb "black" dt 2 notitle

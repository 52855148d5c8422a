# Throughput of memlogd (solid) and of the drain baseline (dashed) against
# the number of sources, per line length and write shape, and their ratio, from the medians
# that bench/report.awk writes. Usage:
#   gnuplot -e "datafile='bench/out/plot.dat'; outfile='docs/bench-throughput.png'" bench/throughput.gp
# Blocks in datafile (index): 0 = 64 B bulk, 1 = 1024 B bulk, 2 = 64 B one
# write per line, 3 = 1024 B one write per line; columns: K, memlogd M lines/s,
# drain M lines/s, memlogd MB/s, drain MB/s, memlogd/drain.
if (!exists("datafile")) datafile = 'bench/out/plot.dat'
if (!exists("outfile")) outfile = 'docs/bench-throughput.png'

set terminal pngcairo size 1800,600 font ",11"
set output outfile
set datafile commentschars "#"
set xrange [0.7:1500]
set logscale x
set xtics ("1" 1, "64" 64, "1000" 1000)
set xlabel "sources (pipes)"
set grid
set key off
set bmargin 6

c1 = "#1f77b4"; c2 = "#d62728"; c3 = "#2ca02c"; c4 = "#9467bd"
t1 = "64-byte lines, 64 KiB writes"; t2 = "1024-byte lines, 64 KiB writes"
t3 = "64-byte lines, one write per line"; t4 = "1024-byte lines, one write per line"

# One legend for the three panels, in colour under them.
set label 101 "● ".t1 at screen 0.08,0.035 textcolor rgb c1 font ",12"
set label 102 "■ ".t2 at screen 0.30,0.035 textcolor rgb c2 font ",12"
set label 103 "▲ ".t3 at screen 0.52,0.035 textcolor rgb c3 font ",12"
set label 104 "◆ ".t4 at screen 0.74,0.035 textcolor rgb c4 font ",12"

set multiplot layout 1,3 title "memlogd (solid) and the drain baseline (dashed), medians of one run"

set logscale y
set title "lines per second"
set ylabel "M lines/s"
plot datafile index 0 using 1:2 with linespoints lw 2 pt 7 lc rgb c1 title t1, \
     datafile index 0 using 1:3 with linespoints lw 1 dt 2 pt 6 lc rgb c1 notitle, \
     datafile index 1 using 1:2 with linespoints lw 2 pt 5 lc rgb c2 title t2, \
     datafile index 1 using 1:3 with linespoints lw 1 dt 2 pt 4 lc rgb c2 notitle, \
     datafile index 2 using 1:2 with linespoints lw 2 pt 9 lc rgb c3 title t3, \
     datafile index 2 using 1:3 with linespoints lw 1 dt 2 pt 8 lc rgb c3 notitle, \
     datafile index 3 using 1:2 with linespoints lw 2 pt 13 lc rgb c4 title t4, \
     datafile index 3 using 1:3 with linespoints lw 1 dt 2 pt 12 lc rgb c4 notitle

set title "bytes per second"
set ylabel "MB/s (10^6 bytes)"
plot datafile index 0 using 1:4 with linespoints lw 2 pt 7 lc rgb c1, \
     datafile index 0 using 1:5 with linespoints lw 1 dt 2 pt 6 lc rgb c1, \
     datafile index 1 using 1:4 with linespoints lw 2 pt 5 lc rgb c2, \
     datafile index 1 using 1:5 with linespoints lw 1 dt 2 pt 4 lc rgb c2, \
     datafile index 2 using 1:4 with linespoints lw 2 pt 9 lc rgb c3, \
     datafile index 2 using 1:5 with linespoints lw 1 dt 2 pt 8 lc rgb c3, \
     datafile index 3 using 1:4 with linespoints lw 2 pt 13 lc rgb c4, \
     datafile index 3 using 1:5 with linespoints lw 1 dt 2 pt 12 lc rgb c4

unset logscale y
set title "memlogd / drain (median of per-repetition ratios)"
set ylabel "ratio"
set yrange [0:*]
plot datafile index 0 using 1:6 with linespoints lw 2 pt 7 lc rgb c1, \
     datafile index 1 using 1:6 with linespoints lw 2 pt 5 lc rgb c2, \
     datafile index 2 using 1:6 with linespoints lw 2 pt 9 lc rgb c3, \
     datafile index 3 using 1:6 with linespoints lw 2 pt 13 lc rgb c4, \
     1 with lines lw 1 lc rgb "#888888" notitle

unset multiplot

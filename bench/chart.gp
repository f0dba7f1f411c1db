# bench/run.sh: gnuplot -e "datafile='...'; outfile='...'" bench/chart.gp
# datafile columns: label rps_without rps_with ratio cpu_without cpu_with line1 line2 (see report.py summarize)
set terminal pngcairo size 1700,900 font "sans,9"
set output outfile
set multiplot layout 2,1 title "http-profiler beside nginx + wrk: 2 cores shared by all three, loopback, 32 keep-alive connections"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics noenhanced
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set bmargin 4
label(i) = sprintf("%s\n%s", strcol(7), strcol(8))
set ylabel "requests/s at saturation\n(label: throughput kept)"
plot datafile using 2:xtic(label(0)) title "without profiler" lc rgb "#9e9e9e", \
     '' using 3 title "with profiler" lc rgb "#1f77b4", \
     '' using ($0 + 0.15):3:(sprintf("%.2f", $4)) with labels offset 0,0.8 notitle
set ylabel "CPU s per 10k requests at 10k req/s\n(nginx + wrk + profiler)"
plot datafile using 5:xtic(label(0)) title "without profiler" lc rgb "#9e9e9e", \
     '' using 6 title "with profiler" lc rgb "#ff7f0e", \
     '' using ($0 + 0.15):6:(sprintf("%+.0f%%", 100 * ($6 / $5 - 1))) with labels offset 0,0.8 notitle
unset multiplot

# bench/run.sh: gnuplot -e "datafile='...'; outfile='...'" bench/chart.gp
# datafile columns: label rps_without rps_with ratio cpu_without cpu_with (see report.py summarize)
set terminal pngcairo size 1100,760 font "sans,10"
set output outfile
set multiplot layout 2,1 title "http-profiler beside nginx + wrk (2 cores, loopback, 32 keep-alive connections)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics noenhanced
set yrange [0:*]
set ylabel "requests/s at saturation"
plot datafile using 2:xtic(1) title "without profiler" lc rgb "#9e9e9e", \
     '' using 3 title "with profiler" lc rgb "#1f77b4", \
     '' using ($0):($3):(sprintf("%.2f", $4)) with labels offset 2.2,0.8 notitle
set ylabel "CPU s per 10k requests at 10k req/s\n(nginx + wrk + profiler)"
plot datafile using 5:xtic(1) title "without profiler" lc rgb "#9e9e9e", \
     '' using 6 title "with profiler" lc rgb "#ff7f0e"
unset multiplot

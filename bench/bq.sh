#!/bin/bash
#-------------------------------------------------------------------------
#
# bq.sh
#	  Binary quantization with re-rank: an HNSW index on the bits of the
#	  vectors (bit_hamming_ops), the nearest N by Hamming distance through
#	  it, re-ranked by exact cosine distance; recall@k against exact cosine
#	  search over the vectors and QPS, swept over ef_search and N, for one
#	  extension and optionally a peer.  See bench/README.md.
#
# IDENTIFICATION
#	  bench/bq.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF'
  --ext NAME         extension under test (default hnsw)
  --peer NAME        also run this extension, e.g. vector (pgvector), if installed
  --n N              base vectors (default 100000)
  --dim D            dimension (default 1024)
  --kind KIND        synthetic data: lowrank (default), clustered or uniform
  --latent L         lowrank: latent dimension (default 64)
  --clusters C       lowrank: blobs (default 100)
  --sigma S          lowrank: blob standard deviation in the latent space
                     (default 0.5)
  --noise X          lowrank: noise per dimension (default 0.05)
  --queries Q        queries (default 1000)
  --seed S           seed of the data and the query split (default 42)
  --limits LIST      inner LIMIT N values (default 10,20,40,80,160)
  --ef LIST          hnsw.ef_search values (default 10,20,40,80,160,320);
                     for each N only those >= N are run (the index returns
                     at most ef_search rows without an iterative scan)
  --m M              index option m (default 16)
  --efc N            index option ef_construction (default 64)
  --k K              neighbours per query (default 10)
  --repeat R         timed sweeps per system; medians are reported (default 3)
  --shared-buffers S shared_buffers of the cluster (default 2GB)
  --out DIR          results directory (default bench/results/<timestamp>-bq)
  --scan-only        also time, per N, the inner index scan alone (curves
                     "scan-nN": no re-rank; their recall is not meaningful)
  --keep             keep the cluster running and its indexes for inspection
  --quick            smoke test: 20000 base vectors, 200 queries, 1 repeat,
                     limits 10,20,40,80
EOF
)

# defaults (see also COMMON_OPTIONS in lib.sh)
N=
DIM=1024
KIND=lowrank
LATENT=64
CLUSTERS=100
SIGMA=0.5
NOISE=0.05
NQ=1000
LIMITS=10,20,40,80,160
EFS=10,20,40,80,160,320
SHARED_BUFFERS=2GB
KEEP=0
SCAN_ONLY=0

parse_options dim=DIM kind=KIND latent=LATENT clusters=CLUSTERS sigma=SIGMA noise=NOISE \
	limits=LIMITS shared-buffers=SHARED_BUFFERS 'keep!KEEP' 'scan-only!SCAN_ONLY' -- "$@"

if [ "$QUICK" = 1 ]; then
	N=${N:-20000}
	NQ=200
	REPEAT=1
	[[ " $ORIG_ARGS " == *" --limits "* ]] || LIMITS=10,20,40,80
fi
N=${N:-100000}

# ef_search values of the sweep of inner LIMIT $1: those >= $1
efs_for() {
	local lim=$1 ef out=
	for ef in ${EFS//,/ }; do
		[ "$ef" -ge "$lim" ] && out=${out:+$out,}$ef
	done
	echo "${out:-$lim}"
}

bench_build

#---------------------------------------------------------------- data set

synth_dataset "$KIND" "$N" "$DIM" "$SEED"
cut_dataset "" "$NQ"
ensure_gt "$K" cosine

#----------------------------------------------------------------- cluster

bench_cluster "fsync = off" "synchronous_commit = off" "full_page_writes = off"
resolve_systems

#------------------------------------------------------------ results, meta

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-bq}
mkdir -p "$OUT"
META=$OUT/meta.txt
BUILD_CSV=$OUT/build.csv
SEARCH_CSV=$OUT/search.csv
PLANS=$OUT/plans.txt
echo "label,metric,m,ef_construction,build_s,index_bytes,rows" >"$BUILD_CSV"
: >"$PLANS"

BITS="binary_quantize(embedding)::bit($DIM)"
INDEX_USING="($BITS) bit_hamming_ops"
# the query, with LIMIT @N@ replaced per curve
QUERY="SELECT id FROM (SELECT * FROM items ORDER BY $BITS <~> binary_quantize(\$1::vector) LIMIT @N@) s ORDER BY embedding <=> \$1::vector LIMIT $K"
# --scan-only: the inner query alone
SCAN="SELECT id FROM items ORDER BY $BITS <~> binary_quantize(\$1::vector) LIMIT @N@"

{
	meta_begin bq.sh "$ORIG_ARGS"
	echo "dataset: $DSDESC"
	echo "data files: $(basename "$BASEF") ($NBASE x $DIM), $(basename "$QUERYF") ($NQ queries)"
	echo "parameters: k=$K m=$M ef_construction=$EFC limits=$LIMITS ef_search=$EFS repeat=$REPEAT"
	echo "index: CREATE INDEX items_bq_idx ON items USING hnsw ($INDEX_USING) WITH (m = $M, ef_construction = $EFC)"
	echo "query: ${QUERY//@N@/N} (prepared, one client, N per curve)"
	[ "$SCAN_ONLY" = 1 ] && echo "scan: ${SCAN//@N@/N} (curves scan-nN)"
	echo "systems: ${SYSTEMS[*]}"
	meta_settings
} >"$META"

for sys in "${SYSTEMS[@]}"; do
	system_db "$sys"

	log "$sys: loading $NBASE vectors"
	load=$("$VB" ann load --conn "$(conninfo "bench_$sys")" --base "$BASEF")
	echo "load $sys: ${load#*,} s for ${load%,*} rows (COPY binary, then VACUUM FREEZE ANALYZE)" >>"$META"
done

#------------------------------------------------------------------- runs

for sys in "${SYSTEMS[@]}"; do
	log "$sys: CREATE INDEX ($INDEX_USING, m=$M, ef_construction=$EFC)"
	b=$("$VB" ann build --conn "$(conninfo "bench_$sys")" --using "$INDEX_USING" --index items_bq_idx \
		--m "$M" --efc "$EFC" 2> >(sed "s/^/$sys bq build:/" | tee -a "$OUT/messages.txt" >&2))
	echo "$sys,bq,$M,$EFC,${b%,*},${b#*,},$NBASE" >>"$BUILD_CSV"
	log "$sys: built in ${b%,*} s, $(( ${b#*,} / 1048576 )) MiB"
done

for r in $(seq 1 "$REPEAT"); do
	for sys in $(round_order "$r" "${SYSTEMS[@]}"); do
		first=1
		for lim in ${LIMITS//,/ }; do
			log "$sys: LIMIT $lim sweep $r/$REPEAT"
			"$VB" ann search --conn "$(conninfo "bench_$sys")" --metric cosine \
				--base "$BASEF" --query "$QUERYF" --gt "$(gtfile cosine "$K")" \
				--sql "${QUERY//@N@/$lim}" --index items_bq_idx --curve "n$lim" \
				--k "$K" --ef "$(efs_for "$lim")" \
				--warmup $([ "$r" = 1 ] && [ "$first" = 1 ] && echo 1 || echo 0) \
				$([ "$r" = 1 ] && echo --plans "$PLANS") \
				--repeat "$r" --label "$sys" --csv "$SEARCH_CSV"
			first=0
			if [ "$SCAN_ONLY" = 1 ]; then
				"$VB" ann search --conn "$(conninfo "bench_$sys")" --metric cosine \
					--base "$BASEF" --query "$QUERYF" --gt "$(gtfile cosine "$K")" \
					--sql "${SCAN//@N@/$lim}" --index items_bq_idx --curve "scan-n$lim" \
					--k "$K" --ef "$(efs_for "$lim")" --warmup 0 \
					--repeat "$r" --label "$sys" --csv "$SEARCH_CSV"
			fi
		done
	done
done

meta_end >>"$META"
[ "$KEEP" = 1 ] && keep_cluster "bench_$EXT"

python3 "$BENCH/report.py" bq "$OUT"
log "results in $OUT"

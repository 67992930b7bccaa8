#!/bin/bash
#-------------------------------------------------------------------------
#
# build.sh
#	  Builds at scale: CREATE INDEX time, peak memory and index size of the
#	  extension (and a peer) against the number of rows, serial and with
#	  parallel workers, with maintenance_work_mem that holds the graph and
#	  with a fraction of what it needs; recall and QPS of the largest
#	  indexes.  One throwaway cluster.  See bench/README.md, "Builds at
#	  scale".
#
# The data: GloVe-100 (the base set of ann.sh, seed 42), grown past its
# 340,479 vectors by seeded perturbed copies (vbench data grow); N rows are
# the first N of that file.
#
# IDENTIFICATION
#	  bench/build.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF'
  --ext NAME         extension under test (default hnsw)
  --peer NAME        also run this extension, e.g. vector (pgvector), if installed
  --rows LIST        table sizes (default 100000,340479,1000000,2000000,5000000)
  --workers LIST     parallel workers of the builds, 0 serial (default 0,1)
  --mwm SIZE         maintenance_work_mem of the builds (default 8GB)
  --fraction F       also build each index once more with maintenance_work_mem
                     = F x the memory the graph of the extension's first in-memory
                     build of the same rows took (its DEBUG1 message;
                     else its peak memory), e.g. 0.25; none if 0 (default)
  --fraction-rows LIST
                     the table sizes that get the --fraction builds (default all)
  --fraction-systems LIST
                     the systems that get them (default all)
  --metric M         l2, cosine or ip (default cosine)
  --timeout S        give up on a build after S seconds and record how far it
                     got (default 7200)
  --peer-timeout S   the same for the peer's builds (default --timeout)
  --search-rows LIST after building at these sizes (with the most workers),
                     recall@10 and QPS at ef_search 40 and 100 (default none)
  --queries Q        queries for --search-rows (default 200)
  --noise X          noise of the perturbed copies (default 0.1)
  --m M              index option m (default 16)
  --efc N            index option ef_construction (default 64)
  --shared-buffers S shared_buffers of the cluster (default 4GB)
  --out DIR          results directory (default bench/results/<timestamp>-build)
  --quick            smoke test: 20000 and 40000 rows, --fraction 0.25
EOF
)

ROWS=100000,340479,1000000,2000000,5000000
WORKERS=0,1
MWM=8GB
FRACTION=0
FRACTION_ROWS=
FRACTION_SYSTEMS=
METRIC=cosine
TIMEOUT=7200
PEER_TIMEOUT=
SEARCH_ROWS=
NQ=200
NOISE=0.1
SHARED_BUFFERS=4GB

parse_options rows=ROWS workers=WORKERS mwm=MWM fraction=FRACTION fraction-rows=FRACTION_ROWS \
	fraction-systems=FRACTION_SYSTEMS \
	metric=METRIC timeout=TIMEOUT peer-timeout=PEER_TIMEOUT search-rows=SEARCH_ROWS noise=NOISE \
	shared-buffers=SHARED_BUFFERS -- "$@"

if [ "$QUICK" = 1 ]; then
	ROWS=20000,40000
	FRACTION=0.25
	SEARCH_ROWS=40000
	NQ=50
fi
check_metric "$METRIC"

bench_build

#---------------------------------------------------------------- data

# The grown set of the largest size, and its first N rows
MAXROWS=$(tr ',' '\n' <<<"$ROWS" | sort -n | tail -n1)
glove_dataset "$SEED"
GLOVEBASE=$DATA/$DSBASE.base.fvecs
QUERYF=$DATA/$DSBASE.query.fvecs
grown() {
	local n=$1 f=$DATA/glove-grow-n$1-s$SEED.fvecs all=$DATA/glove-grow-n$MAXROWS-s$SEED.fvecs
	if [ ! -s "$f" ]; then
		if [ "$n" -le "$(nvecs "$GLOVEBASE")" ]; then
			"$VB" data head "$GLOVEBASE" "$f.tmp" "$n"
		else
			[ -s "$all" ] || "$VB" data grow "$GLOVEBASE" "$all" "$MAXROWS" --seed "$SEED" \
				--noise "$NOISE" 2>/dev/null
			[ "$f" = "$all" ] || "$VB" data head "$all" "$f.tmp" "$n"
		fi
		[ -s "$f" ] || mv "$f.tmp" "$f"
	fi
	echo "$f"
}

#---------------------------------------------------------------- run

bench_cluster "max_worker_processes = 16" "max_parallel_workers = 16" \
	"synchronous_commit = off" "full_page_writes = off"
resolve_systems

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-build}
mkdir -p "$OUT"
META=$OUT/meta.txt
CSV=$OUT/build.csv
SCSV=$OUT/search.csv
echo "system,rows,workers,mwm,seconds,index_bytes,peak_private,peak_rss,status" >"$CSV"
echo "system,rows,workers,ef,recall,qps,p50_ms,p99_ms" >"$SCSV"

{
	meta_begin build.sh "$ORIG_ARGS"
	echo "dataset: GloVe-100 base set (seed $SEED), grown by vbench data grow (noise $NOISE, seed $SEED): the first N of $MAXROWS rows"
	echo "parameters: rows=$ROWS workers=$WORKERS mwm=$MWM fraction=$FRACTION metric=$METRIC m=$M ef_construction=$EFC timeout=${TIMEOUT}s peer timeout=${PEER_TIMEOUT:-$TIMEOUT}s"
	echo "build: vbench ann build --workers W (max_parallel_maintenance_workers and the table's parallel_workers) --mwm --mem --timeout"
	echo "memory: peak_private is the leader backend's peak anonymous memory; a parallel build's workers and shared memory are not in it"
	echo "fraction: maintenance_work_mem = $FRACTION x the bytes the graph of the extension's in-memory serial build took"
	echo "systems: ${SYSTEMS[*]}"
	meta_settings
} >"$META"

for sys in "${SYSTEMS[@]}"; do
	system_db "$sys"
done

# build SYS ROWS WORKERS MWM: one build, recorded; echoes the bytes its
# graph took (the extension's DEBUG1 message), or its peak memory
build() {
	local sys=$1 rows=$2 w=$3 mwm=$4 out secs bytes priv rss graph t=$TIMEOUT
	[ "$sys" = "$EXT" ] || t=${PEER_TIMEOUT:-$TIMEOUT}
	out=$(PGOPTIONS="-c client_min_messages=debug1" "$VB" ann build \
		--conn "$(conninfo "$(sysdb "$sys")")" --metric "$METRIC" \
		--m "$M" --efc "$EFC" --workers "$w" --mwm "$mwm" --mem --timeout "$t" 2>"$OUT/notices.txt")
	graph=$(grep -o 'the graph of [0-9]* rows takes [0-9]* bytes' "$OUT/notices.txt" | awk '{ print $7 }' | tail -n1 || true)
	grep -E 'NOTICE|WARNING' "$OUT/notices.txt" | sed "s/^/$sys, $rows rows, $w workers, $mwm: /" >>"$OUT/messages.txt" || true
	if [[ "$out" == timeout,* ]]; then
		IFS=, read -r _ secs phase done total <<<"$out"
		echo "$sys,$rows,$w,$mwm,$secs,,,,timeout: $phase $done of $total" >>"$CSV"
		log "$sys, $rows rows, $w workers, maintenance_work_mem $mwm: gave up after $secs s ($phase, $done of $total)"
		echo -1
		return
	fi
	IFS=, read -r secs bytes priv rss <<<"$out"
	echo "$sys,$rows,$w,$mwm,$secs,$bytes,$priv,$rss,done" >>"$CSV"
	log "$sys, $rows rows, $w workers, maintenance_work_mem $mwm: $secs s, $((bytes / 1048576)) MiB, peak private $((priv / 1048576)) MiB${graph:+, graph $((graph / 1048576)) MiB}"
	echo "${graph:-$priv}"
}

MAXW=$(tr ',' '\n' <<<"$WORKERS" | sort -n | tail -n1)
for rows in ${ROWS//,/ }; do
	f=$(grown "$rows")
	for sys in "${SYSTEMS[@]}"; do
		log "$sys: loading $rows rows"
		"$VB" ann load --conn "$(conninfo "$(sysdb "$sys")")" --base "$f" >/dev/null
		sql "$(sysdb "$sys")" -c "VACUUM FREEZE ANALYZE items"
	done
	declare -A peak=()
	for w in ${WORKERS//,/ }; do
		for sys in "${SYSTEMS[@]}"; do
			p=$(build "$sys" "$rows" "$w" "$MWM")
			[ "$sys" = "$EXT" ] && [ -z "${peak[$rows]:-}" ] && peak[$rows]=$p
			if [ "$w" = "$MAXW" ] && [[ ",$SEARCH_ROWS," == *",$rows,"* ]] && [ "$p" != -1 ]; then
				gt=$DATA/glove-grow-n$rows-s$SEED.gt-$METRIC-q$NQ-k$K.ivecs
				q=$DATA/$DSBASE-q$NQ.query.fvecs
				[ -s "$q" ] || "$VB" data head "$QUERYF" "$q" "$NQ"
				[ -s "$gt" ] || "$VB" ann gt "$f" "$q" "$METRIC:$gt" >/dev/null
				"$VB" ann search --conn "$(conninfo "$(sysdb "$sys")")" --metric "$METRIC" \
					--base "$f" --query "$q" --gt "$gt" --k "$K" --ef 40,100 --repeat 1 \
					--label "$sys" --csv "$OUT/search.csv.$sys.$rows" >/dev/null
				awk -F, -v r="$rows" -v w="$w" 'NR > 1 { print $1 "," r "," w "," $3 "," $7 "," $8 "," $10 "," $12 }' \
					"$OUT/search.csv.$sys.$rows" >>"$SCSV"
				rm -f "$OUT/search.csv.$sys.$rows"
			fi
		done
	done
	# --fraction: the same builds with a fraction of the memory the graph took
	if [ "$FRACTION" != 0 ] && { [ -z "$FRACTION_ROWS" ] || [[ ",$FRACTION_ROWS," == *",$rows,"* ]]; } &&
		[ "${peak[$rows]:--1}" -gt 0 ]; then
		small=$(awk -v p="${peak[$rows]}" -v f="$FRACTION" 'BEGIN { printf "%dkB", p * f / 1024 }')
		for w in ${WORKERS//,/ }; do
			for sys in "${SYSTEMS[@]}"; do
				[ -z "$FRACTION_SYSTEMS" ] || [[ ",$FRACTION_SYSTEMS," == *",$sys,"* ]] || continue
				build "$sys" "$rows" "$w" "$small" >/dev/null
			done
		done
	fi
	for sys in "${SYSTEMS[@]}"; do
		sql "$(sysdb "$sys")" -c "DROP INDEX IF EXISTS items_${METRIC}_idx"
	done
done

meta_end >>"$META"
python3 "$BENCH/report.py" build "$OUT"
log "results in $OUT"

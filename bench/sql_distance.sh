#!/bin/bash
# bench/sql_distance.sh -- distance functions at the SQL level: hnsw vs. pgvector.
#
#   bench/sql_distance.sh [--install]
#
# In a throwaway cluster (test/lib.sh: its own directory, port and Unix
# socket, removed afterwards; the system's clusters are never touched),
# loads the same ROWS random DIM-dimensional vectors into a database with
# CREATE EXTENSION hnsw and, when the pgvector extension "vector" is
# installed, into a second one with CREATE EXTENSION vector.  Then it times
#
#   SELECT sum(vector_dims(v)) FROM t     -- the scan alone, as a baseline
#   SELECT sum(l2_distance(v, q)) FROM t
#   SELECT sum(v <#> q) FROM t
#   SELECT sum(v <=> q) FROM t
#   SELECT sum(v <+> q) FROM t
#
# in each: the median of RUNS rounds, a round timing every configuration
# in turn, each run in a fresh session right after an untimed warm-up run
# of the same query (psql \timing).  hnsw is timed twice, with the kernel that
# hnsw.distance_kernel = auto selects and with the scalar one.  The ratio
# printed is pgvector's time over hnsw's: above 1 means hnsw is faster.
#
# The extension must already be installed ("make install" at the top of
# the tree); --install does that first.  This script never builds or
# fetches pgvector: it uses whatever "vector" the server can load, if any.
#
# Settings (environment): ROWS (200000), DIM (100), RUNS (5), SEED (42).
# Parallel query and JIT are off, so that the figures are those of one
# backend running the functions, with the table in shared buffers.

set -eu

. "$(dirname "$0")/../test/lib.sh"

ROWS=${ROWS:-200000}
DIM=${DIM:-100}
RUNS=${RUNS:-5}
SEED=${SEED:-42}

if [ "${1:-}" = "--install" ]; then
	build_install
elif [ $# -gt 0 ]; then
	die "usage: $0 [--install]"
fi

start_cluster \
	"shared_buffers = 512MB" \
	"max_parallel_workers_per_gather = 0" \
	"jit = off"

available()
{
	[ "$(run_psql -d postgres -Atc \
		"SELECT count(*) FROM pg_available_extensions WHERE name = '$1'")" = 1 ]
}

available hnsw || die "extension hnsw is not installed: run \"make install\" first (or pass --install)"
have_vector=0
if available vector; then
	have_vector=1
fi

# The data: a seeded awk generator, written once and loaded by COPY into
# every database, so that all of them hold the same vectors.  Line 0 is
# the query vector.
make_tempdir work hnsw-sqlbench
cd "$work"
step "generating $ROWS vectors of $DIM dimensions (awk, seed $SEED)"
awk -v rows="$ROWS" -v dim="$DIM" -v seed="$SEED" 'BEGIN {
	srand(seed);
	for (i = 0; i <= rows; i++) {
		s = "[";
		for (j = 1; j <= dim; j++)
			s = s (j > 1 ? "," : "") sprintf("%.6f", 2 * rand() - 1);
		print i "\t" s "]";
	}
}' >"$work/data.tsv"
q=$(head -n 1 "$work/data.tsv" | cut -f 2)
sed -i 1d "$work/data.tsv"
chown postgres: "$work/data.tsv" 2>/dev/null || true

load()
{
	local db=$1 ext=$2
	run_psql -d postgres -qc "CREATE DATABASE $db"
	run_psql -d "$db" -q <<-EOF
		CREATE EXTENSION $ext;
		CREATE TABLE t (id int, v vector($DIM));
		COPY t FROM '$work/data.tsv';
		VACUUM (FREEZE, ANALYZE) t;
	EOF
}

step "loading"
load bench_hnsw hnsw
if [ $have_vector = 1 ]; then
	load bench_vector vector
fi
# Write out what the loads dirtied now rather than during the timings, and
# read each table once so that every configuration starts with it in
# shared buffers.
run_psql -d postgres -qc "CHECKPOINT"
run_psql -d bench_hnsw -qAtc "SELECT count(*) FROM t" >/dev/null
if [ $have_vector = 1 ]; then
	run_psql -d bench_vector -qAtc "SELECT count(*) FROM t" >/dev/null
fi

# time_once DB SETUP SQL: ms taken by SQL in a fresh session that first
# runs SETUP and then SQL once untimed, to warm its caches.
time_once()
{
	printf '%s\n\\o /dev/null\n%s;\n\\timing on\n%s;\n' "$2" "$3" "$3" |
		run_psql -d "$1" -q | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}

# median of the numbers on stdin, one per line
median()
{
	sort -n | awk '{ t[NR] = $1 }
		END { if (NR == 0) exit 1; printf "%.1f", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'
}

# result DB SETUP SQL: the value the query returns
result()
{
	printf '%s\n%s;\n' "$2" "$3" | run_psql -d "$1" -qAt
}

# The setting exists once the library is loaded
kernel=$(printf "LOAD 'hnsw';\nSHOW hnsw.distance_kernel;\n" | run_psql -d bench_hnsw -qAt)
step "environment"
say "machine:   $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs"
say "server:    $(run_psql -d postgres -Atc 'SELECT version()')"
say "hnsw:      $(run_psql -d bench_hnsw -Atc "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"), commit $(git -C "$HNSW_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown), hnsw.distance_kernel = $kernel"
if [ $have_vector = 1 ]; then
	say "pgvector:  $(run_psql -d bench_vector -Atc "SELECT extversion FROM pg_extension WHERE extname = 'vector'") (the installed build)"
else
	say "pgvector:  not installed, comparison skipped"
fi
say "data:      $ROWS rows of vector($DIM), uniform in [-1,1), awk srand($SEED) ($(awk -W version 2>&1 | head -n 1 || true))"
say "settings:  shared_buffers = 512MB, max_parallel_workers_per_gather = 0, jit = off"
say "method:    psql \\timing; each run in a fresh session after one untimed warm-up run;"
say "           median of $RUNS rounds, each round timing every configuration in turn"

scalar_setup="LOAD 'hnsw'; SET hnsw.distance_kernel = scalar;"
queries=(
	"sum(vector_dims(v))"
	"sum(l2_distance(v, '$q'))"
	"sum(v <#> '$q')"
	"sum(v <=> '$q')"
	"sum(v <+> '$q')"
)
labels=(
	"scan only (vector_dims)"
	"l2_distance(v, q)"
	"v <#> q"
	"v <=> q"
	"v <+> q"
)

step "results (ms for $ROWS rows; ratio = pgvector / hnsw)"
printf '%-26s %14s %14s %12s %8s\n' "query" "hnsw ($(echo "$kernel" | sed 's/auto (\(.*\))/\1/'))" "hnsw (scalar)" "pgvector" "ratio"
for i in "${!queries[@]}"; do
	sql="SELECT ${queries[i]} FROM t"
	# Take the configurations in turn in each round, so that load from
	# elsewhere on the machine affects all of them alike.
	t_hnsw=() t_scalar=() t_vec=()
	for ((r = 0; r < RUNS; r++)); do
		t_hnsw+=("$(time_once bench_hnsw "" "$sql")")
		t_scalar+=("$(time_once bench_hnsw "$scalar_setup" "$sql")")
		if [ $have_vector = 1 ]; then
			t_vec+=("$(time_once bench_vector "" "$sql")")
		fi
	done
	m_hnsw=$(printf '%s\n' "${t_hnsw[@]}" | median)
	m_scalar=$(printf '%s\n' "${t_scalar[@]}" | median)
	if [ $have_vector = 1 ]; then
		m_vec=$(printf '%s\n' "${t_vec[@]}" | median)
		ratio=$(awk -v a="$m_vec" -v b="$m_hnsw" 'BEGIN { printf "%.2f", a / b }')
	else
		m_vec=-
		ratio=-
	fi
	printf '%-26s %14s %14s %12s %8s\n' "${labels[i]}" "$m_hnsw" "$m_scalar" "$m_vec" "$ratio"
done

# The same data and semantics must give the same sums, up to float4
# summation order inside each distance.
step "check: sums agree"
for i in 1 2 3 4; do
	sql="SELECT ${queries[i]} FROM t"
	r_hnsw=$(result bench_hnsw "" "$sql")
	if [ $have_vector = 1 ]; then
		r_vec=$(result bench_vector "" "$sql")
		say "$(printf '%-26s hnsw %-22s pgvector %-22s rel. diff %s' "${labels[i]}" "$r_hnsw" "$r_vec" \
			"$(awk -v a="$r_hnsw" -v b="$r_vec" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b; if (m < 0) m = -m; r = (m > 0) ? d / m : d; printf "%.2g", r }')")"
	else
		say "$(printf '%-26s hnsw %s' "${labels[i]}" "$r_hnsw")"
	fi
done

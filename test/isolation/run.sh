#!/bin/bash
#-------------------------------------------------------------------------
#
# run.sh
#	  Run the hnsw isolation specs (test/isolation/specs/*.spec) with
#	  pg_isolation_regress against a throwaway cluster of their own.
#
# The specs interleave inserts, VACUUM and scans in several sessions and
# end with hnsw_index_check.  They need a cluster where nothing else
# vacuums their tables (autovacuum is off) and where max_locks and the
# like are the defaults, so this script always starts its own cluster
# (test/lib.sh, start_cluster) rather than use the one test/run.sh has
# exported: that works as root or as postgres, standalone or under
# test/run.sh.
#
#   bash test/isolation/run.sh [spec ...]      default: every spec
#
# The extension must be installed (make install).  Output and diffs go to
# a temporary directory (or ISOLATION_OUTDIR, which is kept: new expected
# files come from its results/); on failure the diffs are shown.  The last
# line of output is "N passed, N failed".
#
# IDENTIFICATION
#	  test/isolation/run.sh
#
#-------------------------------------------------------------------------

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"

passed=0
failed=0

finish()
{
	say "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

isolation_regress=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/isolation/pg_isolation_regress
if [ ! -x "$isolation_regress" ]; then
	say "pg_isolation_regress not found at $isolation_regress (postgresql-server-dev-$PG_MAJOR)"
	failed=1
	finish
fi

if [ $# -gt 0 ]; then
	specs=("$@")
else
	specs=()
	for f in "$here"/specs/*.spec; do
		specs+=("$(basename "$f" .spec)")
	done
fi

# Our own cluster, whatever the caller exported.
unset PGHOST PGPORT PGDATA PGDATABASE
if [ -n "${ISOLATION_OUTDIR:-}" ]; then
	out=$ISOLATION_OUTDIR
	mkdir -p "$out" && [ "$(id -u)" != 0 ] || chown postgres: "$out"
else
	make_tempdir out hnsw-iso
fi
start_cluster "autovacuum = off" "max_connections = 20" \
	"log_line_prefix = '%m [%p] %a '" >/dev/null ||
	{ failed=1; finish; }
say "isolation: cluster at PGHOST=$PGHOST PGPORT=$PGPORT, ${#specs[@]} specs"

log=$out/pg_isolation_regress.log
(cd "$out" && as_postgres "$isolation_regress" \
	--inputdir="$here" --outputdir="$out" \
	--host="$PGHOST" --port="$PGPORT" --user=postgres \
	--dbname=hnsw_isolation --load-extension=hnsw \
	"${specs[@]}") >"$log" 2>&1
rc=$?
cat "$log"

# PG 15 prints "test NAME ... ok" (or "FAILED"/"failed") per spec
passed=$(grep -cE '\.\.\. ok' "$log")
failed=$(grep -cE '\.\.\. (FAILED|failed)' "$log")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
if [ "$failed" -gt 0 ]; then
	[ -s "$out/regression.diffs" ] && cat "$out/regression.diffs"
	say ">>> server log"
	tail -n 100 "$HNSW_CLUSTER_DIR/server.log" 2>/dev/null
fi
stop_cluster
finish

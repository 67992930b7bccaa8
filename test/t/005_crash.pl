#-------------------------------------------------------------------------
#
# 005_crash.pl
#	  Crash recovery of an hnsw index in the middle of concurrent inserts,
#	  deletes, updates and VACUUM.
#
# Five rounds.  In each, three pgbench clients run a mix of single-row
# INSERTs (60%), DELETEs (20%) and UPDATEs of the vector (20%) while a
# fourth runs VACUUM over and over, and after a seeded random delay
# (1 to 3.5 seconds) the server crashes:
#	 - odd rounds: "pg_ctl stop -m immediate", then a restart;
#	 - even rounds: SIGKILL to one backend of an insert client, after which
#	   the postmaster kills the others and recovers by itself.
# So WAL replay meets inserts cut off between writing their element and
# their back-links, VACUUM cut off between marking elements DELETED and
# making them REUSABLE, and reused space half taken.
#
# After each recovery, with the table as the truth (a row is there if and
# only if its transaction committed before the crash):
#	 1. hnsw_index_check passes on the index exactly as recovered;
#	 2. every row in the table is found by an index scan for its own
#		vector (ORDER BY v <-> own vector LIMIT 1).  Vectors are distinct
#		(each comes from a fresh sequence value, and sequence values are
#		never handed out twice, even across a crash), so the answer is that
#		row and no other.  But the search is approximate: a row whose vector
#		is far from all others (vec(4439), near a corner of the cube, is one
#		of the most isolated) can be left by deletes and repairs with a
#		single way in, from far away, and ef_search 100 then misses it
#		although the graph is intact.  So the rows ef_search 100 misses are
#		searched for again with ef_search 1000; a row still not found is
#		lost;
#	 3. after a VACUUM, hnsw_index_check counts exactly one heap TID, and
#		one element, per row.  Before it the counts may be higher, and that
#		is correct: rows deleted by committed transactions and rows
#		inserted by transactions the crash aborted keep their index
#		entries until VACUUM removes them (their heap tuples are dead, but
#		an index never knows that by itself).  VACUUM also finishes the
#		work of a VACUUM the crash interrupted.
# The next round continues on the same table.
#
# Scale: 1,000 rows of 16 dimensions to start with; each round adds a few
# thousand (about 1,000 transactions a second on 2 cores).  About a minute
# in all.
#
# IDENTIFICATION
#	  test/t/005_crash.pl
#
#-------------------------------------------------------------------------
use strict;
use warnings;

use IPC::Run;
use Time::HiRes qw(sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use HnswTest;

srand(5005);

my $node = hnsw_node(
	'crash', q{
restart_after_crash = on
max_wal_size = '1GB'
checkpoint_timeout = '30s'
});
create_vec_function($node, 16);
$node->safe_psql(
	'postgres', q{
	CREATE SEQUENCE seeds START 1001;
	CREATE TABLE items (id bigint PRIMARY KEY, v vector(16));
	INSERT INTO items SELECT id, vec(id) FROM generate_series(1, 1000) id;
	CREATE INDEX items_v ON items USING hnsw (v vector_l2_ops);
});

my $mix = $node->basedir . '/mix.sql';
append_to_file(
	$mix, q{
\set r random(1, 100)
\set id random(1, 20000)
\if :r <= 60
INSERT INTO items SELECT s, vec(s) FROM nextval('seeds') s;
\elif :r <= 80
DELETE FROM items WHERE id = (SELECT id FROM items WHERE id >= :id ORDER BY id LIMIT 1);
\else
UPDATE items SET v = vec(nextval('seeds')) WHERE id = (SELECT id FROM items WHERE id >= :id ORDER BY id LIMIT 1);
\endif
});
my $vacuum = $node->basedir . '/vacuum.sql';
append_to_file($vacuum, "VACUUM items;\n");


sub check_recovered
{
	my ($round) = @_;
	my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM items');

	# 1. the index as recovered
	my ($ret, $check, $err) =
	  $node->psql('postgres', "SELECT * FROM hnsw_index_check('items_v')");
	is($ret, 0, "round $round: hnsw_index_check passes after recovery") or diag($err);
	note("round $round: $rows rows; as recovered: elements|heap_tids|reachable = $check");

	# 2. every committed row is found through the index by its own vector:
	# at ef_search 100, or else at ef_search 1000
	my ($missed, $lost) = split /\|/, $node->safe_psql(
		'postgres', q{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 100;
		CREATE TEMP TABLE missed AS
			SELECT id FROM items i
			WHERE (SELECT j.id FROM items j ORDER BY j.v <-> i.v LIMIT 1)
				  IS DISTINCT FROM i.id;
		SET hnsw.ef_search = 1000;
		SELECT (SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM missed)
			   || '|' || count(*) || ' ' || coalesce(string_agg(id::text, ',' ORDER BY id), '')
		FROM (SELECT id FROM missed JOIN items i USING (id)
			  WHERE (SELECT j.id FROM items j ORDER BY j.v <-> i.v LIMIT 1)
					IS DISTINCT FROM i.id
			  ORDER BY id LIMIT 20) s;
	});
	note("round $round: rows not found at ef_search 100: $missed") if $missed ne '';
	is($lost, '0 ', "round $round: every row is found by an index scan for its own vector")
	  or diag("round $round: hnsw_index_stats: "
		  . $node->safe_psql('postgres', "SELECT * FROM hnsw_index_stats('items_v')"));

	# 3. after VACUUM, one heap TID and one element per row.  INDEX_CLEANUP
	# ON: with few dead rows left, VACUUM would otherwise skip the indexes
	# (PostgreSQL's bypass of index vacuuming) and leave their entries.
	$node->safe_psql('postgres', 'VACUUM (INDEX_CLEANUP ON) items');
	($ret, $check, $err) =
	  $node->psql('postgres', "SELECT * FROM hnsw_index_check('items_v')");
	is($ret, 0, "round $round: hnsw_index_check passes after VACUUM") or diag($err);
	my ($elements, $heap_tids, $reachable) = split /\|/, $check;
	note("round $round: after VACUUM: elements $elements, heap TIDs $heap_tids, reachable $reachable");
	is($heap_tids, $rows, "round $round: one heap TID per row after VACUUM");
	is($elements, $rows, "round $round: one element per row after VACUUM");
	return $rows;
}

my $rows_before = $node->safe_psql('postgres', 'SELECT count(*) FROM items');
foreach my $round (1 .. 5)
{
	my ($mout, $merr, $vout, $verr) = ('', '', '', '');
	my $log_offset = -s $node->logfile;
	my $mixh = start_pgbench($node, $mix, 3, 5000 + $round, 120, \$mout, \$merr);
	my $vach = start_pgbench($node, $vacuum, 1, 5100 + $round, 120, \$vout, \$verr);
	my $delay = 1 + rand(2.5);
	sleep($delay);

	note(sprintf("round %d: %s after %.2fs", $round,
			$round % 2 ? 'immediate shutdown' : 'SIGKILL to a backend', $delay));
	crash($node, "round $round", $round % 2 ? 'immediate' : 'kill', $log_offset,
		\$mout, \$merr, [ $mixh, $vach ], '^(INSERT|DELETE|UPDATE)');

	my $rows = check_recovered($round);
	note("round $round: rows $rows_before -> $rows");
	$rows_before = $rows;
}

$node->stop;
done_testing();

#-------------------------------------------------------------------------
#
# 006_pgbench.pl
#	  Concurrent writers, readers and VACUUM on one hnsw index.
#
# Scale: a table of 5,000 vectors of 16 dimensions with an hnsw index
# (m = 16, ef_construction = 64); then 5 pgbench clients run 1,000
# transactions each, a seeded mix of
#	 40% INSERT of a new row,
#	 15% DELETE of a random row among the first 5,000,
#	 15% UPDATE of a random row's vector (a new index entry, a dead one),
#	 30% SELECT ... ORDER BY v <-> q LIMIT 10 through the index,
# while a sixth session runs VACUUM on the table again and again until
# pgbench is done.  Vectors are computed in SQL from integer seeds (an
# md5-based hash), so every vector is known and distinct; pgbench draws
# its random numbers from --random-seed.  Which transaction runs when is
# up to the scheduler, so only properties that hold for every order are
# checked:
#	 - no client fails (no error, no deadlock, no lost row);
#	 - hnsw_index_check passes right after the run and after a final
#	   VACUUM, and then counts exactly one heap TID per row;
#	 - recall@10 at ef_search 100 over 50 queries is >= 0.95.  When this
#	   test was written a fresh build of the final table measured 0.99+
#	   and the table after the run about the same; 0.95 leaves room for the
#	   scheduler's variation (different graphs from different orders)
#	   while catching lists lost by racing writers or bad repairs.
#
# IDENTIFICATION
#	  test/t/006_pgbench.pl
#
#-------------------------------------------------------------------------
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use HnswTest;

my $clients = 5;
my $transactions = 1000;

my $node = hnsw_node(
	'pgbench', q{
max_wal_size = '2GB'
synchronous_commit = off
deadlock_timeout = '100ms'
});
create_vec_function($node, 16);
$node->safe_psql(
	'postgres', q{
	CREATE SEQUENCE seeds START 1000001;
	CREATE TABLE items (id bigint PRIMARY KEY, v vector(16));
	INSERT INTO items SELECT id, vec(id) FROM generate_series(1, 5000) id;
	CREATE INDEX items_v ON items USING hnsw (v vector_l2_ops);
	CREATE TABLE queries (qid int PRIMARY KEY, q vector(16));
	INSERT INTO queries SELECT qid, vec(-qid) FROM generate_series(1, 50) qid;
});

# the clients' SELECT goes through the index
like(
	$node->safe_psql('postgres',
		'EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v <-> vec(-1234) LIMIT 10'),
	qr/Index Scan using items_v/,
	'the SELECT of the mix uses the index');

my $script = $node->basedir . '/mix.sql';
append_to_file(
	$script, q{
\set r random(1, 100)
\set id random(1, 5000)
\set q random(1, 1000000)
\if :r <= 40
INSERT INTO items SELECT s, vec(s) FROM nextval('seeds') s;
\elif :r <= 55
DELETE FROM items WHERE id = :id;
\elif :r <= 70
UPDATE items SET v = vec(nextval('seeds')) WHERE id = :id;
\else
SELECT id FROM items ORDER BY v <-> vec(-1000 - :q) LIMIT 10;
\endif
});

my ($out, $err) = ('', '');
my $t0 = time;
my $pgbench = IPC::Run::start(
	[
		'pgbench', '-n', '-c', $clients, '-j', '2', '-t', $transactions,
		'--random-seed=6006', '-f', $script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$out, '2>', \$err);

# VACUUM again and again while pgbench runs
my $vacuums = 0;
my $vacuum_errors = '';
while ($pgbench->pumpable)
{
	my ($ret, $vout, $verr) = $node->psql('postgres', 'VACUUM items');
	$vacuums++;
	$vacuum_errors .= $verr if $ret != 0;
	$pgbench->pump_nb;
}
$pgbench->finish;
my $elapsed = time - $t0;
note("pgbench ran for ${elapsed}s with $vacuums VACUUMs alongside");
note($out);
is($pgbench->result(0), 0, 'pgbench exits with status 0') or diag($err);
like($out, qr/number of transactions actually processed: @{[ $clients * $transactions ]}\//,
	'every transaction was processed');
unlike($out, qr/number of failed transactions: [1-9]/, 'no transaction failed');
is($vacuum_errors, '', 'no VACUUM failed');
cmp_ok($vacuums, '>=', 2, 'VACUUM ran while pgbench was running');

# Right after the run, with dead entries still in it
my ($ret, $check, $cerr) =
  $node->psql('postgres', "SELECT * FROM hnsw_index_check('items_v')");
is($ret, 0, 'hnsw_index_check passes after the run') or diag($cerr);
note("after the run: elements|heap_tids|reachable = $check");

# After a final VACUUM: one heap TID per row.  INDEX_CLEANUP ON: with the
# few dead rows the last VACUUMs leave, VACUUM would otherwise skip the
# indexes (PostgreSQL's bypass of index vacuuming) and leave their entries.
$node->safe_psql('postgres', 'VACUUM (INDEX_CLEANUP ON) items');
my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM items');
($ret, $check, $cerr) =
  $node->psql('postgres', "SELECT * FROM hnsw_index_check('items_v')");
is($ret, 0, 'hnsw_index_check passes after the final VACUUM') or diag($cerr);
my ($elements, $heap_tids, $reachable) = split /\|/, $check;
note("after the final VACUUM: $rows rows; elements $elements, heap TIDs $heap_tids, reachable $reachable");
is($heap_tids, $rows, 'one heap TID per row');
is($elements, $rows, 'one element per row (all vectors are distinct)');

# Every row is found by an index scan for its own vector
is( $node->safe_psql(
		'postgres', q{
		SET enable_seqscan = off;
		SELECT count(*) FROM items i
		WHERE (SELECT j.id FROM items j ORDER BY j.v <-> i.v LIMIT 1) IS DISTINCT FROM i.id;
	}),
	'0',
	'every row is its own nearest neighbour through the index');

my $recall = recall_at_k($node, 'items', '<->', ef_search => 100);
note("recall\@10 at ef_search 100 after the run: $recall");
cmp_ok($recall, '>=', 0.95, "recall\@10 $recall >= 0.95");

$node->stop;
done_testing();

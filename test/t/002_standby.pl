#-------------------------------------------------------------------------
#
# 002_standby.pl
#	  hnsw indexes on a streaming standby, with wal_consistency_checking.
#
# The primary builds indexes (log_newpage_range), takes inserts, deletes,
# VACUUM, REINDEX and CREATE INDEX CONCURRENTLY (GenericXLog records).
# With wal_consistency_checking = 'generic' the standby compares every
# page it replays with the full-page image the primary logged.  The
# standby must then return exactly the rows the primary returns (the
# pages are the same, so even approximate answers are identical), and
# hnsw_index_check must pass on it.  An unlogged table with an hnsw
# index must not disturb replication; once the standby is promoted, its
# index is the empty init fork, which works like any empty index.
#
# IDENTIFICATION
#	  test/t/002_standby.pl
#
#-------------------------------------------------------------------------
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use HnswTest;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
# Inherited by the standby through the backup: the primary logs a
# full-page image with every generic record, the standby checks it.
$primary->append_conf('postgresql.conf', "wal_consistency_checking = 'generic'");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION hnsw');

# A physical replication slot keeps the WAL until the standby has it.
# With wal_consistency_checking every generic record carries full-page
# images (about 200 kB of WAL per row inserted into an index here, some
# 900 MB in all), so the primary writes WAL faster than a busy standby may
# take it, and without the slot its checkpoints remove segments the
# standby still needs.
$primary->safe_psql('postgres',
	"SELECT pg_create_physical_replication_slot('standby_slot')");
$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->append_conf('postgresql.conf', "primary_slot_name = 'standby_slot'");
$standby->start;
is($standby->safe_psql('postgres', 'SHOW wal_consistency_checking'),
	'generic', 'standby: wal_consistency_checking is on');

# Seeded data: 3000 vectors of 8 dimensions, small integers so that the
# same query gives the same distances everywhere
$primary->safe_psql(
	'postgres', q{
	SELECT setseed(0.5);
	CREATE TABLE items (id int PRIMARY KEY, v vector(8));
	INSERT INTO items
	SELECT id, ARRAY(SELECT floor(random() * 100 + 0 * id)::real
					 FROM generate_series(1, 8))::vector
	FROM generate_series(1, 3000) id;
	CREATE TABLE queries (qid int PRIMARY KEY, q vector(8));
	INSERT INTO queries
	SELECT qid, ARRAY(SELECT floor(random() * 100 + 0 * qid)::real
					  FROM generate_series(1, 8))::vector
	FROM generate_series(1, 20) qid;
	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops);
	CREATE INDEX items_cos ON items USING hnsw (v vector_cosine_ops) WITH (m = 8, ef_construction = 32);
	CREATE UNLOGGED TABLE scratch (id int, v vector(8));
	INSERT INTO scratch SELECT id, v FROM items WHERE id <= 500;
	CREATE INDEX scratch_l2 ON scratch USING hnsw (v vector_l2_ops);
});

# Changes after the build: inserts (one by one), deletes and vacuum, more
# inserts (which may reuse nothing or everything), REINDEX, and an index
# built concurrently
$primary->safe_psql(
	'postgres', q{
	INSERT INTO items
	SELECT id, ARRAY(SELECT floor(random() * 100 + 0 * id)::real
					 FROM generate_series(1, 8))::vector
	FROM generate_series(3001, 4000) id;
	DELETE FROM items WHERE id % 5 = 0;
	VACUUM items;
	INSERT INTO items
	SELECT id, ARRAY(SELECT floor(random() * 100 + 0 * id)::real
					 FROM generate_series(1, 8))::vector
	FROM generate_series(4001, 4500) id;
	UPDATE items SET v = v + '[1,1,1,1,1,1,1,1]' WHERE id % 7 = 0;
	REINDEX INDEX items_cos;
	INSERT INTO scratch SELECT id, v FROM items WHERE id > 4000;
	DELETE FROM scratch WHERE id % 3 = 0;
	VACUUM scratch;
	REINDEX INDEX scratch_l2;
});
$primary->safe_psql('postgres',
	'CREATE INDEX CONCURRENTLY items_l1 ON items USING hnsw (v vector_l1_ops)');
$primary->safe_psql('postgres', 'REINDEX INDEX CONCURRENTLY items_l2');
$primary->safe_psql('postgres', 'VACUUM items');

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

# The k nearest neighbours of every query, through the index
sub knn
{
	my ($node, $op) = @_;
	return $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		SELECT q.qid, array_agg(n.id ORDER BY n.ord)
		FROM queries q,
			LATERAL (SELECT id, row_number() OVER () AS ord FROM
						(SELECT id FROM items ORDER BY v $op q.q LIMIT 10) s) n
		GROUP BY q.qid ORDER BY q.qid;
	});
}

my %primary_check;
foreach my $case ([ '<->', 'items_l2' ], [ '<=>', 'items_cos' ], [ '<+>', 'items_l1' ])
{
	my ($op, $index) = @$case;

	my $plan = $standby->safe_psql('postgres',
		"SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v $op '[1,2,3,4,5,6,7,8]' LIMIT 10"
	);
	like($plan, qr/Index Scan using $index/, "standby: $index serves $op");

	my $p = knn($primary, $op);
	my $s = knn($standby, $op);
	is($s, $p, "standby: $index returns what the primary returns");
	is(scalar(split /\n/, $s), 20, "standby: $index answers every query");

	# hnsw_index_check must work on a hot standby too (as amcheck's
	# bt_index_check does)
	my $pc = $primary->safe_psql('postgres', "SELECT * FROM hnsw_index_check('$index')");
	my ($ret, $sc, $err) =
	  $standby->psql('postgres', "SELECT * FROM hnsw_index_check('$index')");
	is($ret, 0, "standby: hnsw_index_check on $index runs") or diag($err);
	note("$index: hnsw_index_check on the primary: $pc, on the standby: $sc");
	$primary_check{$index} = $pc;
	is($sc, $pc, "standby: hnsw_index_check on $index passes, same counts as the primary");
	my ($elements, $heap_tids) = split /\|/, $pc;
	my $live = $standby->safe_psql('postgres', 'SELECT count(*) FROM items');
	is($heap_tids, $live, "$index has a heap TID per row");
}

# The unlogged table has no data on the standby
my ($ret, $stdout, $stderr) = $standby->psql('postgres', 'SELECT count(*) FROM scratch');
isnt($ret, 0, 'standby: the unlogged table cannot be read');
like($stderr, qr/cannot access temporary or unlogged relations during recovery/,
	'standby: unlogged table error');

# More changes after that, and the standby still follows
$primary->safe_psql(
	'postgres', q{
	INSERT INTO items VALUES (5001, '[50,50,50,50,50,50,50,50]');
	INSERT INTO scratch VALUES (5001, '[50,50,50,50,50,50,50,50]');
});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is( $standby->safe_psql(
		'postgres',
		"SET enable_seqscan = off; SELECT id FROM items ORDER BY v <-> '[50,50,50,50,50,50,50,50]' LIMIT 1"
	),
	'5001',
	'standby: a row inserted later is found');

# Promoted, the standby resets the unlogged index to its init fork: an
# empty index that takes inserts
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby did not leave recovery';
# the replayed indexes pass the check, with the primary's counts (plus the
# row inserted after the first comparison)
foreach my $index (sort keys %primary_check)
{
	my ($e, $h, $r) = split /\|/, $primary_check{$index};
	is( $standby->safe_psql('postgres', "SELECT * FROM hnsw_index_check('$index')"),
		join('|', $e + 1, $h + 1, $r + 1),
		"promoted: hnsw_index_check on $index");
}
is($standby->safe_psql('postgres', "SELECT * FROM hnsw_index_check('scratch_l2')"),
	'0|0|0', 'promoted: the unlogged index is empty');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM scratch'),
	'0', 'promoted: the unlogged table is empty');
$standby->safe_psql('postgres',
	"INSERT INTO scratch SELECT id, v FROM items WHERE id <= 100");
is( $standby->safe_psql(
		'postgres',
		"SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM scratch ORDER BY v <-> '[1,1,1,1,1,1,1,1]' LIMIT 10) s"
	),
	'10',
	'promoted: the unlogged index takes rows and answers');
my $sc = $standby->safe_psql('postgres', "SELECT elements, heap_tids FROM hnsw_index_check('scratch_l2')");
my ($e, $h) = split /\|/, $sc;
is($h, $standby->safe_psql('postgres', 'SELECT count(*) FROM scratch'),
	'promoted: hnsw_index_check on the unlogged index');

# No replay failure: the consistency checks found nothing
check_replay_log($standby);

$standby->stop;
$primary->stop;
done_testing();

#-------------------------------------------------------------------------
#
# 012_reachable.pl
#	  Every element of an hnsw index stays reachable from the entry point:
#	  after the build, after inserts (one session and concurrent clients),
#	  and after VACUUM, on data made to provoke lost elements.
#
# A full list that takes a new member gives up its furthest one; if that
# was the member's last way in, no search can find it any more.  Small m
# and ef_construction, duplicates and tight clusters make such evictions
# frequent.  Before every element was kept reachable, these data sets left
# hundreds of elements unreachable (5,000 x 64-d at m = 4,
# ef_construction = 8: 533 after the build; 3,000 rows inserted one by one
# at m = 4: about 280).
#
# After every phase:
#   - hnsw_index_check passes and reports reachable = elements;
#   - an unlimited relaxed_order scan through the index returns every row
#	  of the table once.
# Both are exact: there is no threshold.
#
# IDENTIFICATION
#	  test/t/012_reachable.pl
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

my $node = hnsw_node(
	'reachable', q{
maintenance_work_mem = '256MB'
max_wal_size = '2GB'
synchronous_commit = off
});

# The index is complete: every element reachable, every row found by a
# scan of the whole index.
sub check_reachable
{
	my ($table, $index, $phase) = @_;
	my ($elements, $heap_tids, $reachable) = check_index($node, $index, $phase);
	is($reachable, $elements,
		"$phase: $index: all $elements elements reachable");
	my ($rows, $found) = split /\|/, $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		SET hnsw.iterative_scan = relaxed_order;
		SET hnsw.max_scan_tuples = 100000000;
		SET hnsw.scan_mem_multiplier = 1000;
		SELECT (SELECT count(*) FROM $table WHERE v IS NOT NULL),
			   count(DISTINCT id)
		FROM (SELECT id FROM $table
			  ORDER BY v <-> (SELECT v FROM $table WHERE v IS NOT NULL ORDER BY id LIMIT 1)) s;
	});
	is($found, $rows, "$phase: $index: a scan of the whole index returns all $rows rows");
}

# A table of n random vectors of dim dimensions in [-1, 1), seeded.
sub uniform
{
	my ($table, $n, $dim, $seed) = @_;
	$node->safe_psql(
		'postgres', qq{
		SELECT setseed($seed);
		CREATE TABLE $table (id int PRIMARY KEY, v vector($dim));
		INSERT INTO $table
		SELECT id, ARRAY(SELECT (random() * 2 - 1 + 0 * id)::real
						 FROM generate_series(1, $dim))::vector
		FROM generate_series(1, $n) id;
	});
}

# 1. Uniform data, the smallest lists: build, delete a third, vacuum.
uniform('u64', 5000, 64, 0.42);
$node->safe_psql('postgres',
	'CREATE INDEX u64_idx ON u64 USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 8)');
check_reachable('u64', 'u64_idx', 'uniform, m = 4: build');
$node->safe_psql('postgres', 'DELETE FROM u64 WHERE id % 3 = 0 OR id BETWEEN 1000 AND 1500; VACUUM u64');
check_reachable('u64', 'u64_idx', 'uniform, m = 4: delete and vacuum');

# 2. 128 dimensions, m = 8.
uniform('u128', 4000, 128, 0.17);
$node->safe_psql('postgres',
	'CREATE INDEX u128_idx ON u128 USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 32)');
check_reachable('u128', 'u128_idx', 'uniform, m = 8: build');

# 3. Tight clusters, and duplicates: 3,000 rows around 10 centres, of
# which every fifth row repeats the centre exactly (an element holds 4 heap
# TIDs, so identical vectors also make several elements at distance 0).
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.77);
	CREATE TABLE clus (id int PRIMARY KEY, v vector(16));
	CREATE TABLE centres (c int PRIMARY KEY, v real[]);
	INSERT INTO centres
	SELECT c, ARRAY(SELECT (random() * 200 - 100 + 0 * c)::real FROM generate_series(1, 16))
	FROM generate_series(0, 9) c;
	INSERT INTO clus
	SELECT id,
		   CASE WHEN id % 5 = 0 THEN (SELECT v FROM centres WHERE c = id % 10)::vector
		   ELSE ARRAY(SELECT (x + random() * 0.01 - 0.005)::real
					  FROM unnest((SELECT v FROM centres WHERE c = id % 10)) x)::vector END
	FROM generate_series(1, 3000) id;
	CREATE INDEX clus_idx ON clus USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 8);
});
check_reachable('clus', 'clus_idx', 'clusters and duplicates: build');

# 4. On-disk inserts: a small build, then 3,000 rows in one statement,
# then more from two concurrent clients, one row per transaction.
uniform('ins', 100, 32, 0.5);
$node->safe_psql(
	'postgres', q{
	CREATE INDEX ins_idx ON ins USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 8);
	SELECT setseed(0.51);
	INSERT INTO ins
	SELECT id, ARRAY(SELECT (random() * 2 - 1 + 0 * id)::real FROM generate_series(1, 32))::vector
	FROM generate_series(101, 3100) id;
});
check_reachable('ins', 'ins_idx', 'inserts, m = 4: one session');

$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.52);
	CREATE TABLE pending (id int PRIMARY KEY, v vector(32));
	INSERT INTO pending
	SELECT id, ARRAY(SELECT (random() * 2 - 1 + 0 * id)::real FROM generate_series(1, 32))::vector
	FROM generate_series(3101, 4100) id;
	CREATE SEQUENCE pending_seq START 3101;
});
my $script = $node->basedir . '/insert.sql';
PostgreSQL::Test::Utils::append_to_file($script,
	"INSERT INTO ins SELECT id, v FROM pending WHERE id = nextval('pending_seq');\n");
$node->command_ok(
	[
		'pgbench', '-n', '-c', '2', '-j', '2', '-t', '500', '-f', $script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'pgbench: 2 clients insert 1,000 rows one at a time');
check_reachable('ins', 'ins_idx', 'inserts, m = 4: two clients');

# Duplicates inserted on disk: the same 50 vectors again and again.
$node->safe_psql('postgres',
	'INSERT INTO ins SELECT 10000 + id, v FROM ins WHERE id <= 50; '
	  . 'INSERT INTO ins SELECT 20000 + id, v FROM ins WHERE id <= 50; '
	  . 'INSERT INTO ins SELECT 30000 + id, v FROM ins WHERE id <= 250');
check_reachable('ins', 'ins_idx', 'inserts, m = 4: duplicates');

# Delete half, vacuum, insert into the freed space, vacuum again.
$node->safe_psql('postgres', 'DELETE FROM ins WHERE id % 2 = 0; VACUUM ins');
check_reachable('ins', 'ins_idx', 'inserts, m = 4: delete half and vacuum');
$node->safe_psql(
	'postgres', q{
	SELECT setseed(0.53);
	INSERT INTO ins
	SELECT id, ARRAY(SELECT (random() * 2 - 1 + 0 * id)::real FROM generate_series(1, 32))::vector
	FROM generate_series(40001, 41500) id;
});
check_reachable('ins', 'ins_idx', 'inserts, m = 4: inserts after vacuum');
$node->safe_psql('postgres', 'DELETE FROM ins WHERE id % 3 = 0; VACUUM ins');
check_reachable('ins', 'ins_idx', 'inserts, m = 4: second vacuum');

# The walk's memory follows the index's size in blocks.  16,000 vectors of
# 2,000 dimensions take a page each: with maintenance_work_mem at its
# minimum the walk does not fit, and VACUUM says so instead of failing.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE big (id int, v vector(2000)) WITH (autovacuum_enabled = off);
	INSERT INTO big
	SELECT i, array_fill((i % 97)::real, ARRAY[1999]) || ARRAY[i::real]
	FROM generate_series(1, 16000) i;
	CREATE INDEX big_idx ON big USING hnsw (v vector_l2_ops) WITH (m = 2, ef_construction = 8);
	DELETE FROM big WHERE id % 2 = 0;
});
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET maintenance_work_mem = '1MB'; VACUUM (INDEX_CLEANUP ON) big");
is($ret, 0, 'VACUUM with too little memory for the walk succeeds');
like(
	$stderr,
	qr/NOTICE:  index "big_idx" was not checked for unreachable elements\nDETAIL:  The check needs \d+ kB of memory.\nHINT:  Increase maintenance_work_mem to at least \d+ kB./,
	'and says that it did not walk the index, and what memory it needs');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET maintenance_work_mem = '64MB'; VACUUM big");
is($stderr, '', 'with enough memory it walks the index without a notice');
check_reachable('big', 'big_idx', '2,000 dimensions, m = 2: vacuum');

$node->stop;
done_testing();

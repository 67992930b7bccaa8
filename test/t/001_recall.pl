#-------------------------------------------------------------------------
#
# 001_recall.pl
#	  Recall of hnsw index scans against exact search, for every operator
#	  class: after the build, after inserting more rows, and after deleting
#	  some and vacuuming.
#
# 10,000 seeded pseudo-random vectors of 32 dimensions (coordinates
# uniform in [-1, 1)) are indexed with the default options (m = 16,
# ef_construction = 64); 50 seeded query vectors of the same distribution
# ask for their 10 nearest neighbours at hnsw.ef_search = 100.  The exact
# answer is the same query with index scans disabled.  Then 2,000 more
# rows are inserted one by one through the index's insert path, then
# every tenth row is deleted and the table vacuumed, and recall is
# measured again each time.  hnsw_index_check runs after every phase.
#
# Threshold: recall@10 >= 0.99 over the 50 queries, the bar set for the
# project; l1 after the inserts is held to the specification for recall
# after inserts, >= 0.98 at ef_search 100, instead.
#
# The run is the same every time: the build draws levels from a generator
# with a fixed seed, and an insert makes its level from the heap TID, so
# the same rows in the same order give the same graph (with any distance
# kernel here: AVX-512, AVX2 and scalar gave the same recalls).  Recall
# after build / insert / vacuum (x86-64): l2 0.990 / 0.994 / 0.990, ip
# 0.994 / 0.992 / 0.990, cosine 0.990 / 0.996 / 0.994, l1 0.994 / 0.986 /
# 0.992.  l2, ip and cosine have compact codes (the default, quantization
# auto): a scan reads only the neighbours whose estimated distance can
# still enter the best ef_search, which costs some recall at a given
# ef_search for fewer reads (src/README.md, "Compact codes"); with
# hnsw.use_codes = off the same indexes give 0.994-0.998.  So l2 after the
# build and l2 and ip after the vacuum are at the bar itself: a change that
# loses one more of these 500 neighbours fails the test.  (When inserts
# drew their levels at random, cosine after the vacuum ranged over
# 0.988-0.996 from run to run.)  Over the first 500 queries of the same
# seed, l2, ip and cosine give 0.991-0.997, but l1 only 0.989 / 0.983 /
# 0.985: these 50 queries are easier for l1 than most.
#
# IDENTIFICATION
#	  test/t/001_recall.pl
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

my $DIM = 32;
my $NROWS = 10000;
my $NMORE = 2000;
my $NQUERIES = 50;
my $K = 10;
my $EF_SEARCH = 100;
my $MIN_RECALL = 0.99;
# l1 after inserts: the specified bar for recall after inserts (see above)
my $MIN_RECALL_L1_INSERT = 0.98;

my $node = hnsw_node('recall', "maintenance_work_mem = '256MB'\n");

# Seeded data: rows 1..NROWS are indexed by the build, the next NMORE are
# inserted afterwards.  The "+ 0 * id" ties each array to its row, so that
# Postgres does not compute it only once.
$node->safe_psql(
	'postgres', qq{
	SELECT setseed(0.31);
	CREATE TABLE items (id int PRIMARY KEY, v vector($DIM));
	INSERT INTO items
	SELECT id, ARRAY(SELECT (random() * 2 - 1 + 0 * id)::real
					 FROM generate_series(1, $DIM))::vector
	FROM generate_series(1, $NROWS + $NMORE) id;
	CREATE TABLE queries (qid int PRIMARY KEY, q vector($DIM));
	INSERT INTO queries
	SELECT qid, ARRAY(SELECT (random() * 2 - 1 + 0 * qid)::real
					  FROM generate_series(1, $DIM))::vector
	FROM generate_series(1, $NQUERIES) qid;
});

# Recall@K of the index over all queries, for table t and operator op
sub recall
{
	my ($t, $op) = @_;
	my $knn = "SELECT q.qid, n.id FROM queries q,
		LATERAL (SELECT id FROM $t ORDER BY v $op q.q LIMIT $K) n";

	my $plan = $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		EXPLAIN (COSTS OFF) $knn;
	});
	like($plan, qr/Index Scan using ${t}_idx/, "$t: the index answers $op");

	return recall_at_k($node, $t, $op, k => $K, ef_search => $EF_SEARCH);
}

# hnsw_index_check: elements and heap TIDs must equal the rows indexed
sub check_phase
{
	my ($t, $phase, $nrows) = @_;
	my ($elements, $heap_tids, $reachable) = check_index($node, "${t}_idx", "$t $phase");
	note("$t $phase: elements $elements, heap_tids $heap_tids, reachable $reachable");
	is($heap_tids, $nrows, "$t $phase: hnsw_index_check heap TIDs");
	is($elements, $nrows, "$t $phase: hnsw_index_check elements")
	  if $phase ne 'vacuum';
	cmp_ok($elements, '>=', $nrows, "$t $phase: elements cover the live rows")
	  if $phase eq 'vacuum';
	return;
}

my @opclasses = (
	[ 'l2', 'vector_l2_ops', '<->' ],
	[ 'ip', 'vector_ip_ops', '<#>' ],
	[ 'cosine', 'vector_cosine_ops', '<=>' ],
	[ 'l1', 'vector_l1_ops', '<+>' ]);

foreach my $oc (@opclasses)
{
	my ($name, $opclass, $op) = @$oc;
	my $t = "items_$name";
	my $r;

	# build
	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE $t AS SELECT * FROM items WHERE id <= $NROWS;
		CREATE INDEX ${t}_idx ON $t USING hnsw (v $opclass);
		ANALYZE $t;
	});
	check_phase($t, 'build', $NROWS);
	$r = recall($t, $op);
	note("$t build: recall\@$K = $r");
	cmp_ok($r, '>=', $MIN_RECALL, "$t build: recall\@$K $r >= $MIN_RECALL");

	# inserts, one row at a time through aminsert
	$node->safe_psql('postgres',
		"INSERT INTO $t SELECT * FROM items WHERE id > $NROWS ORDER BY id");
	check_phase($t, 'insert', $NROWS + $NMORE);
	$r = recall($t, $op);
	note("$t insert: recall\@$K = $r");
	my $min_insert = $name eq 'l1' ? $MIN_RECALL_L1_INSERT : $MIN_RECALL;
	cmp_ok($r, '>=', $min_insert, "$t insert: recall\@$K $r >= $min_insert");

	# delete every tenth row, vacuum
	$node->safe_psql('postgres', "DELETE FROM $t WHERE id % 10 = 0");
	$node->safe_psql('postgres', "VACUUM (INDEX_CLEANUP ON) $t");
	check_phase($t, 'vacuum', ($NROWS + $NMORE) * 9 / 10);
	$r = recall($t, $op);
	note("$t vacuum: recall\@$K = $r");
	cmp_ok($r, '>=', $MIN_RECALL, "$t vacuum: recall\@$K $r >= $MIN_RECALL");

	$node->safe_psql('postgres', "DROP TABLE $t");
}

$node->stop;
done_testing();

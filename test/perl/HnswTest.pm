#-------------------------------------------------------------------------
#
# HnswTest.pm
#	  What the TAP tests of hnsw share: a cluster with the extension,
#	  seeded vectors, recall against exact search, and the invariant
#	  checker.
#
#   use FindBin;
#   use lib "$FindBin::RealBin/../perl";
#   use HnswTest;
#
#   my $node = hnsw_node('name', "max_wal_size = '2GB'\n");
#   create_vec_function($node, 16);           # vec(seed) -> vector(16)
#   my $r = recall_at_k($node, 'items', '<->', ef_search => 100);
#   my ($elements, $heap_tids, $reachable) = check_index($node, 'items_v');
#   my $r = recall_by_distance($node, 'items', 'v', '<~>', ef_search => 100);
#
# IDENTIFICATION
#	  test/perl/HnswTest.pm
#
#-------------------------------------------------------------------------
package HnswTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use Test::More;

our @EXPORT =
  qw(hnsw_node create_vec_function recall_at_k recall_by_distance check_index);

# A new cluster, started, with autovacuum off (tests vacuum when they mean
# to), the extra postgresql.conf lines given, and CREATE EXTENSION hnsw
# done in database postgres.
sub hnsw_node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init;
	$node->append_conf('postgresql.conf', "autovacuum = off\n" . ($conf // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION hnsw');
	return $node;
}

# vec(seed): a vector of $dim values in [-1, 1), a function of the seed
# (an md5 hash), so that any session can compute the same vector again.
sub create_vec_function
{
	my ($node, $dim) = @_;

	$node->safe_psql(
		'postgres', qq{
		CREATE FUNCTION vec(seed bigint) RETURNS vector($dim)
		IMMUTABLE PARALLEL SAFE LANGUAGE sql AS \$\$
			SELECT ARRAY(
				SELECT (('x' || substr(md5(seed || ':' || d), 1, 8))::bit(32)::int / 2147483648.0)::real
				FROM generate_series(1, $dim) d)::vector($dim)
		\$\$;
	});
	return;
}

# Recall@k of index scans of $table (columns id, v) ordered by $op against
# the same queries with index scans off, over the query vectors q of table
# queries (qid, q): the fraction of the exact neighbours the index finds,
# rounded to 4 places.  Options: k (10), ef_search (100), queries
# ('queries').
sub recall_at_k
{
	my ($node, $table, $op, %opt) = @_;
	my $k = $opt{k} // 10;
	my $ef = $opt{ef_search} // 100;
	my $queries = $opt{queries} // 'queries';
	my $knn = "SELECT q.qid, n.id FROM $queries q,
		LATERAL (SELECT id FROM $table ORDER BY v $op q.q LIMIT $k) n";

	return $node->safe_psql(
		'postgres', qq{
		SET enable_indexscan = off;
		CREATE TEMP TABLE exact AS $knn;
		RESET enable_indexscan;
		SET enable_seqscan = off;
		SET hnsw.ef_search = $ef;
		CREATE TEMP TABLE approx AS $knn;
		SELECT round((SELECT count(*) FROM exact JOIN approx USING (qid, id))::numeric
					 / (SELECT count(*) FROM exact), 4);
	});
}

# Recall@k of index scans of $table ordered by $expr $op q, over the query
# vectors q of table queries (qid, q), measured by distance rather than by
# row: a row the index returns counts as a true neighbour if its distance
# is at most the k-th distance of the exact search (index scans off).  With
# ties (Hamming distances are small integers) any of the tied rows is as
# good as another, and this is what makes the measure deterministic.  The
# distance of a returned row is computed by the operator itself in both
# searches, so the two compare exactly.  Returns the fraction, rounded to 4
# places, and the number of queries for which the index returned fewer than
# k rows.  Options: k (10), ef_search (100), queries ('queries'), where (a
# condition on the rows, '' for none).
sub recall_by_distance
{
	my ($node, $table, $expr, $op, %opt) = @_;
	my $k = $opt{k} // 10;
	my $ef = $opt{ef_search} // 100;
	my $queries = $opt{queries} // 'queries';
	my $where = $opt{where} ? "WHERE $opt{where}" : '';
	my $knn = "SELECT q.qid, n.d FROM $queries q,
		LATERAL (SELECT $expr $op q.q AS d FROM $table $where
				 ORDER BY $expr $op q.q LIMIT $k) n";

	my $out = $node->safe_psql(
		'postgres', qq{
		SET enable_indexscan = off;
		CREATE TEMP TABLE exact AS $knn;
		RESET enable_indexscan;
		SET enable_seqscan = off;
		SET hnsw.ef_search = $ef;
		CREATE TEMP TABLE approx AS $knn;
		WITH kth AS (SELECT qid, max(d) AS d, count(*) AS n FROM exact GROUP BY qid)
		SELECT round((SELECT count(*) FROM approx a JOIN kth USING (qid)
					  WHERE a.d <= kth.d)::numeric
					 / (SELECT sum(n) FROM kth), 4),
			   (SELECT count(*) FROM kth
				WHERE n > (SELECT count(*) FROM approx a WHERE a.qid = kth.qid));
	});
	return split /\|/, $out;
}

# hnsw_index_check($index): one passing test, and its counts (elements,
# heap TIDs, reachable); the error is shown if the check fails.
sub check_index
{
	my ($node, $index, $phase) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT elements, heap_tids, reachable FROM hnsw_index_check('$index')");

	is($ret, 0, ($phase ? "$phase: " : '') . "hnsw_index_check passes on $index")
	  or diag($err);
	return split /\|/, $out;
}

1;

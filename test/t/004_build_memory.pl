#-------------------------------------------------------------------------
#
# 004_build_memory.pl
#	  An hnsw build whose graph outgrows maintenance_work_mem: the NOTICE
#	  with its DETAIL (the memory the graph needs) and HINT, and an index as
#	  good as any other.  See also 017_parallel_build.pl.
#
# The tuple count in the NOTICE depends on how the build accounts for its
# memory, so it is matched as a number here rather than fixed in a
# pg_regress expected file.
#
# IDENTIFICATION
#	  test/t/004_build_memory.pl
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

my $node = hnsw_node('buildmem');

$node->safe_psql(
	'postgres', q{
	CREATE TABLE wide (id int, v vector(2000));
	INSERT INTO wide SELECT id, array_fill(id::real, ARRAY[2000])::vector
	FROM generate_series(1, 300) id;
	SELECT setseed(0.125);
	CREATE TABLE items (id int PRIMARY KEY, v vector(32));
	INSERT INTO items
	SELECT id, ARRAY(SELECT (random() * 2 - 1 + 0 * id)::real
					 FROM generate_series(1, 32))::vector
	FROM generate_series(1, 3000) id;
	CREATE TABLE queries (qid int PRIMARY KEY, q vector(32));
	INSERT INTO queries
	SELECT qid, ARRAY(SELECT (random() * 2 - 1 + 0 * qid)::real
					  FROM generate_series(1, 32))::vector
	FROM generate_series(1, 30) qid;
	-- the NOTICE's figure comes from the table's statistics
	ANALYZE wide;
	ANALYZE items;
});

# 300 vectors of 2000 dimensions (8 kB each) do not fit into 1MB
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET maintenance_work_mem = '1MB'; CREATE INDEX wide_idx ON wide USING hnsw (v vector_l2_ops)");
is($ret, 0, 'the build succeeds');
like(
	$stderr,
	qr/NOTICE:  hnsw graph no longer fits into maintenance_work_mem after (\d+) tuples\nDETAIL:  The graph needs about (\d+) MB; the rest of it is built in a temporary file\.\nHINT:  Increase maintenance_work_mem to speed up builds\./,
	'NOTICE with DETAIL and HINT');
my ($need) = $stderr =~ /needs about (\d+) MB/;
# 300 values of 8 kB: at least 2.4 MB, and not wildly more
ok(defined $need && $need >= 2 && $need <= 8, 'the DETAIL gives the memory the graph needs: ' . ($need // '?') . ' MB');
my ($n) = $stderr =~ /after (\d+) tuples/;
note("overflow after " . ($n // '?') . " tuples");
ok(defined $n && $n > 0 && $n < 300, 'the NOTICE counts the tuples that fitted');
is($node->safe_psql('postgres', "SELECT * FROM hnsw_index_check('wide_idx')"),
	'300|300|300', 'hnsw_index_check after the overflowing build');
is( $node->safe_psql(
		'postgres',
		"SET enable_seqscan = off; SELECT array_agg(id) FROM (SELECT id FROM wide ORDER BY v <-> array_fill(150.25::real, ARRAY[2000])::vector LIMIT 5) s"
	),
	'{150,151,149,152,148}',
	'exact answer from the overflowing build');

# With enough memory, no NOTICE
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET maintenance_work_mem = '64MB'; CREATE INDEX wide_idx2 ON wide USING hnsw (v vector_l2_ops)");
is($ret, 0, 'the build with enough memory succeeds');
unlike($stderr, qr/no longer fits/, 'no NOTICE with enough memory');

# 3000 random vectors of 32 dimensions with 1MB: recall as good as an
# in-memory build (same threshold as 001_recall.pl)
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET maintenance_work_mem = '1MB'; CREATE INDEX items_idx ON items USING hnsw (v vector_l2_ops)");
is($ret, 0, 'the 32-d build succeeds');
like($stderr, qr/no longer fits into maintenance_work_mem/, 'the 32-d build overflows too');
is($node->safe_psql('postgres', "SELECT elements, heap_tids FROM hnsw_index_check('items_idx')"),
	'3000|3000', 'hnsw_index_check after the 32-d build');
my $recall = recall_at_k($node, 'items', '<->', ef_search => 100);
note("recall\@10 after an overflowing build: $recall");
cmp_ok($recall, '>=', 0.99, "recall\@10 $recall >= 0.99");

$node->stop;
done_testing();

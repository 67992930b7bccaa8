#-------------------------------------------------------------------------
#
# 003_dump_restore.pl
#	  pg_dump -Fc of a database with hnsw indexes, pg_restore into a fresh
#	  database: the indexes come back with their options, are used, give
#	  the same answers and pass hnsw_index_check.
#
# IDENTIFICATION
#	  test/t/003_dump_restore.pl
#
#-------------------------------------------------------------------------
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql(
	'source', q{
	CREATE EXTENSION hnsw;
	SELECT setseed(0.75);
	CREATE TABLE items (id int PRIMARY KEY, v vector(4));
	INSERT INTO items
	SELECT id, ARRAY(SELECT floor(random() * 50 + 0 * id)::real
					 FROM generate_series(1, 4))::vector
	FROM generate_series(1, 2000) id;
	INSERT INTO items VALUES (2001, NULL), (2002, '[0,0,0,0]');
	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 40);
	CREATE INDEX items_cos ON items USING hnsw (v vector_cosine_ops);
	CREATE INDEX items_part ON items USING hnsw ((v::vector(4)) vector_l1_ops) WHERE id % 2 = 0;
	CREATE TABLE queries (qid int PRIMARY KEY, q vector(4));
	INSERT INTO queries
	SELECT qid, ARRAY(SELECT floor(random() * 50 + 0 * qid)::real
					  FROM generate_series(1, 4))::vector
	FROM generate_series(1, 10) qid;
});

my $dump = $node->basedir . '/source.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('source'), '-f', $dump ],
	'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE target');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('target'), $dump ],
	'pg_restore into a fresh database');

# Definitions, options and validity
my $defs = q{SELECT indexrelid::regclass, pg_get_indexdef(indexrelid), indisvalid
	FROM pg_index WHERE indrelid = 'items'::regclass ORDER BY indexrelid::regclass::text};
is($node->safe_psql('target', $defs), $node->safe_psql('source', $defs),
	'the indexes are restored with the same definitions');
like($node->safe_psql('target', $defs), qr/WITH \(m='?8'?, ef_construction='?40'?\)/,
	'index options are restored');

# The index is used, and answers like the one of the source.  An index
# rebuilt from the same rows is a different graph, so only the exact
# answers (small integer data, ef_search above the table's needs for the
# top 5) are compared across databases.
foreach my $case ([ '<->', 'items_l2', '' ], [ '<=>', 'items_cos', '' ],
	[ '<+>', 'items_part', 'WHERE id % 2 = 0' ])
{
	my ($op, $index, $where) = @$case;
	my $expr = $index eq 'items_part' ? 'v::vector(4)' : 'v';
	my $plan = $node->safe_psql('target',
		"SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM items $where ORDER BY $expr $op '[1,2,3,4]' LIMIT 5"
	);
	like($plan, qr/Index Scan using $index/, "restored: $index serves $op");

	my $knn = qq{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 400;
		SELECT q.qid, array_agg(n.d ORDER BY n.d)
		FROM queries q,
			LATERAL (SELECT $expr $op q.q AS d FROM items $where
					 ORDER BY $expr $op q.q LIMIT 5) n
		GROUP BY q.qid ORDER BY q.qid};
	is($node->safe_psql('target', $knn), $node->safe_psql('source', $knn),
		"restored: $index gives the same distances for every query");

	my $count = $node->safe_psql('target',
		"SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM items $where ORDER BY $expr $op (SELECT NULL::vector)) s"
	);
	is($count, $node->safe_psql('source',
		"SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM items $where ORDER BY $expr $op (SELECT NULL::vector)) s"),
		"restored: $index holds the same rows");

	my $check = q{SELECT elements, heap_tids FROM hnsw_index_check('} . $index . q{')};
	is($node->safe_psql('target', $check), $node->safe_psql('source', $check),
		"restored: hnsw_index_check on $index, same counts");
	my ($e, $h, $r) = split /\|/,
	  $node->safe_psql('target', "SELECT * FROM hnsw_index_check('$index')");
	note("$index restored: elements $e, heap_tids $h, reachable $r");
}

# The restored indexes take inserts
$node->safe_psql('target', "INSERT INTO items VALUES (3000, '[100,100,100,100]')");
is( $node->safe_psql(
		'target',
		"SET enable_seqscan = off; SELECT id FROM items ORDER BY v <-> '[99,99,99,99]' LIMIT 1"),
	'3000',
	'restored: a new row is found');
is($node->safe_psql('target', "SELECT heap_tids FROM hnsw_index_check('items_l2')"),
	'2002', 'restored: hnsw_index_check after an insert');

$node->stop;
done_testing();

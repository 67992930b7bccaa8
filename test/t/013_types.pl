#-------------------------------------------------------------------------
#
# 013_types.pl
#	  hnsw indexes over halfvec, bit and sparsevec: recall, the invariant
#	  checker, iterative scans, unlogged tables and a streaming standby with
#	  wal_consistency_checking, for every operator class of 0.2.0.
#
# Seeded clustered data (md5 of a seed, so that every session and both
# nodes compute the same values): 20 clusters, each point its cluster's
# centre plus noise.
#	 - halfvec(64): 1,500 rows, indexes of halfvec_l2_ops, _ip_ops,
#	   _cosine_ops and _l1_ops;
#	 - bit(256): binary_quantize of 1,500 vectors of 256 dimensions,
#	   indexes of bit_hamming_ops and bit_jaccard_ops on a bit(256)
#	   column, and an expression index
#	   ((binary_quantize(v)::bit(256)) bit_hamming_ops) on the vector
#	   column they come from;
#	 - sparsevec(1000): 1,500 rows of 10 to 40 non-zeros, indexes of
#	   sparsevec_l2_ops, _ip_ops, _cosine_ops and _l1_ops.
# Phases: the build, 200 single-row inserts per table from 2 concurrent
# pgbench clients, then DELETE of half the rows and VACUUM (INDEX_CLEANUP
# ON).  After each phase, for every index:
#	 - recall@10 at ef_search 100 against exact search with the same
#	   operator (a sequential scan), above a threshold;
#	 - hnsw_index_check passes, with elements = rows, heap_tids = rows and
#	   reachable = elements;
#	 - a relaxed_order iterative scan with a WHERE filter returns every
#	   matching row;
#	 - the standby (wal_consistency_checking = 'generic' replays every
#	   generic record against the primary's full-page image) returns the
#	   primary's rows for every query, and hnsw_index_check passes there
#	   with the primary's counts.
# Then an UNLOGGED table of each type, after an immediate stop, has an
# empty index that takes inserts and answers.
#
# IDENTIFICATION
#	  test/t/013_types.pl
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
# The standby inherits wal_consistency_checking through the base backup.
$primary->append_conf(
	'postgresql.conf', q{
wal_consistency_checking = 'generic'
autovacuum = off
max_wal_size = '2GB'
checkpoint_timeout = '1h'
});
$primary->start;
# A slot keeps the WAL (full-page images for every generic record) until
# the standby has replayed it.
my $standby = start_standby($primary);

# rnd(seed, d): a value in [-1, 1) from an md5 hash.  pt(i, dim): point i,
# of cluster i % 20: the cluster's centre plus noise of a third of its
# range.
$primary->safe_psql(
	'postgres', q{
	CREATE FUNCTION rnd(seed text, d int) RETURNS float8
	IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
		SELECT ('x' || substr(md5(seed || ':' || d), 1, 8))::bit(32)::int / 2147483648.0
	$$;
	CREATE FUNCTION pt(i bigint, dim int) RETURNS real[]
	IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
		SELECT ARRAY(SELECT (rnd('c' || i % 20, d) + 0.5 * rnd('p' || i, d))::real
					 FROM generate_series(1, dim) d)
	$$;
	CREATE SEQUENCE ids START 1501;

	CREATE TABLE hv (id int PRIMARY KEY, v halfvec(64));
	INSERT INTO hv SELECT i, pt(i, 64)::halfvec(64) FROM generate_series(1, 1500) i;
	CREATE TABLE hv_q (qid int PRIMARY KEY, q halfvec(64));
	INSERT INTO hv_q SELECT i, pt(100000 + i, 64)::halfvec(64) FROM generate_series(1, 20) i;

	CREATE TABLE bt (id int PRIMARY KEY, v vector(256), b bit(256));
	INSERT INTO bt SELECT i, v, binary_quantize(v)::bit(256)
	FROM generate_series(1, 1500) i, LATERAL (SELECT pt(i, 256)::vector(256) AS v) s;
	CREATE TABLE bt_q (qid int PRIMARY KEY, q bit(256));
	INSERT INTO bt_q SELECT i, binary_quantize(pt(100000 + i, 256)::vector(256))::bit(256)
	FROM generate_series(1, 20) i;
});

# spt(i): non-zeros at dimensions 1 + (53c + 37s) % 1000, for steps s
# all different (so are the dimensions): the cluster c's first 7 to 37
# steps (values: the cluster's plus noise) and 3 steps of the point's
# own beyond those, one in each of [41, 341), [341, 641), [641, 941):
# 10 to 40 non-zeros of 1,000 dimensions.
$primary->safe_psql(
	'postgres', q{
	CREATE FUNCTION spt(i bigint) RETURNS sparsevec
	IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
		SELECT ('{' || string_agg(1 + (53 * (i % 20) + 37 * s) % 1000 || ':' || val, ','
								  ORDER BY 1 + (53 * (i % 20) + 37 * s) % 1000)
				|| '}/1000')::sparsevec
		FROM (SELECT j AS s, rnd('sv' || i % 20, j) + 0.35 * rnd('sp' || i, j) AS val
			  FROM generate_series(1, 7 + floor((rnd('sn' || i, 0) + 1) * 15.5)::int) j
			  UNION ALL
			  SELECT 41 + 300 * (j - 1) + floor((rnd('so' || i, j) + 1) * 150)::int,
					 rnd('sw' || i, j)
			  FROM generate_series(1, 3) j) t
	$$;
	CREATE TABLE sp (id int PRIMARY KEY, v sparsevec(1000));
	INSERT INTO sp SELECT i, spt(i) FROM generate_series(1, 1500) i;
	CREATE TABLE sp_q (qid int PRIMARY KEY, q sparsevec(1000));
	INSERT INTO sp_q SELECT i, spt(100000 + i) FROM generate_series(1, 20) i;
});

# Every index: name, table, operator class, operator, the expression
# ordered by, and the query table.
#
# The recall@10 every index must reach at ef_search = 100 after each
# phase.  Measured over 3 runs of this test (the data and the build are
# deterministic; the concurrent inserts interleave differently each time):
# 1.0 for every index and phase but hv_cos after the build, 0.995 (6
# earlier runs saw 0.99 at least, but for sp_l2 below).  sp_l2 after
# delete and vacuum was 0.965 in every run before VACUUM's repair kept
# the direction of the longest edge a list loses (src/README.md, "Vacuum",
# step 3): a single query (qid 8, whose cluster lost half its rows) found
# 3 of its 10 neighbours up to ef_search = 200, as did a vector_l2_ops
# index of the same rows as vector(1000), while a REINDEX found all 10 at
# ef_search = 40; it finds all 10 now.  The threshold is
# some 0.045 below the lowest value seen, so that another interleaving or
# a small change in the graph's repair does not fail the test, while an
# index whose distance or value encoding is wrong (it then orders the rows
# differently from the exact search) loses far more than that.
my $min_recall = 0.95;
my @indexes = (
	[ 'hv_l2', 'hv', 'halfvec_l2_ops', '<->', 'v', 'hv_q' ],
	[ 'hv_ip', 'hv', 'halfvec_ip_ops', '<#>', 'v', 'hv_q' ],
	[ 'hv_cos', 'hv', 'halfvec_cosine_ops', '<=>', 'v', 'hv_q' ],
	[ 'hv_l1', 'hv', 'halfvec_l1_ops', '<+>', 'v', 'hv_q' ],
	[ 'bt_ham', 'bt', 'bit_hamming_ops', '<~>', 'b', 'bt_q' ],
	[ 'bt_jac', 'bt', 'bit_jaccard_ops', '<%>', 'b', 'bt_q' ],
	[ 'bt_bq', 'bt', 'bit_hamming_ops', '<~>', '(binary_quantize(v)::bit(256))', 'bt_q' ],
	[ 'sp_l2', 'sp', 'sparsevec_l2_ops', '<->', 'v', 'sp_q' ],
	[ 'sp_ip', 'sp', 'sparsevec_ip_ops', '<#>', 'v', 'sp_q' ],
	[ 'sp_cos', 'sp', 'sparsevec_cosine_ops', '<=>', 'v', 'sp_q' ],
	[ 'sp_l1', 'sp', 'sparsevec_l1_ops', '<+>', 'v', 'sp_q' ]);
my @tables = qw(hv bt sp);

# The data are what they should be: no two rows alike (so that every row
# is an element of its own), every sparse vector with 10 to 40 non-zeros
foreach my $case ([ 'hv', 'v' ], [ 'bt', 'b' ], [ 'sp', 'v' ])
{
	my ($table, $col) = @$case;
	is($primary->safe_psql('postgres', "SELECT count(DISTINCT $col) FROM $table"),
		'1500', "$table: 1500 distinct values");
}
is( $primary->safe_psql(
		'postgres',
		q{SELECT min(n) >= 10 AND max(n) <= 40 FROM
		  (SELECT length(v::text) - length(replace(v::text, ':', '')) AS n FROM sp) s}),
	't',
	'sp: 10 to 40 non-zeros per row');

foreach my $ix (@indexes)
{
	my ($name, $table, $opclass, $op, $expr) = @$ix;
	$primary->safe_psql('postgres',
		"CREATE INDEX $name ON $table USING hnsw (($expr) $opclass)");
}

# The nearest 10 rows of every query through an index, one line per query
sub knn
{
	my ($node, $ix) = @_;
	my ($name, $table, $opclass, $op, $expr, $q) = @$ix;
	return $node->safe_psql(
		'postgres', qq{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 100;
		SELECT q.qid, array_agg(n.id ORDER BY n.ord)
		FROM $q q,
			LATERAL (SELECT id, row_number() OVER () AS ord FROM
						(SELECT id FROM $table ORDER BY $expr $op q.q LIMIT 10) s) n
		GROUP BY q.qid ORDER BY q.qid;
	});
}

sub check_phase
{
	my ($phase) = @_;

	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
	foreach my $ix (@indexes)
	{
		my ($name, $table, $opclass, $op, $expr, $q) = @$ix;

		my $plan = $primary->safe_psql('postgres',
			"SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM $table ORDER BY $expr $op (SELECT q FROM $q LIMIT 1) LIMIT 10"
		);
		like($plan, qr/Index Scan using $name\b/, "$phase: $name serves $op");

		my ($recall, $short) =
		  recall_by_distance($primary, $table, $expr, $op, queries => $q);
		note("$phase: $name ($opclass): recall\@10 $recall");
		cmp_ok($recall, '>=', $min_recall,
			"$phase: $name: recall\@10 $recall >= $min_recall");
		is($short, '0', "$phase: $name returns 10 rows for every query");

		my $rows = $primary->safe_psql('postgres', "SELECT count(*) FROM $table");
		my ($elements, $heap_tids, $reachable) = check_index($primary, $name, $phase);
		is($elements,  $rows,     "$phase: $name: an element per row ($rows)");
		is($heap_tids, $rows,     "$phase: $name: a heap TID per row");
		is($reachable, $elements, "$phase: $name: every element reachable");

		# An iterative scan with a filter that keeps 1 row in 25 returns
		# every such row, though ef_search is small
		my $set = q{
			SET enable_seqscan = off;
			SET hnsw.iterative_scan = relaxed_order;
			SET hnsw.ef_search = 20;};
		my $filtered = qq{SELECT id FROM $table WHERE id % 25 = 3
			ORDER BY $expr $op (SELECT q FROM $q WHERE qid = 1) LIMIT 1000};
		like($primary->safe_psql('postgres', "$set EXPLAIN (COSTS OFF) $filtered"),
			qr/Index Scan using $name\b/, "$phase: $name serves the filtered scan");
		is( $primary->safe_psql('postgres',
				"$set SELECT array_agg(id ORDER BY id) FROM ($filtered) s"),
			$primary->safe_psql('postgres',
				"SELECT array_agg(id ORDER BY id) FROM $table WHERE id % 25 = 3"),
			"$phase: $name: a filtered relaxed_order scan returns every matching row");

		# The standby has the same pages: the same answers, the same counts
		is(knn($standby, $ix), knn($primary, $ix),
			"$phase: standby: $name returns the primary's rows");
		my ($ret, $sc, $err) =
		  $standby->psql('postgres', "SELECT * FROM hnsw_index_check('$name')");
		is($ret, 0, "$phase: standby: hnsw_index_check passes on $name") or diag($err);
		is($sc, "$elements|$heap_tids|$reachable",
			"$phase: standby: $name has the primary's counts");
	}
}

my $t0 = time;
check_phase('build');
note('build phase checked in ' . (time - $t0) . 's');

# 200 single-row inserts per table, from 2 clients at once
my $script = $primary->basedir . '/insert.sql';
append_to_file(
	$script, q{
SELECT nextval('ids') AS n \gset
INSERT INTO hv VALUES (:n, pt(:n, 64)::halfvec(64));
INSERT INTO bt SELECT :n, v, binary_quantize(v)::bit(256) FROM (SELECT pt(:n, 256)::vector(256) AS v) s;
INSERT INTO sp VALUES (:n, spt(:n));
});
$t0 = time;
$primary->command_ok(
	[
		'pgbench', '-n', '-c', '2', '-j', '2', '-t', '100', '-f', $script,
		'-h', $primary->host, '-p', $primary->port, 'postgres'
	],
	'pgbench: 2 clients insert 200 rows into each table');
note('inserts took ' . (time - $t0) . 's');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM hv'), '1700', 'hv has 1700 rows');
check_phase('inserts');

# Half the rows deleted, half of every cluster (id % 2 would take whole
# clusters, point i being of cluster i % 20, and leave the queries of
# those clusters far from every row), and vacuumed
foreach my $table (@tables)
{
	$primary->safe_psql('postgres', "DELETE FROM $table WHERE id / 20 % 2 = 0");
	vacuum_table($primary, $table);
}
check_phase('delete and vacuum');

# The standby replayed everything without a difference
is($standby->safe_psql('postgres', 'SELECT status FROM pg_stat_wal_receiver'),
	'streaming', 'the standby is still streaming');
check_replay_log($standby);
$standby->stop;

# Unlogged tables: after an immediate stop their indexes are reset to the
# init fork, empty, and take rows again
my @unlogged = (
	[ 'u_hv', 'halfvec(64)', 'halfvec_l2_ops', '<->', 'pt(i, 64)::halfvec(64)' ],
	[ 'u_bt', 'bit(256)', 'bit_hamming_ops', '<~>', 'binary_quantize(pt(i, 256)::vector(256))::bit(256)' ],
	[ 'u_sp', 'sparsevec(1000)', 'sparsevec_l2_ops', '<->', 'spt(i)' ]);
foreach my $u (@unlogged)
{
	my ($table, $type, $opclass, $op, $gen) = @$u;
	$primary->safe_psql(
		'postgres', qq{
		CREATE UNLOGGED TABLE $table (id int, v $type);
		INSERT INTO $table SELECT i, $gen FROM generate_series(1, 300) i;
		CREATE INDEX ${table}_v ON $table USING hnsw (v $opclass);
	});
	my ($e, $h) = check_index($primary, "${table}_v", 'unlogged');
	is($h, '300', "unlogged: ${table}_v has 300 rows before the restart");
}
$primary->stop('immediate');
$primary->start;
foreach my $u (@unlogged)
{
	my ($table, $type, $opclass, $op, $gen) = @$u;
	is($primary->safe_psql('postgres', "SELECT count(*) FROM $table"),
		'0', "after crash: $table is empty");
	is($primary->safe_psql('postgres', "SELECT * FROM hnsw_index_check('${table}_v')"),
		'0|0|0', "after crash: ${table}_v is empty");
	$primary->safe_psql('postgres',
		"INSERT INTO $table SELECT i, $gen FROM generate_series(1, 100) i");
	is( $primary->safe_psql(
			'postgres', qq{
			SET enable_seqscan = off;
			SELECT id FROM $table ORDER BY v $op (SELECT $gen FROM (SELECT 42 AS i) s) LIMIT 1}),
		'42',
		"after crash: ${table}_v takes rows and finds them");
	is($primary->safe_psql('postgres', "SELECT * FROM hnsw_index_check('${table}_v')"),
		'100|100|100', "after crash: hnsw_index_check on ${table}_v after inserts");
}

$primary->stop;
done_testing();

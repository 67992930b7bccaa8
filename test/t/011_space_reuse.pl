#-------------------------------------------------------------------------
#
# 011_space_reuse.pl
#	  Inserts at high dimensions, for every level an insert draws, and
#	  reuse of the space of deleted elements.
#
# For each configuration (dimensions, m) an index is created on an empty
# table, so that every element comes from the insert path, whose levels
# are random per backend.  Rows are inserted in batches until an element
# of level 2 exists (hnsw_index_stats reports 3 levels), so that the
# insert path has written elements of levels 0, 1 and 2; the probability
# of not getting one within the cap is below 1e-5 for m = 16.  At 2,000
# dimensions and m = 16 no element shares a page with its neighbour tuple;
# with m = 8, level 0 does and the higher levels do not; at 1,926
# dimensions and m = 16, levels 0 to 2 do.
#
# Then, twice: rows are deleted (every other row, at these sizes one
# element per page; then the odd ids, about three in four), VACUUM makes
# their elements reusable, and as many rows are inserted.  hnsw_index_check passes and counts a heap TID per row after
# every phase.  Where no element shares a page with its neighbour tuple,
# every insert must take the place of a deleted element, whatever level it
# draws: the index grows by one page at most (see below).
#
# That bound is for an index without codes (quantization = none, and auto
# at these dimensions).  With codes (format 4, quantization = rabitq), a
# neighbour tuple of 2,000 dimensions and m = 16 also holds 32 codes of 220
# bytes (1,664 bits), 7,240 bytes at level 0: a new one takes a page of its
# own.  An
# insert needs a new one only when no reusable neighbour tuple left holds
# its level, which never happens at level 0; so the same configuration
# with codes grows by a page at most per insert above level 0, one insert
# in m (see below).
#
# IDENTIFICATION
#	  test/t/011_space_reuse.pl
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
	'space_reuse', q{
synchronous_commit = off
max_wal_size = '1GB'
});

# Vectors of small integers, distinct for every id < 1009 * 1009
$node->safe_psql(
	'postgres', q{
	CREATE FUNCTION sr_vec(i int, d int) RETURNS vector
	LANGUAGE sql IMMUTABLE
	AS $$ SELECT array_agg((((i % 1009) * j + i / 1009) % 1009)::real ORDER BY j)::vector
		  FROM generate_series(1, d) j $$;
});

# hnsw_index_check passes and counts a heap TID per row; after a vacuum,
# which reconnects what is cut off, every element is reachable (inserts,
# which shrink full lists, may leave some element without a way in)
sub check_phase
{
	my ($table, $phase, $vacuumed) = @_;
	my $rows = $node->safe_psql('postgres', "SELECT count(*) FROM $table");
	my ($elements, $heap_tids, $reachable) = check_index($node, "${table}_idx", "$table, $phase");
	is($heap_tids, $rows, "$table, $phase: a heap TID per row ($rows)");
	is($reachable, $elements, "$table, $phase: every element is reachable")
	  if $vacuumed;
}

sub index_size
{
	my ($table) = @_;
	return $node->safe_psql('postgres', "SELECT pg_relation_size('${table}_idx')");
}

# [dimensions, m, rows at most, the bound on the index's growth: 'page'
# (one page at most), 'codes' (see below) or none, quantization]
my @configs = (
	[ 2000, 16, 3200, 'page', 'none' ],
	[ 2000, 16, 3200, 'codes', 'rabitq' ],
	[ 2000, 8, 1200, '', 'auto' ],
	[ 1926, 16, 3200, '', 'auto' ]);

foreach my $c (@configs)
{
	my ($d, $m, $maxrows, $bound, $quantization) = @$c;
	my $t = "sr_${d}_${m}_$quantization";
	my $batch = 100;
	my $n = 0;
	my $levels = 0;

	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE $t (id int, v vector($d));
		CREATE INDEX ${t}_idx ON $t USING hnsw (v vector_l2_ops)
			WITH (m = $m, quantization = $quantization);
	});
	while ($levels < 3 && $n < $maxrows)
	{
		$node->safe_psql('postgres',
			"INSERT INTO $t SELECT i, sr_vec(i, $d) FROM generate_series($n + 1, $n + $batch) i");
		$n += $batch;
		$levels = $node->safe_psql('postgres', "SELECT levels FROM hnsw_index_stats('${t}_idx')");
	}
	ok($levels >= 3, "$t: inserts drew levels 0 to 2 ($n rows, $levels levels)");
	check_phase($t, 'inserts');

	foreach my $round (1, 2)
	{
		my $deleted = $node->safe_psql('postgres',
			"WITH d AS (DELETE FROM $t WHERE id % 2 = $round - 1 RETURNING 1) SELECT count(*) FROM d");
		$node->safe_psql('postgres', "VACUUM (INDEX_CLEANUP ON) $t");
		check_phase($t, "round $round: delete and vacuum", 1);

		my $before = index_size($t);
		$node->safe_psql('postgres',
			"INSERT INTO $t SELECT i, sr_vec(i, $d) FROM generate_series($n + 1, $n + $deleted) i");
		$n += $deleted;
		check_phase($t, "round $round: $deleted inserts");
		my $after = index_size($t);
		note("$t, round $round: index grew by " . ($after - $before) . " bytes");
		if ($bound eq 'page')
		{
			# An insert whose level no reusable neighbour tuple can hold
			# gets a new one, on the page shared by such tuples, which may
			# be full: one page at most, where without reuse every insert
			# takes a page.
			cmp_ok($after - $before, '<=', 8192,
				"$t, round $round: the inserts reuse the space, the index grows by a page at most");
		}
		elsif ($bound eq 'codes')
		{
			# A page per insert above level 0, one in m of them: the
			# bound allows four times as many (a quarter of the inserts,
			# and one page), where without reuse every insert would take
			# two pages (a value of 8,000 bytes and a neighbour tuple of
			# 7,240).  Measured: 0 to 12 pages for 50 to 225 inserts.
			my $pages = 1 + int($deleted / 4);
			cmp_ok($after - $before, '<=', 8192 * $pages,
				"$t, round $round: the inserts reuse the space, the index grows by $pages pages at most");
		}
	}
	$node->safe_psql('postgres', "DROP TABLE $t");
}

$node->stop;
done_testing();

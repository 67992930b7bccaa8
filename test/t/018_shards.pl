#-------------------------------------------------------------------------
#
# 018_shards.pl
#	  Shards through partitioning and postgres_fdw: a coordinator whose
#	  partitioned table has foreign partitions on two shard clusters, each
#	  with its own hnsw index.
#
# Set-up (what README.md, "Scaling out", describes): on each shard a
# table items (id, tenant, cat, v vector(32)) with an hnsw index; on the
# coordinator, postgres_fdw with a server per shard whose "extensions"
# option names hnsw (so that the vector type, its operators and constants
# may be sent to the shard), and items PARTITION BY LIST (tenant), tenants
# 1 and 2 on shard 1, 3 and 4 on shard 2.  The coordinator also keeps the
# same rows in a local table with its own index, the single-node reference.
#
# Checked:
#	 - the plan of ORDER BY v <-> q LIMIT 10: a Merge Append of one
#	   Foreign Scan per shard, whose remote SQL orders by the distance;
#	   with a prepared statement's generic plan, the parameter is sent;
#	 - each shard runs its remote query (a cursor without a LIMIT) as an
#	   index scan, with or without a filter: the plan of the cursor there,
#	   and the shard's index scan counters after coordinator queries;
#	 - with ef_search high enough on the shards (set through the server's
#	   "options"), the merged top 10 equals exact search over the union;
#	 - recall@10 through the coordinator at the defaults is within 0.02 of
#	   the single-node index over the same rows;
#	 - a filter on the partition key prunes the other shard; another filter
#	   runs on both shards, as an iterative index scan, and gives 10 rows
#	   that are the exact answer at a high ef_search;
#	 - INSERT, UPDATE and DELETE through the coordinator reach the right
#	   shard and its index (hnsw_index_check on every shard afterwards).
#
# IDENTIFICATION
#	  test/t/018_shards.pl
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

my $dim = 32;
my $nrows = 8000;

my $coord = hnsw_node('coordinator');
my @shards = (hnsw_node('shard1'), hnsw_node('shard2'));
$coord->safe_psql('postgres', 'CREATE EXTENSION postgres_fdw');
create_vec_function($coord, $dim);

for my $s (@shards)
{
	$s->safe_psql(
		'postgres', qq{
		CREATE TABLE items (id int PRIMARY KEY, tenant int NOT NULL,
							cat int NOT NULL, v vector($dim));
	});
}

# A server per shard; the user mapping is the test's own superuser.
my $i = 0;
for my $s (@shards)
{
	$i++;
	my ($host, $port) = ($s->host, $s->port);
	$coord->safe_psql(
		'postgres', qq{
		CREATE SERVER shard$i FOREIGN DATA WRAPPER postgres_fdw
			OPTIONS (host '$host', port '$port', dbname 'postgres',
					 extensions 'hnsw', batch_size '500');
		CREATE USER MAPPING FOR CURRENT_USER SERVER shard$i;
	});
}
$coord->safe_psql(
	'postgres', qq{
	CREATE TABLE items (id int NOT NULL, tenant int NOT NULL, cat int NOT NULL,
						v vector($dim)) PARTITION BY LIST (tenant);
	CREATE FOREIGN TABLE items_s1 PARTITION OF items FOR VALUES IN (1, 2)
		SERVER shard1 OPTIONS (table_name 'items');
	CREATE FOREIGN TABLE items_s2 PARTITION OF items FOR VALUES IN (3, 4)
		SERVER shard2 OPTIONS (table_name 'items');

	-- seeded rows through the coordinator, and the same rows in one table
	INSERT INTO items
		SELECT id, id % 4 + 1, id % 10, vec(id) FROM generate_series(1, $nrows) id;
	ANALYZE items;
	CREATE TABLE single (id int PRIMARY KEY, tenant int, cat int, v vector($dim));
	INSERT INTO single SELECT * FROM items;
	CREATE INDEX single_v ON single USING hnsw (v vector_l2_ops);
	ANALYZE single;

	-- 50 queries that are not rows
	CREATE TABLE queries (qid int PRIMARY KEY, q vector($dim));
	INSERT INTO queries SELECT qid, vec(-qid) FROM generate_series(1, 50) qid;
});
# Each shard builds its index once it has its rows (a serial build, so its
# graph is the same in every run).
for my $s (@shards)
{
	$s->safe_psql('postgres',
		'CREATE INDEX items_v ON items USING hnsw (v vector_l2_ops); ANALYZE items');
}
is( $shards[0]->safe_psql('postgres',
		'SELECT count(*), min(tenant), max(tenant) FROM items') . ' / '
	  . $shards[1]->safe_psql('postgres',
		'SELECT count(*), min(tenant), max(tenant) FROM items'),
	($nrows / 2) . '|1|2 / ' . ($nrows / 2) . '|3|4',
	'rows inserted through the coordinator are routed by tenant');

# The plans, with the query vector's literal written as Q.
sub plan_of
{
	my ($node, $sql) = @_;
	my $plan = $node->safe_psql('postgres', $sql);
	$plan =~ s/'\[[^']*\]'/'Q'/g;
	$plan =~ s/\s+$//mg;
	return $plan;
}

my $q1 = $coord->safe_psql('postgres', 'SELECT q FROM queries WHERE qid = 1');
my $merge_plan = q{Limit
  Output: items.id, ((items.v <-> 'Q'::vector))
  ->  Merge Append
        Sort Key: ((items.v <-> 'Q'::vector))
        ->  Foreign Scan on public.items_s1 items_1
              Output: items_1.id, (items_1.v <-> 'Q'::vector)
              Remote SQL: SELECT id, v FROM public.items ORDER BY (v OPERATOR(public.<->) 'Q') ASC NULLS LAST
        ->  Foreign Scan on public.items_s2 items_2
              Output: items_2.id, (items_2.v <-> 'Q'::vector)
              Remote SQL: SELECT id, v FROM public.items ORDER BY (v OPERATOR(public.<->) 'Q') ASC NULLS LAST};
is( plan_of(
		$coord,
		"EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM items ORDER BY v <-> '$q1' LIMIT 10"
	),
	$merge_plan,
	'coordinator: a merge of per-shard scans ordered by distance on the shards');

is( plan_of(
		$coord, qq{
		PREPARE knn(vector) AS SELECT id FROM items ORDER BY v <-> \$1 LIMIT 10;
		SET plan_cache_mode = force_generic_plan;
		EXPLAIN (VERBOSE, COSTS OFF) EXECUTE knn('$q1');
	}),
	q{Limit
  Output: items.id, ((items.v <-> $1))
  ->  Merge Append
        Sort Key: ((items.v <-> $1))
        ->  Foreign Scan on public.items_s1 items_1
              Output: items_1.id, (items_1.v <-> $1)
              Remote SQL: SELECT id, v FROM public.items ORDER BY (v OPERATOR(public.<->) $1::public.vector) ASC NULLS LAST
        ->  Foreign Scan on public.items_s2 items_2
              Output: items_2.id, (items_2.v <-> $1)
              Remote SQL: SELECT id, v FROM public.items ORDER BY (v OPERATOR(public.<->) $1::public.vector) ASC NULLS LAST},
	'coordinator, generic plan: the parameter is sent to the shards');

# What a shard does with its remote query: postgres_fdw declares a cursor
# without a LIMIT and fetches from it in batches.
for my $n (0, 1)
{
	my $s = $shards[$n];
	for my $where ('', 'WHERE ((cat = 3)) ')
	{
		is( plan_of(
				$s, qq{
				BEGIN;
				EXPLAIN (COSTS OFF) DECLARE c1 CURSOR FOR SELECT id, v FROM public.items $where
					ORDER BY (v OPERATOR(public.<->) '$q1'::public.vector) ASC NULLS LAST;
				COMMIT;
			}),
			"Index Scan using items_v on items\n  Order By: (v <-> 'Q'::vector)"
			  . ($where ? "\n  Filter: (cat = 3)" : ''),
			'shard ' . ($n + 1) . ': the remote cursor is an index scan'
			  . ($where ? ', with the filter' : ''));
	}
}

# ... and it does use the index: each shard's idx_scan counts the scans of
# the coordinator's queries, once their sessions end and report.
sub idx_scans
{
	my ($s) = @_;
	return $s->safe_psql('postgres',
		"SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'items_v'");
}
my @before = map { idx_scans($_) } @shards;
$coord->safe_psql(
	'postgres', q{
	SELECT count(*) FROM queries q,
		LATERAL (SELECT id FROM items ORDER BY v <-> q.q LIMIT 10) n
	WHERE q.qid <= 5;
	SELECT postgres_fdw_disconnect_all();
});
for my $n (0, 1)
{
	ok( $shards[$n]->poll_query_until(
			'postgres',
			"SELECT idx_scan >= $before[$n] + 5 FROM pg_stat_user_indexes "
			  . "WHERE indexrelname = 'items_v'"),
		'shard ' . ($n + 1) . ': its index served the coordinator\'s queries');
}

# Top 10 of every query from $table (items through the coordinator, or
# single, the local copy), as id lists in distance order; $where is a
# condition on the rows.  top10_exact: from single with index scans off.
sub top10
{
	my ($table, $where, $indexscan) = @_;
	$where = $where ? "WHERE $where" : '';
	$indexscan //= 'on';
	return $coord->safe_psql(
		'postgres', qq{
		SET enable_indexscan = $indexscan;
		SET enable_seqscan = @{[ $indexscan eq 'on' ? 'off' : 'on' ]};
		SELECT string_agg(ids, ' ' ORDER BY qid) FROM (
			SELECT q.qid, (SELECT string_agg(id::text, ',' ORDER BY d, id) FROM
				(SELECT id, v <-> q.q AS d FROM $table $where
				 ORDER BY v <-> q.q LIMIT 10) n) AS ids
			FROM queries q) s;
	});
}
sub top10_exact { return top10('single', $_[0], 'off'); }

# Recall@10 of a list of top-10 lists against the exact ones.
sub recall
{
	my ($got, $want) = @_;
	my @g = split / /, $got;
	my @w = split / /, $want;
	my ($hit, $all) = (0, 0);
	for my $i (0 .. $#w)
	{
		my %w = map { $_ => 1 } split /,/, $w[$i];
		$hit += grep { $w{$_} } split /,/, ($g[$i] // '');
		$all += scalar(keys %w);
	}
	return sprintf('%.4f', $hit / $all);
}

my $exact = top10_exact('');

# Recall at the defaults (ef_search 40 on the shards and on the single
# node): two half-size graphs searched at the same ef_search find at least
# as much as one.
my $r_single = recall(top10('single', ''), $exact);
my $r_shards = recall(top10('items', ''), $exact);
note("recall\@10 at the defaults: single node $r_single, two shards $r_shards");
ok(sprintf('%.4f', $r_single - $r_shards) <= 0.02,
	"recall through the coordinator ($r_shards) within 0.02 of one node ($r_single)");
ok($r_single < 1, 'the single-node recall leaves room to compare');

# ef_search on the shards: settings are the shard session's, so they go
# in the server's libpq "options" (a new connection picks them up).
sub shard_options
{
	my ($opts) = @_;
	for my $i (1, 2)
	{
		$coord->safe_psql('postgres',
			$opts eq ''
			? "ALTER SERVER shard$i OPTIONS (DROP options)"
			: "ALTER SERVER shard$i OPTIONS (ADD options '$opts')");
	}
	return;
}
shard_options('-c hnsw.ef_search=400');
is(top10('items', ''), $exact, 'ef_search 400 on the shards: the merged top 10 is exact');

# Partition pruning: a tenant lives on one shard.
is( plan_of(
		$coord,
		"EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM items WHERE tenant = 3 ORDER BY v <-> '$q1' LIMIT 10"
	),
	q{Limit
  Output: items.id, ((items.v <-> 'Q'::vector))
  ->  Foreign Scan on public.items_s2 items
        Output: items.id, (items.v <-> 'Q'::vector)
        Remote SQL: SELECT id, v FROM public.items WHERE ((tenant = 3)) ORDER BY (v OPERATOR(public.<->) 'Q') ASC NULLS LAST},
	'a filter on the partition key prunes the other shard');
is(top10('items', 'tenant = 3'), top10_exact('tenant = 3'), 'one tenant: exact at ef_search 400');

# Another filter runs on both shards, on an iterative index scan there.
is( plan_of(
		$coord,
		"EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM items WHERE cat = 3 ORDER BY v <-> '$q1' LIMIT 10"
	),
	$merge_plan =~ s/FROM public.items ORDER/FROM public.items WHERE ((cat = 3)) ORDER/gr,
	'another filter is sent to both shards');
my $cat_exact = top10_exact('cat = 3');
is(top10('items', 'cat = 3'), $cat_exact, 'filtered (10% of the rows): exact at ef_search 400');
shard_options('');
my $cat_default = top10('items', 'cat = 3');
is(scalar(grep { scalar(split /,/) == 10 } split / /, $cat_default),
	50, 'filtered, at the defaults: 10 rows for every query (iterative scans on the shards)');
my $r_cat = recall($cat_default, $cat_exact);
my $r_cat_single = recall(top10('single', 'cat = 3'), $cat_exact);
note("filtered recall\@10 at the defaults: single node $r_cat_single, two shards $r_cat");
ok(sprintf('%.4f', $r_cat_single - $r_cat) <= 0.02,
	"filtered recall through the coordinator ($r_cat) within 0.02 of one node ($r_cat_single)");
shard_options('-c hnsw.iterative_scan=off');
my $cat_off = top10('items', 'cat = 3');
ok( (grep { scalar(split /,/) < 10 } split / /, $cat_off) > 0,
	'with iterative scans off on the shards, a filtered query comes back short');
shard_options('');

# Writes through the coordinator.
$coord->safe_psql(
	'postgres', qq{
	INSERT INTO items SELECT id, id % 4 + 1, id % 10, vec(id)
		FROM generate_series($nrows + 1, $nrows + 200) id;
	INSERT INTO single SELECT * FROM items WHERE id > $nrows;
	DELETE FROM items WHERE id % 7 = 0;
	DELETE FROM single WHERE id % 7 = 0;
	UPDATE items SET v = vec(100000 + id) WHERE id % 11 = 0;
	UPDATE single SET v = vec(100000 + id) WHERE id % 11 = 0;
});
my $left = $coord->safe_psql('postgres', 'SELECT count(*) FROM single');
is( $shards[0]->safe_psql('postgres', 'SELECT count(*) FROM items')
	  + $shards[1]->safe_psql('postgres', 'SELECT count(*) FROM items'),
	$left, 'the shards hold the rows the coordinator wrote');
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*) FROM items i WHERE id % 5 = 0
		AND (SELECT j.id FROM items j ORDER BY j.v <-> i.v LIMIT 1) IS DISTINCT FROM i.id
	}),
	'0',
	'every fifth row, new, updated or not, is found through the coordinator by its vector');
is( $coord->safe_psql(
		'postgres', q{
		SELECT count(*) FROM generate_series(1, 9000) id
		WHERE id % 7 = 0
		  AND (SELECT j.id FROM items j ORDER BY j.v <-> vec(id) LIMIT 1) = id
	}),
	'0', 'deleted rows are not returned');
$exact = top10_exact('');
shard_options('-c hnsw.ef_search=400');
is(top10('items', ''), $exact, 'after the writes: the merged top 10 is exact at ef_search 400');
shard_options('');

for my $n (0, 1)
{
	vacuum_table($shards[$n], 'items');
	my ($elements, $heap_tids, $reachable) =
	  check_index($shards[$n], 'items_v', 'shard ' . ($n + 1) . ' after VACUUM');
	is($heap_tids, $shards[$n]->safe_psql('postgres', 'SELECT count(*) FROM items'),
		'shard ' . ($n + 1) . ': one heap TID per row');
	is($reachable, $elements, 'shard ' . ($n + 1) . ': every element reachable');
}

done_testing();

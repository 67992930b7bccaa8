#-------------------------------------------------------------------------
#
# 017_parallel_build.pl
#	  Parallel builds and builds past maintenance_work_mem: as good as a
#	  serial in-memory build, every element reachable, progress reported
#	  in every path, and a parallel build whose shared memory cannot be had
#	  still succeeds.
#
# Each build is checked by hnsw_index_check.  Recall@10 at ef_search 100
# of every build is within 0.01 of the serial in-memory build's, and at
# least 0.95.  That a build ran in parallel, or past maintenance_work_mem,
# is seen from its messages, so that a planner that chose no workers
# cannot pass for a parallel build.
#
# IDENTIFICATION
#	  test/t/017_parallel_build.pl
#
#-------------------------------------------------------------------------
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use HnswTest;

my $node = hnsw_node(
	'parallel', q{
max_worker_processes = 8
max_parallel_workers = 8
max_parallel_maintenance_workers = 2
maintenance_work_mem = '256MB'
max_wal_size = '2GB'
synchronous_commit = off
});

# A table of n vectors of dim values uniform in [-1, 1), seeded, that two
# workers scan
sub uniform
{
	my ($table, $n, $dim, $seed) = @_;
	$node->safe_psql(
		'postgres', qq{
		SELECT setseed($seed);
		CREATE TABLE $table (id int PRIMARY KEY, v vector($dim)) WITH (parallel_workers = 2);
		INSERT INTO $table
		SELECT id, ARRAY(SELECT (random() * 2 - 1 + 0 * id)::real
						 FROM generate_series(1, $dim))::vector
		FROM generate_series(1, $n) id;
		ANALYZE $table;
	});
}

uniform('items', 20000, 32, 0.17);
uniform('queries_v', 100, 32, 0.19);
$node->safe_psql(
	'postgres', q{
	-- NULLs and duplicates, which every path must handle
	INSERT INTO items SELECT 20000 + id, NULL FROM generate_series(1, 50) id;
	INSERT INTO items SELECT 20100 + id, v FROM items WHERE id <= 300;
	ANALYZE items;
	CREATE TABLE queries AS SELECT id AS qid, v AS q FROM queries_v;
});
my $rows = 20300;

# Build items_idx with settings; returns psql's stderr (messages at DEBUG1)
sub build
{
	my ($settings, $label) = @_;
	my ($ret, $out, $err) = $node->psql(
		'postgres', qq{
		DROP INDEX IF EXISTS items_idx;
		$settings
		SET client_min_messages = debug1;
		CREATE INDEX items_idx ON items USING hnsw (v vector_l2_ops);
	});
	is($ret, 0, "$label: the build succeeds") or diag($err);
	my ($elements, $heap_tids, $reachable) = check_index($node, 'items_idx', $label);
	is($heap_tids, $rows, "$label: every row with a vector is indexed");
	is($reachable, $elements, "$label: every element reachable");
	return $err;
}

my $parallel2 = qr/building index "items_idx" with 2 parallel workers/;
my $overflow = qr/NOTICE:  hnsw graph no longer fits into maintenance_work_mem after (\d+) tuples\nDETAIL:  The graph needs about \d+ MB; the rest of it is built in a temporary file\.\nHINT:  Increase maintenance_work_mem to speed up builds\./;

# 1. Serial, in memory: the reference
my $err = build('SET max_parallel_maintenance_workers = 0;', 'serial');
unlike($err, qr/parallel workers/, 'serial: no workers');
unlike($err, qr/no longer fits/, 'serial: no NOTICE');
my $serial = recall_at_k($node, 'items', '<->');
note("serial recall\@10: $serial");
cmp_ok($serial, '>=', 0.95, "serial: recall\@10 $serial >= 0.95");

sub same_recall
{
	my ($label) = @_;
	my $recall = recall_at_k($node, 'items', '<->');
	note("$label recall\@10: $recall");
	# recalls are rounded to 4 places: compare their difference so rounded
	# (0.994 - 0.984 is 0.010000000000000009 in floating point)
	cmp_ok(sprintf('%.4f', abs($recall - $serial)), '<=', 0.01,
		"$label: recall\@10 $recall within 0.01 of serial $serial");
}

# 2. Leader and two workers, one graph in shared memory
$err = build('', 'parallel');
like($err, $parallel2, 'parallel: two workers');
like($err, qr/graph in shared memory/, 'parallel: the graph in shared memory');
same_recall('parallel');

# 3. Workers only: the leader does not scan
$err = build('SET parallel_leader_participation = off;', 'workers only');
like($err, $parallel2, 'workers only: two workers');
same_recall('workers only');

# 4. Serial past maintenance_work_mem (1MB: about a tenth of the graph)
$err = build("SET max_parallel_maintenance_workers = 0; SET maintenance_work_mem = '1MB';",
	'serial past maintenance_work_mem');
like($err, $overflow, 'serial past maintenance_work_mem: the NOTICE with the figure');
my ($n) = $err =~ /after (\d+) tuples/;
ok(defined $n && $n > 0 && $n < $rows, 'the NOTICE counts the tuples that fitted');
same_recall('serial past maintenance_work_mem');

# 5. Parallel past maintenance_work_mem: the segment fills up and the
# graph moves to a file while the workers insert
$err = build("SET maintenance_work_mem = '1MB';", 'parallel past maintenance_work_mem');
like($err, $parallel2, 'parallel past maintenance_work_mem: two workers');
like($err, $overflow, 'parallel past maintenance_work_mem: the NOTICE');
same_recall('parallel past maintenance_work_mem');

# 6. A parallel build whose shared memory request fails.  Statistics that
# claim 10^9 rows make the build ask for hundreds of GB, more than any
# /dev/shm here has; the build goes on, its graph in a temporary file.
SKIP:
{
	my $dsm = $node->safe_psql('postgres', 'SHOW dynamic_shared_memory_type');
	skip "dynamic_shared_memory_type is $dsm, not posix", 9 if $dsm ne 'posix';
	my $shm = `df -k /dev/shm 2>/dev/null | tail -1`;
	my @f = split ' ', $shm;
	skip 'no /dev/shm, or one of 100GB or more', 9
	  if @f < 2 || $f[1] !~ /^\d+$/ || $f[1] >= 100 * 1024 * 1024;
	$node->safe_psql('postgres',
		"UPDATE pg_class SET reltuples = 1e9 WHERE relname = 'items'");
	$err = build("SET maintenance_work_mem = '1TB';", 'no shared memory');
	like(
		$err,
		qr/NOTICE:  could not get \d+ GB of shared memory for the parallel build of index "items_idx"\nDETAIL:  The graph is built in a temporary file instead: could not resize shared memory segment "[^"]+" to \d+ bytes: No space left on device\.\nHINT:  Dynamic shared memory comes from what dynamic_shared_memory_type names, for example \/dev\/shm; a build asks for up to maintenance_work_mem\./,
		'no shared memory: the NOTICE names the setting');
	like($err, $parallel2, 'no shared memory: still two workers');
	like($err, qr/graph in temporary file/, 'no shared memory: the graph in a file');
	same_recall('no shared memory');
	$node->safe_psql('postgres', 'ANALYZE items');
}

# 7. Progress: pg_stat_progress_create_index during builds of a larger
# table, sampled from another session.  Each path must show the loading
# phase with tuples_done advancing up to tuples_total, and the writing
# phase.
uniform('big', 60000, 32, 0.29);

sub progress
{
	my ($settings, $label) = @_;
	my ($stdout, $stderr) = ('', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
			'-c', "DROP INDEX IF EXISTS big_idx; $settings CREATE INDEX big_idx ON big USING hnsw (v vector_l2_ops)"
		],
		'>', \$stdout, '2>', \$stderr);
	my %seen;
	my @loading;
	while ($h->pumpable)
	{
		my $row = $node->safe_psql('postgres',
			"SELECT phase, tuples_done, tuples_total FROM pg_stat_progress_create_index WHERE relid = 'big'::regclass"
		);
		if ($row ne '')
		{
			my ($phase, $done, $total) = split /\|/, $row;
			$seen{$phase} = 1;
			push @loading, [ $done, $total ] if $phase eq 'building index: loading tuples';
		}
		$h->pump_nb;
		usleep(10_000);
	}
	$h->finish;
	is($h->result(0), 0, "$label: the build succeeds") or diag($stderr);
	ok($seen{'building index: loading tuples'}, "$label: loading phase seen");
	ok($seen{'building index: writing the index'}, "$label: writing phase seen");
	my %distinct = map { $_->[0] => 1 } grep { $_->[0] > 0 } @loading;
	cmp_ok(scalar(keys %distinct), '>=', 2, "$label: tuples_done advances while loading");
	ok(!grep({ $_->[0] > $_->[1] } @loading), "$label: tuples_done never above tuples_total");
	return $stderr;
}

progress('SET max_parallel_maintenance_workers = 0;', 'progress, serial');
progress('', 'progress, parallel');
my $perr = progress("SET max_parallel_maintenance_workers = 0; SET maintenance_work_mem = '1MB';",
	'progress, past maintenance_work_mem');
like($perr, qr/no longer fits/, 'progress, past maintenance_work_mem: it was');

# 8. Every element reachable on data made to provoke lost elements (see
# 012_reachable.pl): tiny lists, in parallel and past maintenance_work_mem
uniform('prov', 5000, 64, 0.5);
foreach my $case (
	[ '', 'parallel' ],
	[ "SET maintenance_work_mem = '1MB';", 'parallel past maintenance_work_mem' ],
	[ "SET max_parallel_maintenance_workers = 0; SET maintenance_work_mem = '1MB';", 'serial past maintenance_work_mem' ])
{
	my ($settings, $label) = @$case;
	my ($ret, $out, $err2) = $node->psql(
		'postgres', qq{
		DROP INDEX IF EXISTS prov_idx;
		$settings
		SET client_min_messages = debug1;
		CREATE INDEX prov_idx ON prov USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 8);
	});
	is($ret, 0, "provoking data, $label: the build succeeds") or diag($err2);
	like($err2, qr/with 2 parallel workers/, "provoking data, $label: two workers")
	  if $label =~ /^parallel/;
	my ($elements, $heap_tids, $reachable) = check_index($node, 'prov_idx', "provoking data, $label");
	is($reachable, $elements, "provoking data, $label: all $elements elements reachable");
	my $found = $node->safe_psql(
		'postgres', q{
		SET enable_seqscan = off;
		SET hnsw.iterative_scan = relaxed_order;
		SET hnsw.max_scan_tuples = 100000000;
		SET hnsw.scan_mem_multiplier = 1000;
		SELECT count(DISTINCT id)
		FROM (SELECT id FROM prov ORDER BY v <-> (SELECT v FROM prov WHERE id = 1)) s;
	});
	is($found, 5000, "provoking data, $label: a scan of the whole index returns every row");
}

$node->stop;
done_testing();

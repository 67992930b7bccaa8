#-------------------------------------------------------------------------
#
# 008_standby_writes.pl
#	  A streaming standby replays every kind of hnsw write, with
#	  wal_consistency_checking = 'generic', while it answers queries.
#
# The primary sets wal_consistency_checking = 'generic' (the standby
# inherits it through the base backup): every generic WAL record then
# carries a full-page image of each page it changes, and the standby,
# after replaying the record, compares its page with that image (masked
# the GenericXLog way) and stops with FATAL "inconsistent page found" at
# the first difference.  The standby replays:
#	 - a build (CREATE INDEX, full-page images of the new index);
#	 - single-row inserts from 4 concurrent pgbench clients, each one a
#	   transaction of its own (element, neighbour tuple, back-links and
#	   entry point: generic records);
#	 - 3 cycles of DELETE and VACUUM (heap TIDs removed, elements DELETED,
#	   lists repaired, space REUSABLE), with inserts between them that
#	   take the reusable space; while each VACUUM is being replayed, the
#	   standby keeps answering nearest-neighbour queries;
#	 - a REINDEX.
# After each phase, once the standby has caught up, the same queries must
# return the same rows on both nodes (the pages are identical, so even
# the approximate answers are), and hnsw_index_check must pass on the
# standby with the primary's counts.  In the end the standby must still
# be streaming and its log must show no inconsistent page and no PANIC.
#
# Scale: 2,000 rows of 8 small-integer dimensions for the build, then
# 10,000 single-row inserts (4 clients x 2,500).  Every generic record
# logs full pages twice over (the change and the consistency image), so
# this writes a few hundred MB of WAL; a replication slot keeps it for
# the standby.
#
# IDENTIFICATION
#	  test/t/008_standby_writes.pl
#
#-------------------------------------------------------------------------
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use HnswTest;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
wal_consistency_checking = 'generic'
autovacuum = off
max_wal_size = '4GB'
checkpoint_timeout = '1h'
});
$primary->start;
my $standby = start_standby($primary);

sub catch_up
{
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
}

# The 10 nearest rows of every query through the index, one line each
my $knn = q{
	SET enable_seqscan = off;
	SET hnsw.ef_search = 40;
	SELECT q.qid, array_agg(n.id ORDER BY n.ord)
	FROM queries q,
		LATERAL (SELECT id, row_number() OVER () AS ord FROM
					(SELECT id FROM items ORDER BY v <-> q.q LIMIT 10) s) n
	GROUP BY q.qid ORDER BY q.qid;
};

# Same answers on both nodes, and the checker passes on the standby with
# the primary's counts
sub compare
{
	my ($phase) = @_;
	catch_up();
	my $p = $primary->safe_psql('postgres', $knn);
	my $s = $standby->safe_psql('postgres', $knn);
	is($s, $p, "$phase: the standby returns the primary's rows");
	is(scalar(split /\n/, $s), 20, "$phase: every query is answered");

	my $pc = $primary->safe_psql('postgres', "SELECT * FROM hnsw_index_check('items_v')");
	my ($ret, $sc, $err) =
	  $standby->psql('postgres', "SELECT * FROM hnsw_index_check('items_v')");
	is($ret, 0, "$phase: hnsw_index_check passes on the standby") or diag($err);
	is($sc, $pc, "$phase: the standby's index has the primary's counts");
	note("$phase: elements|heap_tids|reachable = $pc");
}

# Seeded data: vectors of small integers
$primary->safe_psql(
	'postgres', q{
	SELECT setseed(0.808);
	CREATE SEQUENCE ids START 2001;
	CREATE TABLE items (id int PRIMARY KEY, v vector(8));
	INSERT INTO items
	SELECT id, ARRAY(SELECT floor(random() * 100 + 0 * id)::real
					 FROM generate_series(1, 8))::vector
	FROM generate_series(1, 2000) id;
	CREATE TABLE queries (qid int PRIMARY KEY, q vector(8));
	INSERT INTO queries
	SELECT qid, ARRAY(SELECT floor(random() * 100 + 0 * qid)::real
					  FROM generate_series(1, 8))::vector
	FROM generate_series(1, 20) qid;
	CREATE INDEX items_v ON items USING hnsw (v vector_l2_ops);
});
compare('build');

# 10,000 single-row inserts from 4 clients
my $insert = $primary->basedir . '/insert_one.sql';
append_to_file(
	$insert, q{
\set a random(0, 99)
\set b random(0, 99)
\set c random(0, 99)
\set d random(0, 99)
\set e random(0, 99)
\set f random(0, 99)
\set g random(0, 99)
\set h random(0, 99)
INSERT INTO items VALUES (nextval('ids'), ARRAY[:a, :b, :c, :d, :e, :f, :g, :h]::real[]);
});

sub run_inserts
{
	my ($clients, $each, $seed) = @_;
	$primary->command_ok(
		[
			'pgbench', '-n', '-c', $clients, '-j', '2', '-t', $each,
			"--random-seed=$seed", '-f', $insert,
			'-h', $primary->host, '-p', $primary->port, 'postgres'
		],
		"pgbench: $clients clients insert " . $clients * $each . ' rows one at a time');
}

my $t0 = time;
run_inserts(4, 2500, 8008);
note('10,000 inserts took ' . (time - $t0) . 's on the primary');
$t0 = time;
compare('inserts');
note('the standby caught up ' . (time - $t0) . 's later');

# 3 cycles of delete and vacuum; the standby answers queries while it
# replays each VACUUM
foreach my $cycle (1 .. 3)
{
	$primary->safe_psql('postgres', "DELETE FROM items WHERE id % 7 = $cycle");
	catch_up();

	my ($vout, $verr) = ('', '');
	my $vacuum = IPC::Run::start(
		[
			'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-c', 'VACUUM items',
			'-h', $primary->host, '-p', $primary->port, 'postgres'
		],
		'<', \undef, '>', \$vout, '2>', \$verr);
	my ($queries, $errors) = (0, '');
	while (1)
	{
		my $done = !$vacuum->pumpable;
		my ($ret, $out, $err) = $standby->psql('postgres', $knn);
		$queries++;
		$errors .= $err if $ret != 0;
		last if $done;
		$vacuum->pump_nb;
	}
	$vacuum->finish;
	is($vacuum->result(0), 0, "cycle $cycle: VACUUM on the primary") or diag($verr);
	# and on until the standby has replayed all of it
	my $target = $primary->lsn('insert');
	while (
		$standby->safe_psql('postgres',
			"SELECT pg_last_wal_replay_lsn() < '$target'::pg_lsn") eq 't')
	{
		my ($ret, $out, $err) = $standby->psql('postgres', $knn);
		$queries++;
		$errors .= $err if $ret != 0;
	}
	is($errors, '', "cycle $cycle: $queries queries on the standby during VACUUM replay, no error");
	compare("delete and vacuum $cycle");

	# inserts into the space VACUUM freed
	run_inserts(2, 250, 8100 + $cycle);
	compare("inserts after vacuum $cycle");
}

$primary->safe_psql('postgres', 'REINDEX INDEX items_v');
compare('reindex');

# The standby is still streaming, and no page ever differed
is($standby->safe_psql('postgres', 'SELECT status FROM pg_stat_wal_receiver'),
	'streaming', 'the standby is still streaming');
is( $primary->safe_psql('postgres',
		"SELECT state FROM pg_stat_replication WHERE application_name = 'standby'"),
	'streaming',
	'the primary sees the standby streaming');
check_replay_log($standby);
unlike(slurp_file($standby->logfile), qr/FATAL:.*(?:WAL|redo|replay|recovery)/i, 'standby: no FATAL in replay');

$standby->stop;
$primary->stop;
done_testing();

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
#   vacuum_table($node, 'items');           # until no dead row is left
#   crash($node, 'round 1', 'kill', $log_offset, \$mout, \$merr, [$h1, $h2],
#         '^(INSERT|DELETE)');                  # or 'immediate'
#   check_replay_log($standby);              # no inconsistent page, no PANIC
#   my $standby = start_standby($primary);   # streaming, from a slot
#   my $standby = start_standby($primary, 'all');  # wal_consistency_checking
#   my $h = start_pgbench($node, $script, $clients, $seed, $seconds, \$out, \$err);
#   my $restore = save_files(@files);       # (server stopped); $restore->()
#   my $page = read_block($file, $blk);      # a block of a relation file
#   write_bytes($file, $pos, $bytes);        # (the server stopped)
#
# IDENTIFICATION
#	  test/perl/HnswTest.pm
#
#-------------------------------------------------------------------------
package HnswTest;

use strict;
use warnings;

use Exporter 'import';
use File::Copy;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use Test::More;

our @EXPORT =
  qw(hnsw_node create_vec_function recall_at_k recall_by_distance check_index
  vacuum_table start_standby start_pgbench crash check_replay_log
  save_files read_block write_bytes line_pointer pack_tid unpack_tid);

my $BLCKSZ = 8192;

# A new cluster, started, with autovacuum off (tests vacuum when they mean
# to), the extra postgresql.conf lines given, and CREATE EXTENSION hnsw
# done in database postgres.
sub hnsw_node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init;
	# serial builds, whose graphs a seed fixes, unless a test asks for
	# workers (017_parallel_build.pl)
	$node->append_conf('postgresql.conf',
		"autovacuum = off\nmax_parallel_maintenance_workers = 0\n" . ($conf // ''));
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
# ('queries'), set (settings for the index scans, { name => value }).
sub recall_at_k
{
	my ($node, $table, $op, %opt) = @_;
	my $k = $opt{k} // 10;
	my $ef = $opt{ef_search} // 100;
	my $queries = $opt{queries} // 'queries';
	my $set = join('', map { "SET $_ = '$opt{set}{$_}';\n" } sort keys %{ $opt{set} // {} });
	my $knn = "SELECT q.qid, n.id FROM $queries q,
		LATERAL (SELECT id FROM $table ORDER BY v $op q.q LIMIT $k) n";

	return $node->safe_psql(
		'postgres', qq{
		SET enable_indexscan = off;
		CREATE TEMP TABLE exact AS $knn;
		RESET enable_indexscan;
		SET enable_seqscan = off;
		SET hnsw.ef_search = $ef;
		$set
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

# VACUUM (INDEX_CLEANUP ON) $table (in database $db, by default postgres), again (up to 5 times in all) while its
# hnsw indexes hold more heap TIDs than it has rows.  VACUUM does not prune
# a heap page that another process has pinned at that moment (the
# checkpointer writing it out, say): the dead rows there stay, and stay in
# the indexes, until the next VACUUM.
sub vacuum_table
{
	my ($node, $table, $db) = @_;
	$db //= 'postgres';
	my $indexes = $node->safe_psql(
		$db, qq{
		SELECT string_agg(format('(SELECT heap_tids FROM hnsw_index_check(%L, false))', c.oid::regclass), ' + ')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
		WHERE i.indrelid = '$table'::regclass AND a.amname = 'hnsw'});

	for my $try (1 .. 5)
	{
		$node->safe_psql($db, "VACUUM (INDEX_CLEANUP ON) $table");
		last if $indexes eq ''
		  || $node->safe_psql($db,
			"SELECT $indexes = (SELECT count(*) FROM $table) * "
			  . "(SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
			  . "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = '$table'::regclass AND a.amname = 'hnsw')"
		  ) eq 't';
		note("VACUUM of $table left dead rows in its indexes; again");
	}
	return;
}

# A streaming standby of $primary (initialised with allows_streaming, and
# started, with wal_consistency_checking = $wcc, 'generic' unless given),
# after CREATE EXTENSION hnsw and a replication slot there, so that the
# primary keeps its WAL until the standby has replayed it.  Queries on the
# standby are never cancelled: replay waits for them instead.  (No
# hot_standby_feedback: it would keep VACUUM on the primary from removing
# the rows just deleted, and there would be little to replay.)
sub start_standby
{
	my ($primary, $wcc) = @_;
	$wcc //= 'generic';

	$primary->safe_psql('postgres',
		"CREATE EXTENSION hnsw; SELECT pg_create_physical_replication_slot('standby')");
	$primary->backup('backup');
	my $standby = PostgreSQL::Test::Cluster->new('standby');
	$standby->init_from_backup($primary, 'backup', has_streaming => 1);
	$standby->append_conf(
		'postgresql.conf', q{
primary_slot_name = 'standby'
hot_standby_feedback = off
max_standby_streaming_delay = -1
});
	$standby->start;
	is($standby->safe_psql('postgres', 'SHOW wal_consistency_checking'),
		$wcc, 'standby: wal_consistency_checking is on');
	return $standby;
}

# pgbench running $script on $node in the background for $seconds, with
# $clients clients and a seed; its output goes to $$out and $$err.
# Returns the IPC::Run handle.
sub start_pgbench
{
	my ($node, $script, $clients, $seed, $seconds, $out, $err) = @_;
	return IPC::Run::start(
		[
			'pgbench', '-n', '-c', $clients, '-j', $clients, '-T', $seconds,
			"--random-seed=$seed", '-f', $script,
			'-h', $node->host, '-p', $node->port, 'postgres'
		],
		'<', \undef, '>', $out, '2>', $err);
}

# Copy every fork of the relation files @bases aside (the server stopped).
# Returns a function that puts them back as they were.
sub save_files
{
	my @bases = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my @saved;

	for my $base (@bases)
	{
		for my $f (glob("$base $base\_*"))
		{
			(my $name = $f) =~ s{.*/}{};
			copy($f, "$dir/$name") or die "copy $f: $!";
			push @saved, [ $f, "$dir/$name" ];
		}
	}
	return sub {
		unlink glob("$_ $_\_*") for @bases;
		copy($_->[1], $_->[0]) or die "copy $_->[1]: $!" for @saved;
	};
}

# Block $blk of the relation file $file
sub read_block
{
	my ($file, $blk) = @_;
	open my $fh, '<:raw', $file or die "open $file: $!";
	seek($fh, $blk * $BLCKSZ, 0) or die "seek: $!";
	my $n = read($fh, my $page, $BLCKSZ);
	die "short read of block $blk" unless defined $n && $n == $BLCKSZ;
	close $fh;
	return $page;
}

# Write $bytes at byte $pos of the relation file $file
sub write_bytes
{
	my ($file, $pos, $bytes) = @_;
	open my $fh, '+<:raw', $file or die "open $file: $!";
	seek($fh, $pos, 0) or die "seek: $!";
	print $fh $bytes or die "write: $!";
	close $fh or die "close: $!";
}

# Crash $node while the pgbench runs of @$handles go on, and wait until it
# is up again: 'immediate' stops it (immediate mode) and starts it again;
# 'kill' sends SIGKILL to a client backend whose query matches $query_re
# (an active INSERT first), and the postmaster restarts the others.  Either
# way the clients are cut off (their output, $$out and $$err, says so) and
# redo finds no inconsistent page in the server log written since
# $log_offset.  $label starts the test names.
sub crash
{
	my ($node, $label, $how, $log_offset, $out, $err, $handles, $query_re) = @_;

	if ($how eq 'immediate')
	{
		$node->stop('immediate');
		$_->finish foreach @$handles;
		$node->start;
	}
	else
	{
		my $pid = $node->safe_psql(
			'postgres', qq{
			SELECT pid FROM pg_stat_activity
			WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
				AND query ~ '$query_re'
			ORDER BY (query LIKE 'INSERT%' AND state = 'active') DESC, pid LIMIT 1;
		});
		ok($pid =~ /^\d+$/, "$label: found a backend to kill") or diag("pgbench: $$err");
		note("$label: SIGKILL to backend $pid");
		kill 'KILL', $pid;
		$_->finish foreach @$handles;
		$node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
		  or die "$label: the server did not recover";
		ok( $node->log_contains(qr/server process \(PID $pid\) was terminated by signal 9/,
				$log_offset),
			"$label: the postmaster saw the backend die and restarted");
	}
	like($$err . $$out, qr/(?:connection|terminat|server closed|abort)/i,
		"$label: the clients were cut off");
	unlike(substr(PostgreSQL::Test::Utils::slurp_file($node->logfile), $log_offset),
		qr/inconsistent page found/, "$label: redo found no inconsistent page");
	return;
}

# The log of a standby (or a server that replayed WAL) shows no failed
# consistency check and no PANIC
sub check_replay_log
{
	my ($node) = @_;
	my $log = PostgreSQL::Test::Utils::slurp_file($node->logfile);

	unlike($log, qr/inconsistent page found/, $node->name . ': no inconsistent page');
	unlike($log, qr/PANIC/, $node->name . ': no PANIC');
	return;
}

# Line pointer $off of a page: (offset, flags, length, position in the page)
sub line_pointer
{
	my ($page, $off) = @_;
	my $pos = 24 + 4 * ($off - 1);
	my $w = unpack('V', substr($page, $pos, 4));
	return ($w & 0x7FFF, ($w >> 15) & 3, $w >> 17, $pos);
}

# A TID as it is on disk (ItemPointerData: block hi, block lo, offset), and back
sub pack_tid
{
	my ($blk, $off) = @_;
	return pack('v v v', $blk >> 16, $blk & 0xFFFF, $off);
}

sub unpack_tid
{
	my ($bytes) = @_;
	my ($hi, $lo, $off) = unpack('v v v', $bytes);
	return (($hi << 16) | $lo, $off);
}

1;

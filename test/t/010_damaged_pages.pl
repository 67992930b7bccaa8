#-------------------------------------------------------------------------
#
# 010_damaged_pages.pl
#	  A damaged hnsw index raises ERRCODE_INDEX_CORRUPTED (SQLSTATE XX002)
#	  and never crashes the server.
#
# A small index (800 seeded vectors of 8 dimensions, m = 4, so that the
# graph has several levels) is built, the server is stopped, and the
# files of the table and the index are copied aside.  Then, for each case,
# the copies are put back, the index file is damaged on purpose at an
# offset computed from the page layout (src/README.md, "Page format"), and
# the server is started again.  Four operations run, each in its own psql
# session: an index scan, an INSERT, a DELETE followed by VACUUM, and
# hnsw_index_check.  Each must fail with SQLSTATE XX002, and the server
# must not have crashed: the log shows no process terminated by a signal
# (nor a PANIC), and pg_postmaster_start_time() is unchanged.
#
# The damage is done where every operation reads: the entry point's
# element tuple, its neighbour tuple and its list on the top layer (every
# search starts there), the line pointer of the entry point, and the
# metapage.  Cases:
#	 - random bytes (seeded) over the entry point's element tuple;
#	 - its neighbour tuple's count set to 60000, its level set to 200;
#	 - its element's level set to 200, its neighbour tuple's TID to block
#	   99999;
#	 - the first TID of its top-layer list set to block 99999, to offset 0
#	   of a data page, to offset 60000;
#	 - its line pointer's offset, and then its length, beyond the page;
#	 - the metapage: m = 0, m = 60000, dimensions = 0, a wrong magic
#	   number, the entry point at block 99999.
#
# The test also checks that the index's relcache entry does not leak
# memory when it is invalidated while the index is open: a session keeps a
# cursor on an index scan open while another session changes the index's
# statistics (INSERT + ANALYZE) 40 times, each followed by a new scan in
# the first session.  Its "index info" memory context must not grow by
# more than 2 kB (it grew by about 4.5 kB a round when the cache's arrays
# were allocated apart from rd_amcache).
#
# IDENTIFICATION
#	  test/t/010_damaged_pages.pl
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
use Time::HiRes qw(sleep);

my $BLCKSZ = 8192;
my $PAGE_HEADER = 24;

srand(10010);

my $node = hnsw_node('damaged', "restart_after_crash = on\n");
create_vec_function($node, 8);

#-------------------------------------------------------------------------
# The relcache entry does not leak when it is invalidated while in use
#-------------------------------------------------------------------------
$node->safe_psql(
	'postgres', q{
	CREATE TABLE lk (id int, v vector(8));
	INSERT INTO lk SELECT id, vec(id) FROM generate_series(1, 2000) id;
	CREATE INDEX lk_v ON lk USING hnsw (v vector_l2_ops) WITH (m = 4);
});

my ($a_in, $a_out, $a_err) = ('', '', '');
my $timer = IPC::Run::timer($PostgreSQL::Test::Utils::timeout_default);
my $a_psql = IPC::Run::start(
	[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
	'<', \$a_in, '>', \$a_out, '2>', \$a_err, $timer);

# Run sql in the long-lived session; returns its output
sub query_a
{
	my ($sql) = @_;
	$a_out = '';
	$a_in .= "$sql\n\\echo __done__\n";
	$a_psql->pump until $a_out =~ /__done__/ || $timer->is_expired;
	die "session timed out: $a_err" if $timer->is_expired;
	die "session failed: $a_err" if $a_err =~ /ERROR/;
	$a_out =~ s/__done__\n?//;
	chomp $a_out;
	return $a_out;
}

my $scan_lk = q{SELECT id FROM lk ORDER BY v <-> vec(4242) LIMIT 1;};
my $cxt_bytes = q{SELECT sum(total_bytes) FROM pg_backend_memory_contexts
	WHERE name = 'index info' AND ident = 'lk_v';};

query_a(q{SET enable_seqscan = off;});
query_a(q{BEGIN;});
query_a(q{DECLARE c CURSOR FOR SELECT id FROM lk ORDER BY v <-> vec(1);});
query_a(q{FETCH 1 FROM c;});

# one round: another session changes lk_v's statistics (an invalidation of
# its relcache entry), then this one scans again while the cursor keeps
# the index open
my $round = 0;
sub reload_round
{
	$round++;
	$node->safe_psql('postgres',
		"INSERT INTO lk SELECT id, vec(id) FROM generate_series(100000 + $round * 10, 100009 + $round * 10) id; ANALYZE lk;"
	);
	query_a($scan_lk);
}

reload_round() for 1 .. 2;
my $bytes_before = query_a($cxt_bytes);
reload_round() for 1 .. 40;
my $bytes_after = query_a($cxt_bytes);
query_a(q{FETCH 1 FROM c;});
query_a(q{COMMIT;});
$a_in .= "\\q\n";
$a_psql->finish;

note "index info context of lk_v: $bytes_before bytes, then $bytes_after after 40 reloads";
cmp_ok($bytes_after - $bytes_before, '<=', 2048,
	'relcache entry of an open index does not grow over 40 invalidations');

#-------------------------------------------------------------------------
# Damaged pages
#-------------------------------------------------------------------------
$node->safe_psql(
	'postgres', q{
	CREATE TABLE t (id int, v vector(8));
	INSERT INTO t SELECT id, vec(id) FROM generate_series(1, 800) id;
	CREATE INDEX t_v ON t USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM hnsw_index_check('t_v')}),
	'1', 'the index is sound before any damage');

my $pgdata = $node->data_dir;
my $heapfile = $pgdata . '/' . $node->safe_psql('postgres', q{SELECT pg_relation_filepath('t')});
my $indexfile = $pgdata . '/' . $node->safe_psql('postgres', q{SELECT pg_relation_filepath('t_v')});
$node->stop;

# Put aside every fork of the table and the index
my $restore_files = save_files($heapfile, $indexfile);

# --- reading and writing the index file --------------------------------






# The metapage: field => [offset in the file, pack format]
my %META = (
	magic => [ $PAGE_HEADER + 0, 'V' ],
	dimensions => [ $PAGE_HEADER + 8, 'V' ],
	m => [ $PAGE_HEADER + 12, 'v' ],
	entry_blkno => [ $PAGE_HEADER + 16, 'V' ],
	entry_offno => [ $PAGE_HEADER + 20, 'v' ],
	entry_level => [ $PAGE_HEADER + 22, 's' ]);

sub meta_field
{
	my ($page, $name) = @_;
	my ($pos, $fmt) = @{ $META{$name} };
	return unpack($fmt, substr($page, $pos, length(pack($fmt, 0))));
}

# Where the entry point's tuples are, in the pristine file
my $meta = read_block($indexfile, 0);
my $m = meta_field($meta, 'm');
my ($eblk, $eoff, $elevel) = map { meta_field($meta, $_) } qw(entry_blkno entry_offno entry_level);
cmp_ok($elevel, '>=', 2, "the graph has several levels (entry level $elevel)");

my $epage = read_block($indexfile, $eblk);
my ($e_lpoff, $e_flags, $e_len, $e_lppos) = line_pointer($epage, $eoff);
my $epos = $eblk * $BLCKSZ + $e_lpoff;	  # element tuple in the file
my ($nblk, $noff) = unpack_tid(substr($epage, $e_lpoff + 4, 6));
my $npage = read_block($indexfile, $nblk);
my ($n_lpoff) = line_pointer($npage, $noff);
my $npos = $nblk * $BLCKSZ + $n_lpoff;	  # neighbour tuple in the file
is(ord(substr($epage, $e_lpoff, 1)), 1, 'entry point is an element tuple');
is(ord(substr($npage, $n_lpoff, 1)), 2, 'its neighbour tuple is a neighbour tuple');

# first slot of the entry point's list on its top layer
my $topslot = $npos + 4 + 6 * (2 * $m + ($elevel - 1) * $m);

sub meta_write
{
	my ($name, $value) = @_;
	my ($pos, $fmt) = @{ $META{$name} };
	write_bytes($indexfile, $pos, pack($fmt, $value));
}

my $random = join('', map { chr(int(rand(256))) } 1 .. $e_len);
# make sure that the type byte is no longer that of an element
substr($random, 0, 1) = chr(0xA5) if ord(substr($random, 0, 1)) == 1;

my @cases = (
	[ 'random bytes over an element tuple' => sub { write_bytes($indexfile, $epos, $random) } ],
	[ 'neighbour tuple count 60000' => sub { write_bytes($indexfile, $npos + 2, pack('v', 60000)) } ],
	[ 'neighbour tuple level 200' => sub { write_bytes($indexfile, $npos + 1, chr(200)) } ],
	[ 'element level 200' => sub { write_bytes($indexfile, $epos + 1, chr(200)) } ],
	[ 'element neighbour TID at block 99999' => sub { write_bytes($indexfile, $epos + 4, pack_tid(99999, 2)) } ],
	[ 'list TID at block 99999' => sub { write_bytes($indexfile, $topslot, pack_tid(99999, 1)) } ],
	[ 'list TID at offset 0' => sub { write_bytes($indexfile, $topslot, pack_tid($eblk, 0)) } ],
	[ 'list TID at offset 60000' => sub { write_bytes($indexfile, $topslot, pack_tid($eblk, 60000)) } ],
	[
		'line pointer offset beyond the page' => sub {
			write_bytes($indexfile, $eblk * $BLCKSZ + $e_lppos,
				pack('V', 8184 | (1 << 15) | ($e_len << 17)));
		}
	],
	[
		'line pointer length beyond the page' => sub {
			write_bytes($indexfile, $eblk * $BLCKSZ + $e_lppos,
				pack('V', $e_lpoff | (1 << 15) | (8000 << 17)));
		}
	],
	[ 'metapage m 0' => sub { meta_write('m', 0) } ],
	[ 'metapage m 60000' => sub { meta_write('m', 60000) } ],
	[ 'metapage dimensions 0' => sub { meta_write('dimensions', 0) } ],
	[ 'metapage wrong magic' => sub { meta_write('magic', 0x12345678) } ],
	[ 'metapage entry point at block 99999' => sub { meta_write('entry_blkno', 99999) } ],
);

# What the scan reports for each case: the message and its detail
my $at = qr/at block \d+, offset \d+/;
my %message = (
	'random bytes over an element tuple' =>
	  qr/index "t_v" contains a corrupted element tuple $at\nDETAIL:  The tuple's type is \d+, not 1 \(an element\)\./,
	'neighbour tuple count 60000' =>
	  qr/index "t_v" contains a corrupted neighbour tuple $at\nDETAIL:  It has 60000 slots; level \d+ needs \d+\./,
	'neighbour tuple level 200' =>
	  qr/index "t_v" contains a corrupted neighbour tuple $at\nDETAIL:  Its level is 200; the index allows at most \d+\./,
	'element level 200' =>
	  qr/index "t_v" contains a corrupted element tuple $at\nDETAIL:  Its level is 200; the index allows at most \d+\./,
	'element neighbour TID at block 99999' =>
	  qr/index "t_v" refers to an element at \(99999,2\), outside the index\nDETAIL:  The reference is in the tuple $at; the index has \d+ blocks of at most \d+ tuples\./,
	'list TID at block 99999' =>
	  qr/index "t_v" refers to an element at \(99999,1\), outside the index\nDETAIL:  The reference is in the tuple $at;/,
	'list TID at offset 0' =>
	  qr/index "t_v" refers to an element at \($eblk,0\), outside the index\nDETAIL:  The reference is in the tuple $at;/,
	'list TID at offset 60000' =>
	  qr/index "t_v" refers to an element at \($eblk,60000\), outside the index\nDETAIL:  The reference is in the tuple $at;/,
	'line pointer offset beyond the page' =>
	  qr/index "t_v" contains a corrupted line pointer at block $eblk, offset $eoff\nDETAIL:  The item at offset 8184 of length $e_len is not a MAXALIGNed item between \d+ and 8176\./,
	'line pointer length beyond the page' =>
	  qr/index "t_v" contains a corrupted line pointer at block $eblk, offset $eoff\nDETAIL:  The item at offset $e_lpoff of length 8000 is not a MAXALIGNed item between \d+ and 8176\./,
	'metapage m 0' =>
	  qr/index "t_v" contains a corrupted metapage at block 0\nDETAIL:  Its m is 0; m must be between 2 and 100\./,
	'metapage m 60000' =>
	  qr/index "t_v" contains a corrupted metapage at block 0\nDETAIL:  Its m is 60000; m must be between 2 and 100\./,
	'metapage dimensions 0' =>
	  qr/index "t_v" contains a corrupted metapage at block 0\nDETAIL:  It has 0 dimensions; the indexed column has 8\./,
	'metapage wrong magic' => qr/index "t_v" is not an hnsw index/,
	'metapage entry point at block 99999' =>
	  qr/index "t_v" refers to an element at \(99999,$eoff\), outside the index\nDETAIL:  The reference is in the metapage at block 0; the index has \d+ blocks of at most \d+ tuples\./,
);

my @ops = (
	[ scan => q{SET enable_seqscan = off; SELECT id FROM t ORDER BY v <-> vec(4242) LIMIT 5;} ],
	[ insert => q{INSERT INTO t VALUES (100001, vec(100001));} ],
	[ vacuum => q{DELETE FROM t WHERE id % 7 = 0; VACUUM t;} ],
	[ check => q{SELECT * FROM hnsw_index_check('t_v');} ],
);

for my $case (@cases)
{
	my ($name, $damage) = @$case;

	$restore_files->();
	$damage->();
	my $logstart = -s $node->logfile;
	$node->start;
	my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

	for my $op (@ops)
	{
		my ($opname, $sql) = @$op;
		my ($ret, $stdout, $stderr) =
		  $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
		ok($ret != 0 && $stderr =~ /ERROR:  XX002: /,
			"$name: $opname raises index_corrupted")
		  or diag("psql returned $ret: $stderr");
		like($stderr, $message{$name}, "$name: the scan says what is wrong")
		  if $opname eq 'scan';
		# should the backend have crashed, wait for the server to recover
		if ($ret == 2)
		{
			for (1 .. 600)
			{
				last if substr(slurp_file($node->logfile), $logstart) =~ /reinitializing/;
				sleep(0.1);
			}
			$node->poll_query_until('postgres', 'SELECT true')
			  or die "the server did not come back";
		}
	}

	# (a crash of a backend reinitializes the server but keeps the
	# postmaster and its start time: the log tells)
	is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
		$started, "$name: the postmaster did not restart");
	my $log = slurp_file($node->logfile);
	unlike(substr($log, $logstart), qr/terminated by signal|PANIC/,
		"$name: no process was terminated by a signal");
	$node->stop;
}

done_testing();

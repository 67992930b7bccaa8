#-------------------------------------------------------------------------
#
# 016_codes.pl
#	  Compact codes (format 4): recall, the scans' use of the codes, and
#	  the codes kept right through concurrent inserts, VACUUM, a crash and
#	  replay on a standby; damaged codes are reported by the checker and
#	  never crash a scan; the quantization option.
#
# The primary sets wal_consistency_checking = 'all', and a streaming
# standby replays everything.  Data: 3,000 rows of 64 dimensions in 24
# clusters (a centre of values in [-1, 1) plus noise of the same spread,
# both from md5 of the row's id, so any session computes the same vector
# again), as vector(64) in items and as halfvec(64) in hitems, and 200
# queries of the same kind.  Indexes with the default quantization (auto:
# codes for these operator classes) over l2, inner product and cosine on
# both tables, and one l2 index without codes (quantization = none) on
# plain, a third copy of the rows.
#
# After each phase (build; inserts by 4 pgbench clients; a third of the
# rows deleted and VACUUM; inserts again into the space VACUUM freed; a
# crash of the primary during inserts, then VACUUM):
#	 - hnsw_index_check passes on every index of the primary, and, once
#	   the standby has caught up, on the standby with the primary's counts;
#	   the standby answers the queries with the primary's rows;
#	 - recall@10 at ef_search = 100 against exact search is at least 0.95
#	   for every index read with hnsw.use_codes = off, and with codes at a
#	   margin of 1.9 standard errors (hnsw.code_margin, RaBitQ's bound)
#	   within 0.01 of it; at the default margin (0.5), which reads fewer
#	   neighbours for a little recall at a given ef_search, at least 0.93
#	   and within 0.03;
#	 - hnsw_scan_stats(), summed over the 200 queries, shows the indexes
#	   with codes estimating distances from them (estimated > 0) and
#	   leaving some neighbours unread (skipped > 0), the index without
#	   codes estimating none, and hnsw.use_codes = off estimating none.
# The recall thresholds were set from measurements: recall 0.998 to 1.0
# for every index, with and without the codes, after every phase but the
# deletion.  The deletion (id % 3 = 0, with clusters id % 24) empties 8 of
# the 24 clusters, so about a third of the queries ask where no row is left
# and the rows are all about equally far: those are the queries the
# codes' default margin costs most.  After it, over five runs: without
# codes l2 0.9795-0.9825, inner product 0.9630-0.9670, cosine
# 0.9585-0.9680; at a margin of 1.9 within 0.002 of that; at the default
# margin cosine 0.9530-0.9615, at most 0.012 below recall without codes
# (0.0065 for l2, 0.0035 for inner product).  The graph after concurrent
# inserts differs from run to run.  With 50 queries instead of 200 the
# same gap for cosine ranged over 0.002-0.030 in twelve measurements, two
# of them at 0.03 itself.
#
# Then, with the standby stopped, damaged codes on the primary (the server
# stopped, the files saved and put back for each case): bytes of the code
# of slot 0 in the layer-0 list of a LIVE element (the entry point) of an
# index of 1,000 rows are changed (its sign bits; its shift set to NaN;
# its base set to 3e38; its factor to infinity), and a non-zero byte is
# put in the code of the first empty slot of the entry point's list in an
# index of 20 rows with m = 16.  The place is computed from the page
# layout (src/hnsw_page.h): m, codes and codebits from the metapage, the
# entry point's element tuple, its neighbour tuple, whose code area starts
# at the first multiple of 4 bytes after its ngood bytes with the owner's
# squared norm (4 bytes), then one code per layer-0 slot, each of
# 12 + codebits / 8 bytes.  hnsw_index_check must fail with
# XX002 and name the element and the slot; index scans must still return
# rows, and a scan for the entry point's own vector, which estimates the
# damaged code first, must return the entry point's row first; and no
# process may have died.
#
# Last, the option: quantization = rabitq on an l1 operator class fails
# with 0A000, quantization = bogus with the reloption error.
#
# IDENTIFICATION
#	  test/t/016_codes.pl
#
#-------------------------------------------------------------------------
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use HnswTest;

my $BLCKSZ = 8192;
my $NQUERIES = 200;

srand(16016);

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
wal_consistency_checking = 'all'
autovacuum = off
max_wal_size = '4GB'
checkpoint_timeout = '1h'
restart_after_crash = on
});
$primary->start;
my $standby = start_standby($primary, 'all');

#-------------------------------------------------------------------------
# Data and indexes
#-------------------------------------------------------------------------
$primary->safe_psql(
	'postgres', q{
	CREATE FUNCTION u(s text) RETURNS real IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
		SELECT (('x' || substr(md5(s), 1, 8))::bit(32)::int / 2147483648.0)::real $$;
	-- 24 clusters: a centre plus noise of the same spread
	CREATE FUNCTION cvec(i bigint) RETURNS vector(64) IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
		SELECT ARRAY(SELECT u('c' || (i % 24) || ':' || d) + u('n' || i || ':' || d)
					 FROM generate_series(1, 64) d)::vector(64) $$;

	CREATE SEQUENCE ids START 3001;
	CREATE TABLE items (id bigint PRIMARY KEY, v vector(64));
	INSERT INTO items SELECT i, cvec(i) FROM generate_series(1, 3000) i;
	CREATE TABLE hitems (id bigint PRIMARY KEY, v halfvec(64));
	INSERT INTO hitems SELECT id, v::halfvec(64) FROM items;
	CREATE TABLE plain (id bigint PRIMARY KEY, v vector(64));
	INSERT INTO plain SELECT id, v FROM items;
	CREATE TABLE queries (qid int PRIMARY KEY, q vector(64));
	INSERT INTO queries SELECT i, cvec(1000000 + i) FROM generate_series(1, NQUERIES) i;
	CREATE TABLE hqueries (qid int PRIMARY KEY, q halfvec(64));
	INSERT INTO hqueries SELECT qid, q::halfvec(64) FROM queries;

	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops);
	CREATE INDEX items_ip ON items USING hnsw (v vector_ip_ops);
	CREATE INDEX items_cos ON items USING hnsw (v vector_cosine_ops);
	CREATE INDEX hitems_l2 ON hitems USING hnsw (v halfvec_l2_ops);
	CREATE INDEX hitems_ip ON hitems USING hnsw (v halfvec_ip_ops);
	CREATE INDEX hitems_cos ON hitems USING hnsw (v halfvec_cosine_ops);
	CREATE INDEX plain_l2 ON plain USING hnsw (v vector_l2_ops) WITH (quantization = none);

	-- Every query through the index the plan takes, at ef_search = 100:
	-- what hnsw_scan_stats() says of each scan, summed, and the indexes
	-- the scans used
	CREATE FUNCTION scan_totals(tab text, qtab text, op text,
		OUT indexes text, OUT scans int, OUT estimated bigint, OUT skipped bigint,
		OUT distances bigint)
	LANGUAGE plpgsql AS $$
	DECLARE
		r record;
		s record;
		n bigint;
		used text[] := '{}';
	BEGIN
		scans := 0; estimated := 0; skipped := 0; distances := 0;
		SET LOCAL enable_seqscan = off;
		SET LOCAL hnsw.ef_search = 100;
		FOR r IN EXECUTE format('SELECT q FROM %I ORDER BY qid', qtab) LOOP
			EXECUTE format('SELECT count(*) FROM (SELECT id FROM %I ORDER BY v %s $1 LIMIT 10) s',
						   tab, op) INTO n USING r.q;
			SELECT * INTO s FROM hnsw_scan_stats();
			IF NOT s.index::text = ANY (used) THEN
				used := used || s.index::text;
			END IF;
			scans := scans + (n = 10)::int;
			estimated := estimated + s.estimated;
			skipped := skipped + s.skipped;
			distances := distances + s.distances;
		END LOOP;
		indexes := array_to_string(used, ',');
	END $$;
} =~ s/NQUERIES/$NQUERIES/r);

# [index, table, queries, operator, has codes]
my @indexes = (
	[ 'items_l2', 'items', 'queries', '<->', 1 ],
	[ 'items_ip', 'items', 'queries', '<#>', 1 ],
	[ 'items_cos', 'items', 'queries', '<=>', 1 ],
	[ 'hitems_l2', 'hitems', 'hqueries', '<->', 1 ],
	[ 'hitems_ip', 'hitems', 'hqueries', '<#>', 1 ],
	[ 'hitems_cos', 'hitems', 'hqueries', '<=>', 1 ],
	[ 'plain_l2', 'plain', 'queries', '<->', 0 ]);

# The fields of codes in the metapage (after the 24-byte page header):
# codes at 26, codebits at 28; the file is read after a checkpoint
$primary->safe_psql('postgres', 'CHECKPOINT');
foreach my $ix (@indexes)
{
	my ($name, $table, $queries, $op, $codes) = @$ix;
	my $path = $primary->data_dir . '/' . $primary->safe_psql('postgres', "SELECT pg_relation_filepath('$name')");
	my $meta = read_block($path, 0);
	is( join('|', unpack('V V', substr($meta, 24, 8)), unpack('v v', substr($meta, 24 + 26, 4))),
		join('|', 0x484E5357, 4, $codes ? (1, 64) : (0, 0)),
		"$name: format 4, " . ($codes ? 'with codes of 64 bits' : 'without codes'));
}

sub catch_up
{
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
}

# The 10 nearest rows of every query through the index, one line each
sub knn
{
	my ($table, $queries, $op) = @_;
	return qq{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 40;
		SELECT q.qid, array_agg(n.id ORDER BY n.ord)
		FROM $queries q,
			LATERAL (SELECT id, row_number() OVER () AS ord FROM
						(SELECT id FROM $table ORDER BY v $op q.q LIMIT 10) s) n
		GROUP BY q.qid ORDER BY q.qid;
	};
}

# Everything a phase checks (see the top of the file)
sub check_phase
{
	my ($phase) = @_;

	catch_up();
	foreach my $ix (@indexes)
	{
		my ($name, $table, $queries, $op, $codes) = @$ix;

		my @counts = check_index($primary, $name, "$phase, primary");
		my ($ret, $sc, $err) = $standby->psql('postgres',
			"SELECT elements, heap_tids, reachable FROM hnsw_index_check('$name')");
		is($ret, 0, "$phase, standby: hnsw_index_check passes on $name") or diag($err);
		is($sc, join('|', @counts), "$phase, standby: $name has the primary's counts");
		is($standby->safe_psql('postgres', knn($table, $queries, $op)),
			$primary->safe_psql('postgres', knn($table, $queries, $op)),
			"$phase, standby: $name returns the primary's rows");

		my $with = recall_at_k($primary, $table, $op, ef_search => 100, queries => $queries);
		my $tight = recall_at_k($primary, $table, $op,
			ef_search => 100, queries => $queries, set => { 'hnsw.code_margin' => '1.9' });
		my $without = recall_at_k($primary, $table, $op,
			ef_search => 100, queries => $queries, set => { 'hnsw.use_codes' => 'off' });
		cmp_ok($without, '>=', 0.95, "$phase: $name: recall\@10 at ef_search 100 without codes is $without");
		cmp_ok($tight, '>=', 0.95, "$phase: $name: recall\@10 at ef_search 100, margin 1.9, is $tight");
		# recalls are rounded to 4 places: compare their difference so
		# rounded, or 0.978 - 0.948 is 0.030000000000000027 > 0.03
		cmp_ok(sprintf('%.4f', abs($tight - $without)), '<=', 0.01,
			"$phase: $name: recall with codes at margin 1.9 ($tight) is within 0.01 of recall without ($without)");
		cmp_ok($with, '>=', 0.93, "$phase: $name: recall\@10 at ef_search 100, default margin, is $with");
		cmp_ok(sprintf('%.4f', abs($with - $without)), '<=', 0.03,
			"$phase: $name: recall with codes at the default margin ($with) is within 0.03 of recall without ($without)");

		my ($used, $scans, $estimated, $skipped, $distances) = split /\|/,
		  $primary->safe_psql('postgres', "SELECT * FROM scan_totals('$table', '$queries', '$op')");
		note("$phase: $name: $scans scans, estimated $estimated, skipped $skipped, distances $distances");
		is("$used|$scans", "$name|$NQUERIES", "$phase: $name serves the $NQUERIES queries, 10 rows each");
		if ($codes)
		{
			cmp_ok($estimated, '>', 0, "$phase: $name: the scans estimate distances from the codes");
			cmp_ok($skipped, '>', 0, "$phase: $name: the scans leave some neighbours unread");
			my ($offused, $offscans, $offestimated, $offskipped) = split /\|/,
			  $primary->safe_psql('postgres',
				"SET hnsw.use_codes = off; SELECT * FROM scan_totals('$table', '$queries', '$op')");
			is("$offestimated|$offskipped", '0|0',
				"$phase: $name: with hnsw.use_codes = off the scans estimate nothing");
		}
		else
		{
			is("$estimated|$skipped", '0|0', "$phase: $name: without codes the scans estimate nothing");
		}
	}
}

check_phase('build');

#-------------------------------------------------------------------------
# Concurrent inserts, a third deleted and VACUUM, inserts again
#-------------------------------------------------------------------------

# One row, with the same vector, into each of the three tables
my $insert = $primary->basedir . '/insert.sql';
append_to_file(
	$insert, q{
WITH n AS (SELECT nextval('ids') AS id),
	a AS (INSERT INTO items SELECT id, cvec(id) FROM n RETURNING id, v),
	h AS (INSERT INTO hitems SELECT id, v::halfvec(64) FROM a)
INSERT INTO plain SELECT id, v FROM a;
});

# pgbench with 4 clients for $seconds; returns the rows it added
sub run_inserts
{
	my ($seconds, $seed, $phase) = @_;
	my ($out, $err) = ('', '');
	my $before = $primary->safe_psql('postgres', 'SELECT count(*) FROM items');
	my $h = start_pgbench($primary, $insert, 4, $seed, $seconds, \$out, \$err);
	$h->finish;
	is($h->result(0), 0, "$phase: pgbench ran") or diag($err);
	my $added = $primary->safe_psql('postgres', 'SELECT count(*) FROM items') - $before;
	note("$phase: $added rows inserted by 4 clients in ${seconds}s");
	return $added;
}

cmp_ok(run_inserts(15, 16001, 'inserts'), '>', 0, 'inserts: rows were added');
check_phase('inserts');

$primary->safe_psql(
	'postgres', q{
	DELETE FROM items WHERE id % 3 = 0;
	DELETE FROM hitems WHERE id % 3 = 0;
	DELETE FROM plain WHERE id % 3 = 0;
});
vacuum_table($primary, $_) foreach qw(items hitems plain);
check_phase('a third deleted, VACUUM');

cmp_ok(run_inserts(10, 16002, 'reinserts'), '>', 0, 'reinserts: rows were added');
check_phase('inserts after VACUUM');

#-------------------------------------------------------------------------
# A crash during inserts
#-------------------------------------------------------------------------
{
	my ($out, $err) = ('', '');
	my $log_offset = -s $primary->logfile;
	my $h = start_pgbench($primary, $insert, 4, 16003, 120, \$out, \$err);
	my $delay = 2 + rand(2);
	sleep($delay);
	note(sprintf('crash: immediate shutdown after %.2fs of inserts', $delay));
	crash($primary, 'crash', 'immediate', $log_offset, \$out, \$err, [$h]);
}
check_index($primary, $_->[0], 'after the crash') foreach @indexes;
vacuum_table($primary, $_) foreach qw(items hitems plain);
check_phase('after the crash, VACUUM');
foreach my $ix (@indexes)
{
	my ($name, $table) = @$ix;
	my $rows = $primary->safe_psql('postgres', "SELECT count(*) FROM $table");
	my ($elements, $heap_tids, $reachable) = check_index($primary, $name, 'after the crash, VACUUM');
	is("$elements|$heap_tids|$reachable", "$rows|$rows|$rows",
		"after the crash, VACUUM: $name has an element and a heap TID per row ($rows), all reachable");
}

# The standby is still streaming, and replay found no page to differ
catch_up();
is($standby->safe_psql('postgres', 'SELECT status FROM pg_stat_wal_receiver'),
	'streaming', 'the standby is still streaming');
check_replay_log($standby);
$standby->stop;

#-------------------------------------------------------------------------
# Damaged codes
#-------------------------------------------------------------------------
$primary->safe_psql(
	'postgres', q{
	CREATE TABLE dmg (id int PRIMARY KEY, v vector(64));
	INSERT INTO dmg SELECT i, cvec(i) FROM generate_series(1, 1000) i;
	CREATE INDEX dmg_l2 ON dmg USING hnsw (v vector_l2_ops);
	CREATE TABLE few (id int PRIMARY KEY, v vector(64));
	INSERT INTO few SELECT i, cvec(i) FROM generate_series(1, 20) i;
	CREATE INDEX few_l2 ON few USING hnsw (v vector_l2_ops) WITH (m = 16);
});
check_index($primary, $_, 'before damage') foreach qw(dmg_l2 few_l2);

my $pgdata = $primary->data_dir;
my %file;
$file{$_} = "$pgdata/" . $primary->safe_psql('postgres', "SELECT pg_relation_filepath('$_')")
  foreach qw(dmg dmg_l2 few few_l2);
$primary->stop;
my $restore = save_files(values %file);

# Where the codes of the entry point's layer-0 list are, in an index file:
# the entry point (block, offset), its first heap TID, m, the bytes of a
# code, the position in the file of its codes, how many members its layer-0
# list has, and the first of them
sub entry_codes
{
	my ($path) = @_;
	my $meta = read_block($path, 0);
	my ($m) = unpack('v', substr($meta, 24 + 12, 2));
	my ($eblk) = unpack('V', substr($meta, 24 + 16, 4));
	my ($eoff) = unpack('v', substr($meta, 24 + 20, 2));
	my ($codes, $codebits) = unpack('v v', substr($meta, 24 + 26, 4));
	die "$path has no codes" unless $codes == 1;

	my $epage = read_block($path, $eblk);
	my ($elp) = line_pointer($epage, $eoff);
	die "the entry point is not an element" unless ord(substr($epage, $elp, 1)) == 1;
	die "the entry point is not LIVE" unless ord(substr($epage, $elp + 2, 1)) == 0;
	my ($nblk, $noff) = unpack_tid(substr($epage, $elp + 4, 6));
	my ($hblk, $hoff) = unpack_tid(substr($epage, $elp + 12, 6));

	my $npage = read_block($path, $nblk);
	my ($nlp, undef, $nlen) = line_pointer($npage, $noff);
	die "not a neighbour tuple" unless ord(substr($npage, $nlp, 1)) == 2;
	my $level = ord(substr($npage, $nlp + 1, 1));
	my $codesize = 12 + $codebits / 8;
	my $size = 4 + 6 * ($level + 2) * $m + $level + 1;    # HNSW_NEIGHBOR_TUPLE_SIZE
	my $codeoff = ($size + 3) & ~3;                      # HNSW_CODES_OFFSET
	die "the neighbour tuple is too short for its codes"
	  if $nlen < $codeoff + 4 + 2 * $m * $codesize;

	my $members = 0;
	while ($members < 2 * $m)
	{
		my ($blk, $off) = unpack_tid(substr($npage, $nlp + 4 + 6 * $members, 6));
		last if $off == 0;
		$members++;
	}
	return {
		eblk => $eblk,
		eoff => $eoff,
		ctid => "($hblk,$hoff)",
		m => $m,
		codesize => $codesize,
		codes => $nblk * $BLCKSZ + $nlp + $codeoff + 4,    # after the owner's norm
		members => $members,
		first => sprintf('(%u,%u)', unpack_tid(substr($npage, $nlp + 4, 6)))
	};
}

my $d = entry_codes($file{dmg_l2});
my $f = entry_codes($file{few_l2});
is($d->{members}, 2 * $d->{m}, "dmg_l2: the entry point's layer-0 list is full ($d->{members})");
cmp_ok($f->{members}, '<', 2 * $f->{m}, "few_l2: the entry point's layer-0 list has free slots ($f->{members})");
my $code0 = $d->{codes};    # the code of slot 0 of dmg_l2's entry point

# The code's bytes as they are
open(my $fh, '<:raw', $file{dmg_l2}) or die "open: $!";
seek($fh, $code0, 0) or die "seek: $!";
read($fh, my $pristine, $d->{codesize}) == $d->{codesize} or die "read: $!";
close($fh);
isnt($pristine, "\0" x $d->{codesize}, 'dmg_l2: the code of slot 0 is not zero');
my $signbyte = chr(ord(substr($pristine, 12, 1)) ^ 0xFF);

my $mismatch = qr/ERROR:  XX002: index "dmg_l2": element \($d->{eblk},$d->{eoff}\) holds a code for neighbour \Q$d->{first}\E that does not match their values/;
my @cases = (
	[ 'sign bits flipped', $file{dmg_l2}, $code0 + 12, $signbyte, $mismatch, 'dmg' ],
	[ 'shift NaN', $file{dmg_l2}, $code0 + 4, pack('V', 0x7FC00000), $mismatch, 'dmg' ],
	[ 'base 3e38', $file{dmg_l2}, $code0, pack('f<', 3e38), $mismatch, 'dmg' ],
	[ 'factor infinite', $file{dmg_l2}, $code0 + 8, pack('v', 0x7C00), $mismatch, 'dmg' ],
	[
		'a byte in an empty slot',
		$file{few_l2},
		$f->{codes} + $f->{members} * $f->{codesize} + 13,
		chr(1),
		qr/ERROR:  XX002: index "few_l2": element \($f->{eblk},$f->{eoff}\) has a code in empty slot $f->{members} of its layer 0 list/,
		'few'
	]);

foreach my $case (@cases)
{
	my ($name, $path, $pos, $bytes, $message, $table) = @$case;

	$restore->();
	write_bytes($path, $pos, $bytes);
	my $logstart = -s $primary->logfile;
	$primary->start;
	my $started = $primary->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

	my ($ret, $out, $err) = $primary->psql('postgres',
		"\\set VERBOSITY verbose\nSELECT * FROM hnsw_index_check('${table}_l2')");
	isnt($ret, 0, "$name: hnsw_index_check fails");
	like($err, $message, "$name: hnsw_index_check names the element and the code");

	foreach my $q (1, 2, 3)
	{
		($ret, $out, $err) = $primary->psql(
			'postgres', qq{
			SET enable_seqscan = off;
			SET hnsw.ef_search = 40;
			SELECT count(*) FROM (SELECT id FROM $table ORDER BY v <-> cvec(2000000 + $q) LIMIT 10) s;
		});
		is("$ret|$out", '0|10', "$name: index scan $q returns rows")
		  or diag($err);
	}
	# A scan for the entry point's own vector expands the entry point's
	# layer-0 list first, and estimates the damaged code: it returns the
	# entry point's row first, and 9 more
	my $e = $table eq 'dmg' ? $d : $f;
	($ret, $out, $err) = $primary->psql(
		'postgres', qq{
		SET enable_seqscan = off;
		SET hnsw.ef_search = 40;
		SELECT (array_agg(id ORDER BY ord))[1] = (SELECT id FROM $table WHERE ctid = '$e->{ctid}'), count(*)
		FROM (SELECT id, row_number() OVER () AS ord FROM
				(SELECT id FROM $table ORDER BY v <-> (SELECT v FROM $table WHERE ctid = '$e->{ctid}') LIMIT 10) s) n;
		SELECT index, estimated > 0 FROM hnsw_scan_stats();
	});
	is("$ret|$out", "0|t|10\n${table}_l2|t",
		"$name: a scan for the entry point's vector returns its row first, estimating from the codes")
	  or diag($err);

	is($primary->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
		$started, "$name: the server did not restart");
	unlike(substr(slurp_file($primary->logfile), $logstart),
		qr/terminated by signal|PANIC/, "$name: no process died");
	$primary->stop;
}
# A metapage whose codes cannot be: 65 bits (not a multiple of 64).  Every
# access to the index raises XX002 and names the field; the checker too.
$restore->();
write_bytes($file{dmg_l2}, 24 + 28, pack('v', 65));
$primary->start;
{
	my ($ret, $out, $err) = $primary->psql('postgres', qq{
		SET enable_seqscan = off;
		SELECT id FROM dmg ORDER BY v <-> cvec(2000001) LIMIT 1;
	});
	like($err,
		qr/ERROR:  index "dmg_l2" contains a corrupted metapage at block 0\nDETAIL:  Its codes have 65 bits; with 64 dimensions and m 16 they have a multiple of 64 between 64 and 64\./,
		'codes of 65 bits in the metapage: a scan fails and names the field');
	($ret, $out, $err) = $primary->psql('postgres',
		"\\set VERBOSITY verbose\nSELECT * FROM hnsw_index_check('dmg_l2')");
	like($err,
		qr/ERROR:  XX002: index "dmg_l2": metapage: Its codes have 65 bits; with 64 dimensions and m 16 they have a multiple of 64 between 64 and 64\./,
		'codes of 65 bits in the metapage: hnsw_index_check names the field');
}
$primary->stop;
$restore->();
$primary->start;
check_index($primary, $_, 'put back') foreach qw(dmg_l2 few_l2);

#-------------------------------------------------------------------------
# The option
#-------------------------------------------------------------------------
my ($ret, $out, $err) = $primary->psql('postgres',
	"\\set VERBOSITY verbose\nCREATE INDEX ON items USING hnsw (v vector_l1_ops) WITH (quantization = rabitq)");
like($err, qr/ERROR:  0A000: quantization "rabitq" is not supported for this operator class/,
	'quantization = rabitq on vector_l1_ops: feature not supported (0A000)');
($ret, $out, $err) = $primary->psql('postgres',
	"\\set VERBOSITY verbose\nCREATE INDEX ON items USING hnsw (v vector_l2_ops) WITH (quantization = bogus)");
like($err, qr/ERROR:  22023: invalid value for enum option "quantization": bogus/,
	'quantization = bogus: invalid value for the option (22023)');
like($err, qr/DETAIL:  Valid values are "auto", "none" and "rabitq"\./,
	'quantization = bogus: the detail lists the values');
is( $primary->safe_psql(
		'postgres', q{
		CREATE INDEX dmg_rabitq ON dmg USING hnsw (v vector_ip_ops) WITH (quantization = rabitq);
		SET enable_seqscan = off;
		SELECT count(*) FROM (SELECT id FROM dmg ORDER BY v <#> cvec(2000001) LIMIT 10) s;
		SELECT index, estimated > 0 FROM hnsw_scan_stats();
	}),
	"10\ndmg_rabitq|t",
	'quantization = rabitq on vector_ip_ops: an index with codes');

$primary->stop;
done_testing();

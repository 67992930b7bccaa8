#-------------------------------------------------------------------------
#
# 014_upgrade.pl
#	  Indexes written by 0.1.x (format 1) work before and after ALTER
#	  EXTENSION hnsw UPDATE; a format from the future is refused.  (0.2.x
#	  wrote format 2, which differs from format 1 only in the kind field,
#	  0 for vector: the format-1 indexes stand for both.)
#
# The extension is created at version 0.1.0, with indexes of the four
# vector operator classes, one on an unlogged table and a partial
# expression index, all without codes (quantization = none: formats 1 to 3
# have none).  With the server stopped, the format version in each index's
# metapage (the uint32 at byte 28 of block 0: a 24-byte page header, the
# magic number, the version) is set to 1, which is what 0.1.x wrote, and
# pd_lower (the uint16 at byte 12) to 52, the end of the 28-byte metapage
# of formats 1 to 3: format 1 has the same layout, with 0 where format 2
# has the kind (FLOAT4 = 0), and format 4 without codes differs only in the
# fields of codes after it, all 0.  Then:
#	 - the old indexes give the exact answers (ef_search = 1000 covers
#	   every row of these small tables, so a search of the graph is
#	   exhaustive), pass hnsw_index_check, take inserts and VACUUM, and keep
#	   format 1 on disk (only builds write format 4, and inserts of the
#	   first value split over pages, see below);
#	 - ALTER EXTENSION hnsw UPDATE goes to 0.4.0 and the same holds; a role
#	   granted EXECUTE on hnsw_index_stats keeps it across 0.3.0, which
#	   changes the function's result;
#	 - a format-1 index of 1,024 dimensions built whole takes inserts of
#	   values split over pages, and is then format 4 without codes, its
#	   metapage's pd_lower past the fields of codes;
#	 - a new index of a vector operator class that codes serve is built in
#	   format 4 with codes and answers as the old one;
#	 - new indexes over halfvec, bit and sparsevec can be built and answer
#	   exactly, next to the old ones;
#	 - pg_dump of the database restores into a new one, with the same
#	   answers, every index passing hnsw_index_check;
#	 - after a crash, the unlogged index is its empty format-1 init fork,
#	   which takes rows and answers;
#	 - from 0.2.0: a database created at 0.2.0 with halfvec indexes in
#	   format 2, whose hnsw_index_stats has 0.2.0's nine columns, updates
#	   to 0.4.0, and its indexes keep their answers, take inserts and
#	   VACUUM, and stay format 2;
#	 - from 0.3.0, the last released version: a database created at 0.3.0
#	   (no hnsw_scan_stats yet) with vector and halfvec indexes in format 3
#	   updates to 0.4.0 and gains hnsw_scan_stats; its indexes keep their
#	   answers, take inserts and VACUUM, stay format 3 and have no codes
#	   (their scans estimate nothing); an index built after the update has
#	   codes (format 4, codes in its metapage, and its scans estimate
#	   distances from them);
#	 - an index whose metapage says format 5 fails with
#	   ERRCODE_INDEX_CORRUPTED and a hint to REINDEX, and REINDEX fixes it.
#
# IDENTIFICATION
#	  test/t/014_upgrade.pl
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

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "autovacuum = off\n");
$node->start;

# The metapage is patched on disk: that needs pages without checksums
# (the default of initdb in these tests)
if ($node->safe_psql('postgres', 'SHOW data_checksums') ne 'off')
{
	plan skip_all => 'data checksums are on: the metapage cannot be patched';
}

$node->safe_psql('postgres', "CREATE EXTENSION hnsw VERSION '0.1.0'");
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"),
	'0.1.0', 'the extension is at 0.1.0');
create_vec_function($node, 16);

# 800 rows and 10 queries: at ef_search = 1000 every search visits every
# reachable element, and the answers are exact.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, v vector(16));
	INSERT INTO items SELECT i, vec(i) FROM generate_series(1, 800) i;
	CREATE TABLE queries (qid int PRIMARY KEY, q vector(16));
	INSERT INTO queries SELECT i, vec(100000 + i) FROM generate_series(1, 10) i;
	CREATE INDEX items_l2 ON items USING hnsw (v vector_l2_ops) WITH (quantization = none);
	CREATE INDEX items_ip ON items USING hnsw (v vector_ip_ops) WITH (m = 8, quantization = none);
	CREATE INDEX items_cos ON items USING hnsw (v vector_cosine_ops) WITH (quantization = none);
	CREATE INDEX items_l1 ON items USING hnsw (v vector_l1_ops) WITH (ef_construction = 32);
	CREATE INDEX items_part ON items USING hnsw ((l2_normalize(v)::vector(16)) vector_ip_ops)
		WITH (quantization = none) WHERE id % 3 = 0;
	CREATE UNLOGGED TABLE u_items (id int PRIMARY KEY, v vector(16));
	INSERT INTO u_items SELECT i, vec(i) FROM generate_series(1, 300) i;
	CREATE INDEX u_l2 ON u_items USING hnsw (v vector_l2_ops) WITH (quantization = none);
});

# Every index: name, table, expression, operator, condition on the rows
# (of a partial index), and whether to compare distances rather than rows
# (Hamming distances tie: any of the tied rows is a right answer).
my @old = (
	[ 'items_l2', 'items', 'v', '<->', '' ],
	[ 'items_ip', 'items', 'v', '<#>', '' ],
	[ 'items_cos', 'items', 'v', '<=>', '' ],
	[ 'items_l1', 'items', 'v', '<+>', '' ],
	[ 'items_part', 'items', '(l2_normalize(v)::vector(16))', '<#>', 'id % 3 = 0' ],
	[ 'u_l2', 'u_items', 'v', '<->', '' ]);

# The 10 nearest rows of every query (ids in order of id, or distances in
# order), through the index or by a sequential scan
sub answers
{
	my ($db, $ix, $exact) = @_;
	my ($name, $table, $expr, $op, $where, $by_distance, $queries) = @$ix;
	$queries //= 'queries';
	my $cond = $where ? "WHERE $where" : '';
	my $agg = $by_distance ? 'array_agg(n.d ORDER BY n.d)' : 'array_agg(n.id ORDER BY n.id)';
	my $set = $exact ? 'SET enable_indexscan = off;' : 'SET enable_seqscan = off;';
	return $node->safe_psql(
		$db, qq{
		$set
		SET hnsw.ef_search = 1000;
		SELECT q.qid, $agg
		FROM $queries q,
			LATERAL (SELECT id, $expr $op q.q AS d FROM $table $cond
					 ORDER BY $expr $op q.q LIMIT 10) n
		GROUP BY q.qid ORDER BY q.qid;
	});
}

# The index serves its operator, gives the exact answers, and passes the
# checker with an element and a heap TID per row, all reachable.  Returns
# the answers.
sub check_exact
{
	my ($db, $ix, $phase) = @_;
	my ($name, $table, $expr, $op, $where, $by_distance, $queries) = @$ix;
	$queries //= 'queries';
	my $cond = $where ? "WHERE $where" : '';

	my $plan = $node->safe_psql($db,
		"SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM $table $cond ORDER BY $expr $op (SELECT q FROM $queries LIMIT 1) LIMIT 10"
	);
	like($plan, qr/Index Scan using $name\b/, "$phase: $name serves $op");
	my $a = answers($db, $ix, 0);
	is($a, answers($db, $ix, 1), "$phase: $name gives the exact answers");
	is(scalar(split /\n/, $a),
		$node->safe_psql($db, "SELECT count(*) FROM $queries"),
		"$phase: $name answers every query");

	my $rows = $node->safe_psql($db, "SELECT count(*) FROM $table $cond");
	my ($ret, $out, $err) = $node->psql($db,
		"SELECT elements, heap_tids, reachable FROM hnsw_index_check('$name')");
	is($ret, 0, "$phase: hnsw_index_check passes on $name") or diag($err);
	is($out, "$rows|$rows|$rows",
		"$phase: $name: an element and a heap TID per row ($rows), all reachable");
	return $a;
}

# What one scan through the index did (it must be the one the query uses):
# "index|expanded > 0|estimated > 0", from hnsw_scan_stats() in the
# session of the scan
sub scan_stats
{
	my ($db, $ix) = @_;
	my ($name, $table, $expr, $op, $where, $by_distance, $queries) = @$ix;
	$queries //= 'queries';
	my $cond = $where ? "WHERE $where" : '';
	my $out = $node->safe_psql(
		$db, qq{
		SET enable_seqscan = off;
		SELECT count(*) FROM (SELECT id FROM $table $cond
							  ORDER BY $expr $op (SELECT q FROM $queries ORDER BY qid LIMIT 1) LIMIT 10) s;
		SELECT index, expanded > 0, estimated > 0 FROM hnsw_scan_stats();
	});
	return (split /\n/, $out)[-1];
}

# The relation files of the indexes (and the init fork of the unlogged one)
my $pgdata = $node->data_dir;
my %file;
foreach my $ix (@old)
{
	my $name = $ix->[0];
	$file{$name} = "$pgdata/" . $node->safe_psql('postgres', "SELECT pg_relation_filepath('$name')");
}

# The format version in the metapage of an index file
sub read_version
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "open $path: $!";
	sysseek($fh, 24, 0) or die "seek $path: $!";
	sysread($fh, my $buf, 8) == 8 or die "read $path: $!";
	close($fh);
	my ($magic, $version) = unpack('LL', $buf);
	die sprintf("%s: magic 0x%08X is not hnsw's", $path, $magic) if $magic != 0x484E5357;
	return $version;
}

# The metapage's pd_lower, and its fields of codes (format 4: bytes 26 to
# 35 of the metapage; 0 without codes and in older formats): codes,
# codebits and codeseed, joined by '|'
sub read_meta_codes
{
	my ($path) = @_;
	my $page = read_block($path, 0);
	my $pd_lower = unpack('v', substr($page, 12, 2));
	my ($codes, $codebits, $unused, $codeseed) = unpack('v v v V', substr($page, 24 + 26, 10));
	return ($pd_lower, "$codes|$codebits|$codeseed");
}

# Writes $version into the metapage of an index file (server stopped).  An
# older format than 4 gets the pd_lower of its 28-byte metapage; the index
# must be without codes, whose fields, past that pd_lower, are 0.
sub write_version
{
	my ($path, $version) = @_;
	read_version($path);
	if ($version < 4)
	{
		my ($pd_lower, $codes) = read_meta_codes($path);
		die "$path has codes ($codes)" if $codes ne '0|0|0';
		write_bytes($path, 12, pack('v', 24 + 28));
	}
	open(my $fh, '+<:raw', $path) or die "open $path: $!";
	sysseek($fh, 28, 0) or die "seek $path: $!";
	syswrite($fh, pack('L', $version)) == 4 or die "write $path: $!";
	close($fh);
	return;
}

# The answers of the new build, before the version is touched
my %before;
$before{ $_->[0] } = check_exact('postgres', $_, '0.1.0, format 4') foreach @old;

# Make them format 1, as 0.1.x wrote them
$node->stop;
foreach my $ix (@old)
{
	my $name = $ix->[0];
	is(read_version($file{$name}), 4, "$name was built in format 4");
	is_deeply([ read_meta_codes($file{$name}) ], [ 24 + 36, '0|0|0' ],
		"$name has no codes, and a metapage of 36 bytes");
	write_version($file{$name}, 1);
	is(read_version($file{$name}), 1, "$name now says format 1");
}
ok(-f "$file{u_l2}_init", 'the unlogged index has an init fork');
write_version("$file{u_l2}_init", 1);
$node->start;

foreach my $ix (@old)
{
	is(check_exact('postgres', $ix, '0.1.0, format 1'), $before{ $ix->[0] },
		"0.1.0, format 1: $ix->[0] gives the answers it gave before");
}

# Inserts, deletes and VACUUM on the format-1 indexes
sub writes
{
	my ($from, $to, $phase) = @_;
	$node->safe_psql(
		'postgres', qq{
		INSERT INTO items SELECT i, vec(i) FROM generate_series($from, $to) i;
		INSERT INTO u_items SELECT i, vec(i) FROM generate_series($from, $to) i;
		DELETE FROM items WHERE id % 7 = 0 AND id < $from;
		DELETE FROM u_items WHERE id % 7 = 0 AND id < $from;
		VACUUM (INDEX_CLEANUP ON) items;
		VACUUM (INDEX_CLEANUP ON) u_items;
	});
	$before{ $_->[0] } = check_exact('postgres', $_, $phase) foreach @old;

	# still format 1 on disk: only builds write format 4
	$node->safe_psql('postgres', 'CHECKPOINT');
	foreach my $ix (@old)
	{
		is(read_version($file{ $ix->[0] }), 1, "$phase: $ix->[0] is still format 1");
		is_deeply([ read_meta_codes($file{ $ix->[0] }) ], [ 24 + 28, '0|0|0' ],
			"$phase: $ix->[0] keeps the metapage of format 1");
	}
}
writes(1001, 1100, '0.1.0, format 1, after inserts and vacuum');

# The update, with a role that may call hnsw_index_stats
$node->safe_psql(
	'postgres', q{
	CREATE ROLE inspector LOGIN;
	GRANT EXECUTE ON FUNCTION hnsw_index_stats(regclass) TO inspector;
});
$node->safe_psql('postgres', 'ALTER EXTENSION hnsw UPDATE');
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"),
	'0.4.0', 'ALTER EXTENSION hnsw UPDATE goes to 0.4.0');
is($node->safe_psql('postgres',
		"SELECT elements, chained_elements, unreferenced_value_tuples FROM hnsw_index_stats('items_l2')",
		extra_params => [ '-U', 'inspector' ]),
	$node->safe_psql('postgres', "SELECT count(*) FROM items") . '|0|0',
	'0.4.0: the role granted EXECUTE on hnsw_index_stats still may call it, with the new columns');
my ($sret, $sout, $serr) = $node->psql('postgres', "SELECT * FROM hnsw_index_check('items_l2')",
	extra_params => [ '-U', 'inspector' ]);
like($serr, qr/permission denied for function hnsw_index_check/,
	'0.4.0: and hnsw_index_check, not granted to it, stays refused');
foreach my $ix (@old)
{
	is(check_exact('postgres', $ix, '0.4.0, format 1'), $before{ $ix->[0] },
		"0.4.0, format 1: $ix->[0] gives the answers it gave before the update");
}
writes(1101, 1200, '0.4.0, format 1, after inserts and vacuum');

# A format-1 index of 1,024-dimensional vectors, built of one row (which
# fits a page whole): the insert of the first value that does not fit
# whole beside the others splits it, and raises the index to format 4,
# without codes
$node->safe_psql(
	'postgres', q{
	CREATE TABLE wide (id int PRIMARY KEY, v vector(1024));
	INSERT INTO wide SELECT 1, array_fill(0.5::real, ARRAY[1024])::vector;
	CREATE INDEX wide_l2 ON wide USING hnsw (v vector_l2_ops) WITH (quantization = none);
	CHECKPOINT;
});
my $wide = "$pgdata/" . $node->safe_psql('postgres', "SELECT pg_relation_filepath('wide_l2')");
$node->stop;
write_version($wide, 1);
$node->start;
is($node->safe_psql('postgres', "SELECT * FROM hnsw_index_check('wide_l2')"),
	'1|1|1', 'format 1, 1,024 dimensions: one whole element');
$node->safe_psql('postgres',
	"INSERT INTO wide SELECT i, (SELECT array_agg(((i * j) % 101)::real) FROM generate_series(1, 1024) j)::vector FROM generate_series(2, 20) i");
is($node->safe_psql('postgres', "SELECT * FROM hnsw_index_check('wide_l2')"),
	'20|20|20', 'format 1, 1,024 dimensions: inserts of split values pass the check');
ok($node->safe_psql('postgres', "SELECT chained_elements FROM hnsw_index_stats('wide_l2')") > 0,
	'format 1, 1,024 dimensions: some values are split');
$node->safe_psql('postgres', 'CHECKPOINT');
is(read_version($wide), 4, 'the first split value raised the index to format 4');
is_deeply([ read_meta_codes($wide) ], [ 24 + 36, '0|0|0' ],
	'format 4 after the raise: no codes, and pd_lower past their fields');
is($node->safe_psql('postgres',
		"SET enable_seqscan = off; SELECT id FROM wide ORDER BY v <-> (SELECT v FROM wide WHERE id = 13) LIMIT 1;
		 SELECT index, estimated FROM hnsw_scan_stats()"),
	"13\nwide_l2|0", 'format 4 after the raise: the index finds a split value, estimating nothing from codes');
$node->safe_psql('postgres', 'DROP TABLE wide');

# New indexes over the new types, next to the old ones: 500 rows each
$node->safe_psql(
	'postgres', q{
	CREATE TABLE hv (id int PRIMARY KEY, v halfvec(16));
	INSERT INTO hv SELECT i, vec(i)::halfvec(16) FROM generate_series(1, 500) i;
	CREATE TABLE hv_q (qid int PRIMARY KEY, q halfvec(16));
	INSERT INTO hv_q SELECT qid, q::halfvec(16) FROM queries;
	CREATE INDEX hv_cos ON hv USING hnsw (v halfvec_cosine_ops);

	CREATE TABLE bq (id int PRIMARY KEY, b bit(64));
	INSERT INTO bq SELECT i, binary_quantize(vec(i) || vec(i + 10000) || vec(i + 20000) || vec(i + 30000))::bit(64)
	FROM generate_series(1, 500) i;
	CREATE TABLE bq_q (qid int PRIMARY KEY, q bit(64));
	INSERT INTO bq_q SELECT i, binary_quantize(vec(100000 + i) || vec(110000 + i) || vec(120000 + i) || vec(130000 + i))::bit(64)
	FROM generate_series(1, 10) i;
	CREATE INDEX bq_ham ON bq USING hnsw (b bit_hamming_ops);
	CREATE INDEX bq_jac ON bq USING hnsw (b bit_jaccard_ops);

	CREATE TABLE sv (id int PRIMARY KEY, v sparsevec(64));
	INSERT INTO sv
	SELECT i, ARRAY(SELECT CASE WHEN x > 0.5 THEN x ELSE 0 END
					FROM unnest((vec(i) || vec(i + 10000) || vec(i + 20000) || vec(i + 30000))::real[]) x
				   )::vector(64)::sparsevec(64)
	FROM generate_series(1, 500) i;
	CREATE TABLE sv_q (qid int PRIMARY KEY, q sparsevec(64));
	INSERT INTO sv_q
	SELECT i, ARRAY(SELECT CASE WHEN x > 0.5 THEN x ELSE 0 END
					FROM unnest((vec(100000 + i) || vec(110000 + i) || vec(120000 + i) || vec(130000 + i))::real[]) x
				   )::vector(64)::sparsevec(64)
	FROM generate_series(1, 10) i;
	CREATE INDEX sv_l2 ON sv USING hnsw (v sparsevec_l2_ops);
	CREATE INDEX sv_ip ON sv USING hnsw (v sparsevec_ip_ops);

	CREATE INDEX items_l2_new ON items USING hnsw (v vector_l2_ops) WITH (quantization = rabitq);
	CREATE INDEX items_l2_auto ON items USING hnsw (v vector_l2_ops);
});
my @new = (
	[ 'hv_cos', 'hv', 'v', '<=>', '', 0, 'hv_q' ],
	[ 'bq_ham', 'bq', 'b', '<~>', '', 1, 'bq_q' ],
	[ 'bq_jac', 'bq', 'b', '<%>', '', 1, 'bq_q' ],
	[ 'sv_l2', 'sv', 'v', '<->', '', 0, 'sv_q' ],
	[ 'sv_ip', 'sv', 'v', '<#>', '', 0, 'sv_q' ]);
is($node->safe_psql('postgres', 'SELECT count(DISTINCT b) FROM bq'), '500', 'bq: 500 distinct values');
is($node->safe_psql('postgres', 'SELECT count(DISTINCT v) FROM sv'), '500', 'sv: 500 distinct values');
check_exact('postgres', $_, '0.4.0, new type') foreach @new;

# A new vector index is format 4, with codes (16 dimensions: 64 bits) if
# asked for: at 16 dimensions, a code (20 bytes) is more than a quarter of
# a value (64 bytes), and quantization = auto gives none.  The old ones are
# format 1 and answer as before, also with a new index next to them
$node->safe_psql('postgres', 'CHECKPOINT');
is(($node->safe_psql('postgres', "SELECT quantization FROM hnsw_index_stats('items_l2_auto')")),
	'none', 'quantization = auto gives no codes to a vector(16) index');
$node->safe_psql('postgres', 'DROP INDEX items_l2_auto');
my $newl2 = "$pgdata/" . $node->safe_psql('postgres', "SELECT pg_relation_filepath('items_l2_new')");
is(read_version($newl2), 4, 'a new index is built in format 4');
my ($new_lower, $new_codes) = read_meta_codes($newl2);
like($new_codes, qr/^1\|64\|[1-9]\d*$/, 'a new vector index has codes of 64 bits, and a seed');
is(answers('postgres', [ 'items_l2_new', 'items', 'v', '<->', '' ], 0),
	$before{items_l2}, 'the new vector index answers as the old one');
is(scan_stats('postgres', [ 'items_l2_new', 'items', 'v', '<->', '' ]),
	'items_l2_new|t|t', 'the new vector index estimates distances from its codes');
$node->safe_psql('postgres', 'DROP INDEX items_l2_new');
foreach my $ix (@old)
{
	is(check_exact('postgres', $ix, '0.4.0, format 1, next to new indexes'), $before{ $ix->[0] },
		"0.4.0: $ix->[0] still gives its answers");
	is(read_version($file{ $ix->[0] }), 1, "0.4.0: $ix->[0] is still format 1");
}

# pg_dump of the updated database, restored into a new one: the same
# answers (exact on both sides), every index valid and passing the checker
my $dump = $node->basedir . '/upgraded.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('postgres'), '-f', $dump ],
	'pg_dump -Fc of the updated database');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore into a new database');
is($node->safe_psql('restored', "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"),
	'0.4.0', 'restored: the extension is at 0.4.0');
my $defs = q{SELECT indexrelid::regclass, pg_get_indexdef(indexrelid), indisvalid
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'hnsw' ORDER BY indexrelid::regclass::text};
is($node->safe_psql('restored', $defs), $node->safe_psql('postgres', $defs),
	'restored: the same hnsw indexes, valid');
foreach my $ix (@old, @new)
{
	is(check_exact('restored', $ix, 'restored'), answers('postgres', $ix, 0),
		"restored: $ix->[0] gives the answers of the source");
}

# From 0.2.0, in a database of its own: halfvec indexes (a type 0.2.0
# added) written in format 2, built without codes.  Their values are
# whole, so format 2 and 4 without codes lay them out alike: the
# metapage's version and pd_lower are what 0.2.0 wrote.
$node->safe_psql('postgres', 'CREATE DATABASE from020');
$node->safe_psql(
	'from020', q{
	CREATE EXTENSION hnsw VERSION '0.2.0';
	CREATE FUNCTION hv(i int) RETURNS halfvec(16) IMMUTABLE LANGUAGE sql AS $$
		SELECT ARRAY(SELECT (('x' || substr(md5(i || ':' || d), 1, 4))::bit(16)::int / 65536.0 - 0.5)::real
					 FROM generate_series(1, 16) d)::halfvec(16) $$;
	CREATE TABLE h2 (id int PRIMARY KEY, v halfvec(16));
	INSERT INTO h2 SELECT i, hv(i) FROM generate_series(1, 500) i;
	CREATE TABLE h2_q (qid int PRIMARY KEY, q halfvec(16));
	INSERT INTO h2_q SELECT i, hv(100000 + i) FROM generate_series(1, 10) i;
	CREATE INDEX h2_cos ON h2 USING hnsw (v halfvec_cosine_ops) WITH (quantization = none);
	CREATE INDEX h2_l2 ON h2 USING hnsw (v halfvec_l2_ops) WITH (quantization = none);
	CHECKPOINT;
});
is($node->safe_psql('from020', "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"),
	'0.2.0', 'from020: the extension is at 0.2.0');
is($node->safe_psql('from020', "SELECT count(*) FROM h2"), '500', 'from020: 500 rows');
my @h2 = (
	[ 'h2_cos', 'h2', 'v', '<=>', '', 0, 'h2_q' ],
	[ 'h2_l2', 'h2', 'v', '<->', '', 0, 'h2_q' ]);
my %h2file;
$h2file{ $_->[0] } = "$pgdata/" . $node->safe_psql('from020', "SELECT pg_relation_filepath('$_->[0]')")
  foreach @h2;
$node->stop;
write_version($h2file{$_}, 2) foreach sort keys %h2file;
$node->start;
my %h2before;
$h2before{ $_->[0] } = check_exact('from020', $_, '0.2.0, format 2') foreach @h2;
is($node->safe_psql('from020', "SELECT * FROM hnsw_index_stats('h2_l2')"),
	$node->safe_psql('from020',
		"SELECT elements, heap_tids, levels, pages, avg_degree, bytes_per_vector, m, ef_construction, dimensions FROM hnsw_index_stats('h2_l2')"),
	'0.2.0: hnsw_index_stats returns the nine columns 0.2.0 declares');

$node->safe_psql('from020', 'ALTER EXTENSION hnsw UPDATE');
is($node->safe_psql('from020', "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"),
	'0.4.0', 'from020: ALTER EXTENSION hnsw UPDATE goes from 0.2.0 to 0.4.0');
foreach my $ix (@h2)
{
	is(check_exact('from020', $ix, '0.4.0, format 2'), $h2before{ $ix->[0] },
		"0.4.0, format 2: $ix->[0] gives the answers it gave at 0.2.0");
	is($node->safe_psql('from020',
			"SELECT chained_elements, value_tuple_bytes, unreferenced_value_tuples FROM hnsw_index_stats('$ix->[0]')"),
		'0|0|0', "0.4.0, format 2: $ix->[0]: hnsw_index_stats has the new columns, no value split");
}
$node->safe_psql(
	'from020', q{
	INSERT INTO h2 SELECT i, hv(i) FROM generate_series(501, 600) i;
	DELETE FROM h2 WHERE id % 7 = 0;
});
vacuum_table($node, 'h2', 'from020');
$node->safe_psql('from020', 'CHECKPOINT');
foreach my $ix (@h2)
{
	check_exact('from020', $ix, '0.4.0, format 2, after inserts and vacuum');
	is(read_version($h2file{ $ix->[0] }), 2, "0.4.0: $ix->[0] is still format 2");
}

# From 0.3.0, the last released version, in a database of its own: vector
# and halfvec indexes of operator classes that codes serve, written in
# format 3 (built without codes, with the metapage of format 3, see
# write_version), and no hnsw_scan_stats yet.
$node->safe_psql('postgres', 'CREATE DATABASE from030');
$node->safe_psql(
	'from030', q{
	CREATE EXTENSION hnsw VERSION '0.3.0';
	CREATE FUNCTION v3(i int) RETURNS vector(16) IMMUTABLE LANGUAGE sql AS $$
		SELECT ARRAY(SELECT (('x' || substr(md5('v3:' || i || ':' || d), 1, 8))::bit(32)::int / 2147483648.0)::real
					 FROM generate_series(1, 16) d)::vector(16) $$;
	CREATE TABLE t3 (id int PRIMARY KEY, v vector(16));
	INSERT INTO t3 SELECT i, v3(i) FROM generate_series(1, 500) i;
	CREATE TABLE t3_q (qid int PRIMARY KEY, q vector(16));
	INSERT INTO t3_q SELECT i, v3(100000 + i) FROM generate_series(1, 10) i;
	CREATE TABLE h3 (id int PRIMARY KEY, v halfvec(16));
	INSERT INTO h3 SELECT id, v::halfvec(16) FROM t3;
	CREATE TABLE h3_q (qid int PRIMARY KEY, q halfvec(16));
	INSERT INTO h3_q SELECT qid, q::halfvec(16) FROM t3_q;
	CREATE INDEX t3_l2 ON t3 USING hnsw (v vector_l2_ops) WITH (quantization = none);
	CREATE INDEX t3_ip ON t3 USING hnsw (v vector_ip_ops) WITH (m = 8, quantization = none);
	CREATE INDEX h3_cos ON h3 USING hnsw (v halfvec_cosine_ops) WITH (quantization = none);
	CHECKPOINT;
});
is($node->safe_psql('from030', "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"),
	'0.3.0', 'from030: the extension is at 0.3.0');
is($node->safe_psql('from030', "SELECT to_regprocedure('hnsw_scan_stats()') IS NULL"),
	't', 'from030: 0.3.0 has no hnsw_scan_stats');
my @h3 = (
	[ 't3_l2', 't3', 'v', '<->', '', 0, 't3_q' ],
	[ 't3_ip', 't3', 'v', '<#>', '', 0, 't3_q' ],
	[ 'h3_cos', 'h3', 'v', '<=>', '', 0, 'h3_q' ]);
my %h3file;
$h3file{ $_->[0] } = "$pgdata/" . $node->safe_psql('from030', "SELECT pg_relation_filepath('$_->[0]')")
  foreach @h3;
$node->stop;
write_version($h3file{$_}, 3) foreach sort keys %h3file;
$node->start;
my %h3before;
$h3before{ $_->[0] } = check_exact('from030', $_, '0.3.0, format 3') foreach @h3;

$node->safe_psql('from030', 'ALTER EXTENSION hnsw UPDATE');
is($node->safe_psql('from030', "SELECT extversion FROM pg_extension WHERE extname = 'hnsw'"),
	'0.4.0', 'from030: ALTER EXTENSION hnsw UPDATE goes from 0.3.0 to 0.4.0');
is($node->safe_psql('from030', "SELECT to_regprocedure('hnsw_scan_stats()') IS NOT NULL"),
	't', 'from030: 0.4.0 has hnsw_scan_stats');
is($node->safe_psql('from030', 'SELECT * FROM hnsw_scan_stats()'),
	'||||||||', 'from030: hnsw_scan_stats is NULL before the first scan of the session');
foreach my $ix (@h3)
{
	is(check_exact('from030', $ix, '0.4.0, format 3'), $h3before{ $ix->[0] },
		"0.4.0, format 3: $ix->[0] gives the answers it gave at 0.3.0");
	is(scan_stats('from030', $ix), "$ix->[0]|t|f",
		"0.4.0, format 3: $ix->[0] has no codes, its scans estimate nothing");
}
$node->safe_psql(
	'from030', q{
	INSERT INTO t3 SELECT i, v3(i) FROM generate_series(501, 600) i;
	INSERT INTO h3 SELECT i, v3(i)::halfvec(16) FROM generate_series(501, 600) i;
	DELETE FROM t3 WHERE id % 7 = 0;
	DELETE FROM h3 WHERE id % 7 = 0;
});
vacuum_table($node, 't3', 'from030');
vacuum_table($node, 'h3', 'from030');
$node->safe_psql('from030', 'CHECKPOINT');
foreach my $ix (@h3)
{
	check_exact('from030', $ix, '0.4.0, format 3, after inserts and vacuum');
	is(read_version($h3file{ $ix->[0] }), 3, "0.4.0: $ix->[0] is still format 3");
	is_deeply([ read_meta_codes($h3file{ $ix->[0] }) ], [ 24 + 28, '0|0|0' ],
		"0.4.0: $ix->[0] keeps the metapage of format 3, without codes");
}

# Indexes built after the update have codes (asked for: auto gives none to
# 16 dimensions), next to the old ones
$node->safe_psql(
	'from030', q{
	CREATE INDEX t3_cos_new ON t3 USING hnsw (v vector_cosine_ops) WITH (quantization = rabitq);
	CREATE INDEX h3_l2_new ON h3 USING hnsw (v halfvec_l2_ops) WITH (quantization = rabitq);
	CHECKPOINT;
});
foreach my $ix ([ 't3_cos_new', 't3', 'v', '<=>', '', 0, 't3_q' ],
	[ 'h3_l2_new', 'h3', 'v', '<->', '', 0, 'h3_q' ])
{
	my $path = "$pgdata/" . $node->safe_psql('from030', "SELECT pg_relation_filepath('$ix->[0]')");
	check_exact('from030', $ix, '0.4.0, built after the update');
	is(read_version($path), 4, "0.4.0: $ix->[0] is built in format 4");
	my ($lower, $codes) = read_meta_codes($path);
	like($codes, qr/^1\|64\|[1-9]\d*$/, "0.4.0: $ix->[0] has codes of 64 bits, and a seed");
	is(scan_stats('from030', $ix), "$ix->[0]|t|t",
		"0.4.0: $ix->[0]'s scans estimate distances from its codes");
}
foreach my $ix (@h3)
{
	is(check_exact('from030', $ix, '0.4.0, format 3, next to new indexes'), answers('from030', $ix, 1),
		"0.4.0: $ix->[0] still gives the exact answers");
}

# An index of a format from the future: refused with a hint to REINDEX
$node->safe_psql(
	'postgres', q{
	CREATE TABLE fut (id int PRIMARY KEY, v vector(16));
	INSERT INTO fut SELECT i, vec(i) FROM generate_series(1, 200) i;
	CREATE INDEX fut_l2 ON fut USING hnsw (v vector_l2_ops);
});
my $fut = "$pgdata/" . $node->safe_psql('postgres', "SELECT pg_relation_filepath('fut_l2')");
# An immediate stop this time (after a checkpoint, so that recovery does
# not write the metapage again): the unlogged index is then reset to its
# init fork, the empty format-1 index patched above
$node->safe_psql('postgres', 'CHECKPOINT');
$node->stop('immediate');
write_version($fut, 5);
$node->start;

is($node->safe_psql('postgres', "SELECT * FROM hnsw_index_check('u_l2')"),
	'0|0|0', 'after a crash: the format-1 unlogged index is empty');
is(read_version($file{u_l2}), 1, 'after a crash: the unlogged index is its format-1 init fork');
$node->safe_psql('postgres', 'INSERT INTO u_items SELECT i, vec(i) FROM generate_series(1, 300) i');
check_exact('postgres', $old[-1], 'after a crash, format 1');
$node->safe_psql('postgres', 'CHECKPOINT');
is(read_version($file{u_l2}), 1, 'after a crash and inserts: the unlogged index is still format 1');
foreach my $case (
	[ 'a scan', "SET enable_seqscan = off; SELECT id FROM fut ORDER BY v <-> vec(1) LIMIT 1" ],
	[ 'an insert', "INSERT INTO fut VALUES (201, vec(201))" ],
	[ 'hnsw_index_check', "SELECT * FROM hnsw_index_check('fut_l2')" ])
{
	my ($what, $sql) = @$case;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	isnt($ret, 0, "format 5: $what fails");
	like($err, qr/ERROR:  XX002: index "fut_l2" has format version 5, expected 4/,
		"format 5: $what: index corrupted (XX002), with the version");
	like($err, qr/HINT:  REINDEX the index\./, "format 5: $what: the hint says REINDEX");
}
$node->safe_psql('postgres', 'REINDEX INDEX fut_l2');
is( $node->safe_psql(
		'postgres', "SET enable_seqscan = off; SELECT id FROM fut ORDER BY v <-> vec(7) LIMIT 1"),
	'7',
	'after REINDEX: the index answers');
$node->safe_psql('postgres', 'INSERT INTO fut VALUES (201, vec(201))');
is($node->safe_psql('postgres', "SELECT * FROM hnsw_index_check('fut_l2')"),
	'201|201|201', 'after REINDEX: inserts work and hnsw_index_check passes');
$node->safe_psql('postgres', 'CHECKPOINT');
is(read_version("$pgdata/" . $node->safe_psql('postgres', "SELECT pg_relation_filepath('fut_l2')")),
	4, 'after REINDEX: format 4');

$node->stop;
done_testing();

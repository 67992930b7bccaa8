--
-- hnsw index: values larger than a page (format 3).  vector and halfvec up
-- to 16000 dimensions, sparsevec up to 16000 entries: an element whose value
-- does not fit beside it keeps a head and chains the rest through value
-- tuples.  Each index goes through a build, inserts, a delete of a third
-- with VACUUM, and as many inserts again, and after every phase:
--   - hnsw_index_check passes;
--   - hnsw_index_stats counts the elements, which of them are chained, and
--     no value tuple that no chain holds;
--   - an index scan returns what a sequential scan returns (with fewer
--     rows than hnsw.ef_search the search reaches every element).
-- Values are small integers from a hash of (row, dimension), so that the
-- sums behind every distance are exact whatever their order.
--
\i sql/include/sqlerr.sql

-- d values from 0 to 9 for row i: on a share of the dimensions that grows
-- with (i * 7) % 97 (exactly (i * 7) % 97 dimensions in every 97), those
-- of row 0, the other ones of row i's own.  Row 0 is the query: the rows
-- nearest to it are those that share most with it, at well separated
-- distances (see same() for why that matters), and a row differs from the
-- next over the whole vector.
CREATE FUNCTION lg_vals(i int, d int) RETURNS real[]
LANGUAGE sql IMMUTABLE
AS $$ SELECT array_agg(CASE WHEN (j * 13 + i * 31) % 97 < i * 7 % 97
		THEN abs(hashint8(j::bigint) % 10)
		ELSE abs(hashint8(i * 100000::bigint + j) % 10) END ORDER BY j)::real[]
	FROM generate_series(1, d) j $$;

-- A sparse vector of 100000 dimensions with nnz entries (nnz <= 16000) for
-- row i: one in each of nnz equal ranges, at a place and with a value
-- (1 to 9) from a hash
CREATE FUNCTION lg_sparse(i int, nnz int) RETURNS sparsevec
LANGUAGE sql IMMUTABLE
AS $$ SELECT ('{' || string_agg((k * (100000 / nnz) + abs(hashint8(i * 100000::bigint + k) % (100000 / nnz)) + 1) ||
		':' || (abs(hashint8(-i * 100000::bigint - k) % 9) + 1), ',' ORDER BY k) || '}/100000')::sparsevec
	FROM generate_series(0, nnz - 1) k $$;

-- same(idx, q, k, apart) runs q, which returns (id, d) ordered by the
-- distance d, with LIMIT k, through index idx and through a sequential
-- scan, and compares: the same distances in the same order, and the same
-- rows, but among those at the k-th distance (of which either may return
-- any).  A halfvec cosine index ranks rows by their unit vectors rounded
-- to binary16, off here by up to 0.00035 from the exact distances: its
-- queries pass apart > 0.0007, and same() first checks that the sequential
-- scan's first k + 1 distances are at least that far apart (so that the
-- rounding cannot change their order).
CREATE FUNCTION pg_temp.same(idx regclass, q text, k int, apart float8) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	line text;
	indexed bool := false;
	ai int[];
	ad float8[];
	bi int[];
	bd float8[];
	gap float8;
	agg text := 'SELECT array_agg(id ORDER BY n), array_agg(d ORDER BY n) FROM (SELECT id, d, row_number() OVER () AS n FROM (';
BEGIN
	SET LOCAL enable_seqscan = on;
	SET LOCAL enable_indexscan = off;
	EXECUTE agg || q || ' LIMIT ' || k + 1 || ') s) s' INTO bi, bd;
	SELECT min(bd[n + 1] - bd[n]) INTO gap FROM generate_series(1, cardinality(bd) - 1) n;
	IF gap < apart THEN
		RETURN format('TOO CLOSE: %s', bd);
	END IF;
	bi := bi[1:k];
	bd := bd[1:k];
	SET LOCAL enable_seqscan = off;
	SET LOCAL enable_indexscan = on;
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q || ' LIMIT ' || k LOOP
		indexed := indexed OR line LIKE '%Index Scan using ' || idx::text || ' %';
	END LOOP;
	IF NOT indexed THEN
		RETURN 'NOT AN INDEX SCAN USING ' || idx::text;
	END IF;
	EXECUTE agg || q || ' LIMIT ' || k || ') s) s' INTO ai, ad;
	IF ad IS DISTINCT FROM bd OR
		ARRAY(SELECT x FROM unnest(ai, ad) u(x, y) WHERE y < bd[k] ORDER BY x) <>
		ARRAY(SELECT x FROM unnest(bi, bd) u(x, y) WHERE y < bd[k] ORDER BY x) THEN
		RETURN format('DIFFERENT: index %s %s, sequential scan %s %s', ai, ad, bi, bd);
	END IF;
	RETURN format('same %s rows', cardinality(bd));
END
$$;

-- selfmatch(idx, tbl, col, op): every row of tbl, used as the query, finds
-- itself first through index idx (for distances that are 0 from a vector
-- to itself only).  Returns the rows that do not.
CREATE FUNCTION pg_temp.selfmatch(idx regclass, tbl text, col text, op text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	q text := format('SELECT count(*), array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id IS DISTINCT FROM '
		'(SELECT u.id FROM %s u ORDER BY u.%I %s t.%I LIMIT 1)) FROM %s t', tbl, col, op, col, tbl);
	line text;
	indexed bool := false;
	n bigint;
	missed int[];
BEGIN
	SET LOCAL enable_seqscan = off;
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		indexed := indexed OR line LIKE '%Index Scan using ' || idx::text || ' %';
	END LOOP;
	IF NOT indexed THEN
		RETURN 'NOT AN INDEX SCAN USING ' || idx::text;
	END IF;
	EXECUTE q INTO n, missed;
	IF missed IS NOT NULL THEN
		RETURN format('%s of %s rows do not find themselves: %s', cardinality(missed), n, missed);
	END IF;
	RETURN format('all %s rows find themselves', n);
END
$$;

SET hnsw.ef_search = 100;
-- With enable_seqscan off, a plan that must scan a table sequentially
-- costs more than jit_above_cost: compiling each would take most of the
-- time of this test
SET jit = off;

-- The limits: 16000 dimensions for vector and halfvec, and 16000 entries
-- for sparsevec, are the types' own.  A column or a value past them is
-- refused by the type, so it never reaches an index, at INSERT or (as no
-- table can hold one) at CREATE INDEX.  The index's own check of the
-- column's dimensions is tested in hnsw_options and hnsw_types.  Values at
-- the limits are indexed.
CREATE TABLE lg_lim (v vector(16000), h halfvec(16000), s sparsevec(100000));
CREATE INDEX lg_lim_v ON lg_lim USING hnsw (v vector_l2_ops);
CREATE INDEX lg_lim_h ON lg_lim USING hnsw (h halfvec_cosine_ops);
CREATE INDEX lg_lim_s ON lg_lim USING hnsw (s sparsevec_l2_ops);
SELECT pg_temp.sqlerr('CREATE TABLE lg_bad (v vector(16001))');
SELECT pg_temp.sqlerr('CREATE TABLE lg_bad (h halfvec(16001))');
SELECT pg_temp.sqlerr('INSERT INTO lg_lim (v) SELECT lg_vals(1, 16001)::vector');
SELECT pg_temp.sqlerr('INSERT INTO lg_lim (h) SELECT lg_vals(1, 16001)::halfvec');
SELECT pg_temp.sqlerr($$INSERT INTO lg_lim (s) SELECT ('{' || string_agg(k || ':1', ',') || '}/100000')::sparsevec
	FROM generate_series(1, 16001) k$$);
SELECT pg_temp.sqlerr('INSERT INTO lg_lim (v) SELECT lg_vals(1, 16000)::vector');
SELECT pg_temp.sqlerr('INSERT INTO lg_lim (h) SELECT lg_vals(1, 16000)::halfvec');
SELECT pg_temp.sqlerr('INSERT INTO lg_lim (s) SELECT lg_sparse(1, 16000)');
SELECT i, (hnsw_index_check(i)).* FROM unnest('{lg_lim_v,lg_lim_h,lg_lim_s}'::regclass[]) i;
DROP TABLE lg_lim;

-- A sparse value takes the place of a deleted, chained element of more
-- entries: it keeps the chain (and so counts as chained), and the bytes of
-- head and chain past its value are zero
CREATE TABLE lg_r (id int, s sparsevec(100000));
CREATE INDEX lg_r_l2 ON lg_r USING hnsw (s sparsevec_l2_ops);
INSERT INTO lg_r SELECT 1, lg_sparse(1, 2000);
INSERT INTO lg_r VALUES (2, '{1:1}/100000'), (3, '{2:1}/100000');
DELETE FROM lg_r WHERE id = 1;
VACUUM lg_r;
INSERT INTO lg_r VALUES (4, '{3:1}/100000');
SELECT elements, chained_elements, value_tuple_bytes > 0 AS has_value_tuples, unreferenced_value_tuples
FROM hnsw_index_stats('lg_r_l2');
SELECT * FROM hnsw_index_check('lg_r_l2');
SELECT pg_temp.same('lg_r_l2', $$SELECT id, s <-> '{3:2}/100000' AS d FROM lg_r ORDER BY s <-> '{3:2}/100000'$$, 3, 0);
DROP TABLE lg_r;

-- The tables: 40 rows, then 20 inserted after the build, then 20 of the
-- 60 deleted and 20 inserted again.  vector(1) holds distinct values.  The
-- sparse table has every other row, with 16000, 3000, 1000, 100 and 10
-- entries in turn: a value of 1000 entries or more does not fit a page
-- beside its neighbour tuple.
CREATE TABLE lg_v (id int, v1 vector(1), v2000 vector(2000), v2001 vector(2001),
	v3072 vector(3072), v16000 vector(16000));
CREATE TABLE lg_h (id int, h2000 halfvec(2000), h3072 halfvec(3072), h4001 halfvec(4001),
	h16000 halfvec(16000));
CREATE TABLE lg_s (id int, nnz int, s sparsevec(100000));
CREATE FUNCTION lg_fill(first int, last int) RETURNS void LANGUAGE sql AS $$
	INSERT INTO lg_v SELECT i, ARRAY[(i * 37) % 101]::vector, lg_vals(i, 2000)::vector,
		lg_vals(i, 2001)::vector, lg_vals(i, 3072)::vector, lg_vals(i, 16000)::vector
	FROM generate_series(first, last) i;
	INSERT INTO lg_h SELECT i, lg_vals(i, 2000)::halfvec, lg_vals(i, 3072)::halfvec,
		lg_vals(i, 4001)::halfvec, lg_vals(i, 16000)::halfvec
	FROM generate_series(first, last) i;
	INSERT INTO lg_s SELECT i, n, lg_sparse(i, n)
	FROM generate_series(first, last) i,
		LATERAL (SELECT (ARRAY[16000, 3000, 1000, 100, 10])[i / 2 % 5 + 1]) n(n)
	WHERE i % 2 = 0;
$$;
SELECT lg_fill(1, 40);

-- The indexes (m = 16), with the query of each (row 0; for sparse, a
-- vector like the rows) and the rows it compares (k).  bytes: of a value
-- (for sparse, of the largest).  split: whether every value is split, as
-- its element and a neighbour tuple of level 0 (200 bytes) do not fit one
-- page.  Values of 1000 bytes or more (dense kinds) may be split where a
-- page ends; sparse values are split only when they must be.
CREATE TABLE lg_ix (idx text, tbl text, col text, op text, q text, bytes int,
	k int DEFAULT 10, apart float8 DEFAULT 0, split bool);
INSERT INTO lg_ix (idx, tbl, col, op, q, bytes) VALUES
	('lg_v1_l2', 'lg_v', 'v1', '<->', '''[40]''', 4),
	('lg_v2000_l2', 'lg_v', 'v2000', '<->', 'lg_vals(0, 2000)::vector', 8000),
	('lg_v2001_l2', 'lg_v', 'v2001', '<->', 'lg_vals(0, 2001)::vector', 8004),
	('lg_v3072_l2', 'lg_v', 'v3072', '<->', 'lg_vals(0, 3072)::vector', 12288),
	('lg_v3072_ip', 'lg_v', 'v3072', '<#>', 'lg_vals(0, 3072)::vector', 12288),
	('lg_v3072_cos', 'lg_v', 'v3072', '<=>', 'lg_vals(0, 3072)::vector', 12288),
	('lg_v3072_l1', 'lg_v', 'v3072', '<+>', 'lg_vals(0, 3072)::vector', 12288),
	('lg_v16000_l2', 'lg_v', 'v16000', '<->', 'lg_vals(0, 16000)::vector', 64000),
	('lg_h2000_l2', 'lg_h', 'h2000', '<->', 'lg_vals(0, 2000)::halfvec', 4000),
	('lg_h3072_l2', 'lg_h', 'h3072', '<->', 'lg_vals(0, 3072)::halfvec', 6144),
	('lg_h3072_ip', 'lg_h', 'h3072', '<#>', 'lg_vals(0, 3072)::halfvec', 6144),
	('lg_h3072_cos', 'lg_h', 'h3072', '<=>', 'lg_vals(0, 3072)::halfvec', 6144),
	('lg_h3072_l1', 'lg_h', 'h3072', '<+>', 'lg_vals(0, 3072)::halfvec', 6144),
	('lg_h4001_l2', 'lg_h', 'h4001', '<->', 'lg_vals(0, 4001)::halfvec', 8002),
	('lg_h16000_l2', 'lg_h', 'h16000', '<->', 'lg_vals(0, 16000)::halfvec', 32000),
	('lg_h16000_cos', 'lg_h', 'h16000', '<=>', 'lg_vals(0, 16000)::halfvec', 32000),
	('lg_s_l2', 'lg_s', 's', '<->', 'lg_sparse(0, 16000)', 128004),
	('lg_s_cos', 'lg_s', 's', '<=>', 'lg_sparse(0, 16000)', 128004);
UPDATE lg_ix SET split = 36 + bytes + 200 + 8 > 8152 AND tbl <> 'lg_s';
UPDATE lg_ix SET apart = 0.0008 WHERE tbl = 'lg_h' AND op = '<=>';
SELECT format('CREATE INDEX %s ON %s USING hnsw (%s %s)', idx, tbl, col,
	CASE tbl WHEN 'lg_v' THEN 'vector' WHEN 'lg_h' THEN 'halfvec' ELSE 'sparsevec' END ||
	CASE op WHEN '<->' THEN '_l2_ops' WHEN '<#>' THEN '_ip_ops' WHEN '<=>' THEN '_cosine_ops' ELSE '_l1_ops' END)
FROM lg_ix ORDER BY idx \gexec

-- The checks after each phase.  lg_stats(exact): with exact, how many
-- elements are chained (the build draws levels from a generator with a
-- fixed seed, so that is the same in every run).  Without, as inserts draw
-- levels at random: for the dense kinds whose values are all split,
-- whether all elements are chained, for the others whether some are; for
-- sparse values, whether all of 1000 entries or more are (and perhaps
-- more: a smaller value that takes the place of a chained element keeps
-- its chain).
CREATE FUNCTION lg_check(OUT idx text, OUT elements bigint, OUT heap_tids bigint, OUT all_reachable bool)
RETURNS SETOF record LANGUAGE sql AS $$
	SELECT idx, c.elements, c.heap_tids, c.reachable = c.elements
	FROM lg_ix, hnsw_index_check(idx::regclass) c ORDER BY idx
$$;
CREATE FUNCTION lg_stats(exact bool, OUT idx text, OUT elements bigint, OUT chained text,
	OUT has_value_tuples bool, OUT unreferenced_value_tuples bigint)
RETURNS SETOF record LANGUAGE sql AS $$
	SELECT idx, s.elements,
		CASE WHEN exact OR bytes < 1000 THEN s.chained_elements::text
			WHEN split THEN CASE WHEN s.chained_elements = s.elements THEN 'all' ELSE 'NOT ALL' END
			WHEN tbl = 'lg_s' THEN CASE WHEN s.chained_elements >= (SELECT count(*) FROM lg_s WHERE nnz >= 1000)
				THEN 'all of 1000 entries or more' ELSE 'NOT ALL' END
			WHEN s.chained_elements > 0 THEN 'some' ELSE 'none' END,
		s.value_tuple_bytes > 0, s.unreferenced_value_tuples
	FROM lg_ix, hnsw_index_stats(idx::regclass) s ORDER BY idx
$$;
CREATE FUNCTION lg_same(OUT idx text, OUT same text)
RETURNS SETOF record LANGUAGE sql AS $$
	SELECT idx, pg_temp.same(idx::regclass,
		format('SELECT id, %I %s %s AS d FROM %s ORDER BY %I %s %s', col, op, q, tbl, col, op, q), k, apart)
	FROM lg_ix ORDER BY idx
$$;
-- every row finds itself, through each index but those for inner products
-- (at the end, when the index holds elements written by the build, by
-- inserts, and in the place of deleted ones)
CREATE FUNCTION lg_selfmatch(OUT idx text, OUT selfmatch text)
RETURNS SETOF record LANGUAGE sql AS $$
	SELECT idx, pg_temp.selfmatch(idx::regclass, tbl, col, op)
	FROM lg_ix WHERE op <> '<#>' ORDER BY idx
$$;
-- packed: the index, but for the metapage and a last, partly filled page,
-- takes per element no more than 5% over the element's value and header
-- (and the codes of its list, if the index has codes), plus 300 bytes (a
-- neighbour tuple of level 0 is 200 bytes).  A page per element would take
-- 8192 bytes for the 4000 and 6144 bytes of halfvec 2000 and 3072; value
-- tuples each on pages of their own, two pages for the 12288 bytes of
-- vector 3072.  These indexes have no codes (quantization = auto gives
-- none above 256 dimensions; hnsw_codes tests split values with codes).
-- With codes, a neighbour tuple (some 7 kB here) must go on its element's
-- page, and the room left beside the last part of a split value is often
-- too small for the next one: the bound allows a neighbour tuple's worth
-- of room per element.
CREATE FUNCTION lg_packed(OUT idx text, OUT packed bool)
RETURNS SETOF record LANGUAGE sql AS $$
	SELECT idx, (pg_relation_size(idx::regclass) - 2 * current_setting('block_size')::int) / s.elements <=
		1.05 * (36 + bytes + s.code_bytes / s.elements) + 300 +
		CASE WHEN s.code_bits > 0 THEN s.code_bytes / s.elements + 300 ELSE 0 END
	FROM lg_ix, hnsw_index_stats(idx::regclass) s
	WHERE tbl <> 'lg_s' AND bytes >= 1000 ORDER BY idx
$$;

-- the build
SELECT * FROM lg_check();
SELECT * FROM lg_stats(true);
SELECT * FROM lg_packed();
SELECT * FROM lg_same();

-- inserts (which write chains too); an insert may leave an element without
-- a way in, which vacuum reconnects
SELECT lg_fill(41, 60);
SELECT idx, elements, heap_tids FROM lg_check();
SELECT * FROM lg_stats(false);
SELECT * FROM lg_same();

-- delete a third, vacuum: the chains of the deleted elements become
-- reusable with them
CREATE TABLE lg_size AS SELECT idx, pg_relation_size(idx::regclass) AS bytes FROM lg_ix;
DELETE FROM lg_v WHERE id % 3 = 0;
DELETE FROM lg_h WHERE id % 3 = 0;
DELETE FROM lg_s WHERE id % 3 = 0;
VACUUM lg_v, lg_h, lg_s;
SELECT * FROM lg_check();
SELECT * FROM lg_stats(false);
SELECT * FROM lg_same();

-- Insert as many rows as were deleted, of the same sizes.  A dense value
-- takes the place of a deleted element with its chain, and the index grows
-- by one page at most, as in hnsw_high_dims: only when an insert draws a
-- level higher than any deleted element left can hold does it need a new
-- neighbour tuple, which goes on the last page if that has room, else on
-- a new one.  With codes (none here, see lg_packed), such a neighbour
-- tuple holds the codes of a whole layer-0 list (some 7 kB) and takes a
-- new page of its own: of the 20 inserts, about 1.25 draw a level above 0,
-- and the bound is then 6 pages (more than 5 such inserts have odds below
-- 1 in 5,000; new elements would take 20 pages or more).  A sparse value takes only a
-- place whose chain is long enough: no bound is given for those.
SELECT lg_fill(61, 80);
SELECT idx, elements, heap_tids FROM lg_check();
SELECT * FROM lg_stats(false);
SELECT l.idx, pg_relation_size(l.idx::regclass) - l.bytes <=
	CASE WHEN s.code_bits > 0 THEN 6 ELSE 1 END * current_setting('block_size')::int AS reused
FROM lg_size l JOIN lg_ix USING (idx), hnsw_index_stats(l.idx::regclass) s
WHERE tbl <> 'lg_s' ORDER BY idx;
SELECT * FROM lg_packed();
SELECT * FROM lg_same();
SELECT * FROM lg_selfmatch();

DROP TABLE lg_v, lg_h, lg_s, lg_ix, lg_size;
DROP FUNCTION lg_vals, lg_sparse, lg_fill, lg_check, lg_stats, lg_same, lg_selfmatch, lg_packed;
RESET hnsw.ef_search;
RESET jit;

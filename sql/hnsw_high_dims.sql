-- Indexes at the limits of the dimensions: build, insert, delete, vacuum
-- and reuse of the space of deleted elements, with the index checked after
-- every phase.  Vectors of small integers, distinct for i < 1009.
CREATE FUNCTION hd_vec(i int, d int) RETURNS vector
LANGUAGE sql IMMUTABLE
AS $$ SELECT array_agg(((i * j) % 1009)::real ORDER BY j)::vector FROM generate_series(1, d) j $$;

-- Where the tuples of an element go (src/hnsw_page.h, format 3): the
-- element and its neighbour tuple go together on the last page if they fit
-- there, else on a new page.  A value of 1000 bytes or more (here from 250
-- dimensions) is split instead when the room left on the last page can
-- hold a head of at least 64 bytes beside the neighbour tuple: the head
-- fills that room and the rest of the value goes into value tuples on the
-- next pages, whose last one leaves room for the next element.  Any value
-- is split when the element and its neighbour tuple do not fit one empty
-- page: with m = 16, at level 0, from 1,978 dimensions on (split: t), for
-- higher levels earlier.  From 1,900 to 1,926 dimensions (m = 16) an
-- element of level 0 leaves 304 to 200 bytes on its page, too few for a
-- head beside a neighbour tuple (320), so they stay whole, one per page.
-- need: bytes of an element of level 0 with its neighbour tuple and their
-- line pointers.  The indexes have no compact codes (quantization = none),
-- which would make every neighbour tuple longer: hnsw_large and hnsw_codes
-- test the layout with them.
CREATE TABLE hd_conf (d int, m int, t text, split bool, need int);
INSERT INTO hd_conf (d, m) VALUES
	(1, 16), (1900, 16), (1924, 16), (1925, 16), (1926, 16), (1980, 16),
	(1981, 16), (1999, 16), (2000, 16), (2000, 8), (1900, 64), (2000, 64);
UPDATE hd_conf SET t = format('hd_%s_%s', d, m),
	split = (36 + 4 * d + 7) / 8 * 8 + (4 + 12 * m + 1 + 7) / 8 * 8 + 8 > 8152,
	need = 36 + 4 * d + 4 + 12 * m + 1 + 8;
SELECT d, m, split FROM hd_conf ORDER BY d, m;

SET enable_seqscan = off;

-- the build
SELECT format('CREATE TABLE %s (id int, v vector(%s))', t, d) FROM hd_conf ORDER BY d, m \gexec
SELECT format('INSERT INTO %s SELECT i, hd_vec(i, %s) FROM generate_series(1, 30) i', t, d)
FROM hd_conf ORDER BY d, m \gexec
SELECT format('CREATE INDEX %s_idx ON %s USING hnsw (v vector_l2_ops) WITH (m = %s, ef_construction = %s, quantization = none)', t, t, m, 2 * m)
FROM hd_conf ORDER BY d, m \gexec
SELECT d, m, c.elements, c.heap_tids, c.reachable = c.elements AS all_reachable
FROM hd_conf, hnsw_index_check(format('%s_idx', t)::regclass) c ORDER BY d, m;

-- Which elements the build split (its levels come from a generator with
-- a fixed seed, so this is the same in every run): all those that must be.
-- At 2,000 dimensions with m = 8 an element of level 0 fits an empty page
-- exactly, but the build lays elements out from the entry point, whose
-- level is higher: it is split, the value tuple it ends with leaves room
-- on its page, and every element after it is split where a page ends.
-- packed: the pages after the metapage and a last, partly filled one hold
-- no more than 5% beyond what the elements need.
CREATE FUNCTION hd_packed(idx regclass, n bigint, need int) RETURNS bool
LANGUAGE sql AS $$
	SELECT pg_relation_size(idx) / current_setting('block_size')::int - 2 <=
		1.05 * n * need / 8152
$$;
SELECT d, hd_conf.m, split, s.chained_elements, s.value_tuple_bytes > 0 AS has_value_tuples,
	s.unreferenced_value_tuples,
	hd_packed(format('%s_idx', t)::regclass, s.elements, need) AS packed
FROM hd_conf, hnsw_index_stats(format('%s_idx', t)::regclass) s ORDER BY d, hd_conf.m;

-- inserts (which may leave an element without a way in: vacuum reconnects)
SELECT format('INSERT INTO %s SELECT i, hd_vec(i, %s) FROM generate_series(31, 90) i', t, d)
FROM hd_conf ORDER BY d, m \gexec
SELECT d, m, c.elements, c.heap_tids
FROM hd_conf, hnsw_index_check(format('%s_idx', t)::regclass) c ORDER BY d, m;

-- a scan finds an exact match, through the index
DO $$
DECLARE
	line text;
BEGIN
	FOR line IN EXPLAIN (COSTS OFF)
		SELECT id FROM hd_2000_16 ORDER BY v <-> hd_vec(77, 2000) LIMIT 1
	LOOP
		IF line LIKE '%Index Scan using hd_2000_16_idx%' THEN
			RAISE NOTICE 'index scan';
		END IF;
	END LOOP;
END
$$;
SELECT format('SELECT %s AS d, %s AS m, id FROM %s ORDER BY v <-> hd_vec(77, %s) LIMIT 1', d, m, t, d)
FROM hd_conf ORDER BY d, m \gexec

-- delete a third, vacuum
SELECT format('DELETE FROM %s WHERE id %% 3 = 0', t) FROM hd_conf ORDER BY d, m \gexec
SELECT format('VACUUM %s', t) FROM hd_conf ORDER BY d, m \gexec
SELECT d, m, c.elements, c.heap_tids, c.reachable = c.elements AS all_reachable
FROM hd_conf, hnsw_index_check(format('%s_idx', t)::regclass) c ORDER BY d, m;

-- Insert as many rows as were deleted: they take the place of the deleted
-- elements (their element tuples, and the heads and chains of split
-- ones: values of the same dimensions fit any such place), and the index
-- grows by at most one page.  Only a neighbour tuple can need new space:
-- inserts draw their levels at random (the backend's generator is not
-- seeded), and one whose level is higher than any REUSABLE element left
-- can hold takes an element's place with a new, longer neighbour tuple.
-- That goes beside the element if its page has room, else on the last
-- page if it has, else on a new page, where the next such tuples go too.
-- The pages of split elements are full; whole elements of 1,900
-- dimensions (m = 16) leave 304 bytes beside them, room for a neighbour
-- tuple of level 1 (296 bytes and a line pointer) but not of level 2, and
-- from 1,924 dimensions on, 208 bytes or less, too few for either.  So
-- whether such an insert comes, and finds room on the last page, varies
-- from run to run.  A new page holds 27 neighbour tuples of level 1 with
-- m = 16, and 7 with m = 64: far more than 30 inserts ever need.
CREATE TABLE hd_size AS
SELECT t, pg_relation_size(format('%s_idx', t)::regclass) AS bytes FROM hd_conf;
SELECT format('INSERT INTO %s SELECT i, hd_vec(i, %s) FROM generate_series(91, 120) i', t, d)
FROM hd_conf ORDER BY d, m \gexec
SELECT d, m, c.elements, c.heap_tids
FROM hd_conf, hnsw_index_check(format('%s_idx', t)::regclass) c ORDER BY d, m;
SELECT d, m, pg_relation_size(format('%s_idx', t)::regclass) - s.bytes
	<= current_setting('block_size')::int AS at_most_a_page
FROM hd_conf JOIN hd_size s USING (t) ORDER BY d, m;
-- after inserts, which of the elements that need not be split are, depends
-- on their levels; those that must be, are
SELECT d, hd_conf.m, split,
	CASE WHEN split THEN s.chained_elements = s.elements END AS all_chained,
	s.unreferenced_value_tuples,
	hd_packed(format('%s_idx', t)::regclass, s.elements, need) AS packed
FROM hd_conf, hnsw_index_stats(format('%s_idx', t)::regclass) s ORDER BY d, hd_conf.m;

SELECT format('SELECT %s AS d, %s AS m, id FROM %s ORDER BY v <-> hd_vec(100, %s) LIMIT 1', d, m, t, d)
FROM hd_conf ORDER BY d, m \gexec

SELECT format('DROP TABLE %s', t) FROM hd_conf ORDER BY d, m \gexec
DROP TABLE hd_conf, hd_size;
DROP FUNCTION hd_vec, hd_packed;
RESET enable_seqscan;

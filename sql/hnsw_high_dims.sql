-- Indexes at the limits of the dimensions: build, insert, delete, vacuum
-- and reuse of the space of deleted elements, with the index checked after
-- every phase.  Vectors of small integers, distinct for i < 1009.
CREATE FUNCTION hd_vec(i int, d int) RETURNS vector
LANGUAGE sql IMMUTABLE
AS $$ SELECT array_agg(((i * j) % 1009)::real ORDER BY j)::vector FROM generate_series(1, d) j $$;

-- From about 1,900 dimensions on, an element and its neighbour tuple no
-- longer fit on one page together: for the higher levels first, from
-- 1,978 (m = 16) for all.  apart: for none.
CREATE TABLE hd_conf (d int, m int, t text, apart bool);
INSERT INTO hd_conf (d, m) VALUES
	(1, 16), (1900, 16), (1924, 16), (1925, 16), (1926, 16), (1980, 16),
	(1981, 16), (1999, 16), (2000, 16), (2000, 8), (1900, 64), (2000, 64);
UPDATE hd_conf SET t = format('hd_%s_%s', d, m),
	apart = (36 + 4 * d + 7) / 8 * 8 + (4 + 12 * m + 1 + 7) / 8 * 8 + 8 > 8152;
SELECT d, m, apart FROM hd_conf ORDER BY d, m;

SET enable_seqscan = off;

-- the build
SELECT format('CREATE TABLE %s (id int, v vector(%s))', t, d) FROM hd_conf ORDER BY d, m \gexec
SELECT format('INSERT INTO %s SELECT i, hd_vec(i, %s) FROM generate_series(1, 30) i', t, d)
FROM hd_conf ORDER BY d, m \gexec
SELECT format('CREATE INDEX %s_idx ON %s USING hnsw (v vector_l2_ops) WITH (m = %s, ef_construction = %s)', t, t, m, 2 * m)
FROM hd_conf ORDER BY d, m \gexec
SELECT d, m, c.elements, c.heap_tids, c.reachable = c.elements AS all_reachable
FROM hd_conf, hnsw_index_check(format('%s_idx', t)::regclass) c ORDER BY d, m;

-- An element that cannot share a page with its neighbour tuple takes a
-- page alone; such neighbour tuples share pages (the index is not twice
-- the size of its vectors).
SELECT d, hd_conf.m,
	s.bytes_per_vector < 1.25 * current_setting('block_size')::int AS about_a_page_per_vector
FROM hd_conf, hnsw_index_stats(format('%s_idx', t)::regclass) s
WHERE apart ORDER BY d, hd_conf.m;

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

-- delete a third (from 1,900 dimensions, one row per page), vacuum
SELECT format('DELETE FROM %s WHERE id %% 3 = 0', t) FROM hd_conf ORDER BY d, m \gexec
SELECT format('VACUUM %s', t) FROM hd_conf ORDER BY d, m \gexec
SELECT d, m, c.elements, c.heap_tids, c.reachable = c.elements AS all_reachable
FROM hd_conf, hnsw_index_check(format('%s_idx', t)::regclass) c ORDER BY d, m;

-- Insert as many rows as were deleted: they take the place of the deleted
-- elements.  Where elements and neighbour tuples are on separate pages,
-- the index does not grow, whatever levels the inserts draw: an insert
-- whose level no reusable neighbour tuple can hold takes an element's
-- place with a new neighbour tuple, on the page shared by such tuples,
-- which has room here for m = 16 (with m = 64 it holds only ten).
CREATE TABLE hd_size AS
SELECT t, pg_relation_size(format('%s_idx', t)::regclass) AS bytes FROM hd_conf;
SELECT format('INSERT INTO %s SELECT i, hd_vec(i, %s) FROM generate_series(91, 120) i', t, d)
FROM hd_conf ORDER BY d, m \gexec
SELECT d, m, c.elements, c.heap_tids
FROM hd_conf, hnsw_index_check(format('%s_idx', t)::regclass) c ORDER BY d, m;
SELECT d, m, pg_relation_size(format('%s_idx', t)::regclass) - s.bytes AS growth
FROM hd_conf JOIN hd_size s USING (t) WHERE apart AND m = 16 ORDER BY d, m;

SELECT format('SELECT %s AS d, %s AS m, id FROM %s ORDER BY v <-> hd_vec(100, %s) LIMIT 1', d, m, t, d)
FROM hd_conf ORDER BY d, m \gexec

SELECT format('DROP TABLE %s', t) FROM hd_conf ORDER BY d, m \gexec
DROP TABLE hd_conf, hd_size;
DROP FUNCTION hd_vec;
RESET enable_seqscan;

--
-- hnsw iterative index scans: hnsw.iterative_scan, hnsw.max_scan_tuples
-- and hnsw.scan_mem_multiplier.  After the first hnsw.ef_search results
-- the scan goes on searching the graph, so that a WHERE filter or a LIMIT
-- above ef_search still gets its rows.
--
-- settings: defaults, ranges and messages (the library defines them when
-- it loads)
LOAD 'hnsw';
SHOW hnsw.iterative_scan;
SHOW hnsw.max_scan_tuples;
SHOW hnsw.scan_mem_multiplier;
SET hnsw.iterative_scan = on;
SET hnsw.iterative_scan = 'strict';
SET hnsw.iterative_scan = off;
SHOW hnsw.iterative_scan;
SET hnsw.iterative_scan = relaxed_order;
SHOW hnsw.iterative_scan;
SET hnsw.iterative_scan = strict_order;
SHOW hnsw.iterative_scan;
RESET hnsw.iterative_scan;
SET hnsw.max_scan_tuples = 0;
SET hnsw.max_scan_tuples = -1;
SET hnsw.max_scan_tuples = 2147483648;
SET hnsw.max_scan_tuples = 1;
SHOW hnsw.max_scan_tuples;
SET hnsw.max_scan_tuples = 2147483647;
SHOW hnsw.max_scan_tuples;
RESET hnsw.max_scan_tuples;
SET hnsw.scan_mem_multiplier = 0.5;
SET hnsw.scan_mem_multiplier = 0;
SET hnsw.scan_mem_multiplier = 1001;
SET hnsw.scan_mem_multiplier = 1;
SHOW hnsw.scan_mem_multiplier;
SET hnsw.scan_mem_multiplier = 2.5;
SHOW hnsw.scan_mem_multiplier;
SET hnsw.scan_mem_multiplier = 1000;
SHOW hnsw.scan_mem_multiplier;
RESET hnsw.scan_mem_multiplier;
SELECT name, setting, boot_val, min_val, max_val, enumvals, context, vartype
FROM pg_settings WHERE name IN ('hnsw.iterative_scan', 'hnsw.max_scan_tuples', 'hnsw.scan_mem_multiplier')
ORDER BY name;

--
-- Data: 5251 points of the plane with small integer coordinates, one per
-- squared distance from the origin, so that distances to '[0,0]' have no
-- ties and an exact answer is unique.  Ids are given in a scrambled order,
-- and three columns select 50%, 10% and 1% of the rows.
--
CREATE TABLE hit (id int PRIMARY KEY, half int, tenth int, hundredth int, v vector(2));
INSERT INTO hit
SELECT id, id % 2, id % 10, id % 100, ARRAY[x, y]::real[]::vector
FROM (SELECT row_number() OVER (ORDER BY md5(x || ',' || y))::int AS id, x, y
	  FROM (SELECT DISTINCT ON (x * x + y * y) x, y
			FROM generate_series(0, 120) x, generate_series(0, 120) y
			ORDER BY x * x + y * y, x) p) s;
CREATE INDEX hit_idx ON hit USING hnsw (v vector_l2_ops);
ANALYZE hit;
SELECT count(*) AS n, count(DISTINCT v <-> '[0,0]') AS distances,
	count(*) FILTER (WHERE half = 0) AS half_0,
	count(*) FILTER (WHERE tenth = 3) AS tenth_3,
	count(*) FILTER (WHERE hundredth = 7) AS hundredth_7
FROM hit;

-- The ids of "filter ORDER BY v <-> q LIMIT lim", in the order returned,
-- exactly (no index scan) or through the index
CREATE FUNCTION hit_exact(filter text, q vector, lim int) RETURNS int[]
LANGUAGE plpgsql SET enable_indexscan = off SET enable_bitmapscan = off AS $$
DECLARE r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM hit WHERE %s ORDER BY v <-> %L LIMIT %s) s',
				   filter, q, lim) INTO r;
	RETURN coalesce(r, '{}');
END $$;
CREATE FUNCTION hit_index(filter text, q vector, lim int) RETURNS int[]
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM hit WHERE %s ORDER BY v <-> %L LIMIT %s) s',
				   filter, q, lim) INTO r;
	RETURN coalesce(r, '{}');
END $$;

-- the plan the functions use
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hit WHERE hundredth = 7 ORDER BY v <-> '[0,0]' LIMIT 100;
RESET enable_seqscan;

-- Filters of 50%, 10% and 1% with LIMIT 10 and 100, default settings
-- (strict_order, ef_search 40): as many rows as asked for, or every
-- matching row, and the exact answer
SELECT f, lim, cardinality(hit_index(f, '[0,0]', lim)) AS nrows,
	hit_index(f, '[0,0]', lim) = hit_exact(f, '[0,0]', lim) AS exact
FROM unnest(ARRAY['half = 0', 'tenth = 3', 'hundredth = 7']) f, unnest(ARRAY[10, 100]) lim
ORDER BY lim, f;
SELECT hit_index('hundredth = 7', '[0,0]', 10);
SELECT hit_exact('hundredth = 7', '[0,0]', 10);

-- the same with relaxed_order (on this data it finds the exact answer too)
SET hnsw.iterative_scan = relaxed_order;
SELECT f, lim, cardinality(hit_index(f, '[0,0]', lim)) AS nrows,
	hit_index(f, '[0,0]', lim) = hit_exact(f, '[0,0]', lim) AS exact
FROM unnest(ARRAY['half = 0', 'tenth = 3', 'hundredth = 7']) f, unnest(ARRAY[10, 100]) lim
ORDER BY lim, f;
RESET hnsw.iterative_scan;

-- and with off: at most ef_search rows come out of the index, before the
-- filter
SET hnsw.iterative_scan = off;
SELECT f, lim, cardinality(hit_index(f, '[0,0]', lim)) AS nrows
FROM unnest(ARRAY['true', 'half = 0', 'tenth = 3', 'hundredth = 7']) f, unnest(ARRAY[10, 100]) lim
ORDER BY lim, f;
RESET hnsw.iterative_scan;

-- other query points (ties possible): the count is exact
SELECT f, lim, count(*) AS queries,
	min(cardinality(hit_index(f, q, lim))) AS min_rows,
	max(cardinality(hit_index(f, q, lim))) AS max_rows
FROM unnest(ARRAY['half = 0', 'tenth = 3', 'hundredth = 7']) f, unnest(ARRAY[10, 100]) lim,
	unnest(ARRAY['[60,60]', '[120,0]', '[33.5,97.25]', '[-10,-10]']::vector[]) q
GROUP BY f, lim ORDER BY lim, f;

SET enable_seqscan = off;

-- LIMIT 1000 with ef_search = 40: 1000 rows, none twice, in order
SET hnsw.ef_search = 40;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit ORDER BY v <-> '[0,0]' LIMIT 1000) s;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]' LIMIT 1000) s;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit WHERE tenth = 3 ORDER BY v <-> '[60,60]' LIMIT 1000) s;

-- off: exactly ef_search rows
SET hnsw.iterative_scan = off;
SELECT count(*) FROM (SELECT id FROM hit ORDER BY v <-> '[0,0]' LIMIT 1000) s;
SET hnsw.ef_search = 7;
SELECT count(*) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]' LIMIT 1000) s;
SELECT count(*) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]') s;
RESET hnsw.iterative_scan;

-- strict_order: no LIMIT, ef_search 7: rows in non-decreasing distance
-- order, none twice
SELECT count(*) AS nrows, count(DISTINCT id) AS ids,
	count(*) FILTER (WHERE d < prev) AS out_of_order
FROM (SELECT id, d, lag(d) OVER (ORDER BY ord) AS prev
	  FROM (SELECT id, v <-> '[60,60]' AS d, row_number() OVER () AS ord
			FROM (SELECT id, v FROM hit ORDER BY v <-> '[60,60]') s) t) u;
SET hnsw.ef_search = 40;
SELECT count(*) AS nrows, count(DISTINCT id) AS ids,
	count(*) FILTER (WHERE d < prev) AS out_of_order
FROM (SELECT id, d, lag(d) OVER (ORDER BY ord) AS prev
	  FROM (SELECT id, v <-> '[33.5,97.25]' AS d, row_number() OVER () AS ord
			FROM (SELECT id, v FROM hit WHERE tenth = 3 ORDER BY v <-> '[33.5,97.25]') s) t) u;

-- relaxed_order: a full ORDER BY without LIMIT returns every row once when
-- max_scan_tuples allows visiting everything
SET hnsw.iterative_scan = relaxed_order;
SET hnsw.max_scan_tuples = 1000000;
SET hnsw.ef_search = 7;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]') s;
SET hnsw.ef_search = 40;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit ORDER BY v <-> '[0,0]') s;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit WHERE hundredth = 7 ORDER BY v <-> '[0,0]') s;
RESET hnsw.max_scan_tuples;
RESET hnsw.iterative_scan;

-- An unsatisfiable filter: the scan stops at hnsw.max_scan_tuples with a
-- NOTICE (once), and returns nothing
SET hnsw.max_scan_tuples = 500;
SELECT id FROM hit WHERE tenth = 10 ORDER BY v <-> '[60,60]' LIMIT 10;
SET hnsw.iterative_scan = relaxed_order;
SELECT id FROM hit WHERE half = 2 ORDER BY v <-> '[60,60]' LIMIT 1;
RESET hnsw.iterative_scan;
-- the first batch is never cut short: max_scan_tuples = 1 still returns
-- ef_search rows (here: all the rows of a LIMIT within the first batch)
SET hnsw.max_scan_tuples = 1;
SELECT count(*) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]' LIMIT 40) s;
SELECT count(*) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]' LIMIT 41) s;
RESET hnsw.max_scan_tuples;

-- the memory bound: a small work_mem stops the scan with its own NOTICE
SET work_mem = '64kB';
SET hnsw.max_scan_tuples = 1000000;
SELECT count(*) FROM (SELECT id FROM hit WHERE tenth = 10 ORDER BY v <-> '[60,60]') s;
-- scan_mem_multiplier raises the bound
SET hnsw.scan_mem_multiplier = 1000;
SELECT count(*) FROM (SELECT id FROM hit WHERE tenth = 10 ORDER BY v <-> '[60,60]') s;
RESET hnsw.scan_mem_multiplier;
RESET hnsw.max_scan_tuples;
RESET work_mem;

-- A rescanned index scan (the inner side of a nested loop) starts each
-- query afresh: hnsw.max_scan_tuples bounds every scan on its own, not the
-- sum over all of them.  Each of these 13 queries, run alone, gets its 10
-- rows well within 3000 tuples.
CREATE TABLE hit_q (qid int, q vector(2));
INSERT INTO hit_q SELECT i, ARRAY[i * 10, 120 - i * 10]::real[]::vector FROM generate_series(0, 12) i;
SET hnsw.max_scan_tuples = 3000;
SELECT count(*) AS queries, min(cardinality(hit_index('hundredth = 7', q, 10))) AS min_rows,
	max(cardinality(hit_index('hundredth = 7', q, 10))) AS max_rows
FROM hit_q;
EXPLAIN (COSTS OFF)
SELECT qid, n FROM hit_q, LATERAL (SELECT count(*) AS n FROM
	(SELECT id FROM hit WHERE hundredth = 7 ORDER BY v <-> hit_q.q LIMIT 10) s) x;
SELECT count(*) AS queries, min(n) AS min_rows, max(n) AS max_rows
FROM hit_q, LATERAL (SELECT count(*) AS n FROM
	(SELECT id FROM hit WHERE hundredth = 7 ORDER BY v <-> hit_q.q LIMIT 10) s) x;
RESET hnsw.max_scan_tuples;

RESET enable_seqscan;
RESET hnsw.ef_search;

-- Plans: a filtered ORDER BY ... LIMIT uses the index; a 1% filter on a
-- table this small reads it and sorts (the index would have to return about
-- a hundred times LIMIT rows); a filter that matches nothing according to
-- the statistics does not use the index either
EXPLAIN (COSTS OFF) SELECT id FROM hit WHERE tenth = 3 ORDER BY v <-> '[60,60]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM hit WHERE hundredth = 7 ORDER BY v <-> '[60,60]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM hit WHERE tenth = 10 ORDER BY v <-> '[60,60]' LIMIT 10;

SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hit_idx');

-- Deleted rows: 90% of the rows deleted, then vacuumed, then some rows
-- back; the stream goes past what is gone and returns each row once
SET enable_seqscan = off;
DELETE FROM hit WHERE tenth <> 0;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]' LIMIT 100) s;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit WHERE hundredth = 10 ORDER BY v <-> '[0,0]' LIMIT 100) s;
SELECT hit_index('hundredth = 10', '[0,0]', 100) = hit_exact('hundredth = 10', '[0,0]', 100) AS exact;
VACUUM (INDEX_CLEANUP ON) hit;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hit_idx');
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]' LIMIT 1000) s;
SELECT hit_index('hundredth = 10', '[0,0]', 100) = hit_exact('hundredth = 10', '[0,0]', 100) AS exact;
INSERT INTO hit
SELECT id, id % 2, id % 10, id % 100, ARRAY[x, y]::real[]::vector
FROM (SELECT row_number() OVER (ORDER BY md5(x || ',' || y))::int AS id, x, y
	  FROM (SELECT DISTINCT ON (x * x + y * y) x, y
			FROM generate_series(0, 120) x, generate_series(0, 120) y
			ORDER BY x * x + y * y, x) p) s
WHERE id % 10 = 3;
-- (relaxed_order, which returns every row it reaches, keeps the output
-- independent of the graph's shape)
SET hnsw.iterative_scan = relaxed_order;
SET hnsw.max_scan_tuples = 1000000;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit ORDER BY v <-> '[60,60]') s;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hit WHERE tenth = 3 ORDER BY v <-> '[0,0]' LIMIT 1000) s;
RESET hnsw.max_scan_tuples;
RESET hnsw.iterative_scan;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hit_idx');
RESET enable_seqscan;

DROP FUNCTION hit_exact, hit_index;
DROP TABLE hit, hit_q;

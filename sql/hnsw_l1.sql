--
-- hnsw index with vector_l1_ops (<+>, taxicab distance): exact results on small
-- integer vectors, NULLs, duplicates, a NULL query vector,
-- inserts after the build
--
-- 30 distinct vectors (20 at build time, 10 inserted later); no two rows
-- are at the same distance from any query below (checked first), so the
-- order of the results is fixed.  With fewer rows than hnsw.ef_search
-- the search finds every row, so the index must return exactly what a
-- sequential scan returns.
--
CREATE TABLE hl1 (id int, v vector(3));
INSERT INTO hl1
SELECT id, ('[' || (id * 37) % 97 % 10 * 100 || ',' || (id * 53) % 89 % 10 * 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(1, 20) id;
INSERT INTO hl1 VALUES (101, NULL), (102, NULL);

CREATE INDEX hl1_idx ON hl1 USING hnsw (v vector_l1_ops);
SELECT * FROM hnsw_index_check('hl1_idx');

SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hl1 ORDER BY v <+> '[430,47.5,2.25]' LIMIT 5;
-- every indexed row, nearest first; NULLs are not in the index
SELECT id, v, v <+> '[430,47.5,2.25]' AS distance FROM hl1 ORDER BY v <+> '[430,47.5,2.25]';
SELECT id, v, v <+> '[250.5,57.5,5.25]' AS distance FROM hl1 ORDER BY v <+> '[250.5,57.5,5.25]' LIMIT 5;
SELECT id, v, v <+> '[612,33.5,7.25]' AS distance FROM hl1 ORDER BY v <+> '[612,33.5,7.25]' LIMIT 3;
SELECT id FROM hl1 ORDER BY v <+> '[612,33.5,7.25]' LIMIT 1;
-- the same answers from a sequential scan
RESET enable_seqscan;
SET enable_indexscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hl1 ORDER BY v <+> '[430,47.5,2.25]' LIMIT 5;
SELECT id FROM hl1 ORDER BY v <+> '[250.5,57.5,5.25]' LIMIT 5;
SELECT id FROM hl1 ORDER BY v <+> '[612,33.5,7.25]' LIMIT 3;
RESET enable_indexscan;
SET enable_seqscan = off;

-- a NULL query vector returns every indexed row
EXPLAIN (COSTS OFF) SELECT id FROM hl1 ORDER BY v <+> (SELECT NULL::vector);
SELECT count(*) FROM (SELECT id FROM hl1 ORDER BY v <+> (SELECT NULL::vector)) s;
SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM hl1 ORDER BY v <+> (SELECT NULL::vector)) s;

-- a query vector with other dimensions
SELECT id FROM hl1 ORDER BY v <+> '[1,2]' LIMIT 1;

-- inserts after the build
INSERT INTO hl1
SELECT id, ('[' || (id * 37) % 97 % 10 * 100 || ',' || (id * 53) % 89 % 10 * 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(21, 30) id;
INSERT INTO hl1 VALUES (103, NULL);
SELECT * FROM hnsw_index_check('hl1_idx');
-- the queries have no ties
SELECT q, count(*) AS nrows, count(DISTINCT v <+> q::vector) AS ndistances
FROM hl1, (VALUES ('[430,47.5,2.25]'), ('[250.5,57.5,5.25]'), ('[612,33.5,7.25]')) qs(q)
WHERE v IS NOT NULL
GROUP BY q ORDER BY q;
SELECT id, v, v <+> '[430,47.5,2.25]' AS distance FROM hl1 ORDER BY v <+> '[430,47.5,2.25]' LIMIT 8;
SELECT id, v, v <+> '[250.5,57.5,5.25]' AS distance FROM hl1 ORDER BY v <+> '[250.5,57.5,5.25]' LIMIT 5;
SELECT array_agg(id) FROM (SELECT id FROM hl1 ORDER BY v <+> '[612,33.5,7.25]') s;
SELECT count(*) FROM (SELECT id FROM hl1 ORDER BY v <+> (SELECT NULL::vector)) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT array_agg(id) FROM (SELECT id FROM hl1 WHERE v IS NOT NULL ORDER BY v <+> '[612,33.5,7.25]') s;
RESET enable_indexscan;
SET enable_seqscan = off;

-- duplicates: every copy comes back
CREATE TABLE hl1_dup (id int, v vector(3));
INSERT INTO hl1_dup SELECT id, '[500,50,5]' FROM generate_series(1, 10) id;
INSERT INTO hl1_dup SELECT id, ('[' || (id * 37) % 97 % 10 * 100 || ',' || (id * 53) % 89 % 10 * 10 || ',' || (id * 71) % 83 % 10 || ']')::vector FROM generate_series(11, 30) id;
CREATE INDEX hl1_dup_idx ON hl1_dup USING hnsw (v vector_l1_ops);
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hl1_dup ORDER BY v <+> '[500,50,5]' LIMIT 10) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hl1_dup_idx');
-- ten more copies, inserted one by one into the built index
INSERT INTO hl1_dup SELECT id, '[500,50,5]' FROM generate_series(31, 40) id;
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hl1_dup ORDER BY v <+> '[500,50,5]' LIMIT 20) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hl1_dup_idx');

RESET enable_seqscan;
SELECT * FROM hnsw_index_check('hl1_idx');
DROP TABLE hl1, hl1_dup;

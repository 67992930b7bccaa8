--
-- hnsw index with vector_l2_ops (<->, Euclidean distance): exact results on small
-- integer vectors, NULLs, duplicates, a NULL query vector,
-- inserts after the build
--
-- 30 distinct vectors (20 at build time, 10 inserted later); no two rows
-- are at the same distance from any query below (checked first), so the
-- order of the results is fixed.  With fewer rows than hnsw.ef_search
-- the search finds every row, so the index must return exactly what a
-- sequential scan returns.
--
CREATE TABLE hl2 (id int, v vector(3));
INSERT INTO hl2
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(1, 20) id;
INSERT INTO hl2 VALUES (101, NULL), (102, NULL);

CREATE INDEX hl2_idx ON hl2 USING hnsw (v vector_l2_ops);
SELECT * FROM hnsw_index_check('hl2_idx');

SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hl2 ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 5;
-- every indexed row, nearest first; NULLs are not in the index
SELECT id, v, v <-> '[5.125,4.625,3.375]' AS distance FROM hl2 ORDER BY v <-> '[5.125,4.625,3.375]';
SELECT id, v, v <-> '[7.75,1.5,8.25]' AS distance FROM hl2 ORDER BY v <-> '[7.75,1.5,8.25]' LIMIT 5;
SELECT id, v, v <-> '[-1.25,1.1875,6.5]' AS distance FROM hl2 ORDER BY v <-> '[-1.25,1.1875,6.5]' LIMIT 3;
SELECT id FROM hl2 ORDER BY v <-> '[-1.25,1.1875,6.5]' LIMIT 1;
-- the same answers from a sequential scan
RESET enable_seqscan;
SET enable_indexscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hl2 ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 5;
SELECT id FROM hl2 ORDER BY v <-> '[7.75,1.5,8.25]' LIMIT 5;
SELECT id FROM hl2 ORDER BY v <-> '[-1.25,1.1875,6.5]' LIMIT 3;
RESET enable_indexscan;
SET enable_seqscan = off;

-- a NULL query vector returns every indexed row
EXPLAIN (COSTS OFF) SELECT id FROM hl2 ORDER BY v <-> (SELECT NULL::vector);
SELECT count(*) FROM (SELECT id FROM hl2 ORDER BY v <-> (SELECT NULL::vector)) s;
SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM hl2 ORDER BY v <-> (SELECT NULL::vector)) s;

-- a query vector with other dimensions
SELECT id FROM hl2 ORDER BY v <-> '[1,2]' LIMIT 1;

-- inserts after the build
INSERT INTO hl2
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(21, 30) id;
INSERT INTO hl2 VALUES (103, NULL);
SELECT * FROM hnsw_index_check('hl2_idx');
-- the queries have no ties
SELECT q, count(*) AS nrows, count(DISTINCT v <-> q::vector) AS ndistances
FROM hl2, (VALUES ('[5.125,4.625,3.375]'), ('[7.75,1.5,8.25]'), ('[-1.25,1.1875,6.5]')) qs(q)
WHERE v IS NOT NULL
GROUP BY q ORDER BY q;
SELECT id, v, v <-> '[5.125,4.625,3.375]' AS distance FROM hl2 ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 8;
SELECT id, v, v <-> '[7.75,1.5,8.25]' AS distance FROM hl2 ORDER BY v <-> '[7.75,1.5,8.25]' LIMIT 5;
SELECT array_agg(id) FROM (SELECT id FROM hl2 ORDER BY v <-> '[-1.25,1.1875,6.5]') s;
SELECT count(*) FROM (SELECT id FROM hl2 ORDER BY v <-> (SELECT NULL::vector)) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT array_agg(id) FROM (SELECT id FROM hl2 WHERE v IS NOT NULL ORDER BY v <-> '[-1.25,1.1875,6.5]') s;
RESET enable_indexscan;
SET enable_seqscan = off;

-- duplicates: every copy comes back
CREATE TABLE hl2_dup (id int, v vector(3));
INSERT INTO hl2_dup SELECT id, '[5,5,5]' FROM generate_series(1, 10) id;
INSERT INTO hl2_dup SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector FROM generate_series(11, 30) id;
CREATE INDEX hl2_dup_idx ON hl2_dup USING hnsw (v vector_l2_ops);
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hl2_dup ORDER BY v <-> '[5,5,5]' LIMIT 10) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hl2_dup_idx');
-- ten more copies, inserted one by one into the built index
INSERT INTO hl2_dup SELECT id, '[5,5,5]' FROM generate_series(31, 40) id;
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hl2_dup ORDER BY v <-> '[5,5,5]' LIMIT 20) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hl2_dup_idx');

RESET enable_seqscan;
SELECT * FROM hnsw_index_check('hl2_idx');
DROP TABLE hl2, hl2_dup;

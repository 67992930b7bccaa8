--
-- hnsw index with vector_cosine_ops (<=>, cosine distance): exact results on small
-- integer vectors, NULLs, zero vectors (not indexed), duplicates, a NULL query vector,
-- inserts after the build
--
-- 30 distinct vectors (20 at build time, 10 inserted later); no two rows
-- are at the same distance from any query below (checked first), so the
-- order of the results is fixed.  With fewer rows than hnsw.ef_search
-- the search finds every row, so the index must return exactly what a
-- sequential scan returns.
--
CREATE TABLE hcos (id int, v vector(3));
INSERT INTO hcos
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(1, 20) id;
INSERT INTO hcos VALUES (101, NULL), (102, NULL), (104, '[0,0,0]');

CREATE INDEX hcos_idx ON hcos USING hnsw (v vector_cosine_ops);
SELECT * FROM hnsw_index_check('hcos_idx');

SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hcos ORDER BY v <=> '[2,7,1]' LIMIT 5;
-- every indexed row, nearest first; NULLs and zero vectors are not in the index
SELECT id, v, v <=> '[2,7,1]' AS distance FROM hcos ORDER BY v <=> '[2,7,1]';
SELECT id, v, v <=> '[9,1,3]' AS distance FROM hcos ORDER BY v <=> '[9,1,3]' LIMIT 5;
SELECT id, v, v <=> '[-1,2,4]' AS distance FROM hcos ORDER BY v <=> '[-1,2,4]' LIMIT 3;
SELECT id FROM hcos ORDER BY v <=> '[-1,2,4]' LIMIT 1;
-- the same answers from a sequential scan
RESET enable_seqscan;
SET enable_indexscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hcos ORDER BY v <=> '[2,7,1]' LIMIT 5;
SELECT id FROM hcos ORDER BY v <=> '[9,1,3]' LIMIT 5;
SELECT id FROM hcos ORDER BY v <=> '[-1,2,4]' LIMIT 3;
RESET enable_indexscan;
SET enable_seqscan = off;

-- a NULL query vector returns every indexed row
EXPLAIN (COSTS OFF) SELECT id FROM hcos ORDER BY v <=> (SELECT NULL::vector);
SELECT count(*) FROM (SELECT id FROM hcos ORDER BY v <=> (SELECT NULL::vector)) s;
SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM hcos ORDER BY v <=> (SELECT NULL::vector)) s;

-- a query vector with other dimensions
SELECT id FROM hcos ORDER BY v <=> '[1,2]' LIMIT 1;

-- the cosine distance to a zero vector is NaN: a sequential scan returns
-- the zero row (last), the index does not have it
SELECT v <=> '[2,7,1]' AS distance FROM hcos WHERE id = 104;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT id FROM hcos WHERE v IS NOT NULL ORDER BY v <=> '[2,7,1]' OFFSET 19;
RESET enable_indexscan;
SET enable_seqscan = off;
SELECT id FROM hcos ORDER BY v <=> '[2,7,1]' OFFSET 19;

-- inserts after the build
INSERT INTO hcos
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(21, 30) id;
INSERT INTO hcos VALUES (103, NULL), (105, '[0,0,0]');
SELECT * FROM hnsw_index_check('hcos_idx');
-- the queries have no ties
SELECT q, count(*) AS nrows, count(DISTINCT v <=> q::vector) AS ndistances
FROM hcos, (VALUES ('[2,7,1]'), ('[9,1,3]'), ('[-1,2,4]')) qs(q)
WHERE v IS NOT NULL AND v <> '[0,0,0]'
GROUP BY q ORDER BY q;
SELECT id, v, v <=> '[2,7,1]' AS distance FROM hcos ORDER BY v <=> '[2,7,1]' LIMIT 8;
SELECT id, v, v <=> '[9,1,3]' AS distance FROM hcos ORDER BY v <=> '[9,1,3]' LIMIT 5;
SELECT array_agg(id) FROM (SELECT id FROM hcos ORDER BY v <=> '[-1,2,4]') s;
SELECT count(*) FROM (SELECT id FROM hcos ORDER BY v <=> (SELECT NULL::vector)) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT array_agg(id) FROM (SELECT id FROM hcos WHERE v IS NOT NULL AND v <> '[0,0,0]' ORDER BY v <=> '[-1,2,4]') s;
RESET enable_indexscan;
SET enable_seqscan = off;

-- duplicates: every copy comes back
CREATE TABLE hcos_dup (id int, v vector(3));
INSERT INTO hcos_dup SELECT id, '[5,5,5]' FROM generate_series(1, 10) id;
INSERT INTO hcos_dup SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector FROM generate_series(11, 30) id;
CREATE INDEX hcos_dup_idx ON hcos_dup USING hnsw (v vector_cosine_ops);
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hcos_dup ORDER BY v <=> '[5,5,5]' LIMIT 10) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hcos_dup_idx');
-- ten more copies, inserted one by one into the built index
INSERT INTO hcos_dup SELECT id, '[5,5,5]' FROM generate_series(31, 40) id;
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hcos_dup ORDER BY v <=> '[5,5,5]' LIMIT 20) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hcos_dup_idx');
-- vectors of one direction are at distance 0 from each other
INSERT INTO hcos_dup VALUES (41, '[1,1,1]'), (42, '[2,2,2]'), (43, '[0.5,0.5,0.5]');
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hcos_dup ORDER BY v <=> '[3,3,3]' LIMIT 23) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hcos_dup_idx');

RESET enable_seqscan;
SELECT * FROM hnsw_index_check('hcos_idx');
DROP TABLE hcos, hcos_dup;

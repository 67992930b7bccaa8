--
-- hnsw index with vector_ip_ops (<#>, negative inner product): exact results on small
-- integer vectors, NULLs, a zero vector, duplicates, a NULL query vector,
-- inserts after the build
--
-- 30 distinct vectors (20 at build time, 10 inserted later); no two rows
-- are at the same distance from any query below (checked first), so the
-- order of the results is fixed.  With fewer rows than hnsw.ef_search
-- the search finds every row, so the index must return exactly what a
-- sequential scan returns.
--
CREATE TABLE hip (id int, v vector(3));
INSERT INTO hip
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(1, 20) id;
INSERT INTO hip VALUES (101, NULL), (102, NULL), (104, '[0,0,0]');

CREATE INDEX hip_idx ON hip USING hnsw (v vector_ip_ops);
SELECT * FROM hnsw_index_check('hip_idx');

SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hip ORDER BY v <#> '[100,10,1]' LIMIT 5;
-- every indexed row, nearest first; NULLs are not in the index
SELECT id, v, v <#> '[100,10,1]' AS distance FROM hip ORDER BY v <#> '[100,10,1]';
SELECT id, v, v <#> '[-1,-10,-100]' AS distance FROM hip ORDER BY v <#> '[-1,-10,-100]' LIMIT 5;
SELECT id, v, v <#> '[1,100,10]' AS distance FROM hip ORDER BY v <#> '[1,100,10]' LIMIT 3;
SELECT id FROM hip ORDER BY v <#> '[1,100,10]' LIMIT 1;
-- the same answers from a sequential scan
RESET enable_seqscan;
SET enable_indexscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hip ORDER BY v <#> '[100,10,1]' LIMIT 5;
SELECT id FROM hip ORDER BY v <#> '[-1,-10,-100]' LIMIT 5;
SELECT id FROM hip ORDER BY v <#> '[1,100,10]' LIMIT 3;
RESET enable_indexscan;
SET enable_seqscan = off;

-- a NULL query vector returns every indexed row
EXPLAIN (COSTS OFF) SELECT id FROM hip ORDER BY v <#> (SELECT NULL::vector);
SELECT count(*) FROM (SELECT id FROM hip ORDER BY v <#> (SELECT NULL::vector)) s;
SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM hip ORDER BY v <#> (SELECT NULL::vector)) s;

-- a query vector with other dimensions
SELECT id FROM hip ORDER BY v <#> '[1,2]' LIMIT 1;

-- the zero vector is indexed for inner product, at distance 0 from anything
SELECT id, v, v <#> '[-1,-1,-1]' AS distance FROM hip ORDER BY v <#> '[-1,-1,-1]' LIMIT 2;

-- inserts after the build
INSERT INTO hip
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(21, 30) id;
INSERT INTO hip VALUES (103, NULL);
SELECT * FROM hnsw_index_check('hip_idx');
-- the queries have no ties
SELECT q, count(*) AS nrows, count(DISTINCT v <#> q::vector) AS ndistances
FROM hip, (VALUES ('[100,10,1]'), ('[-1,-10,-100]'), ('[1,100,10]')) qs(q)
WHERE v IS NOT NULL
GROUP BY q ORDER BY q;
SELECT id, v, v <#> '[100,10,1]' AS distance FROM hip ORDER BY v <#> '[100,10,1]' LIMIT 8;
SELECT id, v, v <#> '[-1,-10,-100]' AS distance FROM hip ORDER BY v <#> '[-1,-10,-100]' LIMIT 5;
SELECT array_agg(id) FROM (SELECT id FROM hip ORDER BY v <#> '[1,100,10]') s;
SELECT count(*) FROM (SELECT id FROM hip ORDER BY v <#> (SELECT NULL::vector)) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT array_agg(id) FROM (SELECT id FROM hip WHERE v IS NOT NULL ORDER BY v <#> '[1,100,10]') s;
RESET enable_indexscan;
SET enable_seqscan = off;

-- duplicates: every copy comes back
CREATE TABLE hip_dup (id int, v vector(3));
INSERT INTO hip_dup SELECT id, '[9,9,9]' FROM generate_series(1, 10) id;
INSERT INTO hip_dup SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector FROM generate_series(11, 30) id;
CREATE INDEX hip_dup_idx ON hip_dup USING hnsw (v vector_ip_ops);
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hip_dup ORDER BY v <#> '[1,1,1]' LIMIT 10) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hip_dup_idx');
-- ten more copies, inserted one by one into the built index
INSERT INTO hip_dup SELECT id, '[9,9,9]' FROM generate_series(31, 40) id;
SELECT array_agg(id ORDER BY id) AS ids, count(DISTINCT v) AS nvectors
FROM (SELECT id, v FROM hip_dup ORDER BY v <#> '[1,1,1]' LIMIT 20) s;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hip_dup_idx');

RESET enable_seqscan;
SELECT * FROM hnsw_index_check('hip_idx');
DROP TABLE hip, hip_dup;

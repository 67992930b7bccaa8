--
-- hnsw index on an unlogged table: the index is unlogged too, has an init
-- fork, and behaves like any other
--
CREATE UNLOGGED TABLE hu (id int, v vector(3));
INSERT INTO hu SELECT id, ARRAY[id % 5, id / 5, (id * 3) % 7]::real[]::vector
FROM generate_series(1, 20) id;
INSERT INTO hu VALUES (21, NULL);
CREATE INDEX hu_idx ON hu USING hnsw (v vector_l2_ops);
SELECT relpersistence FROM pg_class WHERE relname = 'hu_idx';
SELECT pg_relation_size('hu_idx', 'init') / current_setting('block_size')::int AS init_pages;
SELECT * FROM hnsw_index_check('hu_idx');

SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hu ORDER BY v <-> '[2.25,1.5,3.125]' LIMIT 5;
SELECT id, v, v <-> '[2.25,1.5,3.125]' AS distance FROM hu
ORDER BY v <-> '[2.25,1.5,3.125]' LIMIT 5;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT id FROM hu ORDER BY v <-> '[2.25,1.5,3.125]' LIMIT 5;
RESET enable_indexscan;

-- inserts, deletes, vacuum, reindex
SET enable_seqscan = off;
INSERT INTO hu VALUES (22, '[2,1,3]');
SELECT id FROM hu ORDER BY v <-> '[2.25,1.5,3.125]' LIMIT 2;
DELETE FROM hu WHERE id = 22;
VACUUM (INDEX_CLEANUP ON) hu;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hu_idx');
SELECT id FROM hu ORDER BY v <-> '[2.25,1.5,3.125]' LIMIT 2;
REINDEX INDEX hu_idx;
SELECT * FROM hnsw_index_check('hu_idx');
SELECT pg_relation_size('hu_idx', 'init') / current_setting('block_size')::int AS init_pages;
REINDEX INDEX CONCURRENTLY hu_idx;
SELECT * FROM hnsw_index_check('hu_idx');
SELECT id FROM hu ORDER BY v <-> '[2.25,1.5,3.125]' LIMIT 2;
TRUNCATE hu;
SELECT * FROM hnsw_index_check('hu_idx');
INSERT INTO hu VALUES (1, '[1,1,1]'), (2, '[2,2,2]');
SELECT id FROM hu ORDER BY v <-> '[0,0,0]';
SELECT * FROM hnsw_index_check('hu_idx');
RESET enable_seqscan;

-- an empty unlogged table, and every operator class
CREATE UNLOGGED TABLE hu_empty (v vector(3));
CREATE INDEX hu_empty_l2 ON hu_empty USING hnsw (v vector_l2_ops);
CREATE INDEX hu_empty_ip ON hu_empty USING hnsw (v vector_ip_ops);
CREATE INDEX hu_empty_cos ON hu_empty USING hnsw (v vector_cosine_ops);
CREATE INDEX hu_empty_l1 ON hu_empty USING hnsw (v vector_l1_ops) WITH (m = 4, ef_construction = 8);
SELECT * FROM hnsw_index_check('hu_empty_l2');
SELECT m, ef_construction, dimensions FROM hnsw_index_stats('hu_empty_l1');

-- logged and unlogged again
ALTER TABLE hu SET LOGGED;
SELECT relpersistence FROM pg_class WHERE relname = 'hu_idx';
SELECT * FROM hnsw_index_check('hu_idx');
ALTER TABLE hu SET UNLOGGED;
SELECT relpersistence FROM pg_class WHERE relname = 'hu_idx';
SELECT pg_relation_size('hu_idx', 'init') / current_setting('block_size')::int AS init_pages;
SELECT * FROM hnsw_index_check('hu_idx');
SET enable_seqscan = off;
SELECT id FROM hu ORDER BY v <-> '[0,0,0]';
RESET enable_seqscan;

DROP TABLE hu, hu_empty;

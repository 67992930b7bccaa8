--
-- hnsw index options changed with ALTER INDEX after the build.  Postgres
-- accepts the change at once; it applies to the next build (REINDEX).
-- Until then the index keeps the shape it was built with: scans, inserts
-- and hnsw_index_check go on working, with the same results.
--
CREATE TABLE hao (id int, v vector(3));
INSERT INTO hao
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(1, 20) id;
CREATE INDEX hao_idx ON hao USING hnsw (v vector_l2_ops) WITH (m = 8);
SET enable_seqscan = off;
SELECT id FROM hao ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 5;

-- a smaller m
ALTER INDEX hao_idx SET (m = 4);
SELECT reloptions FROM pg_class WHERE relname = 'hao_idx';
SELECT id FROM hao ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 5;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hao_idx');
INSERT INTO hao
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(21, 25) id;
SELECT id FROM hao ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 5;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hao_idx');

-- a larger m
ALTER INDEX hao_idx SET (m = 100, ef_construction = 1000);
SELECT id FROM hao ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 5;
INSERT INTO hao
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(26, 30) id;
SELECT id FROM hao ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 8;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hao_idx');

-- REINDEX builds with the options in force
ALTER INDEX hao_idx RESET (m);
SELECT reloptions FROM pg_class WHERE relname = 'hao_idx';
REINDEX INDEX hao_idx;
SELECT m, ef_construction FROM hnsw_index_stats('hao_idx');
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hao_idx');
SELECT id FROM hao ORDER BY v <-> '[5.125,4.625,3.375]' LIMIT 8;
-- an ef_construction below 2 * m is refused when the index is rebuilt
ALTER INDEX hao_idx SET (m = 40, ef_construction = 64);
REINDEX INDEX hao_idx;
SELECT m, ef_construction FROM hnsw_index_stats('hao_idx');
RESET enable_seqscan;
DROP TABLE hao;

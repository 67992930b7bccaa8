--
-- hnsw index whose rows were all deleted and vacuumed: VACUUM detaches
-- the deleted elements (hnsw_index_check no longer counts them), and rows
-- inserted afterwards must still be found
--
CREATE TABLE hav (id int, v vector(2));
INSERT INTO hav SELECT id, ARRAY[id, id * id % 7]::real[]::vector
FROM generate_series(1, 12) id;
CREATE INDEX hav_idx ON hav USING hnsw (v vector_l2_ops);
DELETE FROM hav;
VACUUM (INDEX_CLEANUP ON) hav;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hav_idx');
INSERT INTO hav VALUES (1, '[1,2]'), (2, '[2,1]');
SET enable_seqscan = off;
SELECT id FROM hav ORDER BY v <-> '[1,1.5]';
SELECT id FROM hav ORDER BY v <-> '[20,19]' LIMIT 1;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hav_idx');
-- more rows, one by one
INSERT INTO hav SELECT id, ARRAY[id, 10 - id]::real[]::vector FROM generate_series(3, 8) id;
SELECT id FROM hav ORDER BY v <-> '[4.25,6.5]' LIMIT 3;
SELECT count(*) FROM (SELECT id FROM hav ORDER BY v <-> '[0,0]') s;
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hav_idx');

-- the same with every element of the build deleted but one
TRUNCATE hav;
INSERT INTO hav SELECT id, ARRAY[id, id * id % 7]::real[]::vector
FROM generate_series(1, 12) id;
REINDEX INDEX hav_idx;
DELETE FROM hav WHERE id <> 12;
VACUUM (INDEX_CLEANUP ON) hav;
INSERT INTO hav VALUES (1, '[1,2]'), (2, '[2,1]');
SELECT id FROM hav ORDER BY v <-> '[1,1.5]';
SELECT elements, heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hav_idx');
RESET enable_seqscan;
DROP TABLE hav;

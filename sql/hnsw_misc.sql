--
-- hnsw index life cycle: empty builds, REINDEX (also CONCURRENTLY),
-- CREATE/DROP INDEX CONCURRENTLY, TRUNCATE, DELETE and VACUUM, rolled back
-- inserts, partitions, a build that outgrows maintenance_work_mem, and
-- inserts that give the same index again
--
-- Result sets stay below hnsw.ef_search rows, and no two rows are at the
-- same distance from a query, so the index answers exactly.
--
-- "cannot scan hnsw index without order" and "non-MVCC snapshots are not
-- supported with hnsw" cannot be reached from SQL: the planner gives an
-- index scan without ORDER BY an infinite cost, so it always prefers a
-- sequential scan (even with enable_seqscan off, which only adds a finite
-- penalty); the index has no search operators, so it cannot back an
-- exclusion constraint (the one user of dirty snapshots on an index); and
-- it cannot be clustered on (CLUSTER reads with SnapshotAny).
--

-- an empty table
CREATE TABLE hm (id int, v vector(2));
CREATE INDEX hm_idx ON hm USING hnsw (v vector_l2_ops);
SELECT * FROM hnsw_index_check('hm_idx');
SELECT levels, pages, elements FROM hnsw_index_stats('hm_idx');
SET enable_seqscan = off;
SELECT id FROM hm ORDER BY v <-> '[1,1]' LIMIT 3;
SELECT count(*) FROM (SELECT id FROM hm ORDER BY v <-> (SELECT NULL::vector)) s;
-- the first rows go into the empty index
INSERT INTO hm VALUES (1, '[1,1]');
SELECT * FROM hnsw_index_check('hm_idx');
SELECT id FROM hm ORDER BY v <-> '[0,0]' LIMIT 3;
INSERT INTO hm SELECT id, ARRAY[id, id * id % 7]::real[]::vector
FROM generate_series(2, 12) id;
SELECT * FROM hnsw_index_check('hm_idx');
SELECT id, v, v <-> '[4.5,2.25]' AS distance FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;

-- a table of NULLs only
CREATE TABLE hm_null (id int, v vector(2));
INSERT INTO hm_null SELECT id, NULL FROM generate_series(1, 5) id;
CREATE INDEX hm_null_idx ON hm_null USING hnsw (v vector_l2_ops);
SELECT * FROM hnsw_index_check('hm_null_idx');
SELECT count(*) FROM (SELECT id FROM hm_null ORDER BY v <-> '[1,1]') s;
INSERT INTO hm_null VALUES (6, '[3,4]');
SELECT id FROM hm_null ORDER BY v <-> '[1,1]';
SELECT * FROM hnsw_index_check('hm_null_idx');
DROP TABLE hm_null;

-- REINDEX, and the concurrent variants
REINDEX INDEX hm_idx;
SELECT * FROM hnsw_index_check('hm_idx');
REINDEX TABLE hm;
SELECT * FROM hnsw_index_check('hm_idx');
REINDEX INDEX CONCURRENTLY hm_idx;
SELECT * FROM hnsw_index_check('hm_idx');
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;
DROP INDEX hm_idx;
CREATE INDEX CONCURRENTLY hm_idx2 ON hm USING hnsw (v vector_cosine_ops);
SELECT indisvalid, indisready FROM pg_index WHERE indexrelid = 'hm_idx2'::regclass;
SELECT * FROM hnsw_index_check('hm_idx2');
EXPLAIN (COSTS OFF) SELECT id FROM hm ORDER BY v <=> '[1,3]' LIMIT 2;
SELECT id, v, v <=> '[1,3]' AS distance FROM hm ORDER BY v <=> '[1,3]' LIMIT 2;
DROP INDEX CONCURRENTLY hm_idx2;
SELECT count(*) FROM pg_class WHERE relname LIKE 'hm_idx%';

-- TRUNCATE empties the index; inserts go on
CREATE INDEX hm_idx ON hm USING hnsw (v vector_l2_ops);
TRUNCATE hm;
SELECT * FROM hnsw_index_check('hm_idx');
SELECT count(*) FROM (SELECT id FROM hm ORDER BY v <-> '[1,1]') s;
INSERT INTO hm SELECT id, ARRAY[id, id * id % 7]::real[]::vector
FROM generate_series(1, 12) id;
SELECT * FROM hnsw_index_check('hm_idx');
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;
-- TRUNCATE in a transaction that rolls back keeps the index as it was
BEGIN;
TRUNCATE hm;
INSERT INTO hm VALUES (100, '[4,2]');
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;
ROLLBACK;
SELECT * FROM hnsw_index_check('hm_idx');
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;

-- a rolled back insert is in the index until VACUUM, but never returned
BEGIN;
INSERT INTO hm VALUES (13, '[4,3]');
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 1;
ROLLBACK;
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 1;
SELECT elements, heap_tids FROM hnsw_index_check('hm_idx');
VACUUM (INDEX_CLEANUP ON) hm;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hm_idx');

-- DELETE, then VACUUM: deleted rows never come back, before or after
DELETE FROM hm WHERE id IN (4, 5, 9);
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;
VACUUM (INDEX_CLEANUP ON) hm;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hm_idx');
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;
SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM hm ORDER BY v <-> (SELECT NULL::vector)) s;
-- an UPDATE moves a row
UPDATE hm SET v = '[4,2]' WHERE id = 12;
SELECT id, v FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 2;
VACUUM (INDEX_CLEANUP ON) hm;
SELECT heap_tids, reachable = elements AS all_reachable FROM hnsw_index_check('hm_idx');
-- the rows deleted are gone for good, the new ones are found
INSERT INTO hm VALUES (4, '[20,20]'), (5, '[21,21]');
SELECT id FROM hm ORDER BY v <-> '[20,19]' LIMIT 2;
-- VACUUM FULL rebuilds the index, without the deleted rows
VACUUM FULL hm;
SELECT * FROM hnsw_index_check('hm_idx');
SELECT id FROM hm ORDER BY v <-> '[4.5,2.25]' LIMIT 4;
-- delete everything: the index returns nothing
DELETE FROM hm;
VACUUM (INDEX_CLEANUP ON) hm;
SELECT heap_tids FROM hnsw_index_check('hm_idx');
SELECT count(*) FROM (SELECT id FROM hm ORDER BY v <-> '[1,1]') s;
RESET enable_seqscan;
DROP TABLE hm;

-- a partitioned table: an index per partition, merged in distance order
CREATE TABLE hmp (id int, v vector(2)) PARTITION BY RANGE (id);
CREATE TABLE hmp_1 PARTITION OF hmp FOR VALUES FROM (0) TO (10);
CREATE TABLE hmp_2 PARTITION OF hmp FOR VALUES FROM (10) TO (20);
INSERT INTO hmp SELECT id, ARRAY[id, id * id % 7]::real[]::vector
FROM generate_series(1, 19) id;
CREATE INDEX hmp_idx ON hmp USING hnsw (v vector_l2_ops);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hmp ORDER BY v <-> '[9.5,3.25]' LIMIT 4;
SELECT id, v, v <-> '[9.5,3.25]' AS distance FROM hmp ORDER BY v <-> '[9.5,3.25]' LIMIT 4;
RESET enable_seqscan;
SELECT c.relname, h.* FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
	LATERAL hnsw_index_check(c.oid) h
WHERE i.inhparent = 'hmp_idx'::regclass ORDER BY c.relname;
DROP TABLE hmp;

-- a graph that outgrows maintenance_work_mem: 300 vectors of 2000
-- dimensions; about 128 fit into 1MB, the rest are inserted on disk.  The
-- build says so in a NOTICE whose tuple count depends on how the graph's
-- memory is accounted; test/t/004_build_memory.pl checks its text, here
-- it is kept out of the output.
CREATE TABLE hmw (id int, v vector(2000));
INSERT INTO hmw SELECT id, array_fill(id::real, ARRAY[2000])::vector
FROM generate_series(1, 300) id;
CREATE TABLE hmw_q (qid int, q vector(2000));
INSERT INTO hmw_q VALUES (1, array_fill(10.25::real, ARRAY[2000])),
	(2, array_fill(200.75::real, ARRAY[2000])), (3, array_fill(1000::real, ARRAY[2000]));
SET maintenance_work_mem = '1MB';
SET client_min_messages = warning;
CREATE INDEX hmw_idx ON hmw USING hnsw (v vector_l2_ops);
RESET client_min_messages;
RESET maintenance_work_mem;
SELECT * FROM hnsw_index_check('hmw_idx');
SELECT elements, heap_tids, m, ef_construction, dimensions FROM hnsw_index_stats('hmw_idx');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hmw ORDER BY v <-> (SELECT q FROM hmw_q WHERE qid = 1) LIMIT 5;
SELECT id FROM hmw ORDER BY v <-> (SELECT q FROM hmw_q WHERE qid = 1) LIMIT 5;
SELECT id FROM hmw ORDER BY v <-> (SELECT q FROM hmw_q WHERE qid = 2) LIMIT 5;
SELECT id FROM hmw ORDER BY v <-> (SELECT q FROM hmw_q WHERE qid = 3) LIMIT 3;
SELECT count(*) FROM (SELECT id FROM hmw ORDER BY v <-> (SELECT NULL::vector)) s;
RESET enable_seqscan;
DROP TABLE hmw, hmw_q;

-- an index left invalid by a failed CREATE INDEX CONCURRENTLY is refused
-- by the inspection functions, as amcheck refuses one
CREATE TABLE hmi (id int, v vector(2));
INSERT INTO hmi VALUES (1, '[1,1]'), (2, '[2,2]');
CREATE FUNCTION hmi_f(v vector) RETURNS vector IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
	IF v = '[2,2]' THEN
		RAISE EXCEPTION 'no index for [2,2]';
	END IF;
	RETURN v;
END
$$;
CREATE INDEX CONCURRENTLY hmi_idx ON hmi USING hnsw ((hmi_f(v)::vector(2)) vector_l2_ops);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'hmi_idx'::regclass;
SELECT * FROM hnsw_index_check('hmi_idx');
SELECT elements FROM hnsw_index_stats('hmi_idx');
DROP TABLE hmi;
DROP FUNCTION hmi_f(vector);

-- An inserted element's level is a function of its heap TID: the same rows
-- inserted in the same order into two empty indexes give the same pages,
-- but for their LSNs and checksums (the first 10 bytes of a page header),
-- and the same shape.  (Levels drawn at random would differ at once: a
-- quarter of 2,000 elements has a level above 0 at m = 4.)
CREATE EXTENSION pageinspect;
CREATE TABLE hd1 (id int, v vector(8));
CREATE TABLE hd2 (id int, v vector(8));
CREATE INDEX hd1_idx ON hd1 USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
CREATE INDEX hd2_idx ON hd2 USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
INSERT INTO hd1
SELECT i, ARRAY(SELECT sin(i * 7 + j * 3) FROM generate_series(1, 8) j)::real[]::vector
FROM generate_series(1, 2000) i;
INSERT INTO hd2 SELECT * FROM hd1 ORDER BY id;
SELECT count(*) FROM hd1 a JOIN hd2 b USING (id) WHERE a.ctid = b.ctid;
SELECT pg_relation_size('hd1_idx') = pg_relation_size('hd2_idx') AS same_size,
	   count(*) AS pages,
	   count(*) FILTER (WHERE substr(get_raw_page('hd1_idx', b), 11) <>
							  substr(get_raw_page('hd2_idx', b), 11)) AS pages_differing
FROM generate_series(0, (pg_relation_size('hd1_idx') / current_setting('block_size')::int)::int - 1) b;
SELECT elements, levels, avg_degree FROM hnsw_index_stats('hd1_idx');
SELECT elements, levels, avg_degree FROM hnsw_index_stats('hd2_idx');
SELECT * FROM hnsw_index_check('hd2_idx');
DROP TABLE hd1, hd2;
DROP EXTENSION pageinspect;

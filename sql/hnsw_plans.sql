--
-- hnsw index: plan shapes.  The planner uses the index only for
-- ORDER BY column <operator> constant (ascending) with the operator of
-- the index's operator class, best with a LIMIT, and never without an
-- ORDER BY (the index cannot answer that; its cost is infinite).
--

-- a table of 10 rows: sorting them is cheaper than the index
CREATE TABLE hpl_small (id int, v vector(3));
INSERT INTO hpl_small SELECT id, ARRAY[id, id % 3, id % 5]::real[]::vector
FROM generate_series(1, 10) id;
CREATE INDEX hpl_small_idx ON hpl_small USING hnsw (v vector_l2_ops);
ANALYZE hpl_small;
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small ORDER BY v <-> '[1,1,1]' LIMIT 3;
-- with sequential scans disabled, the index serves it
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small ORDER BY v <-> '[1,1,1]' LIMIT 3;
-- but never a query without ORDER BY, whatever it costs
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small;
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small WHERE v = '[1,1,1]';
EXPLAIN (COSTS OFF) SELECT count(*) FROM hpl_small;
RESET enable_seqscan;
SELECT * FROM hnsw_index_check('hpl_small_idx');

-- 20,000 rows of 3 dimensions, seeded pseudo-random integers: the index wins
SELECT setseed(0.25);
CREATE TABLE hpl (id int, v vector(3));
INSERT INTO hpl SELECT id, ARRAY[floor(random() * 1000), floor(random() * 1000),
	floor(random() * 1000)]::real[]::vector
FROM generate_series(1, 20000) id;
CREATE INDEX hpl_l2 ON hpl USING hnsw (v vector_l2_ops);
ANALYZE hpl;

EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY v <-> '[500,500,500]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT * FROM hpl ORDER BY v <-> '[500,500,500]' LIMIT 100;
EXPLAIN (COSTS OFF) SELECT id, v <-> '[500,500,500]' AS d FROM hpl ORDER BY d LIMIT 5;
SELECT count(*) FROM (SELECT id FROM hpl ORDER BY v <-> '[500,500,500]' LIMIT 10) s;
-- no ORDER BY: a sequential scan
EXPLAIN (COSTS OFF) SELECT id FROM hpl;
EXPLAIN (COSTS OFF) SELECT id FROM hpl LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl WHERE v = '[1,2,3]';
EXPLAIN (COSTS OFF) SELECT id FROM hpl WHERE (v <-> '[500,500,500]') < 10;
-- a filter is applied on top of the index scan
EXPLAIN (COSTS OFF) SELECT id FROM hpl WHERE id > 10 ORDER BY v <-> '[500,500,500]' LIMIT 5;
-- a filter the planner cannot estimate counts as selective (0.5%): on a
-- table this small, reading it all and sorting is cheaper than searching
-- the graph 200 times as deep
EXPLAIN (COSTS OFF) SELECT id FROM hpl WHERE id % 2 = 0 ORDER BY v <-> '[500,500,500]' LIMIT 5;
-- descending order, another operator, or a first sort key that is not
-- the distance: no index
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY v <-> '[500,500,500]' DESC LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY v <=> '[500,500,500]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY v <#> '[500,500,500]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY v <+> '[500,500,500]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY id, v <-> '[500,500,500]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY l2_distance(v, '[500,500,500]') LIMIT 5;
-- the operators are their own commutators: the constant may come first
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY '[500,500,500]' <-> v LIMIT 5;

-- an index per operator class: each serves its own operator (on the small
-- table, with sequential scans disabled, to keep the builds short)
CREATE INDEX hpl_small_ip ON hpl_small USING hnsw (v vector_ip_ops);
CREATE INDEX hpl_small_cos ON hpl_small USING hnsw (v vector_cosine_ops);
CREATE INDEX hpl_small_l1 ON hpl_small USING hnsw (v vector_l1_ops);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small ORDER BY v <-> '[5,5,5]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small ORDER BY v <#> '[5,5,5]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small ORDER BY v <=> '[5,5,5]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hpl_small ORDER BY v <+> '[5,5,5]' LIMIT 5;
RESET enable_seqscan;
SELECT * FROM hnsw_index_check('hpl_small_ip');
SELECT * FROM hnsw_index_check('hpl_small_cos');
SELECT * FROM hnsw_index_check('hpl_small_l1');

-- parameters: prepared statements, custom and generic plans
PREPARE hpl_q(vector) AS SELECT id FROM hpl ORDER BY v <-> $1 LIMIT 5;
EXPLAIN (COSTS OFF) EXECUTE hpl_q('[500,500,500]');
PREPARE hpl_q2(vector, int) AS SELECT id FROM hpl ORDER BY v <-> $1 LIMIT $2;
EXPLAIN (COSTS OFF) EXECUTE hpl_q2('[500,500,500]', 5);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE hpl_q('[500,500,500]');
EXPLAIN (COSTS OFF) EXECUTE hpl_q2('[500,500,500]', 5);
-- a generic plan gives the same rows as a custom plan
CREATE TEMP TABLE hpl_generic AS EXECUTE hpl_q('[500,500,500]');
RESET plan_cache_mode;
CREATE TEMP TABLE hpl_custom AS EXECUTE hpl_q('[500,500,500]');
SELECT (SELECT array_agg(id) FROM hpl_generic) = (SELECT array_agg(id) FROM hpl_custom) AS same,
       (SELECT count(*) FROM hpl_generic) AS n;
DEALLOCATE hpl_q;
DEALLOCATE hpl_q2;

-- the query vector from another table: a nested loop over index scans
CREATE TABLE hpl_queries (qid int, q vector(3));
INSERT INTO hpl_queries VALUES (1, '[1,2,3]'), (2, '[999,0,500]');
EXPLAIN (COSTS OFF)
SELECT qid, n.id FROM hpl_queries,
	LATERAL (SELECT id FROM hpl ORDER BY v <-> q LIMIT 3) n;
SELECT qid, count(*) FROM hpl_queries,
	LATERAL (SELECT id FROM hpl ORDER BY v <-> q LIMIT 3) n
GROUP BY qid ORDER BY qid;
-- or from a subquery
EXPLAIN (COSTS OFF)
SELECT id FROM hpl ORDER BY v <-> (SELECT q FROM hpl_queries WHERE qid = 1) LIMIT 3;

-- A cursor without a LIMIT (how postgres_fdw sends every remote query) is
-- planned for its first rows (cursor_tuple_fraction): the index serves it,
-- with a filter too, since the scan stops after hnsw.max_scan_tuples rows
-- (or ef_search without iterative scans) anyway.
ALTER TABLE hpl ADD COLUMN cat int;
UPDATE hpl SET cat = id % 10;
VACUUM ANALYZE hpl;
BEGIN;
EXPLAIN (COSTS OFF) DECLARE hpl_c CURSOR FOR
	SELECT id FROM hpl ORDER BY v <-> '[500,500,500]';
EXPLAIN (COSTS OFF) DECLARE hpl_c CURSOR FOR
	SELECT id FROM hpl WHERE cat = 3 ORDER BY v <-> '[500,500,500]';
DECLARE hpl_c CURSOR FOR
	SELECT cat, round((v <-> '[500,500,500]')::numeric, 3) AS d
	FROM hpl WHERE cat = 3 ORDER BY v <-> '[500,500,500]';
FETCH 5 FROM hpl_c;
CLOSE hpl_c;
SET LOCAL hnsw.iterative_scan = off;
EXPLAIN (COSTS OFF) DECLARE hpl_c CURSOR FOR
	SELECT id FROM hpl WHERE cat = 3 ORDER BY v <-> '[500,500,500]';
-- a cursor the planner expects to read to the end: a sort
SET LOCAL cursor_tuple_fraction = 1;
EXPLAIN (COSTS OFF) DECLARE hpl_c CURSOR FOR
	SELECT id FROM hpl WHERE cat = 3 ORDER BY v <-> '[500,500,500]';
COMMIT;
-- a query that returns every row keeps the full charge: a sort, as before
EXPLAIN (COSTS OFF) SELECT id FROM hpl WHERE cat = 3 ORDER BY v <-> '[500,500,500]';
EXPLAIN (COSTS OFF) SELECT id FROM hpl ORDER BY v <-> '[500,500,500]';

SELECT * FROM hnsw_index_check('hpl_l2');
DROP TABLE hpl, hpl_small, hpl_queries;

--
-- hnsw with extreme finite values: distances that overflow to infinity or
-- come out NaN (an inner product of large components overflows to +Inf in
-- one lane and -Inf in another) are ordered as +Infinity.  Such an element
-- is still an element: it never empties the index, never takes over the
-- entry point from a higher one, and a query with large components still
-- returns rows.
--
SET enable_seqscan = off;
-- more than the rows in the table: every reachable row is found
SET hnsw.ef_search = 100;

-- vector_ip_ops: 40 small rows, then a row whose inner product with most
-- queries below is NaN
CREATE TABLE hext (id int, v vector(3));
INSERT INTO hext
SELECT id, ('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::vector
FROM generate_series(1, 40) id;
CREATE INDEX hext_ip ON hext USING hnsw (v vector_ip_ops) WITH (m = 4);
INSERT INTO hext VALUES (100, '[3e38,-3e38,3e38]');
SELECT '[3e38,-3e38,3e38]'::vector <#> '[3e38,3e38,1]' AS nan_distance;
SELECT elements, heap_tids, reachable FROM hnsw_index_check('hext_ip');
-- every query still finds 10 rows, and the 10 an exact search finds
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <#> '[1,2,3]' LIMIT 10) s;
SELECT array_agg(d) FROM (SELECT v <#> '[1,10,100]' AS d FROM hext ORDER BY v <#> '[1,10,100]' LIMIT 10) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT array_agg(d) FROM (SELECT v <#> '[1,10,100]' AS d FROM hext ORDER BY v <#> '[1,10,100]' LIMIT 10) s;
RESET enable_indexscan;
SET enable_seqscan = off;
-- a query with large components: every distance is infinite or NaN, yet
-- the index returns rows, as a sequential scan does
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <#> '[3e38,3e38,1]' LIMIT 10) s;
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <#> '[-3e38,3e38,-3e38]' LIMIT 50) s;
-- more rows after it: inserts go on working and find their neighbours
INSERT INTO hext
SELECT id, ('[' || (id * 7) % 11 || ',' || (id * 5) % 13 || ',' || (id * 3) % 7 || ']')::vector
FROM generate_series(41, 60) id;
INSERT INTO hext VALUES (101, '[-3e38,3e38,-3e38]'), (102, '[3e38,3e38,3e38]');
SELECT elements, heap_tids, reachable FROM hnsw_index_check('hext_ip');
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <#> '[1,2,3]') s;
-- the extreme rows take their places in exact order
SELECT id FROM hext ORDER BY v <#> '[0,1,0.5]' LIMIT 3;
SELECT id FROM hext ORDER BY v <#> '[0,1,0.5]' OFFSET 60;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT id FROM hext ORDER BY v <#> '[0,1,0.5]' LIMIT 3;
SELECT id FROM hext ORDER BY v <#> '[0,1,0.5]' OFFSET 60;
RESET enable_indexscan;
SET enable_seqscan = off;
DROP INDEX hext_ip;

-- the same data under the other operator classes, built with the extreme
-- rows in place
CREATE INDEX hext_l2 ON hext USING hnsw (v vector_l2_ops) WITH (m = 4);
SELECT elements, heap_tids, reachable FROM hnsw_index_check('hext_l2');
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <-> '[1,2,3]') s;
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <-> '[3e38,-3e38,3e38]' LIMIT 5) s;
SELECT id FROM hext ORDER BY v <-> '[1,1,1]' LIMIT 1;
CREATE INDEX hext_l1 ON hext USING hnsw (v vector_l1_ops) WITH (m = 4);
SELECT elements, heap_tids, reachable FROM hnsw_index_check('hext_l1');
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <+> '[3e38,3e38,3e38]' LIMIT 5) s;
CREATE INDEX hext_cos ON hext USING hnsw (v vector_cosine_ops) WITH (m = 4);
SELECT elements, heap_tids, reachable FROM hnsw_index_check('hext_cos');
SELECT count(*) FROM (SELECT id FROM hext ORDER BY v <=> '[3e38,3e38,3e38]' LIMIT 5) s;
DROP TABLE hext;
RESET enable_seqscan;
RESET hnsw.ef_search;

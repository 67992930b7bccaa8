--
-- vector aggregates: avg and sum, serial and parallel
--
\i sql/include/sqlerr.sql

-- catalog
SELECT aggfnoid::regprocedure, aggtransfn, aggfinalfn, aggcombinefn,
       aggtranstype::regtype, agginitval, proparallel
FROM pg_aggregate JOIN pg_proc ON pg_proc.oid = aggfnoid
WHERE aggfnoid IN ('avg(vector)'::regprocedure, 'sum(vector)'::regprocedure)
ORDER BY 1::text;

-- serial
SELECT avg(v), sum(v) FROM (VALUES ('[1,2,3]'::vector), ('[3,4,5]')) t(v);
SELECT avg(v), sum(v) FROM (VALUES ('[1,2]'::vector), (NULL), ('[4,-8]')) t(v);
SELECT avg(v), sum(v) FROM (VALUES ('[1,-2]'::vector)) t(v);
SELECT avg(v), sum(v) FROM (VALUES (NULL::vector)) t(v);
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null
FROM (SELECT '[1]'::vector AS v WHERE false) t;
SELECT g, avg(v), sum(v)
FROM (VALUES (1, '[1,1]'::vector), (1, '[3,5]'), (2, '[0,0]'), (2, '[2,-4]'), (3, '[7,7]')) t(g, v)
GROUP BY g ORDER BY g;
-- avg sums in double precision, so it does not overflow where sum does
SELECT avg(v) FROM (VALUES ('[3e38,-3e38]'::vector), ('[3e38,-3e38]')) t(v);
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1]')) t(v)$$),
	($$SELECT avg(v) FROM (VALUES ('[1]'::vector), ('[1,2]')) t(v)$$),
	($$SELECT sum(v) FROM (VALUES ('[1,2]'::vector), ('[1]')) t(v)$$),
	($$SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v)$$)
) v(q);

-- the support functions called directly
SELECT vector_accum('{0}', '[1,2]');
SELECT vector_accum(vector_accum('{0}', '[1,2]'), '[3,4]');
SELECT vector_combine('{0}', '{0}'), vector_combine('{2,4,6}', '{0}'),
       vector_combine('{0}', '{2,4,6}'), vector_combine('{1,1,2}', '{2,4,6}');
SELECT vector_avg('{2,4,6}'), vector_avg('{0}') IS NULL AS empty;
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT vector_accum('{1,2}', '[1,2]')$$),
	($$SELECT vector_combine('{1,2}', '{1,2,3}')$$),
	($$SELECT vector_combine('{1,1e308}', '{1,1e308}')$$),
	-- states of more than 16000 dimensions
	($$SELECT vector_combine('{0}', array_fill(1::float8, ARRAY[16002]))$$),
	($$SELECT vector_combine(array_fill(1::float8, ARRAY[16002]), '{0}')$$),
	($$SELECT vector_combine(array_fill(1::float8, ARRAY[16002]), array_fill(1::float8, ARRAY[16002]))$$),
	($$SELECT vector_accum(array_fill(1::float8, ARRAY[16002]), '[1]')$$),
	($$SELECT vector_avg(array_fill(1::float8, ARRAY[16002]))$$)
) v(q);
-- 16000 dimensions are fine
SELECT array_length(vector_combine('{0}', array_fill(1::float8, ARRAY[16001])), 1),
       vector_dims(vector_avg(vector_combine(array_fill(1::float8, ARRAY[16001]),
                                             array_fill(1::float8, ARRAY[16001]))));

-- parallel: partial aggregates in the workers, combined in the leader
CREATE TABLE va (id int, v vector(3));
INSERT INTO va SELECT i, ARRAY[i % 10, 1, -2]::vector FROM generate_series(1, 20000) i;
ANALYZE va;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM va;
SELECT avg(v), sum(v), count(*) FROM va;
-- no rows in any partial state (the filter hides its selectivity)
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM va WHERE id + 0 > 20000;
SELECT avg(v), sum(v) FROM va WHERE id + 0 > 20000;
-- rows in only one of the partial states
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM va WHERE id + 0 > 19999;
SELECT avg(v), sum(v) FROM va WHERE id + 0 > 19999;
SELECT id % 2 AS g, avg(v), sum(v) FROM va GROUP BY 1 ORDER BY 1;
-- mixed dimensions found while combining
CREATE TABLE vm (v vector);
INSERT INTO vm SELECT CASE WHEN i <= 10000 THEN '[1,2]'::vector ELSE '[1]' END
FROM generate_series(1, 20000) i;
ANALYZE vm;
SELECT pg_temp.sqlerr($$SELECT avg(v) FROM vm$$) ~ '^22000: expected [12] dimensions, not [12]$' AS avg_error,
       pg_temp.sqlerr($$SELECT sum(v) FROM vm$$) ~ '^22000: different vector dimensions [12] and [12]$' AS sum_error;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE va, vm;

--
-- vector operators and functions
--
\i sql/include/sqlerr.sql

-- catalog: operators on vector
SELECT oprname, oprleft::regtype, oprright::regtype, oprresult::regtype,
       oprcode, oprcom::regoperator, oprnegate::regoperator, oprrest, oprjoin
FROM pg_operator
WHERE oprleft = 'vector'::regtype
ORDER BY oprname;

-- catalog: every function taking or returning vector is immutable, strict
-- and parallel safe
SELECT oid::regprocedure, provolatile, proisstrict, proparallel
FROM pg_proc
WHERE prokind = 'f'
  AND ('vector'::regtype = ANY (proargtypes) OR prorettype = 'vector'::regtype)
  AND (provolatile <> 'i' OR NOT proisstrict OR proparallel <> 's');

-- distances
SELECT l2_distance('[0,0]'::vector, '[3,4]'), '[0,0]'::vector <-> '[3,4]',
       vector_l2_squared_distance('[0,0]', '[3,4]');
SELECT inner_product('[1,2]'::vector, '[3,4]'), '[1,2]'::vector <#> '[3,4]',
       vector_negative_inner_product('[1,2]', '[3,4]');
SELECT cosine_distance('[1,2]'::vector, '[2,4]'), cosine_distance('[1,2]'::vector, '[0,0]'),
       cosine_distance('[1,1]'::vector, '[1,1]'), cosine_distance('[1,1]'::vector, '[-1,-1]'),
       cosine_distance('[1,0]'::vector, '[0,2]'), '[1,2]'::vector <=> '[-2,-4]';
SELECT l1_distance('[0,0]'::vector, '[3,4]'), '[0,0]'::vector <+> '[3,-4]',
       l1_distance('[1,2,3]'::vector, '[1,2,3]');
SELECT vector_spherical_distance('[1,0]', '[0,1]'),
       vector_spherical_distance('[1,0]', '[1,0]'),
       vector_spherical_distance('[1,0]', '[-1,0]'),
       vector_spherical_distance('[2,0]', '[3,0]'),
       vector_spherical_distance('[-2,0]', '[3,0]');

-- distances: edge results
SELECT l2_distance('[3e38]'::vector, '[-3e38]');
SELECT vector_l2_squared_distance('[3e38]', '[-3e38]');
SELECT inner_product('[3e38]'::vector, '[3e38]'), inner_product('[3e38]'::vector, '[-3e38]');
SELECT cosine_distance('[3e38]'::vector, '[3e38]');
SELECT cosine_distance('[0,0]'::vector, '[0,0]'), cosine_distance('[0,0]'::vector, '[1,2]');
SELECT l1_distance('[3e38]'::vector, '[-3e38]');
-- cosine distance stays in [0, 2] whatever the rounding
SELECT bool_and(cosine_distance(v, v) BETWEEN 0 AND 2) AS same_in_range,
       bool_and(cosine_distance(v, vector_mul(v, array_fill(-1, ARRAY[vector_dims(v)])::vector))
                BETWEEN 0 AND 2) AS opposite_in_range
FROM (SELECT array_agg(sin(i * j) * 10)::vector AS v
      FROM generate_series(1, 50) i, generate_series(1, 37) j GROUP BY i) s;

-- distances: operands of different dimensions
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT l2_distance('[1,2]'::vector, '[1]')$$),
	($$SELECT '[1,2]'::vector <-> '[1]'$$),
	($$SELECT vector_l2_squared_distance('[1,2]', '[1]')$$),
	($$SELECT inner_product('[1,2]'::vector, '[1]')$$),
	($$SELECT '[1,2]'::vector <#> '[1]'$$),
	($$SELECT cosine_distance('[1,2]'::vector, '[1]')$$),
	($$SELECT '[1,2]'::vector <=> '[1]'$$),
	($$SELECT vector_spherical_distance('[1,2]', '[1]')$$),
	($$SELECT l1_distance('[1,2]'::vector, '[1]')$$),
	($$SELECT '[1]'::vector <+> '[1,2]'$$)
) v(q);

-- functions of one vector
SELECT vector_dims('[1,2,3]'::vector), vector_dims('[1]'::vector);
SELECT vector_norm('[3,4]'), vector_norm('[0,0]'), vector_norm('[-1,1,1,-1]');
SELECT vector_norm('[3e38,3e38]');
SELECT l2_normalize('[3,4]'::vector), l2_normalize('[0,-5]'::vector), l2_normalize('[0,0]'::vector);
SELECT l2_normalize('[3e38,4e37]'::vector), l2_normalize('[1e-45]'::vector);
SELECT binary_quantize('[1,0,-1,2]'::vector), binary_quantize('[-0.5]'::vector),
       binary_quantize('[1,2,3,4,5,6,7,8,9]'::vector), binary_quantize('[0,0,0,0,0,0,0,0,1]'::vector);
SELECT pg_typeof(binary_quantize('[1]'::vector));

-- subvector: 1-based start, count clipped at the end, like substring
SELECT subvector('[1,2,3,4,5]'::vector, 1, 3), subvector('[1,2,3,4,5]'::vector, 3, 2),
       subvector('[1,2,3,4,5]'::vector, 4, 10), subvector('[1,2,3,4,5]'::vector, 5, 1),
       subvector('[1,2,3,4,5]'::vector, 0, 2), subvector('[1,2,3,4,5]'::vector, -1, 3),
       subvector('[1,2,3,4,5]'::vector, 1, 2147483647);
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT subvector('[1,2,3,4,5]'::vector, -2147483648, 2147483647)$$),
	($$SELECT subvector('[1,2,3,4,5]'::vector, 6, 1)$$),
	($$SELECT subvector('[1,2,3,4,5]'::vector, 1, 0)$$),
	($$SELECT subvector('[1,2,3,4,5]'::vector, 1, -1)$$),
	($$SELECT subvector('[1,2,3,4,5]'::vector, -1, 2)$$),
	($$SELECT subvector('[1,2,3,4,5]'::vector, 2147483647, 2147483647)$$),
	($$SELECT subvector('[1,2,3,4,5]'::vector, 3, -2147483648)$$)
) v(q);

-- arithmetic
SELECT '[1,2,3]'::vector + '[4,5,6]', '[1,2,3]'::vector - '[4,5,6]',
       '[1,2,3]'::vector * '[4,5,6]', '[1,2]'::vector || '[3]';
SELECT '[1e-30]'::vector * '[0]', '[-1]'::vector * '[0]';
SELECT vector_dims(array_fill(1, ARRAY[8000])::vector || array_fill(2, ARRAY[8000])::vector);
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '[1,2]'::vector + '[1]'$$),
	($$SELECT '[1,2]'::vector - '[1]'$$),
	($$SELECT '[1]'::vector * '[1,2]'$$),
	($$SELECT '[3e38]'::vector + '[3e38]'$$),
	($$SELECT '[-3e38]'::vector - '[3e38]'$$),
	($$SELECT '[1e30]'::vector * '[1e30]'$$),
	($$SELECT '[1e-30]'::vector * '[1e-30]'$$),
	($$SELECT array_fill(1, ARRAY[8001])::vector || array_fill(2, ARRAY[8000])::vector$$)
) v(q);

-- comparison: element by element, then the shorter first
SELECT v, v < '[1,2,3]' AS lt, v <= '[1,2,3]' AS le, v = '[1,2,3]' AS eq,
       v <> '[1,2,3]' AS ne, v >= '[1,2,3]' AS ge, v > '[1,2,3]' AS gt,
       vector_cmp(v, '[1,2,3]') AS cmp
FROM (VALUES ('[1,2,3]'::vector), ('[1,2,4]'), ('[1,2,2]'), ('[1,2]'),
             ('[1,2,3,0]'), ('[1,3]'), ('[0,9,9,9]'), ('[1,-0,3]')) t(v);
SELECT '[-0]'::vector = '[0]', vector_cmp('[-0]', '[0]');

-- the btree operator class
SELECT opcname, opcdefault, opcintype::regtype
FROM pg_opclass JOIN pg_am ON opcmethod = pg_am.oid
WHERE amname = 'btree' AND opcintype = 'vector'::regtype;
CREATE TABLE vt (id int, v vector);
INSERT INTO vt VALUES (1, '[3,1]'), (2, '[1,2,3]'), (3, '[1,2]'), (4, '[2]'),
	(5, '[1,2,3]'), (6, '[-1,5]'), (7, NULL);
CREATE INDEX vt_v_idx ON vt USING btree (v);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM vt ORDER BY v;
SELECT * FROM vt ORDER BY v, id;
SELECT * FROM vt WHERE v = '[1,2,3]' ORDER BY id;
SELECT * FROM vt WHERE v >= '[1,2]' AND v < '[2]' ORDER BY v, id;
RESET enable_seqscan;
SELECT v, count(*) FROM vt GROUP BY v ORDER BY v;
SELECT DISTINCT v FROM vt ORDER BY v;
DROP TABLE vt;

-- the kernel setting does not change results on integer vectors
SELECT l2_distance('[1]'::vector, '[1]');	-- load the library
CREATE TABLE vk (id int, a vector, b vector);
INSERT INTO vk
SELECT d * 100 + k,
       array_agg((i * 7 + k) % 13 - 6 ORDER BY i)::vector,
       array_agg((i * 5 + 3 * k) % 11 - 5 ORDER BY i)::vector
FROM generate_series(1, 70) d, generate_series(1, 3) k, generate_series(1, d) i
GROUP BY d, k;
CREATE TEMP TABLE vk_auto AS
SELECT id, a <-> b AS l2, vector_l2_squared_distance(a, b) AS l2sq,
       a <#> b AS nip, inner_product(a, b) AS ip, a <=> b AS cos, a <+> b AS l1
FROM vk;
SET hnsw.distance_kernel = 'scalar';
CREATE TEMP TABLE vk_scalar AS
SELECT id, a <-> b AS l2, vector_l2_squared_distance(a, b) AS l2sq,
       a <#> b AS nip, inner_product(a, b) AS ip, a <=> b AS cos, a <+> b AS l1
FROM vk;
RESET hnsw.distance_kernel;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE (s.l2, s.l2sq, s.nip, s.ip, s.cos, s.l1) IS DISTINCT FROM
                              (a.l2, a.l2sq, a.nip, a.ip, a.cos, a.l1)) AS differ
FROM vk_scalar s JOIN vk_auto a USING (id);
-- likewise every other kernel this CPU supports (the others are skipped)
DO $$
DECLARE
	k text;
	n bigint;
BEGIN
	FOREACH k IN ARRAY ARRAY['scalar', 'avx2', 'avx512', 'neon'] LOOP
		BEGIN
			PERFORM set_config('hnsw.distance_kernel', k, true);
		EXCEPTION WHEN invalid_parameter_value THEN
			CONTINUE;
		END;
		SELECT count(*) INTO n
		FROM vk JOIN vk_auto a USING (id)
		WHERE (vk.a <-> vk.b, vector_l2_squared_distance(vk.a, vk.b),
			   vk.a <#> vk.b, inner_product(vk.a, vk.b), vk.a <=> vk.b,
			   vk.a <+> vk.b) IS DISTINCT FROM
			  (a.l2, a.l2sq, a.nip, a.ip, a.cos, a.l1);
		IF n <> 0 THEN
			RAISE NOTICE 'kernel % differs on % rows', k, n;
		END IF;
	END LOOP;
END
$$;
RESET hnsw.distance_kernel;
DROP TABLE vk;

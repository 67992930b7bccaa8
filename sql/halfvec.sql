--
-- halfvec type: catalog entries, type modifier, text and binary forms,
-- casts, operators and functions, comparison, aggregates
--
-- Errors are shown through pg_temp.sqlerr, which runs a statement and
-- returns "SQLSTATE: message" (plus " DETAIL: ..." when there is one), or
-- "ok".  Distance and function calls cast their first argument: with both
-- vector and halfvec versions, a call on two untyped literals is
-- ambiguous.
--
\i sql/include/sqlerr.sql

-- the type itself: 2 bytes per element plus 8
SELECT typlen, typstorage, typalign, typinput, typoutput, typreceive,
       typsend, typmodin, typmodout
FROM pg_type WHERE oid = 'halfvec'::regtype;
SELECT obj_description('halfvec'::regtype, 'pg_type');
SELECT pg_column_size('[1,2,3]'::halfvec), pg_column_size('[1]'::halfvec),
       pg_column_size(array_fill(1, ARRAY[1000])::halfvec);

-- type modifier
CREATE TABLE ht (a halfvec, b halfvec(3), c halfvec(16000));
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'ht'::regclass AND attnum > 0 ORDER BY attnum;
DROP TABLE ht;
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	('SELECT NULL::halfvec(3,2)'),
	('SELECT NULL::halfvec(0)'),
	('SELECT NULL::halfvec(-1)'),
	('SELECT NULL::halfvec(16001)'),
	('SELECT NULL::halfvec(16000)'),
	('SELECT NULL::halfvec(1)')
) v(q);

-- typmod enforcement: literals, the self-cast, arrays, columns
SELECT '[1,2,3]'::halfvec(3);
SELECT '[1,2,3]'::halfvec::halfvec(3);
SELECT '{"[1,2]","[3,4]"}'::halfvec(2)[];
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '[1,2,3]'::halfvec(2)$$),
	($$SELECT '[1,2,3]'::halfvec::halfvec(2)$$),
	($$SELECT '{"[1,2,3]"}'::halfvec(2)[]$$),
	($$SELECT '{"[1,2]","[1,2,3]"}'::halfvec(2)[]$$)
) v(q);
CREATE TABLE ht (v halfvec(2));
INSERT INTO ht VALUES ('[1,2]');
SELECT pg_temp.sqlerr($$INSERT INTO ht VALUES ('[1,2,3]')$$);
SELECT pg_temp.sqlerr($$INSERT INTO ht VALUES ('[1,2,3]'::halfvec)$$);
SELECT pg_temp.sqlerr($$UPDATE ht SET v = '[1]'$$);
SELECT * FROM ht;
DROP TABLE ht;

-- a column without typmod holds mixed dimensions
CREATE TABLE ht (v halfvec);
INSERT INTO ht VALUES ('[1]'), ('[1,2]'), ('[1,2,3]'), (NULL);
SELECT v, vector_dims(v) FROM ht ORDER BY v;
DROP TABLE ht;

-- text input: accepted forms
SELECT '[1,2,3]'::halfvec;
SELECT ' [ 1,  2 ,    3  ] '::halfvec;
SELECT E'\t[\n1\r,\f2 ]\n'::halfvec;
SELECT ('[' || chr(11) || '1' || chr(11) || ']' || chr(11))::halfvec;
SELECT '[1.,+2,-3]'::halfvec;
SELECT '[1e2,1E-2,.5]'::halfvec;
SELECT '[-0,0]'::halfvec;
SELECT '[0x1p3]'::halfvec;

-- rounding to binary16: to nearest, ties to even; 65504 is the largest
-- finite value, and 65520 (half way to 65536) would round to infinity
SELECT '[1.23456]'::halfvec;
SELECT '[65519,-65519]'::halfvec;
SELECT '[65504,-65504]'::halfvec;
SELECT '[2049,2051,2050.5]'::halfvec;
SELECT '[0.1,0.2,0.3]'::halfvec;
-- underflow is silent and keeps the sign; subnormals are kept
SELECT '[1e-8,-1e-8]'::halfvec;
SELECT '[1e-46,-1e-46]'::halfvec;
SELECT '[6e-8,-6e-8,6.1e-5]'::halfvec;
SELECT '[3e-8,3.0000001e-8]'::halfvec;

-- text output: the shortest float4 text of each widened value, whatever
-- extra_float_digits says
SET extra_float_digits = 0;
SELECT '[1.23456,0.1,65504]'::halfvec;
SET extra_float_digits = 3;
SELECT '[1.23456,0.1,65504]'::halfvec;
RESET extra_float_digits;
-- output reads back identically
SELECT v::text::halfvec = v AS same, halfvec_send(v::text::halfvec) = halfvec_send(v) AS same_bits
FROM (VALUES ('[0.1,1.23456,-7.5e-6,65504,6e-8,-0]'::halfvec)) t(v);

-- text input: errors
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '[hello,1]'::halfvec$$),
	($$SELECT '[1,2,3'::halfvec$$),
	($$SELECT '[,'::halfvec$$),
	($$SELECT '[1,]'::halfvec$$),
	($$SELECT '[1a]'::halfvec$$),
	($$SELECT '[1,,3]'::halfvec$$),
	($$SELECT '['::halfvec$$),
	($$SELECT '[1 2]'::halfvec$$),
	($$SELECT '1,2,3'::halfvec$$),
	($$SELECT ''::halfvec$$),
	($$SELECT '(1,2)'::halfvec$$),
	($$SELECT '[1,2,3]9'::halfvec$$),
	($$SELECT '[1,2,3] ]'::halfvec$$),
	($$SELECT '[]'::halfvec$$),
	($$SELECT '[ ]'::halfvec$$),
	($$SELECT '[NaN,1]'::halfvec$$),
	($$SELECT '[1,nan]'::halfvec$$),
	($$SELECT '[Infinity,1]'::halfvec$$),
	($$SELECT '[-Infinity,1]'::halfvec$$),
	($$SELECT '[1,inf]'::halfvec$$),
	($$SELECT '[65520,-65520]'::halfvec$$),
	($$SELECT '[1, -65520 ]'::halfvec$$),
	($$SELECT '[6.552e4]'::halfvec$$),
	($$SELECT '[100000]'::halfvec$$),
	($$SELECT '[4e38,1]'::halfvec$$),
	($$SELECT '[1,1e39x]'::halfvec$$),
	-- checks run in reading order
	($$SELECT '[65520,NaN]'::halfvec$$),
	($$SELECT '[NaN,65520]'::halfvec$$),
	($$SELECT '[65520'::halfvec$$),
	($$SELECT '[1,2]x'::halfvec(3)$$)
) v(q);

-- the dimension limit
SELECT vector_dims(('[' || array_to_string(array_fill(1, ARRAY[16000]), ',') || ']')::halfvec);
SELECT pg_temp.sqlerr($$SELECT ('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::halfvec$$);
SELECT pg_temp.sqlerr($$SELECT ('[' || array_to_string(array_fill(1, ARRAY[16000]), ',') || ',x]')::halfvec$$);

--
-- binary form: int16 dim, int16 unused (0), then dim binary16 values, all
-- in network byte order.  Files are written and read by psql (\copy,
-- \lo_export) under results/, so that the server needs no access to them.
--
SELECT halfvec_send('[1,2]');
SELECT halfvec_send('[-0,1.5,-2]');
SELECT halfvec_send('[65504,6e-8,-65504]');

-- round trip through a binary COPY file
CREATE TABLE hc (id int, v halfvec(3), w halfvec);
INSERT INTO hc VALUES
	(1, '[1,2,3]', '[1]'),
	(2, '[-0,0,-1.5]', '[0.1,0.2,0.3,0.4]'),
	(3, '[65504,-65504,6e-8]', '[1.23456,-1e-6]'),
	(4, NULL, NULL);
\copy hc TO 'results/halfvec_copy.bin' WITH (FORMAT binary)
CREATE TABLE hc2 (LIKE hc);
\copy hc2 FROM 'results/halfvec_copy.bin' WITH (FORMAT binary)
SELECT * FROM hc2 ORDER BY id;
SELECT count(*) AS identical
FROM hc JOIN hc2 USING (id)
WHERE halfvec_send(hc.v) = halfvec_send(hc2.v)
  AND halfvec_send(hc.w) = halfvec_send(hc2.w);
-- the receiver enforces the column's typmod
CREATE TABLE hc_dim2 (id int, v halfvec(2), w halfvec);
\copy hc_dim2 FROM 'results/halfvec_copy.bin' WITH (FORMAT binary)
DROP TABLE hc, hc2, hc_dim2;

-- receive: hand-made COPY files with one halfvec field each; a large
-- object holds the file until psql writes it out.  The checks run in the
-- order dim range, typmod, unused, then each value.
CREATE FUNCTION pg_temp.copyfile(field bytea) RETURNS oid LANGUAGE sql AS $$
	-- file header, one tuple of one field, trailer
	SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea ||
		'\x0000000000000000'::bytea || '\x0001'::bytea ||
		int4send(length(field)) || field || '\xffff'::bytea)
$$;
CREATE TABLE hr (id serial, v halfvec);
CREATE TABLE hr3 (id serial, v halfvec(3));
-- accepted: [1,2]; a subnormal and -0; the largest finite values
SELECT pg_temp.copyfile('\x000200003c004000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x0002000000018000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200007bfffbff') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000300003c0040004200') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr3 (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- dim 0, dim -1, dim 0x8000 (read as int16: "at least 1")
SELECT pg_temp.copyfile('\x00000000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\xffff0000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x80000000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- dim 16001, dim 0x7fff
SELECT pg_temp.copyfile('\x3e810000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x7fff0000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- dim range before unused
SELECT pg_temp.copyfile('\x00000001') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- typmod, and typmod before unused
SELECT pg_temp.copyfile('\x000200003c004000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr3 (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200013c004000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr3 (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- unused, and unused before the values
SELECT pg_temp.copyfile('\x000200013c004000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x0002ffff7e003c00') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- NaN (quiet, signalling, negative) and infinities
SELECT pg_temp.copyfile('\x000100007e00') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000100007c01') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x00020000fe007c00') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200003c007c00') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x00010000fc00') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- too short, and too long
SELECT pg_temp.copyfile('\x000200003c00') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x0001') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x00010000') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000100003c00ff') AS lo \gset
\lo_export :lo 'results/halfvec_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy hr (v) FROM 'results/halfvec_recv.bin' WITH (FORMAT binary)
-- what was accepted, in order
SELECT 'hr' AS tbl, id, v FROM hr UNION ALL SELECT 'hr3', id, v FROM hr3 ORDER BY 1, 2;
DROP TABLE hr, hr3;

--
-- casts
--
SELECT castsource::regtype, casttarget::regtype, castfunc::regprocedure,
       castcontext, castmethod
FROM pg_cast
WHERE castsource = 'halfvec'::regtype OR casttarget = 'halfvec'::regtype
ORDER BY castsource::regtype::text, casttarget::regtype::text;

-- halfvec -> vector is exact; vector -> halfvec rounds
SELECT '[1.23456,-0,65504,6e-8]'::halfvec::vector;
SELECT '[1.23456,-0,65519,1e-8,-1e-8]'::vector::halfvec;
SELECT '[1,2]'::halfvec::vector(2), '[1,2]'::vector::halfvec(2);
SELECT '[1.5,-0,65504]'::halfvec::real[];
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '[65520]'::vector::halfvec$$),
	($$SELECT '[1,-65520.5]'::vector::halfvec$$),
	($$SELECT '[3e38]'::vector::halfvec$$),
	($$SELECT '[1,2]'::vector::halfvec(3)$$),
	($$SELECT '[1,2]'::halfvec::vector(3)$$)
) v(q);

-- arrays
SELECT '{1,2,3}'::integer[]::halfvec;
SELECT '{1.5,-2.25,3}'::real[]::halfvec;
SELECT '{1.5,-2.25,3}'::double precision[]::halfvec;
SELECT '{1.5,-2.25,3}'::numeric[]::halfvec;
SELECT '{1.23456,65519,1e-8,-1e-50}'::double precision[]::halfvec;
SELECT '{1,2,3}'::integer[]::halfvec(3);
SELECT ARRAY[1,2]::halfvec;
SELECT vector_dims(array_fill(1, ARRAY[16000])::halfvec);

-- assignment casts apply on INSERT, not in expressions; vector -> halfvec
-- is implicit
CREATE TABLE ht (v halfvec(3));
INSERT INTO ht VALUES ('{1,2,3}'::integer[]), ('{4,5,6}'::real[]),
	('{7,8,9}'::double precision[]), ('{10,11,12}'::numeric[]),
	('[13,14,15]'::vector);
SELECT * FROM ht;
SELECT pg_temp.sqlerr($$INSERT INTO ht VALUES ('{1,2}'::integer[])$$);
SELECT pg_temp.sqlerr($$SELECT l2_norm('{1,2}'::integer[])$$);
-- vector casts implicitly to halfvec and to sparsevec: l2_norm(vector) is ambiguous
SELECT pg_temp.sqlerr($$SELECT l2_norm('[3,4]'::vector)$$);
SELECT l2_norm('[3,4]'::vector::halfvec);
CREATE TABLE vt (v vector(3), r real[]);
INSERT INTO vt VALUES ('[1,2,3]'::halfvec, '[4,5,6]'::halfvec);
SELECT * FROM vt;
SELECT pg_temp.sqlerr($$SELECT vector_norm('[1,2]'::halfvec)$$);
DROP TABLE ht, vt;

-- array cast errors
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '{{1,2},{3,4}}'::integer[]::halfvec$$),
	($$SELECT '{1,NULL,3}'::integer[]::halfvec$$),
	($$SELECT '{NULL}'::real[]::halfvec$$),
	($$SELECT '{}'::integer[]::halfvec$$),
	($$SELECT '{}'::real[]::halfvec$$),
	($$SELECT '{4e38}'::double precision[]::halfvec$$),
	($$SELECT '{-4e38}'::double precision[]::halfvec$$),
	($$SELECT '{NaN}'::double precision[]::halfvec$$),
	($$SELECT '{NaN}'::real[]::halfvec$$),
	($$SELECT '{Infinity}'::real[]::halfvec$$),
	($$SELECT '{NaN}'::numeric[]::halfvec$$),
	($$SELECT '{65520}'::real[]::halfvec$$),
	($$SELECT '{1,70000}'::integer[]::halfvec$$),
	($$SELECT '{-65520.5}'::numeric[]::halfvec$$),
	($$SELECT '{3e38}'::double precision[]::halfvec$$),
	($$SELECT '{1,2,3}'::integer[]::halfvec(2)$$),
	($$SELECT '{1,2,3}'::real[]::halfvec(2)$$)
) v(q);
SELECT pg_temp.sqlerr($$SELECT array_fill(1, ARRAY[16001])::halfvec$$);

-- an array of another element type reaching the C function
CREATE FUNCTION array_to_halfvec_int8(bigint[], integer, boolean) RETURNS halfvec
	AS '$libdir/hnsw', 'array_to_halfvec' LANGUAGE C IMMUTABLE STRICT;
SELECT pg_temp.sqlerr($$SELECT array_to_halfvec_int8('{1,2}', -1, false)$$);
DROP FUNCTION array_to_halfvec_int8(bigint[], integer, boolean);

--
-- operators and functions
--

-- catalog: operators on halfvec
SELECT oprname, oprleft::regtype, oprright::regtype, oprresult::regtype,
       oprcode, oprcom::regoperator, oprnegate::regoperator, oprrest, oprjoin
FROM pg_operator
WHERE oprleft = 'halfvec'::regtype
ORDER BY oprname;

-- catalog: every function taking or returning halfvec, with its C symbol;
-- all are immutable, strict and parallel safe
SELECT oid::regprocedure, prosrc, provolatile, proisstrict, proparallel
FROM pg_proc
WHERE prokind = 'f'
  AND ('halfvec'::regtype = ANY (proargtypes) OR prorettype = 'halfvec'::regtype)
ORDER BY oid::regprocedure::text;
SELECT oid::regprocedure, prosrc, provolatile, proisstrict, proparallel
FROM pg_proc WHERE oid = 'halfvec_combine'::regproc;

-- the names a dump of pgvector's halfvec objects refers to
SELECT s, to_regprocedure(s) IS NOT NULL AS exists FROM unnest(ARRAY[
	'halfvec_in(cstring,oid,integer)', 'halfvec_out(halfvec)',
	'halfvec_typmod_in(cstring[])', 'halfvec_recv(internal,oid,integer)',
	'halfvec_send(halfvec)', 'halfvec(halfvec,integer,boolean)',
	'halfvec_to_vector(halfvec,integer,boolean)',
	'vector_to_halfvec(vector,integer,boolean)',
	'halfvec_to_float4(halfvec,integer,boolean)',
	'array_to_halfvec(integer[],integer,boolean)',
	'array_to_halfvec(real[],integer,boolean)',
	'array_to_halfvec(double precision[],integer,boolean)',
	'array_to_halfvec(numeric[],integer,boolean)',
	'l2_distance(halfvec,halfvec)', 'inner_product(halfvec,halfvec)',
	'cosine_distance(halfvec,halfvec)', 'l1_distance(halfvec,halfvec)',
	'vector_dims(halfvec)', 'l2_norm(halfvec)', 'l2_normalize(halfvec)',
	'binary_quantize(halfvec)', 'subvector(halfvec,integer,integer)',
	'halfvec_add(halfvec,halfvec)', 'halfvec_sub(halfvec,halfvec)',
	'halfvec_mul(halfvec,halfvec)', 'halfvec_concat(halfvec,halfvec)',
	'halfvec_lt(halfvec,halfvec)', 'halfvec_le(halfvec,halfvec)',
	'halfvec_eq(halfvec,halfvec)', 'halfvec_ne(halfvec,halfvec)',
	'halfvec_ge(halfvec,halfvec)', 'halfvec_gt(halfvec,halfvec)',
	'halfvec_cmp(halfvec,halfvec)',
	'halfvec_l2_squared_distance(halfvec,halfvec)',
	'halfvec_negative_inner_product(halfvec,halfvec)',
	'halfvec_spherical_distance(halfvec,halfvec)',
	'halfvec_accum(double precision[],halfvec)',
	'halfvec_avg(double precision[])',
	'halfvec_combine(double precision[],double precision[])',
	'avg(halfvec)', 'sum(halfvec)']) s;

-- distances
SELECT l2_distance('[0,0]'::halfvec, '[3,4]'), '[0,0]'::halfvec <-> '[3,4]',
       halfvec_l2_squared_distance('[0,0]', '[3,4]');
SELECT inner_product('[1,2]'::halfvec, '[3,4]'), '[1,2]'::halfvec <#> '[3,4]',
       halfvec_negative_inner_product('[1,2]', '[3,4]');
SELECT cosine_distance('[1,2]'::halfvec, '[2,4]'), cosine_distance('[1,1]'::halfvec, '[1,1]'),
       cosine_distance('[1,1]'::halfvec, '[-1,-1]'), cosine_distance('[1,0]'::halfvec, '[0,2]'),
       '[1,2]'::halfvec <=> '[-2,-4]';
SELECT l1_distance('[0,0]'::halfvec, '[3,4]'), '[0,0]'::halfvec <+> '[3,-4]',
       l1_distance('[1,2,3]'::halfvec, '[1,2,3]');
SELECT halfvec_spherical_distance('[1,0]', '[0,1]'),
       halfvec_spherical_distance('[1,0]', '[1,0]'),
       halfvec_spherical_distance('[1,0]', '[-1,0]'),
       halfvec_spherical_distance('[2,0]', '[3,0]'),
       halfvec_spherical_distance('[-2,0]', '[3,0]');
-- accumulation in float4: 65504^2 = 4290774016 exactly in float4
SELECT inner_product('[65504]'::halfvec, '[65504]'),
       inner_product('[65504,65504]'::halfvec, '[65504,-65504]'),
       l2_distance('[65504]'::halfvec, '[-65504]'),
       l1_distance('[65504]'::halfvec, '[-65504]');
-- zero vectors give NaN; cosine stays in [0, 2]
SELECT cosine_distance('[0,0]'::halfvec, '[0,0]'), cosine_distance('[0,0]'::halfvec, '[1,2]');
SELECT bool_and(cosine_distance(v, v) BETWEEN 0 AND 2) AS same_in_range,
       bool_and(cosine_distance(v, halfvec_mul(v, array_fill(-1, ARRAY[vector_dims(v)])::halfvec))
                BETWEEN 0 AND 2) AS opposite_in_range
FROM (SELECT array_agg(sin(i * j) * 10)::halfvec AS v
      FROM generate_series(1, 50) i, generate_series(1, 37) j GROUP BY i) s;

-- distances: operands of different dimensions
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT l2_distance('[1,2]'::halfvec, '[1]')$$),
	($$SELECT '[1,2]'::halfvec <-> '[1]'$$),
	($$SELECT halfvec_l2_squared_distance('[1,2]', '[1]')$$),
	($$SELECT inner_product('[1,2]'::halfvec, '[1]')$$),
	($$SELECT '[1,2]'::halfvec <#> '[1]'$$),
	($$SELECT halfvec_negative_inner_product('[1,2]', '[1]')$$),
	($$SELECT cosine_distance('[1,2]'::halfvec, '[1]')$$),
	($$SELECT '[1,2]'::halfvec <=> '[1]'$$),
	($$SELECT halfvec_spherical_distance('[1,2]', '[1]')$$),
	($$SELECT l1_distance('[1,2]'::halfvec, '[1]')$$),
	($$SELECT '[1]'::halfvec <+> '[1,2]'$$)
) v(q);

-- functions of one halfvec
SELECT vector_dims('[1,2,3]'::halfvec), vector_dims('[1]'::halfvec);
SELECT l2_norm('[3,4]'::halfvec), l2_norm('[0,0]'::halfvec), l2_norm('[-1,1,1,-1]'::halfvec),
       l2_norm('[65504,65504]'::halfvec);
SELECT l2_normalize('[3,4]'::halfvec), l2_normalize('[0,-5]'::halfvec),
       l2_normalize('[0,0]'::halfvec), l2_normalize('[65504]'::halfvec),
       l2_normalize('[6e-8,-6e-8]'::halfvec);
SELECT binary_quantize('[1,0,-1,2]'::halfvec), binary_quantize('[-0.5]'::halfvec),
       binary_quantize('[1,2,3,4,5,6,7,8,9]'::halfvec),
       binary_quantize('[-0,6e-8,0,0,0,0,0,0,1]'::halfvec);
SELECT pg_typeof(binary_quantize('[1]'::halfvec));

-- subvector: 1-based start, count clipped at the end, like substring
SELECT subvector('[1,2,3,4,5]'::halfvec, 1, 3), subvector('[1,2,3,4,5]'::halfvec, 3, 2),
       subvector('[1,2,3,4,5]'::halfvec, 4, 10), subvector('[1,2,3,4,5]'::halfvec, 5, 1),
       subvector('[1,2,3,4,5]'::halfvec, 0, 2), subvector('[1,2,3,4,5]'::halfvec, -1, 3),
       subvector('[1,2,3,4,5]'::halfvec, 1, 2147483647);
SELECT pg_typeof(subvector('[1,2]'::halfvec, 1, 1));
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT subvector('[1,2,3,4,5]'::halfvec, -2147483648, 2147483647)$$),
	($$SELECT subvector('[1,2,3,4,5]'::halfvec, 6, 1)$$),
	($$SELECT subvector('[1,2,3,4,5]'::halfvec, 1, 0)$$),
	($$SELECT subvector('[1,2,3,4,5]'::halfvec, 1, -1)$$),
	($$SELECT subvector('[1,2,3,4,5]'::halfvec, -1, 2)$$),
	($$SELECT subvector('[1,2,3,4,5]'::halfvec, 2147483647, 2147483647)$$),
	($$SELECT subvector('[1,2,3,4,5]'::halfvec, 3, -2147483648)$$)
) v(q);

-- arithmetic, rounded once to binary16
SELECT '[1,2,3]'::halfvec + '[4,5,6]', '[1,2,3]'::halfvec - '[4,5,6]',
       '[1,2,3]'::halfvec * '[4,5,6]', '[1,2]'::halfvec || '[3]';
SELECT pg_typeof('[1]'::halfvec + '[1]'), pg_typeof('[1]'::halfvec || '[1]');
SELECT '[2048]'::halfvec + '[1]', '[2048]'::halfvec + '[3]', '[65504]'::halfvec - '[65504]',
       '[65504]'::halfvec + '[15]', '[1.5]'::halfvec * '[-0.5]';
SELECT '[1e-4]'::halfvec * '[0]', '[-1]'::halfvec * '[0]', '[0.001]'::halfvec * '[0.001]';
SELECT vector_dims(array_fill(1, ARRAY[8000])::halfvec || array_fill(2, ARRAY[8000])::halfvec);
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '[1,2]'::halfvec + '[1]'$$),
	($$SELECT '[1,2]'::halfvec - '[1]'$$),
	($$SELECT '[1]'::halfvec * '[1,2]'$$),
	($$SELECT '[65504]'::halfvec + '[65504]'$$),
	($$SELECT '[65504]'::halfvec + '[16]'$$),
	($$SELECT '[-65504]'::halfvec - '[65504]'$$),
	($$SELECT '[256]'::halfvec * '[256]'$$),
	($$SELECT '[1e-4]'::halfvec * '[1e-4]'$$),
	($$SELECT '[-1e-4]'::halfvec * '[1e-4]'$$),
	($$SELECT array_fill(1, ARRAY[8001])::halfvec || array_fill(2, ARRAY[8000])::halfvec$$)
) v(q);

-- comparison: element by element, then the shorter first
SELECT v, v < '[1,2,3]' AS lt, v <= '[1,2,3]' AS le, v = '[1,2,3]' AS eq,
       v <> '[1,2,3]' AS ne, v >= '[1,2,3]' AS ge, v > '[1,2,3]' AS gt,
       halfvec_cmp(v, '[1,2,3]') AS cmp
FROM (VALUES ('[1,2,3]'::halfvec), ('[1,2,4]'), ('[1,2,2]'), ('[1,2]'),
             ('[1,2,3,0]'), ('[1,3]'), ('[0,9,9,9]'), ('[1,-0,3]'),
             ('[1,2,3.001]')) t(v);
SELECT '[-0]'::halfvec = '[0]', halfvec_cmp('[-0]', '[0]'),
       '[-6e-8]'::halfvec < '[0]', '[65504]'::halfvec > '[65500]';

-- the btree operator class
SELECT opcname, opcdefault, opcintype::regtype, amproc::regprocedure
FROM pg_opclass JOIN pg_am ON opcmethod = pg_am.oid
     JOIN pg_amproc ON amprocfamily = opcfamily
WHERE amname = 'btree' AND opcintype = 'halfvec'::regtype;
SELECT amopstrategy, amopopr::regoperator
FROM pg_amop JOIN pg_opclass ON amopfamily = opcfamily
WHERE opcname = 'halfvec_ops' ORDER BY amopstrategy;
CREATE TABLE ht (id int, v halfvec);
INSERT INTO ht VALUES (1, '[3,1]'), (2, '[1,2,3]'), (3, '[1,2]'), (4, '[2]'),
	(5, '[1,2,3]'), (6, '[-1,5]'), (7, NULL);
CREATE INDEX ht_v_idx ON ht USING btree (v);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM ht ORDER BY v;
SELECT * FROM ht ORDER BY v, id;
SELECT * FROM ht WHERE v = '[1,2,3]' ORDER BY id;
SELECT * FROM ht WHERE v >= '[1,2]' AND v < '[2]' ORDER BY v, id;
RESET enable_seqscan;
SELECT v, count(*) FROM ht GROUP BY v ORDER BY v;
SELECT DISTINCT v FROM ht ORDER BY v;
DROP TABLE ht;

-- halfvec distances equal those of the vector casts on integer vectors,
-- with every kernel this CPU supports (the others are skipped)
SELECT l2_distance('[1]'::halfvec, '[1]');	-- load the library
CREATE TABLE hk (id int, a halfvec, b halfvec);
INSERT INTO hk
SELECT d * 100 + k,
       array_agg((i * 7 + k) % 13 - 6 ORDER BY i)::halfvec,
       array_agg((i * 5 + 3 * k) % 11 - 5 ORDER BY i)::halfvec
FROM generate_series(1, 70) d, generate_series(1, 3) k, generate_series(1, d) i
GROUP BY d, k;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE (a <-> b, halfvec_l2_squared_distance(a, b), a <#> b,
                               inner_product(a, b), a <=> b, a <+> b) IS DISTINCT FROM
                              (a::vector <-> b::vector, vector_l2_squared_distance(a::vector, b::vector),
                               a::vector <#> b::vector, inner_product(a::vector, b::vector),
                               a::vector <=> b::vector, a::vector <+> b::vector)) AS differ
FROM hk;
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
		FROM hk
		WHERE (a <-> b, halfvec_l2_squared_distance(a, b), a <#> b,
			   inner_product(a, b), a <=> b, a <+> b) IS DISTINCT FROM
			  (a::vector <-> b::vector, vector_l2_squared_distance(a::vector, b::vector),
			   a::vector <#> b::vector, inner_product(a::vector, b::vector),
			   a::vector <=> b::vector, a::vector <+> b::vector);
		IF n <> 0 THEN
			RAISE NOTICE 'kernel % differs on % rows', k, n;
		END IF;
	END LOOP;
END
$$;
RESET hnsw.distance_kernel;
DROP TABLE hk;

--
-- aggregates
--
SELECT aggfnoid::regprocedure, aggtransfn, aggfinalfn, aggcombinefn,
       aggtranstype::regtype, agginitval, proparallel
FROM pg_aggregate JOIN pg_proc ON pg_proc.oid = aggfnoid
WHERE aggfnoid IN ('avg(halfvec)'::regprocedure, 'sum(halfvec)'::regprocedure)
ORDER BY 1::text;

-- serial
SELECT avg(v), sum(v) FROM (VALUES ('[1,2,3]'::halfvec), ('[3,4,5]')) t(v);
SELECT avg(v), sum(v) FROM (VALUES ('[1,2]'::halfvec), (NULL), ('[4,-8]')) t(v);
SELECT avg(v), sum(v) FROM (VALUES (NULL::halfvec)) t(v);
SELECT avg(v) IS NULL AS avg_null, sum(v) IS NULL AS sum_null
FROM (SELECT '[1]'::halfvec AS v WHERE false) t;
SELECT pg_typeof(avg(v)), pg_typeof(sum(v)) FROM (VALUES ('[1]'::halfvec)) t(v);
SELECT g, avg(v), sum(v)
FROM (VALUES (1, '[1,1]'::halfvec), (1, '[3,5]'), (2, '[0,0]'), (2, '[2,-4]'), (3, '[7,7]')) t(g, v)
GROUP BY g ORDER BY g;
-- avg sums in double precision, so it does not overflow where sum does
SELECT avg(v) FROM (VALUES ('[65504,-65504]'::halfvec), ('[65504,-65504]')) t(v);
-- the mean is rounded to binary16
SELECT avg(v) FROM (VALUES ('[1]'::halfvec), ('[0]'), ('[0]')) t(v);
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT avg(v) FROM (VALUES ('[1,2]'::halfvec), ('[1]')) t(v)$$),
	($$SELECT avg(v) FROM (VALUES ('[1]'::halfvec), ('[1,2]')) t(v)$$),
	($$SELECT sum(v) FROM (VALUES ('[1,2]'::halfvec), ('[1]')) t(v)$$),
	($$SELECT sum(v) FROM (VALUES ('[65504]'::halfvec), ('[65504]')) t(v)$$)
) v(q);

-- the support functions called directly
SELECT halfvec_accum('{0}', '[1,2]');
SELECT halfvec_accum(halfvec_accum('{0}', '[1,2]'), '[3,4.5]');
SELECT halfvec_combine('{0}', '{0}'), halfvec_combine('{2,4,6}', '{0}'),
       halfvec_combine('{0}', '{2,4,6}'), halfvec_combine('{1,1,2}', '{2,4,6}');
SELECT halfvec_avg('{2,4,6}'), halfvec_avg('{3,1,1}'), halfvec_avg('{0}') IS NULL AS empty;
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT halfvec_accum('{}', '[1,2]')$$),
	($$SELECT halfvec_accum('{{0}}', '[1,2]')$$),
	($$SELECT halfvec_accum('{0,NULL}', '[1]')$$),
	($$SELECT halfvec_accum('{1,2}', '[1,2]')$$),
	($$SELECT halfvec_accum('{1,Infinity}', '[1]')$$),
	($$SELECT halfvec_accum(array_fill(1::float8, ARRAY[16002]), '[1]')$$),
	($$SELECT halfvec_avg('{}')$$),
	($$SELECT halfvec_avg('{1}')$$),
	($$SELECT halfvec_avg('{1,65520}')$$),
	($$SELECT halfvec_avg('{1,-70000}')$$),
	($$SELECT halfvec_avg('{1,1e39}')$$),
	($$SELECT halfvec_avg('{1,NaN}')$$),
	($$SELECT halfvec_avg(array_fill(1::float8, ARRAY[16002]))$$),
	-- halfvec_combine is vector_combine: its messages say "vector"
	($$SELECT halfvec_combine('{}', '{0}')$$),
	($$SELECT halfvec_combine('{1,2}', '{1,2,3}')$$),
	($$SELECT halfvec_combine('{1,1e308}', '{1,1e308}')$$),
	($$SELECT halfvec_combine('{0}', array_fill(1::float8, ARRAY[16002]))$$)
) v(q);
-- 16000 dimensions are fine
SELECT vector_dims(halfvec_avg(halfvec_accum('{0}', array_fill(1, ARRAY[16000])::halfvec)));

-- parallel: partial aggregates in the workers, combined in the leader
CREATE TABLE ha (id int, v halfvec(3));
INSERT INTO ha SELECT i, ARRAY[i % 10, 1, -2]::halfvec FROM generate_series(1, 20000) i;
ANALYZE ha;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT avg(v) FROM ha;
SELECT avg(v), count(*) FROM ha;
SELECT avg(v), sum(v) FROM ha WHERE id + 0 > 19996;
SELECT avg(v), sum(v) FROM ha WHERE id + 0 > 20000;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE ha;

--
-- vector type: catalog entry, type modifier, text input and output, casts
--
-- Errors are shown through pg_temp.sqlerr, which runs a statement and
-- returns "SQLSTATE: message" (plus " DETAIL: ..." when there is one), or
-- "ok".  Every test file that checks errors defines it the same way.
--
\i sql/include/sqlerr.sql

-- the type itself
SELECT typlen, typstorage, typalign, typinput, typoutput, typreceive,
       typsend, typmodin, typmodout
FROM pg_type WHERE oid = 'vector'::regtype;
SELECT obj_description('vector'::regtype, 'pg_type');
SELECT pg_column_size('[1,2,3]'::vector), pg_column_size('[1]'::vector);

-- type modifier
CREATE TABLE vt (a vector, b vector(3), c vector(16000));
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'vt'::regclass AND attnum > 0 ORDER BY attnum;
DROP TABLE vt;
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	('SELECT NULL::vector(3,2)'),
	('SELECT NULL::vector(0)'),
	('SELECT NULL::vector(-1)'),
	('SELECT NULL::vector(16001)'),
	('SELECT NULL::vector(16000)'),
	('SELECT NULL::vector(1)')
) v(q);

-- typmod enforcement: literals, the self-cast, arrays, columns
SELECT '[1,2,3]'::vector(3);
SELECT '[1,2,3]'::vector::vector(3);
SELECT '{"[1,2]","[3,4]"}'::vector(2)[];
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '[1,2,3]'::vector(2)$$),
	($$SELECT '[1,2,3]'::vector::vector(2)$$),
	($$SELECT '{"[1,2,3]"}'::vector(2)[]$$),
	($$SELECT '{"[1,2]","[1,2,3]"}'::vector(2)[]$$)
) v(q);
CREATE TABLE vt (v vector(2));
INSERT INTO vt VALUES ('[1,2]');
SELECT pg_temp.sqlerr($$INSERT INTO vt VALUES ('[1,2,3]')$$);
SELECT pg_temp.sqlerr($$INSERT INTO vt VALUES ('[1,2,3]'::vector)$$);
SELECT pg_temp.sqlerr($$UPDATE vt SET v = '[1]'$$);
SELECT * FROM vt;
DROP TABLE vt;

-- a column without typmod holds mixed dimensions
CREATE TABLE vt (v vector);
INSERT INTO vt VALUES ('[1]'), ('[1,2]'), ('[1,2,3]'), (NULL);
SELECT v, vector_dims(v) FROM vt ORDER BY v;
DROP TABLE vt;

-- text input: accepted forms
SELECT '[1,2,3]'::vector;
SELECT ' [ 1,  2 ,    3  ] '::vector;
SELECT E'\t[\n1\r,\f2 ]\n'::vector;
SELECT ('[' || chr(11) || '1' || chr(11) || ']' || chr(11))::vector;
SELECT '[1.,+2,-3]'::vector;
SELECT '[1e5,1E-5,.5]'::vector;
SELECT '[-0,0]'::vector;
SELECT '[0x1p3]'::vector;
SELECT '[1e-46,1]'::vector;
SELECT '[-1e-46]'::vector;

-- text output: the shortest string that reads back as the same float4
SELECT '[1.5e+38,-1.5e+38]'::vector;
SELECT '[1.23456]'::vector;
SELECT '[0.1,0.2,0.3]'::vector;
SELECT '[3.4028235e38,-3.4028235e38]'::vector;
SELECT '[1.17549435e-38,1.4e-45]'::vector;
SELECT '[16777217,123456789,0.000001]'::vector;
SET extra_float_digits = 0;
SELECT '[1.23456,0.1,3.4028235e38]'::vector;
SET extra_float_digits = 3;
SELECT '[1.23456,0.1,3.4028235e38]'::vector;
RESET extra_float_digits;
-- output reads back identically
SELECT v::text::vector = v AS same
FROM (VALUES ('[0.1,1.23456,-7.5e-20,3.4028235e38,1.4e-45]'::vector)) t(v);

-- text input: errors
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '[hello,1]'::vector$$),
	($$SELECT '[1,2,3'::vector$$),
	($$SELECT '[,'::vector$$),
	($$SELECT '[1,]'::vector$$),
	($$SELECT '[1a]'::vector$$),
	($$SELECT '[1,,3]'::vector$$),
	($$SELECT '['::vector$$),
	($$SELECT '[1 2]'::vector$$),
	($$SELECT '[-]'::vector$$),
	($$SELECT '1,2,3'::vector$$),
	($$SELECT ''::vector$$),
	($$SELECT '  '::vector$$),
	($$SELECT '(1,2)'::vector$$),
	($$SELECT '[1,2,3]9'::vector$$),
	($$SELECT '[1,2,3] ]'::vector$$),
	($$SELECT '[]'::vector$$),
	($$SELECT '[ ]'::vector$$),
	($$SELECT '[]x'::vector$$),
	($$SELECT '[NaN,1]'::vector$$),
	($$SELECT '[1,nan]'::vector$$),
	($$SELECT '[Infinity,1]'::vector$$),
	($$SELECT '[-Infinity,1]'::vector$$),
	($$SELECT '[1,inf]'::vector$$),
	($$SELECT '[4e38,1]'::vector$$),
	($$SELECT '[1, -4e38 ]'::vector$$),
	($$SELECT '[1,1e39x]'::vector$$),
	($$SELECT '[NaN,4e38'::vector$$)
) v(q);

-- the dimension limit
SELECT vector_dims(('[' || array_to_string(array_fill(1, ARRAY[16000]), ',') || ']')::vector);
SELECT pg_temp.sqlerr($$SELECT ('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::vector$$);
SELECT pg_temp.sqlerr($$SELECT ('[' || array_to_string(array_fill(1, ARRAY[16000]), ',') || ',x]')::vector$$);

-- casts and their contexts
SELECT castsource::regtype, casttarget::regtype, castfunc::regprocedure,
       castcontext, castmethod
FROM pg_cast
WHERE castsource = 'vector'::regtype OR casttarget = 'vector'::regtype
ORDER BY castsource::regtype::text, casttarget::regtype::text;

SELECT '{1,2,3}'::integer[]::vector;
SELECT '{1.5,-2.25,3}'::real[]::vector;
SELECT '{1.5,-2.25,3}'::double precision[]::vector;
SELECT '{1.5,-2.25,3}'::numeric[]::vector;
SELECT '{1e-50}'::double precision[]::vector;
SELECT '{1,2,3}'::integer[]::vector(3);
SELECT ARRAY[1,2]::vector;
SELECT '[1,2,3]'::vector::real[];
SELECT '[1.5,-0]'::vector::real[];
SELECT array_length('[1,2,3]'::vector::real[], 1);

-- assignment casts apply on INSERT, not in expressions
CREATE TABLE vt (v vector(3));
INSERT INTO vt VALUES ('{1,2,3}'::integer[]), ('{4,5,6}'::real[]),
	('{7,8,9}'::double precision[]), ('{10,11,12}'::numeric[]);
SELECT * FROM vt;
SELECT pg_temp.sqlerr($$INSERT INTO vt VALUES ('{1,2}'::integer[])$$);
DROP TABLE vt;
SELECT pg_temp.sqlerr($$SELECT l2_distance('{1,2}'::integer[], '[1,2]')$$);

-- array cast errors
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '{{1,2},{3,4}}'::integer[]::vector$$),
	($$SELECT '{1,NULL,3}'::integer[]::vector$$),
	($$SELECT '{NULL}'::real[]::vector$$),
	($$SELECT '{}'::integer[]::vector$$),
	($$SELECT '{}'::real[]::vector$$),
	($$SELECT '{4e38}'::double precision[]::vector$$),
	($$SELECT '{-4e38}'::double precision[]::vector$$),
	($$SELECT '{NaN}'::double precision[]::vector$$),
	($$SELECT '{Infinity}'::real[]::vector$$),
	($$SELECT '{NaN}'::numeric[]::vector$$),
	($$SELECT '{1,2,3}'::integer[]::vector(2)$$),
	($$SELECT '{1,2,3}'::real[]::vector(2)$$)
) v(q);
SELECT pg_temp.sqlerr($$SELECT array_fill(1, ARRAY[16001])::vector$$);

-- an array of another element type reaching the C function
CREATE FUNCTION array_to_vector_int8(bigint[], integer, boolean) RETURNS vector
	AS '$libdir/hnsw', 'array_to_vector' LANGUAGE C IMMUTABLE STRICT;
SELECT pg_temp.sqlerr($$SELECT array_to_vector_int8('{1,2}', -1, false)$$);
DROP FUNCTION array_to_vector_int8(bigint[], integer, boolean);

--
-- sparsevec type: catalog entries, type modifier, text input and output,
-- binary form, casts, distances, comparison
--
-- Errors are shown through pg_temp.sqlerr, which runs a statement and
-- returns "SQLSTATE: message" (plus " DETAIL: ..." when there is one), or
-- "ok".  Binary files are written and read by psql (\copy, \lo_export)
-- under results/ of the directory the test runs from, so that the server
-- needs no access to it.  The casts to and from halfvec are tested in
-- sparsevec_halfvec.
--
\i sql/include/sqlerr.sql

-- the type itself
SELECT typlen, typstorage, typalign, typinput, typoutput, typreceive,
       typsend, typmodin, typmodout
FROM pg_type WHERE oid = 'sparsevec'::regtype;
SELECT obj_description('sparsevec'::regtype, 'pg_type');
-- 16 bytes of header, then 8 per stored entry
SELECT pg_column_size('{1:1,3:2}/5'::sparsevec),
       pg_column_size('{}/1000000000'::sparsevec),
       pg_column_size('{1:0,2:0}/2'::sparsevec);

-- every function over sparsevec (except the halfvec casts) is immutable,
-- strict and parallel safe
SELECT p.oid::regprocedure AS function, p.prorettype::regtype AS returns,
       p.prosrc, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE ('sparsevec'::regtype = ANY (p.proargtypes) OR
       p.prorettype = 'sparsevec'::regtype)
  AND p.prosrc NOT LIKE '%halfvec%'
ORDER BY p.oid::regprocedure::text;

-- type modifier
CREATE TABLE st (a sparsevec, b sparsevec(3), c sparsevec(1000000000));
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'st'::regclass AND attnum > 0 ORDER BY attnum;
DROP TABLE st;
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	('SELECT NULL::sparsevec(3,2)'),
	('SELECT NULL::sparsevec(0)'),
	('SELECT NULL::sparsevec(-1)'),
	('SELECT NULL::sparsevec(1000000001)'),
	('SELECT NULL::sparsevec(1000000000)'),
	('SELECT NULL::sparsevec(1)')
) v(q);

-- typmod enforcement: literals, the self-cast, arrays, columns
SELECT '{1:1,3:2}/3'::sparsevec(3);
SELECT '{1:1,3:2}/3'::sparsevec::sparsevec(3);
SELECT '{"{1:1}/2","{}/2"}'::sparsevec(2)[];
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '{1:1}/3'::sparsevec(2)$$),
	($$SELECT '{1:1}/3'::sparsevec::sparsevec(2)$$),
	($$SELECT '{"{1:1}/3"}'::sparsevec(2)[]$$),
	($$SELECT '{"{}/2","{}/3"}'::sparsevec(2)[]$$)
) v(q);
CREATE TABLE st (v sparsevec(2));
INSERT INTO st VALUES ('{2:1}/2');
SELECT pg_temp.sqlerr($$INSERT INTO st VALUES ('{1:1}/3')$$);
SELECT pg_temp.sqlerr($$INSERT INTO st VALUES ('{1:1}/3'::sparsevec)$$);
SELECT pg_temp.sqlerr($$UPDATE st SET v = '{}/1'$$);
SELECT * FROM st;
DROP TABLE st;

-- a column without typmod holds mixed dimensions
CREATE TABLE st (v sparsevec);
INSERT INTO st VALUES ('{1:1}/1'), ('{2:2}/2'), ('{}/1000000000');
SELECT * FROM st;
DROP TABLE st;

-- text input: whitespace, any order of indices, zeros dropped
SELECT '{1:1.5,3:2}/5'::sparsevec;
SELECT '{3:2,1:1.5}/5'::sparsevec;
SELECT ' { 3 : 2 , 1 : 1.5 } / 5 '::sparsevec;
SELECT (E'\t{\n1:1\r,' || chr(11) || E'2:2\f}\t/\n2\r')::sparsevec;
SELECT '{+1:+1,2:-1}/+2'::sparsevec;
SELECT '{}/3'::sparsevec, '{ }/1'::sparsevec, '{}/1000000000'::sparsevec;
SELECT '{1:0,2:1,3:0}/3'::sparsevec;
SELECT '{1:-0,2:0.0,3:0e5}/3'::sparsevec;
SELECT '{5:0}/3'::sparsevec;
SELECT '{0:0,-1:0,99999999999999999999:0}/3'::sparsevec;
SELECT '{1:1,1:0}/3'::sparsevec;
SELECT '{1000000000:1,1:-1}/1000000000'::sparsevec;
SELECT '{1:1.,2:1e5,3:-1.5E-3,4:0x1p3}/4'::sparsevec;
-- subnormals are kept
SELECT '{1:1e-45,2:-1.4e-45,3:1e-40}/3'::sparsevec;

-- text output: shortest float4 text, 1-based ascending indices
SELECT '{1:1.23456,2:-1.5e38,3:3.4028235e38,4:0.1,5:1e-10}/5'::sparsevec;
SELECT '{1:1.23456789}/1'::sparsevec;
SELECT '{2:1,1:2}/2'::sparsevec::text;

-- text input errors
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	-- syntax
	($$SELECT ''::sparsevec$$),
	($$SELECT ' '::sparsevec$$),
	($$SELECT '1:1/1'::sparsevec$$),
	($$SELECT '[1,2]'::sparsevec$$),
	($$SELECT '/1'::sparsevec$$),
	($$SELECT '{}'::sparsevec$$),
	($$SELECT '{1:1}'::sparsevec$$),
	($$SELECT '{} 1'::sparsevec$$),
	($$SELECT '{}x/1'::sparsevec$$),
	($$SELECT '{}/1a'::sparsevec$$),
	($$SELECT '{}/1 2'::sparsevec$$),
	($$SELECT '{}/1/'::sparsevec$$),
	($$SELECT '{}/1.5'::sparsevec$$),
	($$SELECT '{'::sparsevec$$),
	($$SELECT '{ '::sparsevec$$),
	($$SELECT '{1:}/1'::sparsevec$$),
	($$SELECT '{1:1,}/1'::sparsevec$$),
	($$SELECT '{,}/1'::sparsevec$$),
	($$SELECT '{}/'::sparsevec$$),
	($$SELECT '{}/ '::sparsevec$$),
	($$SELECT '{}/x'::sparsevec$$),
	($$SELECT '{:1}/1'::sparsevec$$),
	($$SELECT '{1}/1'::sparsevec$$),
	($$SELECT '{1:1'::sparsevec$$),
	($$SELECT '{1:1;2:1}/2'::sparsevec$$),
	($$SELECT '{1:1 2:1}/2'::sparsevec$$),
	($$SELECT '{a:1}/1'::sparsevec$$),
	($$SELECT '{1.5:1}/2'::sparsevec$$),
	($$SELECT '{1:hello}/1'::sparsevec$$),
	($$SELECT '{1:1a}/1'::sparsevec$$),
	($$SELECT '{1::1}/1'::sparsevec$$),
	-- values
	($$SELECT '{1:NaN}/1'::sparsevec$$),
	($$SELECT '{1:Infinity}/1'::sparsevec$$),
	($$SELECT '{1:-inf}/1'::sparsevec$$),
	($$SELECT '{1:4e38}/1'::sparsevec$$),
	($$SELECT '{1: -4e38 }/1'::sparsevec$$),
	($$SELECT '{1:1e-46}/1'::sparsevec$$),
	($$SELECT '{1:-1e-46}/1'::sparsevec$$),
	-- dimensions, huge numbers clamped
	($$SELECT '{}/0'::sparsevec$$),
	($$SELECT '{}/-1'::sparsevec$$),
	($$SELECT '{}/1000000001'::sparsevec$$),
	($$SELECT '{}/2147483648'::sparsevec$$),
	($$SELECT '{}/9223372036854775808'::sparsevec$$),
	($$SELECT '{}/99999999999999999999999'::sparsevec$$),
	($$SELECT '{}/-2147483649'::sparsevec$$),
	($$SELECT '{}/-9223372036854775809'::sparsevec$$),
	-- indices
	($$SELECT '{0:1}/3'::sparsevec$$),
	($$SELECT '{4:1}/3'::sparsevec$$),
	($$SELECT '{-1:1}/3'::sparsevec$$),
	($$SELECT '{4294967297:1}/3'::sparsevec$$),
	($$SELECT '{99999999999999999999:1}/3'::sparsevec$$),
	($$SELECT '{-99999999999999999999:1}/3'::sparsevec$$),
	($$SELECT '{1:1,1:2}/3'::sparsevec$$),
	($$SELECT '{2:1,1:1,2:3}/3'::sparsevec$$),
	($$SELECT '{1:1,1:-1}/3'::sparsevec$$)
) v(q);

-- order of the checks: syntax (values included), dimensions, typmod,
-- indices (bounds before duplicates)
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '{1:NaN,4:1}/0'::sparsevec$$),
	($$SELECT '{4:1,1:1e-46}/0'::sparsevec$$),
	($$SELECT '{4:1}/0x'::sparsevec$$),
	($$SELECT '{4:1}/0'::sparsevec$$),
	($$SELECT '{4:1}/1000000001'::sparsevec(3)$$),
	($$SELECT '{4:1}/2'::sparsevec(3)$$),
	($$SELECT '{1:1,1:1}/2'::sparsevec(3)$$),
	($$SELECT '{1:1,1:1,4:1}/3'::sparsevec$$),
	($$SELECT '{4:1,1:1,1:1}/3'::sparsevec$$)
) v(q);

-- at most 16000 non-zero entries: a text with more than 15999 commas is
-- refused before it is parsed, whatever it holds
SELECT pg_column_size(('{' || string_agg(i || ':1', ',') || '}/16000')::sparsevec)
FROM generate_series(1, 16000) i;
SELECT pg_temp.sqlerr(format('SELECT %L::sparsevec',
	'{' || string_agg(i || ':1', ',') || '}/16001'))
FROM generate_series(1, 16001) i;
SELECT pg_temp.sqlerr(format('SELECT %L::sparsevec',
	'{' || string_agg(i || ':0', ',') || '}/16001'))
FROM generate_series(1, 16001) i;
SELECT pg_temp.sqlerr(format('SELECT %L::sparsevec',
	'[' || repeat(',', 16000)));
SELECT pg_temp.sqlerr(format('SELECT %L::sparsevec',
	'{}/1' || repeat(',', 16000)));
SELECT replace(pg_temp.sqlerr(format('SELECT %L::sparsevec',
	'{}/1' || repeat(',', 15999))), repeat(',', 15999), '<15999 commas>');

-- send: 0-based indices in the binary form
SELECT sparsevec_send('{1:1.5,3:2}/5');
SELECT sparsevec_send('{}/3');
SELECT sparsevec_send('{1000000000:-1}/1000000000');

-- round trip through a binary COPY file
CREATE TABLE sc (id int, v sparsevec(5), w sparsevec);
INSERT INTO sc VALUES
	(1, '{1:1,3:2}/5', '{1:1}/1'),
	(2, '{}/5', '{1000000000:-1.5}/1000000000'),
	(3, '{5:3.4028235e38,1:-3.4028235e38,2:1e-45}/5', '{1:1.23456,3:7e-20}/3'),
	(4, NULL, NULL);
\copy sc TO 'results/sparsevec_copy.bin' WITH (FORMAT binary)
CREATE TABLE sc2 (LIKE sc);
\copy sc2 FROM 'results/sparsevec_copy.bin' WITH (FORMAT binary)
SELECT * FROM sc2 ORDER BY id;
SELECT count(*) AS identical
FROM sc JOIN sc2 USING (id)
WHERE sparsevec_send(sc.v) = sparsevec_send(sc2.v)
  AND sparsevec_send(sc.w) = sparsevec_send(sc2.w);
-- the receiver enforces the column's typmod
CREATE TABLE sc_dim4 (id int, v sparsevec(4), w sparsevec);
\copy sc_dim4 FROM 'results/sparsevec_copy.bin' WITH (FORMAT binary)
DROP TABLE sc, sc2, sc_dim4;

-- receive: hand-made COPY files with one sparsevec field each; a large
-- object holds the file until psql writes it out.  Fields are int32 dim,
-- int32 nnz, int32 unused, the indices, then the values.
CREATE FUNCTION pg_temp.copyfile(field bytea) RETURNS oid LANGUAGE sql AS $$
	-- file header, one tuple of one field, trailer
	SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea ||
		'\x0000000000000000'::bytea || '\x0001'::bytea ||
		int4send(length(field)) || field || '\xffff'::bytea)
$$;
-- one sparsevec field from its parts, the values given as float4 bit
-- patterns
CREATE FUNCTION pg_temp.field(dim int, nnz int, unused int, idx int[],
							  bits int[]) RETURNS bytea LANGUAGE sql AS $$
	SELECT int4send(dim) || int4send(nnz) || int4send(unused) ||
		coalesce((SELECT string_agg(int4send(i), '' ORDER BY o)
				  FROM unnest(idx) WITH ORDINALITY u(i, o)), '') ||
		coalesce((SELECT string_agg(int4send(b), '' ORDER BY o)
				  FROM unnest(bits) WITH ORDINALITY u(b, o)), '')
$$;
CREATE TABLE sr (id serial, v sparsevec);
CREATE TABLE sr3 (id serial, v sparsevec(3));
-- The cases are written out as psql commands to results/sparsevec_recv.sql,
-- which is then read back, so that each one is a COPY of its own.
-- 1.5 = x3fc00000, 2 = x40000000, -0 = x80000000, NaN = x7fc00000,
-- Infinity = x7f800000, -Infinity = xff800000, 1e-45 = x00000001
\pset tuples_only on
\pset format unaligned
\o results/sparsevec_recv.sql
SELECT format(E'-- %s\n'
	'SELECT pg_temp.copyfile(%L) AS lo \\gset\n'
	'\\lo_export :lo ''results/sparsevec_recv.bin''\n'
	'SELECT lo_unlink(:lo) \\gset\n'
	'\\copy %s (v) FROM ''results/sparsevec_recv.bin'' WITH (FORMAT binary)',
	label, field, tbl)
FROM (VALUES
	-- accepted
	('ok', 'sr', pg_temp.field(5, 2, 0, '{0,2}', '{1069547520,1073741824}')),
	('ok, empty', 'sr', pg_temp.field(3, 0, 0, '{}', '{}')),
	('ok, subnormal', 'sr', pg_temp.field(1, 1, 0, '{0}', '{1}')),
	('ok, largest', 'sr', pg_temp.field(1000000000, 1, 0, '{999999999}', '{1073741824}')),
	('ok, typmod', 'sr3', pg_temp.field(3, 1, 0, '{2}', '{1073741824}')),
	-- dimensions
	('dim 0', 'sr', pg_temp.field(0, 0, 0, '{}', '{}')),
	('dim -1', 'sr', pg_temp.field(-1, 0, 0, '{}', '{}')),
	('dim 1000000001', 'sr', pg_temp.field(1000000001, 0, 0, '{}', '{}')),
	('dim 0, nnz -1', 'sr', pg_temp.field(0, -1, 0, '{}', '{}')),
	-- nnz
	('nnz -1', 'sr', pg_temp.field(3, -1, 0, '{}', '{}')),
	('nnz 16001', 'sr', pg_temp.field(20000, 16001, 0, '{}', '{}')),
	('nnz 16001 > dim', 'sr', pg_temp.field(5, 16001, 0, '{}', '{}')),
	('nnz > dim', 'sr', pg_temp.field(1, 2, 0, '{0,1}', '{1,1}')),
	('nnz > dim, typmod', 'sr3', pg_temp.field(1, 2, 0, '{0,1}', '{1,1}')),
	-- typmod, unused
	('typmod', 'sr3', pg_temp.field(5, 1, 0, '{0}', '{1}')),
	('typmod, unused', 'sr3', pg_temp.field(5, 1, 7, '{0}', '{1}')),
	('unused', 'sr', pg_temp.field(5, 1, 7, '{0}', '{1}')),
	('unused -1', 'sr', pg_temp.field(5, 1, -1, '{0}', '{1}')),
	('unused, bad index', 'sr', pg_temp.field(5, 1, 1, '{9}', '{1}')),
	-- indices
	('index -1', 'sr', pg_temp.field(5, 1, 0, '{-1}', '{1}')),
	('index = dim', 'sr', pg_temp.field(5, 1, 0, '{5}', '{1}')),
	('index 4 of 5', 'sr', pg_temp.field(5, 1, 0, '{4}', '{1}')),
	('descending', 'sr', pg_temp.field(5, 2, 0, '{2,1}', '{1,1}')),
	('duplicate', 'sr', pg_temp.field(5, 2, 0, '{1,1}', '{1,1}')),
	('descending, out of bounds', 'sr', pg_temp.field(5, 2, 0, '{3,-1}', '{1,1}')),
	('duplicate, then descending', 'sr', pg_temp.field(5, 3, 0, '{2,2,1}', '{1,1,1}')),
	('bad index, NaN value', 'sr', pg_temp.field(5, 2, 0, '{1,1}', '{2143289344,1}')),
	-- values
	('NaN', 'sr', pg_temp.field(5, 1, 0, '{0}', '{2143289344}')),
	('Infinity', 'sr', pg_temp.field(5, 1, 0, '{0}', '{2139095040}')),
	('-Infinity', 'sr', pg_temp.field(5, 1, 0, '{0}', '{-8388608}')),
	('0', 'sr', pg_temp.field(5, 1, 0, '{0}', '{0}')),
	('-0', 'sr', pg_temp.field(5, 1, 0, '{0}', '{-2147483648}')),
	('0, then NaN', 'sr', pg_temp.field(5, 2, 0, '{0,1}', '{0,2143289344}')),
	-- short messages
	('short header', 'sr', '\x0000000500000000'::bytea),
	('short indices', 'sr', pg_temp.field(5, 2, 0, '{0}', '{}')),
	('short values', 'sr', pg_temp.field(5, 2, 0, '{0,1}', '{1}')),
	('long', 'sr', pg_temp.field(5, 0, 0, '{}', '{}') || '\xff'::bytea)
) v(label, tbl, field);
\o
\pset tuples_only off
\pset format aligned
\i results/sparsevec_recv.sql
-- what was accepted, in order
SELECT 'sr' AS tbl, id, v FROM sr UNION ALL SELECT 'sr3', id, v FROM sr3 ORDER BY 1, 2;
DROP TABLE sr, sr3;

-- casts and their contexts (those with halfvec: see sparsevec_halfvec)
SELECT castsource::regtype, casttarget::regtype, castfunc::regprocedure,
       castcontext, castmethod
FROM pg_cast
WHERE (castsource = 'sparsevec'::regtype OR casttarget = 'sparsevec'::regtype)
  AND castsource::regtype::text <> 'halfvec'
  AND casttarget::regtype::text <> 'halfvec'
ORDER BY castsource::regtype::text, casttarget::regtype::text;

-- vector -> sparsevec (implicit) drops 0 and -0
SELECT '[0,1,-0,2]'::vector::sparsevec;
SELECT '[0,-0]'::vector::sparsevec;
SELECT '[1.5,-3.4028235e38,1e-45]'::vector::sparsevec;
SELECT '[1,2]'::vector::sparsevec(2);
SELECT pg_temp.sqlerr($$SELECT '[1,2]'::vector::sparsevec(3)$$);
CREATE TABLE st (v sparsevec(3));
INSERT INTO st VALUES ('[1,0,3]'::vector);
SELECT l2_distance(v, '[0,0,3]'::vector) FROM st;
SELECT v <-> '[0,0,3]'::vector FROM st;
DROP TABLE st;

-- sparsevec -> vector (assignment)
SELECT '{1:1,3:2}/3'::sparsevec::vector;
SELECT '{}/2'::sparsevec::vector;
SELECT '{16000:1}/16000'::sparsevec::vector = (array_fill(0, ARRAY[15999]) || 1)::vector AS same;
SELECT '{1:1,3:2}/3'::sparsevec::vector(3);
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '{1:1,3:2}/3'::sparsevec::vector(2)$$),
	($$SELECT '{}/16001'::sparsevec::vector$$),
	($$SELECT '{}/16001'::sparsevec::vector(2)$$),
	($$SELECT '{}/1000000000'::sparsevec::vector$$),
	($$SELECT vector_dims('{1:1}/2'::sparsevec)$$)
) v(q);
CREATE TABLE st (v vector(3));
INSERT INTO st VALUES ('{2:5}/3'::sparsevec);
SELECT * FROM st;
DROP TABLE st;

-- arrays -> sparsevec (assignment): zeros dropped, dim = array length
SELECT '{1,0,2}'::integer[]::sparsevec;
SELECT '{1.5,0,-2.25,-0}'::real[]::sparsevec;
SELECT '{1.5,0,-2.25,-0}'::double precision[]::sparsevec;
SELECT '{1.5,0,-2.25,-0.0}'::numeric[]::sparsevec;
SELECT '{0,0,0}'::integer[]::sparsevec;
SELECT '{1e-50,1,-1e-50}'::double precision[]::sparsevec;
SELECT '{1,2}'::integer[]::sparsevec(2);
SELECT ARRAY[0,3]::sparsevec;
SELECT pg_column_size((array_fill(1, ARRAY[16000]) || 0)::sparsevec);
SELECT array_fill(0, ARRAY[20000])::sparsevec;
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '{{1,2},{3,4}}'::integer[]::sparsevec$$),
	($$SELECT '{1,NULL}'::integer[]::sparsevec$$),
	($$SELECT '{}'::integer[]::sparsevec$$),
	($$SELECT '{}'::real[]::sparsevec$$),
	($$SELECT '{1,2}'::integer[]::sparsevec(3)$$),
	($$SELECT '{NaN,1}'::real[]::sparsevec$$),
	($$SELECT '{Infinity,1}'::real[]::sparsevec$$),
	($$SELECT '{-Infinity}'::double precision[]::sparsevec$$),
	($$SELECT '{NaN}'::double precision[]::sparsevec$$),
	($$SELECT '{4e38}'::double precision[]::sparsevec$$),
	($$SELECT '{NaN}'::numeric[]::sparsevec$$),
	($$SELECT '{0,NaN}'::real[]::sparsevec$$),
	($$SELECT array_fill(1, ARRAY[16001])::sparsevec$$),
	($$SELECT (array_fill(1::real, ARRAY[16001]) || 'NaN'::real)::sparsevec$$)
) v(q);
-- an array of another element type reaching the C function
CREATE FUNCTION array_to_sparsevec_int8(bigint[], integer, boolean) RETURNS sparsevec
	AS '$libdir/hnsw', 'array_to_sparsevec' LANGUAGE C IMMUTABLE STRICT;
SELECT pg_temp.sqlerr($$SELECT array_to_sparsevec_int8('{1,2}', -1, false)$$);
DROP FUNCTION array_to_sparsevec_int8(bigint[], integer, boolean);
-- no cast to arrays
SELECT pg_temp.sqlerr($$SELECT '{1:1}/1'::sparsevec::real[]$$);

-- operators
SELECT o.oprname, o.oprleft::regtype, o.oprright::regtype,
       o.oprresult::regtype, o.oprcode, c.oprname AS commutator,
       n.oprname AS negator, o.oprrest, o.oprjoin, o.oprcanhash,
       o.oprcanmerge
FROM pg_operator o
LEFT JOIN pg_operator c ON c.oid = o.oprcom
LEFT JOIN pg_operator n ON n.oid = o.oprnegate
WHERE o.oprleft = 'sparsevec'::regtype
ORDER BY o.oprname;

-- distances
SELECT l2_distance('{1:3}/2'::sparsevec, '{2:4}/2'),
       '{1:3}/2'::sparsevec <-> '{2:4}/2',
       sparsevec_l2_squared_distance('{1:3}/2', '{2:4}/2');
SELECT l2_distance('{1:1,3:5}/4'::sparsevec, '{2:2,3:2,4:1}/4'),
       l2_distance('{}/4'::sparsevec, '{}/4'),
       l2_distance('{2:-3}/4'::sparsevec, '{2:1}/4');
SELECT inner_product('{1:1,2:2,3:3}/4'::sparsevec, '{2:4,4:5}/4'),
       '{1:1,2:2,3:3}/4'::sparsevec <#> '{2:4,4:5}/4',
       sparsevec_negative_inner_product('{1:1,2:2,3:3}/4', '{2:4,4:5}/4'),
       inner_product('{1:1}/4'::sparsevec, '{2:1}/4');
SELECT cosine_distance('{1:3}/2'::sparsevec, '{1:6}/2') AS same,
       cosine_distance('{1:1}/2'::sparsevec, '{2:1}/2') AS orthogonal,
       cosine_distance('{1:1}/2'::sparsevec, '{1:-1}/2') AS opposite,
       '{1:3,2:4}/3'::sparsevec <=> '{2:4,3:3}/3' AS cos;
SELECT cosine_distance('{}/1'::sparsevec, '{}/1'),
       cosine_distance('{}/2'::sparsevec, '{1:1}/2'),
       cosine_distance('{1:3e38}/1'::sparsevec, '{1:3e38}/1');
SELECT l1_distance('{1:1,3:-2}/3'::sparsevec, '{2:1,3:2}/3'),
       '{1:1,3:-2}/3'::sparsevec <+> '{2:1,3:2}/3',
       l1_distance('{}/3'::sparsevec, '{}/3');
-- float4 overflow gives Infinity
SELECT inner_product('{1:3e38}/1'::sparsevec, '{1:3e38}/1'),
       l2_distance('{1:3e38}/1'::sparsevec, '{1:-3e38}/1'),
       l1_distance('{1:3e38}/1'::sparsevec, '{1:-3e38}/1');
-- far apart indices
SELECT l2_distance('{1000000000:3}/1000000000'::sparsevec, '{1:4}/1000000000'),
       l1_distance('{1000000000:3}/1000000000'::sparsevec, '{1:4}/1000000000');
-- mismatched dimensions
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT l2_distance('{}/3'::sparsevec, '{}/2')$$),
	($$SELECT '{}/3'::sparsevec <-> '{}/2'$$),
	($$SELECT sparsevec_l2_squared_distance('{}/3', '{}/2')$$),
	($$SELECT inner_product('{}/3'::sparsevec, '{}/2')$$),
	($$SELECT '{}/3'::sparsevec <#> '{}/2'$$),
	($$SELECT sparsevec_negative_inner_product('{}/2', '{}/3')$$),
	($$SELECT cosine_distance('{}/3'::sparsevec, '{}/2')$$),
	($$SELECT '{}/3'::sparsevec <=> '{}/2'$$),
	($$SELECT l1_distance('{}/3'::sparsevec, '{}/2')$$),
	($$SELECT '{}/3'::sparsevec <+> '{}/2'$$)
) v(q);

-- l2_norm and l2_normalize
SELECT l2_norm('{1:3,5:4}/5'::sparsevec), l2_norm('{}/2'::sparsevec),
       l2_norm('{1:-3,2:4}/2'::sparsevec), l2_norm('{1:3e38,2:3e38}/2'::sparsevec);
SELECT l2_normalize('{1:3,5:4}/5'::sparsevec);
SELECT l2_normalize('{2:-5}/3'::sparsevec);
SELECT l2_normalize('{}/3'::sparsevec);
SELECT l2_normalize('{1:3e38,2:1e-37}/2'::sparsevec);
SELECT l2_normalize('{1:1e-45,3:1e-45}/3'::sparsevec);
SELECT l2_normalize('{1:3,5:4}/5'::sparsevec(5));

-- comparison: ordered like the dense form, then by dimensions
SELECT sparsevec_cmp('{1:1,2:2}/2', '{1:2,2:3,3:4}/3');
SELECT a, b, sparsevec_cmp(a, b), a < b AS lt, a <= b AS le, a = b AS eq,
       a <> b AS ne, a >= b AS ge, a > b AS gt,
       vector_cmp(a::vector, b::vector) AS dense
FROM (VALUES
	('{1:1,2:2}/2'::sparsevec, '{1:2,2:3,3:4}/3'::sparsevec),
	('{1:1,3:2}/3', '{1:1,3:2}/3'),
	('{}/3', '{}/3'),
	('{}/2', '{}/3'),
	('{1:1}/2', '{1:1}/3'),
	('{2:1}/2', '{1:1}/3'),
	('{1:-1}/2', '{}/2'),
	('{2:1}/3', '{3:5}/3'),
	('{3:1}/3', '{2:-1}/3'),
	('{1:1,3:9}/3', '{1:1}/2'),
	('{1:1,2:-1}/2', '{1:1}/2'),
	('{1:2}/1', '{1:1,2:5}/2')
) v(a, b);

-- the btree operator class sorts and indexes like the dense form
SELECT opcname, opcdefault, amname FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE opcintype = 'sparsevec'::regtype ORDER BY amname, opcname;
CREATE TABLE st (id int, v sparsevec);
INSERT INTO st VALUES (1, '{1:1}/3'), (2, '{}/3'), (3, '{2:1}/3'), (4, '{1:-1,3:1}/3'),
	(5, '{1:1}/2'), (6, '{3:2}/3'), (7, '{1:1,2:1}/2'), (8, '{}/1'), (9, '{1:1}/1');
SELECT id, v FROM st ORDER BY v, id;
SELECT array_agg(id ORDER BY v, id) = array_agg(id ORDER BY v::vector, id) AS same_order FROM st;
CREATE INDEX ON st USING btree (v);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM st WHERE v = '{1:1}/3';
SELECT id FROM st WHERE v = '{1:1}/3';
SELECT id FROM st WHERE v < '{1:1}/2' ORDER BY v;
RESET enable_seqscan;
SELECT count(DISTINCT v) FROM st;
DROP TABLE st;

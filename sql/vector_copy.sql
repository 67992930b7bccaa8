--
-- vector binary form: send, receive, COPY ... (FORMAT binary)
--
-- The binary form is int16 dim, int16 unused (0), then dim float4, all in
-- network byte order.  Files are written under results/.
--
CREATE FUNCTION pg_temp.sqlerr(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || SQLERRM ||
		CASE WHEN detail <> '' THEN ' DETAIL: ' || detail ELSE '' END;
END
$$;

\getenv abs_builddir PG_ABS_BUILDDIR
\set copyfile :abs_builddir '/results/vector_copy.bin'
\set recvfile :abs_builddir '/results/vector_recv.bin'

-- send
SELECT vector_send('[1,2]');
SELECT vector_send('[-0,1.5,-2]');
SELECT vector_send('[3.4028235e38,1e-45]');

-- round trip through a binary COPY file
CREATE TABLE vc (id int, v vector(3), w vector);
INSERT INTO vc VALUES
	(1, '[1,2,3]', '[1]'),
	(2, '[-0,0,-1.5]', '[0.1,0.2,0.3,0.4]'),
	(3, '[3.4028235e38,-3.4028235e38,1.4e-45]', '[1.23456,7e-20]'),
	(4, NULL, NULL);
COPY vc TO :'copyfile' WITH (FORMAT binary);
CREATE TABLE vc2 (LIKE vc);
COPY vc2 FROM :'copyfile' WITH (FORMAT binary);
SELECT * FROM vc2 ORDER BY id;
SELECT count(*) AS identical
FROM vc JOIN vc2 USING (id)
WHERE vector_send(vc.v) = vector_send(vc2.v)
  AND vector_send(vc.w) = vector_send(vc2.w);
-- the receiver enforces the column's typmod
CREATE TABLE vc_dim2 (id int, v vector(2), w vector);
SELECT pg_temp.sqlerr(format('COPY vc_dim2 FROM %L WITH (FORMAT binary)', :'copyfile'));
DROP TABLE vc, vc2, vc_dim2;

-- receive: hand-made COPY files with one vector field each
CREATE TABLE vr (v vector);
CREATE TABLE vr3 (v vector(3));
CREATE FUNCTION pg_temp.recv(path text, tbl text, field bytea) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	lo oid;
	result text;
BEGIN
	-- file header, one tuple of one field, trailer
	lo := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea ||
		'\x0000000000000000'::bytea || '\x0001'::bytea ||
		int4send(length(field)) || field || '\xffff'::bytea);
	PERFORM lo_export(lo, path);
	PERFORM lo_unlink(lo);
	EXECUTE format('TRUNCATE %I', tbl);
	EXECUTE format('COPY %I FROM %L WITH (FORMAT binary)', tbl, path);
	EXECUTE format('SELECT string_agg(v::text, '','') FROM %I', tbl) INTO result;
	RETURN result;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT field, pg_temp.recv(:'recvfile', tbl, field::bytea) FROM (VALUES
	('vr',  '\x000200003f80000040000000'),
	('vr',  '\x0001000080000000'),
	('vr',  '\x00010000ff7fffff'),
	('vr3', '\x000300003f8000004000000040400000'),
	('vr',  '\x000200013f80000040000000'),
	('vr',  '\x0002ffff3f80000040000000'),
	('vr',  '\x000100007fc00000'),
	('vr',  '\x000200003f8000007fc00000'),
	('vr',  '\x000100007f800000'),
	('vr',  '\x00010000ff800000'),
	('vr',  '\x00000000'),
	('vr',  '\x00000001'),
	('vr',  '\xffff0000'),
	('vr',  '\x80000000'),
	('vr',  '\x3e810000'),
	('vr',  '\x7fff0000'),
	('vr3', '\x000200003f80000040000000'),
	('vr3', '\x000200013f80000040000000'),
	('vr',  '\x000200003f800000'),
	('vr',  '\x0001'),
	('vr',  '\x'),
	('vr',  '\x000100003f800000ff')
) v(tbl, field);
DROP TABLE vr, vr3;

--
-- vector binary form: send, receive, COPY ... (FORMAT binary)
--
-- The binary form is int16 dim, int16 unused (0), then dim float4, all in
-- network byte order.  Files are written and read by psql (\copy,
-- \lo_export) under results/ of the directory the test runs from, so that
-- the server needs no access to it.
--
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
\copy vc TO 'results/vector_copy.bin' WITH (FORMAT binary)
CREATE TABLE vc2 (LIKE vc);
\copy vc2 FROM 'results/vector_copy.bin' WITH (FORMAT binary)
SELECT * FROM vc2 ORDER BY id;
SELECT count(*) AS identical
FROM vc JOIN vc2 USING (id)
WHERE vector_send(vc.v) = vector_send(vc2.v)
  AND vector_send(vc.w) = vector_send(vc2.w);
-- the receiver enforces the column's typmod
CREATE TABLE vc_dim2 (id int, v vector(2), w vector);
\copy vc_dim2 FROM 'results/vector_copy.bin' WITH (FORMAT binary)
DROP TABLE vc, vc2, vc_dim2;

-- receive: hand-made COPY files with one vector field each; a large
-- object holds the file until psql writes it out
CREATE FUNCTION pg_temp.copyfile(field bytea) RETURNS oid LANGUAGE sql AS $$
	-- file header, one tuple of one field, trailer
	SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea ||
		'\x0000000000000000'::bytea || '\x0001'::bytea ||
		int4send(length(field)) || field || '\xffff'::bytea)
$$;
CREATE TABLE vr (id serial, v vector);
CREATE TABLE vr3 (id serial, v vector(3));
SELECT pg_temp.copyfile('\x000200003f80000040000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x0001000080000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x00010000ff7fffff') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000300003f8000004000000040400000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr3 (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200013f80000040000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x0002ffff3f80000040000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000100007fc00000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200003f8000007fc00000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000100007f800000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x00010000ff800000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x00000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x00000001') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\xffff0000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x80000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x3e810000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x7fff0000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200003f80000040000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr3 (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200013f80000040000000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr3 (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000200003f800000') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x0001') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT pg_temp.copyfile('\x000100003f800000ff') AS lo \gset
\lo_export :lo 'results/vector_recv.bin'
SELECT lo_unlink(:lo) \gset
\copy vr (v) FROM 'results/vector_recv.bin' WITH (FORMAT binary)
-- what was accepted, in order
SELECT 'vr' AS tbl, id, v FROM vr UNION ALL SELECT 'vr3', id, v FROM vr3 ORDER BY 1, 2;
DROP TABLE vr, vr3;

--
-- hnsw operator classes for halfvec, sparsevec and bit: exact results on small
-- integer vectors (with fewer rows than hnsw.ef_search the search finds
-- every row, so the index returns what a sequential scan returns), the
-- checker, the limits and their messages, pgvector's documented patterns
--
\i sql/include/sqlerr.sql

-- 30 distinct small-integer vectors: the same data as halfvec and as bit
CREATE TABLE ht (id int, h halfvec(3), b bit(8));
INSERT INTO ht
SELECT id,
	('[' || (id * 37) % 97 % 10 || ',' || (id * 53) % 89 % 10 || ',' || (id * 71) % 83 % 10 || ']')::halfvec,
	((id * 37) % 256)::bit(8)
FROM generate_series(1, 30) id;
INSERT INTO ht VALUES (101, NULL, NULL);

CREATE INDEX ht_l2 ON ht USING hnsw (h halfvec_l2_ops);
CREATE INDEX ht_ip ON ht USING hnsw (h halfvec_ip_ops);
CREATE INDEX ht_cos ON ht USING hnsw (h halfvec_cosine_ops);
CREATE INDEX ht_l1 ON ht USING hnsw (h halfvec_l1_ops);
CREATE INDEX ht_ham ON ht USING hnsw (b bit_hamming_ops);
CREATE INDEX ht_jac ON ht USING hnsw (b bit_jaccard_ops);
SELECT i, (hnsw_index_check(i)).* FROM unnest(ARRAY['ht_l2', 'ht_ip', 'ht_cos', 'ht_l1', 'ht_ham', 'ht_jac']::regclass[]) i;

-- index scans give the sequential scan's answers.  same(q) runs q (which
-- returns distances as column d) with an index scan and with a sequential
-- scan and compares the distances in order (rows at equal distances may
-- come in any order)
CREATE FUNCTION pg_temp.same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	a text;
	b text;
	line text;
	indexed bool := false;
BEGIN
	SET LOCAL enable_seqscan = off;
	SET LOCAL enable_indexscan = on;
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		indexed := indexed OR line LIKE '%Index Scan using%';
	END LOOP;
	EXECUTE 'SELECT string_agg(round(d::numeric, 6)::text, '','') FROM (' || q || ') s' INTO a;
	SET LOCAL enable_seqscan = on;
	SET LOCAL enable_indexscan = off;
	EXECUTE 'SELECT string_agg(round(d::numeric, 6)::text, '','') FROM (' || q || ') s' INTO b;
	RETURN CASE WHEN a = b THEN 'same: ' ELSE 'DIFFERENT: ' || b || ' / ' END || a ||
		CASE WHEN indexed THEN '' ELSE ' (NOT AN INDEX SCAN)' END;
END
$$;
SELECT pg_temp.same($$SELECT h <-> '[5.125,4.625,3.375]' AS d FROM ht ORDER BY h <-> '[5.125,4.625,3.375]' LIMIT 8$$);
SELECT pg_temp.same($$SELECT h <+> '[5.125,4.625,3.375]' AS d FROM ht ORDER BY h <+> '[5.125,4.625,3.375]' LIMIT 8$$);
SELECT pg_temp.same($$SELECT h <=> '[1,2,4]' AS d FROM ht ORDER BY h <=> '[1,2,4]' LIMIT 8$$);
SELECT pg_temp.same($$SELECT h <#> '[1,2,4]' AS d FROM ht ORDER BY h <#> '[1,2,4]' LIMIT 8$$);
SELECT pg_temp.same($$SELECT b <~> '10110011' AS d FROM ht ORDER BY b <~> '10110011'$$);
SELECT pg_temp.same($$SELECT b <%> '10110011' AS d FROM ht ORDER BY b <%> '10110011'$$);
SET enable_seqscan = off;
SELECT id, h, h <-> '[5.125,4.625,3.375]' AS d FROM ht ORDER BY h <-> '[5.125,4.625,3.375]' LIMIT 5;
SELECT id, h, h <+> '[5.125,4.625,3.375]' AS d FROM ht ORDER BY h <+> '[5.125,4.625,3.375]' LIMIT 5;
SELECT id, h, h <#> '[1,2,4]' AS d FROM ht ORDER BY h <#> '[1,2,4]' LIMIT 5;
SELECT id, h, round((h <=> '[1,2,4]')::numeric, 6) AS d FROM ht ORDER BY h <=> '[1,2,4]' LIMIT 5;
RESET enable_seqscan;

-- inserts, deletes, VACUUM
INSERT INTO ht SELECT id, ('[' || id % 7 || ',' || id % 5 || ',' || id % 3 || ']')::halfvec,
	(id % 256)::bit(8) FROM generate_series(31, 60) id;
DELETE FROM ht WHERE id % 4 = 0;
VACUUM (INDEX_CLEANUP ON) ht;
SELECT i, (hnsw_index_check(i)).* FROM unnest(ARRAY['ht_l2', 'ht_ip', 'ht_cos', 'ht_l1', 'ht_ham', 'ht_jac']::regclass[]) i;
SELECT pg_temp.same($$SELECT h <-> '[2,2,2]' AS d FROM ht ORDER BY h <-> '[2,2,2]' LIMIT 10$$);
SELECT pg_temp.same($$SELECT h <+> '[6,0,1]' AS d FROM ht ORDER BY h <+> '[6,0,1]' LIMIT 10$$);
SELECT pg_temp.same($$SELECT h <=> '[6,0,1]' AS d FROM ht ORDER BY h <=> '[6,0,1]' LIMIT 10$$);
SELECT pg_temp.same($$SELECT h <#> '[6,0,1]' AS d FROM ht ORDER BY h <#> '[6,0,1]' LIMIT 10$$);
SELECT pg_temp.same($$SELECT b <~> '01100110' AS d FROM ht ORDER BY b <~> '01100110'$$);
SELECT pg_temp.same($$SELECT b <%> '01100110' AS d FROM ht ORDER BY b <%> '01100110'$$);

-- zero vectors are not indexed for cosine; a zero query returns rows
INSERT INTO ht VALUES (200, '[0,0,0]', '00000000');
SELECT elements FROM hnsw_index_check('ht_cos');
SELECT elements FROM hnsw_index_check('ht_l2');
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM ht ORDER BY h <=> '[0,0,0]' LIMIT 100) s;
-- a query of other dimensions fails like the distance function
SELECT pg_temp.sqlerr($$SELECT id FROM ht ORDER BY h <-> '[1,2]' LIMIT 1$$);
SELECT pg_temp.sqlerr($$SELECT id FROM ht ORDER BY b <~> '101' LIMIT 1$$);
RESET enable_seqscan;

-- the stats function knows every kind
SELECT elements, dimensions FROM hnsw_index_stats('ht_l2');
SELECT elements, dimensions FROM hnsw_index_stats('ht_ham');

-- limits: halfvec 16000 dimensions, bit 64000 bits; checks in order:
-- varbit, dimensions present, at most the limit.  halfvec(16001) is
-- refused by the type itself, so the index's check is reached only
-- through a column whose typmod is set in the catalog
CREATE TABLE hlim (h16000 halfvec(16000), h16001 halfvec(16000), hu halfvec,
	b64000 bit(64000), b64001 bit(64001), vb varbit(8), vb0 varbit);
UPDATE pg_attribute SET atttypmod = 16001
WHERE attrelid = 'hlim'::regclass AND attname = 'h16001';
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'hlim'::regclass AND attname = 'h16001';
CREATE INDEX hlim_h ON hlim USING hnsw (h16000 halfvec_l2_ops);
INSERT INTO hlim (h16000) SELECT array_fill(i, ARRAY[16000])::halfvec FROM generate_series(1, 3) i;
SELECT elements FROM hnsw_index_check('hlim_h');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw (h16001 halfvec_l2_ops)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw (hu halfvec_cosine_ops)');
CREATE INDEX hlim_b ON hlim USING hnsw (b64000 bit_hamming_ops);
INSERT INTO hlim (b64000) SELECT repeat(i::text, 64000)::bit(64000) FROM generate_series(0, 1) i;
SELECT elements FROM hnsw_index_check('hlim_b');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw (b64001 bit_hamming_ops)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw (vb bit_hamming_ops)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw (vb0 bit_jaccard_ops)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw ((vb::bit(8)) bit_jaccard_ops)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw ((b64000::varbit) bit_hamming_ops)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hlim USING hnsw (h16000 halfvec_l2_ops) WITH (m = 40, ef_construction = 50)');
DROP TABLE hlim;

-- sparsevec: the same 30 vectors as sparse vectors of 1000 dimensions
-- (entries at 1, 500 and 1000), and then some with up to 1000 entries
CREATE TABLE hs (id int, s sparsevec(1000));
INSERT INTO hs SELECT id, ('{1:' || (id * 37) % 97 % 10 || ',500:' || (id * 53) % 89 % 10 ||
	',1000:' || (id * 71) % 83 % 10 || '}/1000')::sparsevec FROM generate_series(1, 30) id;
INSERT INTO hs VALUES (101, NULL);
CREATE INDEX hs_l2 ON hs USING hnsw (s sparsevec_l2_ops);
CREATE INDEX hs_ip ON hs USING hnsw (s sparsevec_ip_ops);
CREATE INDEX hs_cos ON hs USING hnsw (s sparsevec_cosine_ops);
CREATE INDEX hs_l1 ON hs USING hnsw (s sparsevec_l1_ops);
SELECT i, (hnsw_index_check(i)).* FROM unnest(ARRAY['hs_l2', 'hs_ip', 'hs_cos', 'hs_l1']::regclass[]) i;
SELECT pg_temp.same($$SELECT s <-> '{1:5.125,500:4.625,1000:3.375}/1000' AS d FROM hs ORDER BY s <-> '{1:5.125,500:4.625,1000:3.375}/1000' LIMIT 8$$);
SELECT pg_temp.same($$SELECT s <+> '{1:5.125,500:4.625,1000:3.375}/1000' AS d FROM hs ORDER BY s <+> '{1:5.125,500:4.625,1000:3.375}/1000' LIMIT 8$$);
SELECT pg_temp.same($$SELECT s <=> '{1:1,500:2,1000:4}/1000' AS d FROM hs ORDER BY s <=> '{1:1,500:2,1000:4}/1000' LIMIT 8$$);
SELECT pg_temp.same($$SELECT s <#> '{1:1,500:2,1000:4}/1000' AS d FROM hs ORDER BY s <#> '{1:1,500:2,1000:4}/1000' LIMIT 8$$);
SET enable_seqscan = off;
SELECT id, s, s <-> '{1:5.125,500:4.625,1000:3.375}/1000' AS d FROM hs
ORDER BY s <-> '{1:5.125,500:4.625,1000:3.375}/1000' LIMIT 5;
-- a query with entries the rows do not have, and one of other dimensions
SELECT id, s <#> '{2:1,500:1}/1000' AS d FROM hs ORDER BY s <#> '{2:1,500:1}/1000' LIMIT 3;
SELECT pg_temp.sqlerr($$SELECT id FROM hs ORDER BY s <-> '{1:1}/999' LIMIT 1$$);
RESET enable_seqscan;
-- rows of 0 to 1000 entries, inserted, deleted and vacuumed; the zero
-- vector is not indexed for cosine
INSERT INTO hs SELECT 1000 + n, ('{' || coalesce((SELECT string_agg(k || ':' || (k * n) % 7 + 1, ',')
	FROM generate_series(1, n) k), '') || '}/1000')::sparsevec
FROM generate_series(0, 1000, 50) n;
SELECT i, (hnsw_index_check(i)).* FROM unnest(ARRAY['hs_l2', 'hs_ip', 'hs_cos', 'hs_l1']::regclass[]) i;
DELETE FROM hs WHERE id % 3 = 0;
VACUUM (INDEX_CLEANUP ON) hs;
INSERT INTO hs SELECT 2000 + n, ('{' || (SELECT string_agg(k || ':' || (k + n) % 5 + 1, ',')
	FROM generate_series(1, n) k) || '}/1000')::sparsevec
FROM generate_series(1, 1000, 111) n;
SELECT i, (hnsw_index_check(i)).* FROM unnest(ARRAY['hs_l2', 'hs_ip', 'hs_cos', 'hs_l1']::regclass[]) i;
SELECT pg_temp.same($$SELECT s <-> '{1:2,2:2,3:2}/1000' AS d FROM hs ORDER BY s <-> '{1:2,2:2,3:2}/1000' LIMIT 10$$);
SELECT pg_temp.same($$SELECT s <=> '{1:2,2:2,3:2}/1000' AS d FROM hs ORDER BY s <=> '{1:2,2:2,3:2}/1000' LIMIT 10$$);
-- at most 16000 entries for an index, at insert and at build: the type's
-- own limit, so a value with more is refused before it reaches the index;
-- any dimensions, but they must be given
CREATE TABLE hslim (s sparsevec(20000), su sparsevec, sbig sparsevec(1000000000));
CREATE INDEX hslim_s ON hslim USING hnsw (s sparsevec_l2_ops);
SELECT pg_temp.sqlerr($$INSERT INTO hslim VALUES (('{' || (SELECT string_agg(k || ':1', ',') FROM generate_series(1, 16001) k) || '}/20000')::sparsevec)$$);
INSERT INTO hslim VALUES (('{' || (SELECT string_agg(k || ':1', ',') FROM generate_series(1, 16000) k) || '}/20000')::sparsevec);
SELECT elements FROM hnsw_index_check('hslim_s');
DROP INDEX hslim_s;
SELECT pg_temp.sqlerr('CREATE INDEX hslim_c ON hslim USING hnsw (s sparsevec_cosine_ops)');
SELECT elements FROM hnsw_index_check('hslim_c');
DROP INDEX hslim_c;
SELECT pg_temp.sqlerr('CREATE INDEX ON hslim USING hnsw (su sparsevec_l2_ops)');
CREATE INDEX hslim_big ON hslim USING hnsw (sbig sparsevec_l1_ops);
INSERT INTO hslim (sbig) VALUES ('{1:1,1000000000:2}/1000000000'), ('{999999999:1}/1000000000');
SELECT elements FROM hnsw_index_check('hslim_big');
SELECT id FROM (VALUES (1)) v(id), LATERAL (SELECT sbig <+> '{1000000000:1}/1000000000' AS d FROM hslim
	WHERE sbig IS NOT NULL ORDER BY sbig <+> '{1000000000:1}/1000000000' LIMIT 1) s;
DROP TABLE hslim;
SELECT elements, dimensions FROM hnsw_index_stats('hs_l2');

-- pgvector's documented patterns: a halfvec expression index over a
-- vector column, and binary quantization with a re-rank
CREATE TABLE items (id int, embedding vector(3));
INSERT INTO items SELECT id, ('[' || (id * 37) % 97 % 10 - 4 || ',' || (id * 53) % 89 % 10 - 4 || ',' || (id * 71) % 83 % 10 - 4 || ']')::vector
FROM generate_series(1, 40) id;
CREATE INDEX items_h ON items USING hnsw ((embedding::halfvec(3)) halfvec_cosine_ops);
CREATE INDEX items_b ON items USING hnsw ((binary_quantize(embedding)::bit(3)) bit_hamming_ops);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding::halfvec(3) <=> '[1,2,3]'::halfvec(3) LIMIT 5;
SELECT pg_temp.same($$SELECT embedding::halfvec(3) <=> '[1,2,3]'::halfvec(3) AS d FROM items ORDER BY embedding::halfvec(3) <=> '[1,2,3]'::halfvec(3) LIMIT 5$$);
EXPLAIN (COSTS OFF) SELECT * FROM (SELECT * FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]'::vector) LIMIT 20) s
ORDER BY embedding <=> '[1,-2,3]' LIMIT 5;
SELECT id FROM (SELECT * FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]'::vector) LIMIT 40) s
ORDER BY embedding <=> '[1,-2,3]', id LIMIT 5;
RESET enable_seqscan;
SELECT id FROM items ORDER BY embedding <=> '[1,-2,3]', id LIMIT 5;
SELECT i, (hnsw_index_check(i)).* FROM unnest(ARRAY['items_h', 'items_b']::regclass[]) i;

-- unlogged tables
CREATE UNLOGGED TABLE hu2 (h halfvec(2), b bit(4));
CREATE INDEX hu2_h ON hu2 USING hnsw (h halfvec_l1_ops);
CREATE INDEX hu2_b ON hu2 USING hnsw (b bit_jaccard_ops);
INSERT INTO hu2 VALUES ('[1,2]', '1010'), ('[3,4]', '0110');
SELECT i, (hnsw_index_check(i)).* FROM unnest(ARRAY['hu2_h', 'hu2_b']::regclass[]) i;

DROP TABLE ht, hs, items, hu2;

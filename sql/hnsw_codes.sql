--
-- Compact codes (index option quantization): which indexes get them, that
-- scans with them return exact distances in exact order, the checker after
-- every phase, hnsw_scan_stats(), and the settings hnsw.use_codes and
-- hnsw.code_margin
--
\i sql/include/sqlerr.sql

-- pseudo-random vectors from an integer hash: component j of row i, of
-- norms that vary with i
CREATE FUNCTION hc_vec(i int, d int) RETURNS real[]
LANGUAGE sql IMMUTABLE
AS $$ SELECT array_agg(((((i::bigint * 2654435761 + j * 40503 + i::bigint * j * 97) % 65521)
                         / 32760.0 - 1.0) * (1 + i % 7))::real ORDER BY j)
      FROM generate_series(1, d) j $$;

CREATE TABLE hc (id int, v vector(64), h halfvec(64), b bit(64), s sparsevec(64), t vector(3));
INSERT INTO hc SELECT i, hc_vec(i, 64)::vector, hc_vec(i, 64)::halfvec,
	(SELECT string_agg(CASE WHEN x > 0 THEN '1' ELSE '0' END, '') FROM unnest(hc_vec(i, 64)) x)::bit(64),
	hc_vec(i, 64)::vector::sparsevec, hc_vec(i, 3)::vector
FROM generate_series(1, 1500) i;

-- the option: its values, and which indexes auto gives codes
SELECT pg_temp.sqlerr('CREATE INDEX ON hc USING hnsw (v vector_l2_ops) WITH (quantization = bogus)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hc USING hnsw (v vector_l1_ops) WITH (quantization = rabitq)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hc USING hnsw (b bit_hamming_ops) WITH (quantization = rabitq)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hc USING hnsw (s sparsevec_l2_ops) WITH (quantization = rabitq)');
-- with m = 93 or more, not even codes of 64 bits fit a list of 2 * m
SELECT pg_temp.sqlerr('CREATE INDEX ON hc USING hnsw (v vector_l2_ops) WITH (m = 93, ef_construction = 186, quantization = rabitq)');
-- the same two errors, with their hints
CREATE INDEX ON hc USING hnsw (v vector_l1_ops) WITH (quantization = rabitq);
CREATE INDEX ON hc USING hnsw (v vector_l2_ops) WITH (m = 93, ef_construction = 186, quantization = rabitq);
CREATE INDEX hc_v_l2 ON hc USING hnsw (v vector_l2_ops);
CREATE INDEX hc_v_ip ON hc USING hnsw (v vector_ip_ops) WITH (quantization = auto);
CREATE INDEX hc_v_cos ON hc USING hnsw (v vector_cosine_ops) WITH (quantization = rabitq);
CREATE INDEX hc_v_none ON hc USING hnsw (v vector_l2_ops) WITH (quantization = none);
CREATE INDEX hc_v_l1 ON hc USING hnsw (v vector_l1_ops);
CREATE INDEX hc_h_l2 ON hc USING hnsw (h halfvec_l2_ops);
CREATE INDEX hc_h_cos ON hc USING hnsw (h halfvec_cosine_ops);
CREATE INDEX hc_b ON hc USING hnsw (b bit_hamming_ops);
CREATE INDEX hc_s ON hc USING hnsw (s sparsevec_l2_ops);
CREATE INDEX hc_t_auto ON hc USING hnsw (t vector_l2_ops);
CREATE INDEX hc_t_rabitq ON hc USING hnsw (t vector_l2_ops) WITH (quantization = rabitq);
CREATE TABLE hc_ix AS
SELECT c.relname::text AS idx, pg_get_indexdef(c.oid) ~ '(<->|_l2_ops)' AS l2
FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
WHERE i.indrelid = 'hc'::regclass;
SELECT idx, s.quantization, s.code_bits, s.code_bytes / s.elements AS code_bytes_per_element
FROM hc_ix, hnsw_index_stats(idx::regclass) s ORDER BY idx;

-- the largest m with codes (auto gives none above it)
CREATE INDEX hc_v_m92 ON hc USING hnsw (v vector_l2_ops) WITH (m = 92, ef_construction = 184);
CREATE INDEX hc_v_m93 ON hc USING hnsw (v vector_l2_ops) WITH (m = 93, ef_construction = 186);
SELECT r.relname, s.m, s.quantization, s.code_bits, k.elements = s.elements AS checked
FROM pg_class r, hnsw_index_stats(r.oid) s, hnsw_index_check(r.oid) k
WHERE r.relname IN ('hc_v_m92', 'hc_v_m93') ORDER BY r.relname;
DROP INDEX hc_v_m92, hc_v_m93;

-- the checker makes every code again from the values of the list's owner
-- and member
CREATE FUNCTION hc_check(OUT idx text, OUT elements bigint, OUT all_reachable bool)
RETURNS SETOF record LANGUAGE sql AS $$
	SELECT idx, c.elements, c.reachable = c.elements
	FROM hc_ix, hnsw_index_check(idx::regclass) c ORDER BY idx
$$;
SELECT * FROM hc_check();

-- before any scan of the session, hnsw_scan_stats() is all NULL
SELECT * FROM hnsw_scan_stats();

-- Results: with ef_search high enough to find the 10 nearest of 1500, the
-- distances of the rows, in their order, are those of an exact search,
-- with codes and without (rows at equal distances may come in another
-- order).  q: the query, op: the operator.
CREATE FUNCTION hc_same(idx text, col text, op text, q int) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE
	exact float8[];
	got float8[];
	qv text := format('%L::%s', CASE WHEN col = 'h' THEN hc_vec(q, 64)::halfvec::text
		ELSE hc_vec(q, 64)::vector::text END, CASE WHEN col = 'h' THEN 'halfvec' ELSE 'vector' END);
BEGIN
	SET LOCAL enable_indexscan = off;
	EXECUTE format('SELECT array_agg(d) FROM (SELECT %s %s %s AS d FROM hc ORDER BY d LIMIT 10) s',
				   col, op, qv) INTO exact;
	SET LOCAL enable_indexscan = on;
	SET LOCAL enable_seqscan = off;
	EXECUTE format('SELECT array_agg(d) FROM (SELECT %s %s %s AS d FROM hc ORDER BY %s %s %s LIMIT 10) s',
				   col, op, qv, col, op, qv) INTO got;
	RETURN exact = got;
END
$$;
SET hnsw.ef_search = 400;
SELECT q, hc_same('hc_v_l2', 'v', '<->', q) AS l2, hc_same('hc_v_ip', 'v', '<#>', q) AS ip,
	hc_same('hc_v_cos', 'v', '<=>', q) AS cos, hc_same('hc_h_l2', 'h', '<->', q) AS h_l2,
	hc_same('hc_h_cos', 'h', '<=>', q) AS h_cos
FROM generate_series(2000, 2004) q;
SET hnsw.use_codes = off;
SELECT q, hc_same('hc_v_l2', 'v', '<->', q) AS l2, hc_same('hc_v_cos', 'v', '<=>', q) AS cos
FROM generate_series(2000, 2004) q;
RESET hnsw.use_codes;

-- what a scan did: with codes, neighbours are estimated and some are never
-- read; without codes (index or setting), none is estimated
SET hnsw.ef_search = 40;
SET enable_seqscan = off;
CREATE FUNCTION hc_stats(idx text, q text, OUT estimated bool, OUT skipped bool,
	OUT fewer_distances_than_estimates bool, OUT elements bigint)
LANGUAGE plpgsql AS $$
DECLARE
	n int;
BEGIN
	EXECUTE format('SELECT count(*) FROM (%s) s', q) INTO n;
	SELECT s.estimated > 0, s.skipped > 0, s.distances < s.estimated, s.elements
	INTO estimated, skipped, fewer_distances_than_estimates, elements
	FROM hnsw_scan_stats() s;
	IF (SELECT index::text FROM hnsw_scan_stats()) <> idx THEN
		RAISE EXCEPTION 'the scan used %, not %', (SELECT index FROM hnsw_scan_stats()), idx;
	END IF;
END
$$;
SELECT * FROM hc_stats('hc_v_l2', format('SELECT id FROM hc ORDER BY v <-> %L LIMIT 5', hc_vec(3000, 64)::vector));
DROP INDEX hc_v_l2;
SELECT * FROM hc_stats('hc_v_none', format('SELECT id FROM hc ORDER BY v <-> %L LIMIT 5', hc_vec(3000, 64)::vector));
SET hnsw.use_codes = off;
SELECT * FROM hc_stats('hc_v_cos', format('SELECT id FROM hc ORDER BY v <=> %L LIMIT 5', hc_vec(3000, 64)::vector));
RESET hnsw.use_codes;
SELECT * FROM hc_stats('hc_v_cos', format('SELECT id FROM hc ORDER BY v <=> %L LIMIT 5', hc_vec(3000, 64)::vector));
SELECT index, ef_search, batches, expanded > 0 AS expanded, buffers > 0 AS buffers FROM hnsw_scan_stats();
RESET enable_seqscan;
DELETE FROM hc_ix WHERE idx = 'hc_v_l2';
CREATE INDEX hc_v_l2 ON hc USING hnsw (v vector_l2_ops);
INSERT INTO hc_ix VALUES ('hc_v_l2', true);

-- the margin: 0 reads the fewest; a negative one is refused
SET hnsw.code_margin = 0;
SET enable_seqscan = off;
SELECT estimated, skipped FROM hc_stats('hc_v_l2', format('SELECT id FROM hc ORDER BY v <-> %L LIMIT 5', hc_vec(3000, 64)::vector));
RESET enable_seqscan;
RESET hnsw.code_margin;
SELECT pg_temp.sqlerr('SET hnsw.code_margin = -1');

-- inserts, deletes, vacuum and reinserts keep every code right
INSERT INTO hc SELECT i, hc_vec(i, 64)::vector, hc_vec(i, 64)::halfvec,
	(SELECT string_agg(CASE WHEN x > 0 THEN '1' ELSE '0' END, '') FROM unnest(hc_vec(i, 64)) x)::bit(64),
	hc_vec(i, 64)::vector::sparsevec, hc_vec(i, 3)::vector
FROM generate_series(1501, 2000) i;
SELECT * FROM hc_check();
DELETE FROM hc WHERE id % 3 = 0;
VACUUM hc;
SELECT * FROM hc_check();
INSERT INTO hc SELECT i, hc_vec(i, 64)::vector, hc_vec(i, 64)::halfvec,
	(SELECT string_agg(CASE WHEN x > 0 THEN '1' ELSE '0' END, '') FROM unnest(hc_vec(i, 64)) x)::bit(64),
	hc_vec(i, 64)::vector::sparsevec, hc_vec(i, 3)::vector
FROM generate_series(3000, 3600) i;
SELECT * FROM hc_check();
SET hnsw.ef_search = 400;
SELECT q, hc_same('hc_v_l2', 'v', '<->', q) AS l2, hc_same('hc_v_ip', 'v', '<#>', q) AS ip,
	hc_same('hc_v_cos', 'v', '<=>', q) AS cos, hc_same('hc_h_l2', 'h', '<->', q) AS h_l2,
	hc_same('hc_h_cos', 'h', '<=>', q) AS h_cos
FROM generate_series(4000, 4004) q;
RESET hnsw.ef_search;

-- the option is read when the index is built: ALTER INDEX changes what
-- the next REINDEX builds
ALTER INDEX hc_v_cos SET (quantization = none);
SELECT quantization FROM hnsw_index_stats('hc_v_cos');
REINDEX INDEX hc_v_cos;
SELECT quantization FROM hnsw_index_stats('hc_v_cos');

-- an iterative scan past ef_search reads what estimates left unread
SET hnsw.ef_search = 10;
SET hnsw.iterative_scan = strict_order;
SET enable_seqscan = off;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hc ORDER BY v <#> hc_vec(5000, 64)::vector LIMIT 300) s;
SELECT index, batches > 1 AS more_batches, elements >= 300 AS elements FROM hnsw_scan_stats();
RESET enable_seqscan;
RESET hnsw.iterative_scan;
RESET hnsw.ef_search;

DROP TABLE hc, hc_ix;

-- Codes of values split over pages: auto gives none above 256 dimensions,
-- rabitq asks for them; codes of at most 1,664 bits (B) for m = 16, of a
-- projection of the rotated vectors.  The checker reads the chains of the
-- owner and the member of every code.
CREATE TABLE hcl (id int, v vector(3072), h halfvec(2000));
INSERT INTO hcl SELECT i, hc_vec(i, 3072)::vector, hc_vec(i, 2000)::halfvec FROM generate_series(1, 60) i;
CREATE INDEX hcl_v_auto ON hcl USING hnsw (v vector_cosine_ops);
CREATE INDEX hcl_v_cos ON hcl USING hnsw (v vector_cosine_ops) WITH (quantization = rabitq);
CREATE INDEX hcl_h_l2 ON hcl USING hnsw (h halfvec_l2_ops) WITH (quantization = rabitq);
SELECT r.relname, s.quantization, s.code_bits, s.chained_elements = s.elements AS all_chained,
	k.elements, k.reachable = k.elements AS all_reachable
FROM pg_class r, hnsw_index_stats(r.oid) s, hnsw_index_check(r.oid) k
WHERE r.relname IN ('hcl_v_auto', 'hcl_v_cos', 'hcl_h_l2') ORDER BY r.relname;
DROP INDEX hcl_v_auto;
INSERT INTO hcl SELECT i, hc_vec(i, 3072)::vector, hc_vec(i, 2000)::halfvec FROM generate_series(61, 90) i;
DELETE FROM hcl WHERE id % 3 = 0;
VACUUM hcl;
INSERT INTO hcl SELECT i, hc_vec(i, 3072)::vector, hc_vec(i, 2000)::halfvec FROM generate_series(91, 120) i;
SELECT r.relname, k.elements, k.reachable = k.elements AS all_reachable
FROM pg_class r, hnsw_index_check(r.oid) k
WHERE r.relname IN ('hcl_v_cos', 'hcl_h_l2') ORDER BY r.relname;
-- with ef_search above the rows, the index gives the exact answer
SET hnsw.ef_search = 200;
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE i.ids = e.ids) AS same, count(*) AS queries
FROM generate_series(500, 504) q,
	LATERAL (SELECT array_agg(id) AS ids FROM (SELECT id FROM hcl ORDER BY v <=> hc_vec(q, 3072)::vector LIMIT 5) s) i,
	LATERAL (SELECT array_agg(id ORDER BY d, id) AS ids FROM (SELECT id, (v <=> hc_vec(q, 3072)::vector) + 0 AS d FROM hcl ORDER BY d, id LIMIT 5) s) e;
SELECT index, estimated > 0 AS estimated FROM hnsw_scan_stats();
SELECT count(*) FILTER (WHERE i.ids = e.ids) AS same, count(*) AS queries
FROM generate_series(500, 504) q,
	LATERAL (SELECT array_agg(id) AS ids FROM (SELECT id FROM hcl ORDER BY h <-> hc_vec(q, 2000)::halfvec LIMIT 5) s) i,
	LATERAL (SELECT array_agg(id ORDER BY d, id) AS ids FROM (SELECT id, (h <-> hc_vec(q, 2000)::halfvec) + 0 AS d FROM hcl ORDER BY d, id LIMIT 5) s) e;
SELECT index, estimated > 0 AS estimated FROM hnsw_scan_stats();
RESET enable_seqscan;
RESET hnsw.ef_search;
DROP TABLE hcl;
DROP FUNCTION hc_vec, hc_check, hc_same, hc_stats;

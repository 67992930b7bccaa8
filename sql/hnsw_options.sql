--
-- hnsw index: operator classes, index options, the hnsw.ef_search
-- setting, and every error CREATE INDEX can raise
--
-- Errors whose SQLSTATE matters are shown through pg_temp.sqlerr, which
-- runs a statement and returns "SQLSTATE: message" (plus " DETAIL: ..."
-- when there is one), or "ok".
--
\i sql/include/sqlerr.sql

-- the access method and its operator classes: none is the default
SELECT amname, amtype, amhandler FROM pg_am WHERE amname = 'hnsw';
SELECT opc.opcname, opc.opcintype::regtype, opc.opcdefault,
       o.amopstrategy, o.amopopr::regoperator, o.amoppurpose,
       (SELECT opfname FROM pg_opfamily WHERE oid = o.amopsortfamily) AS sortfamily
FROM pg_opclass opc
JOIN pg_amop o ON o.amopfamily = opc.opcfamily
WHERE opc.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'hnsw')
ORDER BY opc.opcname;
SELECT opc.opcname, p.amprocnum, p.amproc::regprocedure
FROM pg_opclass opc
JOIN pg_amproc p ON p.amprocfamily = opc.opcfamily
WHERE opc.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'hnsw')
ORDER BY opc.opcname, p.amprocnum;

CREATE TABLE hopt (id int, v vector(3), u vector, w vector(16000), x vector(16000));
INSERT INTO hopt VALUES (1, '[1,2,3]', '[1,2]', NULL, NULL);

-- no default operator class
CREATE INDEX ON hopt USING hnsw (v);
-- no operator class for other types
CREATE INDEX ON hopt USING hnsw (id);
CREATE INDEX ON hopt USING hnsw (id vector_l2_ops);

-- what the access method cannot do
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops, w vector_l2_ops);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) INCLUDE (id);
CREATE UNIQUE INDEX ON hopt USING hnsw (v vector_l2_ops);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops DESC);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops NULLS FIRST);
ALTER TABLE hopt ADD EXCLUDE USING hnsw (v vector_l2_ops WITH <->);

-- the column must have dimensions, at most 16000.  The type itself
-- refuses more than 16000 (vector(16001) is an error), so the index's own
-- check is reached only through a column whose typmod is set in the
-- catalog
CREATE INDEX ON hopt USING hnsw (u vector_l2_ops);
CREATE INDEX ON hopt USING hnsw (u vector_cosine_ops);
UPDATE pg_attribute SET atttypmod = 16001
WHERE attrelid = 'hopt'::regclass AND attname = 'x';
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'hopt'::regclass AND attname = 'x';
SELECT pg_temp.sqlerr('CREATE INDEX ON hopt USING hnsw (x vector_l2_ops)');
SELECT pg_temp.sqlerr('CREATE INDEX ON hopt USING hnsw (x vector_ip_ops)');
CREATE INDEX hopt_w ON hopt USING hnsw (w vector_l2_ops);
SELECT * FROM hnsw_index_check('hopt_w');
DROP INDEX hopt_w;
-- the documented way around an untyped column: an expression index with a
-- typmod, and a partial index keeping the other dimensions out
CREATE INDEX hopt_u2 ON hopt USING hnsw ((u::vector(2)) vector_l2_ops)
	WHERE vector_dims(u) = 2;
INSERT INTO hopt VALUES (2, '[4,5,6]', '[1,2,3]', NULL, NULL);
SELECT * FROM hnsw_index_check('hopt_u2');
DROP INDEX hopt_u2;
-- without the partial predicate, the cast rejects other dimensions
CREATE INDEX ON hopt USING hnsw ((u::vector(2)) vector_l2_ops);

-- index options: ranges, with Postgres's standard messages
SELECT pg_temp.sqlerr('CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (m = 1)');
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (m = 1);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (m = 101);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (ef_construction = 3);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (ef_construction = 1001);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (m = 'many');
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (ef_search = 10);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (lists = 10);
-- ef_construction must be at least 2 * m: checked when building
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 31);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (ef_construction = 31);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (m = 33);
CREATE INDEX ON hopt USING hnsw (v vector_l2_ops) WITH (m = 100, ef_construction = 199);
-- the bounds themselves are accepted
CREATE INDEX hopt_a ON hopt USING hnsw (v vector_l2_ops) WITH (m = 2, ef_construction = 4);
CREATE INDEX hopt_b ON hopt USING hnsw (v vector_ip_ops) WITH (m = 100, ef_construction = 1000);
CREATE INDEX hopt_c ON hopt USING hnsw (v vector_cosine_ops) WITH (m = 16, ef_construction = 32);
CREATE INDEX hopt_d ON hopt USING hnsw (v vector_l1_ops);
SELECT c.relname, c.reloptions FROM pg_class c
WHERE c.relname LIKE 'hopt\__' ORDER BY c.relname;
SELECT 'hopt_a' AS index, m, ef_construction, dimensions, elements, heap_tids
FROM hnsw_index_stats('hopt_a')
UNION ALL
SELECT 'hopt_b', m, ef_construction, dimensions, elements, heap_tids
FROM hnsw_index_stats('hopt_b')
UNION ALL
SELECT 'hopt_c', m, ef_construction, dimensions, elements, heap_tids
FROM hnsw_index_stats('hopt_c')
UNION ALL
SELECT 'hopt_d', m, ef_construction, dimensions, elements, heap_tids
FROM hnsw_index_stats('hopt_d');
SELECT * FROM hnsw_index_check('hopt_a');
SELECT * FROM hnsw_index_check('hopt_b');
SELECT * FROM hnsw_index_check('hopt_c');
SELECT * FROM hnsw_index_check('hopt_d');

-- the inspection functions want an hnsw index
CREATE INDEX hopt_btree ON hopt (id);
SELECT * FROM hnsw_index_check('hopt_btree');
SELECT * FROM hnsw_index_stats('hopt_btree');
SELECT * FROM hnsw_index_check('hopt');
SELECT * FROM hnsw_index_check(NULL);

-- hnsw.ef_search
SELECT name, setting, unit, category IS NOT NULL AS has_category, short_desc,
       extra_desc, context, vartype, min_val, max_val, boot_val
FROM pg_settings WHERE name = 'hnsw.ef_search';
SHOW hnsw.ef_search;
SET hnsw.ef_search = 0;
SET hnsw.ef_search = 1001;
SET hnsw.ef_search = -1;
SET hnsw.ef_search = 'forty';
SELECT pg_temp.sqlerr('SET hnsw.ef_search = 0');
SET hnsw.ef_search = 1;
SHOW hnsw.ef_search;
SET hnsw.ef_search = 1000;
SHOW hnsw.ef_search;
RESET hnsw.ef_search;
SHOW hnsw.ef_search;
-- SET LOCAL lasts until the end of the transaction
BEGIN;
SET LOCAL hnsw.ef_search = 100;
SHOW hnsw.ef_search;
SELECT current_setting('hnsw.ef_search');
COMMIT;
SHOW hnsw.ef_search;
BEGIN;
SET LOCAL hnsw.ef_search = 7;
SHOW hnsw.ef_search;
ROLLBACK;
SHOW hnsw.ef_search;
-- set_config with is_local
BEGIN;
SELECT set_config('hnsw.ef_search', '12', true);
SHOW hnsw.ef_search;
COMMIT;
SHOW hnsw.ef_search;
-- the hnsw prefix is reserved
SET hnsw.no_such_setting = 1;

DROP TABLE hopt;

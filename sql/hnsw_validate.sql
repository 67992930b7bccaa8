--
-- hnsw access method: operator class validation (amvalidate) and the
-- properties the access method reports to SQL
--

-- every operator class is valid
SELECT opcname, amvalidate(oid) FROM pg_opclass
WHERE opcmethod = (SELECT oid FROM pg_am WHERE amname = 'hnsw')
ORDER BY opcname;

-- support function numbers are 1 to 3
CREATE FUNCTION hval_dist(vector, vector) RETURNS float8
	AS 'SELECT 0::float8' LANGUAGE sql IMMUTABLE;
CREATE FUNCTION hval_bad(vector) RETURNS int
	AS 'SELECT 0' LANGUAGE sql IMMUTABLE;
CREATE OPERATOR CLASS hval_wrong_number FOR TYPE vector USING hnsw AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 hval_dist(vector, vector),
	FUNCTION 4 hval_dist(vector, vector);
-- a broken operator class is reported (INFO) and fails validation: a
-- support function with a wrong signature, a search (not ordering)
-- operator, and a class without support function 1
CREATE OPERATOR CLASS hval_wrong_signature FOR TYPE vector USING hnsw AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 hval_dist(vector, vector),
	FUNCTION 2 hval_bad(vector);
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'hval_wrong_signature';
DROP OPERATOR CLASS hval_wrong_signature USING hnsw;
CREATE OPERATOR CLASS hval_search_op FOR TYPE vector USING hnsw AS
	OPERATOR 1 = (vector, vector),
	FUNCTION 1 hval_dist(vector, vector);
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'hval_search_op';
DROP OPERATOR CLASS hval_search_op USING hnsw;
CREATE OPERATOR CLASS hval_no_distance FOR TYPE vector USING hnsw AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops;
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'hval_no_distance';
DROP OPERATOR CLASS hval_no_distance USING hnsw;
DROP FUNCTION hval_dist(vector, vector), hval_bad(vector);

-- access method properties
SELECT p.name, pg_indexam_has_property(a.oid, p.name)
FROM pg_am a,
	unnest(ARRAY['can_order', 'can_unique', 'can_multi_col', 'can_exclude',
				 'can_include', 'bogus']) WITH ORDINALITY AS p(name, ord)
WHERE a.amname = 'hnsw'
ORDER BY p.ord;

-- index and column properties.  Without an amproperty callback,
-- Postgres reports distance_orderable as NULL ("unknown") for an access
-- method that can order by operator.
CREATE TABLE hval (id int, v vector(3));
INSERT INTO hval VALUES (1, '[1,2,3]'), (2, '[3,2,1]');
CREATE INDEX hval_idx ON hval USING hnsw (v vector_cosine_ops);
SELECT p.name, pg_index_has_property('hval_idx'::regclass, p.name)
FROM unnest(ARRAY['clusterable', 'index_scan', 'bitmap_scan',
				  'backward_scan', 'bogus']) WITH ORDINALITY AS p(name, ord)
ORDER BY p.ord;
SELECT p.name, pg_index_column_has_property('hval_idx'::regclass, 1, p.name)
FROM unnest(ARRAY['asc', 'desc', 'nulls_first', 'nulls_last', 'orderable',
				  'distance_orderable', 'returnable', 'search_array',
				  'search_nulls', 'bogus']) WITH ORDINALITY AS p(name, ord)
ORDER BY p.ord;
-- no such column
SELECT pg_index_column_has_property('hval_idx'::regclass, 2, 'orderable');

-- what follows from these: no bitmap scan (even with index scans
-- disabled), no index-only scan, no CLUSTER
SET enable_seqscan = off;
SET enable_indexscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hval ORDER BY v <=> '[1,1,1]' LIMIT 1;
RESET enable_indexscan;
EXPLAIN (COSTS OFF) SELECT v FROM hval ORDER BY v <=> '[1,1,1]' LIMIT 1;
RESET enable_seqscan;
CLUSTER hval USING hval_idx;
SELECT * FROM hnsw_index_check('hval_idx');
DROP TABLE hval;

--
-- Safety of the inspection functions: who may call them, as whom they run,
-- which snapshot they refuse, how much memory they may use; who may set
-- hnsw.distance_kernel; the extension's objects and ACLs after an update
--

\i sql/include/ext_fingerprint.sql
-- Nobody but superusers may execute the inspection functions by default
SELECT * FROM pg_temp.public_execute();

CREATE ROLE regress_hnsw_owner;		-- owns the table and its index function
CREATE ROLE regress_hnsw_nobody;	-- granted nothing
CREATE ROLE regress_hnsw_checker;	-- granted EXECUTE on the functions
CREATE SCHEMA regress_hnsw_s AUTHORIZATION regress_hnsw_owner;
GRANT USAGE ON SCHEMA regress_hnsw_s TO PUBLIC;

-- An index expression whose function, owned by an unprivileged role, says
-- which role runs it and whether it may change role
SET ROLE regress_hnsw_owner;
CREATE FUNCTION regress_hnsw_s.probe(v vector) RETURNS vector
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	setrole text;
BEGIN
	BEGIN
		PERFORM set_config('role', current_user, true);
		RAISE EXCEPTION 'undo';
	EXCEPTION
		WHEN insufficient_privilege THEN setrole := SQLERRM;
		WHEN raise_exception THEN setrole := 'allowed';
	END;
	RAISE NOTICE 'probe runs as %, superuser %, set role: %', current_user,
		(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), setrole;
	RETURN v;
END
$$;
CREATE TABLE regress_hnsw_s.t (id int, v vector(2));
INSERT INTO regress_hnsw_s.t VALUES (1, '[1,2]');
CREATE INDEX t_probe_idx ON regress_hnsw_s.t
	USING hnsw ((regress_hnsw_s.probe(v)::vector(2)) vector_l2_ops);
CREATE INDEX t_btree ON regress_hnsw_s.t (id);
CREATE SEQUENCE regress_hnsw_s.seq;
RESET ROLE;

-- The superuser checks the index: the expression runs as the table's owner,
-- in a security-restricted operation
SELECT * FROM hnsw_index_check('regress_hnsw_s.t_probe_idx');
SELECT current_user = session_user AS role_restored;
-- without the heap pass, no expression is evaluated
SELECT * FROM hnsw_index_check('regress_hnsw_s.t_probe_idx', heapallindexed => false);

-- A role without EXECUTE is refused before anything is looked at
SET ROLE regress_hnsw_nobody;
SELECT * FROM hnsw_index_check('regress_hnsw_s.t_probe_idx');
SELECT * FROM hnsw_index_check('regress_hnsw_s.t_probe_idx', false);
SELECT elements FROM hnsw_index_stats('regress_hnsw_s.t_probe_idx');
SELECT * FROM hnsw_index_check('regress_hnsw_s.t_btree');
RESET ROLE;

-- A role granted EXECUTE may check any hnsw index; the expression still
-- runs as the table's owner
GRANT EXECUTE ON FUNCTION hnsw_index_check(regclass, boolean),
	hnsw_index_stats(regclass) TO regress_hnsw_checker;
SET ROLE regress_hnsw_checker;
SELECT * FROM hnsw_index_check('regress_hnsw_s.t_probe_idx');
SELECT elements, heap_tids, levels, m, dimensions
FROM hnsw_index_stats('regress_hnsw_s.t_probe_idx');
-- relations that are not hnsw indexes
SELECT * FROM hnsw_index_check('regress_hnsw_s.t_btree');
SELECT * FROM hnsw_index_stats('regress_hnsw_s.t');
SELECT * FROM hnsw_index_check('regress_hnsw_s.seq');
SELECT * FROM hnsw_index_check('pg_authid');
SELECT * FROM hnsw_index_check(1::oid::regclass);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION hnsw_index_check(regclass, boolean),
	hnsw_index_stats(regclass) FROM regress_hnsw_checker;

-- heapallindexed cannot use a transaction snapshot that predates the index
-- (indcheckxmin): here the HOT chain of row 1 is broken by the build
CREATE TABLE hpx (id int, v vector(2));
INSERT INTO hpx VALUES (1, '[1,1]'), (2, '[2,2]');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM hpx;
UPDATE hpx SET v = NULL WHERE id = 1;
CREATE INDEX hpx_idx ON hpx USING hnsw (v vector_l2_ops);
SELECT indcheckxmin FROM pg_index WHERE indexrelid = 'hpx_idx'::regclass;
SAVEPOINT s;
SELECT * FROM hnsw_index_check('hpx_idx');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM hnsw_index_check('hpx_idx', heapallindexed => false);
COMMIT;
-- a new transaction may
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM hnsw_index_check('hpx_idx');
COMMIT;
DROP TABLE hpx;

-- The checker's sets must fit maintenance_work_mem.  With m = 2, about half
-- of the 150000 elements are above layer 0, and their list outgrows 1MB.
CREATE TABLE hmem (id int, v vector(2));
INSERT INTO hmem SELECT i, ARRAY[i % 1000, i / 1000]::vector FROM generate_series(1, 150000) i;
CREATE INDEX hmem_idx ON hmem USING hnsw (v vector_l2_ops) WITH (m = 2, ef_construction = 8);
SET maintenance_work_mem = '1MB';
DO $$
DECLARE
	hint text;
BEGIN
	PERFORM hnsw_index_check('hmem_idx');
EXCEPTION WHEN program_limit_exceeded THEN
	GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
	RAISE NOTICE '%: % HINT: %', SQLSTATE, SQLERRM, hint;
END
$$;
SET maintenance_work_mem = '8MB';
SELECT * FROM hnsw_index_check('hmem_idx');
RESET maintenance_work_mem;
DROP TABLE hmem;

-- hnsw.distance_kernel changes the last bits of distances: superusers only
SELECT current_setting('hnsw.distance_kernel') ~ '^(auto|scalar|avx2|avx512|neon)' AS shown;
SET ROLE regress_hnsw_nobody;
SELECT current_setting('hnsw.distance_kernel') ~ '^(auto|scalar|avx2|avx512|neon)' AS shown;
SET hnsw.distance_kernel = 'scalar';
SELECT set_config('hnsw.distance_kernel', 'scalar', false);
RESET ROLE;
SET hnsw.distance_kernel = 'scalar';
SHOW hnsw.distance_kernel;
RESET hnsw.distance_kernel;

DROP SCHEMA regress_hnsw_s CASCADE;
DROP ROLE regress_hnsw_owner;
DROP ROLE regress_hnsw_nobody;
DROP ROLE regress_hnsw_checker;

-- Installing the default version directly and updating from 0.1.0 give the same objects
-- and the same ACLs: a fingerprint of the extension's members, with the
-- ACLs of its functions
SELECT version, objects AS objects0, fingerprint AS fingerprint0
FROM pg_temp.ext_fingerprint() \gset
SELECT :'version' AS version, :objects0 > 0 AS has_objects;
SELECT current_database() AS regress_db \gset
CREATE DATABASE regress_hnsw_update TEMPLATE template0;
\c regress_hnsw_update
\i sql/include/ext_fingerprint.sql
CREATE EXTENSION hnsw VERSION '0.1.0';
SELECT version, objects = :objects0 AS same_objects,
       fingerprint = :'fingerprint0' AS same_fingerprint
FROM pg_temp.ext_fingerprint();
ALTER EXTENSION hnsw UPDATE;
SELECT version, objects = :objects0 AS same_objects,
       fingerprint = :'fingerprint0' AS same_fingerprint
FROM pg_temp.ext_fingerprint();
SELECT * FROM pg_temp.public_execute();
\c :regress_db
DROP DATABASE regress_hnsw_update;

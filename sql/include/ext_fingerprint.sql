-- pg_temp.ext_fingerprint(): the extension's version, how many objects it
-- has, and a fingerprint of its members with the ACLs of its functions.
-- pg_temp.public_execute(): whether PUBLIC may execute each inspection
-- function.
-- Read by hnsw_privileges.sql (\i, from the top of the tree, where the
-- regression tests run) in each database it compares.
CREATE FUNCTION pg_temp.ext_fingerprint() RETURNS TABLE (version text, objects bigint, fingerprint text)
LANGUAGE sql AS $$
	SELECT e.extversion::text, count(*),
		   md5(string_agg(pg_describe_object(d.classid, d.objid, d.objsubid) || ' ' ||
						  coalesce((SELECT string_agg(CASE a.grantee WHEN 0 THEN 'public'
											 WHEN p.proowner THEN 'owner'
											 ELSE a.grantee::regrole::text END ||
											 '=' || a.privilege_type, ' ' ORDER BY a.grantee, a.privilege_type)
									FROM pg_proc p,
										 aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
									WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid),
								   ''),
						  ',' ORDER BY pg_describe_object(d.classid, d.objid, d.objsubid)))
	FROM pg_extension e
	JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
		AND d.deptype = 'e'
	WHERE e.extname = 'hnsw'
	GROUP BY e.extversion
$$;
CREATE FUNCTION pg_temp.public_execute() RETURNS TABLE (function regprocedure, public_execute boolean)
LANGUAGE sql AS $$
	SELECT p.oid::regprocedure,
		   EXISTS (SELECT 1
				   FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
				   WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
	FROM pg_proc p
	WHERE p.proname IN ('hnsw_index_check', 'hnsw_index_stats', 'hnsw_scan_stats')
	ORDER BY 1::text
$$;

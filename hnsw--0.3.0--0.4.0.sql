\echo Use "ALTER EXTENSION hnsw UPDATE TO '0.4.0'" to load this file. \quit

-- hnsw 0.4.0: compact codes of neighbours (the index option quantization),
-- and hnsw_scan_stats(), what the last index scan of the session did.
-- hnsw_index_stats also reports the codes of an index; its result type
-- changes, so it is dropped and created again, and roles that had EXECUTE
-- on it keep it.

DO $$
DECLARE
	grants text[];
	g text;
BEGIN
	SELECT array_agg(format('GRANT EXECUTE ON FUNCTION hnsw_index_stats(regclass) TO %s%s',
							a.grantee::regrole,
							CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END))
	INTO grants
	FROM pg_proc p, aclexplode(p.proacl) a
	WHERE p.oid = 'hnsw_index_stats(regclass)'::regprocedure
	  AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0
	  AND a.grantee <> p.proowner;

	DROP FUNCTION hnsw_index_stats(regclass);

	CREATE FUNCTION hnsw_index_stats(index regclass,
		OUT elements bigint, OUT heap_tids bigint, OUT levels int,
		OUT pages bigint, OUT avg_degree float8[], OUT bytes_per_vector float8,
		OUT m int, OUT ef_construction int, OUT dimensions int,
		OUT chained_elements bigint, OUT value_tuple_bytes bigint,
		OUT unreferenced_value_tuples bigint, OUT quantization text,
		OUT code_bits int, OUT code_bytes bigint)
		RETURNS record
		AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL RESTRICTED;

	COMMENT ON FUNCTION hnsw_index_stats(regclass) IS
		'shape of an hnsw index: elements, levels, pages, mean degree per layer, bytes per vector, space of values split over pages, compact codes';

	REVOKE ALL ON FUNCTION hnsw_index_stats(regclass) FROM PUBLIC;

	FOREACH g IN ARRAY coalesce(grants, '{}')
	LOOP
		EXECUTE g;
	END LOOP;
END
$$;

CREATE FUNCTION hnsw_scan_stats(
	OUT index regclass, OUT ef_search int, OUT batches bigint,
	OUT expanded bigint, OUT estimated bigint, OUT skipped bigint,
	OUT distances bigint, OUT buffers bigint, OUT elements bigint)
	RETURNS record
	AS 'MODULE_PATHNAME', 'hnsw_scan_stats'
	LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION hnsw_scan_stats() IS
	'what the last hnsw index scan of this session did: lists read, distances estimated and computed, buffers pinned';

\echo Use "ALTER EXTENSION hnsw UPDATE TO '0.4.0'" to load this file. \quit

-- hnsw 0.4.0: compact codes of neighbours (the index option quantization),
-- and hnsw_scan_stats(), what the last index scan of the session did.

CREATE FUNCTION hnsw_scan_stats(
	OUT index regclass, OUT ef_search int, OUT batches bigint,
	OUT expanded bigint, OUT estimated bigint, OUT skipped bigint,
	OUT distances bigint, OUT buffers bigint, OUT elements bigint)
	RETURNS record
	AS 'MODULE_PATHNAME', 'hnsw_scan_stats'
	LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION hnsw_scan_stats() IS
	'what the last hnsw index scan of this session did: lists read, distances estimated and computed, buffers pinned';

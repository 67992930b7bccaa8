\echo Use "ALTER EXTENSION hnsw UPDATE TO '0.1.1'" to load this file. \quit

-- hnsw 0.1.1: the index inspection functions are no longer executable by
-- PUBLIC.  They read a whole index under a ShareLock, which holds up every
-- writer of its table, and hnsw_index_check evaluates the index's
-- expressions and predicate (as the table's owner).  A superuser decides
-- who may run them, with GRANT EXECUTE; a role so granted may check any
-- hnsw index of the database.

REVOKE ALL ON FUNCTION hnsw_index_check(regclass, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION hnsw_index_stats(regclass) FROM PUBLIC;

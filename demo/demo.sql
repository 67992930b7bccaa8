/*-------------------------------------------------------------------------
 *
 * demo.sql
 *	  Nearest-neighbour search over 10,000 random 256-d vectors, exact and
 *	  with an hnsw index, and what the setting hnsw.ef_search buys: recall
 *	  and time per query at ef_search 10, 50 and 200.
 *
 * Run by demo/run.sh in a throwaway cluster.  It can also be run by hand,
 * in a scratch database where the extension is installed:
 *     psql -X -q -f demo/demo.sql
 * Data and query come from a seeded generator, so every run prints the
 * same answer.
 *
 * IDENTIFICATION
 *	  demo/demo.sql
 *
 *-------------------------------------------------------------------------
 */

\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;

\echo
\echo '== 1. Create the extension'
CREATE EXTENSION IF NOT EXISTS hnsw;
SELECT extversion AS hnsw_version FROM pg_extension WHERE extname = 'hnsw';

\echo
\echo '== 2. Load 10,000 random 256-d vectors (labels 1..10000, elements uniform in [0,1))'
DROP TABLE IF EXISTS items;
CREATE TABLE items (label int PRIMARY KEY, embedding vector(256));
SELECT setseed(0.42) \gset
\timing on
-- The subquery refers to i, so it is evaluated again for every row and
-- each row gets a vector of its own.
INSERT INTO items (label, embedding)
SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 256) WHERE i > 0)::vector(256)
FROM generate_series(1, 10000) AS i;
\timing off
SELECT count(*) AS items, min(vector_dims(embedding)) AS dims FROM items;

\echo
\echo '== 3. Draw a query vector from the same distribution'
SELECT (SELECT array_agg(random()) FROM generate_series(1, 256))::vector(256) AS q \gset
SELECT vector_dims(:'q'::vector) AS query_dims,
       round(vector_norm(:'q'::vector)::numeric, 4) AS query_norm;

\echo
\echo '== 4. Exact search: the 5 nearest labels by L2 distance (sequential scan)'
SET enable_indexscan = off;
\timing on
SELECT label, embedding <-> :'q' AS distance
FROM items
ORDER BY embedding <-> :'q'
LIMIT 5;
\timing off
RESET enable_indexscan;

\echo
\echo '== 5. Build the hnsw index (m = 16, ef_construction = 200)'
\timing on
CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_l2_ops)
    WITH (m = 16, ef_construction = 200);
\timing off
SELECT elements, levels, pages, bytes_per_vector::int
FROM hnsw_index_stats('items_embedding_idx');

\echo
\echo '== 6. Approximate search with the index (hnsw.ef_search = 50): the 5 nearest labels'
SET hnsw.ef_search = 50;
PREPARE knn(vector) AS
    SELECT label, embedding <-> $1 AS distance FROM items ORDER BY embedding <-> $1 LIMIT 5;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE knn(:'q');
\timing on
EXECUTE knn(:'q');
\timing off

\echo
\echo 'The index answers from a graph search that looks at about hnsw.ef_search candidates,'
\echo 'not at every row, so its 5 nearest can differ from the exact ones.  Uniform random'
\echo 'vectors of 256 dimensions are the hardest case: their distances are all alike (above,'
\echo 'the 5 nearest lie between 5.5 and 5.8).  Real embeddings are clustered and need a'
\echo 'smaller ef_search for the same recall.  A larger hnsw.ef_search finds more of the'
\echo 'true neighbours and takes longer:'

\echo
\echo '== 7. What hnsw.ef_search buys: mean recall@5 over 100 queries, and time per query'
SELECT setseed(0.7) \gset
CREATE TEMP TABLE queries AS
SELECT qid, (SELECT array_agg(random()) FROM generate_series(1, 256) WHERE qid > 0)::vector(256) AS q
FROM generate_series(1, 100) AS qid;

-- Run every query once with the planner settings given; return the labels
-- found and the mean time per query in milliseconds.
CREATE FUNCTION pg_temp.run_queries(exact boolean, ef int,
                                    OUT qid int, OUT labels int[], OUT ms float8)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
    qv vector(256);
    t0 timestamptz;
BEGIN
    PERFORM set_config('enable_indexscan', CASE WHEN exact THEN 'off' ELSE 'on' END, true);
    PERFORM set_config('hnsw.ef_search', ef::text, true);
    FOR qid, qv IN SELECT queries.qid, q FROM queries ORDER BY 1 LOOP
        t0 := clock_timestamp();
        -- EXECUTE plans each time, under the settings just made
        EXECUTE 'SELECT array_agg(label) FROM '
                '(SELECT label FROM items ORDER BY embedding <-> $1 LIMIT 5) s'
            INTO labels USING qv;
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        RETURN NEXT;
    END LOOP;
END $$;

CREATE TEMP TABLE truth AS SELECT qid, labels FROM pg_temp.run_queries(true, 40);
SELECT search, "recall@5", "ms/query" FROM (
    SELECT 0 AS ord, 'exact (sequential scan)' AS search, 1.000 AS "recall@5",
           round(avg(ms)::numeric, 2) AS "ms/query"
    FROM pg_temp.run_queries(true, 40)
    UNION ALL
    SELECT ef, 'hnsw.ef_search = ' || ef,
           round(avg((SELECT count(*) FROM unnest(r.labels) l WHERE l = ANY (t.labels)) / 5.0), 3),
           round(avg(ms)::numeric, 2)
    FROM (VALUES (10), (50), (200)) AS e(ef),
         LATERAL pg_temp.run_queries(false, ef) r JOIN truth t USING (qid)
    GROUP BY ef) s
ORDER BY ord;

\echo
\echo '== 8. Check: item 42 is its own nearest neighbour, at distance 0; the index is sound'
SELECT label, embedding <-> (SELECT embedding FROM items WHERE label = 42) AS distance
FROM items
ORDER BY embedding <-> (SELECT embedding FROM items WHERE label = 42)
LIMIT 3;
SELECT * FROM hnsw_index_check('items_embedding_idx');

/*-------------------------------------------------------------------------
 *
 * cmd_ann.c
 *	  The "ann" commands of the benchmark driver: load vectors, build an
 *	  HNSW index, measure recall and speed of index searches.  Works with
 *	  any extension that offers pgvector's SQL surface (type "vector",
 *	  access method "hnsw", the vector_*_ops opclasses and the
 *	  hnsw.ef_search setting).  bench/ann.sh drives them.
 *
 *	  vbench ann load   --conn C --base FILE [--format binary|text]
 *	  vbench ann build  --conn C --metric M [--m 16] [--efc 64]
 *	  vbench ann search --conn C --metric M --base FILE --query FILE
 *						--gt FILE [--ef 10,20,...] [--k 10] [--queries N]
 *						[--warmup 1] [--label NAME] [--repeat R]
 *						[--csv FILE] [--format binary|text] [--ef-guc G]
 *
 * load creates table items (id int4, embedding vector(dim)); row i of the
 * base file gets id i.  build creates items_<metric>_idx and prints
 * "seconds,bytes".  search runs, for each ef_search value, every query once
 * through one prepared statement
 *
 *	  SELECT id FROM items ORDER BY embedding <op> $1::vector LIMIT k
 *
 * on one connection, timing each execution on the client, and appends one
 * CSV row per ef_search value.  Before the sweep, "--warmup" passes at the
 * largest ef_search bring the table and index into shared buffers.  The
 * queries run with enable_seqscan = off, so that they always measure the
 * index; the CSV records what the planner would have chosen without it.
 *
 * Recall@k counts a returned id as a hit if it is one of the true k
 * nearest, or if its exact distance is no larger than that of the true
 * k-th nearest (recall_hits).
 *
 * IDENTIFICATION
 *	  bench/cmd_ann.c
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

#include "ann_pg.h"
#include "stats.h"
#include "vbench.h"

#define TABLE_NAME "items"

const OptSpec ann_load_opts[] = {
	OPT("format", OPT_FORMAT, format, "binary or text vectors on the wire (binary)"),
	OPT_END
};

const OptSpec ann_search_opts[] = {
	OPT("format", OPT_FORMAT, format, "binary or text query parameters (binary)"),
	OPT("ef-guc", OPT_STR, ef_guc, "setting swept by --ef (hnsw.ef_search)"),
	OPT_END
};

/* ------------------------------------------------------------------ load */

void
load_items(const Options *opt, bool labels)
{
	FvecSet		base;
	PGconn	   *conn;
	CopyBuf		cb;
	int32_t    *c10 = NULL;
	int32_t    *c100 = NULL;
	bool		binary = (opt->format == WIRE_BINARY);
	char		sql[256];
	double		t0;
	double		t1;

	if (opt->conninfo == NULL || opt->base == NULL)
		die("load needs --conn and --base");
	if (labels && !binary)
		die("labels need --format binary");
	fvec_load(opt->base, &base);
	if (labels)
	{
		c10 = xmalloc(sizeof(int32_t) * base.n);
		c100 = xmalloc(sizeof(int32_t) * base.n);
		make_labels(opt->seed, base.n, c10, c100);
	}
	conn = connect_db(opt->conninfo, true);

	exec_quiet(conn, "DROP TABLE IF EXISTS " TABLE_NAME);
	snprintf(sql, sizeof(sql),
			 "CREATE TABLE " TABLE_NAME " (id int4 NOT NULL, embedding vector(%d) NOT NULL%s)",
			 base.dim, labels ? ", c10 int4 NOT NULL, c100 int4 NOT NULL" : "");
	exec_cmd(conn, sql);

	t0 = now_seconds();
	snprintf(sql, sizeof(sql), "COPY " TABLE_NAME " (id, embedding%s) FROM STDIN%s",
			 labels ? ", c10, c100" : "", binary ? " (FORMAT binary)" : "");
	copy_begin(&cb, conn, sql, binary);
	for (long i = 0; i < base.n; i++)
	{
		char	   *p = copy_reserve(&cb, 64 + TEXT_VECTOR_MAX(base.dim));

		if (binary)
		{
			put_u16(&p, labels ? 4 : 2);	/* field count */
			put_u32(&p, 4);
			put_u32(&p, (uint32_t) i);
			put_u32(&p, 4 + 4 * (uint32_t) base.dim);
			p = encode_vector(p, fvec_row(&base, i), base.dim);
			if (labels)
			{
				put_u32(&p, 4);
				put_u32(&p, (uint32_t) c10[i]);
				put_u32(&p, 4);
				put_u32(&p, (uint32_t) c100[i]);
			}
		}
		else
		{
			p += sprintf(p, "%ld\t", i);
			p = encode_text(p, fvec_row(&base, i), base.dim);
			*p++ = '\n';
		}
		copy_commit(&cb, p);
	}
	copy_end(&cb);
	t1 = now_seconds();

	/* set hint bits and the visibility map now, not during the timed runs */
	exec_cmd(conn, "VACUUM (FREEZE, ANALYZE) " TABLE_NAME);
	exec_cmd(conn, "CHECKPOINT");

	printf("%ld,%.3f\n", base.n, t1 - t0);
	PQfinish(conn);
	free(c10);
	free(c100);
	fvec_free(&base);
}

void
ann_load(const Options *opt)
{
	load_items(opt, false);
}

/* ----------------------------------------------------------------- build */

void
ann_build(const Options *opt)
{
	PGconn	   *conn;
	char		sql[512];
	double		t0;
	double		t1;
	PGresult   *res;

	if (opt->conninfo == NULL || !opt->have_metric)
		die("build needs --conn and --metric");
	if (opt->m < 2 || opt->efc < 1)
		die("bad --m or --efc");
	conn = connect_db(opt->conninfo, true);

	snprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS " TABLE_NAME "_%s_idx",
			 metric_name(opt->metric));
	exec_quiet(conn, sql);
	exec_cmd(conn, "CHECKPOINT");

	snprintf(sql, sizeof(sql),
			 "CREATE INDEX " TABLE_NAME "_%s_idx ON " TABLE_NAME
			 " USING hnsw (embedding %s) WITH (m = %d, ef_construction = %d)",
			 metric_name(opt->metric), metric_opclass(opt->metric),
			 opt->m, opt->efc);
	t0 = now_seconds();
	exec_cmd(conn, sql);
	t1 = now_seconds();

	snprintf(sql, sizeof(sql),
			 "SELECT pg_relation_size('" TABLE_NAME "_%s_idx')",
			 metric_name(opt->metric));
	res = exec_ok(conn, sql);
	printf("%.3f,%s\n", t1 - t0, PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(conn);
}

/* ---------------------------------------------------------------- search */

static void
set_ef(PGconn *conn, const Options *opt, int ef)
{
	char		sql[128];

	snprintf(sql, sizeof(sql), "SET %s = %d", opt->ef_guc, ef);
	exec_cmd(conn, sql);
}

/*
 * Does the planner, with the current settings, answer the query through
 * our index?  Plans it with the given parameter, as a custom plan.
 */
static int
plan_uses_index(PGconn *conn, const Options *opt, const QueryParams *qp)
{
	char		sql[512];
	char		idx[64];
	PGresult   *res;
	int			found = 0;

	snprintf(idx, sizeof(idx), TABLE_NAME "_%s_idx", metric_name(opt->metric));
	snprintf(sql, sizeof(sql),
			 "EXPLAIN (COSTS OFF) SELECT id FROM " TABLE_NAME
			 " ORDER BY embedding %s $1::vector LIMIT %d",
			 metric_operator(opt->metric), opt->k);
	res = PQexecParams(conn, sql, 1, NULL, qp->values, qp->lengths,
					   qp->formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("EXPLAIN failed: %s", PQerrorMessage(conn));
	for (int r = 0; r < PQntuples(res); r++)
		if (strstr(PQgetvalue(res, r, 0), idx) != NULL)
			found = 1;
	PQclear(res);
	return found;
}

/*
 * What would the planner choose on its own at this ef_search: "index" or
 * "seqscan"?  The timed queries always run with enable_seqscan = off, so
 * that every point of the curve measures the index: the planner's cost of
 * an index scan grows with ef_search, and once a prepared statement has
 * settled on a generic sequential-scan plan it keeps it for the rest of
 * the session.  Plan choice is the regression tests' business; here it is
 * only recorded.
 */
static const char *
planner_choice(PGconn *conn, const Options *opt, const QueryParams *qp)
{
	int			found;

	exec_cmd(conn, "SET enable_seqscan = on");
	found = plan_uses_index(conn, opt, qp);
	exec_cmd(conn, "SET enable_seqscan = off");
	return found ? "index" : "seqscan";
}

void
ann_search(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	IvecSet		gt;
	PGconn	   *conn;
	QueryParams qp;
	ExactContext rc;
	long		nq;
	int			dim;
	double	   *qnorm;
	double	   *lat;
	int32_t    *ids;
	int		   *nrows;
	char		sql[512];
	const char *plan;
	int			maxef = 0;
	FILE	   *csv = NULL;

	if (opt->conninfo == NULL || !opt->have_metric || opt->base == NULL ||
		opt->query == NULL || opt->gt == NULL)
		die("search needs --conn, --metric, --base, --query and --gt");
	fvec_load(opt->base, &base);
	fvec_load(opt->query, &query);
	ivec_load(opt->gt, &gt);
	dim = base.dim;
	if (query.dim != dim)
		die("dimension mismatch: base %d, query %d", dim, query.dim);
	if (gt.n != query.n || gt.k < opt->k)
		die("%s: %ld rows of %d ids; need %ld rows of at least %d",
			opt->gt, gt.n, gt.k, query.n, opt->k);
	nq = query.n;
	if (opt->nqueries > 0 && opt->nqueries < nq)
		nq = opt->nqueries;

	/* encode every query parameter up front */
	qp.nparams = 1;
	qp.nq = nq;
	qp.values = xmalloc(sizeof(char *) * nq);
	qp.lengths = xmalloc(sizeof(int) * nq);
	qp.formats[0] = (opt->format == WIRE_BINARY) ? 1 : 0;
	qnorm = xmalloc(sizeof(double) * nq);
	for (long q = 0; q < nq; q++)
	{
		const float *v = fvec_row(&query, q);
		char	   *p;

		if (qp.formats[0])
		{
			p = xmalloc(4 + 4 * (size_t) dim);
			qp.lengths[q] = (int) (encode_vector(p, v, dim) - p);
		}
		else
		{
			p = xmalloc(TEXT_VECTOR_MAX(dim));
			encode_text(p, v, dim);
			qp.lengths[q] = 0;
		}
		qp.values[q] = p;
		qnorm[q] = vec_norm(v, dim);
	}
	exact_init(&rc, opt->metric, &base, opt->k);

	lat = xmalloc(sizeof(double) * nq);
	ids = xmalloc(sizeof(int32_t) * nq * opt->k);
	nrows = xmalloc(sizeof(int) * nq);

	for (int i = 0; i < opt->nef; i++)
		if (opt->ef[i] > maxef)
			maxef = opt->ef[i];

	conn = connect_db(opt->conninfo, true);
	exec_cmd(conn, "SET max_parallel_workers_per_gather = 0");
	exec_cmd(conn, "SET enable_seqscan = off");
	if (!plan_uses_index(conn, opt, &qp))
		die("the plan does not use " TABLE_NAME "_%s_idx even with enable_seqscan = off",
			metric_name(opt->metric));

	snprintf(sql, sizeof(sql),
			 "SELECT id FROM " TABLE_NAME " ORDER BY embedding %s $1::vector LIMIT %d",
			 metric_operator(opt->metric), opt->k);
	prepare(conn, "knn", sql, 1);

	if (opt->csv != NULL)
		csv = csv_append(opt->csv, "label,metric,ef_search,repeat,queries,k,recall,qps,"
						 "mean_ms,p50_ms,p95_ms,p99_ms,rows_per_query,planner");

	if (opt->warmup > 0)
	{
		double		t0 = now_seconds();

		set_ef(conn, opt, maxef);
		for (int w = 0; w < opt->warmup; w++)
			for (long q = 0; q < nq; q++)
				PQclear(exec_query(conn, "knn", &qp, q));
		fprintf(stderr, "  %s %s: warm-up %d x %ld queries at ef_search=%d, %.1f s\n",
				opt->label, metric_name(opt->metric), opt->warmup, nq, maxef,
				now_seconds() - t0);
	}

	for (int e = 0; e < opt->nef; e++)
	{
		double		total;
		double		hits = 0;
		long		rows = 0;
		double		recall;
		double		qps;
		LatencySummary ls;

		set_ef(conn, opt, opt->ef[e]);
		plan = planner_choice(conn, opt, &qp);

		total = run_queries(conn, "knn", &qp, opt->k, ids, nrows, lat);

		/* recall, outside the timed loop */
		for (long q = 0; q < nq; q++)
		{
			hits += recall_hits(&rc, fvec_row(&query, q), qnorm[q],
								gt.data + q * gt.k, opt->k,
								ids + q * opt->k, nrows[q], 0);
			rows += nrows[q];
		}
		ls = latency_summary(lat, nq);
		recall = hits / ((double) nq * opt->k);
		qps = nq / total;

		fprintf(stderr, "  %-8s %-6s ef_search=%-4d recall=%.4f  QPS=%8.1f  "
				"p50=%.3f ms  p99=%.3f ms\n",
				opt->label, metric_name(opt->metric), opt->ef[e], recall,
				qps, ls.p50_ms, ls.p99_ms);
		if (csv)
		{
			fprintf(csv, "%s,%s,%d,%d,%ld,%d,%.5f,%.2f,%.4f,%.4f,%.4f,%.4f,%.2f,%s\n",
					opt->label, metric_name(opt->metric), opt->ef[e],
					opt->repeat, nq, opt->k, recall, qps,
					ls.mean_ms, ls.p50_ms, ls.p95_ms, ls.p99_ms,
					(double) rows / nq, plan);
			fflush(csv);
		}
	}

	if (csv)
		xfclose(csv, opt->csv);
	PQfinish(conn);
	for (long q = 0; q < nq; q++)
		free((char *) qp.values[q]);
	free(qp.values);
	free(qp.lengths);
	free(qnorm);
	free((double *) rc.basenorm);
	free(lat);
	free(ids);
	free(nrows);
	fvec_free(&base);
	fvec_free(&query);
	ivec_free(&gt);
}

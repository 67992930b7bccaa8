/*-------------------------------------------------------------------------
 *
 * cmd_filter.c
 *	  The "filter" commands of the benchmark driver: a table whose rows
 *	  carry two seeded random labels, exact filtered ground truth, and
 *	  timed filtered index searches with recall.  Works with any extension
 *	  that offers the "vector" type and an "hnsw" access method with
 *	  hnsw.ef_search.  bench/filter.sh drives them; see bench/WRITE.md.
 *
 *	  vbench filter load   --conn C --base F --seed S
 *	  vbench filter gt     --base F --query F --metric M --seed S --col COL
 *						   [--k 10] --out FILE
 *	  vbench filter search --conn C --base F --query F --metric M --seed S
 *						   --col COL --gt FILE [--k 10] [--ef LIST]
 *						   [--iterative off|strict_order|relaxed_order]
 *						   [--exact] [--warmup 1] [--label L] [--mode M]
 *						   [--repeat R] [--queries N] [--csv FILE]
 *						   [--plans FILE] [--plancsv FILE]
 *
 * load creates items (id int4, embedding vector(dim), c10 int4, c100 int4);
 * row i of the base file gets id i, c10 in [0,10) and c100 in [0,100),
 * both drawn independently and uniformly from a generator seeded with S
 * (make_labels).
 *
 * gt draws, for every query, a filter value of column COL (c10 or c100)
 * from a generator seeded with S and the column, and finds by brute force
 * (double precision) the exact k nearest base rows with that value.  FILE
 * holds one row per query in the ivecs layout: k + 1, the filter value,
 * then the k ids, nearest first.
 *
 * search runs, on one connection, the prepared statement
 *
 *	  SELECT id FROM items WHERE COL = $2 ORDER BY embedding <op> $1 LIMIT k
 *
 * once per query and ef_search value, with enable_seqscan = off so that
 * the index is measured, and hnsw.iterative_scan set to --iterative when
 * given (otherwise the extension's default).  With --exact it instead
 * forbids index and bitmap scans, and times the sequential scan and
 * top-k sort (one point, ef_search 0).  Per point it appends to --csv:
 * recall@k, QPS, latency, rows returned per query and the plan the planner
 * would choose with enable_seqscan = on.  --plans receives EXPLAIN of the
 * first query at default planner settings and the default ef_search,
 * --plancsv a one-line summary of it (plan shape, execution time).
 * --queries N uses the first N queries only.
 *
 * A returned row is a hit if it is one of the true k nearest, or if it has
 * the filter value and is no farther than the true k-th nearest
 * (recall_hits).  Missing rows are misses.
 *
 * IDENTIFICATION
 *	  bench/cmd_filter.c
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

const OptSpec filter_gt_opts[] = {
	OPT("col", OPT_STR, col, "label column: c10 or c100"),
	OPT("out", OPT_STR, out, "ground truth file to write"),
	OPT_END
};

const OptSpec filter_search_opts[] = {
	OPT("col", OPT_STR, col, "label column: c10 or c100"),
	OPT("iterative", OPT_STR, iterative, "hnsw.iterative_scan (the extension's default)"),
	OPT("exact", OPT_FLAG, exact, "time the exact plan instead of the index"),
	OPT("mode", OPT_STR, mode, "curve name written to the CSV"),
	OPT("plans", OPT_STR, plans, "append EXPLAIN ANALYZE of the first query here"),
	OPT("plancsv", OPT_STR, plancsv, "append a summary of that plan here"),
	OPT_END
};

/* ---------------------------------------------------------------- labels */

static int
col_classes(const char *col)
{
	if (col != NULL && strcmp(col, "c10") == 0)
		return 10;
	if (col != NULL && strcmp(col, "c100") == 0)
		return 100;
	die("--col must be c10 or c100");
}

/* ------------------------------------------------------------------ load */

void
filter_load(const Options *opt)
{
	load_items(opt, true);
}

/* -------------------------------------------------------------------- gt */

/* the filter value of every query, for column col */
static void
query_values(uint64_t seed, const char *col, long nq, int32_t *val)
{
	Rng			rng;
	int			ncls = col_classes(col);

	rng_seed(&rng, seed * 1000003 + (uint64_t) ncls);
	for (long q = 0; q < nq; q++)
		val[q] = (int32_t) (rng_next(&rng) % (uint64_t) ncls);
}

void
filter_gt(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	int32_t    *c10;
	int32_t    *c100;
	int32_t    *val;
	ExactContext ec;
	Neighbour  *top;
	FILE	   *f;

	if (opt->base == NULL || opt->query == NULL || opt->out == NULL ||
		!opt->have_metric)
		die("gt needs --base, --query, --metric, --col and --out");
	fvec_load(opt->base, &base);
	fvec_load(opt->query, &query);
	c10 = xmalloc(sizeof(int32_t) * base.n);
	c100 = xmalloc(sizeof(int32_t) * base.n);
	make_labels(opt->seed, base.n, c10, c100);
	exact_init(&ec, opt->metric, &base, opt->k);
	ec.labels = (col_classes(opt->col) == 10) ? c10 : c100;
	val = xmalloc(sizeof(int32_t) * query.n);
	query_values(opt->seed, opt->col, query.n, val);
	top = xmalloc(sizeof(Neighbour) * opt->k);

	f = xfopen(opt->out, "w");
	for (long q = 0; q < query.n; q++)
	{
		const float *qv = fvec_row(&query, q);
		int			have = exact_knn(&ec, qv, vec_norm(qv, query.dim), val[q], top);
		int32_t		hdr = opt->k + 1;

		for (int i = have; i < opt->k; i++)
			top[i].id = -1;		/* fewer matching rows than k */
		fwrite(&hdr, 4, 1, f);
		fwrite(&val[q], 4, 1, f);
		for (int i = 0; i < opt->k; i++)
			fwrite(&top[i].id, 4, 1, f);
	}
	xfclose(f, opt->out);

	free(c10);
	free(c100);
	free(val);
	free((double *) ec.basenorm);
	free(top);
	fvec_free(&base);
	fvec_free(&query);
}

/* ---------------------------------------------------------------- search */

/*
 * The plan's node types, outermost first, e.g. "Limit > Index Scan"; what
 * matters here is whether the index or a sequential scan answers.
 */
static void
plan_shape(PGresult *res, char *out, size_t outlen)
{
	out[0] = '\0';
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *line = PQgetvalue(res, r, 0);
		char		node[64];
		size_t		n;

		while (*line == ' ')
			line++;
		if (strncmp(line, "->", 2) == 0)
			line += 2;
		else if (r > 0)
			continue;			/* a detail line: Filter, Order By, ... */
		while (*line == ' ')
			line++;
		n = strcspn(line, "(");
		while (n > 0 && line[n - 1] == ' ')
			n--;
		if (n >= sizeof(node))
			n = sizeof(node) - 1;
		memcpy(node, line, n);
		node[n] = '\0';
		/* drop " using <index>" and " on <table>" */
		if (strstr(node, " using ") != NULL)
			*strstr(node, " using ") = '\0';
		if (strstr(node, " on ") != NULL)
			*strstr(node, " on ") = '\0';
		if (out[0] != '\0')
			strncat(out, " > ", outlen - strlen(out) - 1);
		strncat(out, node, outlen - strlen(out) - 1);
	}
}

/* EXPLAIN (opts) of the statement for the first query */
static PGresult *
explain(PGconn *conn, const char *opts, const Options *opt,
		const QueryParams *qp)
{
	char		sql[512];
	PGresult   *res;

	snprintf(sql, sizeof(sql),
			 "EXPLAIN (%s) SELECT id FROM items WHERE %s = $2::int4 "
			 "ORDER BY embedding %s $1::vector LIMIT %d",
			 opts, opt->col, metric_operator(opt->metric), opt->k);
	res = PQexecParams(conn, sql, 2, NULL, qp->values, qp->lengths,
					   qp->formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("EXPLAIN failed: %s", PQerrorMessage(conn));
	return res;
}

void
filter_search(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	int32_t    *c10;
	int32_t    *c100;
	int32_t    *gt;
	long		nq;
	int			dim;
	int			gk;
	uint32_t   *vals;
	double	   *qnorm;
	double	   *lat;
	int32_t    *ids;
	int		   *nrows;
	PGconn	   *conn;
	PGresult   *res;
	QueryParams qp;
	ExactContext rc;
	char		sql[512];
	FILE	   *csv = NULL;
	int			maxef = 0;
	int			npoints;

	if (opt->conninfo == NULL || opt->base == NULL || opt->query == NULL ||
		opt->gt == NULL || !opt->have_metric)
		die("search needs --conn, --base, --query, --metric, --col and --gt");
	col_classes(opt->col);
	fvec_load(opt->base, &base);
	fvec_load(opt->query, &query);
	dim = base.dim;
	nq = query.n;
	c10 = xmalloc(sizeof(int32_t) * base.n);
	c100 = xmalloc(sizeof(int32_t) * base.n);
	make_labels(opt->seed, base.n, c10, c100);

	/* ground truth: per query k + 1, value, k ids */
	{
		size_t		len;
		int32_t    *raw = (int32_t *) read_whole_file(opt->gt, &len);

		gk = raw[0] - 1;
		if (gk < opt->k || len != (size_t) nq * (gk + 2) * 4)
			die("%s does not hold %ld queries of at least %d neighbours", opt->gt, nq, opt->k);
		gt = raw;
	}
	if (opt->nqueries > 0 && opt->nqueries < nq)
		nq = opt->nqueries;

	/* parameters: the vector and the filter value, both binary */
	qp.nparams = 2;
	qp.nq = nq;
	qp.values = xmalloc(sizeof(char *) * 2 * nq);
	qp.lengths = xmalloc(sizeof(int) * 2 * nq);
	qp.formats[0] = 1;
	qp.formats[1] = 1;
	vals = xmalloc(sizeof(uint32_t) * nq);
	qnorm = xmalloc(sizeof(double) * nq);
	for (long q = 0; q < nq; q++)
	{
		char	   *v = xmalloc(4 + 4 * (size_t) dim);

		qp.lengths[2 * q] = (int) (encode_vector(v, fvec_row(&query, q), dim) - v);
		qp.values[2 * q] = v;
		vals[q] = htonl((uint32_t) gt[q * (gk + 2) + 1]);
		qp.values[2 * q + 1] = (const char *) &vals[q];
		qp.lengths[2 * q + 1] = 4;
		qnorm[q] = vec_norm(fvec_row(&query, q), dim);
	}
	exact_init(&rc, opt->metric, &base, opt->k);
	rc.labels = (col_classes(opt->col) == 10) ? c10 : c100;
	lat = xmalloc(sizeof(double) * nq);
	ids = xmalloc(sizeof(int32_t) * nq * opt->k);
	nrows = xmalloc(sizeof(int) * nq);

	conn = connect_db(opt->conninfo, false);
	exec_cmd(conn, "SET max_parallel_workers_per_gather = 0");
	if (opt->iterative != NULL)
	{
		snprintf(sql, sizeof(sql), "SET hnsw.iterative_scan = %s", opt->iterative);
		exec_cmd(conn, sql);
	}

	if (opt->exact)
	{
		exec_cmd(conn, "SET enable_indexscan = off");
		exec_cmd(conn, "SET enable_bitmapscan = off");
	}
	else
		exec_cmd(conn, "SET enable_seqscan = off");

	snprintf(sql, sizeof(sql),
			 "SELECT id FROM items WHERE %s = $2::int4 ORDER BY embedding %s $1::vector LIMIT %d",
			 opt->col, metric_operator(opt->metric), opt->k);
	prepare(conn, "q", sql, 2);

	if (opt->csv != NULL)
		csv = csv_append(opt->csv, "label,mode,filter,ef_search,repeat,queries,k,recall,qps,"
						 "mean_ms,p50_ms,p99_ms,rows_per_query,min_rows,planner");

	for (int e = 0; e < opt->nef; e++)
		if (opt->ef[e] > maxef)
			maxef = opt->ef[e];
	if (opt->warmup && !opt->exact)
	{
		snprintf(sql, sizeof(sql), "SET hnsw.ef_search = %d", maxef);
		exec_cmd(conn, sql);
		for (long q = 0; q < nq; q++)
			PQclear(exec_query(conn, "q", &qp, q));
	}

	/* the planner's own plan at default settings, for the record (warm) */
	if (opt->plans != NULL && !opt->exact)
	{
		FILE	   *pf = xfopen(opt->plans, "a");

		exec_cmd(conn, "RESET hnsw.ef_search");
		exec_cmd(conn, "SET enable_seqscan = on");

		res = explain(conn, "ANALYZE, COSTS, TIMING OFF", opt, &qp);
		fprintf(pf, "== %s (%s), WHERE %s = %u, default planner settings and ef_search\n",
				opt->label, opt->mode ? opt->mode : "", opt->col, ntohl(vals[0]));
		for (int r = 0; r < PQntuples(res); r++)
			fprintf(pf, "%s\n", PQgetvalue(res, r, 0));
		fprintf(pf, "\n");
		xfclose(pf, opt->plans);
		if (opt->plancsv != NULL)
		{
			char		shape[256];
			const char *ms = "";

			pf = csv_append(opt->plancsv, "label,mode,filter,plan,execution_ms");
			plan_shape(res, shape, sizeof(shape));
			for (int r = 0; r < PQntuples(res); r++)
				if (strncmp(PQgetvalue(res, r, 0), "Execution Time: ", 16) == 0)
					ms = PQgetvalue(res, r, 0) + 16;
			fprintf(pf, "%s,%s,%s,%s,%.3f\n", opt->label,
					opt->mode ? opt->mode : "", opt->col, shape, atof(ms));
			xfclose(pf, opt->plancsv);
		}
		PQclear(res);
		exec_cmd(conn, "SET enable_seqscan = off");
	}

	npoints = opt->exact ? 1 : opt->nef;
	for (int e = 0; e < npoints; e++)
	{
		int			ef = opt->exact ? 0 : opt->ef[e];
		char		plan[256] = "";
		double		total;
		double		hits = 0;
		long		rows = 0;
		int			minrows = opt->k;
		LatencySummary ls;

		if (!opt->exact)
		{
			snprintf(sql, sizeof(sql), "SET hnsw.ef_search = %d", ef);
			exec_cmd(conn, sql);
			exec_cmd(conn, "SET enable_seqscan = on");
			res = explain(conn, "COSTS OFF", opt, &qp);
			plan_shape(res, plan, sizeof(plan));
			PQclear(res);
			exec_cmd(conn, "SET enable_seqscan = off");
		}
		else
			snprintf(plan, sizeof(plan), "forced");

		total = run_queries(conn, "q", &qp, opt->k, ids, nrows, lat);

		for (long q = 0; q < nq; q++)
		{
			const int32_t *truth = gt + q * (gk + 2) + 2;
			int			ntrue = 0;
			int			found;

			while (ntrue < opt->k && truth[ntrue] >= 0)
				ntrue++;
			found = recall_hits(&rc, fvec_row(&query, q), qnorm[q], truth, ntrue,
								ids + q * opt->k, nrows[q], gt[q * (gk + 2) + 1]);
			/* recall over the rows that exist, when fewer than k match */
			hits += (double) found / (ntrue > 0 ? ntrue : 1);
			rows += nrows[q];
			if (nrows[q] < minrows)
				minrows = nrows[q];
		}
		ls = latency_summary(lat, nq);
		fprintf(stderr, "  %-8s %-14s %-4s ef_search=%-4d recall=%.4f QPS=%8.1f rows=%.2f p50=%.3f ms [%s]\n",
				opt->label, opt->mode ? opt->mode : "",
				opt->col, ef, hits / nq, nq / total, (double) rows / nq,
				ls.p50_ms, plan);
		if (csv)
		{
			fprintf(csv, "%s,%s,%s,%d,%d,%ld,%d,%.5f,%.2f,%.4f,%.4f,%.4f,%.3f,%d,%s\n",
					opt->label, opt->mode ? opt->mode : "",
					opt->col, ef, opt->repeat, nq, opt->k, hits / nq, nq / total,
					ls.mean_ms, ls.p50_ms, ls.p99_ms, (double) rows / nq, minrows, plan);
			fflush(csv);
		}
	}

	if (csv)
		xfclose(csv, opt->csv);
	PQfinish(conn);
	for (long q = 0; q < nq; q++)
		free((char *) qp.values[2 * q]);
	free(qp.values);
	free(qp.lengths);
	free(vals);
	free(qnorm);
	free((double *) rc.basenorm);
	free(lat);
	free(ids);
	free(nrows);
	free(gt);
	free(c10);
	free(c100);
	fvec_free(&base);
	fvec_free(&query);
}

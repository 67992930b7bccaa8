/*-------------------------------------------------------------------------
 *
 * ann_bench.c
 *	  ANN benchmark client: load vectors, build an HNSW index, measure
 *	  recall and speed of index searches.  Works with any extension that
 *	  offers pgvector's SQL surface (type "vector", access method "hnsw",
 *	  the vector_*_ops opclasses and the hnsw.ef_search setting).
 *
 *	  ann_bench load   --conn C --base FILE [--format binary|text]
 *	  ann_bench build  --conn C --metric M [--m 16] [--efc 64]
 *	  ann_bench search --conn C --metric M --base FILE --query FILE
 *					   --gt FILE [--ef 10,20,...] [--k 10] [--queries N]
 *					   [--warmup 1] [--label NAME] [--repeat R]
 *					   [--csv FILE] [--format binary|text]
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
 * k-th nearest (so that ties at the boundary are not held against the
 * index).
 *
 * IDENTIFICATION
 *	  bench/ann_bench.c
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

#include "ann_common.h"
#include "ann_pg.h"

#define TABLE_NAME "items"
#define MAX_EF 64

typedef enum WireFormat
{
	WIRE_BINARY,
	WIRE_TEXT
} WireFormat;

typedef struct Options
{
	const char *conninfo;
	const char *base;
	const char *query;
	const char *gt;
	const char *label;
	const char *csv;
	const char *ef_guc;
	AnnMetric	metric;
	int			have_metric;
	int			m;
	int			efc;
	int			k;
	long		nqueries;		/* 0: all */
	int			warmup;
	int			repeat;
	WireFormat	format;
	int			nef;
	int			ef[MAX_EF];
} Options;

/* ------------------------------------------------------------ libpq glue */

/* Run a statement that must succeed; returns the result to the caller */
static PGresult *
exec_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		die("%s\nfailed: %s", sql, PQerrorMessage(conn));
	return res;
}

/* DROP ... IF EXISTS, without the notice when there is nothing to drop */
static void
exec_drop(PGconn *conn, const char *sql)
{
	exec_cmd(conn, "SET client_min_messages = warning");
	exec_cmd(conn, sql);
	exec_cmd(conn, "RESET client_min_messages");
}

/* ---------------------------------------------------- vector encodings */


/* vector's text form "[x,y,...]"; %.9g round-trips every float4 */
static char *
encode_text(char *p, const float *v, int dim)
{
	*p++ = '[';
	for (int i = 0; i < dim; i++)
		p += sprintf(p, i ? ",%.9g" : "%.9g", v[i]);
	*p++ = ']';
	*p = '\0';
	return p;
}

#define TEXT_VECTOR_MAX(dim) (16 * (size_t) (dim) + 8)

/* ------------------------------------------------------------------ load */

static void
cmd_load(const Options *opt)
{
	FvecSet		base;
	PGconn	   *conn;
	char		sql[256];
	char	   *buf;
	size_t		bufsize;
	size_t		used = 0;
	double		t0;
	double		t1;
	PGresult   *res;

	if (opt->base == NULL)
		die("load needs --base");
	fvec_load(opt->base, &base);
	conn = connect_db(opt->conninfo, true);

	exec_drop(conn, "DROP TABLE IF EXISTS " TABLE_NAME);
	snprintf(sql, sizeof(sql),
			 "CREATE TABLE " TABLE_NAME " (id int4 NOT NULL, embedding vector(%d) NOT NULL)",
			 base.dim);
	exec_cmd(conn, sql);

	t0 = now_seconds();
	res = PQexec(conn, opt->format == WIRE_BINARY ?
				 "COPY " TABLE_NAME " (id, embedding) FROM STDIN (FORMAT binary)" :
				 "COPY " TABLE_NAME " (id, embedding) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN)
		die("COPY failed: %s", PQerrorMessage(conn));
	PQclear(res);

	bufsize = 1 << 20;
	buf = xmalloc(bufsize);
	if (opt->format == WIRE_BINARY)
	{
		static const char sig[11] = "PGCOPY\n\377\r\n";	/* + final \0 */
		char	   *p;

		memcpy(buf, sig, 11);
		p = buf + 11;
		put_u32(&p, 0);			/* flags */
		put_u32(&p, 0);			/* header extension length */
		used = p - buf;
	}

	for (long i = 0; i < base.n; i++)
	{
		size_t		need = 64 + TEXT_VECTOR_MAX(base.dim);
		char	   *p;

		if (used + need > bufsize)
		{
			if (PQputCopyData(conn, buf, (int) used) != 1)
				die("COPY failed: %s", PQerrorMessage(conn));
			used = 0;
		}
		p = buf + used;
		if (opt->format == WIRE_BINARY)
		{
			put_u16(&p, 2);		/* field count */
			put_u32(&p, 4);
			put_u32(&p, (uint32_t) i);
			put_u32(&p, 4 + 4 * (uint32_t) base.dim);
			p = encode_vector(p, fvec_row(&base, i), base.dim);
		}
		else
		{
			p += sprintf(p, "%ld\t", i);
			p = encode_text(p, fvec_row(&base, i), base.dim);
			*p++ = '\n';
		}
		used = p - buf;
	}
	if (opt->format == WIRE_BINARY)
	{
		char	   *p = buf + used;

		put_u16(&p, 0xFFFF);	/* trailer */
		used = p - buf;
	}
	if (used > 0 && PQputCopyData(conn, buf, (int) used) != 1)
		die("COPY failed: %s", PQerrorMessage(conn));
	if (PQputCopyEnd(conn, NULL) != 1)
		die("COPY failed: %s", PQerrorMessage(conn));
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("COPY failed: %s", PQerrorMessage(conn));
	PQclear(res);
	t1 = now_seconds();

	/* set hint bits and the visibility map now, not during the timed runs */
	exec_cmd(conn, "VACUUM (FREEZE, ANALYZE) " TABLE_NAME);
	exec_cmd(conn, "CHECKPOINT");

	printf("%ld,%.3f\n", base.n, t1 - t0);
	free(buf);
	PQfinish(conn);
	fvec_free(&base);
}

/* ----------------------------------------------------------------- build */

static void
cmd_build(const Options *opt)
{
	PGconn	   *conn;
	char		sql[512];
	double		t0;
	double		t1;
	PGresult   *res;

	if (!opt->have_metric)
		die("build needs --metric");
	conn = connect_db(opt->conninfo, true);

	snprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS " TABLE_NAME "_%s_idx",
			 metric_name(opt->metric));
	exec_drop(conn, sql);
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

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array */
static double
percentile(const double *sorted, long n, double p)
{
	long		rank = (long) ceil(p / 100.0 * n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

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
plan_uses_index(PGconn *conn, const Options *opt, const char *param, int len,
				int fmt)
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
	res = PQexecParams(conn, sql, 1, NULL, &param, &len, &fmt, 0);
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
planner_choice(PGconn *conn, const Options *opt, const char *param, int len,
			   int fmt)
{
	int			found;

	exec_cmd(conn, "SET enable_seqscan = on");
	found = plan_uses_index(conn, opt, param, len, fmt);
	exec_cmd(conn, "SET enable_seqscan = off");
	return found ? "index" : "seqscan";
}

static void
cmd_search(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	IvecSet		gt;
	PGconn	   *conn;
	long		nq;
	int			dim;
	char	  **params;
	int		   *paramlen;
	int			fmt = (opt->format == WIRE_BINARY) ? 1 : 0;
	double	   *basenorm;
	double	   *qnorm;
	double	   *lat;
	int32_t    *ids;
	int		   *nrows;
	char		sql[512];
	const char *plan;
	int			maxef = 0;
	FILE	   *csv = NULL;

	if (!opt->have_metric || opt->base == NULL || opt->query == NULL ||
		opt->gt == NULL)
		die("search needs --metric, --base, --query and --gt");
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
	params = xmalloc(sizeof(char *) * nq);
	paramlen = xmalloc(sizeof(int) * nq);
	qnorm = xmalloc(sizeof(double) * nq);
	for (long q = 0; q < nq; q++)
	{
		const float *v = fvec_row(&query, q);

		if (fmt)
		{
			params[q] = xmalloc(4 + 4 * (size_t) dim);
			paramlen[q] = (int) (encode_vector(params[q], v, dim) - params[q]);
		}
		else
		{
			params[q] = xmalloc(TEXT_VECTOR_MAX(dim));
			encode_text(params[q], v, dim);
			paramlen[q] = 0;
		}
		qnorm[q] = vec_norm(v, dim);
	}
	basenorm = xmalloc(sizeof(double) * base.n);
	for (long b = 0; b < base.n; b++)
		basenorm[b] = vec_norm(fvec_row(&base, b), dim);

	lat = xmalloc(sizeof(double) * nq);
	ids = xmalloc(sizeof(int32_t) * nq * opt->k);
	nrows = xmalloc(sizeof(int) * nq);

	for (int i = 0; i < opt->nef; i++)
		if (opt->ef[i] > maxef)
			maxef = opt->ef[i];

	conn = connect_db(opt->conninfo, true);
	exec_cmd(conn, "SET max_parallel_workers_per_gather = 0");
	exec_cmd(conn, "SET enable_seqscan = off");
	if (!plan_uses_index(conn, opt, params[0], paramlen[0], fmt))
		die("the plan does not use " TABLE_NAME "_%s_idx even with enable_seqscan = off",
			metric_name(opt->metric));

	snprintf(sql, sizeof(sql),
			 "SELECT id FROM " TABLE_NAME " ORDER BY embedding %s $1::vector LIMIT %d",
			 metric_operator(opt->metric), opt->k);
	{
		PGresult   *res = PQprepare(conn, "knn", sql, 1, NULL);

		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die("PREPARE failed: %s", PQerrorMessage(conn));
		PQclear(res);
	}

	if (opt->csv != NULL)
	{
		FILE	   *probe = fopen(opt->csv, "r");
		int			exists = (probe != NULL);

		if (probe)
			fclose(probe);
		csv = xfopen(opt->csv, "a");
		if (!exists)
			fprintf(csv, "label,metric,ef_search,repeat,queries,k,recall,qps,"
					"mean_ms,p50_ms,p95_ms,p99_ms,rows_per_query,planner\n");
	}

	if (opt->warmup > 0)
	{
		double		t0 = now_seconds();

		set_ef(conn, opt, maxef);
		for (int w = 0; w < opt->warmup; w++)
			for (long q = 0; q < nq; q++)
			{
				PGresult   *res = PQexecPrepared(conn, "knn", 1,
												 (const char *const *) &params[q],
												 &paramlen[q], &fmt, 1);

				if (PQresultStatus(res) != PGRES_TUPLES_OK)
					die("query failed: %s", PQerrorMessage(conn));
				PQclear(res);
			}
		fprintf(stderr, "  %s %s: warm-up %d x %ld queries at ef_search=%d, %.1f s\n",
				opt->label, metric_name(opt->metric), opt->warmup, nq, maxef,
				now_seconds() - t0);
	}

	for (int e = 0; e < opt->nef; e++)
	{
		double		t0;
		double		total;
		double		hits = 0;
		long		rows = 0;
		double		sum = 0;

		set_ef(conn, opt, opt->ef[e]);
		plan = planner_choice(conn, opt, params[0], paramlen[0], fmt);

		t0 = now_seconds();
		for (long q = 0; q < nq; q++)
		{
			double		s = now_seconds();
			PGresult   *res = PQexecPrepared(conn, "knn", 1,
											 (const char *const *) &params[q],
											 &paramlen[q], &fmt, 1);
			int			n;

			if (PQresultStatus(res) != PGRES_TUPLES_OK)
				die("query failed: %s", PQerrorMessage(conn));
			n = PQntuples(res);
			if (n > opt->k)
				n = opt->k;
			for (int r = 0; r < n; r++)
			{
				uint32_t	v;

				memcpy(&v, PQgetvalue(res, r, 0), 4);
				ids[q * opt->k + r] = (int32_t) ntohl(v);
			}
			nrows[q] = n;
			PQclear(res);
			lat[q] = now_seconds() - s;
		}
		total = now_seconds() - t0;

		/* recall, outside the timed loop */
		for (long q = 0; q < nq; q++)
		{
			const float *qv = fvec_row(&query, q);
			const int32_t *truth = gt.data + q * gt.k;
			int32_t		kth = truth[opt->k - 1];
			double		limit = exact_distance(opt->metric, qv,
											   fvec_row(&base, kth), dim,
											   qnorm[q], basenorm[kth]);
			int			found = 0;

			limit += 1e-6 * fmax(1.0, fabs(limit));
			for (int r = 0; r < nrows[q]; r++)
			{
				int32_t		id = ids[q * opt->k + r];
				int			dup = 0;
				int			hit = 0;

				for (int s = 0; s < r; s++)
					if (ids[q * opt->k + s] == id)
						dup = 1;
				if (dup || id < 0 || id >= base.n)
					continue;
				for (int t = 0; t < opt->k; t++)
					if (truth[t] == id)
						hit = 1;
				if (!hit)
				{
					double		d = exact_distance(opt->metric, qv,
												   fvec_row(&base, id), dim,
												   qnorm[q], basenorm[id]);

					hit = (d <= limit);
				}
				found += hit;
			}
			hits += found;
			rows += nrows[q];
			sum += lat[q];
		}
		qsort(lat, nq, sizeof(double), cmp_double);

		{
			double		recall = hits / ((double) nq * opt->k);
			double		qps = nq / total;

			fprintf(stderr, "  %-8s %-6s ef_search=%-4d recall=%.4f  QPS=%8.1f  "
					"p50=%.3f ms  p99=%.3f ms\n",
					opt->label, metric_name(opt->metric), opt->ef[e], recall,
					qps, percentile(lat, nq, 50) * 1e3,
					percentile(lat, nq, 99) * 1e3);
			if (csv)
				fprintf(csv, "%s,%s,%d,%d,%ld,%d,%.5f,%.2f,%.4f,%.4f,%.4f,%.4f,%.2f,%s\n",
						opt->label, metric_name(opt->metric), opt->ef[e],
						opt->repeat, nq, opt->k, recall, qps,
						sum / nq * 1e3, percentile(lat, nq, 50) * 1e3,
						percentile(lat, nq, 95) * 1e3,
						percentile(lat, nq, 99) * 1e3,
						(double) rows / nq, plan);
		}
		if (csv)
			fflush(csv);
	}

	if (csv)
		xfclose(csv, opt->csv);
	PQfinish(conn);
	for (long q = 0; q < nq; q++)
		free(params[q]);
	free(params);
	free(paramlen);
	free(qnorm);
	free(basenorm);
	free(lat);
	free(ids);
	free(nrows);
	fvec_free(&base);
	fvec_free(&query);
	ivec_free(&gt);
}

/* ------------------------------------------------------------------ main */

static void
parse_ef_list(Options *opt, const char *list)
{
	char	   *copy = strdup(list);
	char	   *save = NULL;

	opt->nef = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
		 tok = strtok_r(NULL, ",", &save))
	{
		int			ef = atoi(tok);

		if (ef < 1 || opt->nef == MAX_EF)
			die("bad --ef list \"%s\"", list);
		opt->ef[opt->nef++] = ef;
	}
	if (opt->nef == 0)
		die("empty --ef list");
	free(copy);
}

int
main(int argc, char **argv)
{
	Options		opt;
	const char *cmd;

	if (argc < 2)
		die("usage: ann_bench load|build|search --conn CONNINFO ...");
	cmd = argv[1];

	memset(&opt, 0, sizeof(opt));
	opt.m = 16;
	opt.efc = 64;
	opt.k = 10;
	opt.warmup = 1;
	opt.repeat = 1;
	opt.label = "ext";
	opt.ef_guc = "hnsw.ef_search";
	opt.format = WIRE_BINARY;
	parse_ef_list(&opt, "10,20,40,80,120,200,400");

	for (int i = 2; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;

		if (v == NULL)
			die("option %s needs a value", a);
		i++;
		if (strcmp(a, "--conn") == 0)
			opt.conninfo = v;
		else if (strcmp(a, "--base") == 0)
			opt.base = v;
		else if (strcmp(a, "--query") == 0)
			opt.query = v;
		else if (strcmp(a, "--gt") == 0)
			opt.gt = v;
		else if (strcmp(a, "--label") == 0)
			opt.label = v;
		else if (strcmp(a, "--csv") == 0)
			opt.csv = v;
		else if (strcmp(a, "--ef-guc") == 0)
			opt.ef_guc = v;
		else if (strcmp(a, "--metric") == 0)
		{
			if (!metric_parse(v, &opt.metric))
				die("unknown metric \"%s\"", v);
			opt.have_metric = 1;
		}
		else if (strcmp(a, "--m") == 0)
			opt.m = atoi(v);
		else if (strcmp(a, "--efc") == 0)
			opt.efc = atoi(v);
		else if (strcmp(a, "--k") == 0)
			opt.k = atoi(v);
		else if (strcmp(a, "--queries") == 0)
			opt.nqueries = atol(v);
		else if (strcmp(a, "--warmup") == 0)
			opt.warmup = atoi(v);
		else if (strcmp(a, "--repeat") == 0)
			opt.repeat = atoi(v);
		else if (strcmp(a, "--ef") == 0)
			parse_ef_list(&opt, v);
		else if (strcmp(a, "--format") == 0)
		{
			if (strcmp(v, "binary") == 0)
				opt.format = WIRE_BINARY;
			else if (strcmp(v, "text") == 0)
				opt.format = WIRE_TEXT;
			else
				die("unknown format \"%s\"", v);
		}
		else
			die("unknown option %s", a);
	}
	if (opt.conninfo == NULL)
		die("--conn is required");
	if (opt.k < 1 || opt.m < 2 || opt.efc < 1)
		die("bad --k, --m or --efc");

	if (strcmp(cmd, "load") == 0)
		cmd_load(&opt);
	else if (strcmp(cmd, "build") == 0)
		cmd_build(&opt);
	else if (strcmp(cmd, "search") == 0)
		cmd_search(&opt);
	else
		die("unknown subcommand \"%s\"", cmd);
	return 0;
}

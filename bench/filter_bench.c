/*-------------------------------------------------------------------------
 *
 * filter_bench.c
 *	  Filtered ANN benchmark client: a table whose rows carry two seeded
 *	  random labels, exact filtered ground truth, and timed filtered index
 *	  searches with recall.  Works with any extension that offers the
 *	  "vector" type and an "hnsw" access method with hnsw.ef_search.
 *	  bench/filter.sh drives it; see bench/WRITE.md.
 *
 *	  filter_bench load   --conn C --base F --seed S
 *	  filter_bench gt     --base F --query F --metric M --seed S --col COL
 *						  [--k 10] --out FILE
 *	  filter_bench search --conn C --base F --query F --metric M --seed S
 *						  --col COL --gt FILE [--k 10] [--ef LIST]
 *						  [--iterative off|strict_order|relaxed_order]
 *						  [--exact] [--warmup 1] [--label L] [--mode M]
 *						  [--repeat R] [--queries N] [--csv FILE]
 *						  [--plans FILE] [--plancsv FILE]
 *
 * load creates items (id int4, embedding vector(dim), c10 int4, c100 int4);
 * row i of the base file gets id i, c10 in [0,10) and c100 in [0,100),
 * both drawn independently and uniformly from a generator seeded with S.
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
 * the filter value and is no farther than the true k-th nearest.  Missing
 * rows are misses.
 *
 * IDENTIFICATION
 *	  bench/filter_bench.c
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

#define MAX_EF 64

typedef struct Options
{
	const char *conninfo;
	const char *base;
	const char *query;
	const char *gt;
	const char *out;
	const char *col;
	const char *iterative;
	const char *label;
	const char *mode;
	const char *csv;
	const char *plans;
	const char *plancsv;
	AnnMetric	metric;
	int			have_metric;
	uint64_t	seed;
	int			k;
	int			exact;
	int			warmup;
	int			repeat;
	long		nqueries;		/* 0: all */
	int			nef;
	int			ef[MAX_EF];
} Options;

/* ---------------------------------------------------------------- labels */

/* c10 and c100 of every base row, as load writes them */
static void
make_labels(uint64_t seed, long n, int32_t *c10, int32_t *c100)
{
	Rng			rng;

	rng_seed(&rng, seed);
	for (long i = 0; i < n; i++)
	{
		c10[i] = (int32_t) (rng_next(&rng) % 10);
		c100[i] = (int32_t) (rng_next(&rng) % 100);
	}
}

static int
col_classes(const char *col)
{
	if (col != NULL && strcmp(col, "c10") == 0)
		return 10;
	if (col != NULL && strcmp(col, "c100") == 0)
		return 100;
	die("--col must be c10 or c100");
}

/* ------------------------------------------------------------ libpq glue */



static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
percentile(const double *sorted, long n, double p)
{
	long		i = (long) ceil(p / 100.0 * n) - 1;

	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return n > 0 ? sorted[i] : 0;
}

/* ------------------------------------------------------------------ load */

static void
cmd_load(const Options *opt)
{
	FvecSet		base;
	PGconn	   *conn;
	PGresult   *res;
	int32_t    *c10;
	int32_t    *c100;
	char		sql[256];
	char	   *buf;
	size_t		bufsize = 1 << 20;
	size_t		used;
	double		t0;
	static const char sig[11] = "PGCOPY\n\377\r\n";

	if (opt->conninfo == NULL || opt->base == NULL)
		die("load needs --conn and --base");
	fvec_load(opt->base, &base);
	c10 = xmalloc(sizeof(int32_t) * base.n);
	c100 = xmalloc(sizeof(int32_t) * base.n);
	make_labels(opt->seed, base.n, c10, c100);

	conn = connect_db(opt->conninfo, false);
	exec_cmd(conn, "DROP TABLE IF EXISTS items");
	snprintf(sql, sizeof(sql),
			 "CREATE TABLE items (id int4 NOT NULL, embedding vector(%d) NOT NULL, "
			 "c10 int4 NOT NULL, c100 int4 NOT NULL)", base.dim);
	exec_cmd(conn, sql);

	t0 = now_seconds();
	res = PQexec(conn, "COPY items (id, embedding, c10, c100) FROM STDIN (FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN)
		die("COPY failed: %s", PQerrorMessage(conn));
	PQclear(res);

	buf = xmalloc(bufsize);
	memcpy(buf, sig, 11);
	{
		char	   *p = buf + 11;

		put_u32(&p, 0);			/* flags */
		put_u32(&p, 0);			/* header extension */
		used = p - buf;
	}
	for (long i = 0; i < base.n; i++)
	{
		char	   *p;

		if (used + 64 + 4 * (size_t) base.dim > bufsize)
		{
			if (PQputCopyData(conn, buf, (int) used) != 1)
				die("COPY failed: %s", PQerrorMessage(conn));
			used = 0;
		}
		p = buf + used;
		put_u16(&p, 4);			/* fields */
		put_u32(&p, 4);
		put_u32(&p, (uint32_t) i);
		put_u32(&p, 4 + 4 * (uint32_t) base.dim);
		p = encode_vector(p, fvec_row(&base, i), base.dim);
		put_u32(&p, 4);
		put_u32(&p, (uint32_t) c10[i]);
		put_u32(&p, 4);
		put_u32(&p, (uint32_t) c100[i]);
		used = p - buf;
	}
	{
		char	   *p = buf + used;

		put_u16(&p, 0xFFFF);
		used = p - buf;
	}
	if (PQputCopyData(conn, buf, (int) used) != 1 || PQputCopyEnd(conn, NULL) != 1)
		die("COPY failed: %s", PQerrorMessage(conn));
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("COPY failed: %s", PQerrorMessage(conn));
	PQclear(res);
	exec_cmd(conn, "VACUUM (FREEZE, ANALYZE) items");
	exec_cmd(conn, "CHECKPOINT");
	printf("%ld,%.3f\n", base.n, now_seconds() - t0);

	PQfinish(conn);
	free(buf);
	free(c10);
	free(c100);
	fvec_free(&base);
}

/* -------------------------------------------------------------------- gt */

typedef struct Cand
{
	double		d;
	int32_t		id;
} Cand;

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

static void
cmd_gt(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	int32_t    *c10;
	int32_t    *c100;
	int32_t    *lab;
	int32_t    *val;
	double	   *bnorm;
	Cand	   *top;
	FILE	   *f;

	if (opt->base == NULL || opt->query == NULL || opt->out == NULL ||
		!opt->have_metric)
		die("gt needs --base, --query, --metric, --col and --out");
	fvec_load(opt->base, &base);
	fvec_load(opt->query, &query);
	c10 = xmalloc(sizeof(int32_t) * base.n);
	c100 = xmalloc(sizeof(int32_t) * base.n);
	make_labels(opt->seed, base.n, c10, c100);
	lab = (col_classes(opt->col) == 10) ? c10 : c100;
	val = xmalloc(sizeof(int32_t) * query.n);
	query_values(opt->seed, opt->col, query.n, val);
	bnorm = xmalloc(sizeof(double) * base.n);
	for (long b = 0; b < base.n; b++)
		bnorm[b] = vec_norm(fvec_row(&base, b), base.dim);
	top = xmalloc(sizeof(Cand) * opt->k);

	f = xfopen(opt->out, "w");
	for (long q = 0; q < query.n; q++)
	{
		const float *qv = fvec_row(&query, q);
		double		qn = vec_norm(qv, query.dim);
		int			have = 0;
		int32_t		hdr = opt->k + 1;

		for (long b = 0; b < base.n; b++)
		{
			double		d;
			int			pos;

			if (lab[b] != val[q])
				continue;
			d = exact_distance(opt->metric, qv, fvec_row(&base, b), base.dim,
							   qn, bnorm[b]);
			if (isnan(d) || (have == opt->k && d >= top[have - 1].d))
				continue;
			pos = (have < opt->k) ? have++ : have - 1;
			while (pos > 0 && top[pos - 1].d > d)
			{
				top[pos] = top[pos - 1];
				pos--;
			}
			top[pos].d = d;
			top[pos].id = (int32_t) b;
		}
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
	free(bnorm);
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

static PGresult *
explain(PGconn *conn, const char *opts, const Options *opt,
		const char *const *values, const int *lengths, const int *formats)
{
	char		sql[512];
	PGresult   *res;

	snprintf(sql, sizeof(sql),
			 "EXPLAIN (%s) SELECT id FROM items WHERE %s = $2::int4 "
			 "ORDER BY embedding %s $1::vector LIMIT %d",
			 opts, opt->col, metric_operator(opt->metric), opt->k);
	res = PQexecParams(conn, sql, 2, NULL, values, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("EXPLAIN failed: %s", PQerrorMessage(conn));
	return res;
}

static void
cmd_search(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	int32_t    *c10;
	int32_t    *c100;
	int32_t    *lab;
	int32_t    *gt;
	long		nq;
	int			dim;
	int			gk;
	char	  **vecs;
	int			veclen;
	uint32_t   *vals;
	double	   *bnorm;
	double	   *qnorm;
	double	   *lat;
	int32_t    *ids;
	int		   *nrows;
	PGconn	   *conn;
	PGresult   *res;
	char		sql[512];
	FILE	   *csv = NULL;
	int			formats[2] = {1, 1};
	int			lengths[2];
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
	lab = (col_classes(opt->col) == 10) ? c10 : c100;

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

	vecs = xmalloc(sizeof(char *) * nq);
	vals = xmalloc(sizeof(uint32_t) * nq);
	qnorm = xmalloc(sizeof(double) * nq);
	veclen = 4 + 4 * dim;
	for (long q = 0; q < nq; q++)
	{
		vecs[q] = xmalloc(veclen);
		encode_vector(vecs[q], fvec_row(&query, q), dim);
		vals[q] = htonl((uint32_t) gt[q * (gk + 2) + 1]);
		qnorm[q] = vec_norm(fvec_row(&query, q), dim);
	}
	bnorm = xmalloc(sizeof(double) * base.n);
	for (long b = 0; b < base.n; b++)
		bnorm[b] = vec_norm(fvec_row(&base, b), dim);
	lat = xmalloc(sizeof(double) * nq);
	ids = xmalloc(sizeof(int32_t) * nq * opt->k);
	nrows = xmalloc(sizeof(int) * nq);
	lengths[0] = veclen;
	lengths[1] = 4;

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
	res = PQprepare(conn, "q", sql, 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("PREPARE failed: %s", PQerrorMessage(conn));
	PQclear(res);

	if (opt->csv != NULL)
	{
		FILE	   *probe = fopen(opt->csv, "r");

		if (probe)
			fclose(probe);
		csv = xfopen(opt->csv, "a");
		if (probe == NULL)
			fprintf(csv, "label,mode,filter,ef_search,repeat,queries,k,recall,qps,"
					"mean_ms,p50_ms,p99_ms,rows_per_query,min_rows,planner\n");
	}

	for (int e = 0; e < opt->nef; e++)
		if (opt->ef[e] > maxef)
			maxef = opt->ef[e];
	if (opt->warmup && !opt->exact)
	{
		snprintf(sql, sizeof(sql), "SET hnsw.ef_search = %d", maxef);
		exec_cmd(conn, sql);
		for (long q = 0; q < nq; q++)
		{
			const char *values[2] = {vecs[q], (const char *) &vals[q]};

			res = PQexecPrepared(conn, "q", 2, values, lengths, formats, 1);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
				die("query failed: %s", PQerrorMessage(conn));
			PQclear(res);
		}
	}

	/* the planner's own plan at default settings, for the record (warm) */
	if (opt->plans != NULL && !opt->exact)
	{
		const char *values[2] = {vecs[0], (const char *) &vals[0]};
		FILE	   *pf = xfopen(opt->plans, "a");

		exec_cmd(conn, "RESET hnsw.ef_search");
		exec_cmd(conn, "SET enable_seqscan = on");

		res = explain(conn, "ANALYZE, COSTS, TIMING OFF", opt, values, lengths, formats);
		fprintf(pf, "== %s (%s), WHERE %s = %u, default planner settings and ef_search\n",
				opt->label ? opt->label : "", opt->mode ? opt->mode : "",
				opt->col, ntohl(vals[0]));
		for (int r = 0; r < PQntuples(res); r++)
			fprintf(pf, "%s\n", PQgetvalue(res, r, 0));
		fprintf(pf, "\n");
		xfclose(pf, opt->plans);
		if (opt->plancsv != NULL)
		{
			char		shape[256];
			const char *ms = "";
			FILE	   *probe = fopen(opt->plancsv, "r");

			if (probe)
				fclose(probe);
			pf = xfopen(opt->plancsv, "a");
			if (probe == NULL)
				fprintf(pf, "label,mode,filter,plan,execution_ms\n");
			plan_shape(res, shape, sizeof(shape));
			for (int r = 0; r < PQntuples(res); r++)
				if (strncmp(PQgetvalue(res, r, 0), "Execution Time: ", 16) == 0)
					ms = PQgetvalue(res, r, 0) + 16;
			fprintf(pf, "%s,%s,%s,%s,%.3f\n", opt->label ? opt->label : "",
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
		double		t0;
		double		total;
		double		hits = 0;
		double		sum = 0;
		long		rows = 0;
		int			minrows = opt->k;

		if (!opt->exact)
		{
			const char *values[2] = {vecs[0], (const char *) &vals[0]};

			snprintf(sql, sizeof(sql), "SET hnsw.ef_search = %d", ef);
			exec_cmd(conn, sql);
			exec_cmd(conn, "SET enable_seqscan = on");
			res = explain(conn, "COSTS OFF", opt, values, lengths, formats);
			plan_shape(res, plan, sizeof(plan));
			PQclear(res);
			exec_cmd(conn, "SET enable_seqscan = off");
		}
		else
			snprintf(plan, sizeof(plan), "forced");

		t0 = now_seconds();
		for (long q = 0; q < nq; q++)
		{
			const char *values[2] = {vecs[q], (const char *) &vals[q]};
			double		s = now_seconds();
			int			n;

			res = PQexecPrepared(conn, "q", 2, values, lengths, formats, 1);
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

		for (long q = 0; q < nq; q++)
		{
			const int32_t *truth = gt + q * (gk + 2) + 2;
			int32_t		value = gt[q * (gk + 2) + 1];
			const float *qv = fvec_row(&query, q);
			int			ntrue = 0;
			double		limit = INFINITY;
			int			found = 0;

			while (ntrue < opt->k && truth[ntrue] >= 0)
				ntrue++;
			if (ntrue == opt->k)
			{
				int32_t		kth = truth[opt->k - 1];

				limit = exact_distance(opt->metric, qv, fvec_row(&base, kth), dim,
									   qnorm[q], bnorm[kth]);
				limit += 1e-6 * fmax(1.0, fabs(limit));
			}
			for (int r = 0; r < nrows[q]; r++)
			{
				int32_t		id = ids[q * opt->k + r];
				int			dup = 0;
				int			hit = 0;

				for (int s = 0; s < r; s++)
					if (ids[q * opt->k + s] == id)
						dup = 1;
				if (dup || id < 0 || id >= base.n || lab[id] != value)
					continue;
				for (int t = 0; t < ntrue; t++)
					if (truth[t] == id)
						hit = 1;
				if (!hit && ntrue == opt->k)
					hit = exact_distance(opt->metric, qv, fvec_row(&base, id), dim,
										 qnorm[q], bnorm[id]) <= limit;
				found += hit;
			}
			/* recall over the rows that exist, when fewer than k match */
			hits += (double) found / (ntrue > 0 ? ntrue : 1);
			rows += nrows[q];
			if (nrows[q] < minrows)
				minrows = nrows[q];
			sum += lat[q];
		}
		qsort(lat, nq, sizeof(double), cmp_double);
		fprintf(stderr, "  %-8s %-14s %-4s ef_search=%-4d recall=%.4f QPS=%8.1f rows=%.2f p50=%.3f ms [%s]\n",
				opt->label ? opt->label : "", opt->mode ? opt->mode : "",
				opt->col, ef, hits / nq, nq / total, (double) rows / nq,
				percentile(lat, nq, 50) * 1e3, plan);
		if (csv)
		{
			fprintf(csv, "%s,%s,%s,%d,%d,%ld,%d,%.5f,%.2f,%.4f,%.4f,%.4f,%.3f,%d,%s\n",
					opt->label ? opt->label : "", opt->mode ? opt->mode : "",
					opt->col, ef, opt->repeat, nq, opt->k, hits / nq, nq / total,
					sum / nq * 1e3, percentile(lat, nq, 50) * 1e3,
					percentile(lat, nq, 99) * 1e3, (double) rows / nq, minrows, plan);
			fflush(csv);
		}
	}

	if (csv)
		xfclose(csv, opt->csv);
	PQfinish(conn);
	for (long q = 0; q < nq; q++)
		free(vecs[q]);
	free(vecs);
	free(vals);
	free(qnorm);
	free(bnorm);
	free(lat);
	free(ids);
	free(nrows);
	free(gt);
	free(c10);
	free(c100);
	fvec_free(&base);
	fvec_free(&query);
}

/* ------------------------------------------------------------------ main */

static void
usage(void)
{
	fprintf(stderr,
			"usage: filter_bench load   --conn C --base F --seed S\n"
			"       filter_bench gt     --base F --query F --metric M --seed S --col c10|c100\n"
			"                           [--k 10] --out FILE\n"
			"       filter_bench search --conn C --base F --query F --metric M --seed S\n"
			"                           --col c10|c100 --gt FILE [--k 10] [--ef LIST]\n"
			"                           [--iterative MODE] [--exact] [--warmup 0|1]\n"
			"                           [--label L] [--mode M] [--repeat R] [--queries N]\n"
			"                           [--csv F] [--plans F] [--plancsv F]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	Options		opt;
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	memset(&opt, 0, sizeof(opt));
	opt.k = 10;
	opt.seed = 42;
	opt.warmup = 1;
	opt.repeat = 1;
	opt.nef = 1;
	opt.ef[0] = 40;

	for (int i = 2; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;

		if (strcmp(a, "--exact") == 0)
		{
			opt.exact = 1;
			continue;
		}
		if (v == NULL)
			usage();
		if (strcmp(a, "--conn") == 0)
			opt.conninfo = v;
		else if (strcmp(a, "--base") == 0)
			opt.base = v;
		else if (strcmp(a, "--query") == 0)
			opt.query = v;
		else if (strcmp(a, "--gt") == 0)
			opt.gt = v;
		else if (strcmp(a, "--out") == 0)
			opt.out = v;
		else if (strcmp(a, "--col") == 0)
			opt.col = v;
		else if (strcmp(a, "--iterative") == 0)
			opt.iterative = v;
		else if (strcmp(a, "--label") == 0)
			opt.label = v;
		else if (strcmp(a, "--mode") == 0)
			opt.mode = v;
		else if (strcmp(a, "--csv") == 0)
			opt.csv = v;
		else if (strcmp(a, "--plans") == 0)
			opt.plans = v;
		else if (strcmp(a, "--plancsv") == 0)
			opt.plancsv = v;
		else if (strcmp(a, "--queries") == 0)
			opt.nqueries = atol(v);
		else if (strcmp(a, "--metric") == 0)
		{
			if (!metric_parse(v, &opt.metric))
				die("unknown metric %s", v);
			opt.have_metric = 1;
		}
		else if (strcmp(a, "--seed") == 0)
			opt.seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--k") == 0)
			opt.k = atoi(v);
		else if (strcmp(a, "--warmup") == 0)
			opt.warmup = atoi(v);
		else if (strcmp(a, "--repeat") == 0)
			opt.repeat = atoi(v);
		else if (strcmp(a, "--ef") == 0)
		{
			char	   *copy = strdup(v);
			char	   *save = NULL;

			opt.nef = 0;
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			{
				if (opt.nef == MAX_EF || atoi(t) < 1)
					die("bad --ef list %s", v);
				opt.ef[opt.nef++] = atoi(t);
			}
			free(copy);
		}
		else
			usage();
		i++;
	}
	if (opt.k < 1)
		die("--k must be positive");

	if (strcmp(cmd, "load") == 0)
		cmd_load(&opt);
	else if (strcmp(cmd, "gt") == 0)
		cmd_gt(&opt);
	else if (strcmp(cmd, "search") == 0)
		cmd_search(&opt);
	else
		usage();
	return 0;
}

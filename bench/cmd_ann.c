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
 *						[--type vector|halfvec]
 *	  vbench ann build  --conn C --metric M [--m 16] [--efc 64]
 *						[--type vector|halfvec|sparsevec]
 *						[--using "EXPR OPCLASS" --index NAME]
 *						[--mwm SIZE] [--mem] [--with OPTIONS]
 *	  vbench ann search --conn C --metric M --base FILE --query FILE
 *						--gt FILE [--ef 10,20,...] [--k 10] [--queries N]
 *						[--warmup 1] [--label NAME] [--repeat R]
 *						[--csv FILE] [--format binary|text] [--ef-guc G]
 *						[--type vector|halfvec] [--sql Q --index NAME]
 *						[--curve NAME] [--plans FILE] [--set SETTING]
 *						[--scan-stats FILE]
 *
 * load creates table items (id int4, embedding vector(dim)), or
 * halfvec(dim) with --type halfvec (values rounded to the nearest half on
 * the client); row i of the base file gets id i.  build creates
 * items_<metric>_idx on (embedding <type>_<metric>_ops), or index --index
 * on --using, and prints "seconds,bytes"; --mwm sets maintenance_work_mem
 * for the build, --with adds index options to its WITH (...), and --mem
 * adds the build's memory, ",peak_private,peak_rss" in bytes
 * (build_memory).  search runs, for each ef_search
 * value, every query once through one prepared statement, by default
 *
 *	  SELECT id FROM items ORDER BY embedding <op> $1::<type> LIMIT k
 *
 * or --sql (whose $1 is the query vector, of --type), on one connection,
 * timing each execution on the client, and appends one CSV row per
 * ef_search value (run_sweep).  Before the sweep, "--warmup" passes at
 * the largest ef_search bring the table and index into shared buffers.
 * The queries run with enable_seqscan = off, so that they always measure
 * the index; the CSV records what the planner would have chosen without
 * it, and --plans appends the plan it would choose at default settings.
 * --set runs SET with its argument first; --scan-stats runs the queries of
 * each ef_search once more, untimed, and appends the mean of
 * hnsw_scan_stats() per query (scan_stats).
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
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

#include "ann_pg.h"
#include "stats.h"
#include "vbench.h"

#define TABLE_NAME "items"

const OptSpec ann_load_opts[] = {
	OPT("format", OPT_FORMAT, format, "binary or text vectors on the wire (binary)"),
	OPT("type", OPT_TYPE, type, "column type: vector or halfvec (vector)"),
	OPT_END
};

const OptSpec ann_build_opts[] = {
	OPT("type", OPT_TYPE, type, "column type, names the opclass <type>_<metric>_ops (vector)"),
	OPT("using", OPT_STR, using, "index column and opclass, instead of the metric's"),
	OPT("index", OPT_STR, index, "index name (items_<metric>_idx)"),
	OPT("mwm", OPT_STR, mwm, "maintenance_work_mem of the build (the server's)"),
	OPT("mem", OPT_FLAG, mem, "also print the backend's peak private memory and peak RSS"),
	OPT("workers", OPT_INT, workers, "parallel workers of the build: max_parallel_maintenance_workers and the table's parallel_workers (the server's)"),
	OPT("timeout", OPT_INT, timeout, "give up after this many seconds, print how far the build got (none)"),
	OPT("with", OPT_STR, with, "more index options, e.g. \"quantization = none\""),
	OPT_END
};

const OptSpec ann_search_opts[] = {
	OPT("format", OPT_FORMAT, format, "binary or text query parameters (binary)"),
	OPT("ef-guc", OPT_STR, ef_guc, "setting swept by --ef (hnsw.ef_search)"),
	OPT("type", OPT_TYPE, type, "type of the query parameter: vector or halfvec (vector)"),
	OPT("sql", OPT_STR, sql, "the query, $1 the query vector (ORDER BY embedding <op> $1 LIMIT k)"),
	OPT("index", OPT_STR, index, "the index the plan must use (items_<metric>_idx)"),
	OPT("curve", OPT_STR, curve, "curve name written to the CSV (-)"),
	OPT("plans", OPT_STR, plans, "append the plan at default settings to this file"),
	OPT("set", OPT_STR, set, "a setting for every query, e.g. \"hnsw.use_codes = off\""),
	OPT("scan-stats", OPT_STR, scanstats, "after each timed ef, the mean of hnsw_scan_stats() over the queries, to this CSV"),
	OPT_END
};

const char *
coltype_name(ColType type)
{
	switch (type)
	{
		case COL_VECTOR:
			return "vector";
		case COL_HALFVEC:
			return "halfvec";
		case COL_SPARSEVEC:
			return "sparsevec";
	}
	return "?";
}

/* The name of the index: --index, or items_<metric>_idx */
static const char *
index_name(const Options *opt, char *buf, size_t size)
{
	if (opt->index != NULL)
		return opt->index;
	snprintf(buf, size, TABLE_NAME "_%s_idx", metric_name(opt->metric));
	return buf;
}

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
	if (opt->type == COL_SPARSEVEC)
		die("sparse vectors are loaded by \"vbench sparse load\"");
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
			 "CREATE TABLE " TABLE_NAME " (id int4 NOT NULL, embedding %s(%d) NOT NULL%s)",
			 coltype_name(opt->type), base.dim,
			 labels ? ", c10 int4 NOT NULL, c100 int4 NOT NULL" : "");
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
			if (opt->type == COL_HALFVEC)
			{
				put_u32(&p, 4 + 2 * (uint32_t) base.dim);
				p = encode_halfvec(p, fvec_row(&base, i), base.dim);
			}
			else
			{
				put_u32(&p, 4 + 4 * (uint32_t) base.dim);
				p = encode_vector(p, fvec_row(&base, i), base.dim);
			}
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

/*
 * Run sql (the CREATE INDEX) on conn, whose server process is pid, and
 * sample that process's memory every 20 ms until it finishes:
 *
 *   peak_private  the largest RssAnon seen: the backend's private memory
 *                 (its heap, where a single-process build keeps its graph),
 *                 without the shared buffers it reads the table through
 *   peak_rss      VmHWM at the end: the kernel's peak resident set of the
 *                 process, shared buffers it touched included
 *
 * The connection is new, so both start from a fresh backend.  The server
 * must run on this machine, and /proc/PID readable by this user (root, or
 * the user the cluster runs as); otherwise both are -1.
 */
static bool
build_memory(PGconn *conn, long pid, const char *sql, long *peak_private, long *peak_rss,
			 const Options *opt, char *progress, size_t progress_size)
{
	PGresult   *res;
	long		anon;
	long		hwm;
	bool		failed = false;
	PGconn	   *watch = NULL;
	double		last = 0;

	*peak_private = -1;
	progress[0] = '\0';
	if (opt->timeout > 0)
		watch = connect_db(opt->conninfo, false);
	if (!PQsendQuery(conn, sql))
		die("%s\nfailed: %s", sql, PQerrorMessage(conn));
	for (;;)
	{
		struct pollfd pfd = {.fd = PQsocket(conn),.events = POLLIN};

		proc_memory(pid, &anon, &hwm);
		if (anon > *peak_private)
			*peak_private = anon;
		if (watch && now_seconds() - last >= 1.0)
		{
			char		q[256];
			PGresult   *p;

			/* how far the build is, kept for a timeout */
			snprintf(q, sizeof(q),
					 "SELECT phase || ',' || tuples_done || ',' || tuples_total "
					 "FROM pg_stat_progress_create_index WHERE pid = %ld", pid);
			p = exec_ok(watch, q);
			if (PQntuples(p) == 1)
				snprintf(progress, progress_size, "%s", PQgetvalue(p, 0, 0));
			PQclear(p);
			last = now_seconds();
		}
		if (poll(&pfd, 1, 20) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (!PQconsumeInput(conn))
			die("%s\nfailed: %s", sql, PQerrorMessage(conn));
		if (!PQisBusy(conn))
			break;
	}
	while ((res = PQgetResult(conn)) != NULL)
	{
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			/* 57014: canceled by statement_timeout */
			if (watch && state && strcmp(state, "57014") == 0)
			{
				PQclear(res);
				while ((res = PQgetResult(conn)) != NULL)
					PQclear(res);
				PQfinish(watch);
				return false;
			}
			failed = true;
		}
		PQclear(res);
	}
	if (failed)
		die("%s\nfailed: %s", sql, PQerrorMessage(conn));
	proc_memory(pid, &anon, &hwm);
	*peak_rss = hwm;
	if (watch)
		PQfinish(watch);
	return true;
}

void
ann_build(const Options *opt)
{
	PGconn	   *conn;
	char		sql[1024];
	char		idxbuf[64];
	char		column[256];
	const char *idx;
	double		t0;
	double		t1;
	PGresult   *res;
	long		pid;
	long		peak_private = -1;
	long		peak_rss = -1;

	if (opt->conninfo == NULL || (!opt->have_metric && opt->using == NULL))
		die("build needs --conn and --metric (or --using and --index)");
	if (opt->using != NULL && opt->index == NULL)
		die("--using needs --index");
	if (opt->m < 2 || opt->efc < 1)
		die("bad --m or --efc");
	idx = index_name(opt, idxbuf, sizeof(idxbuf));
	if (opt->using != NULL)
		snprintf(column, sizeof(column), "%s", opt->using);
	else
		snprintf(column, sizeof(column), "embedding %s_%s_ops",
				 coltype_name(opt->type), metric_name(opt->metric));
	conn = connect_db(opt->conninfo, true);

	snprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS %s", idx);
	exec_quiet(conn, sql);
	exec_cmd(conn, "CHECKPOINT");
	if (opt->mwm != NULL)
	{
		snprintf(sql, sizeof(sql), "SET maintenance_work_mem = '%s'", opt->mwm);
		exec_cmd(conn, sql);
	}
	if (opt->workers >= 0)
	{
		snprintf(sql, sizeof(sql), "SET max_parallel_maintenance_workers = %d", opt->workers);
		exec_cmd(conn, sql);
		if (opt->workers > 0)
			snprintf(sql, sizeof(sql), "ALTER TABLE " TABLE_NAME " SET (parallel_workers = %d)",
					 opt->workers);
		else
			snprintf(sql, sizeof(sql), "ALTER TABLE " TABLE_NAME " RESET (parallel_workers)");
		exec_cmd(conn, sql);
	}
	if (opt->timeout > 0)
	{
		snprintf(sql, sizeof(sql), "SET statement_timeout = '%ds'", opt->timeout);
		exec_cmd(conn, sql);
	}
	res = exec_ok(conn, "SELECT pg_backend_pid()");
	pid = atol(PQgetvalue(res, 0, 0));
	PQclear(res);

	snprintf(sql, sizeof(sql),
			 "CREATE INDEX %s ON " TABLE_NAME
			 " USING hnsw (%s) WITH (m = %d, ef_construction = %d%s%s)",
			 idx, column, opt->m, opt->efc, opt->with ? ", " : "",
			 opt->with ? opt->with : "");
	t0 = now_seconds();
	if (opt->mem || opt->timeout > 0)
	{
		char		progress[256];

		if (!build_memory(conn, pid, sql, &peak_private, &peak_rss, opt,
						  progress, sizeof(progress)))
		{
			/* timed out: how far it got, as "timeout,seconds,phase,done,total" */
			printf("timeout,%.3f,%s\n", now_seconds() - t0, progress);
			PQfinish(conn);
			return;
		}
	}
	else
		exec_cmd(conn, sql);
	t1 = now_seconds();

	snprintf(sql, sizeof(sql), "SELECT pg_relation_size('%s')", idx);
	res = exec_ok(conn, sql);
	printf("%.3f,%s", t1 - t0, PQgetvalue(res, 0, 0));
	if (opt->mem)
		printf(",%ld,%ld", peak_private, peak_rss);
	printf("\n");
	PQclear(res);
	PQfinish(conn);
}

/* ---------------------------------------------------------------- sweep */

static void
set_ef(PGconn *conn, const Options *opt, int ef)
{
	char		sql[128];

	snprintf(sql, sizeof(sql), "SET %s = %d", opt->ef_guc, ef);
	exec_cmd(conn, sql);
}

/*
 * EXPLAIN (COSTS OFF) of the sweep's query with query 0's parameter, as a
 * custom plan: its lines, joined by newlines, into buf.  Returns whether
 * the plan names the sweep's index.
 */
static int
explain_query(PGconn *conn, const Sweep *sw, char *buf, size_t size)
{
	char		sql[2048];
	PGresult   *res;
	int			found = 0;
	size_t		used = 0;
	const QueryParams *qp = sw->params;

	snprintf(sql, sizeof(sql), "EXPLAIN (COSTS OFF) %s", sw->sql);
	res = PQexecParams(conn, sql, qp->nparams, NULL, qp->values, qp->lengths,
					   qp->formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("EXPLAIN failed: %s", PQerrorMessage(conn));
	if (size > 0)
		buf[0] = '\0';
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *line = PQgetvalue(res, r, 0);

		if (strstr(line, sw->index) != NULL)
			found = 1;
		/* the line, with long literals (the query vector) cut short */
		for (const char *c = line; *c != '\0' && used + 8 < size; c++)
		{
			const char *close = (*c == '\'') ? strchr(c + 1, '\'') : NULL;

			if (close != NULL && close - c > 40)
			{
				used += snprintf(buf + used, size - used, "'%.12s...'", c + 1);
				c = close;
			}
			else
				buf[used++] = *c;
		}
		if (used < size)
			used += snprintf(buf + used, size - used, "\n");
	}
	if (size > 0)
		buf[used < size ? used : size - 1] = '\0';
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
planner_choice(PGconn *conn, const Sweep *sw)
{
	int			found;

	exec_cmd(conn, "SET enable_seqscan = on");
	found = explain_query(conn, sw, NULL, 0);
	exec_cmd(conn, "SET enable_seqscan = off");
	return found ? "index" : "seqscan";
}

#define SCANSTATS_CSV_HEADER \
	"system,metric,ef_search,curve,queries,expanded,estimated,skipped,distances,buffers"

/*
 * The counters of hnsw_scan_stats() after each query of the sweep, once
 * more and untimed, averaged, appended to opt->scanstats.  A system
 * without the function gets no line.
 */
static void
scan_stats(PGconn *conn, const Options *opt, const Sweep *sw, int ef)
{
	const QueryParams *qp = sw->params;
	double		sum[5] = {0};
	long		n = 0;
	PGresult   *res;
	FILE	   *f;

	res = PQexec(conn, "SELECT to_regproc('hnsw_scan_stats') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
	{
		PQclear(res);
		return;
	}
	PQclear(res);
	for (long q = 0; q < qp->nq; q++)
	{
		PQclear(exec_query(conn, "knn", qp, q));
		res = exec_ok(conn, "SELECT expanded, estimated, skipped, distances, buffers FROM hnsw_scan_stats()");
		if (PQgetisnull(res, 0, 0))
		{
			PQclear(res);
			continue;
		}
		for (int c = 0; c < 5; c++)
			sum[c] += atof(PQgetvalue(res, 0, c));
		n++;
		PQclear(res);
	}
	if (n == 0)
		return;
	f = csv_append(opt->scanstats, SCANSTATS_CSV_HEADER);
	fprintf(f, "%s,%s,%d,%s,%ld,%.1f,%.1f,%.1f,%.1f,%.1f\n",
			opt->label, metric_name(opt->metric), ef, opt->curve ? opt->curve : "-",
			n, sum[0] / n, sum[1] / n, sum[2] / n, sum[3] / n, sum[4] / n);
	xfclose(f, opt->scanstats);
	fprintf(stderr, "  %-8s %-6s ef_search=%-4d per query: %.0f lists, %.0f estimated, %.0f skipped, %.0f distances, %.0f buffers\n",
			opt->label, metric_name(opt->metric), ef, sum[0] / n, sum[1] / n,
			sum[2] / n, sum[3] / n, sum[4] / n);
}

/*
 * The figures of one ef of a sweep of nq queries that took total seconds
 * (latencies lat[]), found hits true neighbours and returned rows rows:
 * recall, QPS and latencies, on stderr and as a line of SWEEP_CSV_HEADER
 * in csv (if not NULL).  efname names the setting on stderr.
 */
void
sweep_point(const Options *opt, FILE *csv, const char *efname, int ef, long nq,
			double total, double hits, long rows, double *lat,
			const char *plan, const char *curve)
{
	LatencySummary ls = latency_summary(lat, nq);
	double		recall = hits / ((double) nq * opt->k);
	double		qps = nq / total;

	fprintf(stderr, "  %-8s %-6s %s %s=%-4d recall=%.4f  QPS=%8.1f  "
			"p50=%.3f ms  p99=%.3f ms\n",
			opt->label, metric_name(opt->metric), curve, efname, ef, recall,
			qps, ls.p50_ms, ls.p99_ms);
	if (csv)
	{
		fprintf(csv, "%s,%s,%d,%d,%ld,%d,%.5f,%.2f,%.4f,%.4f,%.4f,%.4f,%.2f,%s,%s\n",
				opt->label, metric_name(opt->metric), ef,
				opt->repeat, nq, opt->k, recall, qps,
				ls.mean_ms, ls.p50_ms, ls.p95_ms, ls.p99_ms,
				(double) rows / nq, plan, curve);
		fflush(csv);
	}
}

void
run_sweep(const Options *opt, const Sweep *sw)
{
	const QueryParams *qp = sw->params;
	long		nq = qp->nq;
	PGconn	   *conn;
	double	   *lat;
	int32_t    *ids;
	int		   *nrows;
	const char *plan;
	const char *curve = opt->curve ? opt->curve : "-";
	int			maxef = 0;
	FILE	   *csv = NULL;
	char		planbuf[4096];

	lat = xmalloc(sizeof(double) * nq);
	ids = xmalloc(sizeof(int32_t) * nq * opt->k);
	nrows = xmalloc(sizeof(int) * nq);

	for (int i = 0; i < opt->nef; i++)
		if (opt->ef[i] > maxef)
			maxef = opt->ef[i];

	conn = connect_db(opt->conninfo, true);
	exec_cmd(conn, "SET max_parallel_workers_per_gather = 0");
	if (opt->set != NULL)
	{
		char		sql[512];

		snprintf(sql, sizeof(sql), "SET %s", opt->set);
		exec_cmd(conn, sql);
	}

	/* the plan at default settings, for the record */
	if (opt->plans != NULL)
	{
		FILE	   *f = xfopen(opt->plans, "a");
		int			found = explain_query(conn, sw, planbuf, sizeof(planbuf));
		char		sql[256];
		PGresult   *res;

		snprintf(sql, sizeof(sql), "SELECT coalesce(current_setting('%s', true), '?')",
				 opt->ef_guc);
		res = exec_ok(conn, sql);
		fprintf(f, "== %s, %s, curve %s, default settings (%s = %s): %s\n%s\n",
				opt->label, metric_name(opt->metric), curve, opt->ef_guc,
				PQgetvalue(res, 0, 0),
				found ? "uses the index" : "DOES NOT USE THE INDEX", planbuf);
		PQclear(res);
		xfclose(f, opt->plans);
	}

	exec_cmd(conn, "SET enable_seqscan = off");
	if (!explain_query(conn, sw, planbuf, sizeof(planbuf)))
		die("the plan does not use %s even with enable_seqscan = off:\n%s",
			sw->index, planbuf);

	prepare(conn, "knn", sw->sql, qp->nparams);

	if (opt->csv != NULL)
		csv = csv_append(opt->csv, SWEEP_CSV_HEADER);

	if (opt->warmup > 0)
	{
		double		t0 = now_seconds();

		set_ef(conn, opt, maxef);
		for (int w = 0; w < opt->warmup; w++)
			for (long q = 0; q < nq; q++)
				PQclear(exec_query(conn, "knn", qp, q));
		fprintf(stderr, "  %s %s: warm-up %d x %ld queries at ef_search=%d, %.1f s\n",
				opt->label, metric_name(opt->metric), opt->warmup, nq, maxef,
				now_seconds() - t0);
	}

	for (int e = 0; e < opt->nef; e++)
	{
		double		total;
		double		hits = 0;
		long		rows = 0;

		set_ef(conn, opt, opt->ef[e]);
		plan = planner_choice(conn, sw);

		total = run_queries(conn, "knn", qp, opt->k, ids, nrows, lat);

		/* recall, outside the timed loop */
		for (long q = 0; q < nq; q++)
		{
			hits += sw->hits(sw->arg, q, ids + q * opt->k, nrows[q]);
			rows += nrows[q];
		}
		sweep_point(opt, csv, "ef_search", opt->ef[e], nq, total, hits, rows, lat,
					plan, curve);
		if (opt->scanstats != NULL)
			scan_stats(conn, opt, sw, opt->ef[e]);
	}

	if (csv)
		xfclose(csv, opt->csv);
	PQfinish(conn);
	free(lat);
	free(ids);
	free(nrows);
}

/* ---------------------------------------------------------------- search */

typedef struct DenseTruth
{
	ExactContext rc;
	const FvecSet *query;
	const double *qnorm;
	const IvecSet *gt;
} DenseTruth;

static int
dense_hits(void *arg, long q, const int32_t *ids, int nrows)
{
	DenseTruth *t = arg;

	return recall_hits(&t->rc, fvec_row(t->query, q), t->qnorm[q],
					   t->gt->data + q * t->gt->k, t->rc.k, ids, nrows, 0);
}

void
ann_search(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	IvecSet		gt;
	QueryParams qp;
	DenseTruth	truth;
	Sweep		sw;
	long		nq;
	int			dim;
	double	   *qnorm;
	char		sql[2048];
	char		idxbuf[64];
	const char *type = coltype_name(opt->type);

	if (opt->conninfo == NULL || !opt->have_metric || opt->base == NULL ||
		opt->query == NULL || opt->gt == NULL)
		die("search needs --conn, --metric, --base, --query and --gt");
	if (opt->type == COL_SPARSEVEC)
		die("sparse vectors are searched by \"vbench sparse search\"");
	if (opt->sql != NULL && opt->index == NULL)
		die("--sql needs --index");
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
			if (opt->type == COL_HALFVEC)
				qp.lengths[q] = (int) (encode_halfvec(p, v, dim) - p);
			else
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
	exact_init(&truth.rc, opt->metric, &base, opt->k);
	truth.query = &query;
	truth.qnorm = qnorm;
	truth.gt = &gt;

	if (opt->sql != NULL)
		snprintf(sql, sizeof(sql), "%s", opt->sql);
	else
		snprintf(sql, sizeof(sql),
				 "SELECT id FROM " TABLE_NAME " ORDER BY embedding %s $1::%s LIMIT %d",
				 metric_operator(opt->metric), type, opt->k);
	sw.sql = sql;
	sw.index = index_name(opt, idxbuf, sizeof(idxbuf));
	sw.params = &qp;
	sw.hits = dense_hits;
	sw.arg = &truth;
	run_sweep(opt, &sw);

	for (long q = 0; q < nq; q++)
		free((char *) qp.values[q]);
	free(qp.values);
	free(qp.lengths);
	free(qnorm);
	free((double *) truth.rc.basenorm);
	fvec_free(&base);
	fvec_free(&query);
	ivec_free(&gt);
}

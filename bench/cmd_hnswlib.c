/*-------------------------------------------------------------------------
 *
 * cmd_hnswlib.c
 *	  The "hnswlib" commands of the benchmark driver: hnswlib, the C++
 *	  header-only HNSW library, measured in-process on the data, ground
 *	  truth and sweep of "ann search", as a peer of the SQL systems.  They
 *	  are only in bench/vbench-hnswlib, which "make -C bench hnswlib
 *	  HNSWLIB_DIR=<checkout of hnswlib>" builds; bench/ann.sh --hnswlib
 *	  drives them.
 *
 *	  vbench-hnswlib hnswlib build  --base FILE --metric M --index FILE
 *						[--m 16] [--efc 64] [--seed 42]
 *	  vbench-hnswlib hnswlib search --base FILE --query FILE --gt FILE
 *						--metric M --index FILE [--ef 10,20,...] [--k 10]
 *						[--queries N] [--warmup 1] [--label NAME]
 *						[--repeat R] [--csv FILE]
 *	  vbench-hnswlib hnswlib kernel [--dim 100]
 *
 * build adds the base rows one at a time, on one thread, row i with label
 * i, to an index of hnswlib's space l2 (squared Euclidean distance) or ip
 * (1 - inner product); cosine is ip over the rows scaled to unit length,
 * as hnswlib's Python binding does it.  m and ef_construction mean what
 * they mean to the SQL systems (2 m neighbours on layer 0, m above);
 * --seed seeds hnswlib's level generator.  It saves the index to --index
 * and prints "seconds,bytes,private,peak_rss": the time from the empty
 * index to the last row (the scaling included), hnswlib's count of the
 * index's bytes (hnswlib_bytes), how much the process's RssAnon grew over
 * the build (the index's memory: hnswlib allocates layer 0 for every row
 * up front and the rows touch it as they come), and the process's VmHWM
 * at the end (the base rows the driver holds included).
 *
 * search loads the index and runs the sweep of "ann search" (run_sweep)
 * without SQL: the --warmup passes at the largest ef, then for each ef
 * (setEf) every query once, each timed from the scaling of the query
 * (cosine) to the last label copied out of hnswlib's answer; QPS is the
 * queries over the wall time of the whole pass.  It appends one row per ef
 * in the columns of SWEEP_CSV_HEADER, with planner and curve "-".  Recall
 * is counted by recall_hits against the same ground truth file as "ann
 * search", on the rows as given (not scaled).  hnswlib searches with
 * max(ef, k) candidates.
 *
 * kernel prints the SIMD paths hnswlib was compiled with and the distance
 * functions it picks at dimension --dim, for l2 and for ip (so cosine):
 * "USE_SSE; l2: L2SqrSIMD4Ext (SSE); ip and cosine: ...".
 *
 * IDENTIFICATION
 *	  bench/cmd_hnswlib.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hnswlib_index.h"
#include "stats.h"
#include "vbench.h"

const OptSpec hnswlib_build_opts[] = {
	OPT("index", OPT_STR, index, "index file to write"),
	OPT_END
};

const OptSpec hnswlib_search_opts[] = {
	OPT("index", OPT_STR, index, "index file written by \"hnswlib build\""),
	OPT_END
};

const OptSpec hnswlib_kernel_opts[] = {
	OPT("dim", OPT_INT, dim, "dimension (100)"),
	OPT_END
};

static HnswlibSpace
metric_space(AnnMetric metric)
{
	return metric == ANN_L2 ? HNSWLIB_L2 : HNSWLIB_IP;
}

/*
 * v into out, scaled to unit length for cosine (a zero vector stays
 * zero); returns out
 */
static const float *
prepare_vector(AnnMetric metric, const float *v, int dim, float *out)
{
	double		norm;

	if (metric != ANN_COSINE)
		return v;
	norm = vec_norm(v, dim);
	for (int i = 0; i < dim; i++)
		out[i] = norm > 0 ? (float) (v[i] / norm) : 0.0f;
	return out;
}

void
hnswlib_build_cmd(const Options *opt)
{
	FvecSet		base;
	HnswlibIndex *index;
	float	   *buf;
	long		anon0;
	long		anon1;
	long		hwm;
	double		t0;
	double		t1;

	if (opt->base == NULL || !opt->have_metric || opt->index == NULL)
		die("hnswlib build needs --base, --metric and --index");
	if (opt->m < 2 || opt->efc < 1)
		die("bad --m or --efc");
	fvec_load(opt->base, &base);
	buf = xmalloc(sizeof(float) * base.dim);
	proc_memory(getpid(), &anon0, &hwm);

	t0 = now_seconds();
	index = hnswlib_create(metric_space(opt->metric), base.dim, base.n, opt->m,
						   opt->efc, opt->seed);
	for (long i = 0; i < base.n; i++)
		hnswlib_add(index, prepare_vector(opt->metric, fvec_row(&base, i), base.dim, buf), i);
	t1 = now_seconds();

	proc_memory(getpid(), &anon1, &hwm);
	hnswlib_save(index, opt->index);
	printf("%.3f,%zu,%ld,%ld\n", t1 - t0, hnswlib_bytes(index),
		   anon0 >= 0 && anon1 >= 0 ? anon1 - anon0 : -1, hwm);
	hnswlib_free(index);
	free(buf);
	fvec_free(&base);
}

/*
 * Every query once at the index's current ef: labels into ids (k per
 * query), their count into nrows, each query's time into lat; returns
 * the wall time of the pass
 */
static double
run_pass(const HnswlibIndex *index, const Options *opt, const FvecSet *query,
		 long nq, float *buf, int32_t *ids, int *nrows, double *lat)
{
	double		t0 = now_seconds();

	for (long q = 0; q < nq; q++)
	{
		double		s = now_seconds();
		const float *v = prepare_vector(opt->metric, fvec_row(query, q), query->dim, buf);

		nrows[q] = hnswlib_search(index, v, opt->k, ids + q * opt->k);
		lat[q] = now_seconds() - s;
	}
	return now_seconds() - t0;
}

void
hnswlib_search_cmd(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	IvecSet		gt;
	ExactContext rc;
	HnswlibIndex *index;
	FILE	   *csv = NULL;
	double	   *qnorm;
	double	   *lat;
	int32_t    *ids;
	int		   *nrows;
	float	   *buf;
	long		nq;
	int			maxef = 0;

	if (opt->base == NULL || opt->query == NULL || opt->gt == NULL ||
		!opt->have_metric || opt->index == NULL)
		die("hnswlib search needs --base, --query, --gt, --metric and --index");
	fvec_load(opt->base, &base);
	fvec_load(opt->query, &query);
	ivec_load(opt->gt, &gt);
	if (query.dim != base.dim)
		die("dimension mismatch: base %d, query %d", base.dim, query.dim);
	if (gt.n != query.n || gt.k < opt->k)
		die("%s: %ld rows of %d ids; need %ld rows of at least %d",
			opt->gt, gt.n, gt.k, query.n, opt->k);
	nq = query.n;
	if (opt->nqueries > 0 && opt->nqueries < nq)
		nq = opt->nqueries;
	index = hnswlib_load(metric_space(opt->metric), base.dim, opt->index);
	if (hnswlib_count(index) != base.n)
		die("%s holds %ld rows, %s %ld", opt->index, hnswlib_count(index),
			opt->base, base.n);

	exact_init(&rc, opt->metric, &base, opt->k);
	qnorm = xmalloc(sizeof(double) * nq);
	for (long q = 0; q < nq; q++)
		qnorm[q] = vec_norm(fvec_row(&query, q), query.dim);
	lat = xmalloc(sizeof(double) * nq);
	ids = xmalloc(sizeof(int32_t) * nq * opt->k);
	nrows = xmalloc(sizeof(int) * nq);
	buf = xmalloc(sizeof(float) * query.dim);
	for (int i = 0; i < opt->nef; i++)
		if (opt->ef[i] > maxef)
			maxef = opt->ef[i];
	if (opt->csv != NULL)
		csv = csv_append(opt->csv, SWEEP_CSV_HEADER);

	if (opt->warmup > 0)
	{
		double		t0 = now_seconds();

		hnswlib_set_ef(index, maxef);
		for (int w = 0; w < opt->warmup; w++)
			run_pass(index, opt, &query, nq, buf, ids, nrows, lat);
		fprintf(stderr, "  %s %s: warm-up %d x %ld queries at ef=%d, %.1f s\n",
				opt->label, metric_name(opt->metric), opt->warmup, nq, maxef,
				now_seconds() - t0);
	}

	for (int e = 0; e < opt->nef; e++)
	{
		double		total;
		double		hits = 0;
		long		rows = 0;

		hnswlib_set_ef(index, opt->ef[e]);
		total = run_pass(index, opt, &query, nq, buf, ids, nrows, lat);

		/* recall, outside the timed loop */
		for (long q = 0; q < nq; q++)
		{
			hits += recall_hits(&rc, fvec_row(&query, q), qnorm[q],
								gt.data + q * gt.k, opt->k, ids + q * opt->k,
								nrows[q], 0);
			rows += nrows[q];
		}
		sweep_point(opt, csv, "ef", opt->ef[e], nq, total, hits, rows, lat, "-", "-");
	}

	if (csv)
		xfclose(csv, opt->csv);
	hnswlib_free(index);
	free(buf);
	free(nrows);
	free(ids);
	free(lat);
	free(qnorm);
	free((double *) rc.basenorm);
	fvec_free(&base);
	fvec_free(&query);
	ivec_free(&gt);
}

void
hnswlib_kernel_cmd(const Options *opt)
{
	if (opt->dim < 1)
		die("bad --dim");
	printf("%s; l2: %s", hnswlib_simd(), hnswlib_kernel(HNSWLIB_L2, opt->dim));
	printf("; ip and cosine: %s\n", hnswlib_kernel(HNSWLIB_IP, opt->dim));
}

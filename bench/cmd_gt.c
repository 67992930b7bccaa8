/*-------------------------------------------------------------------------
 *
 * cmd_gt.c
 *	  "vbench ann gt": exact k nearest neighbours by brute force, for
 *	  recall measurement.
 *
 *	  vbench ann gt [--k K] [--threads T] BASE QUERY METRIC:OUT [METRIC:OUT ...]
 *
 * For every query of QUERY (fvecs) writes the ids (0-based rows of BASE)
 * of its K nearest base vectors, nearest first, as one ivecs row of OUT.
 * METRIC is l2, cosine or ip, with the meaning of the SQL operators
 * <->, <=> and <#>.  Several metrics share one pass over the data.
 *
 * Distances are summed in double precision, so the order does not depend
 * on float rounding; ties go to the lower id.  Under cosine a zero base
 * vector has no defined distance and is never a neighbour (the operator
 * returns NaN for it); a zero query is an error.
 *
 * Queries are split between threads.  Each thread takes a block of
 * queries at a time and streams the base set once for the whole block,
 * so that the base set is read from memory far fewer times.
 *
 * IDENTIFICATION
 *	  bench/cmd_gt.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vbench.h"

const OptSpec ann_gt_opts[] = {
	OPT("threads", OPT_INT, threads, "threads (2)"),
	OPT_END
};

#define QUERY_BLOCK 16
#define MAX_OUTPUTS 3
#define MAX_K 1000

typedef struct GtOutput
{
	AnnMetric	metric;
	const char *filename;
	int32_t    *ids;			/* nq * k */
} GtOutput;

typedef struct GtJob
{
	const FvecSet *base;
	const FvecSet *query;
	const double *basenorm;
	int			k;
	int			noutputs;
	GtOutput   *outputs;
	pthread_mutex_t lock;
	long		next_query;		/* next block to hand out, under lock */
} GtJob;

/* A candidate list kept sorted by (distance, id), nearest first */
typedef struct TopK
{
	int			n;
	Neighbour	nb[MAX_K];
} TopK;

/* sum((a-b)^2) and sum(a*b), four partial sums each so loops vectorize */
static inline void
l2_and_dot(const float *a, const float *b, int dim, double *l2, double *dot)
{
	double		s[4] = {0, 0, 0, 0};
	double		p[4] = {0, 0, 0, 0};
	int			i = 0;

	for (; i + 4 <= dim; i += 4)
	{
		for (int j = 0; j < 4; j++)
		{
			double		d = (double) a[i + j] - b[i + j];

			s[j] += d * d;
			p[j] += (double) a[i + j] * b[i + j];
		}
	}
	for (; i < dim; i++)
	{
		double		d = (double) a[i] - b[i];

		s[0] += d * d;
		p[0] += (double) a[i] * b[i];
	}
	*l2 = (s[0] + s[1]) + (s[2] + s[3]);
	*dot = (p[0] + p[1]) + (p[2] + p[3]);
}

static void *
gt_worker(void *arg)
{
	GtJob	   *job = arg;
	const FvecSet *base = job->base;
	const FvecSet *query = job->query;
	int			dim = base->dim;
	TopK	   *top = xmalloc(sizeof(TopK) * QUERY_BLOCK * job->noutputs);

	for (;;)
	{
		long		q0;
		int			nb;
		double		qnorm[QUERY_BLOCK];

		pthread_mutex_lock(&job->lock);
		q0 = job->next_query;
		job->next_query += QUERY_BLOCK;
		pthread_mutex_unlock(&job->lock);
		if (q0 >= query->n)
			break;
		nb = (query->n - q0 < QUERY_BLOCK) ? (int) (query->n - q0) : QUERY_BLOCK;

		for (int j = 0; j < nb; j++)
		{
			qnorm[j] = vec_norm(fvec_row(query, q0 + j), dim);
			for (int o = 0; o < job->noutputs; o++)
			{
				if (job->outputs[o].metric == ANN_COSINE && qnorm[j] == 0.0)
					die("query %ld is a zero vector: no cosine distance",
						q0 + j);
				top[j * job->noutputs + o].n = 0;
			}
		}

		for (long b = 0; b < base->n; b++)
		{
			const float *bv = fvec_row(base, b);

			for (int j = 0; j < nb; j++)
			{
				double		l2;
				double		dot;

				l2_and_dot(fvec_row(query, q0 + j), bv, dim, &l2, &dot);
				for (int o = 0; o < job->noutputs; o++)
				{
					TopK	   *t = &top[j * job->noutputs + o];
					double		d;

					switch (job->outputs[o].metric)
					{
						case ANN_L2:
							d = sqrt(l2);
							break;
						case ANN_COSINE:
							if (job->basenorm[b] == 0.0)
								continue;
							d = 1.0 - dot / (qnorm[j] * job->basenorm[b]);
							break;
						default:
							d = -dot;
							break;
					}
					topk_offer(t->nb, &t->n, job->k, d, (int32_t) b);
				}
			}
		}

		for (int j = 0; j < nb; j++)
			for (int o = 0; o < job->noutputs; o++)
			{
				TopK	   *t = &top[j * job->noutputs + o];

				for (int i = 0; i < job->k; i++)
					job->outputs[o].ids[(q0 + j) * job->k + i] = t->nb[i].id;
			}
	}
	free(top);
	return NULL;
}

void
ann_gt(const Options *opt)
{
	int			k = opt->k;
	int			nthreads = opt->threads;
	const char *basename;
	const char *queryname;
	GtOutput	outputs[MAX_OUTPUTS];
	int			noutputs = 0;
	FvecSet		base;
	FvecSet		query;
	double	   *basenorm;
	GtJob		job;
	pthread_t  *threads;
	double		t0;

	if (opt->nargs < 3 || k > MAX_K || nthreads < 1)
		die("usage: vbench ann gt [--k K] [--threads T] BASE QUERY METRIC:OUT ...");
	basename = opt->args[0];
	queryname = opt->args[1];
	for (int i = 2; i < opt->nargs; i++)
	{
		char	   *colon = strchr(opt->args[i], ':');

		if (colon == NULL || noutputs == MAX_OUTPUTS)
			die("bad output \"%s\"", opt->args[i]);
		*colon = '\0';
		if (!metric_parse(opt->args[i], &outputs[noutputs].metric))
			die("unknown metric \"%s\"", opt->args[i]);
		outputs[noutputs].filename = colon + 1;
		noutputs++;
	}
	fvec_load(basename, &base);
	fvec_load(queryname, &query);
	if (base.dim != query.dim)
		die("dimension mismatch: base %d, query %d", base.dim, query.dim);
	if (base.n < k)
		die("base set has fewer than %d vectors", k);

	basenorm = xmalloc(sizeof(double) * base.n);
	for (long b = 0; b < base.n; b++)
		basenorm[b] = vec_norm(fvec_row(&base, b), base.dim);
	for (int o = 0; o < noutputs; o++)
		outputs[o].ids = xmalloc(sizeof(int32_t) * k * query.n);

	memset(&job, 0, sizeof(job));
	job.base = &base;
	job.query = &query;
	job.basenorm = basenorm;
	job.k = k;
	job.noutputs = noutputs;
	job.outputs = outputs;
	pthread_mutex_init(&job.lock, NULL);

	t0 = now_seconds();
	threads = xmalloc(sizeof(pthread_t) * nthreads);
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&threads[t], NULL, gt_worker, &job) != 0)
			die("could not create thread");
	for (int t = 0; t < nthreads; t++)
		pthread_join(threads[t], NULL);

	for (int o = 0; o < noutputs; o++)
	{
		FILE	   *f = xfopen(outputs[o].filename, "wb");

		for (long q = 0; q < query.n; q++)
		{
			int32_t		kk = k;

			fwrite(&kk, sizeof(kk), 1, f);
			fwrite(outputs[o].ids + q * k, sizeof(int32_t), k, f);
		}
		xfclose(f, outputs[o].filename);
		fprintf(stderr, "%s: %s ground truth, %ld queries x %d neighbours\n",
				outputs[o].filename, metric_name(outputs[o].metric), query.n, k);
	}
	fprintf(stderr, "vbench ann gt: %ld x %ld x %d in %.1f s on %d threads\n",
			query.n, base.n, base.dim, now_seconds() - t0, nthreads);
}

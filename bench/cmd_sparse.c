/*-------------------------------------------------------------------------
 *
 * cmd_sparse.c
 *	  The "sparse" commands of the benchmark driver: SPLADE-like sparse
 *	  vectors, their exact neighbours, and the sparsevec benchmark's load
 *	  and sweep.  bench/sparse.sh drives them.
 *
 *	  vbench sparse gen  [--n 100000] [--nq 1000] [--dim 30000]
 *						 [--nnz-min 50] [--nnz-max 200] [--zipf 1.0]
 *						 [--topics 100] [--topic-share 0.5] [--seed S]
 *						 BASE QUERY
 *	  vbench sparse gt   [--k K] [--threads T] BASE QUERY METRIC:OUT ...
 *	  vbench sparse load --conn C --base FILE [--format binary|text]
 *	  vbench sparse search --conn C --metric M --base FILE --query FILE
 *						 --gt FILE, and the other options of ann search
 *	  vbench sparse info FILE
 *
 * Files use the "svecs" layout: for every vector, a little-endian int32
 * dimension, an int32 count of non-zeros, that many int32 indices (0-based,
 * strictly ascending) and as many float32 values (none zero).  It is the
 * binary form of sparsevec, without its unused word and in the host's byte
 * order.
 *
 * The generator (sparse gen) imitates SPLADE document vectors over a
 * vocabulary of --dim terms.  Term t has global rank t + 1, and the global
 * term distribution is Zipf: P(t) proportional to (t + 1)^-zipf, so low
 * indices are the frequent terms.  There are --topics topics; each has its
 * own seeded permutation of the vocabulary and draws its terms from the
 * same Zipf law over that permutation.  A vector picks a topic uniformly
 * and a number of non-zeros uniformly in [nnz-min, nnz-max]; then draws
 * distinct terms, each from its topic with probability --topic-share and
 * from the global law otherwise (a term drawn twice is drawn again).  The
 * weight of term t is (0.25 + E) * (0.5 + ln(2 + t) / ln(1 + dim)), E
 * exponential with mean 1: positive, rarer terms weigh more, as with IDF.
 * The topics and the base vectors come from a generator seeded with
 * --seed; the queries, drawn the same way, from one seeded with seed ^
 * 0x5155455259 ("QUERY"), so the first N base vectors and the queries do
 * not depend on --n.
 *
 * Exact neighbours (sparse gt) are computed by brute force in double
 * precision, for l2, cosine (1 - cosine similarity) and ip (negative
 * inner product), with the meaning of the SQL operators; ties go to the
 * lower id, and under cosine a zero vector is never a neighbour.
 *
 * IDENTIFICATION
 *	  bench/cmd_sparse.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

#include "ann_pg.h"
#include "vbench.h"

#define TABLE_NAME "items"
#define QUERY_SEED_XOR UINT64_C(0x5155455259)
#define QUERY_BLOCK 16
#define MAX_OUTPUTS 3
#define MAX_K 1000
#define MAX_NNZ 16000

const OptSpec sparse_gen_opts[] = {
	OPT("n", OPT_LONG, n, "base vectors (100000)"),
	OPT("nq", OPT_LONG, nq, "query vectors (1000)"),
	OPT("dim", OPT_INT, dim, "dimensions: the vocabulary (give it: 30000 for SPLADE-like)"),
	OPT("nnz-min", OPT_INT, nnz_min, "fewest non-zeros per vector (50)"),
	OPT("nnz-max", OPT_INT, nnz_max, "most non-zeros per vector (200)"),
	OPT("zipf", OPT_DOUBLE, zipf, "exponent of the Zipf law of terms (1.0)"),
	OPT("topics", OPT_INT, topics, "topics, each with its own term ranking (100)"),
	OPT("topic-share", OPT_DOUBLE, topic_share, "share of terms drawn from the topic (0.5)"),
	OPT_END
};

const OptSpec sparse_load_opts[] = {
	OPT("format", OPT_FORMAT, format, "binary or text vectors on the wire (binary)"),
	OPT_END
};

const OptSpec sparse_search_opts[] = {
	OPT("format", OPT_FORMAT, format, "binary or text query parameters (binary)"),
	OPT("ef-guc", OPT_STR, ef_guc, "setting swept by --ef (hnsw.ef_search)"),
	OPT("sql", OPT_STR, sql, "the query, $1 the query vector (ORDER BY embedding <op> $1 LIMIT k)"),
	OPT("index", OPT_STR, index, "the index the plan must use (items_<metric>_idx)"),
	OPT("curve", OPT_STR, curve, "curve name written to the CSV (-)"),
	OPT("plans", OPT_STR, plans, "append the plan at default settings to this file"),
	OPT_END
};

/* A whole svecs file in memory, rows in CSR form */
typedef struct SvecSet
{
	long		n;
	int			dim;
	long	   *start;			/* n + 1: row i is [start[i], start[i + 1]) */
	int32_t    *idx;
	float	   *val;
} SvecSet;

static inline int
svec_nnz(const SvecSet *s, long i)
{
	return (int) (s->start[i + 1] - s->start[i]);
}

static void
svec_load(const char *name, SvecSet *set)
{
	size_t		len;
	char	   *buf = read_whole_file(name, &len);
	size_t		pos = 0;
	long		n = 0;
	long		total = 0;

	set->dim = -1;
	/* first pass: count and check */
	while (pos < len)
	{
		int32_t		hdr[2];
		int32_t		prev = -1;

		if (len - pos < sizeof(hdr))
			die("\"%s\": truncated after %ld vectors", name, n);
		memcpy(hdr, buf + pos, sizeof(hdr));
		if (hdr[0] < 1 || hdr[1] < 0 || hdr[1] > hdr[0] || hdr[1] > MAX_NNZ ||
			(set->dim >= 0 && hdr[0] != set->dim))
			die("\"%s\": bad vector %ld (dim %d, nnz %d)", name, n, hdr[0], hdr[1]);
		set->dim = hdr[0];
		if (len - pos - sizeof(hdr) < 8 * (size_t) hdr[1])
			die("\"%s\": truncated vector %ld", name, n);
		for (int j = 0; j < hdr[1]; j++)
		{
			int32_t		ix;

			memcpy(&ix, buf + pos + sizeof(hdr) + 4 * (size_t) j, 4);
			if (ix <= prev || ix >= hdr[0])
				die("\"%s\": vector %ld: indices not ascending or out of range", name, n);
			prev = ix;
		}
		pos += sizeof(hdr) + 8 * (size_t) hdr[1];
		total += hdr[1];
		n++;
	}
	if (n == 0)
		die("\"%s\" is empty", name);
	set->n = n;
	set->start = xmalloc(sizeof(long) * (n + 1));
	set->idx = xmalloc(sizeof(int32_t) * total);
	set->val = xmalloc(sizeof(float) * total);
	pos = 0;
	total = 0;
	for (long i = 0; i < n; i++)
	{
		int32_t		nnz;

		memcpy(&nnz, buf + pos + 4, 4);
		set->start[i] = total;
		memcpy(set->idx + total, buf + pos + 8, 4 * (size_t) nnz);
		memcpy(set->val + total, buf + pos + 8 + 4 * (size_t) nnz, 4 * (size_t) nnz);
		pos += 8 + 8 * (size_t) nnz;
		total += nnz;
	}
	set->start[n] = total;
	free(buf);
}

static void
svec_free(SvecSet *set)
{
	free(set->start);
	free(set->idx);
	free(set->val);
}

static double
svec_norm(const SvecSet *s, long i)
{
	double		sum = 0.0;

	for (long p = s->start[i]; p < s->start[i + 1]; p++)
		sum += (double) s->val[p] * s->val[p];
	return sqrt(sum);
}

/*
 * Exact distance between row a of A and row b of B, by a merge of their
 * sorted indices, in double precision, with the meaning of the operator.
 */
static double
svec_distance(AnnMetric metric, const SvecSet *A, long a, double norma,
			  const SvecSet *B, long b, double normb)
{
	long		i = A->start[a];
	long		ie = A->start[a + 1];
	long		j = B->start[b];
	long		je = B->start[b + 1];
	double		dot = 0.0;
	double		l2 = 0.0;

	while (i < ie || j < je)
	{
		if (j >= je || (i < ie && A->idx[i] < B->idx[j]))
		{
			l2 += (double) A->val[i] * A->val[i];
			i++;
		}
		else if (i >= ie || B->idx[j] < A->idx[i])
		{
			l2 += (double) B->val[j] * B->val[j];
			j++;
		}
		else
		{
			double		d = (double) A->val[i] - B->val[j];

			l2 += d * d;
			dot += (double) A->val[i] * B->val[j];
			i++;
			j++;
		}
	}
	switch (metric)
	{
		case ANN_L2:
			return sqrt(l2);
		case ANN_COSINE:
			if (norma == 0.0 || normb == 0.0)
				return NAN;
			return 1.0 - dot / (norma * normb);
		case ANN_IP:
			return -dot;
	}
	return NAN;
}

/* ------------------------------------------------------------------ gen */

/* The Zipf law over ranks 1..dim as a cumulative table */
static double *
zipf_table(int dim, double s)
{
	double	   *cdf = xmalloc(sizeof(double) * dim);
	double		sum = 0.0;

	for (int r = 0; r < dim; r++)
	{
		sum += pow((double) (r + 1), -s);
		cdf[r] = sum;
	}
	for (int r = 0; r < dim; r++)
		cdf[r] /= sum;
	cdf[dim - 1] = 1.0;
	return cdf;
}

/* a rank in [0, dim) drawn from the table */
static int
zipf_draw(const double *cdf, int dim, Rng *rng)
{
	double		u = rng_double(rng);
	int			lo = 0;
	int			hi = dim - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

typedef struct SparseModel
{
	int			dim;
	int			nnz_min;
	int			nnz_max;
	int			topics;
	double		topic_share;
	double	   *cdf;
	int32_t    *perm;			/* topics * dim: topic rank -> term */
	int32_t    *stamp;			/* dim: last vector that drew the term */
	long		vectors;		/* drawn so far, to stamp terms */
} SparseModel;

typedef struct TermWeight
{
	int32_t		term;
	float		weight;
} TermWeight;

static int
cmp_term(const void *a, const void *b)
{
	int32_t		x = ((const TermWeight *) a)->term;
	int32_t		y = ((const TermWeight *) b)->term;

	return (x > y) - (x < y);
}

/* Draw one vector into tw, sorted by term; returns its non-zeros */
static int
sparse_draw(SparseModel *m, Rng *rng, TermWeight *tw)
{
	int			topic = (int) (rng_next(rng) % (uint64_t) m->topics);
	int			span = m->nnz_max - m->nnz_min + 1;
	int			nnz = m->nnz_min + (int) (rng_next(rng) % (uint64_t) span);
	int32_t		mark = (int32_t) (++m->vectors);

	for (int j = 0; j < nnz;)
	{
		int			r = zipf_draw(m->cdf, m->dim, rng);
		int32_t		t;
		double		e;

		if (rng_double(rng) < m->topic_share)
			t = m->perm[(size_t) topic * m->dim + r];
		else
			t = r;
		if (m->stamp[t] == mark)
			continue;
		m->stamp[t] = mark;
		e = -log(1.0 - rng_double(rng));
		tw[j].term = t;
		tw[j].weight = (float) ((0.25 + e) *
								(0.5 + log(2.0 + t) / log(1.0 + m->dim)));
		j++;
	}
	qsort(tw, nnz, sizeof(TermWeight), cmp_term);
	return nnz;
}

static void
write_svec(FILE *f, int dim, int nnz, const TermWeight *tw)
{
	int32_t		hdr[2] = {dim, nnz};

	fwrite(hdr, sizeof(int32_t), 2, f);
	for (int j = 0; j < nnz; j++)
		fwrite(&tw[j].term, sizeof(int32_t), 1, f);
	for (int j = 0; j < nnz; j++)
		fwrite(&tw[j].weight, sizeof(float), 1, f);
}

void
sparse_gen(const Options *opt)
{
	SparseModel m;
	Rng			rng;
	Rng			qrng;
	TermWeight *tw;
	FILE	   *f;
	long		total = 0;

	if (opt->nargs != 2)
		die("usage: vbench sparse gen [options] BASE QUERY");
	m.dim = opt->dim;
	m.nnz_min = opt->nnz_min;
	m.nnz_max = opt->nnz_max;
	m.topics = opt->topics;
	m.topic_share = opt->topic_share;
	if (m.dim < 1 || m.nnz_min < 1 || m.nnz_max < m.nnz_min ||
		m.nnz_max > MAX_NNZ || m.nnz_max > m.dim / 4 || m.topics < 1 ||
		opt->n < 1 || opt->nq < 1 || opt->zipf <= 0 ||
		m.topic_share < 0 || m.topic_share > 1)
		die("vbench sparse gen: bad arguments (nnz-max must be at most dim / 4)");

	rng_seed(&rng, opt->seed);
	m.cdf = zipf_table(m.dim, opt->zipf);
	m.perm = xmalloc(sizeof(int32_t) * m.dim * (size_t) m.topics);
	m.stamp = xmalloc(sizeof(int32_t) * m.dim);
	memset(m.stamp, 0, sizeof(int32_t) * m.dim);
	m.vectors = 0;
	for (int t = 0; t < m.topics; t++)
	{
		int32_t    *p = m.perm + (size_t) t * m.dim;

		for (int i = 0; i < m.dim; i++)
			p[i] = i;
		for (int i = m.dim - 1; i > 0; i--)
		{
			int			j = (int) (rng_next(&rng) % (uint64_t) (i + 1));
			int32_t		x = p[i];

			p[i] = p[j];
			p[j] = x;
		}
	}
	tw = xmalloc(sizeof(TermWeight) * m.nnz_max);

	f = xfopen(opt->args[0], "wb");
	for (long i = 0; i < opt->n; i++)
	{
		int			nnz = sparse_draw(&m, &rng, tw);

		write_svec(f, m.dim, nnz, tw);
		total += nnz;
	}
	xfclose(f, opt->args[0]);

	rng_seed(&qrng, opt->seed ^ QUERY_SEED_XOR);
	f = xfopen(opt->args[1], "wb");
	for (long i = 0; i < opt->nq; i++)
		write_svec(f, m.dim, sparse_draw(&m, &qrng, tw), tw);
	xfclose(f, opt->args[1]);

	fprintf(stderr, "%s: %ld sparse vectors of dimension %d, %.1f non-zeros on average; "
			"%s: %ld queries (seed %llu)\n",
			opt->args[0], opt->n, m.dim, (double) total / opt->n,
			opt->args[1], opt->nq, (unsigned long long) opt->seed);
	free(tw);
	free(m.cdf);
	free(m.perm);
	free(m.stamp);
}

void
sparse_info(const Options *opt)
{
	SvecSet		s;

	if (opt->nargs != 1)
		die("usage: vbench sparse info FILE");
	svec_load(opt->args[0], &s);
	printf("%ld %d %.1f\n", s.n, s.dim, (double) s.start[s.n] / s.n);
	svec_free(&s);
}

/* ------------------------------------------------------------------- gt */

typedef struct SgtOutput
{
	AnnMetric	metric;
	const char *filename;
	int32_t    *ids;
} SgtOutput;

typedef struct SgtJob
{
	const SvecSet *base;
	const SvecSet *query;
	const double *basenorm;
	int			k;
	int			noutputs;
	SgtOutput  *outputs;
	pthread_mutex_t lock;
	long		next_query;
} SgtJob;

/*
 * Each thread takes a block of QUERY_BLOCK queries, spreads them into a
 * dense dim x block matrix, and streams the base set once for the block:
 * per base non-zero, block multiply-adds on one contiguous row.
 */
static void *
sgt_worker(void *arg)
{
	SgtJob	   *job = arg;
	const SvecSet *base = job->base;
	const SvecSet *query = job->query;
	int			dim = base->dim;
	double	   *dense = xmalloc(sizeof(double) * dim * QUERY_BLOCK);
	Neighbour  *top = xmalloc(sizeof(Neighbour) * job->k * QUERY_BLOCK * job->noutputs);
	int		   *have = xmalloc(sizeof(int) * QUERY_BLOCK * job->noutputs);

	memset(dense, 0, sizeof(double) * dim * QUERY_BLOCK);
	for (;;)
	{
		long		q0;
		int			nb;
		double		qnorm[QUERY_BLOCK];
		double		qsq[QUERY_BLOCK];

		pthread_mutex_lock(&job->lock);
		q0 = job->next_query;
		job->next_query += QUERY_BLOCK;
		pthread_mutex_unlock(&job->lock);
		if (q0 >= query->n)
			break;
		nb = (query->n - q0 < QUERY_BLOCK) ? (int) (query->n - q0) : QUERY_BLOCK;

		for (int j = 0; j < nb; j++)
		{
			long		q = q0 + j;

			qnorm[j] = svec_norm(query, q);
			qsq[j] = qnorm[j] * qnorm[j];
			for (long p = query->start[q]; p < query->start[q + 1]; p++)
				dense[(size_t) query->idx[p] * QUERY_BLOCK + j] = query->val[p];
			for (int o = 0; o < job->noutputs; o++)
			{
				if (job->outputs[o].metric == ANN_COSINE && qnorm[j] == 0.0)
					die("query %ld is a zero vector: no cosine distance", q);
				have[j * job->noutputs + o] = 0;
			}
		}

		for (long b = 0; b < base->n; b++)
		{
			double		dot[QUERY_BLOCK] = {0};
			double		bn = job->basenorm[b];

			for (long p = base->start[b]; p < base->start[b + 1]; p++)
			{
				const double *row = dense + (size_t) base->idx[p] * QUERY_BLOCK;
				double		v = base->val[p];

				for (int j = 0; j < QUERY_BLOCK; j++)
					dot[j] += v * row[j];
			}
			for (int j = 0; j < nb; j++)
				for (int o = 0; o < job->noutputs; o++)
				{
					int			slot = j * job->noutputs + o;
					double		d;

					switch (job->outputs[o].metric)
					{
						case ANN_L2:
							d = sqrt(fmax(0.0, qsq[j] + bn * bn - 2.0 * dot[j]));
							break;
						case ANN_COSINE:
							if (bn == 0.0)
								continue;
							d = 1.0 - dot[j] / (qnorm[j] * bn);
							break;
						default:
							d = -dot[j];
							break;
					}
					topk_offer(top + (size_t) slot * job->k, &have[slot], job->k,
							   d, (int32_t) b);
				}
		}

		for (int j = 0; j < nb; j++)
		{
			long		q = q0 + j;

			for (long p = query->start[q]; p < query->start[q + 1]; p++)
				dense[(size_t) query->idx[p] * QUERY_BLOCK + j] = 0.0;
			for (int o = 0; o < job->noutputs; o++)
			{
				int			slot = j * job->noutputs + o;

				for (int i = 0; i < job->k; i++)
					job->outputs[o].ids[q * job->k + i] =
						i < have[slot] ? top[(size_t) slot * job->k + i].id : -1;
			}
		}
	}
	free(dense);
	free(top);
	free(have);
	return NULL;
}

void
sparse_gt(const Options *opt)
{
	int			k = opt->k;
	int			nthreads = opt->threads;
	SgtOutput	outputs[MAX_OUTPUTS];
	int			noutputs = 0;
	SvecSet		base;
	SvecSet		query;
	double	   *basenorm;
	SgtJob		job;
	pthread_t  *threads;
	double		t0;

	if (opt->nargs < 3 || k > MAX_K || nthreads < 1)
		die("usage: vbench sparse gt [--k K] [--threads T] BASE QUERY METRIC:OUT ...");
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
	svec_load(opt->args[0], &base);
	svec_load(opt->args[1], &query);
	if (base.dim != query.dim)
		die("dimension mismatch: base %d, query %d", base.dim, query.dim);
	if (base.n < k)
		die("base set has fewer than %d vectors", k);

	basenorm = xmalloc(sizeof(double) * base.n);
	for (long b = 0; b < base.n; b++)
		basenorm[b] = svec_norm(&base, b);
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
		if (pthread_create(&threads[t], NULL, sgt_worker, &job) != 0)
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
		free(outputs[o].ids);
	}
	fprintf(stderr, "vbench sparse gt: %ld x %ld sparse (dim %d) in %.1f s on %d threads\n",
			query.n, base.n, base.dim, now_seconds() - t0, nthreads);
	free(threads);
	free(basenorm);
	svec_free(&base);
	svec_free(&query);
}

/* ----------------------------------------------------------------- load */

void
sparse_load(const Options *opt)
{
	SvecSet		base;
	PGconn	   *conn;
	CopyBuf		cb;
	bool		binary = (opt->format == WIRE_BINARY);
	char		sql[256];
	double		t0;
	double		t1;

	if (opt->conninfo == NULL || opt->base == NULL)
		die("load needs --conn and --base");
	svec_load(opt->base, &base);
	conn = connect_db(opt->conninfo, true);

	exec_quiet(conn, "DROP TABLE IF EXISTS " TABLE_NAME);
	snprintf(sql, sizeof(sql),
			 "CREATE TABLE " TABLE_NAME " (id int4 NOT NULL, embedding sparsevec(%d) NOT NULL)",
			 base.dim);
	exec_cmd(conn, sql);

	t0 = now_seconds();
	copy_begin(&cb, conn, binary ? "COPY " TABLE_NAME " (id, embedding) FROM STDIN (FORMAT binary)"
			   : "COPY " TABLE_NAME " (id, embedding) FROM STDIN", binary);
	for (long i = 0; i < base.n; i++)
	{
		int			nnz = svec_nnz(&base, i);
		const int32_t *idx = base.idx + base.start[i];
		const float *val = base.val + base.start[i];
		char	   *p = copy_reserve(&cb, 32 + TEXT_SPARSEVEC_MAX(nnz));

		if (binary)
		{
			put_u16(&p, 2);
			put_u32(&p, 4);
			put_u32(&p, (uint32_t) i);
			put_u32(&p, (uint32_t) SPARSEVEC_BIN_SIZE(nnz));
			p = encode_sparsevec(p, base.dim, nnz, idx, val);
		}
		else
		{
			p += sprintf(p, "%ld\t", i);
			p = encode_sparse_text(p, base.dim, nnz, idx, val);
			*p++ = '\n';
		}
		copy_commit(&cb, p);
	}
	copy_end(&cb);
	t1 = now_seconds();

	exec_cmd(conn, "VACUUM (FREEZE, ANALYZE) " TABLE_NAME);
	exec_cmd(conn, "CHECKPOINT");

	printf("%ld,%.3f\n", base.n, t1 - t0);
	PQfinish(conn);
	svec_free(&base);
}

/* --------------------------------------------------------------- search */

typedef struct SparseTruth
{
	AnnMetric	metric;
	const SvecSet *base;
	const SvecSet *query;
	const double *basenorm;
	const double *qnorm;
	const IvecSet *gt;
	int			k;
} SparseTruth;

/*
 * The hits among the ids query q returned, with the rule of recall_hits:
 * one of the true k nearest, or no farther than the true k-th; repeated
 * ids and ids outside the base set are misses.
 */
static int
sparse_hits(void *arg, long q, const int32_t *ids, int nrows)
{
	SparseTruth *t = arg;
	const int32_t *truth = t->gt->data + q * t->gt->k;
	int			ntrue = 0;
	double		limit = INFINITY;
	int			found = 0;

	while (ntrue < t->k && truth[ntrue] >= 0)
		ntrue++;
	if (ntrue == t->k)
	{
		limit = svec_distance(t->metric, t->query, q, t->qnorm[q],
							  t->base, truth[t->k - 1], t->basenorm[truth[t->k - 1]]);
		limit += 1e-6 * fmax(1.0, fabs(limit));
	}
	for (int r = 0; r < nrows; r++)
	{
		int32_t		id = ids[r];
		int			dup = 0;
		int			hit = 0;

		for (int s = 0; s < r; s++)
			if (ids[s] == id)
				dup = 1;
		if (dup || id < 0 || id >= t->base->n)
			continue;
		for (int s = 0; s < ntrue; s++)
			if (truth[s] == id)
				hit = 1;
		if (!hit && ntrue == t->k)
			hit = svec_distance(t->metric, t->query, q, t->qnorm[q],
								t->base, id, t->basenorm[id]) <= limit;
		found += hit;
	}
	return found;
}

void
sparse_search(const Options *opt)
{
	SvecSet		base;
	SvecSet		query;
	IvecSet		gt;
	QueryParams qp;
	SparseTruth truth;
	Sweep		sw;
	long		nq;
	double	   *qnorm;
	double	   *basenorm;
	char		sql[2048];
	char		idxbuf[64];

	if (opt->conninfo == NULL || !opt->have_metric || opt->base == NULL ||
		opt->query == NULL || opt->gt == NULL)
		die("search needs --conn, --metric, --base, --query and --gt");
	if (opt->sql != NULL && opt->index == NULL)
		die("--sql needs --index");
	svec_load(opt->base, &base);
	svec_load(opt->query, &query);
	ivec_load(opt->gt, &gt);
	if (query.dim != base.dim)
		die("dimension mismatch: base %d, query %d", base.dim, query.dim);
	if (gt.n != query.n || gt.k < opt->k)
		die("%s: %ld rows of %d ids; need %ld rows of at least %d",
			opt->gt, gt.n, gt.k, query.n, opt->k);
	nq = query.n;
	if (opt->nqueries > 0 && opt->nqueries < nq)
		nq = opt->nqueries;

	qp.nparams = 1;
	qp.nq = nq;
	qp.values = xmalloc(sizeof(char *) * nq);
	qp.lengths = xmalloc(sizeof(int) * nq);
	qp.formats[0] = (opt->format == WIRE_BINARY) ? 1 : 0;
	qnorm = xmalloc(sizeof(double) * nq);
	for (long q = 0; q < nq; q++)
	{
		int			nnz = svec_nnz(&query, q);
		const int32_t *idx = query.idx + query.start[q];
		const float *val = query.val + query.start[q];
		char	   *p;

		if (qp.formats[0])
		{
			p = xmalloc(SPARSEVEC_BIN_SIZE(nnz));
			qp.lengths[q] = (int) (encode_sparsevec(p, query.dim, nnz, idx, val) - p);
		}
		else
		{
			p = xmalloc(TEXT_SPARSEVEC_MAX(nnz));
			encode_sparse_text(p, query.dim, nnz, idx, val);
			qp.lengths[q] = 0;
		}
		qp.values[q] = p;
		qnorm[q] = svec_norm(&query, q);
	}
	basenorm = xmalloc(sizeof(double) * base.n);
	for (long b = 0; b < base.n; b++)
		basenorm[b] = svec_norm(&base, b);
	truth.metric = opt->metric;
	truth.base = &base;
	truth.query = &query;
	truth.basenorm = basenorm;
	truth.qnorm = qnorm;
	truth.gt = &gt;
	truth.k = opt->k;

	if (opt->sql != NULL)
		snprintf(sql, sizeof(sql), "%s", opt->sql);
	else
		snprintf(sql, sizeof(sql),
				 "SELECT id FROM " TABLE_NAME " ORDER BY embedding %s $1::sparsevec LIMIT %d",
				 metric_operator(opt->metric), opt->k);
	if (opt->index != NULL)
		snprintf(idxbuf, sizeof(idxbuf), "%s", opt->index);
	else
		snprintf(idxbuf, sizeof(idxbuf), TABLE_NAME "_%s_idx", metric_name(opt->metric));
	sw.sql = sql;
	sw.index = idxbuf;
	sw.params = &qp;
	sw.hits = sparse_hits;
	sw.arg = &truth;
	run_sweep(opt, &sw);

	for (long q = 0; q < nq; q++)
		free((char *) qp.values[q]);
	free(qp.values);
	free(qp.lengths);
	free(qnorm);
	free(basenorm);
	svec_free(&base);
	svec_free(&query);
	ivec_free(&gt);
}

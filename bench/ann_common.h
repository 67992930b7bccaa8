/*-------------------------------------------------------------------------
 *
 * ann_common.h
 *	  What the commands of the benchmark driver share besides libpq: errors,
 *	  the data loader (files in the fvecs/ivecs layout), a seeded random
 *	  generator, metrics, exact distances and exact k nearest neighbours,
 *	  recall, a process's memory, the labels of the filtered benchmark, and
 *	  CSV output.
 *
 * IDENTIFICATION
 *	  bench/ann_common.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ANN_COMMON_H
#define ANN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A whole fvecs file in memory: n rows of dim floats, row-major */
typedef struct FvecSet
{
	long		n;
	int			dim;
	float	   *data;
} FvecSet;

/* Ground truth: n rows of k neighbour ids (0-based rows of the base set) */
typedef struct IvecSet
{
	long		n;
	int			k;
	int32_t    *data;
} IvecSet;

typedef enum AnnMetric
{
	ANN_L2,						/* Euclidean distance, operator <-> */
	ANN_COSINE,					/* 1 - cosine similarity, operator <=> */
	ANN_IP						/* negative inner product, operator <#> */
} AnnMetric;

/* xoshiro256** state, seeded through splitmix64 */
typedef struct Rng
{
	uint64_t	s[4];
} Rng;

extern void die(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));
extern void *xmalloc(size_t size);
extern FILE *xfopen(const char *name, const char *mode);
extern void xfclose(FILE *f, const char *name);
extern char *read_whole_file(const char *name, size_t *len);
extern double now_seconds(void);

extern void write_fvec(FILE *f, const float *v, int dim);
extern void fvec_load(const char *name, FvecSet *set);
extern void fvec_free(FvecSet *set);
extern void ivec_load(const char *name, IvecSet *set);
extern void ivec_free(IvecSet *set);

static inline const float *
fvec_row(const FvecSet *set, long i)
{
	return set->data + (size_t) i * set->dim;
}

extern void rng_seed(Rng *rng, uint64_t seed);
extern uint64_t rng_next(Rng *rng);
extern double rng_double(Rng *rng);
extern double rng_gauss(Rng *rng);

extern int	metric_parse(const char *name, AnnMetric *metric);
extern const char *metric_name(AnnMetric metric);
extern const char *metric_operator(AnnMetric metric);
extern const char *metric_opclass(AnnMetric metric);

/*
 * Exact distance in double precision, with the same meaning as the SQL
 * operator: smaller is nearer.  cosine needs the norms (see vec_norm);
 * with a zero norm it returns NAN, as the operator does.
 */
extern double exact_distance(AnnMetric metric, const float *a, const float *b,
							 int dim, double norma, double normb);
extern double vec_norm(const float *a, int dim);

/*
 * RssAnon and VmHWM of process pid, in bytes, from /proc/PID/status; -1
 * where they cannot be read (another machine, or no permission).
 */
extern void proc_memory(long pid, long *anon, long *hwm);

/*
 * The labels of the filtered benchmark: c10 in [0,10) and c100 in
 * [0,100) for each of n base rows, drawn from a generator seeded with seed.
 */
extern void make_labels(uint64_t seed, long n, int32_t *c10, int32_t *c100);

/*
 * Open a CSV file for appending; when it does not exist yet, write the
 * header line (without its newline) first.
 */
extern FILE *csv_append(const char *name, const char *header);

/* One candidate of a k-nearest list */
typedef struct Neighbour
{
	double		d;
	int32_t		id;
} Neighbour;

/*
 * Offer (d, id) to the list top[0 .. *n - 1] of the k nearest so far,
 * sorted nearest first.  A NaN distance never enters, and on equal
 * distance the earlier offer stays ahead, so offering rows in id order
 * breaks ties towards the lower id.
 */
static inline void
topk_offer(Neighbour *top, int *n, int k, double d, int32_t id)
{
	int			i;

	if (!(d == d) || (*n == k && !(d < top[k - 1].d)))
		return;
	i = (*n < k) ? (*n)++ : k - 1;
	while (i > 0 && d < top[i - 1].d)
	{
		top[i] = top[i - 1];
		i--;
	}
	top[i].d = d;
	top[i].id = id;
}

/*
 * The exact answers to a query: its k nearest base rows among those that
 * have the query's label (when there are labels) and are not excluded.
 */
typedef struct ExactContext
{
	AnnMetric	metric;
	const FvecSet *base;
	const double *basenorm;		/* vec_norm of every base row */
	int			k;
	const int32_t *labels;		/* per base row, or NULL: no filter */
	const char *excluded;		/* per base row, nonzero: not a candidate;
								 * or NULL */
} ExactContext;

/* An ExactContext over base with labels and excluded NULL */
extern void exact_init(ExactContext *ctx, AnnMetric metric, const FvecSet *base,
					   int k);

/*
 * By brute force in double precision, the k nearest candidates of query qv
 * (norm qnorm; value: its label) into top, nearest first, ties to the
 * lower id; returns how many there are (fewer than k only when fewer rows
 * are candidates).
 */
extern int	exact_knn(const ExactContext *ctx, const float *qv, double qnorm,
					  int32_t value, Neighbour *top);

/*
 * How many of the nrows ids that query qv (norm qnorm) returned are hits.
 * An id is a hit if it is one of truth[0 .. ntrue - 1], or, when ntrue is
 * k, if its exact distance is no larger than that of truth[k - 1] (so that
 * ties at the boundary are not held against the index).  Repeated ids, ids
 * outside the base set and, with labels, rows whose label is not value
 * are misses.  (excluded is not consulted: the truth does the excluding.)
 */
extern int	recall_hits(const ExactContext *ctx, const float *qv, double qnorm,
						const int32_t *truth, int ntrue, const int32_t *ids,
						int nrows, int32_t value);

#endif							/* ANN_COMMON_H */

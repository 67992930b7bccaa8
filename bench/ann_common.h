/*-------------------------------------------------------------------------
 *
 * ann_common.h
 *	  Shared helpers of the ANN benchmark tools: errors, files in the
 *	  fvecs/ivecs layout, a seeded random generator and exact distances.
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

#endif							/* ANN_COMMON_H */

/*-------------------------------------------------------------------------
 *
 * test_kernels.c
 *	  Standalone test of every distance kernel set against a double
 *	  precision reference.
 *
 * For each kernel set the CPU supports (the others are reported as
 * skipped) and each of its four functions, this runs every dimension from
 * 1 to 300 and then 511, 512, 513, 768, 1536, 2000 and 16000, on seeded
 * random data and on adversarial data: wide dynamic range, a few elements
 * near 1e18, dense large values just short of overflow, subnormals, zeros,
 * identical vectors, small integers and overflow to infinity.  Each case
 * is run twice: once with both vectors ending right before an inaccessible
 * page (a read past the end crashes the test) and once 64-byte aligned.
 *
 * The error bound.  A kernel computes each term (d*d, a*b or |d|, with
 * d = a - b rounded to float4) with at most two roundings, and sums the n
 * terms in float4 in some order.  With u = FLT_EPSILON/2 the unit
 * roundoff, any summation order of n terms t_i errs by at most
 * (n-1)*u*sum|t_i| (Higham, "Accuracy and Stability of Numerical
 * Algorithms", 2nd ed., section 4.2), and the term roundings add at most
 * 2*u*sum|t_i|, so to first order
 *
 *		|got - ref| <= (n + 1) * u * sum|t_i|
 *
 * We test against (n + 2) * FLT_EPSILON * sum|t_i|, twice that, which also
 * covers the second-order terms.  Gradual underflow can lose up to
 * FLT_TRUE_MIN/2 absolutely per rounding, hence "+ 4 * n * FLT_TRUE_MIN".
 * The bound holds for the sequential scalar reference, so it holds for any
 * correct kernel, whatever its summation order.  It is loose for large n,
 * so dropped or doubled elements are caught by the integer cases instead:
 * small integers make every partial sum exact in float4, and the results
 * there must be equal to the reference bit for bit.  The data is built so
 * that sum|t_i| stays below FLT_MAX/2, where no partial sum can overflow;
 * the overflow cases state their expected infinity explicitly.
 *
 * Half kernels run the same dims (and 0) on their own patterns (any finite
 * half, subnormals, -0, 65504, infinities), checked against the same
 * reference and bound computed on the float4 widening of the halves; bit
 * kernels must match a byte-at-a-time count exactly.  Both also run at odd
 * offsets.  Then the sparse merges against a double reference, and the
 * halfutils.h conversions (see the comments at each).
 *
 * Output: one line per kernel set and function, then a last line
 * "N passed, N failed".  Exit status 1 if anything failed.
 *
 * Usage: test_kernels [seed]
 *
 * IDENTIFICATION
 *	  test/kernels/test_kernels.c
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/halfutils.h"
#include "../../src/hnsw_distance.h"

#define MAX_DIM			16000
#define MAX_REPORTS		8		/* failure details printed per test */

/* The functions under test; cosine_parts has three outputs */
typedef enum TestFunc
{
	FUNC_L2SQ,
	FUNC_DOT,
	FUNC_L1,
	FUNC_COSINE,
	NUM_FUNCS
} TestFunc;

static const char *const func_names[NUM_FUNCS] = {
	"l2sq", "dot", "l1", "cosine_parts"
};

/* Outputs: one per function, except three for cosine_parts */
typedef enum TestOutput
{
	OUT_L2SQ,
	OUT_DOT,
	OUT_L1,
	OUT_COS_DOT,
	OUT_COS_NORMA,
	OUT_COS_NORMB,
	NUM_OUTPUTS
} TestOutput;

static const char *const output_names[NUM_OUTPUTS] = {
	"l2sq", "dot", "l1", "cosine dot", "cosine |a|^2", "cosine |b|^2"
};

static const TestFunc output_func[NUM_OUTPUTS] = {
	FUNC_L2SQ, FUNC_DOT, FUNC_L1, FUNC_COSINE, FUNC_COSINE, FUNC_COSINE
};

/* What an output is checked against */
typedef enum Expect
{
	EXPECT_BOUND,				/* within the error bound of the reference */
	EXPECT_EXACT,				/* bit-for-bit equal to the reference */
	EXPECT_POS_INF,				/* +Infinity */
	EXPECT_NEG_INF,				/* -Infinity */
	EXPECT_NAN					/* NaN */
} Expect;

/* Data patterns */
typedef enum Pattern
{
	PAT_UNIFORM,				/* uniform in [-1, 1) */
	PAT_WIDE,					/* mixed signs, exponents 2^-30 .. 2^30 */
	PAT_SPARSE_BIG,				/* a few elements near +-1e18 */
	PAT_DENSE_LARGE,			/* all elements large, sum just safe */
	PAT_DENORMAL,				/* subnormals only */
	PAT_MIXED_DENORMAL,			/* a normal, b subnormal */
	PAT_ZERO_A,					/* a = 0, b random */
	PAT_ZEROS,					/* a = b = 0 */
	PAT_IDENTICAL,				/* b = a, random */
	PAT_OPPOSITE,				/* b = -a: dot cancels nothing, l2 = 4|a|^2 */
	PAT_INTEGER,				/* small integers: every sum exact */
	PAT_INF_ALL,				/* a = 3e38, b = -3e38 everywhere */
	PAT_INF_ONE,				/* one element 3e38 vs -3e38, rest small */
	PAT_INF_SAME,				/* one element 3e38 in both, rest small */
	NUM_PATTERNS
} Pattern;

static const char *const pattern_names[NUM_PATTERNS] = {
	"uniform", "wide", "sparse-big", "dense-large", "denormal",
	"mixed-denormal", "zero-a", "zeros", "identical", "opposite",
	"integer", "inf-all", "inf-one", "inf-same"
};

/* One kernel set's results for one function */
typedef struct FuncStats
{
	long		cases;			/* outputs checked */
	long		failures;
	double		worst;			/* largest |got - ref| / bound seen */
} FuncStats;

static uint64_t rng_state;

/* splitmix64: small, seedable, good enough for test data */
static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform double in [0, 1) */
static double
rng_unit(void)
{
	return (rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform double in [-1, 1) */
static double
rng_signed(void)
{
	return 2.0 * rng_unit() - 1.0;
}

static int
rng_int(int lo, int hi)
{
	return lo + (int) (rng_next() % (uint64_t) (hi - lo + 1));
}

/*
 * Allocate room for MAX_DIM floats followed by an inaccessible page, and
 * return the address of that page: a vector of n floats placed at
 * guard - n ends exactly at it.
 */
static float *
alloc_guarded(void)
{
	long		page = sysconf(_SC_PAGESIZE);
	size_t		body = ((MAX_DIM * sizeof(float) + 64 + page - 1) / page) * page;
	char	   *p;

	p = mmap(NULL, body + page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
	{
		perror("mmap");
		exit(2);
	}
	if (mprotect(p + body, page, PROT_NONE) != 0)
	{
		perror("mprotect");
		exit(2);
	}
	return (float *) (p + body);
}

/* Fill x[0..n) with pattern data; "which" is 0 for a and 1 for b */
static void
fill_random(float *x, int n, Pattern pat, int which)
{
	int			i;

	switch (pat)
	{
		case PAT_UNIFORM:
		case PAT_IDENTICAL:
		case PAT_OPPOSITE:
			for (i = 0; i < n; i++)
				x[i] = (float) rng_signed();
			break;
		case PAT_WIDE:
			for (i = 0; i < n; i++)
				x[i] = (float) ldexp(rng_signed(), rng_int(-30, 30));
			break;
		case PAT_SPARSE_BIG:
			{
				/* 8 terms of at most (2e18)^2 each stay below FLT_MAX/2 */
				int			nbig = n < 4 ? n : 4;

				for (i = 0; i < n; i++)
					x[i] = (float) rng_signed();
				for (i = 0; i < nbig; i++)
					x[rng_int(0, n - 1)] = (float) ((rng_unit() < 0.5 ? -1e18 : 1e18) *
													(0.5 + 0.5 * rng_unit()));
				break;
			}
		case PAT_DENSE_LARGE:
			{
				/* (a-b)^2 <= 4 s^2 = FLT_MAX / (4n): the sum stays below FLT_MAX/4 */
				double		s = sqrt(FLT_MAX / (16.0 * n));

				for (i = 0; i < n; i++)
					x[i] = (float) (s * rng_signed());
				break;
			}
		case PAT_DENORMAL:
			for (i = 0; i < n; i++)
				x[i] = (float) (FLT_MIN * rng_signed());
			break;
		case PAT_MIXED_DENORMAL:
			for (i = 0; i < n; i++)
				x[i] = (float) (which == 0 ? rng_signed() : FLT_MIN * rng_signed());
			break;
		case PAT_ZERO_A:
			for (i = 0; i < n; i++)
				x[i] = which == 0 ? 0.0f : (float) rng_signed();
			break;
		case PAT_ZEROS:
			for (i = 0; i < n; i++)
				x[i] = (i % 3 == 0) ? -0.0f : 0.0f;
			break;
		case PAT_INTEGER:
			/* |a-b| <= 16: l2sq <= 256 * 16000 < 2^24, so sums are exact */
			for (i = 0; i < n; i++)
				x[i] = (float) rng_int(-8, 8);
			break;
		case PAT_INF_ALL:
			for (i = 0; i < n; i++)
				x[i] = which == 0 ? 3e38f : -3e38f;
			break;
		case PAT_INF_ONE:
		case PAT_INF_SAME:
			for (i = 0; i < n; i++)
				x[i] = (float) rng_signed();
			break;
		case NUM_PATTERNS:
			break;
	}
}

/*
 * Make the pair (a, b) for a pattern and say what each output must be.
 */
static void
make_case(float *a, float *b, int n, Pattern pat, Expect expect[NUM_OUTPUTS])
{
	int			i;

	for (i = 0; i < NUM_OUTPUTS; i++)
		expect[i] = EXPECT_BOUND;

	fill_random(a, n, pat, 0);
	fill_random(b, n, pat, 1);

	switch (pat)
	{
		case PAT_IDENTICAL:
			memcpy(b, a, n * sizeof(float));
			/* a - a is exactly 0 */
			expect[OUT_L2SQ] = EXPECT_EXACT;
			expect[OUT_L1] = EXPECT_EXACT;
			break;
		case PAT_OPPOSITE:
			for (i = 0; i < n; i++)
				b[i] = -a[i];
			break;
		case PAT_ZEROS:
			for (i = 0; i < NUM_OUTPUTS; i++)
				expect[i] = EXPECT_EXACT;
			break;
		case PAT_INTEGER:
			for (i = 0; i < NUM_OUTPUTS; i++)
				expect[i] = EXPECT_EXACT;
			break;
		case PAT_INF_ALL:
			expect[OUT_L2SQ] = EXPECT_POS_INF;
			expect[OUT_DOT] = EXPECT_NEG_INF;
			expect[OUT_L1] = EXPECT_POS_INF;
			expect[OUT_COS_DOT] = EXPECT_NEG_INF;
			expect[OUT_COS_NORMA] = EXPECT_POS_INF;
			expect[OUT_COS_NORMB] = EXPECT_POS_INF;
			break;
		case PAT_INF_ONE:
			{
				int			p = rng_int(0, n - 1);

				/* a-b = 6e38 overflows; so does every product at p */
				a[p] = 3e38f;
				b[p] = -3e38f;
				expect[OUT_L2SQ] = EXPECT_POS_INF;
				expect[OUT_DOT] = EXPECT_NEG_INF;
				expect[OUT_L1] = EXPECT_POS_INF;
				expect[OUT_COS_DOT] = EXPECT_NEG_INF;
				expect[OUT_COS_NORMA] = EXPECT_POS_INF;
				expect[OUT_COS_NORMB] = EXPECT_POS_INF;
				break;
			}
		case PAT_INF_SAME:
			{
				int			p = rng_int(0, n - 1);

				/* a-b is 0 at p, so l2sq and l1 stay finite */
				a[p] = 3e38f;
				b[p] = 3e38f;
				expect[OUT_DOT] = EXPECT_POS_INF;
				expect[OUT_COS_DOT] = EXPECT_POS_INF;
				expect[OUT_COS_NORMA] = EXPECT_POS_INF;
				expect[OUT_COS_NORMB] = EXPECT_POS_INF;
				break;
			}
		default:
			break;
	}
}

/*
 * Double precision reference for every output: ref[] gets the sum of the
 * exact terms, sumabs[] the sum of their absolute values.
 */
static void
reference(const float *a, const float *b, int n,
		  double ref[NUM_OUTPUTS], double sumabs[NUM_OUTPUTS])
{
	int			i;

	for (i = 0; i < NUM_OUTPUTS; i++)
		ref[i] = sumabs[i] = 0.0;

	for (i = 0; i < n; i++)
	{
		double		x = a[i];
		double		y = b[i];
		double		d = x - y;

		ref[OUT_L2SQ] += d * d;
		sumabs[OUT_L2SQ] += d * d;
		ref[OUT_DOT] += x * y;
		sumabs[OUT_DOT] += fabs(x * y);
		ref[OUT_L1] += fabs(d);
		sumabs[OUT_L1] += fabs(d);
		ref[OUT_COS_NORMA] += x * x;
		sumabs[OUT_COS_NORMA] += x * x;
		ref[OUT_COS_NORMB] += y * y;
		sumabs[OUT_COS_NORMB] += y * y;
	}
	ref[OUT_COS_DOT] = ref[OUT_DOT];
	sumabs[OUT_COS_DOT] = sumabs[OUT_DOT];
}

/* The error bound described in the header comment */
static double
error_bound(int n, double sumabs)
{
	return (n + 2) * (double) FLT_EPSILON * sumabs + 4.0 * n * (double) FLT_TRUE_MIN;
}

/*
 * Check one output; returns 1 if it passes.  *ratio gets |got - ref| /
 * bound for EXPECT_BOUND, 0 otherwise.
 */
static int
check_output(float got, double ref, double sumabs, int n, Expect expect,
			 double *ratio, char *why, size_t whylen)
{
	double		bound;
	double		err;

	*ratio = 0.0;
	switch (expect)
	{
		case EXPECT_POS_INF:
			if (isinf(got) && got > 0)
				return 1;
			snprintf(why, whylen, "got %.9g, expected +Infinity", got);
			return 0;
		case EXPECT_NEG_INF:
			if (isinf(got) && got < 0)
				return 1;
			snprintf(why, whylen, "got %.9g, expected -Infinity", got);
			return 0;
		case EXPECT_NAN:
			if (isnan(got))
				return 1;
			snprintf(why, whylen, "got %.9g, expected NaN", got);
			return 0;
		case EXPECT_EXACT:
			if ((double) got == ref)
				return 1;
			snprintf(why, whylen, "got %.9g, expected exactly %.17g", got, ref);
			return 0;
		case EXPECT_BOUND:
			break;
	}

	/* The test data must stay out of the range where overflow can occur */
	if (!(sumabs < FLT_MAX / 2))
	{
		snprintf(why, whylen, "test data error: sum|t| = %g may overflow", sumabs);
		return 0;
	}
	if (!isfinite(got))
	{
		snprintf(why, whylen, "got %.9g, expected %.17g", got, ref);
		return 0;
	}
	bound = error_bound(n, sumabs);
	err = fabs((double) got - ref);
	*ratio = err / bound;
	if (err <= bound)
		return 1;
	snprintf(why, whylen, "got %.9g, expected %.17g, error %.3g > bound %.3g",
			 got, ref, err, bound);
	return 0;
}

/*
 * Run every dimension and pattern through one kernel set and accumulate
 * results per function into stats[].
 */
static void
test_kernel_set(const HnswKernels *k, float *guard_a, float *guard_b,
				float *aligned_a, float *aligned_b, FuncStats stats[NUM_FUNCS])
{
	static const int extra_dims[] = {511, 512, 513, 768, 1536, 2000, 16000};
	int			ndims = 300 + (int) (sizeof(extra_dims) / sizeof(extra_dims[0]));
	long		reports[NUM_FUNCS] = {0};

	for (int di = 0; di < ndims; di++)
	{
		int			n = di < 300 ? di + 1 : extra_dims[di - 300];

		for (int pat = 0; pat < NUM_PATTERNS; pat++)
		{
			/* The same data for every kernel set: seed from (n, pattern) */
			uint64_t	saved = rng_state;

			rng_state ^= (uint64_t) n * 1000003u + (uint64_t) pat * 7919u;

			for (int place = 0; place < 2; place++)
			{
				float	   *a,
						   *b;
				Expect		expect[NUM_OUTPUTS];
				double		ref[NUM_OUTPUTS];
				double		sumabs[NUM_OUTPUTS];
				float		got[NUM_OUTPUTS];

				if (place == 0)
				{
					/* both end right before an inaccessible page */
					a = guard_a - n;
					b = guard_b - n;
				}
				else
				{
					/* a 64-byte aligned, b 4 bytes past that */
					a = aligned_a;
					b = aligned_b + 1;
				}
				make_case(a, b, n, (Pattern) pat, expect);
				reference(a, b, n, ref, sumabs);

				got[OUT_L2SQ] = k->l2sq(a, b, n);
				got[OUT_DOT] = k->dot(a, b, n);
				got[OUT_L1] = k->l1(a, b, n);
				k->cosine_parts(a, b, n, &got[OUT_COS_DOT],
								&got[OUT_COS_NORMA], &got[OUT_COS_NORMB]);

				for (int o = 0; o < NUM_OUTPUTS; o++)
				{
					TestFunc	f = output_func[o];
					double		ratio;
					char		why[200];

					stats[f].cases++;
					if (check_output(got[o], ref[o], sumabs[o], n, expect[o],
									 &ratio, why, sizeof(why)))
					{
						if (ratio > stats[f].worst)
							stats[f].worst = ratio;
						continue;
					}
					stats[f].failures++;
					if (reports[f]++ < MAX_REPORTS)
						printf("  %s %s: n=%d pattern=%s %s: %s\n",
							   k->name, output_names[o], n, pattern_names[pat],
							   place == 0 ? "at-page-end" : "aligned", why);
				}

				/* With b = a, the three cosine sums are the same computation */
				if (pat == PAT_IDENTICAL &&
					!(got[OUT_COS_DOT] == got[OUT_COS_NORMA] &&
					  got[OUT_COS_DOT] == got[OUT_COS_NORMB]))
				{
					stats[FUNC_COSINE].failures++;
					if (reports[FUNC_COSINE]++ < MAX_REPORTS)
						printf("  %s cosine_parts: n=%d identical vectors give "
							   "dot %.9g, norms %.9g and %.9g\n",
							   k->name, n, got[OUT_COS_DOT],
							   got[OUT_COS_NORMA], got[OUT_COS_NORMB]);
				}
			}
			rng_state = saved;
		}
	}
}

/*
 * Half kernels
 *
 * The half kernels are tested like the float4 ones, on the float4
 * widening of their operands: the reference is reference() over the
 * widened values, and the bound is the same, since widening is exact and
 * the sums are then the same float4 sums.  Finite halves cannot make a
 * float4 sum overflow (the largest term, (65504 + 65504)^2, is about
 * 1.7e10, so 16000 of them stay near 2.7e14), so the infinite results
 * come from infinite halves.  Dims are those of the float4 tests, and 0.
 */

/* Half data patterns */
typedef enum HalfPattern
{
	HPAT_UNIFORM,				/* uniform in [-1, 1), rounded to half */
	HPAT_ANY_FINITE,			/* uniform over all finite bit patterns */
	HPAT_WIDE,					/* mixed signs, exponents 2^-24 .. 2^15 */
	HPAT_SUBNORMAL,				/* subnormals and zeros only */
	HPAT_MIXED_SUBNORMAL,		/* a normal, b subnormal */
	HPAT_ZEROS,					/* +0 and -0: exact */
	HPAT_IDENTICAL,				/* b = a, any finite */
	HPAT_OPPOSITE,				/* b = -a */
	HPAT_INTEGER,				/* small integers: exact */
	HPAT_MAX,					/* +-65504 everywhere */
	HPAT_INF_ONE,				/* one element +inf vs -inf */
	HPAT_INF_SAME,				/* one element +inf in both: inf - inf */
	NUM_HALF_PATTERNS
} HalfPattern;

static const char *const half_pattern_names[NUM_HALF_PATTERNS] = {
	"uniform", "any-finite", "wide", "subnormal", "mixed-subnormal", "zeros",
	"identical", "opposite", "integer", "max", "inf-one", "inf-same"
};

/* A random finite half bit pattern */
static uint16_t
rng_half_finite(void)
{
	for (;;)
	{
		uint16_t	h = (uint16_t) rng_next();

		if ((h & 0x7C00) != 0x7C00)
			return h;
	}
}

static void
fill_half(uint16_t *x, int n, HalfPattern pat, int which)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		uint16_t	h = 0;

		switch (pat)
		{
			case HPAT_UNIFORM:
			case HPAT_INF_ONE:
			case HPAT_INF_SAME:
				h = Float4ToHalf((float) rng_signed());
				break;
			case HPAT_ANY_FINITE:
			case HPAT_IDENTICAL:
			case HPAT_OPPOSITE:
				h = rng_half_finite();
				break;
			case HPAT_WIDE:
				h = Float4ToHalf((float) ldexp(rng_signed(), rng_int(-23, 15)));
				break;
			case HPAT_SUBNORMAL:
				h = (uint16_t) (rng_next() & 0x83FF);
				break;
			case HPAT_MIXED_SUBNORMAL:
				h = which == 0 ? Float4ToHalf((float) rng_signed())
					: (uint16_t) (rng_next() & 0x83FF);
				break;
			case HPAT_ZEROS:
				h = (i % 3 == 0) ? 0x8000 : 0x0000;
				break;
			case HPAT_INTEGER:
				h = Float4ToHalf((float) rng_int(-8, 8));
				break;
			case HPAT_MAX:
				h = (rng_next() & 1) ? 0x7BFF : 0xFBFF;
				break;
			case NUM_HALF_PATTERNS:
				break;
		}
		x[i] = h;
	}
}

static void
make_half_case(uint16_t *a, uint16_t *b, int n, HalfPattern pat,
			   Expect expect[NUM_OUTPUTS])
{
	int			i;

	for (i = 0; i < NUM_OUTPUTS; i++)
		expect[i] = (n == 0) ? EXPECT_EXACT : EXPECT_BOUND;

	fill_half(a, n, pat, 0);
	fill_half(b, n, pat, 1);
	if (n == 0)
		return;

	switch (pat)
	{
		case HPAT_IDENTICAL:
			memcpy(b, a, n * sizeof(uint16_t));
			expect[OUT_L2SQ] = EXPECT_EXACT;
			expect[OUT_L1] = EXPECT_EXACT;
			break;
		case HPAT_OPPOSITE:
			for (i = 0; i < n; i++)
				b[i] = a[i] ^ 0x8000;
			break;
		case HPAT_ZEROS:
		case HPAT_INTEGER:
			for (i = 0; i < NUM_OUTPUTS; i++)
				expect[i] = EXPECT_EXACT;
			break;
		case HPAT_INF_ONE:
			{
				int			p = rng_int(0, n - 1);

				a[p] = HALF_POS_INF;
				b[p] = HALF_POS_INF | 0x8000;
				expect[OUT_L2SQ] = EXPECT_POS_INF;
				expect[OUT_DOT] = EXPECT_NEG_INF;
				expect[OUT_L1] = EXPECT_POS_INF;
				expect[OUT_COS_DOT] = EXPECT_NEG_INF;
				expect[OUT_COS_NORMA] = EXPECT_POS_INF;
				expect[OUT_COS_NORMB] = EXPECT_POS_INF;
				break;
			}
		case HPAT_INF_SAME:
			{
				int			p = rng_int(0, n - 1);

				/* inf - inf is NaN, and NaN stays NaN through any sum */
				a[p] = HALF_POS_INF;
				b[p] = HALF_POS_INF;
				expect[OUT_L2SQ] = EXPECT_NAN;
				expect[OUT_DOT] = EXPECT_POS_INF;
				expect[OUT_L1] = EXPECT_NAN;
				expect[OUT_COS_DOT] = EXPECT_POS_INF;
				expect[OUT_COS_NORMA] = EXPECT_POS_INF;
				expect[OUT_COS_NORMB] = EXPECT_POS_INF;
				break;
			}
		default:
			break;
	}
}

/*
 * Run every dimension and half pattern through one kernel set's half
 * kernels.  Three placements: both vectors ending right before an
 * inaccessible page; a 64-byte aligned and b one half past that; a five
 * and b three halves past alignment.
 */
static void
test_half_set(const HnswKernels *k, float *guard_a, float *guard_b,
			  float *aligned_a, float *aligned_b, float *wa, float *wb,
			  FuncStats stats[NUM_FUNCS])
{
	static const int extra_dims[] = {0, 511, 512, 513, 768, 1536, 2000, 16000};
	int			nextra = (int) (sizeof(extra_dims) / sizeof(extra_dims[0]));
	long		reports[NUM_FUNCS] = {0};

	for (int di = 0; di < 300 + nextra; di++)
	{
		int			n = di < 300 ? di + 1 : extra_dims[di - 300];

		for (int pat = 0; pat < NUM_HALF_PATTERNS; pat++)
		{
			uint64_t	saved = rng_state;

			rng_state ^= (uint64_t) n * 1000003u + (uint64_t) pat * 7919u + 17u;

			for (int place = 0; place < 3; place++)
			{
				uint16_t   *a,
						   *b;
				Expect		expect[NUM_OUTPUTS];
				double		ref[NUM_OUTPUTS];
				double		sumabs[NUM_OUTPUTS];
				float		got[NUM_OUTPUTS];

				if (place == 0)
				{
					a = (uint16_t *) guard_a - n;
					b = (uint16_t *) guard_b - n;
				}
				else if (place == 1)
				{
					a = (uint16_t *) aligned_a;
					b = (uint16_t *) aligned_b + 1;
				}
				else
				{
					a = (uint16_t *) aligned_a + 5;
					b = (uint16_t *) aligned_b + 3;
				}
				make_half_case(a, b, n, (HalfPattern) pat, expect);
				for (int i = 0; i < n; i++)
				{
					wa[i] = HalfToFloat4(a[i]);
					wb[i] = HalfToFloat4(b[i]);
				}
				reference(wa, wb, n, ref, sumabs);

				got[OUT_L2SQ] = k->half_l2sq(a, b, n);
				got[OUT_DOT] = k->half_dot(a, b, n);
				got[OUT_L1] = k->half_l1(a, b, n);
				k->half_cosine_parts(a, b, n, &got[OUT_COS_DOT],
									 &got[OUT_COS_NORMA], &got[OUT_COS_NORMB]);

				for (int o = 0; o < NUM_OUTPUTS; o++)
				{
					TestFunc	f = output_func[o];
					double		ratio;
					char		why[200];

					stats[f].cases++;
					if (check_output(got[o], ref[o], sumabs[o], n, expect[o],
									 &ratio, why, sizeof(why)))
					{
						if (ratio > stats[f].worst)
							stats[f].worst = ratio;
						continue;
					}
					stats[f].failures++;
					if (reports[f]++ < MAX_REPORTS)
						printf("  %s half_%s: n=%d pattern=%s place=%d: %s\n",
							   k->name, output_names[o], n,
							   half_pattern_names[pat], place, why);
				}

				if (pat == HPAT_IDENTICAL &&
					!(got[OUT_COS_DOT] == got[OUT_COS_NORMA] &&
					  got[OUT_COS_DOT] == got[OUT_COS_NORMB]))
				{
					stats[FUNC_COSINE].failures++;
					if (reports[FUNC_COSINE]++ < MAX_REPORTS)
						printf("  %s half_cosine_parts: n=%d identical vectors give "
							   "dot %.9g, norms %.9g and %.9g\n",
							   k->name, n, got[OUT_COS_DOT],
							   got[OUT_COS_NORMA], got[OUT_COS_NORMB]);
				}
			}
			rng_state = saved;
		}
	}
}


/*
 * Bit kernels
 *
 * Counts must equal a byte-at-a-time reference exactly.  The lengths in
 * bytes are the dims of the float4 tests, and 0; each case is placed at
 * the end of a page, aligned, and at odd offsets (1 and 3 bytes).
 */

typedef enum BitPattern
{
	BPAT_RANDOM,				/* random bytes */
	BPAT_SPARSE,				/* a few set bits */
	BPAT_ONES_ZEROS,			/* a all ones, b all zeros */
	BPAT_ONES,					/* both all ones */
	BPAT_IDENTICAL,				/* b = a, random */
	BPAT_COMPLEMENT,			/* b = ~a */
	BPAT_LAST_BYTE,				/* zeros except the last byte */
	NUM_BIT_PATTERNS
} BitPattern;

static const char *const bit_pattern_names[NUM_BIT_PATTERNS] = {
	"random", "sparse", "ones-zeros", "ones", "identical", "complement",
	"last-byte"
};

typedef enum BitOutput
{
	BOUT_HAMMING,
	BOUT_AND,
	BOUT_OR,
	NUM_BIT_OUTPUTS
} BitOutput;

static const char *const bit_output_names[NUM_BIT_OUTPUTS] = {
	"hamming", "and_or (and)", "and_or (or)"
};

/* Bits set in a byte, from a table of nibbles: no popcount builtin */
static int
ref_popcount8(unsigned char x)
{
	static const unsigned char nibble[16] = {
		0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4
	};

	return nibble[x & 15] + nibble[x >> 4];
}

static void
make_bit_case(unsigned char *a, unsigned char *b, size_t nb, BitPattern pat)
{
	size_t		i;

	for (i = 0; i < nb; i++)
	{
		a[i] = (unsigned char) rng_next();
		b[i] = (unsigned char) rng_next();
	}
	switch (pat)
	{
		case BPAT_RANDOM:
			break;
		case BPAT_SPARSE:
			memset(a, 0, nb);
			memset(b, 0, nb);
			for (i = 0; nb > 0 && i < 6; i++)
			{
				a[rng_int(0, (int) nb - 1)] |= (unsigned char) (1 << rng_int(0, 7));
				b[rng_int(0, (int) nb - 1)] |= (unsigned char) (1 << rng_int(0, 7));
			}
			break;
		case BPAT_ONES_ZEROS:
			memset(a, 0xFF, nb);
			memset(b, 0, nb);
			break;
		case BPAT_ONES:
			memset(a, 0xFF, nb);
			memset(b, 0xFF, nb);
			break;
		case BPAT_IDENTICAL:
			memcpy(b, a, nb);
			break;
		case BPAT_COMPLEMENT:
			for (i = 0; i < nb; i++)
				b[i] = (unsigned char) ~a[i];
			break;
		case BPAT_LAST_BYTE:
			memset(a, 0, nb);
			memset(b, 0, nb);
			if (nb > 0)
			{
				a[nb - 1] = 0x81;
				b[nb - 1] = 0x0F;
			}
			break;
		case NUM_BIT_PATTERNS:
			break;
	}
}

/* Returns the number of failed checks; counts checks into *checks */
static long
test_bit_set(const HnswKernels *k, float *guard_a, float *guard_b,
			 float *aligned_a, float *aligned_b, long *checks)
{
	static const int extra_dims[] = {0, 511, 512, 513, 768, 1536, 2000, 16000};
	int			nextra = (int) (sizeof(extra_dims) / sizeof(extra_dims[0]));
	long		failures = 0;

	for (int di = 0; di < 300 + nextra; di++)
	{
		size_t		nb = (size_t) (di < 300 ? di + 1 : extra_dims[di - 300]);

		for (int pat = 0; pat < NUM_BIT_PATTERNS; pat++)
		{
			uint64_t	saved = rng_state;

			rng_state ^= (uint64_t) nb * 1000003u + (uint64_t) pat * 7919u + 29u;

			for (int place = 0; place < 3; place++)
			{
				unsigned char *a,
						   *b;
				uint64_t	ref[NUM_BIT_OUTPUTS] = {0};
				uint64_t	got[NUM_BIT_OUTPUTS];

				if (place == 0)
				{
					a = (unsigned char *) guard_a - nb;
					b = (unsigned char *) guard_b - nb;
				}
				else if (place == 1)
				{
					a = (unsigned char *) aligned_a;
					b = (unsigned char *) aligned_b + 1;
				}
				else
				{
					a = (unsigned char *) aligned_a + 3;
					b = (unsigned char *) aligned_b + 1;
				}
				make_bit_case(a, b, nb, (BitPattern) pat);
				for (size_t i = 0; i < nb; i++)
				{
					ref[BOUT_HAMMING] += ref_popcount8(a[i] ^ b[i]);
					ref[BOUT_AND] += ref_popcount8(a[i] & b[i]);
					ref[BOUT_OR] += ref_popcount8(a[i] | b[i]);
				}
				got[BOUT_HAMMING] = k->bit_hamming(a, b, nb);
				k->bit_and_or(a, b, nb, &got[BOUT_AND], &got[BOUT_OR]);

				for (int o = 0; o < NUM_BIT_OUTPUTS; o++)
				{
					(*checks)++;
					if (got[o] == ref[o])
						continue;
					if (failures++ < MAX_REPORTS)
						printf("  %s bit %s: nbytes=%zu pattern=%s place=%d: "
							   "got %llu, expected %llu\n",
							   k->name, bit_output_names[o], nb,
							   bit_pattern_names[pat], place,
							   (unsigned long long) got[o],
							   (unsigned long long) ref[o]);
				}
			}
			rng_state = saved;
		}
	}
	return failures;
}


/*
 * Sparse merges
 *
 * HnswSparseL2sq/Dot/L1 on random pairs of sparse vectors (indices drawn
 * from a dimension a few times larger than the number of entries, so that
 * some are shared and some are not; empty vectors too), and
 * HnswSparseDotDense against the dense form of the second vector.  The
 * reference sums the exact terms in double; the bound is error_bound()
 * with n = na + nb terms (a merge adds at most that many, each with at
 * most two roundings).  Small integer values must give exact results.
 */

/* Ascending distinct indices in [0, dim): a random subset of size nnz */
static void
sparse_indices(int32_t *idx, int nnz, int dim)
{
	int			chosen = 0;

	/* selection sampling (Knuth, TAOCP vol. 2, Algorithm S) */
	for (int i = 0; i < dim && chosen < nnz; i++)
		if ((uint64_t) (rng_next() % (uint64_t) (dim - i)) < (uint64_t) (nnz - chosen))
			idx[chosen++] = i;
}

static long
test_sparse(long *checks)
{
	enum
	{
		S_MAX = 2000
	};
	static int32_t ia[S_MAX],
				ib[S_MAX];
	static float va[S_MAX],
				vb[S_MAX];
	static float dense[4 * S_MAX];
	static const char *const names[4] = {"l2sq", "dot", "l1", "dot_dense"};
	long		failures = 0;

	for (int iter = 0; iter < 4000; iter++)
	{
		int			integer = iter % 4 == 3;
		int			na = iter < 40 ? iter % 5 : rng_int(0, iter % 10 == 0 ? S_MAX : 300);
		int			nb = iter < 40 ? iter / 5 % 5 : rng_int(0, iter % 10 == 0 ? S_MAX : 300);
		int			dim = (na > nb ? na : nb) + rng_int(1, 3 * (na > nb ? na : nb) + 1);
		double		ref[4] = {0},
					sumabs[4] = {0};
		float		got[4];
		int			i,
					j;

		sparse_indices(ia, na, dim);
		sparse_indices(ib, nb, dim);
		for (i = 0; i < na; i++)
			va[i] = integer ? (float) rng_int(-8, 8) : (float) ldexp(rng_signed(), rng_int(-10, 10));
		for (j = 0; j < nb; j++)
			vb[j] = integer ? (float) rng_int(-8, 8) : (float) ldexp(rng_signed(), rng_int(-10, 10));

		/* reference: walk the dense forms */
		memset(dense, 0, dim * sizeof(float));
		for (j = 0; j < nb; j++)
			dense[ib[j]] = vb[j];
		for (i = 0, j = 0; i < na || j < nb;)
		{
			double		x = 0,
						y = 0;

			if (j >= nb || (i < na && ia[i] < ib[j]))
				x = va[i++];
			else if (i >= na || ib[j] < ia[i])
				y = vb[j++];
			else
			{
				x = va[i++];
				y = vb[j++];
			}
			ref[0] += (x - y) * (x - y);
			sumabs[0] += (x - y) * (x - y);
			ref[1] += x * y;
			sumabs[1] += fabs(x * y);
			ref[2] += fabs(x - y);
			sumabs[2] += fabs(x - y);
		}
		ref[3] = ref[1];
		sumabs[3] = sumabs[1];

		got[0] = HnswSparseL2sq(ia, va, na, ib, vb, nb);
		got[1] = HnswSparseDot(ia, va, na, ib, vb, nb);
		got[2] = HnswSparseL1(ia, va, na, ib, vb, nb);
		got[3] = HnswSparseDotDense(ia, va, na, dense);

		for (int o = 0; o < 4; o++)
		{
			double		ratio;
			char		why[200];

			(*checks)++;
			if (check_output(got[o], ref[o], sumabs[o], na + nb,
							 integer ? EXPECT_EXACT : EXPECT_BOUND,
							 &ratio, why, sizeof(why)))
				continue;
			if (failures++ < MAX_REPORTS)
				printf("  sparse %s: na=%d nb=%d dim=%d: %s\n",
					   names[o], na, nb, dim, why);
		}
	}
	return failures;
}


/*
 * halfutils.h conversions
 *
 * HalfToFloat4 on all 65536 bit patterns against a decoding done in
 * double with ldexp, and Float4ToHalf back to the same pattern (NaNs only
 * need to stay NaNs of the same sign).  Float4ToHalf against a reference
 * that rounds in double: scale |f| by the half quantum of its binade,
 * rint() (round to nearest, ties to even, in the default floating-point
 * environment), scale back, and encode; 65536 and above is infinity.  The
 * floats tried: every tie between two adjacent halves (including the one
 * between 65504 and 65536) and the floats on either side of it; every
 * float binade from 2^-40 to 2^17 with every choice of the ten mantissa
 * bits a half keeps and several choices of the thirteen it drops (0, 1,
 * just below half, half, just above half, all ones); every 4099th float
 * bit pattern; and the named edge values.  All with both signs.
 */

/* The value of a half, decoded independently of halfutils.h */
static double
ref_half_value(uint16_t h)
{
	int			e = (h >> 10) & 0x1F;
	int			m = h & 0x3FF;
	double		v;

	if (e == 0x1F)
		v = m ? NAN : INFINITY;
	else if (e == 0)
		v = ldexp(m, -24);
	else
		v = ldexp(1024 + m, e - 25);
	return (h & 0x8000) ? -v : v;
}

/* Round a finite or infinite float to a half in double arithmetic */
static uint16_t
ref_float_to_half(float f)
{
	uint16_t	sign = signbit(f) ? 0x8000 : 0;
	double		x = fabs((double) f);
	double		q,
				r;
	int			e;

	if (isinf(x))
		return sign | 0x7C00;
	if (x == 0)
		return sign;
	(void) frexp(x, &e);		/* 2^(e-1) <= x < 2^e */
	/* the quantum: 2^(e-1-10) for normal halves, 2^-24 below 2^-14 */
	q = ldexp(1.0, (e - 11) < -24 ? -24 : e - 11);
	r = rint(x / q) * q;
	if (r >= 65536.0)
		return sign | 0x7C00;
	if (r < ldexp(1.0, -14))
		return sign | (uint16_t) (r / ldexp(1.0, -24));
	(void) frexp(r, &e);
	return sign | (uint16_t) (((e - 1 + 15) << 10) |
							  (int) (r / ldexp(1.0, e - 11) - 1024));
}

static void
check_float_to_half(float f, long *checks, long *failures)
{
	uint16_t	got,
				want;

	for (int s = 0; s < 2; s++, f = -f)
	{
		(*checks)++;
		got = Float4ToHalf(f);
		if (isnan(f))
		{
			if (HalfIsNan(got) && ((got & 0x8000) != 0) == (signbit(f) != 0))
				continue;
			want = 0x7E00;
		}
		else
		{
			want = ref_float_to_half(f);
			if (got == want)
				continue;
		}
		if ((*failures)++ < MAX_REPORTS)
			printf("  Float4ToHalf(%a): got 0x%04x, expected 0x%04x\n",
				   f, got, want);
	}
}

static long
test_halfutils(long *checks)
{
	static const float edges[] = {
		0.0f, 1.0f, 65504.0f, 65519.99609375f, 65520.0f, 65535.0f, 65536.0f,
		1e5f, FLT_MAX, INFINITY, NAN, FLT_MIN, FLT_TRUE_MIN,
		0x1p-14f, 0x1p-15f, 0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x1.fffffep-26f,
		0x1.8p-24f, 0x1.8p-23f, 0x1.ff8p-15f, 0x1.ffcp-15f, 0x1.ffep-15f,
		2048.0f, 2049.0f, 2050.0f, 2051.0f, 4097.0f, 4098.0f
	};
	static const uint32_t low13[] = {0, 1, 0x0FFF, 0x1000, 0x1001, 0x1FFF};
	long		failures = 0;

	/* all 65536 halves: decode, and back */
	for (uint32_t h = 0; h < 65536; h++)
	{
		float		f = HalfToFloat4((uint16_t) h);
		double		want = ref_half_value((uint16_t) h);
		uint16_t	back = Float4ToHalf(f);
		int			ok;

		(*checks)++;
		if (isnan(want))
			ok = isnan(f) && !signbit(f) == !signbit(want) &&
				HalfIsNan(back) && (back & 0x8000) == (h & 0x8000) &&
				HalfIsNan((uint16_t) h) && !HalfIsInf((uint16_t) h);
		else
			ok = (double) f == want && !signbit(f) == !signbit(want) &&
				back == h && !HalfIsNan((uint16_t) h) &&
				HalfIsInf((uint16_t) h) == (isinf(want) != 0);
		if (!ok && failures++ < MAX_REPORTS)
			printf("  half 0x%04x: HalfToFloat4 %a (expected %a), back 0x%04x\n",
				   h, f, want, back);
	}

	/* every tie between adjacent positive halves, and its neighbours */
	for (uint32_t h = 0; h < 0x7C00; h++)
	{
		double		lo = ref_half_value((uint16_t) h);
		double		hi = h + 1 < 0x7C00 ? ref_half_value((uint16_t) (h + 1)) : 65536.0;
		float		mid = (float) ((lo + hi) / 2);	/* exact: 12 bits */

		check_float_to_half(mid, checks, &failures);
		check_float_to_half(nextafterf(mid, 0.0f), checks, &failures);
		check_float_to_half(nextafterf(mid, INFINITY), checks, &failures);
	}

	/* float binades 2^-40 .. 2^17, all kept bits, some dropped ones */
	for (uint32_t e = 127 - 40; e <= 127 + 17; e++)
		for (uint32_t m = 0; m < 1024; m++)
			for (size_t l = 0; l < sizeof(low13) / sizeof(low13[0]); l++)
			{
				uint32_t	u = (e << 23) | (m << 13) | low13[l];
				float		f;

				memcpy(&f, &u, sizeof(f));
				check_float_to_half(f, checks, &failures);
			}

	/* a stride through all float bit patterns (both signs come anyway) */
	for (uint64_t u = 0; u < ((uint64_t) 1 << 31); u += 4099)
	{
		uint32_t	u32 = (uint32_t) u;
		float		f;

		memcpy(&f, &u32, sizeof(f));
		check_float_to_half(f, checks, &failures);
	}

	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check_float_to_half(edges[i], checks, &failures);

	return failures;
}

/* Print and count one summary line */
static void
report(int *passed, int *failed, const char *what, long checks, long failures)
{
	printf("%s %s: %ld checks, %ld failed\n", failures ? "FAIL" : "ok  ",
		   what, checks, failures);
	if (failures)
		(*failed)++;
	else
		(*passed)++;
}

/*
 * Check the dispatch: HnswKernelsInit() picks the best supported set, the
 * feature detection agrees with the compiler's own (on x86-64), Get and
 * Select behave as declared.  Returns the number of problems found.
 */
static int
test_dispatch(void)
{
	static const HnswKernelKind order[] = {
		HNSW_KERNEL_AVX512, HNSW_KERNEL_AVX2, HNSW_KERNEL_NEON, HNSW_KERNEL_SCALAR
	};
	int			bad = 0;
	HnswKernelKind best = HNSW_KERNEL_SCALAR;
	const HnswKernels *before;

	HnswKernelsInit();

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (HnswKernelSupported(order[i]))
		{
			best = order[i];
			break;
		}
	if (hnsw_kernels == NULL || hnsw_kernels->kind != best)
	{
		printf("  dispatch: HnswKernelsInit selected %s\n",
			   hnsw_kernels ? hnsw_kernels->name : "nothing");
		bad++;
	}
	if (HnswKernelsGet(HNSW_KERNEL_AUTO) != hnsw_kernels)
	{
		printf("  dispatch: HnswKernelsGet(AUTO) is not the selected set\n");
		bad++;
	}
	if (!HnswKernelSupported(HNSW_KERNEL_AUTO) ||
		!HnswKernelSupported(HNSW_KERNEL_SCALAR))
	{
		printf("  dispatch: AUTO or SCALAR reported unsupported\n");
		bad++;
	}

#if defined(__x86_64__)
	/* gcc and clang check the same CPUID and XCR0 bits in libgcc/compiler-rt */
	if (HnswKernelSupported(HNSW_KERNEL_AVX2) !=
		(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
		 __builtin_cpu_supports("f16c") && __builtin_cpu_supports("popcnt")))
	{
		printf("  dispatch: AVX2 detection disagrees with __builtin_cpu_supports\n");
		bad++;
	}
	if (HnswKernelSupported(HNSW_KERNEL_AVX512) !=
		(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("popcnt")))
	{
		printf("  dispatch: AVX-512 detection disagrees with __builtin_cpu_supports\n");
		bad++;
	}

	/*
	 * The AVX-512 set counts bits with VPOPCNTDQ exactly when the CPU has
	 * it; otherwise it shares the AVX2 set's POPCNT kernels.
	 */
	if (HnswKernelSupported(HNSW_KERNEL_AVX512) && HnswKernelSupported(HNSW_KERNEL_AVX2) &&
		(HnswKernelsGet(HNSW_KERNEL_AVX512)->bit_hamming !=
		 HnswKernelsGet(HNSW_KERNEL_AVX2)->bit_hamming) !=
		(__builtin_cpu_supports("avx512vpopcntdq") != 0))
	{
		printf("  dispatch: AVX-512 bit kernels disagree with avx512vpopcntdq support\n");
		bad++;
	}
	if (HnswKernelSupported(HNSW_KERNEL_NEON))
	{
		printf("  dispatch: NEON reported supported on x86-64\n");
		bad++;
	}
#endif

	for (int kind = HNSW_KERNEL_SCALAR; kind <= HNSW_KERNEL_NEON; kind++)
	{
		const HnswKernels *k = HnswKernelsGet((HnswKernelKind) kind);

		before = hnsw_kernels;
		if (HnswKernelSupported((HnswKernelKind) kind))
		{
			if (k == NULL || k->kind != (HnswKernelKind) kind ||
				!HnswKernelsSelect((HnswKernelKind) kind) || hnsw_kernels != k)
			{
				printf("  dispatch: cannot get or select supported kind %d\n", kind);
				bad++;
			}
		}
		else if (k != NULL || HnswKernelsSelect((HnswKernelKind) kind) ||
				 hnsw_kernels != before)
		{
			printf("  dispatch: unsupported kind %d was handed out\n", kind);
			bad++;
		}
	}
	HnswKernelsInit();
	return bad;
}

int
main(int argc, char **argv)
{
	static const HnswKernelKind kinds[] = {
		HNSW_KERNEL_SCALAR, HNSW_KERNEL_AVX2, HNSW_KERNEL_AVX512, HNSW_KERNEL_NEON
	};
	static const char *const kind_names[] = {"scalar", "avx2", "avx512", "neon"};
	uint64_t	seed = 20240521;
	float	   *guard_a = alloc_guarded();
	float	   *guard_b = alloc_guarded();
	float	   *aligned_a;
	float	   *aligned_b;
	float	   *wa = malloc(MAX_DIM * sizeof(float));
	float	   *wb = malloc(MAX_DIM * sizeof(float));
	long		checks;
	long		failures;
	int			passed = 0;
	int			failed = 0;
	int			bad;

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 10);
	if (posix_memalign((void **) &aligned_a, 64, (MAX_DIM + 16) * sizeof(float)) != 0 ||
		posix_memalign((void **) &aligned_b, 64, (MAX_DIM + 16) * sizeof(float)) != 0 ||
		wa == NULL || wb == NULL)
	{
		fprintf(stderr, "out of memory\n");
		return 2;
	}

	printf("seed %llu; dims 1..300, 511, 512, 513, 768, 1536, 2000, 16000; "
		   "%d patterns; bound (n+2)*FLT_EPSILON*sum|t| + 4n*FLT_TRUE_MIN\n",
		   (unsigned long long) seed, (int) NUM_PATTERNS);

	bad = test_dispatch();
	printf("%s dispatch: selected %s\n", bad ? "FAIL" : "ok  ", hnsw_kernels->name);
	if (bad)
		failed++;
	else
		passed++;

	for (size_t ki = 0; ki < sizeof(kinds) / sizeof(kinds[0]); ki++)
	{
		const HnswKernels *k = HnswKernelsGet(kinds[ki]);
		FuncStats	stats[NUM_FUNCS];

		if (k == NULL)
		{
			printf("skip %s: not supported by this CPU or build\n", kind_names[ki]);
			continue;
		}

		memset(stats, 0, sizeof(stats));
		rng_state = seed;
		test_kernel_set(k, guard_a, guard_b, aligned_a, aligned_b, stats);

		for (int f = 0; f < NUM_FUNCS; f++)
		{
			printf("%s %s %s: %ld checks, %ld failed, worst error %.4f of bound\n",
				   stats[f].failures ? "FAIL" : "ok  ", k->name, func_names[f],
				   stats[f].cases, stats[f].failures, stats[f].worst);
			if (stats[f].failures)
				failed++;
			else
				passed++;
		}

		memset(stats, 0, sizeof(stats));
		rng_state = seed;
		test_half_set(k, guard_a, guard_b, aligned_a, aligned_b, wa, wb, stats);
		for (int f = 0; f < NUM_FUNCS; f++)
		{
			printf("%s %s half_%s: %ld checks, %ld failed, worst error %.4f of bound\n",
				   stats[f].failures ? "FAIL" : "ok  ", k->name, func_names[f],
				   stats[f].cases, stats[f].failures, stats[f].worst);
			if (stats[f].failures)
				failed++;
			else
				passed++;
		}

		{
			char		what[64];

			checks = 0;
			rng_state = seed;
			failures = test_bit_set(k, guard_a, guard_b, aligned_a, aligned_b, &checks);
			snprintf(what, sizeof(what), "%s bit_hamming and bit_and_or (exact)", k->name);
			report(&passed, &failed, what, checks, failures);
		}
	}

	checks = 0;
	rng_state = seed;
	failures = test_sparse(&checks);
	report(&passed, &failed, "sparse l2sq, dot, l1, dot_dense", checks, failures);

	checks = 0;
	failures = test_halfutils(&checks);
	report(&passed, &failed, "halfutils HalfToFloat4 and Float4ToHalf", checks, failures);

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

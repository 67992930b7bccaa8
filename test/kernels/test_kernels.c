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
	EXPECT_NEG_INF				/* -Infinity */
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
		(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
	{
		printf("  dispatch: AVX2 detection disagrees with __builtin_cpu_supports\n");
		bad++;
	}
	if (HnswKernelSupported(HNSW_KERNEL_AVX512) !=
		(__builtin_cpu_supports("avx512f") != 0))
	{
		printf("  dispatch: AVX-512 detection disagrees with __builtin_cpu_supports\n");
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
	int			passed = 0;
	int			failed = 0;
	int			bad;

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 10);
	if (posix_memalign((void **) &aligned_a, 64, (MAX_DIM + 16) * sizeof(float)) != 0 ||
		posix_memalign((void **) &aligned_b, 64, (MAX_DIM + 16) * sizeof(float)) != 0)
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
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

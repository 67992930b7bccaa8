/*-------------------------------------------------------------------------
 *
 * bench_kernels.c
 *	  Micro-benchmark of the distance kernels: nanoseconds per distance.
 *
 * The access pattern is the one of a graph search: one query vector
 * compared against many stored vectors in turn, each call going through
 * the kernel set's function pointer.  The stored vectors are sized to
 * about 1 MiB in all (half of a 2 MiB L2), so after the warm-up pass they
 * come from L1/L2, not from memory; this measures the kernels, not the
 * memory system.
 *
 * For each dimension, function and supported kernel set, the benchmark
 * runs the given number of timed repetitions (11 by default), each long
 * enough (MIN_REP_NS) for the clock to be precise, taking the kernel sets
 * in turn, and reports the median ns per distance and the speed-up over
 * the scalar set measured in the same run.
 *
 * Usage: bench_kernels [reps]
 *
 * IDENTIFICATION
 *	  bench/kernels/bench_kernels.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/hnsw_distance.h"
#include "../stats.h"

#define WORKING_SET_BYTES	(1024 * 1024)
#define MIN_REP_NS			20000000.0	/* 20 ms per repetition */
#define DEFAULT_REPS		11
#define MAX_REPS			101
#define NKINDS				4

#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "unknown"
#endif

#if defined(__clang__)
#define BENCH_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define BENCH_COMPILER "gcc " __VERSION__
#else
#define BENCH_COMPILER "unknown"
#endif

typedef enum BenchFunc
{
	FUNC_L2SQ,
	FUNC_DOT,
	FUNC_L1,
	FUNC_COSINE,
	NUM_FUNCS
} BenchFunc;

static const char *const func_names[NUM_FUNCS] = {
	"l2sq", "dot", "l1", "cosine_parts"
};

/* Defeats dead-code elimination of the results */
static volatile float sink;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * One pass: the query against every stored vector.  Returns a value that
 * depends on every result.
 */
static float
one_pass(const HnswKernels *k, BenchFunc f, const float *q,
		 const float *base, int nvec, int d)
{
	float		acc = 0.0f;

	switch (f)
	{
		case FUNC_L2SQ:
			for (int i = 0; i < nvec; i++)
				acc += k->l2sq(q, base + (size_t) i * d, d);
			break;
		case FUNC_DOT:
			for (int i = 0; i < nvec; i++)
				acc += k->dot(q, base + (size_t) i * d, d);
			break;
		case FUNC_L1:
			for (int i = 0; i < nvec; i++)
				acc += k->l1(q, base + (size_t) i * d, d);
			break;
		case FUNC_COSINE:
			for (int i = 0; i < nvec; i++)
			{
				float		dot,
							na,
							nb;

				k->cosine_parts(q, base + (size_t) i * d, d, &dot, &na, &nb);
				acc += dot + na + nb;
			}
			break;
		case NUM_FUNCS:
			break;
	}
	return acc;
}

/* Passes of one_pass() that take at least MIN_REP_NS; also warms the caches */
static long
calibrate(const HnswKernels *k, BenchFunc f, const float *q,
		  const float *base, int nvec, int d)
{
	long		passes = 1;

	for (;;)
	{
		double		t0 = now_ns();
		double		el;

		for (long p = 0; p < passes; p++)
			sink = one_pass(k, f, q, base, nvec, d);
		el = now_ns() - t0;
		if (el >= MIN_REP_NS)
			return passes;
		passes = el > 0 ? (long) (passes * 1.2 * MIN_REP_NS / el) + 1 : passes * 10;
	}
}

/* ns per distance of one repetition */
static double
time_rep(const HnswKernels *k, BenchFunc f, const float *q,
		 const float *base, int nvec, int d, long passes)
{
	double		t0 = now_ns();

	for (long p = 0; p < passes; p++)
		sink = one_pass(k, f, q, base, nvec, d);
	return (now_ns() - t0) / ((double) passes * nvec);
}

/* The "model name" line of /proc/cpuinfo, or "unknown" */
static void
cpu_model(char *buf, size_t len)
{
	FILE	   *fp = fopen("/proc/cpuinfo", "r");
	char		line[512];

	snprintf(buf, len, "unknown");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp))
	{
		char	   *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL)
		{
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(fp);
}

int
main(int argc, char **argv)
{
	static const int dims[] = {100, 768, 1536};
	static const HnswKernelKind kinds[NKINDS] = {
		HNSW_KERNEL_SCALAR, HNSW_KERNEL_AVX2, HNSW_KERNEL_AVX512, HNSW_KERNEL_NEON
	};
	static const char *const kind_names[NKINDS] = {"scalar", "avx2", "avx512", "neon"};
	int			reps = DEFAULT_REPS;
	uint64_t	rng = 42;
	char		model[256];

	if (argc > 1)
		reps = atoi(argv[1]);
	if (reps < 1 || reps > MAX_REPS)
	{
		fprintf(stderr, "reps must be between 1 and %d\n", MAX_REPS);
		return 2;
	}

	HnswKernelsInit();
	cpu_model(model, sizeof(model));
	printf("machine:    %s\n", model);
	printf("compiler:   %s\n", BENCH_COMPILER);
	printf("flags:      %s\n", BENCH_CFLAGS);
	printf("dispatched: %s (what hnsw.distance_kernel = auto selects)\n",
		   hnsw_kernels->name);
	printf("method:     one query vs. ~%d KiB of random vectors in [-1,1) "
		   "(seed 42); median of %d reps of >= %.0f ms\n",
		   WORKING_SET_BYTES / 1024, reps, MIN_REP_NS / 1e6);
	for (int ki = 0; ki < NKINDS; ki++)
		if (!HnswKernelSupported(kinds[ki]))
			printf("skipped:    %s (not supported by this CPU or build)\n",
				   kind_names[ki]);
	printf("\n%5s %6s  %-13s %-7s %10s %9s\n",
		   "d", "nvec", "function", "kernel", "ns/dist", "speed-up");

	for (size_t di = 0; di < sizeof(dims) / sizeof(dims[0]); di++)
	{
		int			d = dims[di];
		int			nvec = WORKING_SET_BYTES / (int) (d * sizeof(float));
		float	   *q;
		float	   *base;

		if (posix_memalign((void **) &q, 64, d * sizeof(float)) != 0 ||
			posix_memalign((void **) &base, 64, (size_t) nvec * d * sizeof(float)) != 0)
		{
			fprintf(stderr, "out of memory\n");
			return 2;
		}
		/* xorshift64: any seeded data in [-1, 1) will do */
		for (int i = 0; i < d; i++)
		{
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			q[i] = (float) ((rng >> 40) / 8388608.0 - 1.0);
		}
		for (size_t i = 0; i < (size_t) nvec * d; i++)
		{
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			base[i] = (float) ((rng >> 40) / 8388608.0 - 1.0);
		}

		for (int f = 0; f < NUM_FUNCS; f++)
		{
			const HnswKernels *k[NKINDS];
			long		passes[NKINDS];
			double		t[NKINDS][MAX_REPS];
			double		scalar_ns = 0.0;

			for (int ki = 0; ki < NKINDS; ki++)
			{
				k[ki] = HnswKernelsGet(kinds[ki]);
				if (k[ki] != NULL)
					passes[ki] = calibrate(k[ki], (BenchFunc) f, q, base, nvec, d);
			}

			/*
			 * Take the kernel sets in turn within each repetition, so that a
			 * burst of load from elsewhere on the machine spreads over all of
			 * them instead of skewing one.
			 */
			for (int r = 0; r < reps; r++)
				for (int ki = 0; ki < NKINDS; ki++)
					if (k[ki] != NULL)
						t[ki][r] = time_rep(k[ki], (BenchFunc) f, q, base, nvec, d,
											passes[ki]);

			for (int ki = 0; ki < NKINDS; ki++)
			{
				double		ns;

				if (k[ki] == NULL)
					continue;
				ns = median(t[ki], reps);
				if (kinds[ki] == HNSW_KERNEL_SCALAR)
					scalar_ns = ns;
				printf("%5d %6d  %-13s %-7s %10.2f %8.1fx\n",
					   d, nvec, func_names[f], k[ki]->name, ns, scalar_ns / ns);
			}
			fflush(stdout);
		}
		free(q);
		free(base);
	}
	return 0;
}

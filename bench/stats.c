/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  The statistics of the benchmark programs.
 *
 * IDENTIFICATION
 *	  bench/stats.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>

#include "stats.h"

int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

double
percentile(const double *sorted, long n, double p)
{
	long		rank = (long) ceil(p / 100.0 * n);

	if (n <= 0)
		return 0;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

double
median(double *values, long n)
{
	if (n <= 0)
		return 0;
	qsort(values, n, sizeof(double), cmp_double);
	return (n % 2) ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

LatencySummary
latency_summary(double *seconds, long n)
{
	LatencySummary s;
	double		sum = 0;

	for (long i = 0; i < n; i++)
		sum += seconds[i];
	qsort(seconds, n, sizeof(double), cmp_double);
	s.mean_ms = n > 0 ? sum / n * 1e3 : 0;
	s.p50_ms = percentile(seconds, n, 50) * 1e3;
	s.p95_ms = percentile(seconds, n, 95) * 1e3;
	s.p99_ms = percentile(seconds, n, 99) * 1e3;
	return s;
}

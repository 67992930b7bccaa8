/*-------------------------------------------------------------------------
 *
 * stats.h
 *	  The statistics of the benchmark programs: sorting, medians,
 *	  nearest-rank percentiles and the summary of a set of latencies.
 *	  (Medians over the repeated runs of a script are the report's
 *	  business: bench/report.py.)
 *
 * IDENTIFICATION
 *	  bench/stats.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef STATS_H
#define STATS_H

/* Latencies of one measurement, in milliseconds */
typedef struct LatencySummary
{
	double		mean_ms;
	double		p50_ms;
	double		p95_ms;
	double		p99_ms;
} LatencySummary;

/* qsort comparator of doubles, ascending */
extern int	cmp_double(const void *a, const void *b);

/*
 * Nearest-rank percentile p (0..100) of n sorted values: the value of
 * rank ceil(p / 100 * n), clamped to 1..n; 0 when n is 0.
 */
extern double percentile(const double *sorted, long n, double p);

/*
 * Median of n values, which it sorts in place: the middle value, or the
 * mean of the two middle values when n is even; 0 when n is 0.
 */
extern double median(double *values, long n);

/*
 * Sort n latencies given in seconds, in place, and summarise them in
 * milliseconds.
 */
extern LatencySummary latency_summary(double *seconds, long n);

#endif							/* STATS_H */

/*-------------------------------------------------------------------------
 *
 * hnsw_distance.h
 *	  Float4 distance kernels with run-time CPU dispatch.
 *
 * This module is plain C: it includes no PostgreSQL header, so that the
 * kernel tests and benchmarks can link it on its own.  Every kernel
 * accumulates in float4, like the scalar reference; SIMD variants differ
 * from it only by the order of summation.
 *
 * IDENTIFICATION
 *	  src/hnsw_distance.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_DISTANCE_H
#define HNSW_DISTANCE_H

typedef enum HnswKernelKind
{
	HNSW_KERNEL_AUTO = 0,		/* best one the CPU supports */
	HNSW_KERNEL_SCALAR,
	HNSW_KERNEL_AVX2,			/* AVX2 + FMA */
	HNSW_KERNEL_AVX512,			/* AVX-512F */
	HNSW_KERNEL_NEON
} HnswKernelKind;

typedef float (*HnswDistanceFn) (const float *a, const float *b, int n);

typedef struct HnswKernels
{
	HnswKernelKind kind;
	const char *name;			/* "scalar", "avx2", "avx512", "neon" */
	HnswDistanceFn l2sq;		/* sum((a-b)^2) */
	HnswDistanceFn dot;			/* sum(a*b) */
	HnswDistanceFn l1;			/* sum(|a-b|) */
	/* dot, |a|^2 and |b|^2 in one pass */
	void		(*cosine_parts) (const float *a, const float *b, int n,
								 float *dot, float *norma, float *normb);
} HnswKernels;

/* The kernel set in use; never NULL once HnswKernelsInit() has run */
extern const HnswKernels *hnsw_kernels;

/* Run cpuid/xgetbv once and select the best supported kernel set */
extern void HnswKernelsInit(void);

/* Does this CPU (and build) support the given kind?  AUTO is always true */
extern int	HnswKernelSupported(HnswKernelKind kind);

/* Kernel set for a kind, or NULL if unsupported; AUTO gives the best */
extern const HnswKernels *HnswKernelsGet(HnswKernelKind kind);

/* Make the given kind current; returns 0 if unsupported (nothing changes) */
extern int	HnswKernelsSelect(HnswKernelKind kind);

#endif							/* HNSW_DISTANCE_H */

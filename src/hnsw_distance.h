/*-------------------------------------------------------------------------
 *
 * hnsw_distance.h
 *	  Distance kernels with run-time CPU dispatch: float4, half (binary16),
 *	  bit strings, and sparse vectors.
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

#include <stddef.h>
#include <stdint.h>

typedef enum HnswKernelKind
{
	HNSW_KERNEL_AUTO = 0,		/* best one the CPU supports */
	HNSW_KERNEL_SCALAR,
	HNSW_KERNEL_AVX2,			/* AVX2 + FMA, with F16C and POPCNT */
	HNSW_KERNEL_AVX512,			/* AVX-512F (+ VPOPCNTDQ when present) */
	HNSW_KERNEL_NEON
} HnswKernelKind;

typedef float (*HnswDistanceFn) (const float *a, const float *b, int n);

/*
 * Half kernels take binary16 bit patterns (see halfutils.h), widen each
 * value to float4 exactly and accumulate in float4 like the float4
 * kernels, so that a half vector and its float4 widening give the same
 * sums up to the order of summation.
 */
typedef float (*HnswHalfDistanceFn) (const uint16_t *a, const uint16_t *b, int n);

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

	/* the same four over half vectors */
	HnswHalfDistanceFn half_l2sq;
	HnswHalfDistanceFn half_dot;
	HnswHalfDistanceFn half_l1;
	void		(*half_cosine_parts) (const uint16_t *a, const uint16_t *b, int n,
									  float *dot, float *norma, float *normb);

	/*
	 * Bit strings of nbytes bytes (unused bits of the last byte are 0, as
	 * PostgreSQL keeps them): popcount(a ^ b), and popcount(a & b) with
	 * popcount(a | b) for the Jaccard distance.
	 */
	uint64_t	(*bit_hamming) (const unsigned char *a, const unsigned char *b,
								size_t nbytes);
	void		(*bit_and_or) (const unsigned char *a, const unsigned char *b,
							   size_t nbytes, uint64_t *nand, uint64_t *nor);
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

/*
 * Sparse vectors: na (nb) entries with strictly ascending indices ia (ib)
 * and values va (vb).  A merge over the indices, accumulating in float4 in
 * index order.  Not dispatched: the work is in the merge, not the
 * arithmetic.  The *Dense variants take the other operand as a dense
 * float4 array covering every index (a query densified once per scan).
 */
extern float HnswSparseL2sq(const int32_t *ia, const float *va, int na,
							const int32_t *ib, const float *vb, int nb);
extern float HnswSparseDot(const int32_t *ia, const float *va, int na,
						   const int32_t *ib, const float *vb, int nb);
extern float HnswSparseL1(const int32_t *ia, const float *va, int na,
						  const int32_t *ib, const float *vb, int nb);
extern float HnswSparseDotDense(const int32_t *ia, const float *va, int na,
								const float *dense);

#endif							/* HNSW_DISTANCE_H */

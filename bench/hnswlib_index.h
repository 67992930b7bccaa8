/*-------------------------------------------------------------------------
 *
 * hnswlib_index.h
 *	  A C interface to one index of hnswlib, the C++ header-only HNSW
 *	  library (hnswlib::HierarchicalNSW<float>), for the "hnswlib" commands
 *	  of the benchmark driver (cmd_hnswlib.c).  hnswlib_index.cpp implements
 *	  it against the headers of a checkout of hnswlib that the user names:
 *	  "make -C bench hnswlib HNSWLIB_DIR=DIR" (see the Makefile).
 *
 *	  Every function dies (die() of ann_common.h) with hnswlib's message
 *	  when hnswlib throws.
 *
 * IDENTIFICATION
 *	  bench/hnswlib_index.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSWLIB_INDEX_H
#define HNSWLIB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

typedef struct HnswlibIndex HnswlibIndex;

/* The distance of an index: hnswlib's L2Space or InnerProductSpace */
typedef enum HnswlibSpace
{
	HNSWLIB_L2,					/* squared Euclidean distance */
	HNSWLIB_IP					/* 1 - inner product */
} HnswlibSpace;

/*
 * An empty index with room for n vectors of dim floats: m neighbours per
 * node above layer 0 and 2 m on layer 0, ef_construction efc, the level
 * generator seeded with seed.
 */
extern HnswlibIndex *hnswlib_create(HnswlibSpace space, int dim, long n,
									int m, int efc, uint64_t seed);

/* Insert vector v (dim floats, copied) with label id, on this thread */
extern void hnswlib_add(HnswlibIndex *index, const float *v, long id);

/* Elements in the index */
extern long hnswlib_count(const HnswlibIndex *index);

/*
 * hnswlib's count of the index's bytes (indexFileSize): the elements'
 * layer-0 blocks (neighbour list, vector, label), their upper-layer
 * lists, and the header; what hnswlib_save writes
 */
extern size_t hnswlib_bytes(const HnswlibIndex *index);

/* Write the index to path (saveIndex), or read one back (loadIndex) */
extern void hnswlib_save(HnswlibIndex *index, const char *path);
extern HnswlibIndex *hnswlib_load(HnswlibSpace space, int dim, const char *path);

/* The ef of the following searches (setEf) */
extern void hnswlib_set_ef(HnswlibIndex *index, int ef);

/*
 * The k nearest of q (searchKnn, which searches with max(ef, k)): their
 * labels into ids, nearest first; returns how many (at most k)
 */
extern int	hnswlib_search(const HnswlibIndex *index, const float *q, int k,
						   int32_t *ids);

extern void hnswlib_free(HnswlibIndex *index);

/*
 * The SIMD paths hnswlib was compiled with: its macros USE_SSE, USE_AVX
 * and USE_AVX512, which follow the compiler's -m flags ("none" without
 * any), separated by spaces; a static string
 */
extern const char *hnswlib_simd(void);

/*
 * The distance function hnswlib picks for space at dimension dim (and,
 * for those that call another through a function pointer, that one), by
 * its name in hnswlib; a static string, overwritten by the next call
 */
extern const char *hnswlib_kernel(HnswlibSpace space, int dim);

#ifdef __cplusplus
}
#endif

#endif							/* HNSWLIB_INDEX_H */

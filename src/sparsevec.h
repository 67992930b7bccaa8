/*-------------------------------------------------------------------------
 *
 * sparsevec.h
 *	  The sparsevec data type: dimensions, and the non-zero entries as
 *	  index/value pairs.
 *
 * On-disk layout (compatible with pgvector's sparsevec type):
 *
 *	offset		size		field
 *	0			4			varlena header
 *	4			4			dim: number of dimensions
 *	8			4			nnz: number of non-zero entries
 *	12			4			unused: always 0
 *	16			4 * nnz		indices[]: 0-based, strictly ascending
 *	16 + 4nnz	4 * nnz		values[]: float4, never 0, NaN or infinite
 *
 * IDENTIFICATION
 *	  src/sparsevec.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_SPARSEVEC_H
#define HNSW_SPARSEVEC_H

#include "fmgr.h"

#define SPARSEVEC_MAX_DIM		1000000000
#define SPARSEVEC_MAX_NNZ		16000

typedef struct SparseVector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int32		dim;			/* number of dimensions */
	int32		nnz;			/* number of non-zero elements */
	int32		unused;			/* reserved for future use, always zero */
	int32		indices[FLEXIBLE_ARRAY_MEMBER];
	/* float4 values[nnz] follow the indices */
} SparseVector;

#define SPARSEVEC_SIZE(_nnz)	(offsetof(SparseVector, indices) + \
								 (sizeof(int32) + sizeof(float)) * (_nnz))
#define SPARSEVEC_VALUES(_sv)	((float *) ((_sv)->indices + (_sv)->nnz))
#define DatumGetSparseVector(x)	((SparseVector *) PG_DETOAST_DATUM(x))
#define PG_GETARG_SPARSEVEC_P(x) DatumGetSparseVector(PG_GETARG_DATUM(x))
#define PG_RETURN_SPARSEVEC_P(x) PG_RETURN_POINTER(x)

extern SparseVector *InitSparseVector(int dim, int nnz);

/* SQL-callable functions that the index recognises by address */
extern Datum sparsevec_l2_squared_distance(PG_FUNCTION_ARGS);
extern Datum sparsevec_negative_inner_product(PG_FUNCTION_ARGS);
extern Datum sparsevec_l1_distance(PG_FUNCTION_ARGS);
extern Datum sparsevec_l2_norm(PG_FUNCTION_ARGS);

/* l2_normalize(sparsevec), which cosine indexes apply to values and queries */
extern Datum sparsevec_l2_normalize(PG_FUNCTION_ARGS);

#endif							/* HNSW_SPARSEVEC_H */

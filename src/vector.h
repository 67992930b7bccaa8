/*-------------------------------------------------------------------------
 *
 * vector.h
 *	  The vector data type: a varlena of float4 values.
 *
 * On-disk layout (compatible with pgvector's vector type):
 *
 *	offset	size		field
 *	0		4			varlena header
 *	4		2			dim: number of elements
 *	6		2			unused: always 0
 *	8		4 * dim		x[]: the values, native float4
 *
 * IDENTIFICATION
 *	  src/vector.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_VECTOR_H
#define HNSW_VECTOR_H

#include "fmgr.h"

#define VECTOR_MAX_DIM 16000

typedef struct Vector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;			/* number of dimensions */
	int16		unused;			/* reserved for future use, always zero */
	float		x[FLEXIBLE_ARRAY_MEMBER];	/* the values */
} Vector;

#define VECTOR_SIZE(_dim)		(offsetof(Vector, x) + sizeof(float) * (_dim))
#define DatumGetVector(x)		((Vector *) PG_DETOAST_DATUM(x))
#define PG_GETARG_VECTOR_P(x)	DatumGetVector(PG_GETARG_DATUM(x))
#define PG_RETURN_VECTOR_P(x)	PG_RETURN_POINTER(x)

extern Vector *InitVector(int dim);

/* SQL-callable functions that the index recognises by address */
extern Datum vector_l2_squared_distance(PG_FUNCTION_ARGS);
extern Datum vector_negative_inner_product(PG_FUNCTION_ARGS);
extern Datum vector_spherical_distance(PG_FUNCTION_ARGS);
extern Datum l1_distance(PG_FUNCTION_ARGS);
extern Datum l2_distance(PG_FUNCTION_ARGS);
extern Datum cosine_distance(PG_FUNCTION_ARGS);
extern Datum inner_product(PG_FUNCTION_ARGS);
extern Datum vector_norm(PG_FUNCTION_ARGS);

#endif							/* HNSW_VECTOR_H */

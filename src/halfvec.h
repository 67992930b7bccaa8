/*-------------------------------------------------------------------------
 *
 * halfvec.h
 *	  The halfvec data type: a varlena of IEEE 754 binary16 values.
 *
 * On-disk layout (compatible with pgvector's halfvec type):
 *
 *	offset	size		field
 *	0		4			varlena header
 *	4		2			dim: number of elements
 *	6		2			unused: always 0
 *	8		2 * dim		x[]: the values, binary16 bit patterns
 *
 * IDENTIFICATION
 *	  src/halfvec.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_HALFVEC_H
#define HNSW_HALFVEC_H

#include "fmgr.h"

#include "halfutils.h"

#define HALFVEC_MAX_DIM 16000

typedef struct HalfVector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;			/* number of dimensions */
	int16		unused;			/* reserved for future use, always zero */
	uint16		x[FLEXIBLE_ARRAY_MEMBER];	/* binary16 bit patterns */
} HalfVector;

#define HALFVEC_SIZE(_dim)		(offsetof(HalfVector, x) + sizeof(uint16) * (_dim))
#define DatumGetHalfVector(x)	((HalfVector *) PG_DETOAST_DATUM(x))
#define PG_GETARG_HALFVEC_P(x)	DatumGetHalfVector(PG_GETARG_DATUM(x))
#define PG_RETURN_HALFVEC_P(x)	PG_RETURN_POINTER(x)

extern HalfVector *InitHalfVector(int dim);

/* SQL-callable functions that the index recognises by address */
extern Datum halfvec_l2_squared_distance(PG_FUNCTION_ARGS);
extern Datum halfvec_negative_inner_product(PG_FUNCTION_ARGS);
extern Datum halfvec_l1_distance(PG_FUNCTION_ARGS);
extern Datum halfvec_l2_norm(PG_FUNCTION_ARGS);

#endif							/* HNSW_HALFVEC_H */

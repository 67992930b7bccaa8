/*-------------------------------------------------------------------------
 *
 * bitvec.c
 *	  Hamming and Jaccard distances over PostgreSQL's bit type.
 *
 * The extension adds no bit type of its own: these take the core bit (and,
 * through core's binary coercion, varbit) values.  PostgreSQL keeps the
 * unused low-order bits of the last byte at zero, so the popcount kernels
 * of hnsw_distance.c can run over whole bytes.  Both functions return
 * float8, like every other distance, so that the operators sort with
 * float_ops.
 *
 * IDENTIFICATION
 *	  src/bitvec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/varbit.h"

#include "bitvec.h"
#include "hnsw_distance.h"

/* Both operands of a distance must have the same number of bits */
static inline void
CheckBitLengths(const VarBit *a, const VarBit *b)
{
	if (VARBITLEN(a) != VARBITLEN(b))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different bit lengths %u and %u",
						(unsigned int) VARBITLEN(a),
						(unsigned int) VARBITLEN(b))));
}

PG_FUNCTION_INFO_V1(hamming_distance);
/*
 * hamming_distance(bit, bit) -> float8: the number of positions at which
 * the two strings differ.  Two empty strings are at distance 0.
 */
Datum
hamming_distance(PG_FUNCTION_ARGS)
{
	VarBit	   *a = PG_GETARG_VARBIT_P(0);
	VarBit	   *b = PG_GETARG_VARBIT_P(1);
	uint64		n;

	CheckBitLengths(a, b);
	n = hnsw_kernels->bit_hamming(VARBITS(a), VARBITS(b), VARBITBYTES(a));

	PG_RETURN_FLOAT8((double) n);
}

PG_FUNCTION_INFO_V1(jaccard_distance);
/*
 * jaccard_distance(bit, bit) -> float8: 1 - |a & b| / |a | b|, counting
 * set bits.  When no set bit is shared (including when neither string has
 * any set bit, and for two empty strings) the distance is 1.
 */
Datum
jaccard_distance(PG_FUNCTION_ARGS)
{
	VarBit	   *a = PG_GETARG_VARBIT_P(0);
	VarBit	   *b = PG_GETARG_VARBIT_P(1);
	uint64		nand;
	uint64		nor;

	CheckBitLengths(a, b);
	hnsw_kernels->bit_and_or(VARBITS(a), VARBITS(b), VARBITBYTES(a),
							 &nand, &nor);

	if (nand == 0)
		PG_RETURN_FLOAT8(1.0);

	PG_RETURN_FLOAT8(1.0 - (double) nand / (double) nor);
}

/*-------------------------------------------------------------------------
 *
 * halfvec_parse.c
 *	  Parsers for the text and binary forms of the halfvec type.
 *
 * Plain C with no PostgreSQL dependency, so that test/fuzz can link this
 * file with vector_parse.c alone.  The parsers never allocate and never
 * throw: they report a VectorParseStatus, and the SQL-level wrappers in
 * halfvec.c turn it into the matching ereport.
 *
 * The text grammar is the vector one (see vector_parse.c):
 *
 *		ws "[" ws number ws { "," ws number ws } "]" ws
 *
 * The text form is parsed by vector_parse.c (VectorParseTextAs), which
 * reads a number as a float4 with strtof, like float4in, and then rounds
 * it to binary16; reading straight to binary16 from the decimal
 * string could differ from that double rounding in rare ties, and the
 * float4 route is the one pgvector takes.  Errors are reported in the
 * order the input is read, so "[65520,NaN]" is OUT_OF_RANGE.
 *
 * IDENTIFICATION
 *	  src/halfvec_parse.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "halfutils.h"
#include "halfvec_parse.h"

/* Record a failure in res and return its status */
static VectorParseStatus
hp_fail(VectorParseResult *res, VectorParseStatus status, int dim)
{
	res->status = status;
	res->dim = dim;
	return status;
}

/* Read a network-order int16 at p, as a signed value */
static inline int
hp_get_int16(const unsigned char *p)
{
	int			v = (p[0] << 8) | p[1];

	return v >= 0x8000 ? v - 0x10000 : v;
}

/*
 * HalfvecParseText
 *
 * See halfvec_parse.h for the contract: the vector grammar, with binary16
 * elements (VectorParseTextAs).
 */
VectorParseStatus
HalfvecParseText(const char *str, int maxdim, int expected_dim,
				 uint16_t *out, int outcap, VectorParseResult *res)
{
	return VectorParseTextAs(str, maxdim, expected_dim, VECTOR_ELEM_HALF,
							 out, outcap, res);
}

/*
 * HalfvecParseBinary
 *
 * See halfvec_parse.h for the contract.  The checks follow the order in
 * which a reader of the message meets the fields.  dim is read as a
 * signed int16, so 0x8000 and above are "fewer than 1 element".
 */
VectorParseStatus
HalfvecParseBinary(const unsigned char *buf, size_t len, int maxdim,
				   int expected_dim, uint16_t *out, int outcap,
				   VectorParseResult *res)
{
	int			dim;
	int			unused;

	memset(res, 0, sizeof(*res));

	if (len < 4)
		return hp_fail(res, VECTOR_PARSE_SHORT, 0);
	dim = hp_get_int16(buf);
	unused = hp_get_int16(buf + 2);

	if (dim < 1)
		return hp_fail(res, VECTOR_PARSE_NO_DIMS, dim);
	if (dim > maxdim)
		return hp_fail(res, VECTOR_PARSE_TOO_MANY_DIMS, dim);
	if (expected_dim >= 0 && dim != expected_dim)
		return hp_fail(res, VECTOR_PARSE_DIM_MISMATCH, dim);
	if (unused != 0)
	{
		res->unused = unused;
		return hp_fail(res, VECTOR_PARSE_UNUSED, dim);
	}
	if (out != NULL && outcap < dim)
		return hp_fail(res, VECTOR_PARSE_NO_ROOM, dim);

	for (int i = 0; i < dim; i++)
	{
		size_t		off = HALFVEC_BINARY_SIZE(i);
		uint16_t	h;

		if (len - off < 2)
			return hp_fail(res, VECTOR_PARSE_SHORT, dim);
		h = (uint16_t) ((buf[off] << 8) | buf[off + 1]);
		if (HalfIsNan(h))
			return hp_fail(res, VECTOR_PARSE_NAN, dim);
		if (HalfIsInf(h))
			return hp_fail(res, VECTOR_PARSE_INF, dim);
		if (out != NULL)
			out[i] = h;
	}

	res->consumed = HALFVEC_BINARY_SIZE(dim);
	return hp_fail(res, VECTOR_PARSE_OK, dim);
}

/*
 * HalfvecEncodeBinary
 *
 * The inverse of HalfvecParseBinary for a valid halfvec.
 */
void
HalfvecEncodeBinary(const uint16_t *x, int dim, unsigned char *out)
{
	out[0] = (unsigned char) ((dim >> 8) & 0xff);
	out[1] = (unsigned char) (dim & 0xff);
	out[2] = 0;
	out[3] = 0;
	out += 4;

	for (int i = 0; i < dim; i++)
	{
		out[0] = (unsigned char) (x[i] >> 8);
		out[1] = (unsigned char) x[i];
		out += 2;
	}
}

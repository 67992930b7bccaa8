/*-------------------------------------------------------------------------
 *
 * vector_parse.c
 *	  Parsers for the text and binary forms of the vector type.
 *
 * Plain C with no PostgreSQL dependency, so that test/fuzz can link this
 * file on its own.  The parsers never allocate and never throw: they
 * report a VectorParseStatus, and the SQL-level wrappers in vector.c turn
 * it into the matching ereport.
 *
 * The text grammar, with "ws" any of space, \t, \n, \r, \v, \f:
 *
 *		ws "[" ws number ws { "," ws number ws } "]" ws
 *
 * where number is whatever strtof accepts (so "1.", "-0", "1e5", "0x1p3"
 * and "inf" all read as numbers; the last is then refused as infinite).
 * Errors are reported in the order the input is read, so "[NaN" is NAN,
 * not SYNTAX.
 *
 * IDENTIFICATION
 *	  src/vector_parse.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "halfutils.h"
#include "vector_parse.h"

/*
 * The whitespace PostgreSQL 15's array and vector input accept; unlike
 * isspace() this does not depend on the locale.
 */
static inline int
vp_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

/* Record a failure in res and return its status */
static VectorParseStatus
vp_fail(VectorParseResult *res, VectorParseStatus status, int dim)
{
	res->status = status;
	res->dim = dim;
	return status;
}

/* Read a network-order int16 at p, as a signed value */
static inline int
vp_get_int16(const unsigned char *p)
{
	int			v = (p[0] << 8) | p[1];

	return v >= 0x8000 ? v - 0x10000 : v;
}

/* Read a network-order float4 at p */
static inline float
vp_get_float4(const unsigned char *p)
{
	uint32_t	u;
	float		f;

	u = ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
	memcpy(&f, &u, sizeof(f));
	return f;
}

/*
 * VectorTextMaxElements
 *
 * Each element read before the parse can stop takes at least two bytes (a
 * "[" or "," and one digit), so strlen/2 + 1 elements always fit.
 */
int
VectorTextMaxElements(const char *str, int maxdim)
{
	size_t		bound = strlen(str) / 2 + 1;

	if (maxdim < 0)
		return 0;
	return bound < (size_t) maxdim ? (int) bound : maxdim;
}

/*
 * VectorParseTextAs
 *
 * See vector_parse.h for the contract.  res is always filled in; on
 * success res->dim is the number of values written to out.  Each number
 * is read as a float4 and, for VECTOR_ELEM_HALF, then rounded to binary16;
 * every check on an element is made before the next one is read, so errors
 * come in the order of the input.
 */
VectorParseStatus
VectorParseTextAs(const char *str, int maxdim, int expected_dim,
				  VectorParseElem elem, void *out, int outcap,
				  VectorParseResult *res)
{
	const char *pt = str;
	int			dim = 0;

	memset(res, 0, sizeof(*res));

	while (vp_isspace(*pt))
		pt++;
	if (*pt != '[')
		return vp_fail(res, VECTOR_PARSE_NO_BRACKET, dim);
	pt++;

	while (vp_isspace(*pt))
		pt++;
	if (*pt == ']')
		return vp_fail(res, VECTOR_PARSE_NO_DIMS, dim);

	for (;;)
	{
		char	   *end;
		float		val;

		/* Refuse element maxdim + 1 before looking at it */
		if (dim >= maxdim)
			return vp_fail(res, VECTOR_PARSE_TOO_MANY_DIMS, dim);

		while (vp_isspace(*pt))
			pt++;
		if (*pt == '\0')
			return vp_fail(res, VECTOR_PARSE_SYNTAX, dim);

		errno = 0;
		val = strtof(pt, &end);
		if (end == pt)
			return vp_fail(res, VECTOR_PARSE_SYNTAX, dim);

		/*
		 * Out of range: float4 overflow (ERANGE with an infinite result;
		 * ERANGE with a finite one is underflow, which is accepted), or,
		 * for a half, a finite float4 that rounds to infinity in binary16
		 */
		if ((errno == ERANGE && isinf(val)) ||
			(elem == VECTOR_ELEM_HALF && isfinite(val) &&
			 HalfIsInf(Float4ToHalf(val))))
		{
			res->tok_start = (size_t) (pt - str);
			res->tok_len = (size_t) (end - pt);
			return vp_fail(res, VECTOR_PARSE_OUT_OF_RANGE, dim);
		}
		if (isnan(val))
			return vp_fail(res, VECTOR_PARSE_NAN, dim);
		if (isinf(val))
			return vp_fail(res, VECTOR_PARSE_INF, dim);

		if (dim >= outcap)
			return vp_fail(res, VECTOR_PARSE_NO_ROOM, dim);
		if (elem == VECTOR_ELEM_HALF)
			((uint16_t *) out)[dim++] = Float4ToHalf(val);
		else
			((float *) out)[dim++] = val;

		pt = end;
		while (vp_isspace(*pt))
			pt++;
		if (*pt == ',')
			pt++;
		else if (*pt == ']')
		{
			pt++;
			break;
		}
		else
			return vp_fail(res, VECTOR_PARSE_SYNTAX, dim);
	}

	while (vp_isspace(*pt))
		pt++;
	if (*pt != '\0')
		return vp_fail(res, VECTOR_PARSE_JUNK, dim);

	if (expected_dim >= 0 && dim != expected_dim)
		return vp_fail(res, VECTOR_PARSE_DIM_MISMATCH, dim);

	return vp_fail(res, VECTOR_PARSE_OK, dim);
}

/*
 * VectorParseText
 *
 * See vector_parse.h for the contract: VectorParseTextAs into float4.
 */
VectorParseStatus
VectorParseText(const char *str, int maxdim, int expected_dim, float *out,
				int outcap, VectorParseResult *res)
{
	return VectorParseTextAs(str, maxdim, expected_dim, VECTOR_ELEM_FLOAT4,
							 out, outcap, res);
}

/*
 * VectorParseBinary
 *
 * See vector_parse.h for the contract.  The checks follow the order in
 * which a reader of the message meets the fields, so that a message with
 * several faults reports the same one as the server always has.
 */
VectorParseStatus
VectorParseBinary(const unsigned char *buf, size_t len, int maxdim,
				  int expected_dim, float *out, int outcap,
				  VectorParseResult *res)
{
	int			dim;
	int			unused;

	memset(res, 0, sizeof(*res));

	if (len < 4)
		return vp_fail(res, VECTOR_PARSE_SHORT, 0);
	dim = vp_get_int16(buf);
	unused = vp_get_int16(buf + 2);

	if (dim < 1)
		return vp_fail(res, VECTOR_PARSE_NO_DIMS, dim);
	if (dim > maxdim)
		return vp_fail(res, VECTOR_PARSE_TOO_MANY_DIMS, dim);
	if (expected_dim >= 0 && dim != expected_dim)
		return vp_fail(res, VECTOR_PARSE_DIM_MISMATCH, dim);
	if (unused != 0)
	{
		res->unused = unused;
		return vp_fail(res, VECTOR_PARSE_UNUSED, dim);
	}
	if (out != NULL && outcap < dim)
		return vp_fail(res, VECTOR_PARSE_NO_ROOM, dim);

	for (int i = 0; i < dim; i++)
	{
		size_t		off = VECTOR_BINARY_SIZE(i);
		float		val;

		if (len - off < 4)
			return vp_fail(res, VECTOR_PARSE_SHORT, dim);
		val = vp_get_float4(buf + off);
		if (isnan(val))
			return vp_fail(res, VECTOR_PARSE_NAN, dim);
		if (isinf(val))
			return vp_fail(res, VECTOR_PARSE_INF, dim);
		if (out != NULL)
			out[i] = val;
	}

	res->consumed = VECTOR_BINARY_SIZE(dim);
	return vp_fail(res, VECTOR_PARSE_OK, dim);
}

/*
 * VectorEncodeBinary
 *
 * The inverse of VectorParseBinary for a valid vector.
 */
void
VectorEncodeBinary(const float *x, int dim, unsigned char *out)
{
	out[0] = (unsigned char) ((dim >> 8) & 0xff);
	out[1] = (unsigned char) (dim & 0xff);
	out[2] = 0;
	out[3] = 0;
	out += 4;

	for (int i = 0; i < dim; i++)
	{
		uint32_t	u;

		memcpy(&u, &x[i], sizeof(u));
		out[0] = (unsigned char) (u >> 24);
		out[1] = (unsigned char) (u >> 16);
		out[2] = (unsigned char) (u >> 8);
		out[3] = (unsigned char) u;
		out += 4;
	}
}

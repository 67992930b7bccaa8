/*-------------------------------------------------------------------------
 *
 * vector_parse.h
 *	  Parsers for the text and binary forms of the vector type.
 *
 * This module is plain C: it includes no PostgreSQL header and never
 * throws.  Each parser returns a status code and, for errors that quote
 * part of the input, the span of the offending token.  vector_in and
 * vector_recv map the codes to their ereports, so that the fuzz target in
 * test/fuzz exercises exactly the code the server runs.
 *
 * IDENTIFICATION
 *	  src/vector_parse.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_VECTOR_PARSE_H
#define HNSW_VECTOR_PARSE_H

#include <stddef.h>

/*
 * Outcome of a parse.  The errors are listed in no particular order; each
 * parser reports the first one it meets while reading the input from left
 * to right, which is the order in which the server raises them.
 */
typedef enum VectorParseStatus
{
	VECTOR_PARSE_OK = 0,
	VECTOR_PARSE_SYNTAX,		/* text: malformed input */
	VECTOR_PARSE_NO_BRACKET,	/* text: does not start with "[" */
	VECTOR_PARSE_JUNK,			/* text: junk after the closing "]" */
	VECTOR_PARSE_NO_DIMS,		/* fewer than 1 element */
	VECTOR_PARSE_TOO_MANY_DIMS, /* more than maxdim elements */
	VECTOR_PARSE_NAN,			/* an element is NaN */
	VECTOR_PARSE_INF,			/* an element is infinite */
	VECTOR_PARSE_OUT_OF_RANGE,	/* text: a number overflows float4 */
	VECTOR_PARSE_DIM_MISMATCH,	/* dim differs from expected_dim */
	VECTOR_PARSE_UNUSED,		/* binary: unused field is not 0 */
	VECTOR_PARSE_SHORT,			/* binary: message ends too early */
	VECTOR_PARSE_NO_ROOM		/* caller's output buffer is too small */
} VectorParseStatus;

typedef struct VectorParseResult
{
	VectorParseStatus status;
	int			dim;			/* elements read (the vector's dim on OK) */
	size_t		tok_start;		/* OUT_OF_RANGE: offset of the token */
	size_t		tok_len;		/* OUT_OF_RANGE: length of the token */
	int			unused;			/* UNUSED: the value found */
	size_t		consumed;		/* binary OK: bytes read */
} VectorParseResult;

/* Number of bytes of the binary form of a vector of dim elements */
#define VECTOR_BINARY_SIZE(dim)	(4 + 4 * (size_t) (dim))

/*
 * An upper bound of the number of elements the text str can hold, capped at
 * maxdim: a safe size for VectorParseText's output buffer.
 */
extern int	VectorTextMaxElements(const char *str, int maxdim);

/* What the text parser writes: float4 values, or binary16 bit patterns */
typedef enum VectorParseElem
{
	VECTOR_ELEM_FLOAT4,			/* float *out */
	VECTOR_ELEM_HALF			/* uint16_t *out, see halfutils.h */
} VectorParseElem;

/*
 * VectorParseText for either element type (vector and halfvec share the
 * grammar).  Each number is read with strtof; for VECTOR_ELEM_HALF it is
 * then rounded to binary16, to nearest, ties to even, and a finite float4
 * that rounds to infinity (|x| >= 65520) is OUT_OF_RANGE too.  Underflow
 * is silent and keeps the sign.  out has room for outcap values of the
 * element type.
 */
extern VectorParseStatus VectorParseTextAs(const char *str, int maxdim,
										   int expected_dim,
										   VectorParseElem elem, void *out,
										   int outcap,
										   VectorParseResult *res);

/*
 * Parse the text form "[x1,x2,...]" of str (NUL-terminated).
 *
 * Whitespace (space, \t, \n, \r, \v, \f) may surround the brackets and the
 * numbers.  Numbers are read with strtof: underflow gives 0 (or a
 * subnormal), overflow is OUT_OF_RANGE with the token's span, and NaN or
 * infinity literals are NAN / INF.  At most maxdim elements are accepted.
 * If expected_dim >= 0, a well-formed vector of another size is
 * DIM_MISMATCH.  The values are written to out, which must have room for
 * outcap floats; NO_ROOM means the caller sized it wrongly.
 */
extern VectorParseStatus VectorParseText(const char *str, int maxdim,
										 int expected_dim, float *out,
										 int outcap, VectorParseResult *res);

/*
 * Validate and decode the binary form in buf[0 .. len): network-order
 * int16 dim, int16 unused, then dim network-order float4 values.  Checks
 * happen in this order: header present, dim >= 1, dim <= maxdim, dim ==
 * expected_dim (if >= 0), unused == 0, then each value in turn (present,
 * not NaN, not infinite).  Bytes after the last value are left alone;
 * res->consumed says how many were read.  out may be NULL to validate
 * only; otherwise it needs room for outcap floats.
 */
extern VectorParseStatus VectorParseBinary(const unsigned char *buf,
										   size_t len, int maxdim,
										   int expected_dim, float *out,
										   int outcap,
										   VectorParseResult *res);

/*
 * Write the binary form of x[0 .. dim) to out, which must have room for
 * VECTOR_BINARY_SIZE(dim) bytes.  The unused field is written as 0.
 */
extern void VectorEncodeBinary(const float *x, int dim, unsigned char *out);

#endif							/* HNSW_VECTOR_PARSE_H */

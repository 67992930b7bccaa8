/*-------------------------------------------------------------------------
 *
 * sparsevec_parse.h
 *	  Parsers for the text and binary forms of the sparsevec type.
 *
 * This module is plain C: it includes no PostgreSQL header and never
 * throws.  Each parser returns a status code and, for errors that quote
 * part of the input, the span of the offending token.  sparsevec_in and
 * sparsevec_recv map the codes to their ereports, so that the fuzz target
 * in test/fuzz exercises exactly the code the server runs.
 *
 * Both parsers produce the stored form: 0-based indices in strictly
 * ascending order, and values that are finite and never 0.
 *
 * IDENTIFICATION
 *	  src/sparsevec_parse.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_SPARSEVEC_PARSE_H
#define HNSW_SPARSEVEC_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Outcome of a parse.  Each parser reports the first error it meets, in
 * the order documented at SparsevecParseText and SparsevecParseBinary.
 */
typedef enum SparsevecParseStatus
{
	SPARSEVEC_PARSE_OK = 0,
	SPARSEVEC_PARSE_SYNTAX,		/* text: malformed input */
	SPARSEVEC_PARSE_NO_BRACE,	/* text: does not start with "{" */
	SPARSEVEC_PARSE_NO_SLASH,	/* text: no "/" after the closing "}" */
	SPARSEVEC_PARSE_JUNK,		/* text: junk after the dimensions */
	SPARSEVEC_PARSE_NO_DIMS,	/* dim < 1 */
	SPARSEVEC_PARSE_TOO_MANY_DIMS,	/* dim > maxdim */
	SPARSEVEC_PARSE_NEGATIVE_NNZ,	/* binary: nnz < 0 */
	SPARSEVEC_PARSE_TOO_MANY_NNZ,	/* more than maxnnz entries */
	SPARSEVEC_PARSE_NNZ_OVER_DIM,	/* binary: nnz > dim */
	SPARSEVEC_PARSE_DIM_MISMATCH,	/* dim differs from expected_dim */
	SPARSEVEC_PARSE_UNUSED,		/* binary: unused field is not 0 */
	SPARSEVEC_PARSE_INDEX_BOUNDS,	/* an index is outside the dims */
	SPARSEVEC_PARSE_INDEX_ORDER,	/* binary: indices not ascending */
	SPARSEVEC_PARSE_INDEX_DUPLICATE,	/* an index appears twice */
	SPARSEVEC_PARSE_NAN,		/* a value is NaN */
	SPARSEVEC_PARSE_INF,		/* a value is infinite */
	SPARSEVEC_PARSE_ZERO,		/* binary: a value is 0 or -0 */
	SPARSEVEC_PARSE_OUT_OF_RANGE,	/* text: a value overflows float4 or
									 * underflows to 0 */
	SPARSEVEC_PARSE_SHORT,		/* binary: message ends too early */
	SPARSEVEC_PARSE_NO_ROOM		/* caller's output buffers are too small */
} SparsevecParseStatus;

typedef struct SparsevecParseResult
{
	SparsevecParseStatus status;
	int			dim;			/* dimensions; in text clamped to
								 * [0, maxdim + 1] */
	int			nnz;			/* entries kept (the vector's nnz on OK) */
	size_t		tok_start;		/* OUT_OF_RANGE: offset of the token */
	size_t		tok_len;		/* OUT_OF_RANGE: length of the token */
	int			unused;			/* UNUSED: the value found */
	size_t		consumed;		/* binary OK: bytes read */
} SparsevecParseResult;

/* Number of bytes of the binary form of a sparsevec with nnz entries */
#define SPARSEVEC_BINARY_SIZE(nnz)	(12 + 8 * (size_t) (nnz))

/*
 * The number of entries the text str can hold, which is its number of
 * commas plus one, capped at maxnnz + 1.  A result above maxnnz means that
 * the text is refused as TOO_MANY_NNZ before it is parsed; otherwise it is a
 * safe capacity for SparsevecParseText's output buffers.
 */
extern int	SparsevecTextMaxElements(const char *str, int maxnnz);

/*
 * Parse the text form "{i:v,...}/dim" of str (NUL-terminated).
 *
 * Whitespace (space, \t, \n, \r, \v, \f) may surround every token.  i and
 * dim are base-10 integers with an optional sign, v is read with strtof.
 * Indices count from 1 and may come in any order.  Entries whose value is
 * 0 or -0 are dropped, and only the kept entries are checked against the
 * dimensions.
 *
 * Checks, in order: more than maxnnz entries by the comma count
 * (TOO_MANY_NNZ); the syntax, read from left to right, where a value may
 * also be OUT_OF_RANGE (float4 overflow, or underflow to exactly 0; the
 * token's span is reported), NAN or INF; dim < 1 (NO_DIMS) or > maxdim
 * (TOO_MANY_DIMS), with huge numbers clamped; dim == expected_dim if
 * expected_dim >= 0; each kept index within 1 .. dim (INDEX_BOUNDS); then
 * no index twice (INDEX_DUPLICATE).
 *
 * On OK, res->nnz entries are in indices[] (0-based, ascending) and
 * values[]; both must have room for outcap entries, and NO_ROOM means the
 * caller sized them below SparsevecTextMaxElements().
 */
extern SparsevecParseStatus SparsevecParseText(const char *str, int maxdim,
											   int maxnnz, int expected_dim,
											   int32_t *indices,
											   float *values, int outcap,
											   SparsevecParseResult *res);

/*
 * Validate and decode the binary form in buf[0 .. len): network-order
 * int32 dim, int32 nnz, int32 unused, nnz int32 indices (0-based), then
 * nnz float4 values.
 *
 * Checks, in order: header present (SHORT); dim < 1 (NO_DIMS) or > maxdim
 * (TOO_MANY_DIMS); nnz < 0 (NEGATIVE_NNZ), nnz > maxnnz (TOO_MANY_NNZ), nnz
 * > dim (NNZ_OVER_DIM); dim == expected_dim if expected_dim >= 0; unused ==
 * 0; each index in turn: present, within 0 .. dim - 1 (INDEX_BOUNDS), not
 * below the one before (INDEX_ORDER), not equal to it (INDEX_DUPLICATE);
 * each value in turn: present, not NaN, not infinite, not 0 or -0 (ZERO).
 * Bytes after the last value are left alone; res->consumed says how many
 * were read.  indices and values may both be NULL to validate only;
 * otherwise each needs room for outcap entries.
 */
extern SparsevecParseStatus SparsevecParseBinary(const unsigned char *buf,
												 size_t len, int maxdim,
												 int maxnnz,
												 int expected_dim,
												 int32_t *indices,
												 float *values, int outcap,
												 SparsevecParseResult *res);

/*
 * Write the binary form of a valid sparsevec to out, which must have room
 * for SPARSEVEC_BINARY_SIZE(nnz) bytes.  The unused field is written as 0.
 */
extern void SparsevecEncodeBinary(int dim, int nnz, const int32_t *indices,
								  const float *values, unsigned char *out);

#endif							/* HNSW_SPARSEVEC_PARSE_H */

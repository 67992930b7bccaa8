/*-------------------------------------------------------------------------
 *
 * halfvec_parse.h
 *	  Parsers for the text and binary forms of the halfvec type.
 *
 * Plain C, like vector_parse.h, whose status codes and result struct it
 * shares: no PostgreSQL header, no allocation, no throwing.  halfvec_in
 * and halfvec_recv map the codes to their ereports, so that the fuzz
 * target in test/fuzz exercises exactly the code the server runs.
 *
 * Values are kept as binary16 bit patterns (see halfutils.h).
 *
 * IDENTIFICATION
 *	  src/halfvec_parse.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_HALFVEC_PARSE_H
#define HNSW_HALFVEC_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "vector_parse.h"

/* Number of bytes of the binary form of a halfvec of dim elements */
#define HALFVEC_BINARY_SIZE(dim)	(4 + 2 * (size_t) (dim))

/*
 * Parse the text form "[x1,x2,...]" of str (NUL-terminated) into binary16
 * values.
 *
 * The grammar and whitespace are those of VectorParseText.  Each number is
 * read with strtof, then rounded to binary16 (to nearest, ties to even).
 * The checks on an element, in order: float4 overflow, or a finite float4
 * that rounds to infinity in binary16 (|x| >= 65520), is OUT_OF_RANGE with
 * the token's span; a NaN literal is NAN; an infinity literal is INF.
 * Underflow is silent and keeps the sign.  At most maxdim elements are
 * accepted; if expected_dim >= 0, a well-formed halfvec of another size is
 * DIM_MISMATCH.  out must have room for outcap values; a cap from
 * VectorTextMaxElements(str, maxdim) is always enough.
 */
extern VectorParseStatus HalfvecParseText(const char *str, int maxdim,
										  int expected_dim, uint16_t *out,
										  int outcap,
										  VectorParseResult *res);

/*
 * Validate and decode the binary form in buf[0 .. len): network-order
 * int16 dim, int16 unused, then dim network-order binary16 values.  Checks
 * happen in this order: header present, dim >= 1, dim <= maxdim, dim ==
 * expected_dim (if >= 0), unused == 0, then each value in turn (present,
 * not NaN, not infinite).  Subnormals and -0 are accepted.  Bytes after
 * the last value are left alone; res->consumed says how many were read.
 * out may be NULL to validate only; otherwise it needs room for outcap
 * values.
 */
extern VectorParseStatus HalfvecParseBinary(const unsigned char *buf,
											size_t len, int maxdim,
											int expected_dim, uint16_t *out,
											int outcap,
											VectorParseResult *res);

/*
 * Write the binary form of x[0 .. dim) to out, which must have room for
 * HALFVEC_BINARY_SIZE(dim) bytes.  The unused field is written as 0.
 */
extern void HalfvecEncodeBinary(const uint16_t *x, int dim,
								unsigned char *out);

#endif							/* HNSW_HALFVEC_PARSE_H */

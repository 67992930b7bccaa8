/*-------------------------------------------------------------------------
 *
 * fuzz_halfvec_parse.c
 *	  libFuzzer target for the halfvec text and binary parsers.
 *
 * Input layout: one configuration byte, then the payload.  Both parsers
 * read the same payload, the text parser up to its first NUL.
 *
 *	cfg bit 7	if set, maxdim = cfg & 7 (else the real 16000)
 *	cfg bit 6	if set, expected_dim = (cfg >> 3) & 7 (else -1, no typmod)
 *
 * Besides the sanitizers, the target checks properties of each result:
 * a successful parse holds only finite binary16 values, reads back
 * identically after formatting (text) or encoding (binary); the text parse
 * agrees with the vector parser on the same string, value by value after
 * rounding to binary16, and reports the same error wherever binary16's
 * smaller range is not the cause; an error never reports a span outside
 * the input, nor a status that its form cannot produce.
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_halfvec_parse.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halfutils.h"
#include "halfvec_parse.h"
#include "vector_parse.h"

#define MAX_DIM 16000

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "property failed: %s (%s:%d)\n", \
					#cond, __FILE__, __LINE__); \
			abort(); \
		} \
	} while (0)

static uint16_t values[MAX_DIM];
static uint16_t again[MAX_DIM];
static float floats[MAX_DIM];
static unsigned char encoded[4 + 2 * MAX_DIM];

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Are two binary16 arrays identical bit for bit? */
static int
same_bits(const uint16_t *a, const uint16_t *b, int n)
{
	return memcmp(a, b, sizeof(uint16_t) * (size_t) n) == 0;
}

/* Format x[0 .. dim) as "[a,b,...]", each value widened to float4 */
static char *
format_text(const uint16_t *x, int dim)
{
	size_t		cap = (size_t) dim * 20 + 3;
	char	   *buf = malloc(cap);
	size_t		pos = 0;

	CHECK(buf != NULL);
	buf[pos++] = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			buf[pos++] = ',';
		pos += (size_t) snprintf(buf + pos, cap - pos, "%.9g",
								 (double) HalfToFloat4(x[i]));
		CHECK(pos < cap);
	}
	buf[pos++] = ']';
	buf[pos] = '\0';
	return buf;
}

/* Values that parsed must read back the same through the other paths */
static void
check_roundtrips(const uint16_t *x, int dim)
{
	VectorParseResult res;
	char	   *text;

	for (int i = 0; i < dim; i++)
		CHECK(!HalfIsNan(x[i]) && !HalfIsInf(x[i]));

	text = format_text(x, dim);
	CHECK(HalfvecParseText(text, MAX_DIM, dim, again, MAX_DIM, &res) ==
		  VECTOR_PARSE_OK);
	CHECK(res.dim == dim);
	CHECK(same_bits(x, again, dim));
	free(text);

	HalfvecEncodeBinary(x, dim, encoded);
	CHECK(HalfvecParseBinary(encoded, HALFVEC_BINARY_SIZE(dim), MAX_DIM, dim,
							 again, MAX_DIM, &res) == VECTOR_PARSE_OK);
	CHECK(res.dim == dim);
	CHECK(res.consumed == HALFVEC_BINARY_SIZE(dim));
	CHECK(same_bits(x, again, dim));
}

static void
fuzz_text(const char *str, int maxdim, int expected_dim)
{
	VectorParseResult res;
	VectorParseResult vres;
	VectorParseStatus st;
	VectorParseStatus vst;
	int			cap = VectorTextMaxElements(str, maxdim);
	size_t		len = strlen(str);

	CHECK(cap >= 0 && cap <= maxdim);
	st = HalfvecParseText(str, maxdim, expected_dim, values, cap, &res);
	CHECK(st == res.status);
	CHECK(st != VECTOR_PARSE_NO_ROOM);	/* cap is always enough */
	CHECK(st != VECTOR_PARSE_UNUSED && st != VECTOR_PARSE_SHORT);
	CHECK(res.dim >= 0 && res.dim <= maxdim);

	switch (st)
	{
		case VECTOR_PARSE_OK:
			CHECK(res.dim >= 1);
			CHECK(expected_dim < 0 || res.dim == expected_dim);
			check_roundtrips(values, res.dim);
			break;
		case VECTOR_PARSE_OUT_OF_RANGE:
			{
				char	   *tok;
				char	   *end;
				float		f;

				CHECK(res.tok_len > 0);
				CHECK(res.tok_start + res.tok_len <= len);
				tok = strndup(str + res.tok_start, res.tok_len);
				CHECK(tok != NULL);
				errno = 0;
				f = strtof(tok, &end);
				CHECK(*end == '\0');
				CHECK((errno == ERANGE && isinf(f)) ||
					  (isfinite(f) && HalfIsInf(Float4ToHalf(f))));
				free(tok);
				break;
			}
		case VECTOR_PARSE_DIM_MISMATCH:
			CHECK(expected_dim >= 0 && res.dim != expected_dim);
			break;
		case VECTOR_PARSE_NO_DIMS:
			CHECK(res.dim == 0);
			break;
		case VECTOR_PARSE_TOO_MANY_DIMS:
			CHECK(res.dim == maxdim);
			break;
		default:
			break;
	}

	/*
	 * The vector parser reads the same grammar: it agrees on everything
	 * except the values that only binary16 cannot hold.
	 */
	vst = VectorParseText(str, maxdim, expected_dim, floats, cap, &vres);
	if (st != VECTOR_PARSE_OUT_OF_RANGE)
	{
		CHECK(vst == st);
		CHECK(vres.dim == res.dim);
	}
	if (st == VECTOR_PARSE_OK)
	{
		for (int i = 0; i < res.dim; i++)
			CHECK(Float4ToHalf(floats[i]) == values[i]);
	}
	if (vst == VECTOR_PARSE_OK && st == VECTOR_PARSE_OUT_OF_RANGE)
	{
		int			big = 0;

		for (int i = 0; i < vres.dim; i++)
			big |= HalfIsInf(Float4ToHalf(floats[i]));
		CHECK(big);
	}
}

static void
fuzz_binary(const unsigned char *buf, size_t len, int maxdim,
			int expected_dim)
{
	VectorParseResult res;
	VectorParseResult res2;
	VectorParseStatus st;

	st = HalfvecParseBinary(buf, len, maxdim, expected_dim, values, MAX_DIM,
							&res);
	CHECK(st == res.status);
	CHECK(st != VECTOR_PARSE_SYNTAX && st != VECTOR_PARSE_NO_BRACKET &&
		  st != VECTOR_PARSE_JUNK && st != VECTOR_PARSE_OUT_OF_RANGE &&
		  st != VECTOR_PARSE_NO_ROOM);

	/* Validating without an output buffer gives the same verdict */
	CHECK(HalfvecParseBinary(buf, len, maxdim, expected_dim, NULL, 0,
							 &res2) == st);
	CHECK(res2.dim == res.dim && res2.consumed == res.consumed &&
		  res2.unused == res.unused);

	switch (st)
	{
		case VECTOR_PARSE_OK:
			CHECK(res.dim >= 1 && res.dim <= maxdim);
			CHECK(expected_dim < 0 || res.dim == expected_dim);
			CHECK(res.consumed == HALFVEC_BINARY_SIZE(res.dim));
			CHECK(res.consumed <= len);
			HalfvecEncodeBinary(values, res.dim, encoded);
			CHECK(memcmp(encoded, buf, res.consumed) == 0);
			check_roundtrips(values, res.dim);
			break;
		case VECTOR_PARSE_SHORT:
			CHECK(len < 4 || len < HALFVEC_BINARY_SIZE(res.dim));
			break;
		case VECTOR_PARSE_UNUSED:
			CHECK(res.unused != 0);
			break;
		case VECTOR_PARSE_NO_DIMS:
			CHECK(res.dim < 1);
			break;
		case VECTOR_PARSE_TOO_MANY_DIMS:
			CHECK(res.dim > maxdim);
			break;
		default:
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		cfg;
	int			maxdim;
	int			expected_dim;
	char	   *text;

	if (size < 1)
		return 0;
	cfg = data[0];
	data++;
	size--;

	maxdim = (cfg & 0x80) ? (cfg & 7) : MAX_DIM;
	expected_dim = (cfg & 0x40) ? ((cfg >> 3) & 7) : -1;

	text = malloc(size + 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_text(text, maxdim, expected_dim);
	free(text);

	fuzz_binary(data, size, maxdim, expected_dim);
	return 0;
}

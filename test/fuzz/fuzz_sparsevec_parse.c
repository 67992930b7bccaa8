/*-------------------------------------------------------------------------
 *
 * fuzz_sparsevec_parse.c
 *	  libFuzzer target for the sparsevec text and binary parsers.
 *
 * Input layout: one configuration byte, then the payload.  Both parsers
 * read the same payload, the text parser up to its first NUL.
 *
 *	cfg bit 7	if set, maxdim = cfg & 7 (else the real 1000000000)
 *	cfg bit 6	if set, expected_dim = (cfg >> 3) & 7 (else -1, no typmod)
 *	cfg bits 7, 6 = 1, 0: maxnnz = (cfg >> 3) & 7 (else the real 16000)
 *
 * Besides the sanitizers, the target checks properties of each result:
 * a successful parse holds the stored form (0-based indices strictly
 * ascending and below dim, finite non-zero values), reads back identically
 * after formatting (text) or encoding (binary), and agrees across the two
 * forms; an error never reports a span outside the input, nor a status
 * that its form cannot produce.
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_sparsevec_parse.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparsevec_parse.h"

#define MAX_DIM 1000000000
#define MAX_NNZ 16000

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "property failed: %s (%s:%d)\n", \
					#cond, __FILE__, __LINE__); \
			abort(); \
		} \
	} while (0)

static int32_t indices[MAX_NNZ];
static float values[MAX_NNZ];
static int32_t indices2[MAX_NNZ];
static float values2[MAX_NNZ];
static unsigned char encoded[12 + 8 * MAX_NNZ];

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Format a sparsevec as "{i:v,...}/dim" (1-based) with round-trip precision */
static char *
format_text(int dim, int nnz, const int32_t *ix, const float *x)
{
	size_t		cap = (size_t) nnz * 32 + 16;
	char	   *buf = malloc(cap);
	size_t		pos = 0;

	CHECK(buf != NULL);
	buf[pos++] = '{';
	for (int i = 0; i < nnz; i++)
	{
		if (i > 0)
			buf[pos++] = ',';
		pos += (size_t) snprintf(buf + pos, cap - pos, "%d:%.9g",
								 (int) ix[i] + 1, x[i]);
		CHECK(pos < cap);
	}
	pos += (size_t) snprintf(buf + pos, cap - pos, "}/%d", dim);
	CHECK(pos < cap);
	return buf;
}

/* A parsed sparsevec must be in stored form and read back the same */
static void
check_valid(int dim, int nnz, int maxdim, int maxnnz)
{
	SparsevecParseResult res;
	char	   *text;

	CHECK(dim >= 1 && dim <= maxdim);
	CHECK(nnz >= 0 && nnz <= maxnnz && nnz <= dim);
	for (int i = 0; i < nnz; i++)
	{
		CHECK(indices[i] >= 0 && indices[i] < dim);
		CHECK(i == 0 || indices[i] > indices[i - 1]);
		CHECK(isfinite(values[i]) && values[i] != 0.0f);
	}

	text = format_text(dim, nnz, indices, values);
	CHECK(SparsevecParseText(text, MAX_DIM, MAX_NNZ, dim, indices2, values2,
							 MAX_NNZ, &res) == SPARSEVEC_PARSE_OK);
	CHECK(res.dim == dim && res.nnz == nnz);
	CHECK(memcmp(indices, indices2, sizeof(int32_t) * (size_t) nnz) == 0);
	CHECK(memcmp(values, values2, sizeof(float) * (size_t) nnz) == 0);
	free(text);

	SparsevecEncodeBinary(dim, nnz, indices, values, encoded);
	CHECK(SparsevecParseBinary(encoded, SPARSEVEC_BINARY_SIZE(nnz), MAX_DIM,
							   MAX_NNZ, dim, indices2, values2, MAX_NNZ,
							   &res) == SPARSEVEC_PARSE_OK);
	CHECK(res.dim == dim && res.nnz == nnz);
	CHECK(res.consumed == SPARSEVEC_BINARY_SIZE(nnz));
	CHECK(memcmp(indices, indices2, sizeof(int32_t) * (size_t) nnz) == 0);
	CHECK(memcmp(values, values2, sizeof(float) * (size_t) nnz) == 0);
}

static void
fuzz_text(const char *str, int maxdim, int maxnnz, int expected_dim)
{
	SparsevecParseResult res;
	SparsevecParseStatus st;
	int			bound = SparsevecTextMaxElements(str, maxnnz);
	int			cap = bound < maxnnz ? bound : maxnnz;
	size_t		len = strlen(str);
	int			commas = 0;

	for (size_t i = 0; i < len; i++)
		commas += str[i] == ',';
	CHECK(bound >= 1 && bound <= maxnnz + 1);
	CHECK(bound == (commas + 1 <= maxnnz ? commas + 1 : maxnnz + 1));

	st = SparsevecParseText(str, maxdim, maxnnz, expected_dim, indices,
							values, cap, &res);
	CHECK(st == res.status);
	CHECK(st != SPARSEVEC_PARSE_NO_ROOM);	/* cap is always enough */
	CHECK(st != SPARSEVEC_PARSE_NEGATIVE_NNZ &&
		  st != SPARSEVEC_PARSE_NNZ_OVER_DIM &&
		  st != SPARSEVEC_PARSE_UNUSED &&
		  st != SPARSEVEC_PARSE_INDEX_ORDER &&
		  st != SPARSEVEC_PARSE_ZERO &&
		  st != SPARSEVEC_PARSE_SHORT);
	CHECK(res.nnz >= 0 && res.nnz <= cap);

	switch (st)
	{
		case SPARSEVEC_PARSE_OK:
			CHECK(expected_dim < 0 || res.dim == expected_dim);
			check_valid(res.dim, res.nnz, maxdim, maxnnz);
			break;
		case SPARSEVEC_PARSE_TOO_MANY_NNZ:
			CHECK(commas + 1 > maxnnz);
			break;
		case SPARSEVEC_PARSE_OUT_OF_RANGE:
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
				CHECK(*end == '\0' && errno == ERANGE &&
					  (isinf(f) || f == 0.0f));
				free(tok);
				break;
			}
		case SPARSEVEC_PARSE_DIM_MISMATCH:
			CHECK(expected_dim >= 0 && res.dim != expected_dim);
			CHECK(res.dim >= 1 && res.dim <= maxdim);
			break;
		case SPARSEVEC_PARSE_TOO_MANY_DIMS:
			CHECK(res.dim == maxdim + 1);
			break;
		default:
			break;
	}
}

static void
fuzz_binary(const unsigned char *buf, size_t len, int maxdim, int maxnnz,
			int expected_dim)
{
	SparsevecParseResult res;
	SparsevecParseResult res2;
	SparsevecParseStatus st;

	st = SparsevecParseBinary(buf, len, maxdim, maxnnz, expected_dim,
							  indices, values, MAX_NNZ, &res);
	CHECK(st == res.status);
	CHECK(st != SPARSEVEC_PARSE_SYNTAX && st != SPARSEVEC_PARSE_NO_BRACE &&
		  st != SPARSEVEC_PARSE_NO_SLASH && st != SPARSEVEC_PARSE_JUNK &&
		  st != SPARSEVEC_PARSE_OUT_OF_RANGE &&
		  st != SPARSEVEC_PARSE_NO_ROOM);

	/* Validating without output buffers gives the same verdict */
	CHECK(SparsevecParseBinary(buf, len, maxdim, maxnnz, expected_dim, NULL,
							   NULL, 0, &res2) == st);
	CHECK(res2.dim == res.dim && res2.nnz == res.nnz &&
		  res2.consumed == res.consumed && res2.unused == res.unused);

	switch (st)
	{
		case SPARSEVEC_PARSE_OK:
			CHECK(expected_dim < 0 || res.dim == expected_dim);
			CHECK(res.consumed == SPARSEVEC_BINARY_SIZE(res.nnz));
			CHECK(res.consumed <= len);
			SparsevecEncodeBinary(res.dim, res.nnz, indices, values,
								  encoded);
			CHECK(memcmp(encoded, buf, res.consumed) == 0);
			check_valid(res.dim, res.nnz, maxdim, maxnnz);
			break;
		case SPARSEVEC_PARSE_SHORT:
			CHECK(len < SPARSEVEC_BINARY_SIZE(res.nnz));
			break;
		case SPARSEVEC_PARSE_NO_DIMS:
			CHECK(res.dim < 1);
			break;
		case SPARSEVEC_PARSE_TOO_MANY_DIMS:
			CHECK(res.dim > maxdim);
			break;
		case SPARSEVEC_PARSE_NEGATIVE_NNZ:
			CHECK(res.nnz < 0);
			break;
		case SPARSEVEC_PARSE_TOO_MANY_NNZ:
			CHECK(res.nnz > maxnnz);
			break;
		case SPARSEVEC_PARSE_NNZ_OVER_DIM:
			CHECK(res.nnz > res.dim);
			break;
		case SPARSEVEC_PARSE_UNUSED:
			CHECK(res.unused != 0);
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
	int			maxnnz;
	int			expected_dim;
	char	   *text;

	if (size < 1)
		return 0;
	cfg = data[0];
	data++;
	size--;

	maxdim = (cfg & 0x80) ? (cfg & 7) : MAX_DIM;
	expected_dim = (cfg & 0x40) ? ((cfg >> 3) & 7) : -1;
	maxnnz = ((cfg & 0xC0) == 0x80) ? ((cfg >> 3) & 7) : MAX_NNZ;

	text = malloc(size + 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_text(text, maxdim, maxnnz, expected_dim);
	free(text);

	fuzz_binary(data, size, maxdim, maxnnz, expected_dim);
	return 0;
}

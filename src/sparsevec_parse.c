/*-------------------------------------------------------------------------
 *
 * sparsevec_parse.c
 *	  Parsers for the text and binary forms of the sparsevec type.
 *
 * Plain C with no PostgreSQL dependency, so that test/fuzz can link this
 * file on its own.  The parsers never allocate and never throw: they
 * report a SparsevecParseStatus, and the SQL-level wrappers in sparsevec.c
 * turn it into the matching ereport.
 *
 * The text grammar, with "ws" any of space, \t, \n, \r, \v, \f:
 *
 *		ws "{" ws [ entry { "," entry } ] "}" ws "/" ws integer ws
 *		entry = ws integer ws ":" ws number ws
 *
 * where integer is whatever strtoll accepts in base 10 (an optional sign,
 * then digits) and number is whatever strtof accepts.  Syntax errors and
 * errors in the values are reported in the order the input is read; the
 * dimensions and the indices are checked only once the whole text has
 * been read, because an index can only be judged against the dimensions
 * that follow it.
 *
 * IDENTIFICATION
 *	  src/sparsevec_parse.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sparsevec_parse.h"

/*
 * The whitespace PostgreSQL 15's array and vector input accept; unlike
 * isspace() this does not depend on the locale.
 */
static inline int
sp_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

static inline const char *
sp_skip_space(const char *pt)
{
	while (sp_isspace(*pt))
		pt++;
	return pt;
}

/* Record a failure (or success) in res and return its status */
static SparsevecParseStatus
sp_fail(SparsevecParseResult *res, SparsevecParseStatus status)
{
	res->status = status;
	return status;
}

/* Read a network-order int32 at p */
static inline int32_t
sp_get_int32(const unsigned char *p)
{
	uint32_t	u;

	u = ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
	return (int32_t) u;
}

/* Read a network-order float4 at p */
static inline float
sp_get_float4(const unsigned char *p)
{
	uint32_t	u = (uint32_t) sp_get_int32(p);
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* Write u at p in network order */
static inline void
sp_put_uint32(unsigned char *p, uint32_t u)
{
	p[0] = (unsigned char) (u >> 24);
	p[1] = (unsigned char) (u >> 16);
	p[2] = (unsigned char) (u >> 8);
	p[3] = (unsigned char) u;
}

/* Exchange entries i and j of the parallel arrays */
static inline void
sp_swap(int32_t *indices, float *values, int i, int j)
{
	int32_t		ti = indices[i];
	float		tv = values[i];

	indices[i] = indices[j];
	values[i] = values[j];
	indices[j] = ti;
	values[j] = tv;
}

/* Restore the max-heap property below node i of a heap of n entries */
static void
sp_sift_down(int32_t *indices, float *values, int i, int n)
{
	for (;;)
	{
		int			child = 2 * i + 1;

		if (child >= n)
			return;
		if (child + 1 < n && indices[child + 1] > indices[child])
			child++;
		if (indices[child] <= indices[i])
			return;
		sp_swap(indices, values, i, child);
		i = child;
	}
}

/*
 * Sort the entries by index.  Heapsort: no allocation, O(n log n) in the
 * worst case, and most inputs are already sorted, which is checked first.
 * Equal indices end up adjacent, in no particular order.
 */
static void
sp_sort_entries(int32_t *indices, float *values, int n)
{
	int			sorted = 1;

	for (int i = 1; i < n && sorted; i++)
		sorted = indices[i - 1] <= indices[i];
	if (sorted)
		return;

	for (int i = n / 2 - 1; i >= 0; i--)
		sp_sift_down(indices, values, i, n);
	for (int end = n - 1; end > 0; end--)
	{
		sp_swap(indices, values, 0, end);
		sp_sift_down(indices, values, 0, end);
	}
}

/*
 * SparsevecTextMaxElements
 *
 * Every entry but the first is preceded by a comma, so the number of
 * commas plus one bounds the number of entries, whatever else the text
 * holds.
 */
int
SparsevecTextMaxElements(const char *str, int maxnnz)
{
	int			n = 1;

	if (maxnnz < 0)
		maxnnz = 0;
	for (const char *pt = str; *pt != '\0' && n <= maxnnz; pt++)
	{
		if (*pt == ',')
			n++;
	}
	return n;
}

/*
 * SparsevecParseText
 *
 * See sparsevec_parse.h for the contract.  res is always filled in.  While
 * the text is read, indices are kept 1-based and clamped to
 * [0, maxdim + 1], so that an index too large for any integer type is
 * still out of bounds; they become 0-based once checked.
 */
SparsevecParseStatus
SparsevecParseText(const char *str, int maxdim, int maxnnz, int expected_dim,
				   int32_t *indices, float *values, int outcap,
				   SparsevecParseResult *res)
{
	const char *pt = str;
	char	   *end;
	long long	lldim;
	int			nnz = 0;
	int			dim;

	memset(res, 0, sizeof(*res));

	if (maxdim < 0)
		maxdim = 0;
	if (SparsevecTextMaxElements(str, maxnnz) > maxnnz)
		return sp_fail(res, SPARSEVEC_PARSE_TOO_MANY_NNZ);

	pt = sp_skip_space(pt);
	if (*pt != '{')
		return sp_fail(res, SPARSEVEC_PARSE_NO_BRACE);
	pt = sp_skip_space(pt + 1);

	if (*pt == '}')
		pt++;
	else
	{
		for (;;)
		{
			long long	index;
			float		val;

			/* the index */
			pt = sp_skip_space(pt);
			errno = 0;
			index = strtoll(pt, &end, 10);
			if (end == pt)
				return sp_fail(res, SPARSEVEC_PARSE_SYNTAX);
			if (index < 0)
				index = 0;
			else if (index > (long long) maxdim)
				index = (long long) maxdim + 1;

			pt = sp_skip_space(end);
			if (*pt != ':')
				return sp_fail(res, SPARSEVEC_PARSE_SYNTAX);
			pt = sp_skip_space(pt + 1);

			/* the value */
			errno = 0;
			val = strtof(pt, &end);
			if (end == pt)
				return sp_fail(res, SPARSEVEC_PARSE_SYNTAX);

			/*
			 * ERANGE with a non-zero finite result is a subnormal, which is
			 * accepted; overflow and underflow to zero are not.
			 */
			if (errno == ERANGE && (isinf(val) || val == 0.0f))
			{
				res->tok_start = (size_t) (pt - str);
				res->tok_len = (size_t) (end - pt);
				return sp_fail(res, SPARSEVEC_PARSE_OUT_OF_RANGE);
			}
			if (isnan(val))
				return sp_fail(res, SPARSEVEC_PARSE_NAN);
			if (isinf(val))
				return sp_fail(res, SPARSEVEC_PARSE_INF);

			/* Zeros (also -0) are not stored */
			if (val != 0.0f)
			{
				if (nnz >= outcap)
					return sp_fail(res, SPARSEVEC_PARSE_NO_ROOM);
				indices[nnz] = (int32_t) index;
				values[nnz] = val;
				nnz++;
				res->nnz = nnz;
			}

			pt = sp_skip_space(end);
			if (*pt == ',')
				pt++;
			else if (*pt == '}')
			{
				pt++;
				break;
			}
			else
				return sp_fail(res, SPARSEVEC_PARSE_SYNTAX);
		}
	}

	/* "/" and the dimensions */
	pt = sp_skip_space(pt);
	if (*pt != '/')
		return sp_fail(res, SPARSEVEC_PARSE_NO_SLASH);
	pt = sp_skip_space(pt + 1);

	errno = 0;
	lldim = strtoll(pt, &end, 10);
	if (end == pt)
		return sp_fail(res, SPARSEVEC_PARSE_SYNTAX);
	pt = sp_skip_space(end);
	if (*pt != '\0')
		return sp_fail(res, SPARSEVEC_PARSE_JUNK);

	if (lldim < 1)
		return sp_fail(res, SPARSEVEC_PARSE_NO_DIMS);
	if (lldim > (long long) maxdim)
	{
		res->dim = maxdim + 1;
		return sp_fail(res, SPARSEVEC_PARSE_TOO_MANY_DIMS);
	}
	dim = (int) lldim;
	res->dim = dim;

	if (expected_dim >= 0 && dim != expected_dim)
		return sp_fail(res, SPARSEVEC_PARSE_DIM_MISMATCH);

	for (int i = 0; i < nnz; i++)
	{
		if (indices[i] < 1 || indices[i] > dim)
			return sp_fail(res, SPARSEVEC_PARSE_INDEX_BOUNDS);
		indices[i]--;
	}

	sp_sort_entries(indices, values, nnz);
	for (int i = 1; i < nnz; i++)
	{
		if (indices[i] == indices[i - 1])
			return sp_fail(res, SPARSEVEC_PARSE_INDEX_DUPLICATE);
	}

	return sp_fail(res, SPARSEVEC_PARSE_OK);
}

/*
 * SparsevecParseBinary
 *
 * See sparsevec_parse.h for the contract.  The header is checked as a
 * whole, then the indices and values in the order a reader of the message
 * meets them, so that a message with several faults reports the same one
 * whichever client sent it.
 */
SparsevecParseStatus
SparsevecParseBinary(const unsigned char *buf, size_t len, int maxdim,
					 int maxnnz, int expected_dim, int32_t *indices,
					 float *values, int outcap, SparsevecParseResult *res)
{
	int32_t		dim;
	int32_t		nnz;
	int32_t		prev = -1;
	int			decode = (indices != NULL && values != NULL);

	memset(res, 0, sizeof(*res));

	if (len < SPARSEVEC_BINARY_SIZE(0))
		return sp_fail(res, SPARSEVEC_PARSE_SHORT);
	dim = sp_get_int32(buf);
	nnz = sp_get_int32(buf + 4);
	res->dim = dim;
	res->nnz = nnz;
	res->unused = sp_get_int32(buf + 8);

	if (dim < 1)
		return sp_fail(res, SPARSEVEC_PARSE_NO_DIMS);
	if (dim > maxdim)
		return sp_fail(res, SPARSEVEC_PARSE_TOO_MANY_DIMS);
	if (nnz < 0)
		return sp_fail(res, SPARSEVEC_PARSE_NEGATIVE_NNZ);
	if (nnz > maxnnz)
		return sp_fail(res, SPARSEVEC_PARSE_TOO_MANY_NNZ);
	if (nnz > dim)
		return sp_fail(res, SPARSEVEC_PARSE_NNZ_OVER_DIM);
	if (expected_dim >= 0 && dim != expected_dim)
		return sp_fail(res, SPARSEVEC_PARSE_DIM_MISMATCH);
	if (res->unused != 0)
		return sp_fail(res, SPARSEVEC_PARSE_UNUSED);
	if (decode && outcap < nnz)
		return sp_fail(res, SPARSEVEC_PARSE_NO_ROOM);

	for (int i = 0; i < nnz; i++)
	{
		size_t		off = SPARSEVEC_BINARY_SIZE(0) + 4 * (size_t) i;
		int32_t		index;

		if (len - off < 4)
			return sp_fail(res, SPARSEVEC_PARSE_SHORT);
		index = sp_get_int32(buf + off);
		if (index < 0 || index >= dim)
			return sp_fail(res, SPARSEVEC_PARSE_INDEX_BOUNDS);
		if (index < prev)
			return sp_fail(res, SPARSEVEC_PARSE_INDEX_ORDER);
		if (index == prev)
			return sp_fail(res, SPARSEVEC_PARSE_INDEX_DUPLICATE);
		prev = index;
		if (decode)
			indices[i] = index;
	}

	for (int i = 0; i < nnz; i++)
	{
		size_t		off = SPARSEVEC_BINARY_SIZE(0) + 4 * ((size_t) nnz + i);
		float		val;

		if (len - off < 4)
			return sp_fail(res, SPARSEVEC_PARSE_SHORT);
		val = sp_get_float4(buf + off);
		if (isnan(val))
			return sp_fail(res, SPARSEVEC_PARSE_NAN);
		if (isinf(val))
			return sp_fail(res, SPARSEVEC_PARSE_INF);
		if (val == 0.0f)
			return sp_fail(res, SPARSEVEC_PARSE_ZERO);
		if (decode)
			values[i] = val;
	}

	res->consumed = SPARSEVEC_BINARY_SIZE(nnz);
	return sp_fail(res, SPARSEVEC_PARSE_OK);
}

/*
 * SparsevecEncodeBinary
 *
 * The inverse of SparsevecParseBinary for a valid sparsevec.
 */
void
SparsevecEncodeBinary(int dim, int nnz, const int32_t *indices,
					  const float *values, unsigned char *out)
{
	sp_put_uint32(out, (uint32_t) dim);
	sp_put_uint32(out + 4, (uint32_t) nnz);
	sp_put_uint32(out + 8, 0);
	out += SPARSEVEC_BINARY_SIZE(0);

	for (int i = 0; i < nnz; i++, out += 4)
		sp_put_uint32(out, (uint32_t) indices[i]);

	for (int i = 0; i < nnz; i++, out += 4)
	{
		uint32_t	u;

		memcpy(&u, &values[i], sizeof(u));
		sp_put_uint32(out, u);
	}
}

/*-------------------------------------------------------------------------
 *
 * halfvec.c
 *	  The halfvec data type: I/O, casts, operators, distances, aggregates.
 *
 * A halfvec is a varlena of IEEE 754 binary16 values (see halfvec.h for
 * the layout).  Values are always finite: every way in (text, binary,
 * arrays, casts from vector) refuses NaN and infinity, a finite value too
 * large for binary16 (|x| >= 65520 before rounding) is "out of range", and
 * arithmetic raises an overflow error instead of producing infinity.
 * Underflow rounds to a signed zero silently, except in "*", which reports
 * it as float4 multiplication does.
 *
 * Every computation widens the values to float4, which is exact, and works
 * there: text output prints the shortest float4 text of each widened
 * value, and the distances go through the half kernels of hnsw_distance.c,
 * which accumulate in float4 exactly like the vector kernels (so a halfvec
 * and its cast to vector give the same distances up to the order of
 * summation).  The final square root or division is done in double.
 *
 * Text and binary input are parsed by the PostgreSQL-free code in
 * halfvec_parse.c; this file maps its status codes to ereports.
 *
 * IDENTIFICATION
 *	  src/halfvec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/varbit.h"

#include "halfutils.h"
#include "halfvec.h"
#include "halfvec_parse.h"
#include "hnsw_distance.h"
#include "vector.h"

/* Number of summed vectors and their dims in an avg state array */
#define STATE_DIMS(arr)		(ARR_DIMS(arr)[0] - 1)

/*
 * Raise "halfvec must have at least 1 dimension" or "... more than 16000
 * dimensions" unless 1 <= dim <= HALFVEC_MAX_DIM.
 */
static inline void
CheckDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("halfvec must have at least 1 dimension")));

	if (dim > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("halfvec cannot have more than %d dimensions",
						HALFVEC_MAX_DIM)));
}

/* Enforce a typmod (-1 means none) against an actual number of dims */
static inline void
CheckExpectedDim(int32 typmod, int dim)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

/* Both operands of a binary operator or distance must have the same dims */
static inline void
CheckDims(const HalfVector *a, const HalfVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different halfvec dimensions %d and %d",
						a->dim, b->dim)));
}

/* Refuse a NaN or infinite element */
static inline void
CheckElement(uint16 h)
{
	if (HalfIsNan(h))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in halfvec")));

	if (HalfIsInf(h))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in halfvec")));
}

/*
 * Round a float4 to binary16.  A finite value that rounds to infinity is
 * out of range, quoted as its shortest float4 text; NaN and infinity pass
 * through for CheckElement to refuse.  Underflow gives a signed zero.
 */
static uint16
Float4ToHalfChecked(float value)
{
	uint16		h = Float4ToHalf(value);

	if (unlikely(HalfIsInf(h)) && !isinf(value))
	{
		char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

		float_to_shortest_decimal_buf(value, buf);
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%s\" is out of range for type halfvec", buf)));
	}
	return h;
}

/*
 * Round the result of an arithmetic operation to binary16; a result too
 * large is "value out of range: overflow", as for float4.
 */
static inline uint16
Float4ToHalfArith(float value)
{
	uint16		h = Float4ToHalf(value);

	if (unlikely(HalfIsInf(h)))
		float_overflow_error();
	return h;
}

/*
 * Raise the error for a failed text parse of lit.  The codes that a text
 * parse cannot produce fall through to elog.
 */
static void
ReportTextError(const char *lit, const VectorParseResult *res)
{
	switch (res->status)
	{
		case VECTOR_PARSE_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type halfvec: \"%s\"",
							lit)));
			break;
		case VECTOR_PARSE_NO_BRACKET:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type halfvec: \"%s\"",
							lit),
					 errdetail("Vector contents must start with \"[\".")));
			break;
		case VECTOR_PARSE_JUNK:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type halfvec: \"%s\"",
							lit),
					 errdetail("Junk after closing right brace.")));
			break;
		case VECTOR_PARSE_NO_DIMS:
			CheckDim(0);
			break;
		case VECTOR_PARSE_TOO_MANY_DIMS:
			CheckDim(HALFVEC_MAX_DIM + 1);
			break;
		case VECTOR_PARSE_NAN:
			CheckElement(HALF_POS_INF | 0x200);
			break;
		case VECTOR_PARSE_INF:
			CheckElement(HALF_POS_INF);
			break;
		case VECTOR_PARSE_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%s\" is out of range for type halfvec",
							pnstrdup(lit + res->tok_start, res->tok_len))));
			break;
		default:
			break;
	}
	elog(ERROR, "unexpected halfvec text parse status %d", (int) res->status);
}

/*
 * InitHalfVector
 *
 * Allocate a zero-filled halfvec of dim elements in the current memory
 * context.  The caller checks dim.
 */
HalfVector *
InitHalfVector(int dim)
{
	Size		size = HALFVEC_SIZE(dim);
	HalfVector *result = (HalfVector *) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = dim;
	return result;
}

/* ----------------------------------------------------------------
 *		I/O and type modifier
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_in);
/*
 * halfvec_in(cstring, oid, integer) -> halfvec
 */
Datum
halfvec_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			cap = VectorTextMaxElements(lit, HALFVEC_MAX_DIM);
	uint16	   *x = palloc(sizeof(uint16) * Max(cap, 1));
	VectorParseResult res;
	HalfVector *result;

	if (HalfvecParseText(lit, HALFVEC_MAX_DIM, -1, x, cap, &res) !=
		VECTOR_PARSE_OK)
		ReportTextError(lit, &res);

	CheckExpectedDim(typmod, res.dim);

	result = InitHalfVector(res.dim);
	memcpy(result->x, x, sizeof(uint16) * res.dim);
	pfree(x);

	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_out);
/*
 * halfvec_out(halfvec) -> cstring
 *
 * Each element is widened to float4 and printed in the shortest form that
 * reads back as the same float4 (hence as the same binary16), whatever
 * extra_float_digits says: '[1.23456]' prints as [1.234375].
 */
Datum
halfvec_out(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	int			dim = vec->dim;
	char	   *buf;
	char	   *ptr;

	/* An element takes at most FLOAT_SHORTEST_DECIMAL_LEN - 1 bytes + "," */
	buf = (char *) palloc(FLOAT_SHORTEST_DECIMAL_LEN * dim + 3);
	ptr = buf;

	*ptr++ = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			*ptr++ = ',';
		ptr += float_to_shortest_decimal_bufn(HalfToFloat4(vec->x[i]), ptr);
	}
	*ptr++ = ']';
	*ptr = '\0';

	PG_FREE_IF_COPY(vec, 0);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(halfvec_typmod_in);
/*
 * halfvec_typmod_in(cstring[]) -> integer
 *
 * The typmod is the number of dimensions: exactly one integer in
 * 1 .. HALFVEC_MAX_DIM.
 */
Datum
halfvec_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);

	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier")));

	if (*tl < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type halfvec must be at least 1")));

	if (*tl > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type halfvec cannot exceed %d",
						HALFVEC_MAX_DIM)));

	PG_RETURN_INT32(*tl);
}

PG_FUNCTION_INFO_V1(halfvec_recv);
/*
 * halfvec_recv(internal, oid, integer) -> halfvec
 *
 * Reads int16 dim, int16 unused, then dim binary16 values, all in network
 * order, and leaves the cursor after the last value.  The checks run in
 * the order dim range, typmod, unused, then each value (NaN, infinity).
 */
Datum
halfvec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const unsigned char *data = (const unsigned char *) buf->data + buf->cursor;
	size_t		len = buf->len - buf->cursor;
	VectorParseResult res;
	HalfVector *result;

	/* First pass validates and finds dim, the second decodes */
	if (HalfvecParseBinary(data, len, HALFVEC_MAX_DIM, typmod, NULL, 0,
						   &res) != VECTOR_PARSE_OK)
	{
		switch (res.status)
		{
			case VECTOR_PARSE_SHORT:
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("insufficient data left in message")));
				break;
			case VECTOR_PARSE_NO_DIMS:
			case VECTOR_PARSE_TOO_MANY_DIMS:
				CheckDim(res.dim);
				break;
			case VECTOR_PARSE_DIM_MISMATCH:
				CheckExpectedDim(typmod, res.dim);
				break;
			case VECTOR_PARSE_UNUSED:
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("expected unused to be 0, not %d",
								res.unused)));
				break;
			case VECTOR_PARSE_NAN:
				CheckElement(HALF_POS_INF | 0x200);
				break;
			case VECTOR_PARSE_INF:
				CheckElement(HALF_POS_INF);
				break;
			default:
				break;
		}
		elog(ERROR, "unexpected halfvec binary parse status %d",
			 (int) res.status);
	}

	result = InitHalfVector(res.dim);
	if (HalfvecParseBinary(data, len, HALFVEC_MAX_DIM, typmod, result->x,
						   result->dim, &res) != VECTOR_PARSE_OK)
		elog(ERROR, "halfvec binary parse is not repeatable");
	buf->cursor += (int) res.consumed;

	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_send);
/*
 * halfvec_send(halfvec) -> bytea
 */
Datum
halfvec_send(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	Size		len = HALFVEC_BINARY_SIZE(vec->dim);
	bytea	   *result = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	HalfvecEncodeBinary(vec->x, vec->dim, (unsigned char *) VARDATA(result));

	PG_RETURN_BYTEA_P(result);
}

/* ----------------------------------------------------------------
 *		Casts
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec);
/*
 * halfvec(halfvec, integer, boolean) -> halfvec
 *
 * The length-coercion cast: enforces the typmod and changes nothing else.
 */
Datum
halfvec(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	CheckExpectedDim(typmod, vec->dim);

	PG_RETURN_HALFVEC_P(vec);
}

PG_FUNCTION_INFO_V1(array_to_halfvec);
/*
 * array_to_halfvec(integer[] | real[] | double precision[] | numeric[],
 *					integer, boolean) -> halfvec
 *
 * The array must be one-dimensional and free of nulls.  Each element is
 * converted to float4, then rounded to binary16; it must end up finite.
 */
Datum
array_to_halfvec(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			nelems;
	HalfVector *result;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));

	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls")));

	if (elemtype != INT4OID && elemtype != FLOAT4OID &&
		elemtype != FLOAT8OID && elemtype != NUMERICOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("unsupported array type")));

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign,
					  &elems, NULL, &nelems);

	CheckDim(nelems);
	CheckExpectedDim(typmod, nelems);

	result = InitHalfVector(nelems);
	for (int i = 0; i < nelems; i++)
	{
		float		value;

		switch (elemtype)
		{
			case INT4OID:
				value = (float) DatumGetInt32(elems[i]);
				break;
			case FLOAT4OID:
				value = DatumGetFloat4(elems[i]);
				break;
			case FLOAT8OID:
				value = (float) DatumGetFloat8(elems[i]);
				break;
			default:			/* NUMERICOID */
				value = DatumGetFloat4(DirectFunctionCall1(numeric_float4,
														   elems[i]));
				break;
		}
		result->x[i] = Float4ToHalfChecked(value);
		CheckElement(result->x[i]);
	}

	pfree(elems);

	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_to_float4);
/*
 * halfvec_to_float4(halfvec, integer, boolean) -> real[]
 */
Datum
halfvec_to_float4(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	Datum	   *datums = (Datum *) palloc(sizeof(Datum) * vec->dim);
	ArrayType  *result;

	for (int i = 0; i < vec->dim; i++)
		datums[i] = Float4GetDatum(HalfToFloat4(vec->x[i]));

	result = construct_array(datums, vec->dim, FLOAT4OID, sizeof(float4),
							 true, TYPALIGN_INT);
	pfree(datums);

	PG_RETURN_ARRAYTYPE_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_to_vector);
/*
 * halfvec_to_vector(halfvec, integer, boolean) -> vector
 *
 * Exact: every binary16 value is a float4.  typmod is the target's.
 */
Datum
halfvec_to_vector(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Vector	   *result;

	CheckExpectedDim(typmod, vec->dim);

	result = InitVector(vec->dim);
	for (int i = 0; i < vec->dim; i++)
		result->x[i] = HalfToFloat4(vec->x[i]);

	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(vector_to_halfvec);
/*
 * vector_to_halfvec(vector, integer, boolean) -> halfvec
 *
 * Rounds each value to binary16: a value too large is out of range (quoted
 * as its shortest float4 text), a value too small becomes a signed zero.
 * typmod is the target's.
 */
Datum
vector_to_halfvec(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	HalfVector *result;

	CheckDim(vec->dim);
	CheckExpectedDim(typmod, vec->dim);

	result = InitHalfVector(vec->dim);
	for (int i = 0; i < vec->dim; i++)
	{
		result->x[i] = Float4ToHalfChecked(vec->x[i]);
		CheckElement(result->x[i]);
	}

	PG_RETURN_HALFVEC_P(result);
}

/* ----------------------------------------------------------------
 *		Distances and functions of one halfvec
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_l2_distance);
/*
 * l2_distance(halfvec, halfvec) -> float8: the Euclidean distance
 */
Datum
halfvec_l2_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8(sqrt((double) hnsw_kernels->half_l2sq(a->x, b->x,
														  a->dim)));
}

PG_FUNCTION_INFO_V1(halfvec_l2_squared_distance);
/*
 * halfvec_l2_squared_distance(halfvec, halfvec) -> float8
 *
 * The square of l2_distance, which orders the same; used by the l2
 * operator class.
 */
Datum
halfvec_l2_squared_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) hnsw_kernels->half_l2sq(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(halfvec_inner_product);
/*
 * inner_product(halfvec, halfvec) -> float8
 *
 * Summed in float4, so inner_product('[65504]', '[65504]') is 4290774016,
 * the float4 nearest 65504^2.
 */
Datum
halfvec_inner_product(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) hnsw_kernels->half_dot(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(halfvec_negative_inner_product);
/*
 * halfvec_negative_inner_product(halfvec, halfvec) -> float8
 *
 * The <#> operator: smaller means more similar.
 */
Datum
halfvec_negative_inner_product(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8(-(double) hnsw_kernels->half_dot(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(halfvec_cosine_distance);
/*
 * cosine_distance(halfvec, halfvec) -> float8: 1 - cosine similarity
 *
 * The result is clamped to [0, 2].  A zero vector gives NaN (0/0), which
 * the clamp leaves alone.
 */
Datum
halfvec_cosine_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	float		dot;
	float		norma;
	float		normb;
	double		similarity;

	CheckDims(a, b);

	hnsw_kernels->half_cosine_parts(a->x, b->x, a->dim, &dot, &norma, &normb);
	similarity = (double) dot / sqrt((double) norma * (double) normb);

	/* Rounding can take the similarity slightly outside [-1, 1] */
	if (similarity > 1)
		similarity = 1.0;
	else if (similarity < -1)
		similarity = -1.0;

	PG_RETURN_FLOAT8(1.0 - similarity);
}

PG_FUNCTION_INFO_V1(halfvec_spherical_distance);
/*
 * halfvec_spherical_distance(halfvec, halfvec) -> float8
 *
 * The angle between two unit vectors, divided by pi, so in [0, 1].  The
 * inputs are assumed normalised; the dot product is clamped to [-1, 1].
 */
Datum
halfvec_spherical_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	double		dot;

	CheckDims(a, b);

	dot = (double) hnsw_kernels->half_dot(a->x, b->x, a->dim);
	if (dot > 1)
		dot = 1.0;
	else if (dot < -1)
		dot = -1.0;

	PG_RETURN_FLOAT8(acos(dot) / M_PI);
}

PG_FUNCTION_INFO_V1(halfvec_l1_distance);
/*
 * l1_distance(halfvec, halfvec) -> float8: the taxicab distance
 */
Datum
halfvec_l1_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) hnsw_kernels->half_l1(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(halfvec_vector_dims);
/*
 * vector_dims(halfvec) -> integer
 */
Datum
halfvec_vector_dims(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);

	PG_RETURN_INT32(a->dim);
}

/* The Euclidean norm of a, summed in double */
static double
HalfvecNorm(const HalfVector *a)
{
	double		norm = 0.0;

	for (int i = 0; i < a->dim; i++)
	{
		double		v = (double) HalfToFloat4(a->x[i]);

		norm += v * v;
	}
	return sqrt(norm);
}

PG_FUNCTION_INFO_V1(halfvec_l2_norm);
/*
 * l2_norm(halfvec) -> float8: the Euclidean norm, summed in double
 */
Datum
halfvec_l2_norm(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);

	PG_RETURN_FLOAT8(HalfvecNorm(a));
}

PG_FUNCTION_INFO_V1(halfvec_l2_normalize);
/*
 * l2_normalize(halfvec) -> halfvec: a unit vector in the same direction
 *
 * Each quotient is rounded to float4, then to binary16, so
 * l2_normalize('[3,4]') is [0.60009766,0.7998047].  A zero vector is
 * returned as zeros.
 */
Datum
halfvec_l2_normalize(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *result = InitHalfVector(a->dim);
	double		norm = HalfvecNorm(a);

	if (norm > 0)
	{
		for (int i = 0; i < a->dim; i++)
		{
			double		v = (double) HalfToFloat4(a->x[i]) / norm;

			result->x[i] = Float4ToHalfArith((float) v);
		}
	}

	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_binary_quantize);
/*
 * binary_quantize(halfvec) -> bit: bit i is set when element i is > 0
 */
Datum
halfvec_binary_quantize(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	int			len = VARBITTOTALLEN(a->dim);
	VarBit	   *result = (VarBit *) palloc0(len);
	bits8	   *r = VARBITS(result);

	SET_VARSIZE(result, len);
	VARBITLEN(result) = a->dim;

	/*
	 * A byte at a time, without branches: a half is > 0 when its sign bit
	 * is clear and it is not zero, that is when its bits minus one are
	 * below 0x7FFF (a halfvec holds no NaN).
	 */
	for (int i = 0; i < a->dim; i += BITS_PER_BYTE)
	{
		int			n = Min(BITS_PER_BYTE, a->dim - i);
		unsigned	byte = 0;

		for (int k = 0; k < n; k++)
			byte |= (unsigned) ((uint16) (a->x[i + k] - 1) < 0x7FFF) << (7 - k);
		r[i / BITS_PER_BYTE] = (bits8) byte;
	}

	PG_RETURN_VARBIT_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_subvector);
/*
 * subvector(halfvec, start integer, count integer) -> halfvec
 *
 * Elements start .. start + count - 1, counting from 1, like substring:
 * the range is clipped to the vector, and an empty result is an error.
 */
Datum
halfvec_subvector(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	int32		start = PG_GETARG_INT32(1);
	int32		count = PG_GETARG_INT32(2);
	int64		first;
	int64		end;
	HalfVector *result;

	if (count < 1 || start > a->dim)
		CheckDim(0);

	/* In int64, start + count cannot overflow */
	first = Max(start, 1);
	end = Min((int64) start + count, (int64) a->dim + 1);
	if (end <= first)
		CheckDim(0);

	result = InitHalfVector((int) (end - first));
	memcpy(result->x, a->x + (first - 1), sizeof(uint16) * result->dim);

	PG_RETURN_HALFVEC_P(result);
}

/* ----------------------------------------------------------------
 *		Arithmetic
 *
 * Each result is computed in float4 from the widened operands (exactly,
 * for + - and *, since binary16 values have 11-bit significands) and
 * rounded once to binary16.
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_add);
/*
 * halfvec_add(halfvec, halfvec) -> halfvec: the + operator and sum()
 */
Datum
halfvec_add(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckDims(a, b);

	result = InitHalfVector(a->dim);
	for (int i = 0; i < a->dim; i++)
		result->x[i] = Float4ToHalfArith(HalfToFloat4(a->x[i]) +
										 HalfToFloat4(b->x[i]));

	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_sub);
/*
 * halfvec_sub(halfvec, halfvec) -> halfvec: the - operator
 */
Datum
halfvec_sub(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckDims(a, b);

	result = InitHalfVector(a->dim);
	for (int i = 0; i < a->dim; i++)
		result->x[i] = Float4ToHalfArith(HalfToFloat4(a->x[i]) -
										 HalfToFloat4(b->x[i]));

	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_mul);
/*
 * halfvec_mul(halfvec, halfvec) -> halfvec: the element-wise * operator
 *
 * A product that rounds to zero from non-zero factors is an underflow
 * error, as for float4 multiplication.
 */
Datum
halfvec_mul(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckDims(a, b);

	result = InitHalfVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		float		fa = HalfToFloat4(a->x[i]);
		float		fb = HalfToFloat4(b->x[i]);

		result->x[i] = Float4ToHalfArith(fa * fb);
		if ((result->x[i] & 0x7FFF) == 0 && fa != 0 && fb != 0)
			float_underflow_error();
	}

	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_concat);
/*
 * halfvec_concat(halfvec, halfvec) -> halfvec: the || operator
 */
Datum
halfvec_concat(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckDim(a->dim + b->dim);

	result = InitHalfVector(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(uint16) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(uint16) * b->dim);

	PG_RETURN_HALFVEC_P(result);
}

/* ----------------------------------------------------------------
 *		Comparison (btree halfvec_ops)
 * ----------------------------------------------------------------
 */

/*
 * Order two halfvecs element by element, by value (so -0 equals 0); if one
 * is a prefix of the other, the shorter one sorts first.  Returns -1, 0 or
 * 1.
 */
static int
halfvec_cmp_internal(const HalfVector *a, const HalfVector *b)
{
	int			dim = Min(a->dim, b->dim);

	for (int i = 0; i < dim; i++)
	{
		float		fa = HalfToFloat4(a->x[i]);
		float		fb = HalfToFloat4(b->x[i]);

		if (fa < fb)
			return -1;
		if (fa > fb)
			return 1;
	}

	if (a->dim < b->dim)
		return -1;
	if (a->dim > b->dim)
		return 1;
	return 0;
}

/* Shared body of the comparison functions */
static int
halfvec_cmp_args(FunctionCallInfo fcinfo)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	int			cmp = halfvec_cmp_internal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return cmp;
}

PG_FUNCTION_INFO_V1(halfvec_lt);
/* halfvec_lt(halfvec, halfvec) -> boolean */
Datum
halfvec_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(halfvec_cmp_args(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(halfvec_le);
/* halfvec_le(halfvec, halfvec) -> boolean */
Datum
halfvec_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(halfvec_cmp_args(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(halfvec_eq);
/* halfvec_eq(halfvec, halfvec) -> boolean */
Datum
halfvec_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(halfvec_cmp_args(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(halfvec_ne);
/* halfvec_ne(halfvec, halfvec) -> boolean */
Datum
halfvec_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(halfvec_cmp_args(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(halfvec_ge);
/* halfvec_ge(halfvec, halfvec) -> boolean */
Datum
halfvec_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(halfvec_cmp_args(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(halfvec_gt);
/* halfvec_gt(halfvec, halfvec) -> boolean */
Datum
halfvec_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(halfvec_cmp_args(fcinfo) > 0);
}

PG_FUNCTION_INFO_V1(halfvec_cmp);
/* halfvec_cmp(halfvec, halfvec) -> integer: btree support function 1 */
Datum
halfvec_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(halfvec_cmp_args(fcinfo));
}

/* ----------------------------------------------------------------
 *		Aggregate support
 *
 * avg(halfvec) keeps the state of avg(vector): a double precision[] whose
 * element 0 is the number of halfvecs seen and elements 1 .. dim their
 * running sums; the initial state is '{0}'.  The combine function is
 * vector_combine itself (halfvec_combine is its SQL name for halfvec), so
 * only the transition and final functions live here.
 * ----------------------------------------------------------------
 */

/*
 * Check that a state array has the shape described above, with no more
 * than HALFVEC_MAX_DIM sums.  The state is an ordinary double precision[]
 * that the support functions accept from SQL, so its size is user input.
 */
static float8 *
CheckStateArray(ArrayType *statearray, const char *caller)
{
	if (ARR_NDIM(statearray) != 1 ||
		ARR_DIMS(statearray)[0] < 1 ||
		ARR_HASNULL(statearray) ||
		ARR_ELEMTYPE(statearray) != FLOAT8OID)
		elog(ERROR, "%s: expected state array", caller);
	if (STATE_DIMS(statearray) > HALFVEC_MAX_DIM)
		CheckDim(STATE_DIMS(statearray));
	return (float8 *) ARR_DATA_PTR(statearray);
}

PG_FUNCTION_INFO_V1(halfvec_accum);
/*
 * halfvec_accum(double precision[], halfvec) -> double precision[]
 *
 * The transition function of avg(halfvec).  A halfvec whose dims differ
 * from the ones seen before is an error ("expected 2 dimensions, not 1");
 * a sum that overflows double precision is "value out of range: overflow".
 */
Datum
halfvec_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *statearray = PG_GETARG_ARRAYTYPE_P(0);
	HalfVector *newval = PG_GETARG_HALFVEC_P(1);
	float8	   *state = CheckStateArray(statearray, "halfvec_accum");
	int			dim = STATE_DIMS(statearray);
	Datum	   *datums;
	ArrayType  *result;

	if (dim > 0)
		CheckExpectedDim(dim, newval->dim);

	datums = (Datum *) palloc(sizeof(Datum) * (newval->dim + 1));
	datums[0] = Float8GetDatum(state[0] + 1.0);
	for (int i = 0; i < newval->dim; i++)
	{
		double		v = (double) HalfToFloat4(newval->x[i]);

		if (dim > 0)
		{
			v += state[i + 1];
			if (isinf(v))
				float_overflow_error();
		}
		datums[i + 1] = Float8GetDatum(v);
	}

	result = construct_array(datums, newval->dim + 1, FLOAT8OID,
							 sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(datums);

	PG_RETURN_ARRAYTYPE_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_avg);
/*
 * halfvec_avg(double precision[]) -> halfvec
 *
 * The final function of avg(halfvec): NULL when no rows were aggregated.
 * Each mean is rounded to float4, then to binary16.
 */
Datum
halfvec_avg(PG_FUNCTION_ARGS)
{
	ArrayType  *statearray = PG_GETARG_ARRAYTYPE_P(0);
	float8	   *state = CheckStateArray(statearray, "halfvec_avg");
	float8		n = state[0];
	int			dim = STATE_DIMS(statearray);
	HalfVector *result;

	if (n == 0.0)
		PG_RETURN_NULL();

	CheckDim(dim);

	result = InitHalfVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = Float4ToHalfChecked((float) (state[i + 1] / n));
		CheckElement(result->x[i]);
	}

	PG_RETURN_HALFVEC_P(result);
}

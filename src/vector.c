/*-------------------------------------------------------------------------
 *
 * vector.c
 *	  The vector data type: I/O, casts, operators, distances, aggregates.
 *
 * A vector is a varlena of float4 values (see vector.h for the layout).
 * Values are always finite: every way in (text, binary, arrays) refuses NaN
 * and infinity, and arithmetic raises an overflow error instead of
 * producing infinity.  Distance functions may still return Infinity or NaN
 * when the float4 accumulation overflows; that is part of the SQL surface.
 *
 * Text and binary input are parsed by the PostgreSQL-free code in
 * vector_parse.c; this file maps its status codes to ereports.  Distances
 * go through the dispatched kernels of hnsw_distance.c, which accumulate in
 * float4; the final square root or division is done in double.
 *
 * IDENTIFICATION
 *	  src/vector.c
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

#include "hnsw_distance.h"
#include "vector.h"
#include "vector_parse.h"

/* Number of summed vectors and their dims in an avg state array */
#define STATE_DIMS(arr)		(ARR_DIMS(arr)[0] - 1)

/*
 * Raise "vector must have at least 1 dimension" or "... more than 16000
 * dimensions" unless 1 <= dim <= VECTOR_MAX_DIM.
 */
static inline void
CheckDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));

	if (dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vector cannot have more than %d dimensions",
						VECTOR_MAX_DIM)));
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
CheckDims(const Vector *a, const Vector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d",
						a->dim, b->dim)));
}

/* Refuse a NaN or infinite element */
static inline void
CheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in vector")));

	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in vector")));
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
					 errmsg("invalid input syntax for type vector: \"%s\"",
							lit)));
			break;
		case VECTOR_PARSE_NO_BRACKET:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type vector: \"%s\"",
							lit),
					 errdetail("Vector contents must start with \"[\".")));
			break;
		case VECTOR_PARSE_JUNK:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type vector: \"%s\"",
							lit),
					 errdetail("Junk after closing right brace.")));
			break;
		case VECTOR_PARSE_NO_DIMS:
			CheckDim(0);
			break;
		case VECTOR_PARSE_TOO_MANY_DIMS:
			CheckDim(VECTOR_MAX_DIM + 1);
			break;
		case VECTOR_PARSE_NAN:
			CheckElement(NAN);
			break;
		case VECTOR_PARSE_INF:
			CheckElement(INFINITY);
			break;
		case VECTOR_PARSE_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%s\" is out of range for type vector",
							pnstrdup(lit + res->tok_start, res->tok_len))));
			break;
		default:
			break;
	}
	elog(ERROR, "unexpected vector text parse status %d", (int) res->status);
}

/*
 * InitVector
 *
 * Allocate a zero-filled vector of dim elements in the current memory
 * context.  The caller checks dim.
 */
Vector *
InitVector(int dim)
{
	Size		size = VECTOR_SIZE(dim);
	Vector	   *result = (Vector *) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = dim;
	return result;
}

/* ----------------------------------------------------------------
 *		I/O and type modifier
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(vector_in);
/*
 * vector_in(cstring, oid, integer) -> vector
 */
Datum
vector_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			cap = VectorTextMaxElements(lit, VECTOR_MAX_DIM);
	float	   *x = palloc(sizeof(float) * Max(cap, 1));
	VectorParseResult res;
	Vector	   *result;

	if (VectorParseText(lit, VECTOR_MAX_DIM, -1, x, cap, &res) !=
		VECTOR_PARSE_OK)
		ReportTextError(lit, &res);

	CheckExpectedDim(typmod, res.dim);

	result = InitVector(res.dim);
	memcpy(result->x, x, sizeof(float) * res.dim);
	pfree(x);

	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_out);
/*
 * vector_out(vector) -> cstring
 *
 * Each element is printed in the shortest form that reads back as the same
 * float4, whatever extra_float_digits says.
 */
Datum
vector_out(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);
	int			dim = vector->dim;
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
		ptr += float_to_shortest_decimal_bufn(vector->x[i], ptr);
	}
	*ptr++ = ']';
	*ptr = '\0';

	PG_FREE_IF_COPY(vector, 0);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(vector_typmod_in);
/*
 * vector_typmod_in(cstring[]) -> integer
 *
 * The typmod is the number of dimensions: exactly one integer in
 * 1 .. VECTOR_MAX_DIM.
 */
Datum
vector_typmod_in(PG_FUNCTION_ARGS)
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
				 errmsg("dimensions for type vector must be at least 1")));

	if (*tl > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type vector cannot exceed %d",
						VECTOR_MAX_DIM)));

	PG_RETURN_INT32(*tl);
}

PG_FUNCTION_INFO_V1(vector_recv);
/*
 * vector_recv(internal, oid, integer) -> vector
 *
 * Reads int16 dim, int16 unused, then dim float4, all in network order,
 * and leaves the cursor after the last value.
 */
Datum
vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const unsigned char *data = (const unsigned char *) buf->data + buf->cursor;
	size_t		len = buf->len - buf->cursor;
	VectorParseResult res;
	Vector	   *result;

	/* First pass validates and finds dim, the second decodes */
	if (VectorParseBinary(data, len, VECTOR_MAX_DIM, typmod, NULL, 0, &res) !=
		VECTOR_PARSE_OK)
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
				CheckElement(NAN);
				break;
			case VECTOR_PARSE_INF:
				CheckElement(INFINITY);
				break;
			default:
				break;
		}
		elog(ERROR, "unexpected vector binary parse status %d",
			 (int) res.status);
	}

	result = InitVector(res.dim);
	if (VectorParseBinary(data, len, VECTOR_MAX_DIM, typmod, result->x,
						  result->dim, &res) != VECTOR_PARSE_OK)
		elog(ERROR, "vector binary parse is not repeatable");
	buf->cursor += (int) res.consumed;

	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_send);
/*
 * vector_send(vector) -> bytea
 */
Datum
vector_send(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	Size		len = VECTOR_BINARY_SIZE(vec->dim);
	bytea	   *result = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	VectorEncodeBinary(vec->x, vec->dim, (unsigned char *) VARDATA(result));

	PG_RETURN_BYTEA_P(result);
}

/* ----------------------------------------------------------------
 *		Casts
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(vector);
/*
 * vector(vector, integer, boolean) -> vector
 *
 * The length-coercion cast: enforces the typmod and changes nothing else.
 */
Datum
vector(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	CheckExpectedDim(typmod, vec->dim);

	PG_RETURN_VECTOR_P(vec);
}

PG_FUNCTION_INFO_V1(array_to_vector);
/*
 * array_to_vector(integer[] | real[] | double precision[] | numeric[],
 *				   integer, boolean) -> vector
 *
 * The array must be one-dimensional and free of nulls; its elements must
 * convert to finite float4 values.
 */
Datum
array_to_vector(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			nelems;
	Vector	   *result;

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

	result = InitVector(nelems);
	for (int i = 0; i < nelems; i++)
	{
		switch (elemtype)
		{
			case INT4OID:
				result->x[i] = (float) DatumGetInt32(elems[i]);
				break;
			case FLOAT4OID:
				result->x[i] = DatumGetFloat4(elems[i]);
				break;
			case FLOAT8OID:
				result->x[i] = (float) DatumGetFloat8(elems[i]);
				break;
			default:			/* NUMERICOID */
				result->x[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4,
																  elems[i]));
				break;
		}
		CheckElement(result->x[i]);
	}

	pfree(elems);

	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_to_float4);
/*
 * vector_to_float4(vector, integer, boolean) -> real[]
 */
Datum
vector_to_float4(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	Datum	   *datums = (Datum *) palloc(sizeof(Datum) * vec->dim);
	ArrayType  *result;

	for (int i = 0; i < vec->dim; i++)
		datums[i] = Float4GetDatum(vec->x[i]);

	result = construct_array(datums, vec->dim, FLOAT4OID, sizeof(float4),
							 true, TYPALIGN_INT);
	pfree(datums);

	PG_RETURN_ARRAYTYPE_P(result);
}

/* ----------------------------------------------------------------
 *		Distances and functions of one vector
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(l2_distance);
/*
 * l2_distance(vector, vector) -> float8: the Euclidean distance
 *
 * The sum of squares is a float4, so it overflows to Infinity for large
 * elements (l2_distance('[3e38]', '[-3e38]') is Infinity).
 */
Datum
l2_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8(sqrt((double) hnsw_kernels->l2sq(a->x, b->x, a->dim)));
}

PG_FUNCTION_INFO_V1(vector_l2_squared_distance);
/*
 * vector_l2_squared_distance(vector, vector) -> float8
 *
 * The square of l2_distance, which orders the same; used by vector_l2_ops.
 */
Datum
vector_l2_squared_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) hnsw_kernels->l2sq(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(inner_product);
/*
 * inner_product(vector, vector) -> float8
 */
Datum
inner_product(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) hnsw_kernels->dot(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(vector_negative_inner_product);
/*
 * vector_negative_inner_product(vector, vector) -> float8
 *
 * The <#> operator: smaller means more similar.
 */
Datum
vector_negative_inner_product(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8(-(double) hnsw_kernels->dot(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(cosine_distance);
/*
 * cosine_distance(vector, vector) -> float8: 1 - cosine similarity
 *
 * The result is clamped to [0, 2].  A zero vector, or norms that overflow
 * float4, give NaN (0/0 or Infinity/Infinity), which the clamp leaves
 * alone.
 */
Datum
cosine_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	float		dot;
	float		norma;
	float		normb;
	double		similarity;

	CheckDims(a, b);

	hnsw_kernels->cosine_parts(a->x, b->x, a->dim, &dot, &norma, &normb);
	similarity = (double) dot / sqrt((double) norma * (double) normb);

	/* Rounding can take the similarity slightly outside [-1, 1] */
	if (similarity > 1)
		similarity = 1.0;
	else if (similarity < -1)
		similarity = -1.0;

	PG_RETURN_FLOAT8(1.0 - similarity);
}

PG_FUNCTION_INFO_V1(vector_spherical_distance);
/*
 * vector_spherical_distance(vector, vector) -> float8
 *
 * The angle between two unit vectors, divided by pi, so in [0, 1].  The
 * inputs are assumed normalised; the dot product is clamped to [-1, 1].
 */
Datum
vector_spherical_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	double		dot;

	CheckDims(a, b);

	dot = (double) hnsw_kernels->dot(a->x, b->x, a->dim);
	if (dot > 1)
		dot = 1.0;
	else if (dot < -1)
		dot = -1.0;

	PG_RETURN_FLOAT8(acos(dot) / M_PI);
}

PG_FUNCTION_INFO_V1(l1_distance);
/*
 * l1_distance(vector, vector) -> float8: the taxicab distance
 */
Datum
l1_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) hnsw_kernels->l1(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(vector_dims);
/*
 * vector_dims(vector) -> integer
 */
Datum
vector_dims(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);

	PG_RETURN_INT32(a->dim);
}

PG_FUNCTION_INFO_V1(vector_norm);
/*
 * vector_norm(vector) -> float8: the Euclidean norm, summed in double
 */
Datum
vector_norm(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	double		norm = 0.0;

	for (int i = 0; i < a->dim; i++)
		norm += (double) a->x[i] * (double) a->x[i];

	PG_RETURN_FLOAT8(sqrt(norm));
}

PG_FUNCTION_INFO_V1(l2_normalize);
/*
 * l2_normalize(vector) -> vector: a unit vector in the same direction
 *
 * A zero vector is returned as zeros.
 */
Datum
l2_normalize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *result = InitVector(a->dim);
	double		norm = 0.0;

	for (int i = 0; i < a->dim; i++)
		norm += (double) a->x[i] * (double) a->x[i];
	norm = sqrt(norm);

	if (norm > 0)
	{
		for (int i = 0; i < a->dim; i++)
		{
			result->x[i] = (float) ((double) a->x[i] / norm);
			if (isinf(result->x[i]))
				float_overflow_error();
		}
	}

	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(binary_quantize);
/*
 * binary_quantize(vector) -> bit: bit i is set when element i is > 0
 */
Datum
binary_quantize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int			len = VARBITTOTALLEN(a->dim);
	VarBit	   *result = (VarBit *) palloc0(len);
	bits8	   *r = VARBITS(result);

	SET_VARSIZE(result, len);
	VARBITLEN(result) = a->dim;

	/*
	 * A byte at a time, from comparisons rather than branches: the signs of
	 * an embedding are as good as random, so a branch per element would be
	 * mispredicted half of the time.
	 */
	for (int i = 0; i < a->dim; i += BITS_PER_BYTE)
	{
		int			n = Min(BITS_PER_BYTE, a->dim - i);
		unsigned	byte = 0;

		for (int k = 0; k < n; k++)
			byte |= (unsigned) (a->x[i + k] > 0) << (7 - k);
		r[i / BITS_PER_BYTE] = (bits8) byte;
	}

	PG_RETURN_VARBIT_P(result);
}

PG_FUNCTION_INFO_V1(subvector);
/*
 * subvector(vector, start integer, count integer) -> vector
 *
 * Elements start .. start + count - 1, counting from 1, like substring:
 * the range is clipped to the vector, and an empty result is an error.
 */
Datum
subvector(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int32		start = PG_GETARG_INT32(1);
	int32		count = PG_GETARG_INT32(2);
	int64		first;
	int64		end;
	Vector	   *result;

	if (count < 1 || start > a->dim)
		CheckDim(0);

	/* In int64, start + count cannot overflow */
	first = Max(start, 1);
	end = Min((int64) start + count, (int64) a->dim + 1);
	if (end <= first)
		CheckDim(0);

	result = InitVector((int) (end - first));
	memcpy(result->x, a->x + (first - 1), sizeof(float) * result->dim);

	PG_RETURN_VECTOR_P(result);
}

/* ----------------------------------------------------------------
 *		Arithmetic
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(vector_add);
/*
 * vector_add(vector, vector) -> vector: the + operator and sum()
 */
Datum
vector_add(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckDims(a, b);

	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = a->x[i] + b->x[i];
		if (isinf(result->x[i]))
			float_overflow_error();
	}

	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_sub);
/*
 * vector_sub(vector, vector) -> vector: the - operator
 */
Datum
vector_sub(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckDims(a, b);

	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = a->x[i] - b->x[i];
		if (isinf(result->x[i]))
			float_overflow_error();
	}

	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_mul);
/*
 * vector_mul(vector, vector) -> vector: the element-wise * operator
 *
 * A product that rounds to zero from non-zero factors is an underflow
 * error, as for float4 multiplication.
 */
Datum
vector_mul(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckDims(a, b);

	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = a->x[i] * b->x[i];
		if (isinf(result->x[i]))
			float_overflow_error();
		if (result->x[i] == 0 && a->x[i] != 0 && b->x[i] != 0)
			float_underflow_error();
	}

	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_concat);
/*
 * vector_concat(vector, vector) -> vector: the || operator
 */
Datum
vector_concat(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckDim(a->dim + b->dim);

	result = InitVector(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(float) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(float) * b->dim);

	PG_RETURN_VECTOR_P(result);
}

/* ----------------------------------------------------------------
 *		Comparison (btree vector_ops)
 * ----------------------------------------------------------------
 */

/*
 * Order two vectors element by element; if one is a prefix of the other,
 * the shorter one sorts first.  Returns -1, 0 or 1.
 */
static int
vector_cmp_internal(const Vector *a, const Vector *b)
{
	int			dim = Min(a->dim, b->dim);

	for (int i = 0; i < dim; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
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
vector_cmp_args(FunctionCallInfo fcinfo)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	int			cmp = vector_cmp_internal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return cmp;
}

PG_FUNCTION_INFO_V1(vector_lt);
/* vector_lt(vector, vector) -> boolean */
Datum
vector_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(vector_cmp_args(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(vector_le);
/* vector_le(vector, vector) -> boolean */
Datum
vector_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(vector_cmp_args(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(vector_eq);
/* vector_eq(vector, vector) -> boolean */
Datum
vector_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(vector_cmp_args(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(vector_ne);
/* vector_ne(vector, vector) -> boolean */
Datum
vector_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(vector_cmp_args(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(vector_ge);
/* vector_ge(vector, vector) -> boolean */
Datum
vector_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(vector_cmp_args(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(vector_gt);
/* vector_gt(vector, vector) -> boolean */
Datum
vector_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(vector_cmp_args(fcinfo) > 0);
}

PG_FUNCTION_INFO_V1(vector_cmp);
/* vector_cmp(vector, vector) -> integer: btree support function 1 */
Datum
vector_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(vector_cmp_args(fcinfo));
}

/* ----------------------------------------------------------------
 *		Aggregate support
 *
 * avg(vector) keeps a double precision[] state: element 0 is the number of
 * vectors seen, elements 1 .. dim their running sums.  The initial state
 * is '{0}', with no sums yet; the first vector fixes dim.
 * ----------------------------------------------------------------
 */

/*
 * Check that a state array has the shape described above, with no more
 * than VECTOR_MAX_DIM sums.  The state is an ordinary double precision[]
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
	if (STATE_DIMS(statearray) > VECTOR_MAX_DIM)
		CheckDim(STATE_DIMS(statearray));
	return (float8 *) ARR_DATA_PTR(statearray);
}

/* Build a state array from n and dim sums */
static ArrayType *
MakeStateArray(float8 n, const float8 *sums, int dim)
{
	Datum	   *datums = (Datum *) palloc(sizeof(Datum) * (dim + 1));
	ArrayType  *result;

	datums[0] = Float8GetDatum(n);
	for (int i = 0; i < dim; i++)
		datums[i + 1] = Float8GetDatum(sums[i]);

	result = construct_array(datums, dim + 1, FLOAT8OID, sizeof(float8),
							 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(datums);
	return result;
}

PG_FUNCTION_INFO_V1(vector_accum);
/*
 * vector_accum(double precision[], vector) -> double precision[]
 *
 * The transition function of avg(vector).  A vector whose dims differ from
 * the ones seen before is an error ("expected 2 dimensions, not 1").
 */
Datum
vector_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *statearray = PG_GETARG_ARRAYTYPE_P(0);
	Vector	   *newval = PG_GETARG_VECTOR_P(1);
	float8	   *state = CheckStateArray(statearray, "vector_accum");
	int			dim = STATE_DIMS(statearray);
	float8	   *sums;

	if (dim > 0)
		CheckExpectedDim(dim, newval->dim);

	sums = (float8 *) palloc(sizeof(float8) * newval->dim);
	for (int i = 0; i < newval->dim; i++)
	{
		if (dim == 0)
			sums[i] = (double) newval->x[i];
		else
		{
			sums[i] = state[i + 1] + (double) newval->x[i];
			if (isinf(sums[i]))
				float_overflow_error();
		}
	}

	PG_RETURN_ARRAYTYPE_P(MakeStateArray(state[0] + 1.0, sums, newval->dim));
}

PG_FUNCTION_INFO_V1(vector_combine);
/*
 * vector_combine(double precision[], double precision[]) -> double precision[]
 *
 * The combine function of avg(vector) for parallel aggregation.  Either
 * state may be the empty '{0}' (a worker that saw no rows), and so may
 * both, which yields '{0}' again.
 */
Datum
vector_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *statearray1 = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *statearray2 = PG_GETARG_ARRAYTYPE_P(1);
	float8	   *state1 = CheckStateArray(statearray1, "vector_combine");
	float8	   *state2 = CheckStateArray(statearray2, "vector_combine");
	int			dim1 = STATE_DIMS(statearray1);
	int			dim2 = STATE_DIMS(statearray2);
	float8	   *sums;

	if (state1[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(MakeStateArray(state2[0], state2 + 1, dim2));
	if (state2[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(MakeStateArray(state1[0], state1 + 1, dim1));

	CheckExpectedDim(dim1, dim2);

	sums = (float8 *) palloc(sizeof(float8) * dim1);
	for (int i = 0; i < dim1; i++)
	{
		sums[i] = state1[i + 1] + state2[i + 1];
		if (isinf(sums[i]))
			float_overflow_error();
	}

	PG_RETURN_ARRAYTYPE_P(MakeStateArray(state1[0] + state2[0], sums, dim1));
}

PG_FUNCTION_INFO_V1(vector_avg);
/*
 * vector_avg(double precision[]) -> vector
 *
 * The final function of avg(vector): NULL when no rows were aggregated.
 */
Datum
vector_avg(PG_FUNCTION_ARGS)
{
	ArrayType  *statearray = PG_GETARG_ARRAYTYPE_P(0);
	float8	   *state = CheckStateArray(statearray, "vector_avg");
	float8		n = state[0];
	int			dim = STATE_DIMS(statearray);
	Vector	   *result;

	if (n == 0.0)
		PG_RETURN_NULL();

	CheckDim(dim);

	result = InitVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = (float) (state[i + 1] / n);
		CheckElement(result->x[i]);
	}

	PG_RETURN_VECTOR_P(result);
}

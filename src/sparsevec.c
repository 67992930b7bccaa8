/*-------------------------------------------------------------------------
 *
 * sparsevec.c
 *	  The sparsevec data type: I/O, casts, distances, comparison.
 *
 * A sparsevec stores its non-zero entries only, as 0-based indices in
 * strictly ascending order and their float4 values (see sparsevec.h for
 * the layout).  Every way in (text, binary, arrays, casts) keeps these
 * invariants: no index twice or out of bounds, no value that is 0, NaN or
 * infinite.  The text form counts indices from 1, the binary form from 0.
 *
 * Text and binary input are parsed by the PostgreSQL-free code in
 * sparsevec_parse.c; this file maps its status codes to ereports.
 * Distances are merges over the two index lists (HnswSparse* in
 * hnsw_distance.c), accumulating in float4 like the dense kernels; the
 * final square root or division is done in double.
 *
 * IDENTIFICATION
 *	  src/sparsevec.c
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

#include "halfutils.h"
#include "halfvec.h"
#include "hnsw_distance.h"
#include "sparsevec.h"
#include "sparsevec_parse.h"
#include "vector.h"

/*
 * Raise "sparsevec must have at least 1 dimension" or "... more than
 * 1000000000 dimensions" unless 1 <= dim <= SPARSEVEC_MAX_DIM.
 */
static inline void
CheckDim(int64 dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sparsevec must have at least 1 dimension")));

	if (dim > SPARSEVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d dimensions",
						SPARSEVEC_MAX_DIM)));
}

/* Refuse more than SPARSEVEC_MAX_NNZ non-zero entries */
static inline void
CheckNnz(int nnz)
{
	if (nnz > SPARSEVEC_MAX_NNZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d non-zero elements",
						SPARSEVEC_MAX_NNZ)));
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

/* Both operands of a distance must have the same dims */
static inline void
CheckDims(const SparseVector *a, const SparseVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different sparsevec dimensions %d and %d",
						a->dim, b->dim)));
}

/* Refuse a NaN or infinite value */
static inline void
CheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in sparsevec")));

	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in sparsevec")));
}

/*
 * Raise the error for a failed parse, text (lit is the literal) or binary
 * (lit is NULL), against typmod.  The codes that a parse cannot produce
 * fall through to elog.
 */
static void
ReportParseError(const char *lit, int32 typmod,
				 const SparsevecParseResult *res)
{
	switch (res->status)
	{
		case SPARSEVEC_PARSE_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"",
							lit)));
			break;
		case SPARSEVEC_PARSE_NO_BRACE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"",
							lit),
					 errdetail("Vector contents must start with \"{\".")));
			break;
		case SPARSEVEC_PARSE_NO_SLASH:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"",
							lit),
					 errdetail("Unexpected end of input.")));
			break;
		case SPARSEVEC_PARSE_JUNK:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"",
							lit),
					 errdetail("Junk after closing.")));
			break;
		case SPARSEVEC_PARSE_NO_DIMS:
			CheckDim(0);
			break;
		case SPARSEVEC_PARSE_TOO_MANY_DIMS:
			CheckDim((int64) SPARSEVEC_MAX_DIM + 1);
			break;
		case SPARSEVEC_PARSE_NEGATIVE_NNZ:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec cannot have negative number of elements")));
			break;
		case SPARSEVEC_PARSE_TOO_MANY_NNZ:
			CheckNnz(SPARSEVEC_MAX_NNZ + 1);
			break;
		case SPARSEVEC_PARSE_NNZ_OVER_DIM:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("sparsevec cannot have more elements than dimensions")));
			break;
		case SPARSEVEC_PARSE_DIM_MISMATCH:
			CheckExpectedDim(typmod, res->dim);
			break;
		case SPARSEVEC_PARSE_UNUSED:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("expected unused to be 0, not %d", res->unused)));
			break;
		case SPARSEVEC_PARSE_INDEX_BOUNDS:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec index out of bounds")));
			break;
		case SPARSEVEC_PARSE_INDEX_ORDER:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec indices must be in ascending order")));
			break;
		case SPARSEVEC_PARSE_INDEX_DUPLICATE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec indices must not contain duplicates")));
			break;
		case SPARSEVEC_PARSE_NAN:
			CheckElement(NAN);
			break;
		case SPARSEVEC_PARSE_INF:
			CheckElement(INFINITY);
			break;
		case SPARSEVEC_PARSE_ZERO:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("binary representation of sparsevec cannot contain zero values")));
			break;
		case SPARSEVEC_PARSE_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%s\" is out of range for type sparsevec",
							pnstrdup(lit + res->tok_start, res->tok_len))));
			break;
		case SPARSEVEC_PARSE_SHORT:
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("insufficient data left in message")));
			break;
		default:
			break;
	}
	elog(ERROR, "unexpected sparsevec parse status %d", (int) res->status);
}

/*
 * InitSparseVector
 *
 * Allocate a zero-filled sparsevec of dim dimensions with room for nnz
 * entries, in the current memory context.  The caller checks dim and nnz
 * and fills in the entries.
 */
SparseVector *
InitSparseVector(int dim, int nnz)
{
	Size		size = SPARSEVEC_SIZE(nnz);
	SparseVector *result = (SparseVector *) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = dim;
	result->nnz = nnz;
	return result;
}

/*
 * Build a sparsevec of dim dimensions from the dense values x[0 .. dim),
 * dropping 0 and -0.  The caller has checked the values and dim.
 */
static SparseVector *
SparseFromDense(const float *x, int dim)
{
	SparseVector *result;
	float	   *values;
	int			nnz = 0;
	int			j = 0;

	for (int i = 0; i < dim; i++)
	{
		if (x[i] != 0.0f)
			nnz++;
	}
	CheckNnz(nnz);

	result = InitSparseVector(dim, nnz);
	values = SPARSEVEC_VALUES(result);
	for (int i = 0; i < dim; i++)
	{
		if (x[i] != 0.0f)
		{
			result->indices[j] = i;
			values[j] = x[i];
			j++;
		}
	}
	return result;
}

/* ----------------------------------------------------------------
 *		I/O and type modifier
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(sparsevec_in);
/*
 * sparsevec_in(cstring, oid, integer) -> sparsevec
 *
 * Reads "{i:v,...}/dim" with 1-based indices in any order; see
 * SparsevecParseText for the grammar and the order of the checks.
 */
Datum
sparsevec_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			cap = Min(SparsevecTextMaxElements(lit, SPARSEVEC_MAX_NNZ),
						  SPARSEVEC_MAX_NNZ);
	int32	   *indices = palloc(sizeof(int32) * cap);
	float	   *values = palloc(sizeof(float) * cap);
	SparsevecParseResult res;
	SparseVector *result;

	if (SparsevecParseText(lit, SPARSEVEC_MAX_DIM, SPARSEVEC_MAX_NNZ, typmod,
						   indices, values, cap, &res) != SPARSEVEC_PARSE_OK)
		ReportParseError(lit, typmod, &res);

	result = InitSparseVector(res.dim, res.nnz);
	memcpy(result->indices, indices, sizeof(int32) * res.nnz);
	memcpy(SPARSEVEC_VALUES(result), values, sizeof(float) * res.nnz);
	pfree(indices);
	pfree(values);

	PG_RETURN_SPARSEVEC_P(result);
}

PG_FUNCTION_INFO_V1(sparsevec_out);
/*
 * sparsevec_out(sparsevec) -> cstring
 *
 * "{i:v,...}/dim" with 1-based ascending indices, no spaces, and each
 * value in the shortest form that reads back as the same float4.
 */
Datum
sparsevec_out(PG_FUNCTION_ARGS)
{
	SparseVector *sv = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SPARSEVEC_VALUES(sv);
	char	   *buf;
	char	   *ptr;

	/*
	 * An entry takes at most 10 digits, ":", a float of at most
	 * FLOAT_SHORTEST_DECIMAL_LEN - 1 bytes and ","; then "}/", 10 digits and
	 * the NUL.
	 */
	buf = (char *) palloc((Size) sv->nnz * (FLOAT_SHORTEST_DECIMAL_LEN + 12) +
						  16);
	ptr = buf;

	*ptr++ = '{';
	for (int i = 0; i < sv->nnz; i++)
	{
		if (i > 0)
			*ptr++ = ',';
		ptr += pg_ltoa(sv->indices[i] + 1, ptr);
		*ptr++ = ':';
		ptr += float_to_shortest_decimal_bufn(values[i], ptr);
	}
	*ptr++ = '}';
	*ptr++ = '/';
	ptr += pg_ltoa(sv->dim, ptr);
	*ptr = '\0';

	PG_FREE_IF_COPY(sv, 0);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(sparsevec_typmod_in);
/*
 * sparsevec_typmod_in(cstring[]) -> integer
 *
 * The typmod is the number of dimensions: exactly one integer in
 * 1 .. SPARSEVEC_MAX_DIM.
 */
Datum
sparsevec_typmod_in(PG_FUNCTION_ARGS)
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
				 errmsg("dimensions for type sparsevec must be at least 1")));

	if (*tl > SPARSEVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type sparsevec cannot exceed %d",
						SPARSEVEC_MAX_DIM)));

	PG_RETURN_INT32(*tl);
}

PG_FUNCTION_INFO_V1(sparsevec_recv);
/*
 * sparsevec_recv(internal, oid, integer) -> sparsevec
 *
 * Reads int32 dim, int32 nnz, int32 unused, nnz int32 0-based indices and
 * nnz float4 values, all in network order, and leaves the cursor after the
 * last value.  See SparsevecParseBinary for the order of the checks.
 */
Datum
sparsevec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const unsigned char *data = (const unsigned char *) buf->data + buf->cursor;
	size_t		len = buf->len - buf->cursor;
	SparsevecParseResult res;
	SparseVector *result;

	/* First pass validates and finds dim and nnz, the second decodes */
	if (SparsevecParseBinary(data, len, SPARSEVEC_MAX_DIM, SPARSEVEC_MAX_NNZ,
							 typmod, NULL, NULL, 0, &res) !=
		SPARSEVEC_PARSE_OK)
		ReportParseError(NULL, typmod, &res);

	result = InitSparseVector(res.dim, res.nnz);
	if (SparsevecParseBinary(data, len, SPARSEVEC_MAX_DIM, SPARSEVEC_MAX_NNZ,
							 typmod, result->indices,
							 SPARSEVEC_VALUES(result), result->nnz, &res) !=
		SPARSEVEC_PARSE_OK)
		elog(ERROR, "sparsevec binary parse is not repeatable");
	buf->cursor += (int) res.consumed;

	PG_RETURN_SPARSEVEC_P(result);
}

PG_FUNCTION_INFO_V1(sparsevec_send);
/*
 * sparsevec_send(sparsevec) -> bytea
 *
 * Stored values are never 0, so the result always passes sparsevec_recv.
 */
Datum
sparsevec_send(PG_FUNCTION_ARGS)
{
	SparseVector *sv = PG_GETARG_SPARSEVEC_P(0);
	Size		len = SPARSEVEC_BINARY_SIZE(sv->nnz);
	bytea	   *result = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	SparsevecEncodeBinary(sv->dim, sv->nnz, sv->indices,
						  SPARSEVEC_VALUES(sv),
						  (unsigned char *) VARDATA(result));

	PG_RETURN_BYTEA_P(result);
}

/* ----------------------------------------------------------------
 *		Casts
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(sparsevec);
/*
 * sparsevec(sparsevec, integer, boolean) -> sparsevec
 *
 * The length-coercion cast: enforces the typmod and changes nothing else.
 */
Datum
sparsevec(PG_FUNCTION_ARGS)
{
	SparseVector *sv = PG_GETARG_SPARSEVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	CheckExpectedDim(typmod, sv->dim);

	PG_RETURN_SPARSEVEC_P(sv);
}

PG_FUNCTION_INFO_V1(sparsevec_to_vector);
/*
 * sparsevec_to_vector(sparsevec, integer, boolean) -> vector
 *
 * The dense form, with zeros where no entry is stored.
 */
Datum
sparsevec_to_vector(PG_FUNCTION_ARGS)
{
	SparseVector *sv = PG_GETARG_SPARSEVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	float	   *values = SPARSEVEC_VALUES(sv);
	Vector	   *result;

	if (sv->dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vector cannot have more than %d dimensions",
						VECTOR_MAX_DIM)));
	CheckExpectedDim(typmod, sv->dim);

	result = InitVector(sv->dim);
	for (int i = 0; i < sv->nnz; i++)
		result->x[sv->indices[i]] = values[i];

	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(vector_to_sparsevec);
/*
 * vector_to_sparsevec(vector, integer, boolean) -> sparsevec
 *
 * Keeps the elements that are not 0 or -0.
 */
Datum
vector_to_sparsevec(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	CheckDim(vec->dim);
	CheckExpectedDim(typmod, vec->dim);

	PG_RETURN_SPARSEVEC_P(SparseFromDense(vec->x, vec->dim));
}

PG_FUNCTION_INFO_V1(sparsevec_to_halfvec);
/*
 * sparsevec_to_halfvec(sparsevec, integer, boolean) -> halfvec
 *
 * Each value is rounded to binary16, to nearest with ties to even.  A value
 * that rounds to infinity is out of range; one that rounds to 0 is kept as
 * 0 (a halfvec may hold zeros).
 */
Datum
sparsevec_to_halfvec(PG_FUNCTION_ARGS)
{
	SparseVector *sv = PG_GETARG_SPARSEVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	float	   *values = SPARSEVEC_VALUES(sv);
	HalfVector *result;
	Size		size;

	if (sv->dim > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("halfvec cannot have more than %d dimensions",
						HALFVEC_MAX_DIM)));
	CheckExpectedDim(typmod, sv->dim);

	/* Allocated here, not by InitHalfVector, to keep the files apart */
	size = HALFVEC_SIZE(sv->dim);
	result = (HalfVector *) palloc0(size);
	SET_VARSIZE(result, size);
	result->dim = sv->dim;

	for (int i = 0; i < sv->nnz; i++)
	{
		uint16		h = Float4ToHalf(values[i]);

		if (HalfIsInf(h))
		{
			char		num[FLOAT_SHORTEST_DECIMAL_LEN];

			float_to_shortest_decimal_buf(values[i], num);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%s\" is out of range for type halfvec", num)));
		}
		result->x[sv->indices[i]] = h;
	}

	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(halfvec_to_sparsevec);
/*
 * halfvec_to_sparsevec(halfvec, integer, boolean) -> sparsevec
 *
 * Keeps the elements that are not 0 or -0; widening to float4 is exact.
 */
Datum
halfvec_to_sparsevec(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	float	   *x;
	SparseVector *result;

	CheckDim(vec->dim);
	CheckExpectedDim(typmod, vec->dim);

	x = palloc(sizeof(float) * vec->dim);
	for (int i = 0; i < vec->dim; i++)
		x[i] = HalfToFloat4(vec->x[i]);
	result = SparseFromDense(x, vec->dim);
	pfree(x);

	PG_RETURN_SPARSEVEC_P(result);
}

PG_FUNCTION_INFO_V1(array_to_sparsevec);
/*
 * array_to_sparsevec(integer[] | real[] | double precision[] | numeric[],
 *					  integer, boolean) -> sparsevec
 *
 * The array is the dense form: its length is the number of dimensions,
 * and its zeros are dropped, also float8 values that underflow to 0 in
 * float4.  The array must be one-dimensional and free of nulls; each
 * element is checked for NaN and infinity before the non-zero entries are
 * counted.
 */
Datum
array_to_sparsevec(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			nelems;
	float	   *x;
	SparseVector *result;

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

	x = palloc(sizeof(float) * nelems);
	for (int i = 0; i < nelems; i++)
	{
		switch (elemtype)
		{
			case INT4OID:
				x[i] = (float) DatumGetInt32(elems[i]);
				break;
			case FLOAT4OID:
				x[i] = DatumGetFloat4(elems[i]);
				break;
			case FLOAT8OID:
				x[i] = (float) DatumGetFloat8(elems[i]);
				break;
			default:			/* NUMERICOID */
				x[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4,
														  elems[i]));
				break;
		}
		CheckElement(x[i]);
	}

	result = SparseFromDense(x, nelems);
	pfree(x);
	pfree(elems);

	PG_RETURN_SPARSEVEC_P(result);
}

/* ----------------------------------------------------------------
 *		Distances and functions of one sparsevec
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(sparsevec_l2_distance);
/*
 * l2_distance(sparsevec, sparsevec) -> float8: the Euclidean distance
 */
Datum
sparsevec_l2_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8(sqrt((double) HnswSparseL2sq(a->indices,
												  SPARSEVEC_VALUES(a), a->nnz,
												  b->indices,
												  SPARSEVEC_VALUES(b),
												  b->nnz)));
}

PG_FUNCTION_INFO_V1(sparsevec_l2_squared_distance);
/*
 * sparsevec_l2_squared_distance(sparsevec, sparsevec) -> float8
 *
 * The square of l2_distance, which orders the same; used by
 * sparsevec_l2_ops.
 */
Datum
sparsevec_l2_squared_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) HnswSparseL2sq(a->indices, SPARSEVEC_VALUES(a),
											 a->nnz, b->indices,
											 SPARSEVEC_VALUES(b), b->nnz));
}

PG_FUNCTION_INFO_V1(sparsevec_inner_product);
/*
 * inner_product(sparsevec, sparsevec) -> float8
 *
 * Summed in float4, so it overflows to Infinity for large values.
 */
Datum
sparsevec_inner_product(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) HnswSparseDot(a->indices, SPARSEVEC_VALUES(a),
											a->nnz, b->indices,
											SPARSEVEC_VALUES(b), b->nnz));
}

PG_FUNCTION_INFO_V1(sparsevec_negative_inner_product);
/*
 * sparsevec_negative_inner_product(sparsevec, sparsevec) -> float8
 *
 * The <#> operator: smaller means more similar.
 */
Datum
sparsevec_negative_inner_product(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8(-(double) HnswSparseDot(a->indices, SPARSEVEC_VALUES(a),
											 a->nnz, b->indices,
											 SPARSEVEC_VALUES(b), b->nnz));
}

PG_FUNCTION_INFO_V1(sparsevec_cosine_distance);
/*
 * cosine_distance(sparsevec, sparsevec) -> float8: 1 - cosine similarity
 *
 * The result is clamped to [0, 2].  A vector without entries, or norms
 * that overflow float4, give NaN (0/0 or Infinity/Infinity), which the
 * clamp leaves alone.
 */
Datum
sparsevec_cosine_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);
	float	   *va = SPARSEVEC_VALUES(a);
	float	   *vb = SPARSEVEC_VALUES(b);
	float		dot;
	float		norma;
	float		normb;
	double		similarity;

	CheckDims(a, b);

	dot = HnswSparseDot(a->indices, va, a->nnz, b->indices, vb, b->nnz);
	norma = HnswSparseDot(a->indices, va, a->nnz, a->indices, va, a->nnz);
	normb = HnswSparseDot(b->indices, vb, b->nnz, b->indices, vb, b->nnz);
	similarity = (double) dot / sqrt((double) norma * (double) normb);

	/* Rounding can take the similarity slightly outside [-1, 1] */
	if (similarity > 1)
		similarity = 1.0;
	else if (similarity < -1)
		similarity = -1.0;

	PG_RETURN_FLOAT8(1.0 - similarity);
}

PG_FUNCTION_INFO_V1(sparsevec_l1_distance);
/*
 * l1_distance(sparsevec, sparsevec) -> float8: the taxicab distance
 */
Datum
sparsevec_l1_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckDims(a, b);

	PG_RETURN_FLOAT8((double) HnswSparseL1(a->indices, SPARSEVEC_VALUES(a),
										   a->nnz, b->indices,
										   SPARSEVEC_VALUES(b), b->nnz));
}

/* The Euclidean norm of sv, summed in double */
static double
SparseNorm(const SparseVector *sv)
{
	const float *values = SPARSEVEC_VALUES(sv);
	double		norm = 0.0;

	for (int i = 0; i < sv->nnz; i++)
		norm += (double) values[i] * (double) values[i];

	return sqrt(norm);
}

PG_FUNCTION_INFO_V1(sparsevec_l2_norm);
/*
 * l2_norm(sparsevec) -> float8: the Euclidean norm, summed in double
 */
Datum
sparsevec_l2_norm(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);

	PG_RETURN_FLOAT8(SparseNorm(a));
}

PG_FUNCTION_INFO_V1(sparsevec_l2_normalize);
/*
 * l2_normalize(sparsevec) -> sparsevec: a unit vector in the same direction
 *
 * Entries that become 0 in float4 are dropped, so the result may have
 * fewer entries than the input.  A vector without entries is returned as
 * it is.
 */
Datum
sparsevec_l2_normalize(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	float	   *va = SPARSEVEC_VALUES(a);
	double		norm = SparseNorm(a);
	SparseVector *result;
	float	   *vr;
	int			nnz = 0;

	result = InitSparseVector(a->dim, a->nnz);
	vr = SPARSEVEC_VALUES(result);

	if (norm > 0)
	{
		for (int i = 0; i < a->nnz; i++)
		{
			float		v = (float) ((double) va[i] / norm);

			if (isinf(v))
				float_overflow_error();
			if (v == 0.0f)
				continue;
			result->indices[nnz] = a->indices[i];
			vr[nnz] = v;
			nnz++;
		}
	}

	/* Move the values down next to the kept indices */
	if (nnz < a->nnz)
	{
		SparseVector *shrunk = InitSparseVector(a->dim, nnz);

		memcpy(shrunk->indices, result->indices, sizeof(int32) * nnz);
		memcpy(SPARSEVEC_VALUES(shrunk), vr, sizeof(float) * nnz);
		pfree(result);
		result = shrunk;
	}

	PG_RETURN_SPARSEVEC_P(result);
}

/* ----------------------------------------------------------------
 *		Comparison and the btree support function
 * ----------------------------------------------------------------
 */

/*
 * Compare a and b as their dense forms would compare: element by element
 * over the dimensions they share, then by the number of dimensions.
 * Returns -1, 0 or 1.
 *
 * The walk merges the two index lists; at an index that only one side
 * stores, the other side's element is 0, and stored values are never 0,
 * so the first such index decides.
 */
static int
sparsevec_cmp_internal(const SparseVector *a, const SparseVector *b)
{
	const float *va = SPARSEVEC_VALUES(a);
	const float *vb = SPARSEVEC_VALUES(b);
	int			dim = Min(a->dim, b->dim);
	int			i = 0;
	int			j = 0;

	while (i < a->nnz || j < b->nnz)
	{
		int			ka = i < a->nnz ? a->indices[i] : PG_INT32_MAX;
		int			kb = j < b->nnz ? b->indices[j] : PG_INT32_MAX;
		int			k = Min(ka, kb);
		float		x = 0.0f;
		float		y = 0.0f;

		if (k >= dim)
			break;
		if (ka == k)
			x = va[i++];
		if (kb == k)
			y = vb[j++];
		if (x < y)
			return -1;
		if (x > y)
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
sparsevec_cmp_args(FunctionCallInfo fcinfo)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);
	int			cmp = sparsevec_cmp_internal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return cmp;
}

PG_FUNCTION_INFO_V1(sparsevec_lt);
/* sparsevec_lt(sparsevec, sparsevec) -> boolean */
Datum
sparsevec_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sparsevec_cmp_args(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(sparsevec_le);
/* sparsevec_le(sparsevec, sparsevec) -> boolean */
Datum
sparsevec_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sparsevec_cmp_args(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(sparsevec_eq);
/* sparsevec_eq(sparsevec, sparsevec) -> boolean */
Datum
sparsevec_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sparsevec_cmp_args(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(sparsevec_ne);
/* sparsevec_ne(sparsevec, sparsevec) -> boolean */
Datum
sparsevec_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sparsevec_cmp_args(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(sparsevec_ge);
/* sparsevec_ge(sparsevec, sparsevec) -> boolean */
Datum
sparsevec_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sparsevec_cmp_args(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(sparsevec_gt);
/* sparsevec_gt(sparsevec, sparsevec) -> boolean */
Datum
sparsevec_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(sparsevec_cmp_args(fcinfo) > 0);
}

PG_FUNCTION_INFO_V1(sparsevec_cmp);
/* sparsevec_cmp(sparsevec, sparsevec) -> integer: -1, 0 or 1 */
Datum
sparsevec_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(sparsevec_cmp_args(fcinfo));
}

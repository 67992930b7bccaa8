/*-------------------------------------------------------------------------
 *
 * hnswvalue.c
 *	  The indexed column's type, its values as elements store them, and
 *	  distances between them.
 *
 * An index stores one kind of value (HNSW_VALUE_* in hnsw_page.h): float4
 * vectors, half vectors, bit strings or sparse vectors, each in its own
 * encoding, never converted.  The kind comes from the operator class's
 * FUNCTION 3 (hnsw_halfvec_support, hnsw_bit_support,
 * hnsw_sparsevec_support), recognised by address; an operator class
 * without it indexes vectors.  The distance support function is also
 * recognised by address and replaced by a kernel (hnsw_distance.c);
 * anything else is called through fmgr on a datum rebuilt from the
 * element's value.
 *
 * IDENTIFICATION
 *	  src/hnswvalue.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "catalog/pg_type_d.h"
#include "utils/rel.h"
#include "utils/varbit.h"

#include "bitvec.h"
#include "halfvec.h"
#include "hnsw.h"
#include "sparsevec.h"

PG_FUNCTION_INFO_V1(hnsw_halfvec_support);
PG_FUNCTION_INFO_V1(hnsw_bit_support);
PG_FUNCTION_INFO_V1(hnsw_sparsevec_support);

static const HnswTypeInfo vector_info = {
	HNSW_VALUE_FLOAT4, "vector", HNSW_MAX_DIM, 0
};
static const HnswTypeInfo halfvec_info = {
	HNSW_VALUE_HALF, "halfvec", HNSW_MAX_HALF_DIM, 0
};
static const HnswTypeInfo bit_info = {
	HNSW_VALUE_BIT, "bit", HNSW_MAX_BITS, 0
};
static const HnswTypeInfo sparsevec_info = {
	HNSW_VALUE_SPARSE, "sparsevec", 0, HNSW_MAX_NNZ
};

/*
 * FUNCTION 3 of the halfvec, bit and sparsevec operator classes.  The
 * index recognises them by address and never calls them; called from SQL
 * they return a pointer to static storage, as an internal result.
 */
Datum
hnsw_halfvec_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&halfvec_info);
}

Datum
hnsw_bit_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&bit_info);
}

Datum
hnsw_sparsevec_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&sparsevec_info);
}

/*
 * What the index's column holds, from its operator class.  Raises an
 * ERROR for a FUNCTION 3 this module does not know.
 */
const HnswTypeInfo *
HnswGetTypeInfo(Relation index)
{
	FmgrInfo   *f;

	if (!OidIsValid(index_getprocid(index, 1, HNSW_TYPE_INFO_PROC)))
		return &vector_info;
	f = index_getprocinfo(index, 1, HNSW_TYPE_INFO_PROC);
	if (f->fn_addr == hnsw_halfvec_support)
		return &halfvec_info;
	if (f->fn_addr == hnsw_bit_support)
		return &bit_info;
	if (f->fn_addr == hnsw_sparsevec_support)
		return &sparsevec_info;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("type not supported for hnsw index")));
	return NULL;				/* keep compiler quiet */
}

/*
 * Check that the indexed column can be indexed, in this order: not a
 * varbit (the bit operator classes accept it by binary coercion, but its
 * length varies), it has dimensions, not too many, and ef_construction is
 * at least 2 * m.  Raises an ERROR if not.
 */
void
HnswCheckIndexColumn(Relation index)
{
	const HnswTypeInfo *type = HnswGetTypeInfo(index);
	int			dim = HnswGetDimensions(index);

	if (TupleDescAttr(RelationGetDescr(index), 0)->atttypid == VARBITOID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("type not supported for hnsw index")));
	if (dim < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions")));
	if (type->maxdim > 0 && dim > type->maxdim)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column cannot have more than %d dimensions for hnsw index",
						type->maxdim)));
	if (HnswGetEfConstruction(index) < 2 * HnswGetM(index))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be greater than or equal to 2 * m")));
}

/* ---------------------------------------------------------------------
 * Distances
 * ---------------------------------------------------------------------
 */

/* Bytes of a datum of the column's type holding a value of vsize bytes */
static Size
DatumSize(int kind, Size vsize)
{
	switch (kind)
	{
		case HNSW_VALUE_BIT:
			return VARHDRSZ + VARBITHDRSZ + vsize;
		case HNSW_VALUE_SPARSE:
			return offsetof(SparseVector, indices) + vsize - sizeof(int32);
		default:
			/* vector and halfvec: int16 dim, int16 unused, the values */
			return VARHDRSZ + 2 * sizeof(int16) + vsize;
	}
}

/*
 * Rebuild in buf (room for DatumSize(maxvsize)) the datum of the value v,
 * for a support function the index does not recognise.
 */
static Datum
ValueToDatum(const HnswDistance *d, const char *v, Pointer buf)
{
	Size		vsize = HnswDistValueSize(d, v);

	switch (d->vkind)
	{
		case HNSW_VALUE_BIT:
			{
				VarBit	   *b = (VarBit *) buf;

				SET_VARSIZE(b, DatumSize(d->vkind, vsize));
				VARBITLEN(b) = d->dim;
				memcpy(VARBITS(b), v, vsize);
				break;
			}
		case HNSW_VALUE_SPARSE:
			{
				SparseVector *s = (SparseVector *) buf;

				SET_VARSIZE(s, DatumSize(d->vkind, vsize));
				s->dim = d->dim;
				s->nnz = HnswSparseNnz(v);
				s->unused = 0;
				memcpy(s->indices, v + sizeof(int32), vsize - sizeof(int32));
				break;
			}
		default:
			{
				Vector	   *x = (Vector *) buf;

				SET_VARSIZE(x, DatumSize(d->vkind, vsize));
				x->dim = d->dim;
				x->unused = 0;
				memcpy(x->x, v, vsize);
				break;
			}
	}
	return PointerGetDatum(buf);
}

/*
 * Set up distance computation for an index whose values have dim
 * dimensions (bits for bit strings).  Support functions that this
 * extension implements are replaced by direct kernel calls; the kernel is
 * fixed here, once per scan or insert.  Allocates in CurrentMemoryContext.
 */
void
HnswInitDistance(HnswDistance *d, Relation index, int dim)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, HNSW_DISTANCE_PROC);
	PGFunction	f = proc->fn_addr;

	memset(d, 0, sizeof(*d));
	d->type = HnswGetTypeInfo(index);
	d->vkind = d->type->kind;
	d->dim = dim;
	d->maxvsize = d->vkind == HNSW_VALUE_SPARSE ?
		HNSW_SPARSE_VALUE_SIZE(d->type->maxnnz) :
		HnswValueMinSize(d->vkind, Max(dim, 0));
	d->procinfo = proc;
	d->collation = index->rd_indcollation[0];
	if (OidIsValid(index_getprocid(index, 1, HNSW_NORM_PROC)))
	{
		d->normprocinfo = index_getprocinfo(index, 1, HNSW_NORM_PROC);
		d->normalize = true;
	}

	d->kind = HNSW_DIST_GENERIC;
	switch (d->vkind)
	{
		case HNSW_VALUE_FLOAT4:
			if (f == vector_l2_squared_distance)
				d->kind = HNSW_DIST_L2SQ, d->fn = hnsw_kernels->l2sq;
			else if (f == vector_negative_inner_product)
				d->kind = HNSW_DIST_NEG_DOT, d->fn = hnsw_kernels->dot;
			else if (f == l1_distance)
				d->kind = HNSW_DIST_L1, d->fn = hnsw_kernels->l1;
			break;
		case HNSW_VALUE_HALF:
			if (f == halfvec_l2_squared_distance)
				d->kind = HNSW_DIST_HALF_L2SQ, d->hfn = hnsw_kernels->half_l2sq;
			else if (f == halfvec_negative_inner_product)
				d->kind = HNSW_DIST_HALF_NEG_DOT, d->hfn = hnsw_kernels->half_dot;
			else if (f == halfvec_l1_distance)
				d->kind = HNSW_DIST_HALF_L1, d->hfn = hnsw_kernels->half_l1;
			break;
		case HNSW_VALUE_BIT:
			if (f == hamming_distance)
				d->kind = HNSW_DIST_HAMMING;
			else if (f == jaccard_distance)
				d->kind = HNSW_DIST_JACCARD;
			break;
		case HNSW_VALUE_SPARSE:
			if (f == sparsevec_l2_squared_distance)
				d->kind = HNSW_DIST_SPARSE_L2SQ;
			else if (f == sparsevec_negative_inner_product)
				d->kind = HNSW_DIST_SPARSE_NEG_DOT;
			else if (f == sparsevec_l1_distance)
				d->kind = HNSW_DIST_SPARSE_L1;
			break;
	}
	if (d->kind == HNSW_DIST_GENERIC)
	{
		d->scratch1 = palloc0(DatumSize(d->vkind, d->maxvsize));
		d->scratch2 = palloc0(DatumSize(d->vkind, d->maxvsize));
	}
}

/*
 * The distances HnswDist does not compute inline: bit strings, sparse
 * vectors, and support functions called through fmgr.
 */
float
HnswDistOther(const HnswDistance *d, const char *a, const char *b)
{
	switch (d->kind)
	{
		case HNSW_DIST_HAMMING:
			return (float) hnsw_kernels->bit_hamming((const unsigned char *) a,
													 (const unsigned char *) b,
													 ((Size) d->dim + 7) / 8);
		case HNSW_DIST_JACCARD:
			{
				uint64_t	nand;
				uint64_t	nor;

				hnsw_kernels->bit_and_or((const unsigned char *) a,
										 (const unsigned char *) b,
										 ((Size) d->dim + 7) / 8, &nand, &nor);
				if (nand == 0)
					return 1.0f;
				return (float) (1.0 - (double) nand / (double) nor);
			}
		case HNSW_DIST_SPARSE_L2SQ:
		case HNSW_DIST_SPARSE_NEG_DOT:
		case HNSW_DIST_SPARSE_L1:
			{
				int32		na = HnswSparseNnz(a);
				int32		nb = HnswSparseNnz(b);
				const int32 *ia = (const int32 *) (a + sizeof(int32));
				const int32 *ib = (const int32 *) (b + sizeof(int32));
				const float *va = (const float *) (ia + na);
				const float *vb = (const float *) (ib + nb);

				if (d->kind == HNSW_DIST_SPARSE_L2SQ)
					return HnswSparseL2sq(ia, va, na, ib, vb, nb);
				if (d->kind == HNSW_DIST_SPARSE_L1)
					return HnswSparseL1(ia, va, na, ib, vb, nb);
				return -HnswSparseDot(ia, va, na, ib, vb, nb);
			}
		default:
			break;
	}
	return (float) DatumGetFloat8(FunctionCall2Coll(d->procinfo, d->collation,
													ValueToDatum(d, a, d->scratch1),
													ValueToDatum(d, b, d->scratch2)));
}

/* ---------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------
 */

/* The norm of a value through the opclass's norm function, if not ours */
static double
CallNorm(const HnswDistance *d, Datum value)
{
	return DatumGetFloat8(FunctionCall1Coll(d->normprocinfo, d->collation,
											value));
}

static void
DimensionMismatch(const HnswDistance *d, int dim, bool isquery)
{
	if (!isquery)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", d->dim, dim)));
	if (d->vkind == HNSW_VALUE_BIT)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different bit lengths %u and %u",
						(unsigned) d->dim, (unsigned) dim)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("different %s dimensions %d and %d",
					d->type->typname, d->dim, dim)));
}

/*
 * Encode value (a datum of the column's type) into out, normalised when
 * the opclass has a norm function.  Returns the bytes written, or 0 if the
 * value cannot be indexed (zero norm with a norm function); a query is
 * then written as it is.  A value of other dimensions raises an ERROR.
 * out has room for the value: d->maxvsize bytes for a value to index; a
 * query's size is found with EncodedSize.
 */
static Size
Encode(const HnswDistance *d, Datum value, char *out, bool isquery)
{
	Pointer		p = DatumGetPointer(PG_DETOAST_DATUM(value));
	double		norm = 0.0;
	Size		vsize;
	bool		zero;

	switch (d->vkind)
	{
		case HNSW_VALUE_HALF:
			{
				HalfVector *v = (HalfVector *) p;

				if (v->dim != d->dim)
					DimensionMismatch(d, v->dim, isquery);
				vsize = sizeof(uint16) * v->dim;
				memcpy(out, v->x, vsize);
				if (!d->normalize)
					break;
				if (d->normprocinfo->fn_addr == halfvec_l2_norm)
				{
					for (int i = 0; i < v->dim; i++)
					{
						double		x = HalfToFloat4(v->x[i]);

						norm += x * x;
					}
					norm = sqrt(norm);
				}
				else
					norm = CallNorm(d, PointerGetDatum(v));
				zero = !(norm > 0) || isinf(norm);
				if (!zero)
				{
					uint16	   *h = (uint16 *) out;

					for (int i = 0; i < v->dim; i++)
						h[i] = Float4ToHalf((float) (HalfToFloat4(v->x[i]) / norm));
				}
				goto normalised;
			}
		case HNSW_VALUE_BIT:
			{
				VarBit	   *v = (VarBit *) p;

				if (VARBITLEN(v) != d->dim)
					DimensionMismatch(d, VARBITLEN(v), isquery);
				vsize = VARBITBYTES(v);
				memcpy(out, VARBITS(v), vsize);
				if (!d->normalize)
					break;
				norm = CallNorm(d, PointerGetDatum(v));
				zero = !(norm > 0) || isinf(norm);
				goto normalised;
			}
		case HNSW_VALUE_SPARSE:
			{
				SparseVector *v = (SparseVector *) p;
				const float *vals = SPARSEVEC_VALUES(v);
				int32		nnz = v->nnz;
				int32	   *oi = (int32 *) (out + sizeof(int32));
				float	   *ov;

				if (v->dim != d->dim)
					DimensionMismatch(d, v->dim, isquery);
				if (!isquery && nnz > d->type->maxnnz)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("sparsevec cannot have more than %d non-zero elements for hnsw index",
									d->type->maxnnz)));
				ov = (float *) (oi + nnz);
				memcpy(out, &nnz, sizeof(int32));
				memcpy(oi, v->indices, sizeof(int32) * nnz);
				memcpy(ov, vals, sizeof(float) * nnz);
				vsize = HNSW_SPARSE_VALUE_SIZE(nnz);
				if (!d->normalize)
					break;
				if (d->normprocinfo->fn_addr == sparsevec_l2_norm)
				{
					for (int i = 0; i < nnz; i++)
						norm += (double) vals[i] * (double) vals[i];
					norm = sqrt(norm);
				}
				else
					norm = CallNorm(d, PointerGetDatum(v));
				zero = !(norm > 0) || isinf(norm);
				if (!zero)
				{
					/* entries that become 0 are dropped */
					int32		n = 0;

					for (int i = 0; i < nnz; i++)
					{
						float		x = (float) (vals[i] / norm);

						if (x != 0.0f)
						{
							oi[n] = v->indices[i];
							ov[n] = x;
							n++;
						}
					}
					if (n < nnz)
					{
						memmove(oi + n, ov, sizeof(float) * n);
						memcpy(out, &n, sizeof(int32));
						vsize = HNSW_SPARSE_VALUE_SIZE(n);
					}
				}
				goto normalised;
			}
		default:
			{
				Vector	   *v = (Vector *) p;
				float	   *f = (float *) out;

				if (v->dim != d->dim)
					DimensionMismatch(d, v->dim, isquery);
				vsize = sizeof(float) * v->dim;
				memcpy(out, v->x, vsize);
				if (!d->normalize)
					break;
				if (d->normprocinfo->fn_addr == vector_norm)
				{
					for (int i = 0; i < v->dim; i++)
						norm += (double) f[i] * (double) f[i];
					norm = sqrt(norm);
				}
				else
					norm = CallNorm(d, PointerGetDatum(v));
				zero = !(norm > 0) || isinf(norm);
				if (!zero)
					for (int i = 0; i < v->dim; i++)
						f[i] = (float) (f[i] / norm);
				goto normalised;
			}
	}
	if (p != DatumGetPointer(value))
		pfree(p);
	return vsize;

normalised:
	if (p != DatumGetPointer(value))
		pfree(p);
	return zero ? 0 : vsize;
}

/*
 * Turn an indexed value into what the element stores (see HNSW_VALUE_*),
 * in out, which has room for d->maxvsize bytes.  Returns false if the
 * value is not indexed (zero norm with a norm function).  Raises an ERROR
 * for a value of other dimensions, and for a sparse vector with more
 * entries than an index takes (before the zero-norm test).
 */
bool
HnswPrepareValue(const HnswDistance *d, Datum value, void *out)
{
	return Encode(d, value, out, false) > 0;
}

/*
 * The query of a scan, encoded like an element's value and normalised as
 * far as it can be (a zero query stays as it is), palloc'd.  A query of
 * other dimensions raises the distance functions' ERROR.
 */
void *
HnswPrepareQuery(const HnswDistance *d, Datum value)
{
	Size		room = d->maxvsize;
	char	   *out;

	if (d->vkind == HNSW_VALUE_SPARSE)
	{
		SparseVector *v = DatumGetSparseVector(value);

		room = HNSW_SPARSE_VALUE_SIZE(v->nnz);
		if ((Pointer) v != DatumGetPointer(value))
			pfree(v);
	}
	out = palloc0(Max(room, sizeof(int32)));
	if (Encode(d, value, out, true) == 0)
	{
		/* zero norm: the query as it is, not normalised */
		HnswDistance raw = *d;

		raw.normalize = false;
		Encode(&raw, value, out, true);
	}
	return out;
}

/*
 * The query densified, palloc'd, if d computes sparse inner products over
 * at most HNSW_DENSE_MAX_DIM dimensions; NULL otherwise.
 */
float *
HnswDensifyQuery(const HnswDistance *d, const void *query)
{
	const char *q = query;
	float	   *dense;

	if (d->kind != HNSW_DIST_SPARSE_NEG_DOT || d->dim > HNSW_DENSE_MAX_DIM)
		return NULL;
	dense = palloc0(sizeof(float) * d->dim);
	HnswSparseScatter(dense, q, true);
	return dense;
}

/*
 * Write the entries of the sparse value v into the dense array (of the
 * index's dimensions), or, with set false, zero them again.
 */
void
HnswSparseScatter(float *dense, const char *v, bool set)
{
	int32		nnz = HnswSparseNnz(v);
	const int32 *idx = (const int32 *) (v + sizeof(int32));
	const float *val = (const float *) (idx + nnz);

	for (int i = 0; i < nnz; i++)
		dense[idx[i]] = set ? val[i] : 0.0f;
}

/*
 * The distance between a densified query and an element's sparse value:
 * minus their inner product, summed over the element's entries in index
 * order, which is what the merge adds up (the other terms are products
 * with zero).  An index outside the dimensions (a damaged page) raises
 * ERRCODE_INDEX_CORRUPTED.
 */
float
HnswDistDense(const HnswDistance *d, const float *dense, const char *value)
{
	int32		nnz = HnswSparseNnz(value);
	const int32 *idx = (const int32 *) (value + sizeof(int32));
	const float *val = (const float *) (idx + nnz);
	float		s = 0.0f;

	for (int i = 0; i < nnz; i++)
	{
		if (unlikely((uint32) idx[i] >= (uint32) d->dim))
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("hnsw index contains a sparse element with index %d outside its %d dimensions",
							idx[i], d->dim)));
		s += val[i] * dense[idx[i]];
	}
	s = -s;
	return unlikely(isnan(s)) ? INFINITY : s;
}

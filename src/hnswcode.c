/*-------------------------------------------------------------------------
 *
 * hnswcode.c
 *	  Compact codes of element values, for ranking neighbours without
 *	  reading their pages (src/README.md, "Compact codes").
 *
 * The code of a vector x of D dimensions is the RaBitQ code of Gao and
 * Long ("RaBitQ: Quantizing High-Dimensional Vectors with a Theoretical
 * Error Bound for Approximate Nearest Neighbor Search", SIGMOD 2024), with
 * the origin as centre and a structured random rotation:
 *
 *	y = R x, R = H S2 H S1 over x padded with zeros to D' = 2^k >= D
 *	    dimensions, where S1, S2 are diagonal random signs drawn from the
 *	    index's seed and H the normalised Walsh-Hadamard transform;
 *	bits b_i = [y_i > 0] for the first B coordinates (B <= D');
 *	sqnorm = |x|^2, factor F = |x|^2 / sum_i<B |y_i|,
 *	err E = F sqrt(B (1 - a^2) / D'), a = sum |y_i| / (sqrt(B) |y_B|).
 *
 * For a query q, with s_i = 2 b_i - 1 and r = R q:
 *
 *	<x, q> ~ F sum_i<B s_i r_i, with standard error about E |q|.
 *
 * B is D' when the codes of a full layer-0 list fit in a neighbour tuple
 * beside its slots; for larger D it is fewer, and then the first B of the
 * rotated coordinates are a random projection (the estimate and its error
 * still hold, with E computed as above).
 *
 * Everything here is plain scalar C with a fixed order of operations, so
 * that the same value always gives the same code on every machine that
 * runs this binary (hnsw_index_check recomputes codes and compares bytes).
 *
 * IDENTIFICATION
 *	  src/hnswcode.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "hnsw.h"
#include "halfutils.h"

/* splitmix64: the signs of the rotation, from the index's seed */
static inline uint64
SplitMix64(uint64 *state)
{
	uint64		z = (*state += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Smallest power of two >= Max(dim, 64) */
static int
PaddedDim(int dim)
{
	int			p = 64;

	while (p < dim)
		p <<= 1;
	return p;
}

/*
 * Bits of the codes of a new index of dim dimensions and this m: D' if the
 * codes of a full layer-0 list fit beside the slots of a neighbour tuple of
 * every level an element can have (HnswCodesMaxLevel), else the largest
 * multiple of 64 that does.
 */
int
HnswCodeBits(int dim, int m)
{
	int			bits = PaddedDim(dim);
	int			want = HnswCodesLevelCap(m);

	while (bits > 64 &&
		   HnswMaxLevelCodes(m, HNSW_CODE_SIZE(bits)) < want)
		bits -= 64;
	return bits;
}

/*
 * Highest level an element of an index with codes may have: levels above
 * ceil(32 ln 2 / ln m) + 1 have a probability below 2^-32 per element, so
 * no index ever has them; the cap lets the codes be larger.  Never above
 * what a neighbour tuple without codes allows.
 */
int
HnswCodesLevelCap(int m)
{
	int			cap = (int) ceil(32.0 * log(2.0) / log((double) m)) + 1;

	return Min(cap, HnswMaxLevel(m));
}

/* Can an index of distance d have codes?  Only l2 and inner products of
 * float4 and half values can be estimated from them. */
bool
HnswCodesSupported(const HnswDistance *d)
{
	switch (d->kind)
	{
		case HNSW_DIST_L2SQ:
		case HNSW_DIST_NEG_DOT:
		case HNSW_DIST_HALF_L2SQ:
		case HNSW_DIST_HALF_NEG_DOT:
			return d->dim >= 1;
		default:
			return false;
	}
}

/*
 * The codes of a new index, from its quantization option: into the codes,
 * codebits and codeseed fields of the metapage meta.  auto gives codes to
 * every index whose distance they support; rabitq raises an error for any
 * other.
 */
void
HnswChooseCodes(Relation index, const HnswDistance *d, int m,
				HnswMetaPageData *meta)
{
	int			q = HnswGetQuantization(index);

	meta->codes = HNSW_CODE_NONE;
	meta->codebits = 0;
	meta->codeseed = 0;
	if (q == HNSW_QUANTIZATION_NONE)
		return;
	if (!HnswCodesSupported(d))
	{
		if (q == HNSW_QUANTIZATION_RABITQ)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("quantization \"rabitq\" is not supported for this operator class"),
					 errdetail("Codes estimate l2 and inner product distances of vector and halfvec values only."),
					 errhint("Use quantization = auto or none.")));
		return;
	}
	meta->codes = HNSW_CODE_RABITQ;
	meta->codebits = HnswCodeBits(d->dim, m);
	meta->codeseed = HNSW_CODE_SEED;
}

/*
 * Set up c for codes of kind HNSW_CODE_RABITQ, of bits bits, for vectors of
 * dim dimensions, with the rotation of seed.  Allocates in
 * CurrentMemoryContext.
 */
void
HnswCodesInit(HnswCodes *c, int dim, int bits, uint32 seed)
{
	uint64		state = seed;

	c->dim = dim;
	c->pdim = PaddedDim(dim);
	c->bits = bits;
	c->size = HNSW_CODE_SIZE(bits);
	c->seed = seed;
	c->signs = palloc(sizeof(uint64) * 2 * (c->pdim / 64));
	for (int i = 0; i < 2 * (c->pdim / 64); i++)
		c->signs[i] = SplitMix64(&state);
	c->work = palloc(sizeof(float) * c->pdim);
}

/* The normalised Walsh-Hadamard transform of x[0 .. n), n a power of 2 */
static void
Hadamard(float *x, int n)
{
	float		scale = 1.0f / sqrtf((float) n);

	for (int h = 1; h < n; h <<= 1)
	{
		for (int i = 0; i < n; i += h << 1)
		{
			for (int j = i; j < i + h; j++)
			{
				float		a = x[j];
				float		b = x[j + h];

				x[j] = a + b;
				x[j + h] = a - b;
			}
		}
	}
	for (int i = 0; i < n; i++)
		x[i] *= scale;
}

/* Flip the signs of x[i] where bit i of signs is set */
static void
FlipSigns(float *x, const uint64 *signs, int n)
{
	for (int i = 0; i < n; i++)
		if ((signs[i >> 6] >> (i & 63)) & 1)
			x[i] = -x[i];
}

/*
 * Rotate the value v (of the index's kind: float4 or half) into c->work
 * (c->pdim floats).  Returns |v|^2.
 */
static double
Rotate(const HnswCodes *c, int vkind, const char *v)
{
	float	   *y = c->work;
	double		sq = 0;

	for (int i = 0; i < c->dim; i++)
	{
		float		f;

		if (vkind == HNSW_VALUE_HALF)
		{
			uint16		h;

			memcpy(&h, v + 2 * i, sizeof(h));
			f = HalfToFloat4(h);
		}
		else
			memcpy(&f, v + 4 * i, sizeof(f));
		y[i] = f;
		sq += (double) f * f;
	}
	for (int i = c->dim; i < c->pdim; i++)
		y[i] = 0;
	FlipSigns(y, c->signs, c->pdim);
	Hadamard(y, c->pdim);
	FlipSigns(y, c->signs + c->pdim / 64, c->pdim);
	Hadamard(y, c->pdim);
	return sq;
}

/*
 * Write the code of value v (of kind vkind, HNSW_VALUE_FLOAT4 or _HALF) to
 * code (c->size bytes).  A value with non-finite components (only reached
 * through a damaged page; the types refuse them) gets a code whose factors
 * make every estimate 0 with an infinite error, so that it is always
 * read in full.
 */
void
HnswEncode(const HnswCodes *c, int vkind, const char *v, char *code)
{
	HnswCodeHeader hdr;
	uint8	   *bits = (uint8 *) code + sizeof(HnswCodeHeader);
	double		sq = Rotate(c, vkind, v);
	double		s = 0;
	double		yy = 0;
	const float *y = c->work;

	memset(bits, 0, c->bits / 8);
	for (int i = 0; i < c->bits; i++)
	{
		if (y[i] > 0)
			bits[i >> 3] |= 1 << (i & 7);
		s += fabs((double) y[i]);
		yy += (double) y[i] * y[i];
	}
	hdr.sqnorm = (float) sq;
	if (!isfinite(sq) || !isfinite(s) || !isfinite(yy))
	{
		hdr.sqnorm = 0;
		hdr.factor = 0;
		hdr.err = INFINITY;
	}
	else if (s <= 0 || yy <= 0)
	{
		/* the zero vector: <x, q> = 0 exactly */
		hdr.factor = 0;
		hdr.err = 0;
	}
	else
	{
		double		a = s / (sqrt((double) c->bits) * sqrt(yy));
		double		f = sq / s;

		hdr.factor = (float) f;
		hdr.err = (float) (f * sqrt(c->bits * Max(0.0, 1.0 - a * a) / c->pdim));
	}
	memcpy(code, &hdr, sizeof(hdr));
}

/*
 * Prepare the estimates of distances from query (of kind vkind) for the
 * index distance dk: rotate it, and build the table of sums of its
 * rotated coordinates over every nibble of bits.  Allocates in
 * CurrentMemoryContext.  Returns false if the distance has no estimate
 * (only l2 and inner product distances of float4 and half values do).
 * q->lut is reused if it is there: q must be zeroed before its first use.
 */
bool
HnswCodeQueryInit(const HnswCodes *c, HnswCodeQuery *q, HnswDistKind dk,
				  int vkind, const char *query)
{
	double		sq;
	double		total = 0;
	const float *r = c->work;

	switch (dk)
	{
		case HNSW_DIST_L2SQ:
		case HNSW_DIST_HALF_L2SQ:
			q->l2 = true;
			break;
		case HNSW_DIST_NEG_DOT:
		case HNSW_DIST_HALF_NEG_DOT:
			q->l2 = false;
			break;
		default:
			return false;
	}
	sq = Rotate(c, vkind, query);
	if (q->lut == NULL || q->bits != c->bits)
		q->lut = palloc(sizeof(float) * 16 * (c->bits / 4));
	q->bits = c->bits;
	q->size = c->size;
	q->sqnorm = (float) sq;
	q->norm = (float) sqrt(sq);
	for (int g = 0; g < c->bits / 4; g++)
	{
		float	   *t = q->lut + 16 * g;

		for (int nib = 0; nib < 16; nib++)
		{
			float		sum = 0;

			for (int k = 0; k < 4; k++)
				if (nib & (1 << k))
					sum += r[4 * g + k];
			t[nib] = sum;
		}
		total += r[4 * g] + r[4 * g + 1] + r[4 * g + 2] + r[4 * g + 3];
	}
	q->rsum = (float) total;
	q->confidence = HNSW_CODE_CONFIDENCE;
	return true;
}

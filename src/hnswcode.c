/*-------------------------------------------------------------------------
 *
 * hnswcode.c
 *	  Compact codes of element values, for ranking neighbours without
 *	  reading their pages (src/README.md, "Compact codes").
 *
 * A code stands for a member x of a layer-0 list, relative to the list's
 * owner e: it is the RaBitQ code of Gao and Long ("RaBitQ: Quantizing
 * High-Dimensional Vectors with a Theoretical Error Bound for Approximate
 * Nearest Neighbor Search", SIGMOD 2024) of the residual x - e, the owner
 * taking the place of RaBitQ's cluster centre.  With a structured random
 * rotation R = H S2 H S1 over vectors padded with zeros to D' = 2^k >= D
 * dimensions (S1, S2 diagonal random signs drawn from the index's seed, H
 * the normalised Walsh-Hadamard transform), r = R (x - e), s_i = sign r_i
 * for the first B coordinates (B <= D'):
 *
 *	<x - e, q - e> ~ F (<s, R q> - shift),  F = |x - e|^2 / sum_{i<B} |r_i|,
 *	shift = <s, R e>,
 *
 * with a standard error of about err |q - e|, err = F sqrt(B (1 - a^2) / D')
 * and a = sum |r_i| / (sqrt(B) |r_B|), the cosine between s and r_B.  A
 * search expanding e knows its exact distance d(q, e), so that
 *
 *	|x - q|^2 = |x - e|^2 + |q - e|^2 - 2 <x - e, q - e>
 *	-<x, q>  = -<e, q> - <x - e, e> - <x - e, q - e>
 *
 * are estimated with an error that scales with the distances from the
 * owner to its neighbour and to the query, not with the norms of the
 * vectors: the codes of a list are as precise as the list is local.
 * <s, R q> is a sum over table look-ups (one table per query, for every
 * list).
 *
 * B is D' when the codes of a full layer-0 list fit in a neighbour tuple
 * beside its slots; for larger D it is fewer, and then the first B of the
 * rotated coordinates are a random projection (the estimate and its error
 * still hold, with err computed as above).
 *
 * Everything here is plain scalar C with a fixed order of operations, so
 * that the same values always give the same code on every machine that
 * runs this binary (hnsw_index_check makes codes again and compares bytes).
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
 * every level an element can have (HnswCodesLevelCap), else the largest
 * multiple of 64 that does; 0 if not even 64 do (m above 92).
 */
int
HnswCodeBits(int dim, int m)
{
	int			bits = PaddedDim(dim);
	int			want = HnswCodesLevelCap(m);

	while (bits > 0 &&
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
 * every index whose distance they support, of at most
 * HNSW_AUTO_CODES_MAX_DIM dimensions, and whose values are at least four
 * times as large as a code; rabitq gives them to every index whose
 * distance they support, and raises an error for any other.
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
	if (HnswCodesSupported(d) && HnswCodeBits(d->dim, m) == 0)
	{
		if (q == HNSW_QUANTIZATION_RABITQ)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("quantization \"rabitq\" is not supported with m = %d", m),
					 errdetail("The codes of a list of 2 * m neighbours must fit in an index page beside the lists of every level."),
					 errhint("Use m = 92 or less, or quantization = auto or none.")));
		return;
	}
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
	/*
	 * auto: only where a code is much smaller than the value it stands
	 * for (at most a quarter of it: for a few dimensions, reading the value
	 * costs no more than reading its code), and for at most
	 * HNSW_AUTO_CODES_MAX_DIM dimensions, where codes were measured to pay
	 * for their space (src/README.md, "Compact codes").
	 */
	if (q == HNSW_QUANTIZATION_AUTO &&
		(4 * HNSW_CODE_SIZE(HnswCodeBits(d->dim, m)) > HnswValueMinSize(d->vkind, d->dim) ||
		 d->dim > HNSW_AUTO_CODES_MAX_DIM))
		return;
	meta->codes = HNSW_CODE_RABITQ;
	meta->codebits = HnswCodeBits(d->dim, m);
	meta->codeseed = HNSW_CODE_SEED;
}

/*
 * NULL if the fields of codes of the metapage meta (whose m, kind and
 * dimensions have been checked) are some the index can have; else a
 * sentence that says why not.
 */
char *
HnswCodeFieldsProblem(const HnswMetaPageData *meta)
{
	int			maxbits;

	if (meta->codes == HNSW_CODE_NONE)
		return NULL;
	if (meta->codes > HNSW_CODE_MAX_KIND)
		return psprintf("Its codes are of kind %u; the kinds are %d (none) and %d.",
						meta->codes, HNSW_CODE_NONE, HNSW_CODE_RABITQ);
	if (meta->kind != HNSW_VALUE_FLOAT4 && meta->kind != HNSW_VALUE_HALF)
		return psprintf("It has codes for values of kind %u, which have none.",
						meta->kind);
	maxbits = HnswCodeBits(meta->dimensions, meta->m);
	if (meta->codebits == 0 || meta->codebits % 64 != 0 || meta->codebits > maxbits)
		return psprintf("Its codes have %u bits; with %u dimensions and m %u they have a multiple of 64 between 64 and %d.",
						meta->codebits, meta->dimensions, meta->m, maxbits);
	return NULL;
}

/* Is the base of the codes of an index of distance d an inner product? */
bool
HnswCodesDotBase(const HnswDistance *d)
{
	return d->kind == HNSW_DIST_NEG_DOT || d->kind == HNSW_DIST_HALF_NEG_DOT;
}

/*
 * Set up c for codes of kind HNSW_CODE_RABITQ, of bits bits, for vectors of
 * dim dimensions, with the rotation of seed; dotbase for an index whose
 * distance is an inner product (HnswCodesDotBase).  Allocates in
 * CurrentMemoryContext.
 */
void
HnswCodesInit(HnswCodes *c, int dim, int bits, uint32 seed, bool dotbase)
{
	uint64		state = seed;

	c->dotbase = dotbase;
	c->dim = dim;
	c->pdim = PaddedDim(dim);
	c->bits = bits;
	c->size = HNSW_CODE_SIZE(bits);
	c->seed = seed;
	c->signs = palloc(sizeof(uint64) * 2 * (c->pdim / 64));
	for (int i = 0; i < 2 * (c->pdim / 64); i++)
		c->signs[i] = HnswSplitMix64(&state);
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
 * Rotate the value v (of the index's kind: float4 or half) into out
 * (c->pdim floats).  Returns |v|^2.
 */
double
HnswRotate(const HnswCodes *c, int vkind, const char *v, float *out)
{
	float	   *y = out;
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

/* A code whose estimates are never trusted: every search reads its value */
void
HnswUntrustedCode(const HnswCodes *c, char *code)
{
	HnswCodeHeader hdr = {0, 0, 0, HALF_POS_INF};

	memset(code, 0, c->size);
	memcpy(code, &hdr, sizeof(hdr));
}

/*
 * Write to code (c->size bytes) the code of x relative to e, from their
 * rotations rx and re (c->pdim floats each, HnswRotate).  Residuals with
 * non-finite components (only from damaged pages: the types refuse them)
 * get an untrusted code.
 */
void
HnswEncodeRotated(const HnswCodes *c, const float *rx, const float *re, char *code)
{
	HnswCodeHeader hdr;
	uint8	   *bits = (uint8 *) code + sizeof(HnswCodeHeader);
	double		sq = 0;
	double		dot = 0;
	double		s = 0;
	double		yy = 0;
	double		shift = 0;

	/*
	 * Without branches on the signs, which are random: a mispredicted
	 * branch per coordinate made this the build's bottleneck.  The sums are
	 * the same, in the same order, as every index so far was encoded with,
	 * so that hnsw_index_check's re-encoding matches them to the byte.
	 */
	for (int i = 0; i < c->bits; i += 8)
	{
		uint8		byte = 0;

		for (int j = 0; j < 8; j++)
		{
			double		e = re[i + j];
			double		r = (double) rx[i + j] - e;
			int			pos = r > 0;

			sq += r * r;
			dot += r * e;
			byte |= pos << j;
			shift += e * (double) (2 * pos - 1);	/* exact: e or -e */
			s += fabs(r);
			yy += r * r;
		}
		bits[i >> 3] = byte;
	}
	for (int i = c->bits; i < c->pdim; i++)
	{
		double		r = (double) rx[i] - (double) re[i];

		sq += r * r;
		dot += r * re[i];
	}
	if (!isfinite(sq) || !isfinite(dot) || !isfinite(shift))
	{
		HnswUntrustedCode(c, code);
		return;
	}
	hdr.base = (float) (c->dotbase ? dot : sq);
	hdr.shift = (float) shift;
	if (s <= 0 || yy <= 0)
	{
		/* x = e in the coded coordinates: the estimate is its base */
		hdr.factor = Float4ToHalf(0);
		hdr.err = sq > 0 ? HALF_POS_INF : Float4ToHalf(0);
	}
	else
	{
		double		a = s / (sqrt((double) c->bits) * sqrt(yy));
		double		f = sq / s;
		double		e = f * sqrt(c->bits * Max(0.0, 1.0 - a * a) / c->pdim);

		/* factors beyond binary16 (huge vectors): never trusted */
		if (f > HALF_MAX_FINITE || e > HALF_MAX_FINITE)
		{
			HnswUntrustedCode(c, code);
			return;
		}
		hdr.factor = Float4ToHalf((float) f);
		hdr.err = Float4ToHalf((float) e);
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
	sq = HnswRotate(c, vkind, query, c->work);
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
	q->confidence = (float) hnsw_code_margin;
	return true;
}

/*-------------------------------------------------------------------------
 *
 * halfutils.h
 *	  IEEE 754 binary16 ("half") conversions in plain C.
 *
 * Half values are kept as their 16-bit patterns (uint16_t) everywhere:
 * in the halfvec type, in index elements and in the kernels.  Conversion
 * to float4 is exact.  Conversion from float4 rounds to nearest, ties to
 * even; a finite float4 that rounds to infinity gives infinity, which the
 * callers report as out of range.  NaN stays NaN.
 *
 * This header includes no PostgreSQL header, so that the kernels, their
 * tests and the fuzz targets can use it.
 *
 * IDENTIFICATION
 *	  src/halfutils.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_HALFUTILS_H
#define HNSW_HALFUTILS_H

#include <stdint.h>
#include <string.h>

#define HALF_MAX_FINITE		65504.0f
#define HALF_POS_INF		((uint16_t) 0x7C00)

static inline uint32_t
HalfFloatBits(float f)
{
	uint32_t	u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static inline float
HalfBitsFloat(uint32_t u)
{
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* Exact widening of a half to float4 */
static inline float
HalfToFloat4(uint16_t h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exp = (h >> 10) & 0x1F;
	uint32_t	mant = h & 0x3FF;

	if (exp == 0x1F)			/* infinity or NaN */
		return HalfBitsFloat(sign | 0x7F800000 | (mant << 13));
	if (exp == 0)
	{
		/* zero or subnormal: mant * 2^-24, exact in float4 */
		float		f = (float) mant * (1.0f / 16777216.0f);

		return sign ? -f : f;
	}
	return HalfBitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

/* Narrowing of a float4 to half, round to nearest, ties to even */
static inline uint16_t
Float4ToHalf(float f)
{
	uint32_t	u = HalfFloatBits(f);
	uint16_t	sign = (uint16_t) ((u >> 16) & 0x8000);
	uint32_t	absu = u & 0x7FFFFFFF;

	if (absu >= 0x7F800000)		/* infinity or NaN */
		return sign | 0x7C00 | (absu > 0x7F800000 ? 0x200 : 0);
	if (absu >= 0x477FF000)		/* rounds to 65536 or more: infinity */
		return sign | 0x7C00;
	if (absu < 0x38800000)		/* below 2^-14: subnormal half or zero */
	{
		/* value * 2^24 rounded to an integer, ties to even */
		float		a = HalfBitsFloat(absu) * 16777216.0f;
		uint32_t	i = (uint32_t) a;
		float		rem = a - (float) i;

		if (rem > 0.5f || (rem == 0.5f && (i & 1)))
			i++;
		return sign | (uint16_t) i;
	}
	else
	{
		/* normal: drop 13 mantissa bits, ties to even; a carry into the
		 * exponent is the right result */
		uint32_t	r = absu + 0xFFF + ((absu >> 13) & 1);

		return sign | (uint16_t) ((r - 0x38000000) >> 13);
	}
}

static inline int
HalfIsInf(uint16_t h)
{
	return (h & 0x7FFF) == 0x7C00;
}

static inline int
HalfIsNan(uint16_t h)
{
	return (h & 0x7FFF) > 0x7C00;
}

#endif							/* HNSW_HALFUTILS_H */

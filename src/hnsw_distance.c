/*-------------------------------------------------------------------------
 *
 * hnsw_distance.c
 *	  Distance kernels with run-time CPU dispatch: float4, half (binary16)
 *	  and bit strings, plus the sparse vector merges.
 *
 * There is one kernel set per instruction set: a scalar reference, AVX2+FMA
 * and AVX-512F on x86-64, and NEON on AArch64.  Each set provides the same
 * four float4 functions (squared L2, inner product, L1 and the three sums
 * needed for the cosine distance), the same four over half vectors, and
 * two popcounts over bit strings.  The x86 sets are compiled with
 * __attribute__((target(...))) so that the rest of the module, and the rest
 * of the extension, stay portable: the build never uses -march.  Which set
 * runs is decided once, by HnswKernelsInit(), from cpuid and xgetbv; callers
 * go through the hnsw_kernels function pointers, so there is no per-call
 * feature check.
 *
 * Instruction sets used beyond each set's name: the AVX2 set widens halves
 * with F16C and counts bits with POPCNT, and is offered only when cpuid
 * reports both.  The AVX-512 set widens halves with AVX-512F's own
 * vcvtph2ps, and counts bits with AVX512_VPOPCNTDQ when cpuid reports it,
 * else with POPCNT (two static tables; the choice is made when the set is
 * handed out).  NEON needs nothing beyond the AArch64 base.
 *
 * Numerics.  Every kernel accumulates in float4, exactly like the scalar
 * reference, and the difference a[i] - b[i] is always rounded to float4
 * before it is squared or its absolute value taken.  The SIMD kernels thus
 * differ from the reference only in the order of summation (several
 * partial sums, one per lane and accumulator, added at the end) and in
 * using fused multiply-add, which rounds once instead of twice.  Both
 * only shrink the usual bound on the error of float summation.  Float4
 * accumulation is deliberate: the SQL functions rely on it to overflow to
 * infinity the way float4 arithmetic does (for example, the L2 distance
 * between [3e38] and [-3e38] is +Infinity).  Half kernels first widen each
 * half to float4, which is exact, and then compute exactly as the float4
 * kernels do on the widened values.  Bit counts are exact integers.
 *
 * This file includes no PostgreSQL header, so that test/kernels and
 * bench/kernels can compile it on its own.
 *
 * IDENTIFICATION
 *	  src/hnsw_distance.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define HNSW_HAVE_X86_KERNELS 1
#endif

#if defined(__aarch64__)
#include <arm_neon.h>
#define HNSW_HAVE_NEON_KERNELS 1
#endif

#include "halfutils.h"
#include "hnsw_distance.h"


/*
 * Scalar reference
 *
 * Plain loops with one float4 accumulator, summing in index order.  This is
 * the definition the other kernel sets are tested against, and what runs
 * when the CPU offers nothing better.
 */

static float
scalar_l2sq(const float *a, const float *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
	{
		float		d = a[i] - b[i];

		s += d * d;
	}
	return s;
}

static float
scalar_dot(const float *a, const float *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static float
scalar_l1(const float *a, const float *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
		s += fabsf(a[i] - b[i]);
	return s;
}

static void
scalar_cosine_parts(const float *a, const float *b, int n,
					float *dot, float *norma, float *normb)
{
	float		d = 0.0f;
	float		na = 0.0f;
	float		nb = 0.0f;

	for (int i = 0; i < n; i++)
	{
		d += a[i] * b[i];
		na += a[i] * a[i];
		nb += b[i] * b[i];
	}
	*dot = d;
	*norma = na;
	*normb = nb;
}

static float
scalar_half_l2sq(const uint16_t *a, const uint16_t *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
	{
		float		d = HalfToFloat4(a[i]) - HalfToFloat4(b[i]);

		s += d * d;
	}
	return s;
}

static float
scalar_half_dot(const uint16_t *a, const uint16_t *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
		s += HalfToFloat4(a[i]) * HalfToFloat4(b[i]);
	return s;
}

static float
scalar_half_l1(const uint16_t *a, const uint16_t *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
		s += fabsf(HalfToFloat4(a[i]) - HalfToFloat4(b[i]));
	return s;
}

static void
scalar_half_cosine_parts(const uint16_t *a, const uint16_t *b, int n,
						 float *dot, float *norma, float *normb)
{
	float		d = 0.0f;
	float		na = 0.0f;
	float		nb = 0.0f;

	for (int i = 0; i < n; i++)
	{
		float		x = HalfToFloat4(a[i]);
		float		y = HalfToFloat4(b[i]);

		d += x * y;
		na += x * x;
		nb += y * y;
	}
	*dot = d;
	*norma = na;
	*normb = nb;
}

static uint64_t
scalar_bit_hamming(const unsigned char *a, const unsigned char *b, size_t nbytes)
{
	uint64_t	n = 0;
	size_t		i = 0;

	for (; i + 8 <= nbytes; i += 8)
	{
		uint64_t	x,
					y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		n += (uint64_t) __builtin_popcountll(x ^ y);
	}
	for (; i < nbytes; i++)
		n += (uint64_t) __builtin_popcount((unsigned) (a[i] ^ b[i]));
	return n;
}

static void
scalar_bit_and_or(const unsigned char *a, const unsigned char *b, size_t nbytes,
				  uint64_t *nand, uint64_t *nor)
{
	uint64_t	na = 0;
	uint64_t	no = 0;
	size_t		i = 0;

	for (; i + 8 <= nbytes; i += 8)
	{
		uint64_t	x,
					y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		na += (uint64_t) __builtin_popcountll(x & y);
		no += (uint64_t) __builtin_popcountll(x | y);
	}
	for (; i < nbytes; i++)
	{
		na += (uint64_t) __builtin_popcount((unsigned) (a[i] & b[i]));
		no += (uint64_t) __builtin_popcount((unsigned) (a[i] | b[i]));
	}
	*nand = na;
	*nor = no;
}

static const HnswKernels scalar_kernels = {
	HNSW_KERNEL_SCALAR, "scalar",
	scalar_l2sq, scalar_dot, scalar_l1, scalar_cosine_parts,
	scalar_half_l2sq, scalar_half_dot, scalar_half_l1, scalar_half_cosine_parts,
	scalar_bit_hamming, scalar_bit_and_or
};


#ifdef HNSW_HAVE_X86_KERNELS

/*
 * AVX2 + FMA
 *
 * The main loop takes 32 floats per iteration into four independent
 * accumulators, so that consecutive FMAs do not wait on each other's
 * latency.  Then whole vectors of 8, then a masked load for the last 1..7
 * elements: _mm256_maskload_ps reads nothing (and cannot fault) in lanes
 * whose mask is off, and leaves them zero, which adds nothing to any sum.
 */

#define HNSW_TARGET_AVX2 __attribute__((target("avx2,fma")))

/*
 * Lane masks for _mm256_maskload_ps: loading 8 ints starting at
 * avx2_tail_mask + 8 - r gives r leading lanes with the sign bit set.
 */
static const int32_t avx2_tail_mask[16] = {
	-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0
};

HNSW_TARGET_AVX2
static inline __m256i
avx2_mask(int r)
{
	return _mm256_loadu_si256((const __m256i *) (avx2_tail_mask + 8 - r));
}

/* Sum of the eight lanes of v */
HNSW_TARGET_AVX2
static inline float
avx2_hsum(__m256 v)
{
	__m128		lo = _mm256_castps256_ps128(v);
	__m128		hi = _mm256_extractf128_ps(v, 1);

	lo = _mm_add_ps(lo, hi);
	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
	return _mm_cvtss_f32(lo);
}

/* |v|: clear the sign bits */
HNSW_TARGET_AVX2
static inline __m256
avx2_abs(__m256 v)
{
	return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

HNSW_TARGET_AVX2
static float
avx2_l2sq(const float *a, const float *b, int n)
{
	__m256		s0 = _mm256_setzero_ps();
	__m256		s1 = _mm256_setzero_ps();
	__m256		s2 = _mm256_setzero_ps();
	__m256		s3 = _mm256_setzero_ps();
	__m256		d0,
				d1,
				d2,
				d3;
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
		d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
		d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
		s0 = _mm256_fmadd_ps(d0, d0, s0);
		s1 = _mm256_fmadd_ps(d1, d1, s1);
		s2 = _mm256_fmadd_ps(d2, d2, s2);
		s3 = _mm256_fmadd_ps(d3, d3, s3);
	}
	for (; i + 8 <= n; i += 8)
	{
		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		s0 = _mm256_fmadd_ps(d0, d0, s0);
	}
	if (i < n)
	{
		__m256i		m = avx2_mask(n - i);

		d1 = _mm256_sub_ps(_mm256_maskload_ps(a + i, m),
						   _mm256_maskload_ps(b + i, m));
		s1 = _mm256_fmadd_ps(d1, d1, s1);
	}
	return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1),
								   _mm256_add_ps(s2, s3)));
}

HNSW_TARGET_AVX2
static float
avx2_dot(const float *a, const float *b, int n)
{
	__m256		s0 = _mm256_setzero_ps();
	__m256		s1 = _mm256_setzero_ps();
	__m256		s2 = _mm256_setzero_ps();
	__m256		s3 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	if (i < n)
	{
		__m256i		m = avx2_mask(n - i);

		s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m),
							 _mm256_maskload_ps(b + i, m), s1);
	}
	return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1),
								   _mm256_add_ps(s2, s3)));
}

HNSW_TARGET_AVX2
static float
avx2_l1(const float *a, const float *b, int n)
{
	__m256		s0 = _mm256_setzero_ps();
	__m256		s1 = _mm256_setzero_ps();
	__m256		s2 = _mm256_setzero_ps();
	__m256		s3 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		s0 = _mm256_add_ps(s0, avx2_abs(_mm256_sub_ps(_mm256_loadu_ps(a + i),
													  _mm256_loadu_ps(b + i))));
		s1 = _mm256_add_ps(s1, avx2_abs(_mm256_sub_ps(_mm256_loadu_ps(a + i + 8),
													  _mm256_loadu_ps(b + i + 8))));
		s2 = _mm256_add_ps(s2, avx2_abs(_mm256_sub_ps(_mm256_loadu_ps(a + i + 16),
													  _mm256_loadu_ps(b + i + 16))));
		s3 = _mm256_add_ps(s3, avx2_abs(_mm256_sub_ps(_mm256_loadu_ps(a + i + 24),
													  _mm256_loadu_ps(b + i + 24))));
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_add_ps(s0, avx2_abs(_mm256_sub_ps(_mm256_loadu_ps(a + i),
													  _mm256_loadu_ps(b + i))));
	if (i < n)
	{
		__m256i		m = avx2_mask(n - i);

		s1 = _mm256_add_ps(s1, avx2_abs(_mm256_sub_ps(_mm256_maskload_ps(a + i, m),
													  _mm256_maskload_ps(b + i, m))));
	}
	return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1),
								   _mm256_add_ps(s2, s3)));
}

/*
 * Three sums per element already give three independent dependency chains,
 * so two accumulators of each (six in all) are enough to cover FMA latency.
 */
HNSW_TARGET_AVX2
static void
avx2_cosine_parts(const float *a, const float *b, int n,
				  float *dot, float *norma, float *normb)
{
	__m256		d0 = _mm256_setzero_ps();
	__m256		d1 = _mm256_setzero_ps();
	__m256		na0 = _mm256_setzero_ps();
	__m256		na1 = _mm256_setzero_ps();
	__m256		nb0 = _mm256_setzero_ps();
	__m256		nb1 = _mm256_setzero_ps();
	__m256		x0,
				y0,
				x1,
				y1;
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		x0 = _mm256_loadu_ps(a + i);
		y0 = _mm256_loadu_ps(b + i);
		x1 = _mm256_loadu_ps(a + i + 8);
		y1 = _mm256_loadu_ps(b + i + 8);
		d0 = _mm256_fmadd_ps(x0, y0, d0);
		na0 = _mm256_fmadd_ps(x0, x0, na0);
		nb0 = _mm256_fmadd_ps(y0, y0, nb0);
		d1 = _mm256_fmadd_ps(x1, y1, d1);
		na1 = _mm256_fmadd_ps(x1, x1, na1);
		nb1 = _mm256_fmadd_ps(y1, y1, nb1);
	}
	if (i + 8 <= n)
	{
		x0 = _mm256_loadu_ps(a + i);
		y0 = _mm256_loadu_ps(b + i);
		d0 = _mm256_fmadd_ps(x0, y0, d0);
		na0 = _mm256_fmadd_ps(x0, x0, na0);
		nb0 = _mm256_fmadd_ps(y0, y0, nb0);
		i += 8;
	}
	if (i < n)
	{
		__m256i		m = avx2_mask(n - i);

		x1 = _mm256_maskload_ps(a + i, m);
		y1 = _mm256_maskload_ps(b + i, m);
		d1 = _mm256_fmadd_ps(x1, y1, d1);
		na1 = _mm256_fmadd_ps(x1, x1, na1);
		nb1 = _mm256_fmadd_ps(y1, y1, nb1);
	}
	*dot = avx2_hsum(_mm256_add_ps(d0, d1));
	*norma = avx2_hsum(_mm256_add_ps(na0, na1));
	*normb = avx2_hsum(_mm256_add_ps(nb0, nb1));
}

/*
 * AVX2 half kernels
 *
 * F16C's _mm256_cvtph_ps widens eight halves to float4 exactly, and the
 * sums then run exactly like the float4 kernels above.  The tail of 1..7
 * halves is loaded as whole 32-bit pairs with _mm_maskload_epi32, which
 * reads nothing in lanes whose mask is off, plus the odd last half put
 * into the next lane by hand: nothing past the end is ever read, and the
 * lanes left zero widen to +0, which adds nothing to any sum.
 */

#define HNSW_TARGET_AVX2_F16C __attribute__((target("avx2,fma,f16c")))

/* Loading 4 ints at avx2_one_hot + 3 - k sets lane k only */
static const int32_t avx2_one_hot[8] = {0, 0, 0, -1, 0, 0, 0, 0};

/* Eight halves at p, widened */
HNSW_TARGET_AVX2_F16C
static inline __m256
avx2_load_half(const uint16_t *p)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p));
}

/* The r halves at p (0 < r < 8) in the leading lanes, the rest zero */
HNSW_TARGET_AVX2_F16C
static inline __m256
avx2_load_half_tail(const uint16_t *p, int r)
{
	int			pairs = r >> 1;
	__m128i		m = _mm_loadu_si128((const __m128i *) (avx2_tail_mask + 8 - pairs));
	__m128i		v = _mm_maskload_epi32((const int *) p, m);

	if (r & 1)
	{
		__m128i		lane = _mm_loadu_si128((const __m128i *) (avx2_one_hot + 3 - pairs));

		v = _mm_or_si128(v, _mm_and_si128(_mm_set1_epi32(p[r - 1]), lane));
	}
	return _mm256_cvtph_ps(v);
}

HNSW_TARGET_AVX2_F16C
static float
avx2_half_l2sq(const uint16_t *a, const uint16_t *b, int n)
{
	__m256		s0 = _mm256_setzero_ps();
	__m256		s1 = _mm256_setzero_ps();
	__m256		s2 = _mm256_setzero_ps();
	__m256		s3 = _mm256_setzero_ps();
	__m256		d0,
				d1,
				d2,
				d3;
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		d0 = _mm256_sub_ps(avx2_load_half(a + i), avx2_load_half(b + i));
		d1 = _mm256_sub_ps(avx2_load_half(a + i + 8), avx2_load_half(b + i + 8));
		d2 = _mm256_sub_ps(avx2_load_half(a + i + 16), avx2_load_half(b + i + 16));
		d3 = _mm256_sub_ps(avx2_load_half(a + i + 24), avx2_load_half(b + i + 24));
		s0 = _mm256_fmadd_ps(d0, d0, s0);
		s1 = _mm256_fmadd_ps(d1, d1, s1);
		s2 = _mm256_fmadd_ps(d2, d2, s2);
		s3 = _mm256_fmadd_ps(d3, d3, s3);
	}
	for (; i + 8 <= n; i += 8)
	{
		d0 = _mm256_sub_ps(avx2_load_half(a + i), avx2_load_half(b + i));
		s0 = _mm256_fmadd_ps(d0, d0, s0);
	}
	if (i < n)
	{
		d1 = _mm256_sub_ps(avx2_load_half_tail(a + i, n - i),
						   avx2_load_half_tail(b + i, n - i));
		s1 = _mm256_fmadd_ps(d1, d1, s1);
	}
	return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1),
								   _mm256_add_ps(s2, s3)));
}

HNSW_TARGET_AVX2_F16C
static float
avx2_half_dot(const uint16_t *a, const uint16_t *b, int n)
{
	__m256		s0 = _mm256_setzero_ps();
	__m256		s1 = _mm256_setzero_ps();
	__m256		s2 = _mm256_setzero_ps();
	__m256		s3 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		s0 = _mm256_fmadd_ps(avx2_load_half(a + i), avx2_load_half(b + i), s0);
		s1 = _mm256_fmadd_ps(avx2_load_half(a + i + 8), avx2_load_half(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(avx2_load_half(a + i + 16), avx2_load_half(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(avx2_load_half(a + i + 24), avx2_load_half(b + i + 24), s3);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(avx2_load_half(a + i), avx2_load_half(b + i), s0);
	if (i < n)
		s1 = _mm256_fmadd_ps(avx2_load_half_tail(a + i, n - i),
							 avx2_load_half_tail(b + i, n - i), s1);
	return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1),
								   _mm256_add_ps(s2, s3)));
}

HNSW_TARGET_AVX2_F16C
static float
avx2_half_l1(const uint16_t *a, const uint16_t *b, int n)
{
	__m256		s0 = _mm256_setzero_ps();
	__m256		s1 = _mm256_setzero_ps();
	__m256		s2 = _mm256_setzero_ps();
	__m256		s3 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		s0 = _mm256_add_ps(s0, avx2_abs(_mm256_sub_ps(avx2_load_half(a + i),
													  avx2_load_half(b + i))));
		s1 = _mm256_add_ps(s1, avx2_abs(_mm256_sub_ps(avx2_load_half(a + i + 8),
													  avx2_load_half(b + i + 8))));
		s2 = _mm256_add_ps(s2, avx2_abs(_mm256_sub_ps(avx2_load_half(a + i + 16),
													  avx2_load_half(b + i + 16))));
		s3 = _mm256_add_ps(s3, avx2_abs(_mm256_sub_ps(avx2_load_half(a + i + 24),
													  avx2_load_half(b + i + 24))));
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_add_ps(s0, avx2_abs(_mm256_sub_ps(avx2_load_half(a + i),
													  avx2_load_half(b + i))));
	if (i < n)
		s1 = _mm256_add_ps(s1, avx2_abs(_mm256_sub_ps(avx2_load_half_tail(a + i, n - i),
													  avx2_load_half_tail(b + i, n - i))));
	return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1),
								   _mm256_add_ps(s2, s3)));
}

HNSW_TARGET_AVX2_F16C
static void
avx2_half_cosine_parts(const uint16_t *a, const uint16_t *b, int n,
					   float *dot, float *norma, float *normb)
{
	__m256		d0 = _mm256_setzero_ps();
	__m256		d1 = _mm256_setzero_ps();
	__m256		na0 = _mm256_setzero_ps();
	__m256		na1 = _mm256_setzero_ps();
	__m256		nb0 = _mm256_setzero_ps();
	__m256		nb1 = _mm256_setzero_ps();
	__m256		x0,
				y0,
				x1,
				y1;
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		x0 = avx2_load_half(a + i);
		y0 = avx2_load_half(b + i);
		x1 = avx2_load_half(a + i + 8);
		y1 = avx2_load_half(b + i + 8);
		d0 = _mm256_fmadd_ps(x0, y0, d0);
		na0 = _mm256_fmadd_ps(x0, x0, na0);
		nb0 = _mm256_fmadd_ps(y0, y0, nb0);
		d1 = _mm256_fmadd_ps(x1, y1, d1);
		na1 = _mm256_fmadd_ps(x1, x1, na1);
		nb1 = _mm256_fmadd_ps(y1, y1, nb1);
	}
	if (i + 8 <= n)
	{
		x0 = avx2_load_half(a + i);
		y0 = avx2_load_half(b + i);
		d0 = _mm256_fmadd_ps(x0, y0, d0);
		na0 = _mm256_fmadd_ps(x0, x0, na0);
		nb0 = _mm256_fmadd_ps(y0, y0, nb0);
		i += 8;
	}
	if (i < n)
	{
		x1 = avx2_load_half_tail(a + i, n - i);
		y1 = avx2_load_half_tail(b + i, n - i);
		d1 = _mm256_fmadd_ps(x1, y1, d1);
		na1 = _mm256_fmadd_ps(x1, x1, na1);
		nb1 = _mm256_fmadd_ps(y1, y1, nb1);
	}
	*dot = avx2_hsum(_mm256_add_ps(d0, d1));
	*norma = avx2_hsum(_mm256_add_ps(na0, na1));
	*normb = avx2_hsum(_mm256_add_ps(nb0, nb1));
}


/*
 * POPCNT bit kernels
 *
 * 64-bit words with the POPCNT instruction, four words per iteration into
 * independent counters, then single words, then the last 0..7 bytes one
 * at a time.  Words are read with memcpy, which compiles to a plain
 * unaligned load.  Used by the AVX2 set, and by the AVX-512 set when the
 * CPU lacks AVX512_VPOPCNTDQ.
 */

#define HNSW_TARGET_POPCNT __attribute__((target("popcnt")))

HNSW_TARGET_POPCNT
static inline uint64_t
popcnt_word_xor(const unsigned char *a, const unsigned char *b)
{
	uint64_t	x,
				y;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return (uint64_t) __builtin_popcountll(x ^ y);
}

HNSW_TARGET_POPCNT
static uint64_t
popcnt_bit_hamming(const unsigned char *a, const unsigned char *b, size_t nbytes)
{
	uint64_t	c0 = 0,
				c1 = 0,
				c2 = 0,
				c3 = 0;
	size_t		i = 0;

	for (; i + 32 <= nbytes; i += 32)
	{
		c0 += popcnt_word_xor(a + i, b + i);
		c1 += popcnt_word_xor(a + i + 8, b + i + 8);
		c2 += popcnt_word_xor(a + i + 16, b + i + 16);
		c3 += popcnt_word_xor(a + i + 24, b + i + 24);
	}
	for (; i + 8 <= nbytes; i += 8)
		c0 += popcnt_word_xor(a + i, b + i);
	for (; i < nbytes; i++)
		c1 += (uint64_t) __builtin_popcount((unsigned) (a[i] ^ b[i]));
	return c0 + c1 + c2 + c3;
}

HNSW_TARGET_POPCNT
static void
popcnt_bit_and_or(const unsigned char *a, const unsigned char *b, size_t nbytes,
				  uint64_t *nand, uint64_t *nor)
{
	uint64_t	a0 = 0,
				a1 = 0,
				o0 = 0,
				o1 = 0;
	size_t		i = 0;

	for (; i + 16 <= nbytes; i += 16)
	{
		uint64_t	x0,
					y0,
					x1,
					y1;

		memcpy(&x0, a + i, 8);
		memcpy(&y0, b + i, 8);
		memcpy(&x1, a + i + 8, 8);
		memcpy(&y1, b + i + 8, 8);
		a0 += (uint64_t) __builtin_popcountll(x0 & y0);
		o0 += (uint64_t) __builtin_popcountll(x0 | y0);
		a1 += (uint64_t) __builtin_popcountll(x1 & y1);
		o1 += (uint64_t) __builtin_popcountll(x1 | y1);
	}
	for (; i + 8 <= nbytes; i += 8)
	{
		uint64_t	x,
					y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		a0 += (uint64_t) __builtin_popcountll(x & y);
		o0 += (uint64_t) __builtin_popcountll(x | y);
	}
	for (; i < nbytes; i++)
	{
		a1 += (uint64_t) __builtin_popcount((unsigned) (a[i] & b[i]));
		o1 += (uint64_t) __builtin_popcount((unsigned) (a[i] | b[i]));
	}
	*nand = a0 + a1;
	*nor = o0 + o1;
}

static const HnswKernels avx2_kernels = {
	HNSW_KERNEL_AVX2, "avx2",
	avx2_l2sq, avx2_dot, avx2_l1, avx2_cosine_parts,
	avx2_half_l2sq, avx2_half_dot, avx2_half_l1, avx2_half_cosine_parts,
	popcnt_bit_hamming, popcnt_bit_and_or
};


/*
 * AVX-512F
 *
 * Same shape as the AVX2 kernels with 16 lanes: 64 floats per iteration in
 * four accumulators, then whole vectors of 16, then one masked load for
 * the last 1..15 elements.  A zero-masked load suppresses faults in the
 * lanes it does not read, so it never touches memory past the end of
 * either vector.  Only AVX-512F instructions are used (no DQ: the absolute
 * value is an integer AND on the sign bit).
 */

#define HNSW_TARGET_AVX512 __attribute__((target("avx512f")))

/* Mask with the low r bits set, 0 < r < 16 */
#define AVX512_TAIL_MASK(r) ((__mmask16) ((1u << (r)) - 1))

/* |v|: clear the sign bits */
HNSW_TARGET_AVX512
static inline __m512
avx512_abs(__m512 v)
{
	return _mm512_castsi512_ps(_mm512_and_epi32(_mm512_castps_si512(v),
												_mm512_set1_epi32(0x7fffffff)));
}

HNSW_TARGET_AVX512
static float
avx512_l2sq(const float *a, const float *b, int n)
{
	__m512		s0 = _mm512_setzero_ps();
	__m512		s1 = _mm512_setzero_ps();
	__m512		s2 = _mm512_setzero_ps();
	__m512		s3 = _mm512_setzero_ps();
	__m512		d0,
				d1,
				d2,
				d3;
	int			i = 0;

	for (; i + 64 <= n; i += 64)
	{
		d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
		d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
		d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
		s0 = _mm512_fmadd_ps(d0, d0, s0);
		s1 = _mm512_fmadd_ps(d1, d1, s1);
		s2 = _mm512_fmadd_ps(d2, d2, s2);
		s3 = _mm512_fmadd_ps(d3, d3, s3);
	}
	for (; i + 16 <= n; i += 16)
	{
		d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		s0 = _mm512_fmadd_ps(d0, d0, s0);
	}
	if (i < n)
	{
		__mmask16	m = AVX512_TAIL_MASK(n - i);

		d1 = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i),
						   _mm512_maskz_loadu_ps(m, b + i));
		s1 = _mm512_fmadd_ps(d1, d1, s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
											  _mm512_add_ps(s2, s3)));
}

HNSW_TARGET_AVX512
static float
avx512_dot(const float *a, const float *b, int n)
{
	__m512		s0 = _mm512_setzero_ps();
	__m512		s1 = _mm512_setzero_ps();
	__m512		s2 = _mm512_setzero_ps();
	__m512		s3 = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 64 <= n; i += 64)
	{
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
		s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
		s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
		s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
	}
	for (; i + 16 <= n; i += 16)
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
	if (i < n)
	{
		__mmask16	m = AVX512_TAIL_MASK(n - i);

		s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i),
							 _mm512_maskz_loadu_ps(m, b + i), s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
											  _mm512_add_ps(s2, s3)));
}

HNSW_TARGET_AVX512
static float
avx512_l1(const float *a, const float *b, int n)
{
	__m512		s0 = _mm512_setzero_ps();
	__m512		s1 = _mm512_setzero_ps();
	__m512		s2 = _mm512_setzero_ps();
	__m512		s3 = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 64 <= n; i += 64)
	{
		s0 = _mm512_add_ps(s0, avx512_abs(_mm512_sub_ps(_mm512_loadu_ps(a + i),
														_mm512_loadu_ps(b + i))));
		s1 = _mm512_add_ps(s1, avx512_abs(_mm512_sub_ps(_mm512_loadu_ps(a + i + 16),
														_mm512_loadu_ps(b + i + 16))));
		s2 = _mm512_add_ps(s2, avx512_abs(_mm512_sub_ps(_mm512_loadu_ps(a + i + 32),
														_mm512_loadu_ps(b + i + 32))));
		s3 = _mm512_add_ps(s3, avx512_abs(_mm512_sub_ps(_mm512_loadu_ps(a + i + 48),
														_mm512_loadu_ps(b + i + 48))));
	}
	for (; i + 16 <= n; i += 16)
		s0 = _mm512_add_ps(s0, avx512_abs(_mm512_sub_ps(_mm512_loadu_ps(a + i),
														_mm512_loadu_ps(b + i))));
	if (i < n)
	{
		__mmask16	m = AVX512_TAIL_MASK(n - i);

		s1 = _mm512_add_ps(s1, avx512_abs(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i),
														_mm512_maskz_loadu_ps(m, b + i))));
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
											  _mm512_add_ps(s2, s3)));
}

/* Two accumulators per sum, as in avx2_cosine_parts */
HNSW_TARGET_AVX512
static void
avx512_cosine_parts(const float *a, const float *b, int n,
					float *dot, float *norma, float *normb)
{
	__m512		d0 = _mm512_setzero_ps();
	__m512		d1 = _mm512_setzero_ps();
	__m512		na0 = _mm512_setzero_ps();
	__m512		na1 = _mm512_setzero_ps();
	__m512		nb0 = _mm512_setzero_ps();
	__m512		nb1 = _mm512_setzero_ps();
	__m512		x0,
				y0,
				x1,
				y1;
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		x0 = _mm512_loadu_ps(a + i);
		y0 = _mm512_loadu_ps(b + i);
		x1 = _mm512_loadu_ps(a + i + 16);
		y1 = _mm512_loadu_ps(b + i + 16);
		d0 = _mm512_fmadd_ps(x0, y0, d0);
		na0 = _mm512_fmadd_ps(x0, x0, na0);
		nb0 = _mm512_fmadd_ps(y0, y0, nb0);
		d1 = _mm512_fmadd_ps(x1, y1, d1);
		na1 = _mm512_fmadd_ps(x1, x1, na1);
		nb1 = _mm512_fmadd_ps(y1, y1, nb1);
	}
	if (i + 16 <= n)
	{
		x0 = _mm512_loadu_ps(a + i);
		y0 = _mm512_loadu_ps(b + i);
		d0 = _mm512_fmadd_ps(x0, y0, d0);
		na0 = _mm512_fmadd_ps(x0, x0, na0);
		nb0 = _mm512_fmadd_ps(y0, y0, nb0);
		i += 16;
	}
	if (i < n)
	{
		__mmask16	m = AVX512_TAIL_MASK(n - i);

		x1 = _mm512_maskz_loadu_ps(m, a + i);
		y1 = _mm512_maskz_loadu_ps(m, b + i);
		d1 = _mm512_fmadd_ps(x1, y1, d1);
		na1 = _mm512_fmadd_ps(x1, x1, na1);
		nb1 = _mm512_fmadd_ps(y1, y1, nb1);
	}
	*dot = _mm512_reduce_add_ps(_mm512_add_ps(d0, d1));
	*norma = _mm512_reduce_add_ps(_mm512_add_ps(na0, na1));
	*normb = _mm512_reduce_add_ps(_mm512_add_ps(nb0, nb1));
}

/*
 * AVX-512 half kernels
 *
 * _mm512_cvtph_ps (AVX-512F) widens sixteen halves exactly.  Without
 * AVX-512BW there is no masked load of 16-bit elements, so the tail of
 * 1..15 halves is a zero-masked load of whole 32-bit pairs, plus the odd
 * last half broadcast into the next 32-bit lane under a one-lane mask: the
 * loads touch nothing past the end of the array, and the lanes left zero
 * widen to +0.
 */

#define HNSW_TARGET_AVX512_HALF __attribute__((target("avx512f")))

/* Sixteen halves at p, widened */
HNSW_TARGET_AVX512_HALF
static inline __m512
avx512_load_half(const uint16_t *p)
{
	return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p));
}

/* The r halves at p (0 < r < 16) in the leading lanes, the rest zero */
HNSW_TARGET_AVX512_HALF
static inline __m512
avx512_load_half_tail(const uint16_t *p, int r)
{
	int			pairs = r >> 1;
	__m512i		v = _mm512_maskz_loadu_epi32((__mmask16) ((1u << pairs) - 1), p);

	if (r & 1)
		v = _mm512_mask_set1_epi32(v, (__mmask16) (1u << pairs), p[r - 1]);
	return _mm512_cvtph_ps(_mm512_castsi512_si256(v));
}

HNSW_TARGET_AVX512_HALF
static float
avx512_half_l2sq(const uint16_t *a, const uint16_t *b, int n)
{
	__m512		s0 = _mm512_setzero_ps();
	__m512		s1 = _mm512_setzero_ps();
	__m512		s2 = _mm512_setzero_ps();
	__m512		s3 = _mm512_setzero_ps();
	__m512		d0,
				d1,
				d2,
				d3;
	int			i = 0;

	for (; i + 64 <= n; i += 64)
	{
		d0 = _mm512_sub_ps(avx512_load_half(a + i), avx512_load_half(b + i));
		d1 = _mm512_sub_ps(avx512_load_half(a + i + 16), avx512_load_half(b + i + 16));
		d2 = _mm512_sub_ps(avx512_load_half(a + i + 32), avx512_load_half(b + i + 32));
		d3 = _mm512_sub_ps(avx512_load_half(a + i + 48), avx512_load_half(b + i + 48));
		s0 = _mm512_fmadd_ps(d0, d0, s0);
		s1 = _mm512_fmadd_ps(d1, d1, s1);
		s2 = _mm512_fmadd_ps(d2, d2, s2);
		s3 = _mm512_fmadd_ps(d3, d3, s3);
	}
	for (; i + 16 <= n; i += 16)
	{
		d0 = _mm512_sub_ps(avx512_load_half(a + i), avx512_load_half(b + i));
		s0 = _mm512_fmadd_ps(d0, d0, s0);
	}
	if (i < n)
	{
		d1 = _mm512_sub_ps(avx512_load_half_tail(a + i, n - i),
						   avx512_load_half_tail(b + i, n - i));
		s1 = _mm512_fmadd_ps(d1, d1, s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
											  _mm512_add_ps(s2, s3)));
}

HNSW_TARGET_AVX512_HALF
static float
avx512_half_dot(const uint16_t *a, const uint16_t *b, int n)
{
	__m512		s0 = _mm512_setzero_ps();
	__m512		s1 = _mm512_setzero_ps();
	__m512		s2 = _mm512_setzero_ps();
	__m512		s3 = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 64 <= n; i += 64)
	{
		s0 = _mm512_fmadd_ps(avx512_load_half(a + i), avx512_load_half(b + i), s0);
		s1 = _mm512_fmadd_ps(avx512_load_half(a + i + 16), avx512_load_half(b + i + 16), s1);
		s2 = _mm512_fmadd_ps(avx512_load_half(a + i + 32), avx512_load_half(b + i + 32), s2);
		s3 = _mm512_fmadd_ps(avx512_load_half(a + i + 48), avx512_load_half(b + i + 48), s3);
	}
	for (; i + 16 <= n; i += 16)
		s0 = _mm512_fmadd_ps(avx512_load_half(a + i), avx512_load_half(b + i), s0);
	if (i < n)
		s1 = _mm512_fmadd_ps(avx512_load_half_tail(a + i, n - i),
							 avx512_load_half_tail(b + i, n - i), s1);
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
											  _mm512_add_ps(s2, s3)));
}

HNSW_TARGET_AVX512_HALF
static float
avx512_half_l1(const uint16_t *a, const uint16_t *b, int n)
{
	__m512		s0 = _mm512_setzero_ps();
	__m512		s1 = _mm512_setzero_ps();
	__m512		s2 = _mm512_setzero_ps();
	__m512		s3 = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 64 <= n; i += 64)
	{
		s0 = _mm512_add_ps(s0, avx512_abs(_mm512_sub_ps(avx512_load_half(a + i),
														avx512_load_half(b + i))));
		s1 = _mm512_add_ps(s1, avx512_abs(_mm512_sub_ps(avx512_load_half(a + i + 16),
														avx512_load_half(b + i + 16))));
		s2 = _mm512_add_ps(s2, avx512_abs(_mm512_sub_ps(avx512_load_half(a + i + 32),
														avx512_load_half(b + i + 32))));
		s3 = _mm512_add_ps(s3, avx512_abs(_mm512_sub_ps(avx512_load_half(a + i + 48),
														avx512_load_half(b + i + 48))));
	}
	for (; i + 16 <= n; i += 16)
		s0 = _mm512_add_ps(s0, avx512_abs(_mm512_sub_ps(avx512_load_half(a + i),
														avx512_load_half(b + i))));
	if (i < n)
		s1 = _mm512_add_ps(s1, avx512_abs(_mm512_sub_ps(avx512_load_half_tail(a + i, n - i),
														avx512_load_half_tail(b + i, n - i))));
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1),
											  _mm512_add_ps(s2, s3)));
}

HNSW_TARGET_AVX512_HALF
static void
avx512_half_cosine_parts(const uint16_t *a, const uint16_t *b, int n,
						 float *dot, float *norma, float *normb)
{
	__m512		d0 = _mm512_setzero_ps();
	__m512		d1 = _mm512_setzero_ps();
	__m512		na0 = _mm512_setzero_ps();
	__m512		na1 = _mm512_setzero_ps();
	__m512		nb0 = _mm512_setzero_ps();
	__m512		nb1 = _mm512_setzero_ps();
	__m512		x0,
				y0,
				x1,
				y1;
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		x0 = avx512_load_half(a + i);
		y0 = avx512_load_half(b + i);
		x1 = avx512_load_half(a + i + 16);
		y1 = avx512_load_half(b + i + 16);
		d0 = _mm512_fmadd_ps(x0, y0, d0);
		na0 = _mm512_fmadd_ps(x0, x0, na0);
		nb0 = _mm512_fmadd_ps(y0, y0, nb0);
		d1 = _mm512_fmadd_ps(x1, y1, d1);
		na1 = _mm512_fmadd_ps(x1, x1, na1);
		nb1 = _mm512_fmadd_ps(y1, y1, nb1);
	}
	if (i + 16 <= n)
	{
		x0 = avx512_load_half(a + i);
		y0 = avx512_load_half(b + i);
		d0 = _mm512_fmadd_ps(x0, y0, d0);
		na0 = _mm512_fmadd_ps(x0, x0, na0);
		nb0 = _mm512_fmadd_ps(y0, y0, nb0);
		i += 16;
	}
	if (i < n)
	{
		x1 = avx512_load_half_tail(a + i, n - i);
		y1 = avx512_load_half_tail(b + i, n - i);
		d1 = _mm512_fmadd_ps(x1, y1, d1);
		na1 = _mm512_fmadd_ps(x1, x1, na1);
		nb1 = _mm512_fmadd_ps(y1, y1, nb1);
	}
	*dot = _mm512_reduce_add_ps(_mm512_add_ps(d0, d1));
	*norma = _mm512_reduce_add_ps(_mm512_add_ps(na0, na1));
	*normb = _mm512_reduce_add_ps(_mm512_add_ps(nb0, nb1));
}


/*
 * AVX512_VPOPCNTDQ bit kernels
 *
 * _mm512_popcnt_epi64 counts the bits of eight 64-bit words at once; the
 * counts stay in 64-bit lanes until the end.  64 bytes per iteration, then
 * a zero-masked load of the remaining whole words (AVX-512F masks work on
 * 32- and 64-bit elements only), then the last 0..7 bytes with POPCNT.
 * Selected only when cpuid reports AVX512_VPOPCNTDQ (and POPCNT);
 * otherwise the AVX-512 set uses the POPCNT kernels above.
 */

#define HNSW_TARGET_VPOPCNT __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

HNSW_TARGET_VPOPCNT
static uint64_t
vpopcnt_bit_hamming(const unsigned char *a, const unsigned char *b, size_t nbytes)
{
	__m512i		c0 = _mm512_setzero_si512();
	__m512i		c1 = _mm512_setzero_si512();
	uint64_t	n;
	size_t		i = 0;
	size_t		words;

	for (; i + 128 <= nbytes; i += 128)
	{
		c0 = _mm512_add_epi64(c0, _mm512_popcnt_epi64(
							  _mm512_xor_si512(_mm512_loadu_si512(a + i),
											   _mm512_loadu_si512(b + i))));
		c1 = _mm512_add_epi64(c1, _mm512_popcnt_epi64(
							  _mm512_xor_si512(_mm512_loadu_si512(a + i + 64),
											   _mm512_loadu_si512(b + i + 64))));
	}
	if (i + 64 <= nbytes)
	{
		c0 = _mm512_add_epi64(c0, _mm512_popcnt_epi64(
							  _mm512_xor_si512(_mm512_loadu_si512(a + i),
											   _mm512_loadu_si512(b + i))));
		i += 64;
	}
	words = (nbytes - i) / 8;
	if (words > 0)
	{
		__mmask8	m = (__mmask8) ((1u << words) - 1);

		c1 = _mm512_add_epi64(c1, _mm512_popcnt_epi64(
							  _mm512_xor_si512(_mm512_maskz_loadu_epi64(m, a + i),
											   _mm512_maskz_loadu_epi64(m, b + i))));
		i += words * 8;
	}
	n = (uint64_t) _mm512_reduce_add_epi64(_mm512_add_epi64(c0, c1));
	for (; i < nbytes; i++)
		n += (uint64_t) __builtin_popcount((unsigned) (a[i] ^ b[i]));
	return n;
}

HNSW_TARGET_VPOPCNT
static void
vpopcnt_bit_and_or(const unsigned char *a, const unsigned char *b, size_t nbytes,
				   uint64_t *nand, uint64_t *nor)
{
	__m512i		ca = _mm512_setzero_si512();
	__m512i		co = _mm512_setzero_si512();
	__m512i		x,
				y;
	uint64_t	na,
				no;
	size_t		i = 0;
	size_t		words;

	for (; i + 64 <= nbytes; i += 64)
	{
		x = _mm512_loadu_si512(a + i);
		y = _mm512_loadu_si512(b + i);
		ca = _mm512_add_epi64(ca, _mm512_popcnt_epi64(_mm512_and_si512(x, y)));
		co = _mm512_add_epi64(co, _mm512_popcnt_epi64(_mm512_or_si512(x, y)));
	}
	words = (nbytes - i) / 8;
	if (words > 0)
	{
		__mmask8	m = (__mmask8) ((1u << words) - 1);

		x = _mm512_maskz_loadu_epi64(m, a + i);
		y = _mm512_maskz_loadu_epi64(m, b + i);
		ca = _mm512_add_epi64(ca, _mm512_popcnt_epi64(_mm512_and_si512(x, y)));
		co = _mm512_add_epi64(co, _mm512_popcnt_epi64(_mm512_or_si512(x, y)));
		i += words * 8;
	}
	na = (uint64_t) _mm512_reduce_add_epi64(ca);
	no = (uint64_t) _mm512_reduce_add_epi64(co);
	for (; i < nbytes; i++)
	{
		na += (uint64_t) __builtin_popcount((unsigned) (a[i] & b[i]));
		no += (uint64_t) __builtin_popcount((unsigned) (a[i] | b[i]));
	}
	*nand = na;
	*nor = no;
}

/* With AVX512_VPOPCNTDQ */
static const HnswKernels avx512_kernels = {
	HNSW_KERNEL_AVX512, "avx512",
	avx512_l2sq, avx512_dot, avx512_l1, avx512_cosine_parts,
	avx512_half_l2sq, avx512_half_dot, avx512_half_l1, avx512_half_cosine_parts,
	vpopcnt_bit_hamming, vpopcnt_bit_and_or
};

/* Without it: the bit kernels are the POPCNT ones */
static const HnswKernels avx512_popcnt_kernels = {
	HNSW_KERNEL_AVX512, "avx512",
	avx512_l2sq, avx512_dot, avx512_l1, avx512_cosine_parts,
	avx512_half_l2sq, avx512_half_dot, avx512_half_l1, avx512_half_cosine_parts,
	popcnt_bit_hamming, popcnt_bit_and_or
};

#endif							/* HNSW_HAVE_X86_KERNELS */


#ifdef HNSW_HAVE_NEON_KERNELS

/*
 * NEON (AArch64)
 *
 * Advanced SIMD is part of the AArch64 base architecture, so these need no
 * target attribute and no run-time check.  16 floats per iteration in four
 * accumulators, then whole vectors of 4, then a scalar tail of 1..3.
 */

static float
neon_l2sq(const float *a, const float *b, int n)
{
	float32x4_t s0 = vdupq_n_f32(0.0f);
	float32x4_t s1 = vdupq_n_f32(0.0f);
	float32x4_t s2 = vdupq_n_f32(0.0f);
	float32x4_t s3 = vdupq_n_f32(0.0f);
	float32x4_t d0,
				d1,
				d2,
				d3;
	float		s;
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		d0 = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
		d1 = vsubq_f32(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
		d2 = vsubq_f32(vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
		d3 = vsubq_f32(vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
		s0 = vfmaq_f32(s0, d0, d0);
		s1 = vfmaq_f32(s1, d1, d1);
		s2 = vfmaq_f32(s2, d2, d2);
		s3 = vfmaq_f32(s3, d3, d3);
	}
	for (; i + 4 <= n; i += 4)
	{
		d0 = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
		s0 = vfmaq_f32(s0, d0, d0);
	}
	s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
	for (; i < n; i++)
	{
		float		d = a[i] - b[i];

		s += d * d;
	}
	return s;
}

static float
neon_dot(const float *a, const float *b, int n)
{
	float32x4_t s0 = vdupq_n_f32(0.0f);
	float32x4_t s1 = vdupq_n_f32(0.0f);
	float32x4_t s2 = vdupq_n_f32(0.0f);
	float32x4_t s3 = vdupq_n_f32(0.0f);
	float		s;
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
		s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
		s2 = vfmaq_f32(s2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
		s3 = vfmaq_f32(s3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
	}
	for (; i + 4 <= n; i += 4)
		s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
	s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static float
neon_l1(const float *a, const float *b, int n)
{
	float32x4_t s0 = vdupq_n_f32(0.0f);
	float32x4_t s1 = vdupq_n_f32(0.0f);
	float32x4_t s2 = vdupq_n_f32(0.0f);
	float32x4_t s3 = vdupq_n_f32(0.0f);
	float		s;
	int			i = 0;

	/* vabdq_f32 is |a - b| with the difference rounded once, as fabsf(a - b) */
	for (; i + 16 <= n; i += 16)
	{
		s0 = vaddq_f32(s0, vabdq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
		s1 = vaddq_f32(s1, vabdq_f32(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4)));
		s2 = vaddq_f32(s2, vabdq_f32(vld1q_f32(a + i + 8), vld1q_f32(b + i + 8)));
		s3 = vaddq_f32(s3, vabdq_f32(vld1q_f32(a + i + 12), vld1q_f32(b + i + 12)));
	}
	for (; i + 4 <= n; i += 4)
		s0 = vaddq_f32(s0, vabdq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
	s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
	for (; i < n; i++)
		s += fabsf(a[i] - b[i]);
	return s;
}

static void
neon_cosine_parts(const float *a, const float *b, int n,
				  float *dot, float *norma, float *normb)
{
	float32x4_t d0 = vdupq_n_f32(0.0f);
	float32x4_t d1 = vdupq_n_f32(0.0f);
	float32x4_t na0 = vdupq_n_f32(0.0f);
	float32x4_t na1 = vdupq_n_f32(0.0f);
	float32x4_t nb0 = vdupq_n_f32(0.0f);
	float32x4_t nb1 = vdupq_n_f32(0.0f);
	float32x4_t x0,
				y0,
				x1,
				y1;
	float		d,
				na,
				nb;
	int			i = 0;

	for (; i + 8 <= n; i += 8)
	{
		x0 = vld1q_f32(a + i);
		y0 = vld1q_f32(b + i);
		x1 = vld1q_f32(a + i + 4);
		y1 = vld1q_f32(b + i + 4);
		d0 = vfmaq_f32(d0, x0, y0);
		na0 = vfmaq_f32(na0, x0, x0);
		nb0 = vfmaq_f32(nb0, y0, y0);
		d1 = vfmaq_f32(d1, x1, y1);
		na1 = vfmaq_f32(na1, x1, x1);
		nb1 = vfmaq_f32(nb1, y1, y1);
	}
	if (i + 4 <= n)
	{
		x0 = vld1q_f32(a + i);
		y0 = vld1q_f32(b + i);
		d0 = vfmaq_f32(d0, x0, y0);
		na0 = vfmaq_f32(na0, x0, x0);
		nb0 = vfmaq_f32(nb0, y0, y0);
		i += 4;
	}
	d = vaddvq_f32(vaddq_f32(d0, d1));
	na = vaddvq_f32(vaddq_f32(na0, na1));
	nb = vaddvq_f32(vaddq_f32(nb0, nb1));
	for (; i < n; i++)
	{
		d += a[i] * b[i];
		na += a[i] * a[i];
		nb += b[i] * b[i];
	}
	*dot = d;
	*norma = na;
	*normb = nb;
}

/*
 * NEON half kernels
 *
 * vcvt_f32_f16 and vcvt_high_f32_f16 widen the two halves of a
 * float16x8_t exactly (FP16 conversions are part of the AArch64 base
 * architecture).  16 halves per iteration, then whole vectors of 8, then
 * a scalar tail of 1..7 like the float4 kernels.
 */

/* The eight halves at p, widened into *lo and *hi */
static inline void
neon_load_half(const uint16_t *p, float32x4_t *lo, float32x4_t *hi)
{
	float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(p));

	*lo = vcvt_f32_f16(vget_low_f16(h));
	*hi = vcvt_high_f32_f16(h);
}

static float
neon_half_l2sq(const uint16_t *a, const uint16_t *b, int n)
{
	float32x4_t s0 = vdupq_n_f32(0.0f);
	float32x4_t s1 = vdupq_n_f32(0.0f);
	float32x4_t s2 = vdupq_n_f32(0.0f);
	float32x4_t s3 = vdupq_n_f32(0.0f);
	float32x4_t x0,
				x1,
				x2,
				x3,
				y0,
				y1,
				y2,
				y3,
				d0,
				d1,
				d2,
				d3;
	float		s;
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		neon_load_half(a + i, &x0, &x1);
		neon_load_half(b + i, &y0, &y1);
		neon_load_half(a + i + 8, &x2, &x3);
		neon_load_half(b + i + 8, &y2, &y3);
		d0 = vsubq_f32(x0, y0);
		d1 = vsubq_f32(x1, y1);
		d2 = vsubq_f32(x2, y2);
		d3 = vsubq_f32(x3, y3);
		s0 = vfmaq_f32(s0, d0, d0);
		s1 = vfmaq_f32(s1, d1, d1);
		s2 = vfmaq_f32(s2, d2, d2);
		s3 = vfmaq_f32(s3, d3, d3);
	}
	if (i + 8 <= n)
	{
		neon_load_half(a + i, &x0, &x1);
		neon_load_half(b + i, &y0, &y1);
		d0 = vsubq_f32(x0, y0);
		d1 = vsubq_f32(x1, y1);
		s0 = vfmaq_f32(s0, d0, d0);
		s1 = vfmaq_f32(s1, d1, d1);
		i += 8;
	}
	s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
	for (; i < n; i++)
	{
		float		d = HalfToFloat4(a[i]) - HalfToFloat4(b[i]);

		s += d * d;
	}
	return s;
}

static float
neon_half_dot(const uint16_t *a, const uint16_t *b, int n)
{
	float32x4_t s0 = vdupq_n_f32(0.0f);
	float32x4_t s1 = vdupq_n_f32(0.0f);
	float32x4_t s2 = vdupq_n_f32(0.0f);
	float32x4_t s3 = vdupq_n_f32(0.0f);
	float32x4_t x0,
				x1,
				x2,
				x3,
				y0,
				y1,
				y2,
				y3;
	float		s;
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		neon_load_half(a + i, &x0, &x1);
		neon_load_half(b + i, &y0, &y1);
		neon_load_half(a + i + 8, &x2, &x3);
		neon_load_half(b + i + 8, &y2, &y3);
		s0 = vfmaq_f32(s0, x0, y0);
		s1 = vfmaq_f32(s1, x1, y1);
		s2 = vfmaq_f32(s2, x2, y2);
		s3 = vfmaq_f32(s3, x3, y3);
	}
	if (i + 8 <= n)
	{
		neon_load_half(a + i, &x0, &x1);
		neon_load_half(b + i, &y0, &y1);
		s0 = vfmaq_f32(s0, x0, y0);
		s1 = vfmaq_f32(s1, x1, y1);
		i += 8;
	}
	s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
	for (; i < n; i++)
		s += HalfToFloat4(a[i]) * HalfToFloat4(b[i]);
	return s;
}

static float
neon_half_l1(const uint16_t *a, const uint16_t *b, int n)
{
	float32x4_t s0 = vdupq_n_f32(0.0f);
	float32x4_t s1 = vdupq_n_f32(0.0f);
	float32x4_t s2 = vdupq_n_f32(0.0f);
	float32x4_t s3 = vdupq_n_f32(0.0f);
	float32x4_t x0,
				x1,
				x2,
				x3,
				y0,
				y1,
				y2,
				y3;
	float		s;
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		neon_load_half(a + i, &x0, &x1);
		neon_load_half(b + i, &y0, &y1);
		neon_load_half(a + i + 8, &x2, &x3);
		neon_load_half(b + i + 8, &y2, &y3);
		s0 = vaddq_f32(s0, vabdq_f32(x0, y0));
		s1 = vaddq_f32(s1, vabdq_f32(x1, y1));
		s2 = vaddq_f32(s2, vabdq_f32(x2, y2));
		s3 = vaddq_f32(s3, vabdq_f32(x3, y3));
	}
	if (i + 8 <= n)
	{
		neon_load_half(a + i, &x0, &x1);
		neon_load_half(b + i, &y0, &y1);
		s0 = vaddq_f32(s0, vabdq_f32(x0, y0));
		s1 = vaddq_f32(s1, vabdq_f32(x1, y1));
		i += 8;
	}
	s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
	for (; i < n; i++)
		s += fabsf(HalfToFloat4(a[i]) - HalfToFloat4(b[i]));
	return s;
}

static void
neon_half_cosine_parts(const uint16_t *a, const uint16_t *b, int n,
					   float *dot, float *norma, float *normb)
{
	float32x4_t d0 = vdupq_n_f32(0.0f);
	float32x4_t d1 = vdupq_n_f32(0.0f);
	float32x4_t na0 = vdupq_n_f32(0.0f);
	float32x4_t na1 = vdupq_n_f32(0.0f);
	float32x4_t nb0 = vdupq_n_f32(0.0f);
	float32x4_t nb1 = vdupq_n_f32(0.0f);
	float32x4_t x0,
				y0,
				x1,
				y1;
	float		d,
				na,
				nb;
	int			i = 0;

	for (; i + 8 <= n; i += 8)
	{
		neon_load_half(a + i, &x0, &x1);
		neon_load_half(b + i, &y0, &y1);
		d0 = vfmaq_f32(d0, x0, y0);
		na0 = vfmaq_f32(na0, x0, x0);
		nb0 = vfmaq_f32(nb0, y0, y0);
		d1 = vfmaq_f32(d1, x1, y1);
		na1 = vfmaq_f32(na1, x1, x1);
		nb1 = vfmaq_f32(nb1, y1, y1);
	}
	d = vaddvq_f32(vaddq_f32(d0, d1));
	na = vaddvq_f32(vaddq_f32(na0, na1));
	nb = vaddvq_f32(vaddq_f32(nb0, nb1));
	for (; i < n; i++)
	{
		float		x = HalfToFloat4(a[i]);
		float		y = HalfToFloat4(b[i]);

		d += x * y;
		na += x * x;
		nb += y * y;
	}
	*dot = d;
	*norma = na;
	*normb = nb;
}


/*
 * NEON bit kernels
 *
 * vcntq_u8 counts the bits of each of 16 bytes.  Byte counts are summed
 * lane-wise for at most 31 vectors (31 * 8 = 248 still fits in a byte),
 * then folded into the total with vaddlvq_u8.  The last 0..15 bytes are
 * counted one at a time.
 */

#define NEON_BIT_BLOCK	31		/* vectors per byte-count block */

static uint64_t
neon_bit_hamming(const unsigned char *a, const unsigned char *b, size_t nbytes)
{
	uint64_t	n = 0;
	size_t		i = 0;

	while (i + 16 <= nbytes)
	{
		uint8x16_t	c = vdupq_n_u8(0);

		for (int k = 0; k < NEON_BIT_BLOCK && i + 16 <= nbytes; k++, i += 16)
			c = vaddq_u8(c, vcntq_u8(veorq_u8(vld1q_u8(a + i), vld1q_u8(b + i))));
		n += vaddlvq_u8(c);
	}
	for (; i < nbytes; i++)
		n += (uint64_t) __builtin_popcount((unsigned) (a[i] ^ b[i]));
	return n;
}

static void
neon_bit_and_or(const unsigned char *a, const unsigned char *b, size_t nbytes,
				uint64_t *nand, uint64_t *nor)
{
	uint64_t	na = 0;
	uint64_t	no = 0;
	size_t		i = 0;

	while (i + 16 <= nbytes)
	{
		uint8x16_t	ca = vdupq_n_u8(0);
		uint8x16_t	co = vdupq_n_u8(0);

		for (int k = 0; k < NEON_BIT_BLOCK && i + 16 <= nbytes; k++, i += 16)
		{
			uint8x16_t	x = vld1q_u8(a + i);
			uint8x16_t	y = vld1q_u8(b + i);

			ca = vaddq_u8(ca, vcntq_u8(vandq_u8(x, y)));
			co = vaddq_u8(co, vcntq_u8(vorrq_u8(x, y)));
		}
		na += vaddlvq_u8(ca);
		no += vaddlvq_u8(co);
	}
	for (; i < nbytes; i++)
	{
		na += (uint64_t) __builtin_popcount((unsigned) (a[i] & b[i]));
		no += (uint64_t) __builtin_popcount((unsigned) (a[i] | b[i]));
	}
	*nand = na;
	*nor = no;
}

static const HnswKernels neon_kernels = {
	HNSW_KERNEL_NEON, "neon",
	neon_l2sq, neon_dot, neon_l1, neon_cosine_parts,
	neon_half_l2sq, neon_half_dot, neon_half_l1, neon_half_cosine_parts,
	neon_bit_hamming, neon_bit_and_or
};

#endif							/* HNSW_HAVE_NEON_KERNELS */


/*
 * CPU feature detection
 */

static int	cpu_detected = 0;
static int	cpu_has_avx2 = 0;	/* AVX2, FMA, F16C and POPCNT, with YMM
								 * state enabled */
static int	cpu_has_avx512 = 0; /* AVX-512F and POPCNT, with ZMM and opmask
								 * state enabled */
#ifdef HNSW_HAVE_X86_KERNELS
static int	cpu_has_vpopcntdq = 0;	/* AVX512_VPOPCNTDQ too */
#endif

#ifdef HNSW_HAVE_X86_KERNELS

/* CPUID.1:ECX */
#define CPUID1_ECX_FMA		(1u << 12)
#define CPUID1_ECX_POPCNT	(1u << 23)
#define CPUID1_ECX_OSXSAVE	(1u << 27)
#define CPUID1_ECX_AVX		(1u << 28)
#define CPUID1_ECX_F16C		(1u << 29)
/* CPUID.(7,0):EBX */
#define CPUID7_EBX_AVX2		(1u << 5)
#define CPUID7_EBX_AVX512F	(1u << 16)
/* CPUID.(7,0):ECX */
#define CPUID7_ECX_AVX512_VPOPCNTDQ (1u << 14)
/* XCR0 state components */
#define XCR0_SSE			(1u << 1)
#define XCR0_YMM			(1u << 2)
#define XCR0_OPMASK			(1u << 5)
#define XCR0_ZMM_HI256		(1u << 6)
#define XCR0_HI16_ZMM		(1u << 7)

/*
 * Read XCR0.  Only call this once CPUID says OSXSAVE: without it, xgetbv
 * raises #UD.  Written as inline assembly so that this function needs no
 * target attribute.
 */
static uint64_t
read_xcr0(void)
{
	uint32_t	eax,
				edx;

	__asm__ __volatile__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
	return ((uint64_t) edx << 32) | eax;
}

#endif							/* HNSW_HAVE_X86_KERNELS */

/*
 * Fill in cpu_has_* once.  An instruction set counts as usable only when
 * the CPU has it and the operating system saves the register state it
 * needs across context switches (XCR0): a kernel may switch AVX-512 state
 * off even on a CPU that has it.
 */
static void
detect_cpu(void)
{
#ifdef HNSW_HAVE_X86_KERNELS
	unsigned int eax,
				ebx,
				ecx,
				edx;
	unsigned int ecx1;
	uint64_t	xcr0;

	if (cpu_detected)
		return;
	cpu_detected = 1;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return;
	ecx1 = ecx;
	if ((ecx1 & CPUID1_ECX_OSXSAVE) == 0 || (ecx1 & CPUID1_ECX_AVX) == 0)
		return;
	xcr0 = read_xcr0();
	if ((xcr0 & (XCR0_SSE | XCR0_YMM)) != (XCR0_SSE | XCR0_YMM))
		return;

	/* __get_cpuid_count fails if the maximum basic leaf is below 7 */
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return;

	/*
	 * The AVX2 set also converts halves with F16C and counts bits with
	 * POPCNT.  Every CPU with AVX2 has both, but they are separate cpuid
	 * bits (and a hypervisor may hide one), so a CPU without them gets the
	 * scalar set instead.
	 */
	if ((ebx & CPUID7_EBX_AVX2) != 0 && (ecx1 & CPUID1_ECX_FMA) != 0 &&
		(ecx1 & CPUID1_ECX_F16C) != 0 && (ecx1 & CPUID1_ECX_POPCNT) != 0)
		cpu_has_avx2 = 1;

	/*
	 * The AVX-512 set widens halves with AVX-512F itself, and counts bits
	 * with AVX512_VPOPCNTDQ when there is one, else with POPCNT.
	 */
	if ((ebx & CPUID7_EBX_AVX512F) != 0 && (ecx1 & CPUID1_ECX_POPCNT) != 0 &&
		(xcr0 & (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)) ==
		(XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM))
	{
		cpu_has_avx512 = 1;
		if ((ecx & CPUID7_ECX_AVX512_VPOPCNTDQ) != 0)
			cpu_has_vpopcntdq = 1;
	}
#else
	cpu_detected = 1;
#endif
}


/*
 * HnswKernelSupported
 *		Can the given kernel set run on this CPU and build?
 *
 * AUTO and SCALAR always can.  Runs the CPU detection on first use, so it
 * is safe to call before HnswKernelsInit().
 */
int
HnswKernelSupported(HnswKernelKind kind)
{
	detect_cpu();

	switch (kind)
	{
		case HNSW_KERNEL_AUTO:
		case HNSW_KERNEL_SCALAR:
			return 1;
		case HNSW_KERNEL_AVX2:
			return cpu_has_avx2;
		case HNSW_KERNEL_AVX512:
			return cpu_has_avx512;
		case HNSW_KERNEL_NEON:
#ifdef HNSW_HAVE_NEON_KERNELS
			return 1;
#else
			return 0;
#endif
	}
	return 0;
}

/*
 * HnswKernelsGet
 *		The kernel set for a kind, or NULL if this CPU cannot run it.
 *
 * AUTO gives the best supported set: AVX-512, then AVX2, on x86-64; NEON
 * on AArch64; scalar otherwise.  The result points to static storage.
 */
const HnswKernels *
HnswKernelsGet(HnswKernelKind kind)
{
	if (!HnswKernelSupported(kind))
		return NULL;

	switch (kind)
	{
		case HNSW_KERNEL_AUTO:
#ifdef HNSW_HAVE_X86_KERNELS
			if (cpu_has_avx512)
				return cpu_has_vpopcntdq ? &avx512_kernels : &avx512_popcnt_kernels;
			if (cpu_has_avx2)
				return &avx2_kernels;
#endif
#ifdef HNSW_HAVE_NEON_KERNELS
			return &neon_kernels;
#endif
			return &scalar_kernels;
		case HNSW_KERNEL_SCALAR:
			return &scalar_kernels;
#ifdef HNSW_HAVE_X86_KERNELS
		case HNSW_KERNEL_AVX2:
			return &avx2_kernels;
		case HNSW_KERNEL_AVX512:
			return cpu_has_vpopcntdq ? &avx512_kernels : &avx512_popcnt_kernels;
#endif
#ifdef HNSW_HAVE_NEON_KERNELS
		case HNSW_KERNEL_NEON:
			return &neon_kernels;
#endif
		default:
			break;
	}
	return NULL;
}

/*
 * HnswKernelsSelect
 *		Make the given kind the one hnsw_kernels points to.
 *
 * Returns 1 on success, 0 (leaving hnsw_kernels unchanged) if this CPU
 * cannot run that kind.  Used by the hnsw.distance_kernel GUC and by the
 * kernel tests to force each path.
 */
int
HnswKernelsSelect(HnswKernelKind kind)
{
	const HnswKernels *k = HnswKernelsGet(kind);

	if (k == NULL)
		return 0;
	hnsw_kernels = k;
	return 1;
}

/*
 * HnswKernelsInit
 *		Detect the CPU once and select the best kernel set.
 *
 * Called from _PG_init.  Calling it again is harmless: detection is done
 * only once, and the AUTO choice is re-applied.
 */
void
HnswKernelsInit(void)
{
	HnswKernelsSelect(HNSW_KERNEL_AUTO);
}

/* The kernel set in use; the scalar one until HnswKernelsInit() has run */
const HnswKernels *hnsw_kernels = &scalar_kernels;


/*
 * Sparse vectors
 *
 * Merges over two strictly ascending index lists.  Entries present in one
 * vector only meet a zero in the other.
 */
float
HnswSparseL2sq(const int32_t *ia, const float *va, int na,
			   const int32_t *ib, const float *vb, int nb)
{
	float		s = 0.0f;
	int			i = 0,
				j = 0;

	while (i < na && j < nb)
	{
		if (ia[i] == ib[j])
		{
			float		d = va[i++] - vb[j++];

			s += d * d;
		}
		else if (ia[i] < ib[j])
		{
			s += va[i] * va[i];
			i++;
		}
		else
		{
			s += vb[j] * vb[j];
			j++;
		}
	}
	for (; i < na; i++)
		s += va[i] * va[i];
	for (; j < nb; j++)
		s += vb[j] * vb[j];
	return s;
}

float
HnswSparseDot(const int32_t *ia, const float *va, int na,
			  const int32_t *ib, const float *vb, int nb)
{
	float		s = 0.0f;
	int			i = 0,
				j = 0;

	/*
	 * Branch-free: both cursors advance by comparisons, and a pair adds
	 * its product only when the indices match (else +0, which changes no
	 * sum but the sign of a zero one; masking the bits, not multiplying by
	 * 0, so that an infinite product of other indices adds nothing).  Which way a comparison of two
	 * unrelated index lists goes cannot be predicted, so the branchy merge
	 * spends most of its time mispredicting.
	 */
	while (i < na && j < nb)
	{
		int32_t		x = ia[i];
		int32_t		y = ib[j];
		float		p = va[i] * vb[j];
		uint32_t	bits;

		/* p, or +0 unless the indices match, without a branch */
		memcpy(&bits, &p, sizeof(bits));
		bits &= -(uint32_t) (x == y);
		memcpy(&p, &bits, sizeof(bits));
		s += p;
		i += x <= y;
		j += y <= x;
	}
	return s;
}

float
HnswSparseL1(const int32_t *ia, const float *va, int na,
			 const int32_t *ib, const float *vb, int nb)
{
	float		s = 0.0f;
	int			i = 0,
				j = 0;

	while (i < na && j < nb)
	{
		if (ia[i] == ib[j])
		{
			s += fabsf(va[i] - vb[j]);
			i++;
			j++;
		}
		else if (ia[i] < ib[j])
			s += fabsf(va[i++]);
		else
			s += fabsf(vb[j++]);
	}
	for (; i < na; i++)
		s += fabsf(va[i]);
	for (; j < nb; j++)
		s += fabsf(vb[j]);
	return s;
}

float
HnswSparseDotDense(const int32_t *ia, const float *va, int na,
				   const float *dense)
{
	float		s = 0.0f;

	for (int i = 0; i < na; i++)
		s += va[i] * dense[ia[i]];
	return s;
}

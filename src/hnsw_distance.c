/*-------------------------------------------------------------------------
 *
 * hnsw_distance.c
 *	  Float4 distance kernels with run-time CPU dispatch.
 *
 * IDENTIFICATION
 *	  src/hnsw_distance.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>

#include "hnsw_distance.h"

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
	float		d = 0.0f,
				na = 0.0f,
				nb = 0.0f;

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

static const HnswKernels scalar_kernels = {
	HNSW_KERNEL_SCALAR, "scalar",
	scalar_l2sq, scalar_dot, scalar_l1, scalar_cosine_parts
};

const HnswKernels *hnsw_kernels = &scalar_kernels;

int
HnswKernelSupported(HnswKernelKind kind)
{
	return kind == HNSW_KERNEL_AUTO || kind == HNSW_KERNEL_SCALAR;
}

const HnswKernels *
HnswKernelsGet(HnswKernelKind kind)
{
	if (kind == HNSW_KERNEL_AUTO || kind == HNSW_KERNEL_SCALAR)
		return &scalar_kernels;
	return NULL;
}

int
HnswKernelsSelect(HnswKernelKind kind)
{
	const HnswKernels *k = HnswKernelsGet(kind);

	if (k == NULL)
		return 0;
	hnsw_kernels = k;
	return 1;
}

void
HnswKernelsInit(void)
{
	HnswKernelsSelect(HNSW_KERNEL_AUTO);
}

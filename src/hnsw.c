/*-------------------------------------------------------------------------
 *
 * hnsw.c
 *	  Module initialisation, GUCs, reloptions and the index AM handler.
 *
 * IDENTIFICATION
 *	  src/hnsw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "hnsw_distance.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static int	hnsw_distance_kernel = HNSW_KERNEL_AUTO;

static const struct config_enum_entry hnsw_kernel_options[] = {
	{"auto", HNSW_KERNEL_AUTO, false},
	{"scalar", HNSW_KERNEL_SCALAR, false},
	{"avx2", HNSW_KERNEL_AVX2, false},
	{"avx512", HNSW_KERNEL_AVX512, false},
	{"neon", HNSW_KERNEL_NEON, false},
	{NULL, 0, false}
};

static bool
check_distance_kernel(int *newval, void **extra, GucSource source)
{
	if (!HnswKernelSupported((HnswKernelKind) *newval))
	{
		GUC_check_errdetail("This CPU does not support the \"%s\" kernel.",
							hnsw_kernel_options[*newval].name);
		return false;
	}
	return true;
}

static void
assign_distance_kernel(int newval, void *extra)
{
	HnswKernelsSelect((HnswKernelKind) newval);
}

static const char *
show_distance_kernel(void)
{
	static char buf[64];

	if (hnsw_distance_kernel == HNSW_KERNEL_AUTO)
		snprintf(buf, sizeof(buf), "auto (%s)", hnsw_kernels->name);
	else
		snprintf(buf, sizeof(buf), "%s", hnsw_kernels->name);
	return buf;
}

void
_PG_init(void)
{
	HnswKernelsInit();

	DefineCustomEnumVariable("hnsw.distance_kernel",
							 "Selects the SIMD kernel used for distances",
							 "auto picks the best one this CPU supports.",
							 &hnsw_distance_kernel,
							 HNSW_KERNEL_AUTO, hnsw_kernel_options,
							 PGC_USERSET, 0,
							 check_distance_kernel, assign_distance_kernel,
							 show_distance_kernel);

	MarkGUCPrefixReserved("hnsw");
}

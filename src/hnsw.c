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

#include "access/amapi.h"
#include "access/reloptions.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "fmgr.h"
#include "utils/guc.h"

#include "hnsw.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			hnsw_ef_search = HNSW_DEFAULT_EF_SEARCH;
int			hnsw_iterative_scan = HNSW_ITERATIVE_SCAN_STRICT;
int			hnsw_max_scan_tuples = 20000;
bool		hnsw_use_codes = true;
double		hnsw_code_margin = HNSW_CODE_CONFIDENCE;
double		hnsw_scan_mem_multiplier = 1;

static const struct config_enum_entry hnsw_iterative_scan_options[] = {
	{"off", HNSW_ITERATIVE_SCAN_OFF, false},
	{"relaxed_order", HNSW_ITERATIVE_SCAN_RELAXED, false},
	{"strict_order", HNSW_ITERATIVE_SCAN_STRICT, false},
	{NULL, 0, false}
};

static relopt_kind hnsw_relopt_kind;

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

static relopt_enum_elt_def hnsw_quantization_options[] = {
	{"auto", HNSW_QUANTIZATION_AUTO},
	{"none", HNSW_QUANTIZATION_NONE},
	{"rabitq", HNSW_QUANTIZATION_RABITQ},
	{NULL}
};

void
_PG_init(void)
{
	HnswKernelsInit();

	hnsw_relopt_kind = add_reloption_kind();
	add_int_reloption(hnsw_relopt_kind, "m", "Max number of connections",
					  HNSW_DEFAULT_M, HNSW_MIN_M, HNSW_MAX_M,
					  AccessExclusiveLock);
	add_int_reloption(hnsw_relopt_kind, "ef_construction",
					  "Size of the dynamic candidate list for construction",
					  HNSW_DEFAULT_EF_CONSTRUCTION, HNSW_MIN_EF_CONSTRUCTION,
					  HNSW_MAX_EF_CONSTRUCTION, AccessExclusiveLock);
	add_enum_reloption(hnsw_relopt_kind, "quantization",
					   "Compact codes of neighbours, for ranking them without reading their vectors",
					   hnsw_quantization_options, HNSW_QUANTIZATION_AUTO,
					   gettext_noop("Valid values are \"auto\", \"none\" and \"rabitq\"."),
					   AccessExclusiveLock);

	DefineCustomIntVariable("hnsw.ef_search",
							"Sets the size of the dynamic candidate list for search",
							"Valid range is 1..1000.",
							&hnsw_ef_search, HNSW_DEFAULT_EF_SEARCH,
							HNSW_MIN_EF_SEARCH, HNSW_MAX_EF_SEARCH,
							PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomEnumVariable("hnsw.iterative_scan",
							 "Sets the mode for iterative scans",
							 "strict_order (the default) goes on searching until the query has its rows, "
							 "in distance order; relaxed_order may return rows slightly out of order; "
							 "off returns at most hnsw.ef_search rows.",
							 &hnsw_iterative_scan, HNSW_ITERATIVE_SCAN_STRICT,
							 hnsw_iterative_scan_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("hnsw.max_scan_tuples",
							"Sets the max number of tuples to visit for iterative scans",
							"Counts the index entries the scan goes through, returned or "
							"left out by strict_order, checked between batches; the first "
							"batch is not limited.",
							&hnsw_max_scan_tuples, 20000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("hnsw.use_codes",
							 "Ranks neighbours by their compact codes in index scans",
							 "When on, scans of indexes with codes read the vectors only of "
							 "neighbours whose estimated distance can still enter the best "
							 "hnsw.ef_search; when off, they read every neighbour's vector.",
							 &hnsw_use_codes, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomRealVariable("hnsw.code_margin",
							 "Sets the margin, in standard errors, of estimates from compact codes",
							 NULL,
							 &hnsw_code_margin, HNSW_CODE_CONFIDENCE, 0, 10,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomRealVariable("hnsw.scan_mem_multiplier",
							 "Sets the multiple of work_mem to use for iterative scans",
							 NULL,
							 &hnsw_scan_mem_multiplier, 1, 1, 1000,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	/*
	 * Superuser only: kernels sum in different orders, so the last bits of a
	 * distance depend on the kernel, and the distance functions are
	 * IMMUTABLE.  An expression index over one of them built under one
	 * kernel and searched under another would see two answers for one
	 * input.
	 */
	DefineCustomEnumVariable("hnsw.distance_kernel",
							 "Selects the SIMD kernel used for distances",
							 "auto picks the best one this CPU supports.",
							 &hnsw_distance_kernel,
							 HNSW_KERNEL_AUTO, hnsw_kernel_options,
							 PGC_SUSET, 0,
							 check_distance_kernel, assign_distance_kernel,
							 show_distance_kernel);

	MarkGUCPrefixReserved("hnsw");
}

static bytea *
hnswoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"m", RELOPT_TYPE_INT, offsetof(HnswOptions, m)},
		{"ef_construction", RELOPT_TYPE_INT, offsetof(HnswOptions, efConstruction)},
		{"quantization", RELOPT_TYPE_ENUM, offsetof(HnswOptions, quantization)},
	};

	return (bytea *) build_reloptions(reloptions, validate, hnsw_relopt_kind,
									  sizeof(HnswOptions), tab, lengthof(tab));
}

static char *
hnswbuildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case PROGRESS_HNSW_PHASE_LOAD:
			return "loading tuples";
		case PROGRESS_HNSW_PHASE_LINK:
			return "linking unreached elements";
		case PROGRESS_HNSW_PHASE_WRITE:
			return "writing the index";
		default:
			return NULL;
	}
}

PG_FUNCTION_INFO_V1(hnswhandler);

/*
 * The index access method handler: what hnsw can do and its callbacks.
 */
Datum
hnswhandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = 0;
	amroutine->amsupport = 3;
	amroutine->amoptsprocnum = 0;
	amroutine->amcanorder = false;
	amroutine->amcanorderbyop = true;
	amroutine->amcanbackward = false;
	amroutine->amcanunique = false;
	amroutine->amcanmulticol = false;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = false;
	amroutine->amsearchnulls = false;
	amroutine->amstorage = false;
	amroutine->amclusterable = false;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = false;
	amroutine->amcaninclude = false;
	amroutine->amusemaintenanceworkmem = false;
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	amroutine->amkeytype = InvalidOid;

	amroutine->ambuild = hnswbuild;
	amroutine->ambuildempty = hnswbuildempty;
	amroutine->aminsert = hnswinsert;
	amroutine->ambulkdelete = hnswbulkdelete;
	amroutine->amvacuumcleanup = hnswvacuumcleanup;
	amroutine->amcanreturn = NULL;
	amroutine->amcostestimate = hnswcostestimate;
	amroutine->amoptions = hnswoptions;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = hnswbuildphasename;
	amroutine->amvalidate = hnswvalidate;
	amroutine->amadjustmembers = NULL;
	amroutine->ambeginscan = hnswbeginscan;
	amroutine->amrescan = hnswrescan;
	amroutine->amgettuple = hnswgettuple;
	amroutine->amgetbitmap = NULL;
	amroutine->amendscan = hnswendscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;

	PG_RETURN_POINTER(amroutine);
}

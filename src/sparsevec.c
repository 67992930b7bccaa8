/*-------------------------------------------------------------------------
 *
 * sparsevec.c
 *
 * IDENTIFICATION
 *	  src/sparsevec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
PG_FUNCTION_INFO_V1(sparsevec_l2_squared_distance); Datum sparsevec_l2_squared_distance(PG_FUNCTION_ARGS) { elog(ERROR, "stub"); }
PG_FUNCTION_INFO_V1(sparsevec_negative_inner_product); Datum sparsevec_negative_inner_product(PG_FUNCTION_ARGS) { elog(ERROR, "stub"); }
PG_FUNCTION_INFO_V1(sparsevec_l1_distance); Datum sparsevec_l1_distance(PG_FUNCTION_ARGS) { elog(ERROR, "stub"); }
PG_FUNCTION_INFO_V1(sparsevec_l2_norm); Datum sparsevec_l2_norm(PG_FUNCTION_ARGS) { elog(ERROR, "stub"); }

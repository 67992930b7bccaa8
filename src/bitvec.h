/*-------------------------------------------------------------------------
 *
 * bitvec.h
 *	  Distance functions over PostgreSQL's bit type.
 *
 * IDENTIFICATION
 *	  src/bitvec.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_BITVEC_H
#define HNSW_BITVEC_H

#include "fmgr.h"

/* index limit on bits, and the SQL-callable functions the index recognises */
extern Datum hamming_distance(PG_FUNCTION_ARGS);
extern Datum jaccard_distance(PG_FUNCTION_ARGS);

#endif							/* HNSW_BITVEC_H */

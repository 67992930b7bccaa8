/*-------------------------------------------------------------------------
 *
 * hnswcost.c
 *	  Cost estimation for hnsw index scans (amcostestimate).
 *
 * An hnsw scan does all its work before it returns the first row: it
 * visits about ef_search * (links per element) elements on layer 0 plus a
 * few per upper layer.  So the startup cost is the total cost, and a scan
 * without ORDER BY is never chosen (the index cannot answer it).
 *
 * IDENTIFICATION
 *	  src/hnswcost.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relation.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"

#include "hnsw.h"

void
hnswcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				 Cost *indexStartupCost, Cost *indexTotalCost,
				 Selectivity *indexSelectivity, double *indexCorrelation,
				 double *indexPages)
{
	GenericCosts costs;
	IndexOptInfo *index = path->indexinfo;
	double		ntuples = Max(index->tuples, 1);
	double		visited;
	int			m;
	Relation	rel;

	/* Never use the index without an ORDER BY it can answer */
	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = get_float8_infinity();
		*indexTotalCost = get_float8_infinity();
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	rel = index_open(index->indexoid, NoLock);
	m = HnswGetM(rel);
	index_close(rel, NoLock);

	/*
	 * Elements whose distance is computed: on layer 0 about ef_search
	 * expansions of up to 2m links each, half of which are new; plus a
	 * greedy walk of m links per upper layer.
	 */
	visited = hnsw_ef_search * m + m * log(ntuples) / log(Max(m, 2));
	visited = Min(visited, ntuples);

	MemSet(&costs, 0, sizeof(costs));
	costs.numIndexTuples = visited;
	genericcostestimate(root, path, loop_count, &costs);

	*indexStartupCost = costs.indexTotalCost;
	*indexTotalCost = costs.indexTotalCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = costs.numIndexPages;
}

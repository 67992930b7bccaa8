/*-------------------------------------------------------------------------
 *
 * hnswcost.c
 *	  Cost estimation for hnsw index scans (amcostestimate).
 *
 * An hnsw scan does the work of its first ef_search results before it
 * returns the first row; an iterative scan then goes on in batches.  A scan
 * without ORDER BY is never chosen (the index cannot answer it).
 *
 * IDENTIFICATION
 *	  src/hnswcost.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/heaptoast.h"
#include "access/relation.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"
#include "utils/spccache.h"

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
	double		first;
	double		pervisit;
	double		counted = 1.0;
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
	{
		/*
		 * The share of the index's pages to charge, see below: the part of
		 * a value past what a table row keeps inline does not count.
		 */
		const HnswTypeInfo *type = HnswGetTypeInfo(rel);
		int			dim = HnswGetDimensions(rel);

		if (type->kind != HNSW_VALUE_SPARSE && dim > 0)
		{
			HnswPageLimits lim;
			double		vsize = HnswValueMinSize(type->kind, dim);
			double		other = HNSW_ELEMENT_TUPLE_SIZE(0) +
				HNSW_NEIGHBOR_TUPLE_SIZE(0, m);
			double		codes;

			/*
			 * Codes do not count either: a search reads them with the lists,
			 * in place of the elements it then leaves unread.
			 */
			HnswGetPageLimits(rel, &lim);
			codes = (double) lim.codesize * 2 * m;
			counted = (Min(vsize, TOAST_TUPLE_THRESHOLD) + other) /
				(vsize + other + codes);
		}
	}
	index_close(rel, NoLock);

	/*
	 * Elements whose distance the first batch computes: on layer 0 about
	 * ef_search expansions of up to 2m links each, about half of them new;
	 * plus a greedy walk of m links per upper layer.
	 */
	first = hnsw_ef_search * m + m * log(ntuples) / log(Max(m, 2));
	first = Min(first, ntuples);

	/*
	 * Cost of visiting every element once, from which a cost per visit.
	 * With a LIMIT, the planner charges the share of the run cost that the
	 * rows it needs take: a filter that keeps few rows makes the index scan
	 * dearer, and a sequential scan may win.
	 */
	MemSet(&costs, 0, sizeof(costs));
	costs.numIndexTuples = ntuples;
	genericcostestimate(root, path, loop_count, &costs);

	/*
	 * genericcostestimate charges random_page_cost for every index page.  A
	 * graph search revisits the same pages query after query, and an hnsw
	 * index is only useful while it stays in memory, so charge its pages as
	 * sequential reads instead.
	 */
	{
		double		spc_random_page_cost;
		double		spc_seq_page_cost;

		get_tablespace_page_costs(index->reltablespace, &spc_random_page_cost,
								  &spc_seq_page_cost);
		if (spc_random_page_cost > spc_seq_page_cost)
			costs.indexTotalCost -= costs.numIndexPages *
				(spc_random_page_cost - spc_seq_page_cost);

		/*
		 * A sequential scan's cost counts the table's pages, not the TOAST
		 * pages that hold a large vector, although it reads every one of
		 * them.  Count the index's pages the same way: values larger than
		 * a table keeps inline (TOAST_TUPLE_THRESHOLD, about 2 kB) count
		 * with that much only.  Otherwise, from about 1,000 dimensions on,
		 * the planner would sort the whole table rather than search a few
		 * hundred elements.
		 */
		costs.indexTotalCost -= costs.numIndexPages * spc_seq_page_cost *
			(1.0 - counted);
	}
	pervisit = costs.indexTotalCost / ntuples;

	/*
	 * The first batch is paid before the first row.  Each row an iterative
	 * scan returns after that costs about 0.8 m visits: an element expanded
	 * offers up to 2m neighbours, some 40% of them new.  The total is what
	 * returning every row that way would cost; it overstates a full drain,
	 * which visits each element once, but it gives the planner the right
	 * share for a LIMIT, or a LIMIT behind a selective filter, and a full
	 * drain is better served by a sequential scan and a sort anyway.
	 * Without iterative scans, the first batch is all there is.
	 */
	*indexStartupCost = pervisit * first;
	if (hnsw_iterative_scan == HNSW_ITERATIVE_SCAN_OFF)
		*indexTotalCost = *indexStartupCost;
	else
		*indexTotalCost = *indexStartupCost + pervisit * ntuples * 0.8 * m;
	*indexSelectivity = costs.indexSelectivity;

	/*
	 * A cursor planned for its first rows (DECLARE CURSOR without a LIMIT,
	 * which is how postgres_fdw runs every remote query, and psql's
	 * FETCH_COUNT) is costed by the planner at cursor_tuple_fraction of
	 * its total.  Charging such a cursor for every row of the table, as
	 * above, would make the planner sort the whole table rather than let
	 * the index return its first batches whenever a filter is involved,
	 * and the total alone would switch on JIT compilation for each remote
	 * query.  But the scan cannot return every row: it stops after
	 * ef_search rows, or with iterative scans after about
	 * hnsw.max_scan_tuples.  So for a cursor, charge what it can return:
	 * at most that many rows, and no more visits than there are elements.
	 * A plan that must return every row (no LIMIT, not a cursor) keeps the
	 * full charge, so that it is never given to a scan that would stop
	 * short.
	 */
	if (root->tuple_fraction > 0 && root->tuple_fraction < 1 &&
		root->limit_tuples < 0)
	{
		double		most;

		if (hnsw_iterative_scan == HNSW_ITERATIVE_SCAN_OFF)
			most = Min(hnsw_ef_search, ntuples);
		else
		{
			most = Min(hnsw_max_scan_tuples, ntuples);
			*indexTotalCost = *indexStartupCost +
				pervisit * Min(ntuples, most * 0.8 * m);
		}
		*indexSelectivity = costs.indexSelectivity * most / ntuples;
	}
	*indexCorrelation = 0;
	*indexPages = costs.numIndexPages;
}

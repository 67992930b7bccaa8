/*-------------------------------------------------------------------------
 *
 * hnswscan.c
 *	  Index scans of hnsw indexes (ambeginscan, amrescan, amgettuple,
 *	  amendscan).
 *
 * A scan answers ORDER BY column <op> query: it descends greedily from the
 * entry point to layer 1, searches layer 0 with ef = hnsw.ef_search
 * (Algorithm 5, K-NN-SEARCH), and returns the heap TIDs of the results in
 * order of distance.  Distances are computed on the page, under a share
 * lock, with the kernel chosen once per scan.
 *
 * A NULL query returns every indexed row, in index order.
 *
 * IDENTIFICATION
 *	  src/hnswscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relscan.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include <math.h>

/* Batches of an iterative scan grow up to this width */
#define HNSW_MAX_STREAM_EF 1000

#include "hnsw.h"

typedef struct HnswScanOpaqueData
{
	MemoryContext ctx;			/* everything below lives here */
	bool		started;
	bool		nullquery;		/* return everything, in index order */
	int			dim;
	int			m;
	HnswDistance dist;
	HnswDiskGraph graph;
	HnswSearch	search;
	void	   *query;
	HnswCodes  *codes;			/* the index's codes, or NULL */
	HnswCodeQuery cq;			/* the query, for estimates from codes */

	HnswCandidate *results;		/* current batch, sorted by distance */
	int			nresults;
	int			pos;			/* next result to return */
	int			ef;				/* batch size */
	int			mode;			/* hnsw.iterative_scan at scan start */
	float		lastdist;		/* distance of the last result returned */
	int64		nreturned;		/* elements returned, for max_scan_tuples */
	bool		stopped;		/* a limit ended the scan early */

	ItemPointerData heaptids[MaxOffsetNumber]; /* TIDs of current result(s) */
	int			nheaptids;
	int			heappos;

	/* sequential mode (NULL query) */
	BlockNumber seqblk;
	BlockNumber nblocks;
} HnswScanOpaqueData;

typedef HnswScanOpaqueData *HnswScanOpaque;

/*
 * What the last scan of this backend did (hnsw_scan_stats()).  A scan
 * resets it when it starts, or starts again (a rescan), and updates it
 * after every batch of its search.
 */
typedef struct HnswScanStats
{
	Oid			index;			/* InvalidOid before the first scan */
	int			ef_search;
	int64		batches;		/* batches of an iterative scan */
	int64		expanded;		/* lists read */
	int64		estimated;		/* distances estimated from codes */
	int64		skipped;		/* estimated, and never read */
	int64		distances;		/* distances computed from vectors */
	int64		buffers;		/* buffer pins of lists and elements */
	int64		elements;		/* elements returned */
} HnswScanStats;

static HnswScanStats hnsw_last_scan;

static void
ResetScanStats(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	memset(&hnsw_last_scan, 0, sizeof(hnsw_last_scan));
	hnsw_last_scan.index = RelationGetRelid(scan->indexRelation);
	hnsw_last_scan.ef_search = hnsw_ef_search;
	hnsw_last_scan.batches = 1;
	so->graph.ndistances = 0;
	so->graph.nexpanded = 0;
	so->graph.nestimates = 0;
	so->graph.nskipped = 0;
	so->graph.nbuffers = 0;
}

static void
UpdateScanStats(HnswScanOpaque so)
{
	hnsw_last_scan.expanded = so->graph.nexpanded;
	hnsw_last_scan.estimated = so->graph.nestimates;
	hnsw_last_scan.skipped = so->graph.nskipped;
	hnsw_last_scan.distances = so->graph.ndistances;
	hnsw_last_scan.buffers = so->graph.nbuffers;
}

/*
 * hnsw_scan_stats(): what the last hnsw index scan of this backend did.
 * It reads only this backend's memory, and only of its own queries, so
 * anybody may call it.
 */
PG_FUNCTION_INFO_V1(hnsw_scan_stats);
Datum
hnsw_scan_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (tupdesc->natts != lengthof(values))
		elog(ERROR, "hnsw_scan_stats must return %d columns", (int) lengthof(values));
	tupdesc = BlessTupleDesc(tupdesc);
	memset(nulls, 0, sizeof(nulls));
	if (!OidIsValid(hnsw_last_scan.index))
	{
		for (int i = 0; i < lengthof(nulls); i++)
			nulls[i] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}
	values[0] = ObjectIdGetDatum(hnsw_last_scan.index);
	values[1] = Int32GetDatum(hnsw_last_scan.ef_search);
	values[2] = Int64GetDatum(hnsw_last_scan.batches);
	values[3] = Int64GetDatum(hnsw_last_scan.expanded);
	values[4] = Int64GetDatum(hnsw_last_scan.estimated);
	values[5] = Int64GetDatum(hnsw_last_scan.skipped);
	values[6] = Int64GetDatum(hnsw_last_scan.distances);
	values[7] = Int64GetDatum(hnsw_last_scan.buffers);
	values[8] = Int64GetDatum(hnsw_last_scan.elements);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Copy the live heap TIDs of the element at ref into so->heaptids.  ref is
 * a result of the search, whose TID was checked when it was read; the
 * element is checked again here (hnsw_page.h), as the page may have changed
 * since.
 */
static void
LoadHeapTids(IndexScanDesc scan, uint64 ref)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	HnswPageLimits lim;
	HnswElementTuple etup;
	ItemPointerData tid;
	Buffer		buf;
	Page		page;
	BlockNumber blk;
	OffsetNumber off;

	HnswRefToTid(ref, &tid);
	blk = ItemPointerGetBlockNumberNoCheck(&tid);
	off = ItemPointerGetOffsetNumberNoCheck(&tid);
	so->nheaptids = 0;
	so->heappos = 0;

	HnswGetPageLimits(scan->indexRelation, &lim);
	buf = HnswReadBuffer(scan->indexRelation, blk);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	etup = HnswPageGetElement(&lim, page, blk, off);
	if (etup->state == HNSW_ELEMENT_LIVE)
	{
		for (int i = 0; i < HNSW_HEAPTIDS; i++)
			if (ItemPointerIsValid(&etup->heaptids[i]))
				so->heaptids[so->nheaptids++] = etup->heaptids[i];
	}
	UnlockReleaseBuffer(buf);
}

/*
 * Load the heap TIDs of every live element of the next page, for the NULL
 * query.  Returns false when there are no more pages.  Every tuple of the
 * page is checked (hnsw_page.h); a page that is not one of ours, or with
 * more line pointers than a data page can hold, is corrupt.
 */
static bool
LoadNextPage(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	HnswPageLimits lim;

	HnswGetPageLimits(index, &lim);
	while (so->seqblk < so->nblocks)
	{
		Buffer		buf;
		Page		page;
		BlockNumber blk = so->seqblk++;
		OffsetNumber maxoff;

		buf = ReadBuffer(index, blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		so->nheaptids = 0;
		so->heappos = 0;
		if (!PageIsNew(page))
			HnswCheckPage(index, page, blk);
		if (!PageIsNew(page) && (HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
		{
			maxoff = PageGetMaxOffsetNumber(page);
			if (maxoff > lim.maxoffsets)
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("index \"%s\" contains a corrupted page at block %u",
								RelationGetRelationName(index), blk),
						 errdetail_internal("The page has %u line pointers; a data page holds at most %d.",
											maxoff, lim.maxoffsets)));
			for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
			{
				ItemId		iid = HnswPageGetItemIdChecked(&lim, page, blk, off);
				HnswElementTuple etup;

				if (*(uint8 *) PageGetItem(page, iid) == HNSW_NEIGHBOR_TUPLE)
				{
					(void) HnswPageGetNeighbors(&lim, page, blk, off);
					continue;
				}
				if (*(uint8 *) PageGetItem(page, iid) == HNSW_VALUE_TUPLE)
				{
					(void) HnswPageGetValueTuple(&lim, page, blk, off);
					continue;
				}
				etup = HnswPageGetElement(&lim, page, blk, off);
				if (etup->state != HNSW_ELEMENT_LIVE)
					continue;
				for (int i = 0; i < HNSW_HEAPTIDS; i++)
					if (ItemPointerIsValid(&etup->heaptids[i]))
						so->heaptids[so->nheaptids++] = etup->heaptids[i];
			}
		}
		UnlockReleaseBuffer(buf);
		if (so->nheaptids > 0)
			return true;
	}
	return false;
}

/*
 * Run the search for the query: greedy descent, then layer 0 with
 * ef_search.  Takes no lock but buffer locks: see src/README.md ("Scans and
 * vacuum") for why a scan needs no interlock with vacuum.
 */
static void
RunSearch(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	HnswMetaPageData meta;
	HnswCandidate ep;
	ItemPointerData entry;
	int			ef = hnsw_ef_search;

	so->nresults = 0;
	so->pos = 0;
	so->ef = ef;
	so->mode = hnsw_iterative_scan;
	so->lastdist = -INFINITY;
	so->stopped = false;
	so->nreturned = 0;			/* hnsw.max_scan_tuples counts per scan */
	so->search.stream = (so->mode != HNSW_ITERATIVE_SCAN_OFF);

	HnswReadMeta(index, &meta);
	if (BlockNumberIsValid(meta.entry_blkno))
	{
		ItemPointerSet(&entry, meta.entry_blkno, meta.entry_offno);
		HnswTidSetClear(&so->graph.visited);
		if (HnswDiskEntryCandidate(&so->graph, &entry, &ep))
		{
			HnswCandidate ep0 = ep;

			for (int lc = meta.entry_level; lc > 0; lc--)
				ep = HnswGreedySearch(&so->search, ep, lc);
			HnswSearchReset(&so->search, ef);
			HnswSearchAddEntry(&so->search, &ep);

			/*
			 * Every element is reachable on layer 0 from the entry point,
			 * not necessarily from where the descent lands (a tight
			 * cluster may link only among itself).  A stream, which is to
			 * reach everything in the end, starts from both.
			 */
			if (so->search.stream && ep0.ref != ep.ref)
				HnswSearchAddEntry(&so->search, &ep0);
			HnswSearchLayer(&so->search, 0, ef);
			so->results = repalloc(so->results, sizeof(HnswCandidate) * (ef + 1));
			so->nresults = HnswSearchResultsSorted(&so->search, so->results);
		}
	}
}

/* Memory the search state of the scan takes */
static Size
SearchMemory(HnswScanOpaque so)
{
	return sizeof(HnswCandidate) *
		(so->search.cand.cap + so->search.res.cap + so->search.found.cap +
		 so->search.maxlater + so->search.maxlaterfound) +
		(sizeof(uint64) + sizeof(uint32)) * (so->graph.visited.mask + 1);
}

/*
 * Fetch the next batch of results of an iterative scan.  Returns false if
 * there are no more, or a limit stopped the scan (with a NOTICE, once).
 */
static bool
NextBatch(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	MemoryContext old;
	Size		memlimit = (Size) (work_mem * 1024.0 * hnsw_scan_mem_multiplier);

	if (so->mode == HNSW_ITERATIVE_SCAN_OFF || so->stopped)
		return false;
	if (so->search.cand.n == 0 && so->search.found.n == 0 &&
		so->search.nlater == 0 && so->search.nlaterfound == 0)
		return false;			/* the whole reachable graph is done */

	if (so->nreturned >= hnsw_max_scan_tuples ||
		SearchMemory(so) >= memlimit)
	{
		so->stopped = true;
		if (so->nreturned >= hnsw_max_scan_tuples)
			ereport(NOTICE,
					(errmsg("hnsw index scan stopped after going through %lld index entries",
							(long long) so->nreturned),
					 errdetail("The query may return fewer rows than it asked for."),
					 errhint("Increase hnsw.max_scan_tuples to search further.")));
		else
			ereport(NOTICE,
					(errmsg("hnsw index scan stopped after using %zu kB of memory",
							SearchMemory(so) / 1024),
					 errdetail("The query may return fewer rows than it asked for."),
					 errhint("Increase hnsw.scan_mem_multiplier or work_mem to search further.")));
		return false;
	}

	old = MemoryContextSwitchTo(so->ctx);
	/*
	 * Each batch is twice as wide as the one before (up to a bound): the
	 * wider the batch, the better its order, and the fewer elements a later
	 * batch finds closer than ones already returned.  The cost stays in
	 * proportion to the rows returned so far.
	 */
	so->ef = Min(so->ef * 2, Max(HNSW_MAX_STREAM_EF, so->ef));
	so->results = repalloc(so->results, sizeof(HnswCandidate) * (so->ef + 1));
	HnswSearchNextBatch(&so->search, so->ef);
	so->nresults = HnswSearchResultsSorted(&so->search, so->results);
	hnsw_last_scan.batches++;
	UpdateScanStats(so);
	so->pos = 0;
	MemoryContextSwitchTo(old);
	return so->nresults > 0;
}

IndexScanDesc
hnswbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	HnswScanOpaque so;
	MemoryContext ctx;
	MemoryContext old;

	ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw scan",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	so = palloc0(sizeof(HnswScanOpaqueData));
	so->ctx = ctx;
	so->dim = HnswGetDimensions(index);
	so->m = HnswGetMetaM(index);
	HnswInitDistance(&so->dist, index, so->dim);
	HnswDiskGraphInit(&so->graph, index, &so->dist, so->m, 1024);
	so->graph.skipdead = true;
	so->codes = HnswGetCodes(index, &so->dist);
	{
		/* at most this many tuples fit on a page */
		HnswTidSetUseBitmap(&so->graph.visited, index, RelationGetNumberOfBlocks(index),
							HnswMaxOffsets(HnswValueMinSize(so->dist.vkind, so->dim),
										   so->m) + 1);
	}
	HnswSearchInit(&so->search, &hnsw_disk_graph_ops, &so->graph, so->m,
				   hnsw_ef_search);
	so->results = palloc(sizeof(HnswCandidate) * 64);
	MemoryContextSwitchTo(old);

	scan->opaque = so;
	return scan;
}

void
hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys,
		   int norderbys)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	so->started = false;
	so->nresults = 0;
	so->pos = 0;
	so->nheaptids = 0;
	so->heappos = 0;
	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
}

/* Start the scan: check it, prepare the query and search */
static void
StartScan(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	MemoryContext old;
	ScanKey		key;

	if (scan->numberOfOrderBys == 0 || scan->orderByData == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot scan hnsw index without order")));
	if (!IsMVCCSnapshot(scan->xs_snapshot))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("non-MVCC snapshots are not supported with hnsw")));

	key = &scan->orderByData[0];
	old = MemoryContextSwitchTo(so->ctx);
	so->nullquery = (key->sk_flags & SK_ISNULL) != 0;
	if (so->nullquery)
	{
		so->seqblk = HNSW_METAPAGE_BLKNO + 1;
		so->nblocks = RelationGetNumberOfBlocks(scan->indexRelation);
	}
	else
	{
		if (so->query)
			pfree(so->query);
		if (so->graph.densequery)
			pfree((void *) so->graph.densequery);
		so->query = HnswPrepareQuery(&so->dist, key->sk_argument);
		so->graph.query = so->query;
		so->graph.densequery = HnswDensifyQuery(&so->dist, so->query);
		so->graph.cq = NULL;
		if (so->codes != NULL && hnsw_use_codes &&
			HnswCodeQueryInit(so->codes, &so->cq, so->dist.kind, so->dist.vkind,
							  so->query))
			so->graph.cq = &so->cq;
		ResetScanStats(scan);
		RunSearch(scan);
		UpdateScanStats(so);
	}
	MemoryContextSwitchTo(old);
	so->started = true;

	pgstat_count_index_scan(scan->indexRelation);
}

bool
hnswgettuple(IndexScanDesc scan, ScanDirection dir)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	if (!so->started)
		StartScan(scan);

	for (;;)
	{
		if (so->heappos < so->nheaptids)
		{
			scan->xs_heaptid = so->heaptids[so->heappos++];
			scan->xs_recheck = false;
			scan->xs_recheckorderby = false;
			return true;
		}
		if (so->nullquery)
		{
			if (!LoadNextPage(scan))
				return false;
			continue;
		}
		if (so->pos >= so->nresults)
		{
			if (!NextBatch(scan))
				return false;
			continue;
		}

		/*
		 * A later batch can find an element closer than one already
		 * returned.  strict_order leaves it out to keep the order;
		 * relaxed_order returns it.
		 */
		so->nreturned++;
		if (so->results[so->pos].dist < so->lastdist &&
			so->mode == HNSW_ITERATIVE_SCAN_STRICT)
		{
			so->pos++;
			continue;
		}
		so->lastdist = Max(so->lastdist, so->results[so->pos].dist);
		LoadHeapTids(scan, so->results[so->pos++].ref);
		hnsw_last_scan.elements++;
		CHECK_FOR_INTERRUPTS();
	}
}

void
hnswendscan(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	HnswTidSetReturnBitmap(&so->graph.visited, scan->indexRelation);
	MemoryContextDelete(so->ctx);
	scan->opaque = NULL;
}

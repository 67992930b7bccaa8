/*-------------------------------------------------------------------------
 *
 * hnswcheck.c
 *	  SQL-callable invariant checker and statistics for hnsw indexes.
 *
 * hnsw_index_check(regclass) reads every page of the index, in the manner
 * of amcheck, and raises ERRCODE_INDEX_CORRUPTED with a precise message at
 * the first broken invariant:
 *
 *	- the metapage has the right magic number and format version;
 *	- every page is an hnsw page and every tuple an element or neighbour
 *	  tuple;
 *	- every element points at a neighbour tuple of its own level and size;
 *	- every neighbour list entry lands on an element that is on that layer
 *	  and has not been detached by vacuum; no list holds an entry twice or
 *	  points at its own element;
 *	- the entry point is an element at the top level of the graph, and the
 *	  index is empty exactly when there is no entry point;
 *	- with heapallindexed (the default), every row of the table visible to
 *	  a fresh MVCC snapshot whose value can be indexed is in the index.
 *
 * It returns the number of elements and heap TIDs, and how many elements
 * are reachable from the entry point on layer 0.
 *
 * hnsw_index_stats(regclass) reports the shape of the graph.
 *
 * Both take a ShareLock on the index, which waits for inserts and vacuum
 * in progress and keeps new ones out while they run.
 *
 * IDENTIFICATION
 *	  src/hnswcheck.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "utils/snapmgr.h"
#include "access/xlog.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

typedef struct CheckElement
{
	ItemPointerData tid;		/* hash key */
	ItemPointerData neighbortid;
	int			level;
	int			state;			/* HNSW_ELEMENT_LIVE etc. */
	bool		deleted;		/* not LIVE */
	int			nheaptids;
	int64		index;			/* position in the elements array */
} CheckElement;

typedef struct CheckNeighbors
{
	ItemPointerData tid;		/* hash key */
	int			level;
	int			count;
	ItemPointerData *tids;		/* copy of the slots */
	uint8	   *ngood;			/* copy of the good counts */
} CheckNeighbors;

typedef struct CheckState
{
	Relation	index;
	HnswMetaPageData meta;
	BlockNumber nblocks;
	HTAB	   *elements;
	HTAB	   *neighbors;
	int64		nelements;
	int64		nlive;			/* elements not detached */
	int64		nheaptids;
	int			maxlevel;
	int64		nodes_per_level[HNSW_MAX_LEVEL + 1];
	int64		links_per_level[HNSW_MAX_LEVEL + 1];
	CheckElement **byindex;
	bool		heapallindexed; /* also check the heap against the index */
	HnswTidSet	heaptids;		/* heap TIDs of LIVE elements */
	HnswDistance dist;
	float	   *vecbuf;
} CheckState;

#define CORRUPT(cs, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INDEX_CORRUPTED), \
			 errmsg("index \"%s\": %s", RelationGetRelationName((cs)->index), \
					psprintf(__VA_ARGS__))))

static LOCKMODE
CheckLockMode(void)
{
	return RecoveryInProgress() ? AccessShareLock : ShareLock;
}

/*
 * Every heap row visible to an MVCC snapshot with an indexable value must
 * be in the index, as the TID of its HOT chain's root.  Writers are kept
 * out by our lock on the index.
 */
static void
CheckHeapCallback(Relation index, ItemPointer tid, Datum *values,
				  bool *isnull, bool tupleIsAlive, void *state)
{
	CheckState *cs = state;

	if (isnull[0] || !HnswPrepareValue(&cs->dist, values[0], cs->vecbuf))
		return;
	if (!HnswTidSetContains(&cs->heaptids, HnswTidToRef(tid)))
		CORRUPT(cs, "heap row (%u,%u) is not in the index",
				ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
}

static void
CheckHeap(CheckState *cs, Relation heap)
{
	IndexInfo  *indexInfo = BuildIndexInfo(cs->index);
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	TableScanDesc scan;

	HnswInitDistance(&cs->dist, cs->index, cs->meta.dimensions);
	cs->vecbuf = palloc(sizeof(float) * Max(cs->meta.dimensions, 1));
	scan = table_beginscan_strat(heap, snapshot, 0, NULL, true, false);
	indexInfo->ii_Concurrent = true;	/* rows visible to the snapshot */
	table_index_build_scan(heap, cs->index, indexInfo, true, false,
						   CheckHeapCallback, cs, scan);
	UnregisterSnapshot(snapshot);
}

static Relation
OpenHnswIndex(Oid indexoid)
{
	/*
	 * ShareLock keeps inserts and vacuum out, so the index holds still.  A
	 * hot standby allows no more than AccessShareLock; there the index only
	 * changes through WAL replay, whose records each leave it consistent.
	 */
	Relation	index = relation_open(indexoid, CheckLockMode());

	if (index->rd_rel->relkind != RELKIND_INDEX ||
		index->rd_rel->relam != get_index_am_oid("hnsw", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an hnsw index",
						RelationGetRelationName(index))));
	return index;
}

/* Pass over every page, collecting elements and neighbour tuples */
static void
CollectTuples(CheckState *cs)
{
	Relation	index = cs->index;
	HASHCTL		ctl;
	int			m;

	HnswReadMeta(index, &cs->meta);
	m = cs->meta.m;
	if (cs->meta.dimensions != HnswGetDimensions(index))
		CORRUPT(cs, "metapage has %u dimensions, column has %d",
				cs->meta.dimensions, HnswGetDimensions(index));

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ItemPointerData);
	ctl.entrysize = sizeof(CheckElement);
	ctl.hcxt = CurrentMemoryContext;
	cs->elements = hash_create("hnsw check elements", 1024, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(CheckNeighbors);
	cs->neighbors = hash_create("hnsw check neighbours", 1024, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	cs->nblocks = RelationGetNumberOfBlocks(index);
	cs->maxlevel = -1;
	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < cs->nblocks; blk++)
	{
		Buffer		buf = ReadBuffer(index, blk);
		Page		page;
		OffsetNumber maxoff;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (PageIsNew(page))
		{
			/* an extension whose first write did not survive a crash */
			UnlockReleaseBuffer(buf);
			continue;
		}
		HnswCheckPage(index, page, blk);
		if (!(HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
			CORRUPT(cs, "block %u is not a data page", blk);

		maxoff = PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			ItemId		iid = PageGetItemId(page, off);
			Pointer		tup;
			ItemPointerData tid;
			bool		found;

			if (!ItemIdIsNormal(iid))
				continue;
			tup = PageGetItem(page, iid);
			ItemPointerSet(&tid, blk, off);
			if (*(uint8 *) tup == HNSW_ELEMENT_TUPLE)
			{
				HnswElementTuple etup = (HnswElementTuple) tup;
				CheckElement *e;

				if (ItemIdGetLength(iid) != HNSW_ELEMENT_TUPLE_SIZE(cs->meta.dimensions))
					CORRUPT(cs, "element (%u,%u) has length %u, expected %zu",
							blk, off, ItemIdGetLength(iid),
							HNSW_ELEMENT_TUPLE_SIZE(cs->meta.dimensions));
				e = hash_search(cs->elements, &tid, HASH_ENTER, &found);
				e->neighbortid = etup->neighbortid;
				e->level = etup->level;
				e->state = etup->deleted;
				e->deleted = etup->deleted != HNSW_ELEMENT_LIVE;
				if (e->state > HNSW_ELEMENT_REUSABLE)
					CORRUPT(cs, "element (%u,%u) has unknown state %d", blk, off, e->state);
				e->nheaptids = 0;
				for (int i = 0; i < HNSW_HEAPTIDS; i++)
					if (ItemPointerIsValid(&etup->heaptids[i]))
						e->nheaptids++;
				e->index = cs->nelements++;
				if (!e->deleted)
				{
					cs->nlive++;
					cs->nheaptids += e->nheaptids;
					if (cs->heapallindexed)
						for (int i = 0; i < HNSW_HEAPTIDS; i++)
							if (ItemPointerIsValid(&etup->heaptids[i]))
								HnswTidSetAdd(&cs->heaptids, HnswTidToRef(&etup->heaptids[i]));
					cs->maxlevel = Max(cs->maxlevel, e->level);
					for (int l = 0; l <= e->level && l <= HNSW_MAX_LEVEL; l++)
						cs->nodes_per_level[l]++;
				}
			}
			else if (*(uint8 *) tup == HNSW_NEIGHBOR_TUPLE)
			{
				HnswNeighborTuple ntup = (HnswNeighborTuple) tup;
				CheckNeighbors *n;

				if (ntup->count != HNSW_NEIGHBOR_SLOTS(ntup->level, m))
					CORRUPT(cs, "neighbour tuple (%u,%u) has %d slots for level %d, expected %d",
							blk, off, ntup->count, ntup->level,
							HNSW_NEIGHBOR_SLOTS(ntup->level, m));
				if (ItemIdGetLength(iid) < HNSW_NEIGHBOR_TUPLE_SIZE(ntup->level, m))
					CORRUPT(cs, "neighbour tuple (%u,%u) has length %u, level %d needs %zu",
							blk, off, ItemIdGetLength(iid), ntup->level,
							HNSW_NEIGHBOR_TUPLE_SIZE(ntup->level, m));
				n = hash_search(cs->neighbors, &tid, HASH_ENTER, &found);
				n->level = ntup->level;
				n->count = ntup->count;
				n->tids = palloc(sizeof(ItemPointerData) * ntup->count);
				memcpy(n->tids, ntup->tids, sizeof(ItemPointerData) * ntup->count);
				n->ngood = palloc(ntup->level + 1);
				memcpy(n->ngood, HnswNeighborGood(ntup), ntup->level + 1);
			}
			else
				CORRUPT(cs, "tuple (%u,%u) has unknown type %d", blk, off,
						*(uint8 *) tup);
		}
		UnlockReleaseBuffer(buf);
	}
}

/* Check every element's neighbour lists; count links per layer */
static void
CheckLinks(CheckState *cs)
{
	HASH_SEQ_STATUS seq;
	CheckElement *e;
	int			m = cs->meta.m;

	cs->byindex = palloc0(sizeof(CheckElement *) * Max(cs->nelements, 1));
	hash_seq_init(&seq, cs->elements);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		CheckNeighbors *n;
		BlockNumber eb = ItemPointerGetBlockNumber(&e->tid);
		OffsetNumber eo = ItemPointerGetOffsetNumber(&e->tid);

		cs->byindex[e->index] = e;
		if (e->deleted)
			continue;

		n = hash_search(cs->neighbors, &e->neighbortid, HASH_FIND, NULL);
		if (n == NULL)
			CORRUPT(cs, "element (%u,%u) points at (%u,%u), which is not a neighbour tuple",
					eb, eo, ItemPointerGetBlockNumberNoCheck(&e->neighbortid),
					ItemPointerGetOffsetNumberNoCheck(&e->neighbortid));
		if (n->level != e->level)
			CORRUPT(cs, "element (%u,%u) has level %d but its neighbour tuple has level %d",
					eb, eo, e->level, n->level);

		for (int lc = 0; lc <= e->level; lc++)
		{
			int			start = HNSW_LAYER_START(lc, m);
			int			cap = HNSW_LAYER_CAPACITY(lc, m);
			bool		ended = false;
			int			nvalid = 0;

			for (int i = 0; i < cap; i++)
				if (ItemPointerIsValid(&n->tids[start + i]))
					nvalid++;
			if (n->ngood[lc] > nvalid)
				CORRUPT(cs, "element (%u,%u) has %d good neighbours on layer %d but only %d neighbours",
						eb, eo, n->ngood[lc], lc, nvalid);

			for (int i = 0; i < cap; i++)
			{
				ItemPointer t = &n->tids[start + i];
				CheckElement *target;

				if (!ItemPointerIsValid(t))
				{
					ended = true;
					continue;
				}
				if (ended)
					CORRUPT(cs, "element (%u,%u) has a gap in its layer %d list", eb, eo, lc);
				target = hash_search(cs->elements, t, HASH_FIND, NULL);
				if (target == NULL)
					CORRUPT(cs, "element (%u,%u) has neighbour (%u,%u) on layer %d, which is not an element",
							eb, eo, ItemPointerGetBlockNumber(t),
							ItemPointerGetOffsetNumber(t), lc);
				if (target->state == HNSW_ELEMENT_REUSABLE)
					CORRUPT(cs, "element (%u,%u) has neighbour (%u,%u) on layer %d, which was removed by vacuum",
							eb, eo, ItemPointerGetBlockNumber(t),
							ItemPointerGetOffsetNumber(t), lc);
				if (target->level < lc)
					CORRUPT(cs, "element (%u,%u) has neighbour (%u,%u) on layer %d, which only reaches layer %d",
							eb, eo, ItemPointerGetBlockNumber(t),
							ItemPointerGetOffsetNumber(t), lc, target->level);
				if (ItemPointerEquals(t, &e->tid))
					CORRUPT(cs, "element (%u,%u) is its own neighbour on layer %d", eb, eo, lc);
				for (int j = 0; j < i; j++)
					if (ItemPointerEquals(t, &n->tids[start + j]))
						CORRUPT(cs, "element (%u,%u) lists neighbour (%u,%u) twice on layer %d",
								eb, eo, ItemPointerGetBlockNumber(t),
								ItemPointerGetOffsetNumber(t), lc);
				if (lc <= HNSW_MAX_LEVEL)
					cs->links_per_level[lc]++;
			}
		}
	}
}

/* Check the entry point; count elements reachable from it on layer 0 */
static int64
CheckEntryAndReach(CheckState *cs)
{
	ItemPointerData entry;
	CheckElement *e;
	bool	   *seen;
	int64	   *queue;
	int64		head = 0,
				tail = 0;
	int			m = cs->meta.m;

	if (!BlockNumberIsValid(cs->meta.entry_blkno))
	{
		if (cs->nlive > 0)
			CORRUPT(cs, "index has %lld elements but no entry point",
					(long long) cs->nlive);
		return 0;
	}
	ItemPointerSet(&entry, cs->meta.entry_blkno, cs->meta.entry_offno);
	e = hash_search(cs->elements, &entry, HASH_FIND, NULL);
	if (e == NULL || e->deleted)
		CORRUPT(cs, "entry point (%u,%u) is not a live element",
				cs->meta.entry_blkno, cs->meta.entry_offno);
	if (e->level != cs->meta.entry_level)
		CORRUPT(cs, "entry point has level %d, metapage says %d",
				e->level, cs->meta.entry_level);
	if (e->level != cs->maxlevel)
		CORRUPT(cs, "entry point has level %d, but the top level is %d",
				e->level, cs->maxlevel);

	seen = palloc0(sizeof(bool) * cs->nelements);
	queue = palloc(sizeof(int64) * cs->nelements);
	seen[e->index] = true;
	queue[tail++] = e->index;
	while (head < tail)
	{
		CheckElement *cur = cs->byindex[queue[head++]];
		CheckNeighbors *n = hash_search(cs->neighbors, &cur->neighbortid, HASH_FIND, NULL);

		for (int i = 0; i < 2 * m; i++)
		{
			CheckElement *t;

			if (!ItemPointerIsValid(&n->tids[i]))
				break;
			t = hash_search(cs->elements, &n->tids[i], HASH_FIND, NULL);
			if (!seen[t->index] && !t->deleted)
			{
				seen[t->index] = true;
				queue[tail++] = t->index;
			}
		}
	}
	return tail;
}

PG_FUNCTION_INFO_V1(hnsw_index_check);

/*
 * hnsw_index_check(index regclass, heapallindexed boolean DEFAULT true,
 *		OUT elements bigint, OUT heap_tids bigint, OUT reachable bigint)
 */
Datum
hnsw_index_check(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	bool		heapallindexed = PG_GETARG_BOOL(1);
	Oid			heapoid;
	Relation	heap;
	CheckState	cs;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int64		reachable;
	MemoryContext ctx;
	MemoryContext old;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw check",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	memset(&cs, 0, sizeof(cs));

	/* the heap first, as everywhere else */
	heapoid = IndexGetRelation(indexoid, true);
	heap = OidIsValid(heapoid) ? table_open(heapoid, AccessShareLock) : NULL;
	cs.index = OpenHnswIndex(indexoid);
	if (heap == NULL || heap->rd_id != IndexGetRelation(indexoid, false))
		elog(ERROR, "could not open the table of index \"%s\"",
			 RelationGetRelationName(cs.index));
	cs.heapallindexed = heapallindexed;
	if (heapallindexed)
		HnswTidSetInit(&cs.heaptids, 1024);
	CollectTuples(&cs);
	CheckLinks(&cs);
	reachable = CheckEntryAndReach(&cs);
	if (heapallindexed)
		CheckHeap(&cs, heap);
	relation_close(cs.index, CheckLockMode());
	table_close(heap, AccessShareLock);
	MemoryContextSwitchTo(old);

	values[0] = Int64GetDatum(cs.nlive);
	values[1] = Int64GetDatum(cs.nheaptids);
	values[2] = Int64GetDatum(reachable);
	MemoryContextDelete(ctx);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(hnsw_index_stats);

/*
 * hnsw_index_stats(index regclass,
 *		OUT elements bigint, OUT heap_tids bigint, OUT levels int,
 *		OUT pages bigint, OUT avg_degree float8[], OUT bytes_per_vector float8,
 *		OUT m int, OUT ef_construction int, OUT dimensions int)
 *
 * avg_degree[l + 1] is the mean number of links of elements on layer l.
 */
Datum
hnsw_index_stats(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	CheckState	cs;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {false};
	Datum	   *degrees;
	int			nlevels;
	MemoryContext ctx;
	MemoryContext old;
	ArrayType  *arr;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw stats",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	memset(&cs, 0, sizeof(cs));
	cs.index = OpenHnswIndex(indexoid);
	CollectTuples(&cs);
	CheckLinks(&cs);
	relation_close(cs.index, CheckLockMode());
	MemoryContextSwitchTo(old);

	nlevels = cs.maxlevel + 1;
	degrees = palloc(sizeof(Datum) * Max(nlevels, 1));
	for (int l = 0; l < nlevels; l++)
		degrees[l] = Float8GetDatum(cs.nodes_per_level[l] > 0 ?
									(double) cs.links_per_level[l] / cs.nodes_per_level[l] : 0);
	arr = construct_array(degrees, nlevels, FLOAT8OID, sizeof(float8),
						  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);

	values[0] = Int64GetDatum(cs.nlive);
	values[1] = Int64GetDatum(cs.nheaptids);
	values[2] = Int32GetDatum(nlevels);
	values[3] = Int64GetDatum(cs.nblocks);
	values[4] = PointerGetDatum(arr);
	if (cs.nlive > 0)
		values[5] = Float8GetDatum((double) cs.nblocks * BLCKSZ / cs.nlive);
	else
		nulls[5] = true;
	values[6] = Int32GetDatum(cs.meta.m);
	values[7] = Int32GetDatum(cs.meta.ef_construction);
	values[8] = Int32GetDatum(cs.meta.dimensions);
	MemoryContextDelete(ctx);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

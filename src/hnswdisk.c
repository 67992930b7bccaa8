/*-------------------------------------------------------------------------
 *
 * hnswdisk.c
 *	  The on-disk graph: HnswGraphOps over the pages of an index, shared by
 *	  inserts, scans and vacuum, and distances computed on the pages.
 *
 * IDENTIFICATION
 *	  src/hnswdisk.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/relation.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/* ---------------------------------------------------------------------
 * The on-disk graph (HnswGraphOps)
 *
 * A candidate's ref is its element TID, its aux the TID of its neighbour
 * tuple.  Each page is read under a share lock that is released before the
 * next page is locked, so no two buffer locks are ever held at once.
 * ---------------------------------------------------------------------
 */
static bool
DiskVisit(void *ctx, uint64 ref)
{
	HnswDiskGraph *g = ctx;

	return !HnswTidSetAdd(&g->visited, ref);
}

static void
DiskResetVisited(void *ctx)
{
	HnswDiskGraph *g = ctx;

	HnswTidSetClear(&g->visited);
}

static void
DiskSkipped(void *ctx, int n)
{
	HnswDiskGraph *g = ctx;

	g->nskipped += n;
}

/*
 * The neighbours of c on layer lc.  c->aux is the neighbour tuple's TID,
 * read from c's element tuple (c->ref): it and every list entry are
 * checked before they are followed (hnsw_page.h); an element whose level
 * is now below lc (its space was reused) has none.
 *
 * With codes (g->cq), the layer-0 neighbours not visited yet get the lower
 * bound of their distance estimated from their codes, on the page, and the
 * flag HNSW_CAND_ESTIMATE.  The codes are relative to c, whose exact
 * distance c->dist is known (a candidate is expanded only once it is).
 */
static int
DiskUnvisitedNeighbors(void *ctx, const HnswCandidate *c, int lc,
					   HnswCandidate *out)
{
	HnswDiskGraph *g = ctx;
	HnswPageLimits lim;
	ItemPointerData ntid;
	ItemPointerData tids[2 * HNSW_MAX_M];
	Buffer		buf;
	Page		page;
	HnswNeighborTuple ntup;
	BlockNumber nblk;
	OffsetNumber noff;
	int			n = 0;
	int			nout = 0;

	if (c->aux == 0)
		return 0;				/* no element read (not an element) */
	HnswGetPageLimits(g->index, &lim);
	HnswRefToTid(c->aux, &ntid);
	if (unlikely(!HnswCheckTid(&lim, &ntid, (BlockNumber) (c->ref >> 16),
							   (OffsetNumber) (c->ref & 0xFFFF))))
		HnswCheckTidSlow(&lim, &ntid, (BlockNumber) (c->ref >> 16),
						 (OffsetNumber) (c->ref & 0xFFFF));
	nblk = ItemPointerGetBlockNumberNoCheck(&ntid);
	noff = ItemPointerGetOffsetNumberNoCheck(&ntid);
	if (unlikely(lim.m != g->m))
		elog(ERROR, "m of index \"%s\" changed during a search",
			 RelationGetRelationName(g->index));

	buf = HnswReadBuffer(g->index, nblk);
	g->nbuffers++;
	g->nexpanded++;
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	ntup = HnswPageGetNeighbors(&lim, page, nblk, noff);
	if (lc <= ntup->level)
	{
		int			cap;
		ItemPointer list = HnswNeighborList(&lim, ntup, lc, &cap);

		if (lc == 0 && g->cq != NULL && lim.codesize == g->cq->size)
		{
			float		esq;
			HnswCodeOwner owner;

			/* estimate the new ones from their codes, here on the page */
			memcpy(&esq, HnswNeighborOwnerSq(ntup, lim.m), sizeof(esq));
			owner = HnswCodeOwnerAt(g->cq, c->dist, esq);
			for (; n < cap; n++)
			{
				uint64		ref;

				if (!HnswCheckTid(&lim, &list[n], nblk, noff))
					break;
				ref = HnswTidToRef(&list[n]);
				if (!HnswTidSetAdd(&g->visited, ref))
					continue;
				out[nout].ref = ref;
				out[nout].aux = 0;
				out[nout].flags = HNSW_CAND_ESTIMATE;
				out[nout].dist = HnswCodeLowerBound(g->cq, &owner,
													HnswNeighborCode(ntup, lim.m,
																	 lim.codesize, n));
				nout++;
			}
			UnlockReleaseBuffer(buf);
			g->nestimates += nout;
			return nout;
		}
		for (; n < cap; n++)
		{
			if (!HnswCheckTid(&lim, &list[n], nblk, noff))
				break;
			tids[n] = list[n];
		}
	}
	UnlockReleaseBuffer(buf);

	for (int i = 0; i < n; i++)
	{
		uint64		ref = HnswTidToRef(&tids[i]);

		if (HnswTidSetAdd(&g->visited, ref))
		{
			out[nout].ref = ref;
			out[nout].aux = 0;
			out[nout].flags = 0;
			nout++;
		}
	}
	return nout;
}

/*
 * The distance from a query to a CHAINED element, summed over its pieces
 * (HnswWalkChain) without copying them: for the distances that are sums
 * over dimensions of float4 or half values.  If a piece does not end on a
 * dimension (never, as written: heads and parts are multiples of 4 bytes),
 * the value is copied and the distance computed on the copy instead.
 */
typedef struct PieceSum
{
	const HnswDistance *dist;
	const char *query;
	double		sum;
	bool		odd;			/* a piece did not end on a dimension */
} PieceSum;

static void
SumPiece(void *arg, const char *data, Size pos, Size n)
{
	PieceSum   *ps = arg;
	const HnswDistance *d = ps->dist;
	int			width = d->vkind == HNSW_VALUE_HALF ? 2 : 4;

	if (ps->odd || pos % width != 0 || n % width != 0)
	{
		ps->odd = true;
		return;
	}
	if (width == 4)
		ps->sum += d->fn((const float *) (ps->query + pos), (const float *) data,
						 n / 4);
	else
		ps->sum += d->hfn((const uint16 *) (ps->query + pos), (const uint16 *) data,
						  n / 2);
}

/* Is the distance a sum over dimensions of float4 or half values? */
static inline bool
DistIsSum(const HnswDistance *d)
{
	switch (d->kind)
	{
		case HNSW_DIST_L2SQ:
		case HNSW_DIST_NEG_DOT:
		case HNSW_DIST_L1:
		case HNSW_DIST_HALF_L2SQ:
		case HNSW_DIST_HALF_NEG_DOT:
		case HNSW_DIST_HALF_L1:
			return true;
		default:
			return false;
	}
}

/* The distance to a CHAINED element through a copy of its value */
static float
CopiedDistance(HnswDiskGraph *g, HnswPageLimits *lim, HnswElementTuple etup,
			   BlockNumber blk, OffsetNumber off, const Buffer *held, int nheld)
{
	const char *value;

	if (g->valuebuf == NULL)
		g->valuebuf = MemoryContextAlloc(g->cxt, lim->maxvsize);
	value = HnswElementValueIn(lim, etup, blk, off, g->valuebuf, held, nheld);
	if (g->densequery)
		return HnswDistDense(g->dist, g->densequery, value);
	return HnswDist(g->dist, g->query, value);
}

static float
ChainedDistance(HnswDiskGraph *g, HnswPageLimits *lim, HnswElementTuple etup,
				BlockNumber blk, OffsetNumber off, const Buffer *held, int nheld)
{
	PieceSum	ps;
	float		r;

	if (g->densequery || !DistIsSum(g->dist))
		return CopiedDistance(g, lim, etup, blk, off, held, nheld);
	ps.dist = g->dist;
	ps.query = g->query;
	ps.sum = 0;
	ps.odd = false;
	HnswWalkChain(lim, etup, blk, off, held, nheld, SumPiece, &ps);
	if (ps.odd)
		return CopiedDistance(g, lim, etup, blk, off, held, nheld);
	r = (float) ps.sum;
	if (g->dist->kind == HNSW_DIST_NEG_DOT || g->dist->kind == HNSW_DIST_HALF_NEG_DOT)
		r = -r;
	return unlikely(isnan(r)) ? INFINITY : r;
}

/* Fill in dist, aux and flags of c from a checked element tuple */
static inline void
DiskElementDistance(HnswDiskGraph *g, HnswPageLimits *lim,
					HnswElementTuple etup, BlockNumber blk, OffsetNumber off,
					const Buffer *held, int nheld, HnswCandidate *c)
{
	bool		live = false;

	if (etup->state != HNSW_ELEMENT_LIVE && !g->skipdead)
	{
		c->dist = INFINITY;
		c->flags = HNSW_CAND_ABSENT;
		return;
	}
	if (unlikely(etup->flags & HNSW_ELEMENT_CHAINED))
		c->dist = ChainedDistance(g, lim, etup, blk, off, held, nheld);
	else if (g->densequery)
		c->dist = HnswDistDense(g->dist, g->densequery, etup->value);
	else
		c->dist = HnswDist(g->dist, g->query, etup->value);
	c->aux = HnswTidToRef(&etup->neighbortid);
	g->ndistances++;
	if (!g->skipdead)
	{
		c->flags = 0;
		return;
	}

	/*
	 * A scan walks through elements that vacuum has detached, as it does
	 * through those without live rows: one it found before vacuum repaired
	 * the lists may be its only way on.  Their lists still hold valid TIDs.
	 */
	if (etup->state != HNSW_ELEMENT_LIVE)
	{
		c->flags = HNSW_CAND_SKIP_RESULT;
		return;
	}
	for (int i = 0; i < HNSW_HEAPTIDS; i++)
	{
		if (ItemPointerIsValid(&etup->heaptids[i]))
		{
			live = true;
			break;
		}
	}
	c->flags = live ? 0 : HNSW_CAND_SKIP_RESULT;
}

/* Most pages DiskDistances keeps pinned and share-locked at once */
#define HNSW_BATCH_PAGES	6

/*
 * Compute the distances of a batch of candidates.  The batch is sorted by
 * TID, and handled in groups of up to HNSW_BATCH_PAGES pages: first every
 * page is pinned and its header and line pointers prefetched, then the
 * pages are share-locked in ascending block order and the tuples
 * prefetched, and only then are distances computed.  This overlaps the
 * cache misses of the whole group instead of taking them one by one.
 *
 * Holding several share locks is safe because every writer holds at most
 * one buffer lock at a time (see src/README.md).
 */
static void
DiskDistances(void *ctx, HnswCandidate *cands, int n)
{
	HnswDiskGraph *g = ctx;
	HnswPageLimits lim;
	int			done = 0;

	HnswGetPageLimits(g->index, &lim);

	/* order by TID (insertion sort, n <= 2m) */
	for (int i = 1; i < n; i++)
	{
		HnswCandidate t = cands[i];
		int			j = i - 1;

		while (j >= 0 && cands[j].ref > t.ref)
		{
			cands[j + 1] = cands[j];
			j--;
		}
		cands[j + 1] = t;
	}

	while (done < n)
	{
		Buffer		bufs[2 * HNSW_BATCH_PAGES];
		Page		pages[HNSW_BATCH_PAGES];
		ItemId		iids[2 * HNSW_MAX_M];
		HnswElementTuple etups[2 * HNSW_MAX_M];
		int			bufidx[2 * HNSW_MAX_M];
		int			nbufs = 0;
		int			nheld;
		int			end;

		/* pin pages; prefetch page headers and line pointers */
		for (end = done; end < n; end++)
		{
			BlockNumber blk = (BlockNumber) (cands[end].ref >> 16);
			OffsetNumber off = (OffsetNumber) (cands[end].ref & 0xFFFF);

			if (nbufs == 0 || BufferGetBlockNumber(bufs[nbufs - 1]) != blk)
			{
				if (nbufs == HNSW_BATCH_PAGES)
					break;
				bufs[nbufs] = HnswReadBuffer(g->index, blk);
				g->nbuffers++;
				pages[nbufs] = BufferGetPage(bufs[nbufs]);
				__builtin_prefetch(pages[nbufs]);
				nbufs++;
			}
			bufidx[end - done] = nbufs - 1;
			if (off >= FirstOffsetNumber)
				__builtin_prefetch(PageGetItemId(pages[nbufs - 1], off));
		}

		/*
		 * Lock in block order; check the line pointers and prefetch the
		 * tuples.  Nothing in a tuple is read before all are prefetched.
		 */
		for (int b = 0; b < nbufs; b++)
			LockBuffer(bufs[b], BUFFER_LOCK_SHARE);
		for (int i = done; i < end; i++)
		{
			ItemId		iid;
			Pointer		tup;

			iid = HnswPageGetItemIdChecked(&lim, pages[bufidx[i - done]],
										   (BlockNumber) (cands[i].ref >> 16),
										   (OffsetNumber) (cands[i].ref & 0xFFFF));
			iids[i - done] = iid;
			tup = PageGetItem(pages[bufidx[i - done]], iid);
			for (Size o = 0; o < ItemIdGetLength(iid); o += 64)
				__builtin_prefetch(tup + o);
		}

		/*
		 * Check the elements.  The pages of the first parts of chained
		 * values that the batch does not hold are pinned, prefetched and
		 * share-locked too (up to HNSW_BATCH_PAGES more), so that their
		 * misses overlap as well and a page two elements need is locked
		 * once.
		 */
		nheld = nbufs;
		for (int i = done; i < end; i++)
		{
			BlockNumber blk = (BlockNumber) (cands[i].ref >> 16);
			OffsetNumber off = (OffsetNumber) (cands[i].ref & 0xFFFF);
			HnswElementTuple etup;
			ItemPointer vtid;
			BlockNumber vblk;
			bool		have = false;

			etup = HnswCheckElement(&lim, pages[bufidx[i - done]],
									iids[i - done], blk, off);
			/* becomes c->aux, which inserts follow to add back-links */
			if (unlikely(!HnswCheckTid(&lim, &etup->neighbortid, blk, off)))
				HnswCheckTidSlow(&lim, &etup->neighbortid, blk, off);
			etups[i - done] = etup;
			if (likely(!(etup->flags & HNSW_ELEMENT_CHAINED)) ||
				nheld == nbufs + HNSW_BATCH_PAGES ||
				(etup->state != HNSW_ELEMENT_LIVE && !g->skipdead))
				continue;
			vtid = &HnswElementChain(etup)->valuetid;
			if (!HnswCheckTid(&lim, vtid, blk, off))
				continue;		/* HnswElementValueIn reports it */
			vblk = ItemPointerGetBlockNumber(vtid);
			for (int b = 0; b < nheld && !have; b++)
				have = BufferGetBlockNumber(bufs[b]) == vblk;
			if (!have)
			{
				bufs[nheld] = HnswReadBuffer(g->index, vblk);
				g->nbuffers++;
				__builtin_prefetch(BufferGetPage(bufs[nheld]));
				nheld++;
			}
		}
		for (int b = nbufs; b < nheld; b++)
			LockBuffer(bufs[b], BUFFER_LOCK_SHARE);
		for (int i = done; i < end && nheld > nbufs; i++)
		{
			ItemPointer vtid;
			Page		vpage = NULL;

			if (!(etups[i - done]->flags & HNSW_ELEMENT_CHAINED))
				continue;
			vtid = &HnswElementChain(etups[i - done])->valuetid;
			for (int b = 0; b < nheld && vpage == NULL; b++)
				if (BufferGetBlockNumber(bufs[b]) == ItemPointerGetBlockNumberNoCheck(vtid))
					vpage = BufferGetPage(bufs[b]);
			if (vpage != NULL &&
				ItemPointerGetOffsetNumberNoCheck(vtid) >= FirstOffsetNumber &&
				ItemPointerGetOffsetNumberNoCheck(vtid) <= PageGetMaxOffsetNumber(vpage))
			{
				ItemId		viid = PageGetItemId(vpage, ItemPointerGetOffsetNumberNoCheck(vtid));
				Pointer		vt = (Pointer) vpage + ItemIdGetOffset(viid);

				/* a hint only: the tuple is checked when it is read */
				for (Size o = 0; o < ItemIdGetLength(viid) && ItemIdGetOffset(viid) + o < BLCKSZ; o += 64)
					__builtin_prefetch(vt + o);
			}
		}

		for (int i = done; i < end; i++)
			DiskElementDistance(g, &lim, etups[i - done],
								(BlockNumber) (cands[i].ref >> 16),
								(OffsetNumber) (cands[i].ref & 0xFFFF),
								bufs, nheld, &cands[i]);

		for (int b = 0; b < nheld; b++)
			UnlockReleaseBuffer(bufs[b]);
		done = end;
	}
}

/*
 * Distances from vectors a and (if not NULL) b to the elements at tids[],
 * computed on their pages, each page share-locked once.  present[i] says
 * whether tids[i] is a live element; the distances of one that is not are
 * undefined.  The TIDs come from a list the caller read: each is checked
 * (hnsw_page.h), and one that does not name an element of the index raises
 * ERRCODE_INDEX_CORRUPTED.
 */
void
HnswDistancesTo(Relation index, HnswDistance *dist, ItemPointer tids, int n,
				const void *a, const void *b, float *da, float *db,
				bool *present)
{
	int			order[2 * HNSW_MAX_M];
	Buffer		buf = InvalidBuffer;
	BlockNumber curblk = InvalidBlockNumber;
	HnswPageLimits lim;
	char	   *valuebuf = NULL;

	if (n > 2 * HNSW_MAX_M)
		elog(ERROR, "too many elements (%d) for one list of index \"%s\"",
			 n, RelationGetRelationName(index));
	HnswGetPageLimits(index, &lim);
	for (int i = 0; i < n; i++)
	{
		if (unlikely(!HnswCheckTid(&lim, &tids[i], InvalidBlockNumber,
								   InvalidOffsetNumber)))
			HnswCheckTidSlow(&lim, &tids[i], InvalidBlockNumber,
							 InvalidOffsetNumber);
	}
	/* visit pages in block order */
	for (int i = 0; i < n; i++)
	{
		int			j = i;

		while (j > 0 && ItemPointerGetBlockNumber(&tids[order[j - 1]]) >
			   ItemPointerGetBlockNumber(&tids[i]))
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (int k = 0; k < n; k++)
	{
		int			i = order[k];
		BlockNumber blk = ItemPointerGetBlockNumber(&tids[i]);
		HnswElementTuple etup;

		if (blk != curblk)
		{
			if (BufferIsValid(buf))
				UnlockReleaseBuffer(buf);
			buf = HnswReadBuffer(index, blk);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			curblk = blk;
		}
		etup = HnswPageGetElement(&lim, BufferGetPage(buf), blk,
								  ItemPointerGetOffsetNumber(&tids[i]));
		if (etup->state != HNSW_ELEMENT_LIVE)
		{
			present[i] = false;
			da[i] = INFINITY;
			if (db)
				db[i] = INFINITY;
			continue;
		}
		present[i] = true;
		if (etup->flags & HNSW_ELEMENT_CHAINED)
		{
			const char *value;

			if (valuebuf == NULL)
				valuebuf = palloc(lim.maxvsize);
			value = HnswElementValue(&lim, etup, blk,
									 ItemPointerGetOffsetNumber(&tids[i]),
									 valuebuf);
			da[i] = HnswDist(dist, a, value);
			if (db)
				db[i] = HnswDist(dist, b, value);
			continue;
		}
		da[i] = HnswDist(dist, a, etup->value);
		if (db)
			db[i] = HnswDist(dist, b, etup->value);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
	if (valuebuf)
		pfree(valuebuf);
}

const HnswGraphOps hnsw_disk_graph_ops = {
	DiskUnvisitedNeighbors,
	DiskDistances,
	DiskVisit,
	DiskResetVisited,
	DiskSkipped
};

void
HnswDiskGraphInit(HnswDiskGraph *g, Relation index, HnswDistance *dist, int m,
				  uint32 expected)
{
	g->index = index;
	g->dist = dist;
	g->query = NULL;
	g->densequery = NULL;
	g->valuebuf = NULL;
	g->cxt = CurrentMemoryContext;
	g->m = m;
	g->cq = NULL;
	g->ndistances = 0;
	g->nexpanded = 0;
	g->nestimates = 0;
	g->nskipped = 0;
	g->nbuffers = 0;
	g->skipdead = false;
	HnswTidSetInit(&g->visited, expected);
}

/*
 * Candidate for the element at tid (normally the entry point), with its
 * distance to g->query.  Returns false if the element there is not one
 * the search may use (see DiskElementDistance).  A tid that names no
 * element of the index raises ERRCODE_INDEX_CORRUPTED.
 */
bool
HnswDiskEntryCandidate(HnswDiskGraph *g, ItemPointer tid, HnswCandidate *c)
{
	HnswPageLimits lim;

	HnswGetPageLimits(g->index, &lim);
	if (unlikely(!HnswCheckTid(&lim, tid, HNSW_METAPAGE_BLKNO, InvalidOffsetNumber)))
		HnswCheckTidSlow(&lim, tid, HNSW_METAPAGE_BLKNO, InvalidOffsetNumber);
	c->ref = HnswTidToRef(tid);
	c->aux = 0;
	c->flags = 0;
	DiskDistances(g, c, 1);
	return !(c->flags & HNSW_CAND_ABSENT);
}

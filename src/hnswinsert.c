/*-------------------------------------------------------------------------
 *
 * hnswinsert.c
 *	  Insert one vector into an hnsw index on disk (aminsert).
 *
 * The insert follows Algorithm 1 of the paper: draw a level, descend
 * greedily from the entry point to that level, then on each layer down to
 * 0 search ef_construction candidates (Algorithm 2), pick neighbours with
 * the heuristic (Algorithm 4), write the new element, and add a back-link
 * to it from every chosen neighbour, pruning a full list with the same
 * heuristic.
 *
 * Locking (see src/README.md): the insert holds the HNSW_UPDATE_LOCK page
 * lock in ShareLock mode throughout, or ExclusiveLock when its level is
 * above the entry point's, since it then moves the entry point.  It holds
 * at most one buffer lock at a time.  A back-link is computed from a copy
 * of the neighbour list read under a share lock; the list is then written
 * under an exclusive lock only if it is still the same, and recomputed
 * otherwise.
 *
 * IDENTIFICATION
 *	  src/hnswinsert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "storage/bufmgr.h"
#include "storage/freespace.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/* How often a back-link is recomputed when its list keeps changing */
#define HNSW_BACKLINK_RETRIES	16

typedef struct PairDistCtx
{
	const HnswDistance *dist;
	const float *vecs;			/* n * dim */
} PairDistCtx;

static float
PairDist(void *ctx, int i, int j)
{
	PairDistCtx *p = ctx;
	int			dim = p->dist->dim;

	return HnswDist(p->dist, p->vecs + (Size) i * dim, p->vecs + (Size) j * dim);
}

/*
 * Copy the vector of the element at tid into out.  Returns false if there
 * is no live element there.  Takes and releases a share lock.
 */
bool
HnswLoadVector(Relation index, ItemPointer tid, int dim, float *out)
{
	Buffer		buf;
	Page		page;
	OffsetNumber off = ItemPointerGetOffsetNumber(tid);
	bool		found = false;

	buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(tid));
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (off >= FirstOffsetNumber && off <= PageGetMaxOffsetNumber(page) &&
		ItemIdIsNormal(PageGetItemId(page, off)))
	{
		HnswElementTuple etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));

		if (etup->type == HNSW_ELEMENT_TUPLE && etup->deleted == HNSW_ELEMENT_LIVE)
		{
			memcpy(out, etup->vec, sizeof(float) * dim);
			found = true;
		}
	}
	UnlockReleaseBuffer(buf);
	return found;
}

/*
 * Add heaptid to the element at tid if it holds exactly vec and has a free
 * slot.  Returns true if it did.
 */
static bool
AddHeapTid(Relation index, ItemPointer tid, const float *vec, int dim,
		   ItemPointer heaptid, bool building)
{
	Buffer		buf;
	Page		page;
	HnswElementTuple etup;
	OffsetNumber off = ItemPointerGetOffsetNumber(tid);
	int			slot = -1;
	int			live = 0;
	HnswEdit	edit;

	buf = ReadBuffer(index, ItemPointerGetBlockNumber(tid));
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page) ||
		!ItemIdIsNormal(PageGetItemId(page, off)))
	{
		UnlockReleaseBuffer(buf);
		return false;
	}
	etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
	if (etup->type != HNSW_ELEMENT_TUPLE || etup->deleted != HNSW_ELEMENT_LIVE ||
		memcmp(etup->vec, vec, sizeof(float) * dim) != 0)
	{
		UnlockReleaseBuffer(buf);
		return false;
	}
	for (int i = 0; i < HNSW_HEAPTIDS; i++)
	{
		if (ItemPointerIsValid(&etup->heaptids[i]))
			live++;
		else if (slot < 0)
			slot = i;
	}
	/*
	 * An element whose heap rows are all dead keeps its place in the graph
	 * until vacuum detaches it; reviving it would hand vacuum a live row in
	 * an element it may be about to remove, so only elements with a live
	 * row take more.
	 */
	if (slot < 0 || live == 0)
	{
		UnlockReleaseBuffer(buf);
		return false;
	}

	HnswEditBegin(&edit, index, building);
	page = HnswEditRegister(&edit, buf, false);
	etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
	etup->heaptids[slot] = *heaptid;
	HnswEditFinish(&edit);
	UnlockReleaseBuffer(buf);
	return true;
}

/*
 * The block of the neighbour tuple of the last element on page blk, if it
 * is on another page: where the lone neighbour tuples of the latest inserts
 * went (see PlaceTuples).  InvalidBlockNumber if there is none.
 */
static BlockNumber
LoneNeighborPage(Page page, BlockNumber blk, BlockNumber nblocks)
{
	if (PageIsNew(page) || !(HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
		return InvalidBlockNumber;
	for (OffsetNumber off = PageGetMaxOffsetNumber(page); off >= FirstOffsetNumber; off--)
	{
		HnswElementTuple etup;
		BlockNumber nblk;

		if (!ItemIdIsNormal(PageGetItemId(page, off)))
			continue;
		etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
		if (etup->type != HNSW_ELEMENT_TUPLE)
			continue;
		nblk = ItemPointerGetBlockNumberNoCheck(&etup->neighbortid);
		if (nblk == blk || nblk == HNSW_METAPAGE_BLKNO || nblk >= nblocks)
			return InvalidBlockNumber;
		return nblk;
	}
	return InvalidBlockNumber;
}

/*
 * Pin and exclusive-lock block blkno if it is a data page with need bytes
 * free (a line pointer included); otherwise release it and return
 * InvalidBuffer.
 */
static Buffer
LockPageWithRoom(Relation index, BlockNumber blkno, Size need,
				 BlockNumber nblocks, BlockNumber *lonenbr)
{
	Buffer		buf = ReadBuffer(index, blkno);
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	if (!PageIsNew(page) && (HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA) &&
		PageGetFreeSpace(page) >= need)
		return buf;
	if (lonenbr)
		*lonenbr = LoneNeighborPage(page, blkno, nblocks);
	UnlockReleaseBuffer(buf);
	return InvalidBuffer;
}

/*
 * Put tuple(s) on a page with room, in one WAL record.  With two tuples (an
 * element and its neighbour tuple) both go on the same page and the
 * element's neighbortid is set to the neighbour tuple's TID.  Returns the
 * TID of the first tuple in *tid1 (and of the second in *tid2).
 *
 * The page is the last page of the index if it has room.  A lone neighbour
 * tuple, of an element too big to share a page with it, may else go on the
 * page of the neighbour tuple of the last element on the last page: the
 * lone neighbour tuples of consecutive inserts so fill a page together,
 * while their elements take a page each.  Else the tuples go on a new page.
 * One buffer lock is held at a time.
 */
static void
PlaceTuples(Relation index, Pointer tup1, Size size1, Pointer tup2, Size size2,
			bool building, ItemPointer tid1, ItemPointer tid2)
{
	Size		need = MAXALIGN(size1) + (tup2 ? MAXALIGN(size2) + sizeof(ItemIdData) : 0);
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	bool		lone = tup2 == NULL && *(uint8 *) tup1 == HNSW_NEIGHBOR_TUPLE;
	BlockNumber lonenbr = InvalidBlockNumber;
	Buffer		buf = InvalidBuffer;
	bool		isnew = false;
	Page		page;
	OffsetNumber off;
	HnswEdit	edit;

	if (nblocks > 1)
		buf = LockPageWithRoom(index, nblocks - 1, need, nblocks,
							   lone ? &lonenbr : NULL);
	if (!BufferIsValid(buf) && BlockNumberIsValid(lonenbr))
		buf = LockPageWithRoom(index, lonenbr, need, nblocks, NULL);
	if (!BufferIsValid(buf))
	{
		buf = HnswNewBuffer(index);
		isnew = true;
	}

	HnswEditBegin(&edit, index, building);
	page = HnswEditRegister(&edit, buf, isnew);
	if (isnew)
		HnswInitPage(page, HNSW_PAGE_DATA);

	off = OffsetNumberNext(PageGetMaxOffsetNumber(page));
	if (tup2)
	{
		HnswElementTuple etup = (HnswElementTuple) tup1;

		Assert(etup->type == HNSW_ELEMENT_TUPLE);
		ItemPointerSet(&etup->neighbortid, BufferGetBlockNumber(buf),
					   OffsetNumberNext(off));
	}
	if (PageAddItem(page, (Item) tup1, size1, off, false, false) != off)
		elog(ERROR, "failed to add tuple to index \"%s\"",
			 RelationGetRelationName(index));
	ItemPointerSet(tid1, BufferGetBlockNumber(buf), off);
	if (tup2)
	{
		off = OffsetNumberNext(off);
		if (PageAddItem(page, (Item) tup2, size2, off, false, false) != off)
			elog(ERROR, "failed to add tuple to index \"%s\"",
				 RelationGetRelationName(index));
		ItemPointerSet(tid2, BufferGetBlockNumber(buf), off);
	}
	HnswEditFinish(&edit);
	UnlockReleaseBuffer(buf);
}

/*
 * The highest level of a new element that can take the place of the
 * REUSABLE element at off on page blk and of its neighbour tuple, or -1 if
 * there is no REUSABLE element there.  Any element fits the element's slot
 * (all elements of an index have the same size); the level depends on the
 * length of the neighbour tuple.  When that is on the same page its length
 * is read.  When it is on another page (an element too big to share a page
 * with it), it is at least what the element's level needs (a neighbour
 * tuple never changes length, and an element only takes one long enough
 * for its level), so the element's level is the answer without reading
 * that page.  (A higher element can still take the element's slot, with a
 * new neighbour tuple: see ReuseSpace.)
 */
int
HnswReusableLevel(Page page, BlockNumber blk, OffsetNumber off, int m)
{
	HnswElementTuple etup;
	OffsetNumber noff;
	Size		len;
	int			maxlevel = HnswMaxLevel(m);
	int			level = -1;

	if (!ItemIdIsNormal(PageGetItemId(page, off)))
		return -1;
	etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
	if (etup->type != HNSW_ELEMENT_TUPLE || etup->deleted != HNSW_ELEMENT_REUSABLE)
		return -1;
	if (ItemPointerGetBlockNumberNoCheck(&etup->neighbortid) != blk)
		return Min((int) etup->level, maxlevel);
	noff = ItemPointerGetOffsetNumberNoCheck(&etup->neighbortid);
	if (noff < FirstOffsetNumber || noff > PageGetMaxOffsetNumber(page) ||
		!ItemIdIsNormal(PageGetItemId(page, noff)))
		return -1;
	len = ItemIdGetLength(PageGetItemId(page, noff));
	while (level < maxlevel && HNSW_NEIGHBOR_TUPLE_SIZE(level + 1, m) <= len)
		level++;
	return level;
}

/*
 * What page blk offers for reuse, in the unit of its free space map entry:
 * HnswReuseAmount() of the highest level one of its REUSABLE elements can
 * take, or 0.  The page is locked by the caller.  Vacuum records this when
 * it makes elements REUSABLE, and an insert when it has taken one.
 */
Size
HnswPageReuseOffer(Page page, BlockNumber blk, int m)
{
	int			best = -1;

	if (PageIsNew(page) || !(HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
		return 0;
	for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
		best = Max(best, HnswReusableLevel(page, blk, off, m));
	return best < 0 ? 0 : HnswReuseAmount(best);
}

/*
 * Overwrite, in one WAL record, the tuple at tid with tup (size bytes; the
 * rest of a longer item is zeroed).  The item must be a tuple of the given
 * type, long enough, and for an element in the given state.
 */
static void
OverwriteTuple(Relation index, ItemPointer tid, Pointer tup, Size size,
			   uint8 type, uint8 state)
{
	Buffer		buf = ReadBuffer(index, ItemPointerGetBlockNumber(tid));
	OffsetNumber off = ItemPointerGetOffsetNumber(tid);
	Page		page;
	ItemId		iid;
	Pointer		item;
	HnswEdit	edit;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	if (off > PageGetMaxOffsetNumber(page) || !ItemIdIsNormal(PageGetItemId(page, off)))
		elog(ERROR, "no tuple at (%u,%u) in index \"%s\"",
			 ItemPointerGetBlockNumber(tid), off, RelationGetRelationName(index));
	iid = PageGetItemId(page, off);
	item = PageGetItem(page, iid);
	if (*(uint8 *) item != type || ItemIdGetLength(iid) < size ||
		(type == HNSW_ELEMENT_TUPLE && ((HnswElementTuple) item)->deleted != state))
		elog(ERROR, "unexpected tuple at (%u,%u) in index \"%s\"",
			 ItemPointerGetBlockNumber(tid), off, RelationGetRelationName(index));

	HnswEditBegin(&edit, index, false);
	page = HnswEditRegister(&edit, buf, false);
	item = PageGetItem(page, PageGetItemId(page, off));
	memcpy(item, tup, size);
	memset(item + size, 0, ItemIdGetLength(iid) - size);
	HnswEditFinish(&edit);
	UnlockReleaseBuffer(buf);
}

/*
 * Try to put the new element in the place of a REUSABLE one (left by
 * VACUUM).  Returns true and the element's TID if it found a place.
 *
 * The free space map says which pages have REUSABLE elements, and for what
 * level (HnswPageReuseOffer).  We ask for a place our neighbour tuple fits
 * in (HnswReusableLevel), the tightest on the page; failing that, for any
 * REUSABLE element: we then take its element slot only, place our
 * neighbour tuple beside it if the page has room, else like that of a new
 * element (PlaceTuples), and leave the old, too short one unreferenced.  So an insert does not extend the index
 * while a REUSABLE element is left, whatever the levels.
 *
 * An element whose neighbour tuple is on the same page and long enough (or
 * added beside it) is written together with it in one WAL record.  Otherwise it takes
 * three records, one buffer lock at a time: the element is claimed,
 * REUSABLE to DELETED, so that no other insert takes it; the neighbour
 * tuple is written; the element is overwritten, LIVE.  No list points at
 * the element meanwhile; if the insert fails or crashes in between, the
 * element stays DELETED and the next vacuum makes it REUSABLE again.
 */
static bool
ReuseSpace(Relation index, HnswElementTuple etup, Size esize,
		   HnswNeighborTuple ntup, Size nsize, ItemPointer etid)
{
	int			m = HnswGetMetaM(index);
	int			level = ntup->level;

	for (int pass = 0; pass < 2; pass++)
	{
		/* pass 0: a place our neighbour tuple fits in; pass 1: any */
		Size		want = HnswReuseAmount(pass == 0 ? level : 0);
		BlockNumber blk;

		if (pass == 1 && level == 0)
			break;
		blk = GetPageWithFreeSpace(index, want);
		for (int attempt = 0; attempt < 3 && BlockNumberIsValid(blk); attempt++)
		{
			Buffer		buf = ReadBuffer(index, blk);
			Page		page;
			OffsetNumber eoff = InvalidOffsetNumber;
			int			erank = INT_MAX;
			int			eslot = -1;
			ItemPointerData ntid;
			HnswEdit	edit;
			bool		inplace;
			bool		samepage;
			Size		offer;

			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			page = BufferGetPage(buf);
			if (!PageIsNew(page) && (HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
			{
				/*
				 * Best: the slot with the fewest levels to spare; else the
				 * one with the shortest neighbour tuple, which is lost.
				 */
				for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
				{
					int			slot = HnswReusableLevel(page, blk, off, m);
					int			rank;

					if (slot < 0)
						continue;
					rank = slot >= level ? slot - level : HNSW_MAX_LEVEL + 1 + slot;
					if (rank < erank)
					{
						eoff = off;
						erank = rank;
						eslot = slot;
					}
				}
			}
			if (eoff == InvalidOffsetNumber)
			{
				offer = HnswPageReuseOffer(page, blk, m);
				UnlockReleaseBuffer(buf);
				blk = RecordAndGetPageWithFreeSpace(index, blk, offer, want);
				continue;
			}

			ntid = ((HnswElementTuple) PageGetItem(page, PageGetItemId(page, eoff)))->neighbortid;
			inplace = eslot >= level;
			samepage = ItemPointerGetBlockNumber(&ntid) == blk;

			/* too short, but room for a new one beside the element */
			if (!inplace && PageGetFreeSpace(page) >= MAXALIGN(nsize))
			{
				ItemPointerSet(&ntid, blk, OffsetNumberNext(PageGetMaxOffsetNumber(page)));
				inplace = samepage = true;
			}
			etup->neighbortid = ntid;

			HnswEditBegin(&edit, index, false);
			page = HnswEditRegister(&edit, buf, false);
			if (inplace && samepage)
			{
				OffsetNumber noff = ItemPointerGetOffsetNumber(&ntid);
				Pointer		nitem;
				Size		nlen;

				if (noff > PageGetMaxOffsetNumber(page) &&
					PageAddItem(page, (Item) ntup, nsize, noff, false, false) != noff)
					elog(ERROR, "failed to add tuple to index \"%s\"",
						 RelationGetRelationName(index));
				nitem = PageGetItem(page, PageGetItemId(page, noff));
				nlen = ItemIdGetLength(PageGetItemId(page, noff));
				memcpy(PageGetItem(page, PageGetItemId(page, eoff)), etup, esize);
				memcpy(nitem, ntup, nsize);
				memset(nitem + nsize, 0, nlen - nsize);
			}
			else
				((HnswElementTuple) PageGetItem(page, PageGetItemId(page, eoff)))->deleted =
					HNSW_ELEMENT_DELETED;
			HnswEditFinish(&edit);
			offer = HnswPageReuseOffer(BufferGetPage(buf), blk, m);
			UnlockReleaseBuffer(buf);
			RecordPageWithFreeSpace(index, blk, offer);
			ItemPointerSet(etid, blk, eoff);

			if (inplace && samepage)
				return true;
			if (inplace)
				OverwriteTuple(index, &ntid, (Pointer) ntup, nsize,
							   HNSW_NEIGHBOR_TUPLE, 0);
			else
			{
				PlaceTuples(index, (Pointer) ntup, nsize, NULL, 0, false, &ntid, NULL);
				etup->neighbortid = ntid;
			}
			OverwriteTuple(index, etid, (Pointer) etup, esize,
						   HNSW_ELEMENT_TUPLE, HNSW_ELEMENT_DELETED);
			return true;
		}
	}
	return false;
}

/*
 * Write a new element and its neighbour tuple: in reusable space if there
 * is some, else at the end of the index (PlaceTuples).  Returns the
 * element's TID.
 */
static void
WriteElement(Relation index, HnswElementTuple etup, Size esize,
			 HnswNeighborTuple ntup, Size nsize, bool building,
			 ItemPointer etid)
{
	ItemPointerData ntid;

	if (!building && ReuseSpace(index, etup, esize, ntup, nsize, etid))
		return;

	if (MAXALIGN(esize) + sizeof(ItemIdData) + MAXALIGN(nsize) <= HNSW_PAGE_CAPACITY)
		PlaceTuples(index, (Pointer) etup, esize, (Pointer) ntup, nsize,
					building, etid, &ntid);
	else
	{
		/*
		 * Too big for one page together: the neighbour tuple first, where
		 * lone neighbour tuples gather, then the element, which takes most
		 * of a page.  A crash in between leaves an unreferenced neighbour
		 * tuple, which is harmless.
		 */
		PlaceTuples(index, (Pointer) ntup, nsize, NULL, 0, building, &ntid, NULL);
		etup->neighbortid = ntid;
		PlaceTuples(index, (Pointer) etup, esize, NULL, 0, building, etid, NULL);
	}
}

/*
 * A change to one neighbour list: whose list, what it held when it was
 * read, and what it is to hold.
 */
typedef struct ListUpdate
{
	ItemPointerData etid;		/* the element */
	ItemPointerData ntid;		/* its neighbour tuple */
	int			lc;				/* the layer */
	bool		dirty;			/* newlist differs from old */
	uint8		oldngood;		/* good entries in old */
	uint8		newngood;		/* good entries in newlist */
	float		newdist;		/* distance of the element being added */
	int			nevicted;		/* live members newlist leaves out */
	ItemPointerData evicted[2];
	int			nnew;
	ItemPointerData old[2 * HNSW_MAX_M];	/* the slots as read */
	ItemPointerData newlist[2 * HNSW_MAX_M];
} ListUpdate;

/* The neighbour tuple of u on page, if it still has layer u->lc */
static HnswNeighborTuple
ListTuple(Page page, ListUpdate *u)
{
	OffsetNumber off = ItemPointerGetOffsetNumber(&u->ntid);
	HnswNeighborTuple ntup;

	if (off > PageGetMaxOffsetNumber(page) || !ItemIdIsNormal(PageGetItemId(page, off)))
		return NULL;
	ntup = (HnswNeighborTuple) PageGetItem(page, PageGetItemId(page, off));
	if (ntup->type != HNSW_NEIGHBOR_TUPLE || ntup->level < u->lc)
		return NULL;
	return ntup;
}

/* Copy the list of u from page (locked by the caller) into u->old */
static bool
ReadList(Page page, ListUpdate *u, int m)
{
	HnswNeighborTuple ntup = ListTuple(page, u);

	if (ntup == NULL)
		return false;
	memcpy(u->old, &ntup->tids[HNSW_LAYER_START(u->lc, m)],
		   sizeof(ItemPointerData) * HNSW_LAYER_CAPACITY(u->lc, m));
	u->oldngood = HnswNeighborGood(ntup)[u->lc];
	return true;
}

static inline bool
TidEq(const ItemPointerData *a, const ItemPointerData *b)
{
	return a->ip_posid == b->ip_posid &&
		a->ip_blkid.bi_lo == b->ip_blkid.bi_lo &&
		a->ip_blkid.bi_hi == b->ip_blkid.bi_hi;
}

/*
 * The slots for u->newlist with as few changed from u->old as possible: a
 * list keeps its good members in front, but the order within the good
 * members and within the others does not matter, so a member that stays
 * in its part keeps its slot, and the others fill the slots left free.  A
 * generic WAL record holds the bytes that changed, so this keeps the WAL of
 * a list that takes one member to a slot or two, where writing the list in
 * distance order would shift every member behind the new one.
 */
static void
ArrangeSlots(const ListUpdate *u, int cap, ItemPointerData *slots)
{
	bool		placed[2 * HNSW_MAX_M];
	bool		filled[2 * HNSW_MAX_M];

	memset(placed, 0, sizeof(placed));
	memset(filled, 0, sizeof(filled));
	for (int i = 0; i < u->nnew; i++)
	{
		int			lo = i < u->newngood ? 0 : u->newngood;
		int			hi = i < u->newngood ? u->newngood : u->nnew;

		for (int j = lo; j < hi; j++)
		{
			if (!placed[j] && TidEq(&u->newlist[j], &u->old[i]))
			{
				slots[i] = u->newlist[j];
				placed[j] = filled[i] = true;
				break;
			}
		}
	}
	for (int part = 0; part < 2; part++)
	{
		int			lo = part == 0 ? 0 : u->newngood;
		int			hi = part == 0 ? u->newngood : u->nnew;
		int			j = lo;

		for (int i = lo; i < hi; i++)
		{
			if (filled[i])
				continue;
			while (placed[j])
				j++;
			slots[i] = u->newlist[j];
			placed[j] = true;
		}
	}
	for (int i = u->nnew; i < cap; i++)
		ItemPointerSetInvalid(&slots[i]);
}

/*
 * Write u->newlist to page (exclusively locked and registered by the
 * caller) if the list still holds u->old.  Returns false if it changed.
 */
static bool
ApplyList(Page page, ListUpdate *u, int m)
{
	HnswNeighborTuple ntup = ListTuple(page, u);
	int			start = HNSW_LAYER_START(u->lc, m);
	int			cap = HNSW_LAYER_CAPACITY(u->lc, m);

	if (ntup == NULL)
		return true;			/* nothing to do any more */
	if (memcmp(u->old, &ntup->tids[start], sizeof(ItemPointerData) * cap) != 0 ||
		HnswNeighborGood(ntup)[u->lc] != u->oldngood)
		return false;
	ArrangeSlots(u, cap, &ntup->tids[start]);
	HnswNeighborGood(ntup)[u->lc] = u->newngood;
	return true;
}

static inline bool
TidIn(ItemPointer tid, ItemPointerData *tids, int n)
{
	for (int i = 0; i < n; i++)
		if (TidEq(tid, &tids[i]))
			return true;
	return false;
}

/*
 * Add one new element (newtid, with vector newvec at distance newdist from
 * the list's owner) to the list of u: the update of Algorithm 1, shrinking
 * a full list as Algorithm 4 with keepPrunedConnections would, done
 * incrementally from the list's good/pruned split.
 *
 * The distances of the members to the owner, and of the good ones to the
 * new element, are computed on their pages (no copies, no pairwise
 * distances).  The new element is good unless a good member closer to the
 * owner is closer to it than the owner is; if it is good, it demotes the
 * good members further from the owner that are closer to it than to the
 * owner.  (A full re-run could also promote members those demoted ones had
 * pruned; this does not.)  The list is then the good members, then the
 * others by distance, up to its capacity (u->newlist is in that order;
 * on the page, ApplyList moves as few members as it can).  Members that
 * are no longer live elements drop out.
 */
static void
AddToList(Relation index, HnswDistance *dist, int m, ListUpdate *u,
		  ItemPointer newtid, const float *newvec, float newdist, bool force,
		  float **evecp)
{
	int			dim = dist->dim;
	int			cap = HNSW_LAYER_CAPACITY(u->lc, m);
	int			count = 0;
	float		downer[2 * HNSW_MAX_M];
	float		dnew[2 * HNSW_MAX_M];
	bool		good[2 * HNSW_MAX_M + 1];
	bool		present[2 * HNSW_MAX_M];
	bool		newgood = true;
	int			order[2 * HNSW_MAX_M + 1];
	float		key[2 * HNSW_MAX_M + 1];
	int			n = 0;
	int			ngood = 0;
	bool		same;

	u->dirty = false;
	u->nevicted = 0;
	while (count < cap && ItemPointerIsValid(&u->old[count]))
	{
		if (TidEq(&u->old[count], newtid))
			return;				/* already linked */
		count++;
	}

	if (*evecp == NULL)
	{
		*evecp = palloc(sizeof(float) * dim);
		if (!HnswLoadVector(index, &u->etid, dim, *evecp))
		{
			pfree(*evecp);
			*evecp = NULL;
			return;				/* the owner is gone */
		}
	}
	HnswDistancesTo(index, dist, u->old, count, *evecp, newvec, downer, dnew,
					present);

	for (int i = 0; i < count; i++)
		good[i] = i < u->oldngood;

	/* is the new element good? */
	for (int i = 0; i < count && newgood; i++)
		if (good[i] && present[i] && downer[i] <= newdist && dnew[i] < newdist)
			newgood = false;
	/* it demotes the good members further out that it is closer to */
	if (newgood)
		for (int i = 0; i < count; i++)
			if (good[i] && present[i] && downer[i] > newdist && dnew[i] < downer[i])
				good[i] = false;

	/* good members first, then the others, each by distance to the owner */
	for (int i = 0; i <= count; i++)
	{
		bool		g = i < count ? good[i] : newgood;
		float		d = i < count ? downer[i] : newdist;
		int			j;

		if (i < count && !present[i])
			continue;			/* not a live element any more */
		key[n] = d;
		j = n++;
		while (j > 0)
		{
			int			prev = order[j - 1];
			bool		pg = prev < count ? good[prev] : newgood;

			if ((pg && !g) || (pg == g && key[j - 1] <= d))
				break;
			order[j] = order[j - 1];
			key[j] = key[j - 1];
			j--;
		}
		order[j] = i;
		key[j] = d;
	}
	n = Min(n, cap);

	u->nnew = 0;
	for (int j = 0; j < n; j++)
	{
		int			i = order[j];

		u->newlist[u->nnew++] = i < count ? u->old[i] : *newtid;
		if (i < count ? good[i] : newgood)
			ngood++;
	}
	u->newngood = ngood;

	/*
	 * force: the new element must get this link even if the heuristic would
	 * leave it out (it has no other way in).  It takes the place of the
	 * last member, the furthest of those the heuristic only kept to fill
	 * the list, if there is one.
	 */
	if (force && !TidIn(newtid, u->newlist, u->nnew))
	{
		if (u->nnew < cap)
			u->newlist[u->nnew++] = *newtid;
		else
		{
			u->newlist[u->nnew - 1] = *newtid;
			if (u->newngood == u->nnew)
				u->newngood--;
		}
	}

	/* the live members the new list gives up */
	u->nevicted = 0;
	for (int i = 0; i < count; i++)
		if (present[i] && !TidIn(&u->old[i], u->newlist, u->nnew) &&
			u->nevicted < lengthof(u->evicted))
			u->evicted[u->nevicted++] = u->old[i];

	/* write only if the members or the split change */
	same = (u->nnew == count && u->newngood == u->oldngood);
	for (int j = 0; j < u->nnew && same; j++)
		same = TidIn(&u->newlist[j], u->old, count);
	u->dirty = !same;
}

/*
 * Repair the list of u after VACUUM: drop its members that are in drop and
 * fill their places from the extra candidates, chosen by the heuristic
 * among themselves by distance to the owner.  The surviving members keep
 * their places and status; the new ones join as not good.  Sets u->dirty;
 * takes no lock but to load vectors.
 */
static void
RepairList(Relation index, HnswDistance *dist, int m, ListUpdate *u,
		   ItemPointerData *extra, int nextra, HnswTidSet *drop, float **evecp)
{
	int			dim = dist->dim;
	int			cap = HNSW_LAYER_CAPACITY(u->lc, m);
	int			count = 0;
	int			slots;
	HnswCandidate *cs;
	float	   *vecs;
	int		   *keep;
	int			nc = 0;
	int			nkeep;
	PairDistCtx pctx;

	u->dirty = false;
	u->nnew = 0;
	u->newngood = 0;
	while (count < cap && ItemPointerIsValid(&u->old[count]))
		count++;
	for (int i = 0; i < count; i++)
	{
		if (HnswTidSetContains(drop, HnswTidToRef(&u->old[i])))
			u->dirty = true;
		else
		{
			u->newlist[u->nnew++] = u->old[i];
			if (i < u->oldngood)
				u->newngood++;
		}
	}
	if (!u->dirty)
		return;

	/* candidates: the extras that are new, live and not the owner */
	slots = cap - u->nnew;
	if (slots == 0 || nextra == 0)
		return;
	if (*evecp == NULL)
	{
		*evecp = palloc(sizeof(float) * dim);
		if (!HnswLoadVector(index, &u->etid, dim, *evecp))
		{
			pfree(*evecp);
			*evecp = NULL;
			return;
		}
	}
	cs = palloc(sizeof(HnswCandidate) * nextra);
	vecs = palloc(sizeof(float) * dim * nextra);
	keep = palloc(sizeof(int) * nextra);
	for (int i = 0; i < nextra; i++)
	{
		float	   *v = vecs + (Size) nc * dim;

		if (TidEq(&extra[i], &u->etid) ||
			HnswTidSetContains(drop, HnswTidToRef(&extra[i])) ||
			TidIn(&extra[i], u->newlist, u->nnew) ||
			!HnswLoadVector(index, &extra[i], dim, v))
			continue;
		cs[nc].dist = HnswDist(dist, *evecp, v);
		cs[nc].ref = HnswTidToRef(&extra[i]);
		cs[nc].aux = nc;
		cs[nc].flags = 0;
		nc++;
	}
	HnswSortCandidates(cs, nc);
	{
		/* PairDist wants the vectors in sorted order */
		float	   *sorted = palloc(sizeof(float) * dim * Max(nc, 1));

		for (int i = 0; i < nc; i++)
			memcpy(sorted + (Size) i * dim, vecs + (Size) cs[i].aux * dim,
				   sizeof(float) * dim);
		pctx.dist = dist;
		pctx.vecs = sorted;
		nkeep = HnswSelectNeighbors(cs, nc, slots, HNSW_KEEP_PRUNED,
									PairDist, &pctx, keep, NULL);
		pfree(sorted);
	}
	for (int i = 0; i < nkeep; i++)
		HnswRefToTid(cs[keep[i]].ref, &u->newlist[u->nnew++]);
	pfree(cs);
	pfree(vecs);
	pfree(keep);
}

/*
 * HnswUpdateList: change the layer-lc list of the element at etid, whose
 * neighbour tuple is at ntid: with drop, repair it (RepairList) from the
 * extra candidates; without, add extra[0], whose vector is extravec and
 * distance to the element extradist (AddToList); with force, even if the
 * heuristic would not take it.
 *
 * The list is read under a share lock and written under an exclusive lock
 * only if it has not changed meanwhile; otherwise it is recomputed (up to
 * HNSW_BACKLINK_RETRIES times).  At most one buffer lock is held at any
 * time.  Returns HNSW_LIST_WRITTEN if it wrote the changed list,
 * HNSW_LIST_UNCHANGED if the list needed no change, HNSW_LIST_GONE if the
 * element has no such list any more, and HNSW_LIST_GAVE_UP if the list
 * changed under every attempt, in which case nothing was written: a
 * repair that gives up leaves the list pointing where it did.
 */
HnswListResult
HnswUpdateList(Relation index, HnswDistance *dist, int m, ItemPointer etid,
			   ItemPointer ntid, int lc, ItemPointerData *extra, int nextra,
			   const float *extravec, float extradist, HnswTidSet *drop,
			   bool force, bool building)
{
	ListUpdate	u;
	float	   *evec = NULL;
	HnswListResult result = HNSW_LIST_GAVE_UP;

	u.etid = *etid;
	u.ntid = *ntid;
	u.lc = lc;
	for (int attempt = 0; attempt < HNSW_BACKLINK_RETRIES; attempt++)
	{
		Buffer		buf;
		HnswEdit	edit;
		bool		applied;

		buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(ntid));
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		if (!ReadList(BufferGetPage(buf), &u, m))
		{
			UnlockReleaseBuffer(buf);
			result = HNSW_LIST_GONE;
			break;
		}
		UnlockReleaseBuffer(buf);

		if (drop != NULL)
			RepairList(index, dist, m, &u, extra, nextra, drop, &evec);
		else
			AddToList(index, dist, m, &u, &extra[0], extravec, extradist, force, &evec);
		if (!u.dirty)
		{
			result = HNSW_LIST_UNCHANGED;
			break;
		}

		buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(ntid));
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		HnswEditBegin(&edit, index, building);
		applied = ApplyList(HnswEditRegister(&edit, buf, false), &u, m);
		if (applied)
			HnswEditFinish(&edit);
		else
			HnswEditAbort(&edit);
		UnlockReleaseBuffer(buf);
		if (applied)
		{
			result = HNSW_LIST_WRITTEN;
			break;
		}
		/* changed under us: recompute */
	}
	if (evec)
		pfree(evec);
	return result;
}

static int
ListUpdateCmp(const void *a, const void *b)
{
	const ListUpdate *x = *(ListUpdate *const *) a;
	const ListUpdate *y = *(ListUpdate *const *) b;
	BlockNumber bx = ItemPointerGetBlockNumber(&x->ntid);
	BlockNumber by = ItemPointerGetBlockNumber(&y->ntid);

	return bx < by ? -1 : (bx > by ? 1 : 0);
}

/* Read the list of u again, under a share lock; false if it is gone */
static bool
ReadListAgain(Relation index, ListUpdate *u, int m)
{
	Buffer		buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(&u->ntid));
	bool		found;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	found = ReadList(BufferGetPage(buf), u, m);
	UnlockReleaseBuffer(buf);
	return found;
}

/*
 * Back-links, and why no insert leaves an element unreachable.
 *
 * A full list that takes the new element u gives up a member w.  If that
 * edge was w's last way in, w would be lost to every search.  So an edge
 * v -> w of layer 0 is only ever given up once u's own layer-0 list holds
 * w: the path v -> u -> w then replaces it, and every element reachable
 * before the insert still is.  The insert therefore works in this order:
 *
 * 1. PlanBacklinks reads every list that is to take u and computes its new
 *	  contents, with a stand-in TID for u (its place is not known yet).
 * 2. ComposeLayer0 puts the members the layer-0 lists give up into u's own
 *	  list, which is written with u before any back-link: u is not
 *	  reachable yet, so nobody else changes its list meanwhile.
 * 3. ApplyBacklinks writes the planned lists that are unchanged since they
 *	  were read.  A list that changed is recomputed, and on layer 0 may
 *	  then give up only a member that u's list holds (ConstrainEviction).
 *
 * Upper layers only speed up the descent, and every element is on layer
 * 0, so their lists are updated without this rule.
 */

/* Stands in for the new element's TID until it is written */
static const ItemPointerData NewPlaceholder = {{0xFFFF, 0xFFFE}, 0xFFFF};

/* The new element, as the back-link code adds it to lists */
typedef struct NewElement
{
	ItemPointerData tid;		/* its TID, or NewPlaceholder */
	const float *vec;			/* its vector */
	ItemPointerData l0[2 * HNSW_MAX_M]; /* its layer-0 list, as written */
	int			nl0;
} NewElement;

/* The back-links an insert plans, all layers */
typedef struct BacklinkPlan
{
	ListUpdate *all;
	int			n;
} BacklinkPlan;

/* How ConstrainEviction treats a member the new element's list lacks */
typedef enum EvictionRule
{
	EVICT_ANY,					/* no rule (upper layers) */
	EVICT_PREFER,				/* give up one the new element holds, among
								 * the members the heuristic did not choose,
								 * if there is one; else keep the eviction */
	EVICT_REQUIRE				/* give up one the new element holds, or
								 * none */
} EvictionRule;

/*
 * On layer 0, a list may give up a member only if the new element's list
 * holds it (ne->l0).  If the member u->newlist leaves out is not there,
 * give up instead the last member that is, and keep the other at the end.
 * Planning an insert prefers that (a member the new element holds costs
 * nothing to give up, where another must join the new element's list);
 * once the new element is written it is required.  Returns false, and
 * clears u->dirty, if under EVICT_REQUIRE no member may go.
 */
static bool
ConstrainEviction(ListUpdate *u, const NewElement *ne, EvictionRule rule)
{
	int			j;
	int			first = rule == EVICT_PREFER ? u->newngood : 0;

	if (rule == EVICT_ANY || u->nevicted == 0 ||
		(u->nevicted == 1 && TidIn(&u->evicted[0], (ItemPointer) ne->l0, ne->nl0)))
		return true;
	if (u->nevicted == 1)
	{
		for (j = u->nnew - 1; j >= first; j--)
			if (!TidEq(&u->newlist[j], &ne->tid) &&
				TidIn(&u->newlist[j], (ItemPointer) ne->l0, ne->nl0))
				break;
		if (j >= first)
		{
			ItemPointerData keep = u->evicted[0];

			u->evicted[0] = u->newlist[j];
			if (j < u->newngood)
				u->newngood--;
			memmove(&u->newlist[j], &u->newlist[j + 1],
					sizeof(ItemPointerData) * (u->nnew - j - 1));
			u->newlist[u->nnew - 1] = keep;
			return true;
		}
	}
	if (rule == EVICT_PREFER)
		return true;
	u->dirty = false;
	return false;
}

/*
 * Compute the list of u, as read, with the new element added (force: even
 * if the heuristic would not keep it), on layer 0 under the given eviction
 * rule.  Sets u->dirty.
 */
static void
ComputeBacklink(Relation index, HnswDistance *dist, int m, ListUpdate *u,
				const NewElement *ne, bool force, EvictionRule rule)
{
	float	   *evec = NULL;
	ItemPointerData newtid = ne->tid;

	AddToList(index, dist, m, u, &newtid, ne->vec, u->newdist, force, &evec);
	if (evec)
		pfree(evec);
	if (u->dirty && u->lc == 0)
		ConstrainEviction(u, ne, rule);
}

/*
 * Step 1: read the lists of the chosen neighbours, a page at a time, and
 * compute each with the new element added.
 */
static void
PlanBacklinks(Relation index, HnswDistance *dist, int m, HnswCandidate **chosen,
			  int *nchosen, int toplayer, const NewElement *ne, BacklinkPlan *plan)
{
	ListUpdate **ups;
	int			n = 0;
	int			total = 0;

	for (int lc = 0; lc <= toplayer; lc++)
		total += nchosen[lc];
	plan->all = palloc0(sizeof(ListUpdate) * Max(total, 1));
	plan->n = total;
	if (total == 0)
		return;
	ups = palloc(sizeof(ListUpdate *) * total);
	for (int lc = toplayer; lc >= 0; lc--)
	{
		for (int i = 0; i < nchosen[lc]; i++)
		{
			ListUpdate *u = &plan->all[n];

			HnswRefToTid(chosen[lc][i].ref, &u->etid);
			HnswRefToTid(chosen[lc][i].aux, &u->ntid);
			u->lc = lc;
			u->newdist = chosen[lc][i].dist;
			ups[n++] = u;
		}
	}
	qsort(ups, n, sizeof(ListUpdate *), ListUpdateCmp);

	for (int g = 0; g < n;)
	{
		BlockNumber blk = ItemPointerGetBlockNumber(&ups[g]->ntid);
		int			end = g;
		Buffer		buf;
		Page		page;

		while (end < n && ItemPointerGetBlockNumber(&ups[end]->ntid) == blk)
			end++;
		buf = HnswReadBuffer(index, blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		for (int i = g; i < end; i++)
			ups[i]->dirty = ReadList(page, ups[i], m);
		UnlockReleaseBuffer(buf);

		for (int i = g; i < end; i++)
			if (ups[i]->dirty)
				ComputeBacklink(index, dist, m, ups[i], ne, false, EVICT_PREFER);
		g = end;
	}
	pfree(ups);
}

/* Does the planned list u take the new element? */
static inline bool
TakesNew(const ListUpdate *u, const NewElement *ne)
{
	return u->dirty && TidIn((ItemPointer) &ne->tid, (ItemPointer) u->newlist, u->nnew);
}

/*
 * What the planned layer-0 lists hold before and after this insert, as
 * (member, list) pairs sorted by member: a member such a list holds is
 * reachable through the list's owner, which the new element links to.
 */
typedef struct Cover
{
	uint64		ref;			/* the member */
	int			list;			/* index in plan->all */
} Cover;

typedef struct Covers
{
	Cover	   *c;
	int			n;
} Covers;

static int
CoverCmp(const void *a, const void *b)
{
	const Cover *x = a;
	const Cover *y = b;

	if (x->ref != y->ref)
		return x->ref < y->ref ? -1 : 1;
	return x->list - y->list;
}

static void
BuildCovers(BacklinkPlan *plan, Covers *cv)
{
	cv->n = 0;
	cv->c = palloc(sizeof(Cover) * Max(plan->n, 1) * 2 * HNSW_MAX_M);
	for (int i = 0; i < plan->n; i++)
	{
		ListUpdate *x = &plan->all[i];

		if (x->lc != 0)
			continue;
		for (int j = 0; j < lengthof(x->old) && ItemPointerIsValid(&x->old[j]); j++)
		{
			if (x->dirty && !TidIn(&x->old[j], x->newlist, x->nnew))
				continue;
			cv->c[cv->n].ref = HnswTidToRef(&x->old[j]);
			cv->c[cv->n].list = i;
			cv->n++;
		}
	}
	qsort(cv->c, cv->n, sizeof(Cover), CoverCmp);
}

/* A planned list other than plan->all[not] that holds w throughout, or -1 */
static int
FindCover(const Covers *cv, ItemPointer w, int not)
{
	uint64		ref = HnswTidToRef(w);
	int			lo = 0;
	int			hi = cv->n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (cv->c[mid].ref < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < cv->n && cv->c[lo].ref == ref; lo++)
		if (cv->c[lo].list != not)
			return cv->c[lo].list;
	return -1;
}

/*
 * A planned layer-0 list gives up w, which neither the new element's chosen
 * neighbours nor their lists hold: give up instead one of its members the
 * heuristic did not choose that they do hold, if there is one.
 */
static void
PreferCoveredEviction(BacklinkPlan *plan, int i, const Covers *cv,
					  const NewElement *ne)
{
	ListUpdate *u = &plan->all[i];

	if (u->nevicted != 1 || TidIn(&u->evicted[0], (ItemPointer) ne->l0, ne->nl0) ||
		FindCover(cv, &u->evicted[0], i) >= 0)
		return;
	for (int j = u->nnew - 1; j >= u->newngood; j--)
	{
		ItemPointerData keep = u->evicted[0];

		if (TidEq(&u->newlist[j], &ne->tid) ||
			(!TidIn(&u->newlist[j], (ItemPointer) ne->l0, ne->nl0) &&
			 FindCover(cv, &u->newlist[j], i) < 0))
			continue;
		u->evicted[0] = u->newlist[j];
		memmove(&u->newlist[j], &u->newlist[j + 1],
				sizeof(ItemPointerData) * (u->nnew - j - 1));
		u->newlist[u->nnew - 1] = keep;
		return;
	}
}

/*
 * Step 2: the new element's layer-0 list.  It must hold every member that
 * a planned layer-0 list gives up for it, and the old entry point when the
 * new element takes its place (everything reachable from the old one is
 * then reachable from the new one).  Those come first; the neighbours the
 * heuristic chose good fill the rest, then the others.  A planned list
 * whose evicted member finds no room is dropped from the plan.  Writes the
 * list to ne->l0 and its good count to *ngood.
 *
 * If no layer-0 list takes the new element, its nearest neighbour's list
 * is planned again, forced to take it, first.
 */
static void
ComposeLayer0(Relation index, HnswDistance *dist, int m, BacklinkPlan *plan,
			  HnswCandidate *chosen0, int nchosen0, int ngood0,
			  ItemPointer oldentry, NewElement *ne, int *ngood)
{
	int			cap = HNSW_LAYER_CAPACITY(0, m);
	ItemPointerData req[2 * HNSW_MAX_M + 1];
	int			nreq = 0;
	bool		linked = false;
	ListUpdate *nearest = NULL;
	Covers		cv;
	int			keepgood;
	int			n = 0;

	for (int i = 0; i < plan->n; i++)
	{
		ListUpdate *u = &plan->all[i];

		if (u->lc != 0)
			continue;
		if (nearest == NULL || u->newdist < nearest->newdist)
			nearest = u;
		linked |= TakesNew(u, ne);
	}
	if (!linked && nearest != NULL && ReadListAgain(index, nearest, m))
		ComputeBacklink(index, dist, m, nearest, ne, true, EVICT_PREFER);

	/*
	 * Give up members that stay reachable another way where possible; then
	 * see what each given-up member needs: nothing more if the new element
	 * chose it, its covering list's owner if another planned list holds it
	 * throughout (the path runs v -> new -> x -> w), else itself.  The
	 * covers are computed again after the swaps, which change lists.
	 */
	BuildCovers(plan, &cv);
	for (int i = 0; i < plan->n; i++)
		if (plan->all[i].lc == 0 && plan->all[i].dirty)
			PreferCoveredEviction(plan, i, &cv, ne);
	pfree(cv.c);
	BuildCovers(plan, &cv);

	if (oldentry != NULL)
		req[nreq++] = *oldentry;
	for (int i = 0; i < plan->n; i++)
	{
		ListUpdate *u = &plan->all[i];

		if (u->lc != 0 || !u->dirty || u->nevicted == 0)
			continue;
		if (nreq + u->nevicted > cap)
		{
			u->dirty = false;	/* no room to keep what it gives up */
			continue;
		}
		for (int e = 0; e < u->nevicted; e++)
		{
			ItemPointerData keep = u->evicted[e];
			int			x = FindCover(&cv, &u->evicted[e], i);

			if (!TidIn(&keep, (ItemPointer) ne->l0, ne->nl0) && x >= 0)
				keep = plan->all[x].etid;
			if (!TidIn(&keep, req, nreq))
				req[nreq++] = keep;
		}
	}
	pfree(cv.c);

	/*
	 * The list: the chosen good neighbours (required or not, as far as room
	 * is left after the required ones), the required ones that are not
	 * among them, then the other chosen neighbours.  Every required member
	 * is kept.
	 */
	{
		ItemPointerData good[2 * HNSW_MAX_M];
		ItemPointerData rest[2 * HNSW_MAX_M];
		int			ngoodc = 0;
		int			nrest = 0;
		int			room;

		for (int i = 0; i < nchosen0; i++)
		{
			ItemPointerData t;

			HnswRefToTid(chosen0[i].ref, &t);
			if (i < ngood0)
				good[ngoodc++] = t;
			else if (!TidIn(&t, req, nreq))
				rest[nrest++] = t;
		}
		/* room for the good ones that are not required */
		room = cap - nreq;
		keepgood = 0;
		for (int i = 0; i < ngoodc; i++)
		{
			if (TidIn(&good[i], req, nreq))
				ne->l0[n++] = good[i];
			else if (room > 0)
			{
				ne->l0[n++] = good[i];
				room--;
			}
			else
				continue;
			keepgood++;
		}
		for (int i = 0; i < nreq; i++)
			if (!TidIn(&req[i], good, ngoodc))
				ne->l0[n++] = req[i];
		for (int i = 0; i < nrest && n < cap; i++)
			ne->l0[n++] = rest[i];
	}
	ne->nl0 = n;
	*ngood = keepgood;
}

/*
 * Write u->newlist if the list is unchanged since it was read; otherwise
 * recompute it (under the eviction rule on layer 0) and try again, up to
 * HNSW_BACKLINK_RETRIES times.  Returns true if the list holds the new
 * element at the end.
 */
static bool
RetryBacklink(Relation index, HnswDistance *dist, int m, ListUpdate *u,
			  const NewElement *ne, bool force, bool building)
{
	for (int attempt = 0; attempt < HNSW_BACKLINK_RETRIES; attempt++)
	{
		Buffer		buf;
		HnswEdit	edit;
		bool		applied;

		if (!ReadListAgain(index, u, m))
			return false;
		ComputeBacklink(index, dist, m, u, ne, force, EVICT_REQUIRE);
		if (!u->dirty)
			return TidIn((ItemPointer) &ne->tid, u->old, HNSW_LAYER_CAPACITY(u->lc, m));

		buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(&u->ntid));
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		HnswEditBegin(&edit, index, building);
		applied = ApplyList(HnswEditRegister(&edit, buf, false), u, m);
		if (applied)
			HnswEditFinish(&edit);
		else
			HnswEditAbort(&edit);
		UnlockReleaseBuffer(buf);
		if (applied)
			return TidIn((ItemPointer) &ne->tid, u->newlist, u->nnew);
	}
	return false;
}

/*
 * Step 3: write the planned lists, those on one page in one WAL record
 * (every record costs a comparison of the whole page).  Then, if no
 * layer-0 list holds the new element, make the nearest chosen neighbour
 * that can link to it do so regardless of the heuristic.
 */
static void
ApplyBacklinks(Relation index, HnswDistance *dist, int m, BacklinkPlan *plan,
			   HnswCandidate *chosen0, int nchosen0, const NewElement *ne,
			   bool building)
{
	ListUpdate **ups;
	int			n = 0;
	bool		linked0 = false;

	ups = palloc(sizeof(ListUpdate *) * Max(plan->n, 1));
	for (int i = 0; i < plan->n; i++)
	{
		ListUpdate *u = &plan->all[i];

		/* the stand-in becomes the real TID */
		for (int j = 0; j < u->nnew; j++)
			if (TidEq(&u->newlist[j], &NewPlaceholder))
				u->newlist[j] = ne->tid;
		if (u->dirty)
			ups[n++] = u;
	}
	qsort(ups, n, sizeof(ListUpdate *), ListUpdateCmp);

	for (int g = 0; g < n;)
	{
		BlockNumber blk = ItemPointerGetBlockNumber(&ups[g]->ntid);
		int			end = g;
		Buffer		buf;
		HnswEdit	edit;
		Page		page;
		bool		conflict[2 * HNSW_MAX_M * (HNSW_MAX_LEVEL + 1)];
		bool		anyapplied = false;

		while (end < n && ItemPointerGetBlockNumber(&ups[end]->ntid) == blk)
			end++;
		buf = HnswReadBuffer(index, blk);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		HnswEditBegin(&edit, index, building);
		page = HnswEditRegister(&edit, buf, false);
		for (int i = g; i < end; i++)
		{
			conflict[i - g] = !ApplyList(page, ups[i], m);
			anyapplied |= !conflict[i - g];
		}
		if (anyapplied)
			HnswEditFinish(&edit);
		else
			HnswEditAbort(&edit);
		UnlockReleaseBuffer(buf);

		for (int i = g; i < end; i++)
		{
			bool		has;

			if (conflict[i - g])
				has = RetryBacklink(index, dist, m, ups[i], ne, false, building);
			else
				has = TidIn((ItemPointer) &ne->tid, ups[i]->newlist, ups[i]->nnew);
			if (ups[i]->lc == 0 && has)
				linked0 = true;
		}
		g = end;
	}

	/* nobody links to it: the nearest neighbour that can must */
	for (int i = 0; i < nchosen0 && !linked0; i++)
	{
		ListUpdate	u;

		memset(&u, 0, sizeof(u));
		HnswRefToTid(chosen0[i].ref, &u.etid);
		HnswRefToTid(chosen0[i].aux, &u.ntid);
		u.lc = 0;
		u.newdist = chosen0[i].dist;
		linked0 = RetryBacklink(index, dist, m, &u, ne, true, building);
	}
	if (!linked0 && nchosen0 > 0)
		elog(DEBUG1, "index \"%s\": no list could link to element (%u,%u)",
			 RelationGetRelationName(index),
			 ItemPointerGetBlockNumber(&ne->tid),
			 ItemPointerGetOffsetNumber(&ne->tid));
	pfree(ups);
}

/*
 * HnswLinkUnreached: make the element req->from link to req->to on layer 0
 * regardless of the heuristic, for vacuum, when no search could reach "to".
 *
 * If from's list is full, the member w it gives up first joins to's own
 * list, so that the path from -> to -> w replaces the edge from -> w (see
 * "Back-links" above).  Changing to's list cuts nothing off, since no
 * reached element goes through "to"; to make room there, "to" gives up a
 * member that req->reached holds, if it has one.  Each list is read under
 * a share lock and written under an exclusive one only if unchanged, one
 * buffer lock at a time.  Returns true if from's list holds "to" at the end.
 */
bool
HnswLinkUnreached(Relation index, HnswDistance *dist, int m,
				  const HnswLinkRequest *req)
{
	int			cap = HNSW_LAYER_CAPACITY(0, m);
	NewElement	ne;

	ne.tid = req->to;
	ne.vec = req->tovec;
	for (int attempt = 0; attempt < HNSW_BACKLINK_RETRIES; attempt++)
	{
		ListUpdate	uv;
		ListUpdate	uu;
		float	   *evec = NULL;
		Buffer		buf;
		HnswEdit	edit;
		bool		applied;

		memset(&uv, 0, sizeof(uv));
		uv.etid = req->from;
		uv.ntid = req->fromlist;
		uv.lc = 0;
		uv.newdist = req->dist;
		if (!ReadListAgain(index, &uv, m))
			return false;
		AddToList(index, dist, m, &uv, &ne.tid, ne.vec, uv.newdist, true, &evec);
		if (evec)
			pfree(evec);
		if (!uv.dirty)
			return TidIn(&ne.tid, uv.old, cap);

		/*
		 * Better still, "from" gives up a member that "to" already holds,
		 * among those the heuristic did not choose: then nothing need move.
		 */
		memset(&uu, 0, sizeof(uu));
		uu.etid = req->to;
		uu.ntid = req->tolist;
		uu.lc = 0;
		if (!ReadListAgain(index, &uu, m))
			return false;
		for (ne.nl0 = 0; ne.nl0 < cap && ItemPointerIsValid(&uu.old[ne.nl0]); ne.nl0++)
			ne.l0[ne.nl0] = uu.old[ne.nl0];
		ConstrainEviction(&uv, &ne, EVICT_PREFER);

		/* what from gives up goes behind "to" first */
		for (int e = 0; e < uv.nevicted; e++)
		{
			bool		done = false;

			for (int t = 0; t < HNSW_BACKLINK_RETRIES && !done; t++)
			{
				int			count = 0;
				int			victim = -1;

				memset(&uu, 0, sizeof(uu));
				uu.etid = req->to;
				uu.ntid = req->tolist;
				uu.lc = 0;
				if (!ReadListAgain(index, &uu, m))
					return false;
				while (count < cap && ItemPointerIsValid(&uu.old[count]))
					count++;
				if (TidIn(&uv.evicted[e], uu.old, count))
					break;
				memcpy(uu.newlist, uu.old, sizeof(ItemPointerData) * count);
				uu.nnew = count;
				uu.newngood = uu.oldngood;
				if (count == cap)
				{
					for (int j = count - 1; j >= 0 && victim < 0; j--)
						if (req->reached &&
							HnswTidBitmapContains(req->reached, &uu.old[j]))
							victim = j;
					if (victim < 0)
						victim = count - 1;
					if (victim < uu.newngood)
						uu.newngood--;
					memmove(&uu.newlist[victim], &uu.newlist[victim + 1],
							sizeof(ItemPointerData) * (count - victim - 1));
					uu.nnew--;
				}
				uu.newlist[uu.nnew++] = uv.evicted[e];

				buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(&uu.ntid));
				LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
				HnswEditBegin(&edit, index, false);
				done = ApplyList(HnswEditRegister(&edit, buf, false), &uu, m);
				if (done)
					HnswEditFinish(&edit);
				else
					HnswEditAbort(&edit);
				UnlockReleaseBuffer(buf);
			}
			if (!done)
				return false;
		}

		buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(&uv.ntid));
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		HnswEditBegin(&edit, index, false);
		applied = ApplyList(HnswEditRegister(&edit, buf, false), &uv, m);
		if (applied)
			HnswEditFinish(&edit);
		else
			HnswEditAbort(&edit);
		UnlockReleaseBuffer(buf);
		if (applied)
			return TidIn(&ne.tid, uv.newlist, uv.nnew);
	}
	return false;
}

/*
 * HnswFindHighestLive: the live element with heap TIDs of the highest
 * level, other than exclude (may be NULL), by reading every page under a
 * share lock.  For an entry point that is gone: vacuum calls it holding
 * HNSW_UPDATE_LOCK in ExclusiveLock mode, so that no insert adds an element
 * it would miss; an insert after a crash.  Returns false if there is none.
 */
bool
HnswFindHighestLive(Relation index, ItemPointer exclude, ItemPointer tid,
					int *level)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	bool		found = false;

	*level = -1;
	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < nblocks; blk++)
	{
		Buffer		buf = ReadBuffer(index, blk);
		Page		page;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (!PageIsNew(page) && (HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
		{
			OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

			for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
			{
				HnswElementTuple etup;

				if (!ItemIdIsNormal(PageGetItemId(page, off)))
					continue;
				etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
				if (etup->type == HNSW_ELEMENT_TUPLE &&
					etup->deleted == HNSW_ELEMENT_LIVE && etup->level > *level &&
					!(exclude && ItemPointerGetBlockNumber(exclude) == blk &&
					  ItemPointerGetOffsetNumber(exclude) == off))
				{
					bool		hasheap = false;

					for (int i = 0; i < HNSW_HEAPTIDS; i++)
						hasheap |= ItemPointerIsValid(&etup->heaptids[i]);
					if (!hasheap)
						continue;
					*level = etup->level;
					ItemPointerSet(tid, blk, off);
					found = true;
				}
			}
		}
		UnlockReleaseBuffer(buf);
	}
	return found;
}

/*
 * Insert vec (already normalised if the opclass wants it) for heap row
 * heaptid.  building means we are inside ambuild: no locks, no WAL.
 * Allocates in CurrentMemoryContext; the caller resets it.
 */
void
HnswInsertVector(Relation index, HnswDistance *dist, const float *vec,
				 ItemPointer heaptid, bool building)
{
	int			m = HnswGetMetaM(index);
	int			efc = HnswGetEfConstruction(index);
	int			dim = dist->dim;
	int			level;
	LOCKMODE	lockmode = ShareLock;
	HnswMetaPageData meta;
	HnswDiskGraph g;
	HnswSearch	s;
	HnswCandidate ep;
	HnswCandidate *w;
	HnswCandidate *chosen[HNSW_MAX_LEVEL + 1];
	int			nchosen[HNSW_MAX_LEVEL + 1];
	int			ngoodchosen[HNSW_MAX_LEVEL + 1];
	HnswElementTuple etup;
	HnswNeighborTuple ntup;
	Size		esize = HNSW_ELEMENT_TUPLE_SIZE(dim);
	Size		nsize;
	ItemPointerData etid;
	ItemPointerData entrytid;
	bool		haveEntry;
	int			toplayer;
	NewElement	ne;
	BacklinkPlan plan;
	int			ngood0 = 0;

	level = HnswRandomLevel(NULL, 1.0 / log(m), HnswMaxLevel(m));

	if (!building)
		LockPage(index, HNSW_UPDATE_LOCK, lockmode);
	HnswReadMeta(index, &meta);
	if (level > meta.entry_level && !building)
	{
		/* we may become the entry point: exclude other inserts */
		UnlockPage(index, HNSW_UPDATE_LOCK, lockmode);
		lockmode = ExclusiveLock;
		LockPage(index, HNSW_UPDATE_LOCK, lockmode);
		HnswReadMeta(index, &meta);
	}

	HnswDiskGraphInit(&g, index, dist, m, efc * m);
	g.query = vec;
	HnswSearchInit(&s, &hnsw_disk_graph_ops, &g, m, efc);
	w = palloc(sizeof(HnswCandidate) * (efc + 1));

	haveEntry = BlockNumberIsValid(meta.entry_blkno);
	if (haveEntry)
	{
		ItemPointerData entry;

		ItemPointerSet(&entry, meta.entry_blkno, meta.entry_offno);
		haveEntry = HnswDiskEntryCandidate(&g, &entry, &ep);
		if (!haveEntry && lockmode != ExclusiveLock && !building)
		{
			/*
			 * The entry point was deleted and vacuum has not moved it yet:
			 * we will make ourselves the entry point, which needs the
			 * exclusive lock.  Vacuum moves it under that lock too.
			 */
			UnlockPage(index, HNSW_UPDATE_LOCK, lockmode);
			lockmode = ExclusiveLock;
			LockPage(index, HNSW_UPDATE_LOCK, lockmode);
			HnswReadMeta(index, &meta);
			haveEntry = BlockNumberIsValid(meta.entry_blkno);
			if (haveEntry)
			{
				ItemPointerSet(&entry, meta.entry_blkno, meta.entry_offno);
				haveEntry = HnswDiskEntryCandidate(&g, &entry, &ep);
			}
		}
		if (!haveEntry && BlockNumberIsValid(meta.entry_blkno) && !building)
		{
			int			elevel;

			/*
			 * Still no usable entry point, though the index has one: left so
			 * by a vacuum interrupted before it could move it.  Starting a
			 * new graph here would cut off the old one, so find its highest
			 * live element and make that the entry point.
			 */
			if (HnswFindHighestLive(index, NULL, &entry, &elevel))
			{
				HnswUpdateEntryPoint(index, &entry, elevel, false);
				meta.entry_level = elevel;
				haveEntry = HnswDiskEntryCandidate(&g, &entry, &ep);
			}
		}
	}

	memset(nchosen, 0, sizeof(nchosen));
	memset(ngoodchosen, 0, sizeof(ngoodchosen));
	toplayer = haveEntry ? Min(level, meta.entry_level) : -1;
	if (haveEntry)
		HnswRefToTid(ep.ref, &entrytid);

	if (haveEntry)
	{
		float		selfdist = HnswDist(dist, vec, vec);

		for (int lc = meta.entry_level; lc > level; lc--)
			ep = HnswGreedySearch(&s, ep, lc);

		for (int lc = toplayer; lc >= 0; lc--)
		{
			int			nw;
			int			keep[2 * HNSW_MAX_M];
			float	   *vecs;
			PairDistCtx pctx;
			int			nkeep;
			int			nv = 0;
			HnswCandidate *wl;

			HnswSearchReset(&s, efc);
			HnswSearchAddEntry(&s, &ep);
			HnswSearchLayer(&s, lc, efc);
			nw = HnswSearchResultsSorted(&s, w);
			if (nw == 0)
				continue;

			/* an identical vector on layer 0 takes our heap TID */
			if (lc == 0)
			{
				for (int i = 0; i < nw && w[i].dist <= selfdist; i++)
				{
					ItemPointerData t;

					HnswRefToTid(w[i].ref, &t);
					if (AddHeapTid(index, &t, vec, dim, heaptid, building))
					{
						if (!building)
							UnlockPage(index, HNSW_UPDATE_LOCK, lockmode);
						return;
					}
				}
			}

			/* load candidate vectors for the heuristic */
			vecs = palloc(sizeof(float) * dim * nw);
			wl = palloc(sizeof(HnswCandidate) * nw);
			for (int i = 0; i < nw; i++)
			{
				ItemPointerData t;

				HnswRefToTid(w[i].ref, &t);
				if (HnswLoadVector(index, &t, dim, vecs + (Size) nv * dim))
					wl[nv++] = w[i];
			}
			pctx.dist = dist;
			pctx.vecs = vecs;
			nkeep = HnswSelectNeighbors(wl, nv, HnswNewLinks(lc, m), HNSW_KEEP_PRUNED, PairDist, &pctx, keep, &ngoodchosen[lc]);
			chosen[lc] = palloc(sizeof(HnswCandidate) * Max(nkeep, 1));
			for (int i = 0; i < nkeep; i++)
				chosen[lc][i] = wl[keep[i]];
			nchosen[lc] = nkeep;
			pfree(vecs);
			ep = w[0];
		}
	}

	/* the new element and its neighbour tuple */
	etup = palloc0(esize);
	etup->type = HNSW_ELEMENT_TUPLE;
	etup->level = level;
	etup->heaptids[0] = *heaptid;
	for (int i = 1; i < HNSW_HEAPTIDS; i++)
		ItemPointerSetInvalid(&etup->heaptids[i]);
	memcpy(etup->vec, vec, sizeof(float) * dim);

	nsize = HNSW_NEIGHBOR_TUPLE_SIZE(level, m);
	ntup = palloc0(nsize);
	ntup->type = HNSW_NEIGHBOR_TUPLE;
	ntup->level = level;
	ntup->count = HNSW_NEIGHBOR_SLOTS(level, m);
	for (int i = 0; i < ntup->count; i++)
		ItemPointerSetInvalid(&ntup->tids[i]);

	/*
	 * Plan the back-links; layer 0 of the new element follows from them.
	 * While planning, ne.l0 holds the neighbours it chose.
	 */
	ne.tid = NewPlaceholder;
	ne.vec = vec;
	ne.nl0 = 0;
	for (int i = 0; toplayer >= 0 && i < nchosen[0]; i++)
		HnswRefToTid(chosen[0][i].ref, &ne.l0[ne.nl0++]);
	PlanBacklinks(index, dist, m, chosen, nchosen, toplayer, &ne, &plan);
	if (toplayer >= 0)
		ComposeLayer0(index, dist, m, &plan, chosen[0], nchosen[0], ngoodchosen[0],
					  level > meta.entry_level ? &entrytid : NULL, &ne, &ngood0);
	for (int i = 0; i < ne.nl0; i++)
		ntup->tids[i] = ne.l0[i];
	HnswNeighborGood(ntup)[0] = ngood0;
	for (int lc = 1; lc <= toplayer; lc++)
	{
		for (int i = 0; i < nchosen[lc]; i++)
			HnswRefToTid(chosen[lc][i].ref, &ntup->tids[HNSW_LAYER_START(lc, m) + i]);
		/* keep[] lists the good neighbours first */
		HnswNeighborGood(ntup)[lc] = ngoodchosen[lc];
	}

	WriteElement(index, etup, esize, ntup, nsize, building, &etid);

	/* back-links */
	ne.tid = etid;
	ApplyBacklinks(index, dist, m, &plan, chosen[0], nchosen[0], &ne, building);

	if (level > meta.entry_level || !haveEntry)
		HnswUpdateEntryPoint(index, &etid, level, building);

	if (!building)
		UnlockPage(index, HNSW_UPDATE_LOCK, lockmode);
}

/*
 * aminsert: index one heap row.  NULLs are not indexed, nor zero vectors
 * when the opclass normalises.
 */
bool
hnswinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
		   Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
		   IndexInfo *indexInfo)
{
	MemoryContext tmp;
	MemoryContext old;
	HnswDistance dist;
	float	   *vec;
	int			dim;

	if (isnull[0])
		return false;

	tmp = AllocSetContextCreate(CurrentMemoryContext, "hnsw insert",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(tmp);

	dim = HnswGetDimensions(index);
	HnswInitDistance(&dist, index, dim);
	vec = palloc(sizeof(float) * dim);
	if (HnswPrepareValue(&dist, values[0], vec))
		HnswInsertVector(index, &dist, vec, heap_tid, false);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
	return false;
}

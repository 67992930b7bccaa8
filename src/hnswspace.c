/*-------------------------------------------------------------------------
 *
 * hnswspace.c
 *	  Where the tuples of a new element go: the space of a REUSABLE element
 *	  that the free space map knows of, else the last page or a new one.
 *
 * The free space map of an hnsw index records, for each page, the highest
 * level of a new element that one of its REUSABLE elements can take
 * (HnswPageReuseOffer); vacuum records it when it makes elements REUSABLE,
 * and an insert when it has taken one.  See src/README.md, "Inserts".
 *
 * IDENTIFICATION
 *	  src/hnswspace.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "storage/bufmgr.h"
#include "storage/freespace.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * The block of the neighbour tuple of the last element on page blk, if it
 * is on another page: where the lone neighbour tuples of the latest inserts
 * went (see PlaceTuples).  InvalidBlockNumber if there is none.
 */
static BlockNumber
LoneNeighborPage(const HnswPageLimits *lim, Page page, BlockNumber blk,
				 BlockNumber nblocks)
{
	if (!HnswPageIsData(lim, page, blk))
		return InvalidBlockNumber;
	for (OffsetNumber off = PageGetMaxOffsetNumber(page); off >= FirstOffsetNumber; off--)
	{
		HnswElementTuple etup = HnswPageGetElementOrNull(lim, page, blk, off);
		BlockNumber nblk;

		if (etup == NULL)
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
	HnswPageLimits lim;

	HnswGetPageLimits(index, &lim);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	if (HnswPageIsData(&lim, page, blkno) && PageGetFreeSpace(page) >= need)
		return buf;
	if (lonenbr)
		*lonenbr = LoneNeighborPage(&lim, page, blkno, nblocks);
	UnlockReleaseBuffer(buf);
	return InvalidBuffer;
}

/*
 * Put tuple(s) on a page with room, in one WAL record.  With two tuples (an
 * element and its neighbour tuple) both go on the same page and the
 * element's neighbortid is set to the neighbour tuple's TID.  Returns the
 * TID of the first tuple in *tid1 (and of the second in *tid2).
 *
 * The page is block prefer, if valid and it has room, else the last page
 * of the index if it has room and is not block avoid.  A lone neighbour
 * tuple, of an element too big to share a page with it, may else go on the
 * page of the neighbour tuple of the last element on the last page: the
 * lone neighbour tuples of consecutive inserts so fill a page together,
 * while their elements take a page each.  Else the tuples go on a new page.
 * One buffer lock is held at a time.
 */
static void
PlaceTuples(Relation index, Pointer tup1, Size size1, Pointer tup2, Size size2,
			bool building, BlockNumber prefer, BlockNumber avoid,
			ItemPointer tid1, ItemPointer tid2)
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

	if (BlockNumberIsValid(prefer) && prefer < nblocks && prefer != nblocks - 1)
		buf = LockPageWithRoom(index, prefer, need, nblocks, NULL);
	if (!BufferIsValid(buf) && nblocks > 1 && avoid != nblocks - 1)
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
 * there is no REUSABLE element there.  Any element of a fixed-size kind
 * fits the element's slot (they all have the same size; for sparse values
 * ReuseSpace checks the slot's length); the level depends on the
 * length of the neighbour tuple.  When that is on the same page its length
 * is read.  When it is on another page (an element too big to share a page
 * with it), it is at least what the element's level needs (a neighbour
 * tuple never changes length, and an element only takes one long enough
 * for its level), so the element's level is the answer without reading
 * that page.  (A higher element can still take the element's slot, with a
 * new neighbour tuple: see ReuseSpace.)
 */
int
HnswReusableLevel(const HnswPageLimits *lim, Page page, BlockNumber blk,
				  OffsetNumber off)
{
	HnswElementTuple etup = HnswPageGetElementOrNull(lim, page, blk, off);
	OffsetNumber noff;
	Size		len;
	int			m = lim->m;
	int			maxlevel = lim->maxlevel;
	int			level = -1;

	if (etup == NULL || etup->state != HNSW_ELEMENT_REUSABLE)
		return -1;
	if (ItemPointerGetBlockNumberNoCheck(&etup->neighbortid) != blk)
		return Min((int) etup->level, maxlevel);
	noff = ItemPointerGetOffsetNumberNoCheck(&etup->neighbortid);
	len = ItemIdGetLength(HnswPageGetItemIdChecked(lim, page, blk, noff));
	while (level < maxlevel &&
		   HnswNeighborTupleSize(level + 1, m, lim->codesize) <= len)
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
HnswPageReuseOffer(const HnswPageLimits *lim, Page page, BlockNumber blk)
{
	int			best = -1;

	if (!HnswPageIsData(lim, page, blk))
		return 0;
	for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
		best = Max(best, HnswReusableLevel(lim, page, blk, off));
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
	HnswPageLimits lim;

	HnswGetPageLimits(index, &lim);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	iid = HnswPageGetItemIdChecked(&lim, page, ItemPointerGetBlockNumber(tid), off);
	item = PageGetItem(page, iid);
	if (*(uint8 *) item != type || ItemIdGetLength(iid) < size ||
		(type == HNSW_ELEMENT_TUPLE && ((HnswElementTuple) item)->state != state))
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
 * Can the REUSABLE element at off (checked by HnswReusableLevel) take a new
 * element of esize bytes (whole)?  A whole element's place must be at least
 * as long (all are, but for sparse values); a CHAINED element's head and
 * chain must hold the value.
 */
static bool
SlotFits(const HnswPageLimits *lim, Page page, BlockNumber blk,
		 OffsetNumber off, Size esize)
{
	HnswElementTuple etup = HnswPageGetElement(lim, page, blk, off);

	if (etup->flags & HNSW_ELEMENT_CHAINED)
		return HnswElementChain(etup)->valuecap >=
			esize - offsetof(HnswElementTupleData, value);
	return ItemIdGetLength(PageGetItemId(page, off)) >= esize;
}

/*
 * Write the value (vsize bytes) of the new element at etid into the chain
 * of the CHAINED element whose place it takes (claimed: DELETED, so nobody
 * reads it as live meanwhile): the bytes after the head, part by part, one
 * WAL record and one buffer lock at a time; bytes past the value are zero.
 */
static void
RewriteChain(Relation index, const HnswElementChainData *chain,
			 const char *value, Size vsize, ItemPointer etid)
{
	HnswPageLimits lim;
	ItemPointerData tid = chain->valuetid;
	Size		pos = chain->headlen;

	HnswGetPageLimits(index, &lim);
	while (HnswCheckTid(&lim, &tid, ItemPointerGetBlockNumber(etid),
						ItemPointerGetOffsetNumber(etid)))
	{
		BlockNumber blk = ItemPointerGetBlockNumber(&tid);
		OffsetNumber off = ItemPointerGetOffsetNumber(&tid);
		Buffer		buf = ReadBuffer(index, blk);
		Page		page;
		HnswValueTuple vtup;
		Size		len;
		Size		n;
		HnswEdit	edit;

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		vtup = HnswPageGetValueTuple(&lim, BufferGetPage(buf), blk, off);
		len = ItemIdGetLength(PageGetItemId(BufferGetPage(buf), off)) -
			HNSW_VALUE_TUPLE_HEADER;
		if (pos + len > chain->valuecap)
			break;
		n = pos < vsize ? Min(len, vsize - pos) : 0;
		HnswEditBegin(&edit, index, false);
		page = HnswEditRegister(&edit, buf, false);
		vtup = (HnswValueTuple) PageGetItem(page, PageGetItemId(page, off));
		memcpy(vtup->data, value + pos, n);
		memset(vtup->data + n, 0, len - n);
		tid = vtup->next;
		HnswEditFinish(&edit);
		UnlockReleaseBuffer(buf);
		pos += len;
	}
	if (pos != chain->valuecap)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains an incomplete value at block %u, offset %u",
						RelationGetRelationName(index),
						ItemPointerGetBlockNumber(etid),
						ItemPointerGetOffsetNumber(etid)),
				 errdetail_internal("Its chain holds %zu bytes of %u.",
									pos, chain->valuecap)));
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
	int			level = ntup->level;
	HnswPageLimits lim;

	for (int pass = 0; pass < 2; pass++)
	{
		/* pass 0: a place our neighbour tuple fits in; pass 1: any */
		Size		want = HnswReuseAmount(pass == 0 ? level : 0);
		BlockNumber blk;

		if (pass == 1 && level == 0)
			break;
		HnswGetPageLimits(index, &lim);
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
			bool		chained;
			HnswElementChainData chain;
			HnswElementTuple old;
			Size		offer;

			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			page = BufferGetPage(buf);
			if (HnswPageIsData(&lim, page, blk))
			{
				/*
				 * Best: the slot with the fewest levels to spare; else the
				 * one with the shortest neighbour tuple, which is lost.
				 */
				for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
				{
					int			slot = HnswReusableLevel(&lim, page, blk, off);
					int			rank;

					if (slot < 0 || !SlotFits(&lim, page, blk, off, esize))
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
				offer = HnswPageReuseOffer(&lim, page, blk);
				UnlockReleaseBuffer(buf);
				blk = RecordAndGetPageWithFreeSpace(index, blk, offer, want);
				continue;
			}

			old = HnswPageGetElement(&lim, page, blk, eoff);
			ntid = old->neighbortid;
			chained = (old->flags & HNSW_ELEMENT_CHAINED) != 0;
			if (chained)
				chain = *HnswElementChain(old);
			if (ItemPointerGetBlockNumber(&ntid) != blk &&
				!HnswCheckTid(&lim, &ntid, blk, eoff))
				elog(ERROR, "reusable element (%u,%u) of index \"%s\" has no neighbour tuple",
					 blk, eoff, RelationGetRelationName(index));
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
				memcpy(nitem, ntup, nsize);
				memset(nitem + nsize, 0, nlen - nsize);
			}
			if (inplace && samepage && !chained)
			{
				memcpy(PageGetItem(page, PageGetItemId(page, eoff)), etup, esize);
				memset(PageGetItem(page, PageGetItemId(page, eoff)) + esize, 0,
					   ItemIdGetLength(PageGetItemId(page, eoff)) - esize);
			}
			else
				((HnswElementTuple) PageGetItem(page, PageGetItemId(page, eoff)))->state =
					HNSW_ELEMENT_DELETED;
			HnswEditFinish(&edit);
			offer = HnswPageReuseOffer(&lim, BufferGetPage(buf), blk);
			UnlockReleaseBuffer(buf);
			RecordPageWithFreeSpace(index, blk, offer);
			ItemPointerSet(etid, blk, eoff);

			if (inplace && samepage && !chained)
				return true;
			if (chained)
				RewriteChain(index, &chain, etup->value,
							 esize - offsetof(HnswElementTupleData, value), etid);
			if (inplace && samepage)
				;				/* written with the claim */
			else if (inplace)
				OverwriteTuple(index, &ntid, (Pointer) ntup, nsize,
							   HNSW_NEIGHBOR_TUPLE, 0);
			else
			{
				PlaceTuples(index, (Pointer) ntup, nsize, NULL, 0, false, InvalidBlockNumber,
							InvalidBlockNumber, &ntid, NULL);
				etup->neighbortid = ntid;
			}
			if (chained)
			{
				HnswElementTuple ctup = palloc(HNSW_CHAINED_ELEMENT_SIZE(chain.headlen));
				Size		csize;

				csize = HnswFormChainedElement(ctup, etup,
											   esize - offsetof(HnswElementTupleData, value),
											   chain.headlen, &chain.valuetid,
											   chain.valuecap);
				OverwriteTuple(index, etid, (Pointer) ctup, csize,
							   HNSW_ELEMENT_TUPLE, HNSW_ELEMENT_DELETED);
				pfree(ctup);
			}
			else
				OverwriteTuple(index, etid, (Pointer) etup, esize,
							   HNSW_ELEMENT_TUPLE, HNSW_ELEMENT_DELETED);
			return true;
		}
	}
	return false;
}

/*
 * Free bytes (for tuples and their line pointers) of the last page of the
 * index, 0 if it is not a data page.  A hint: the page is not kept locked.
 */
static Size
LastPageFree(Relation index, BlockNumber *blk)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	HnswPageLimits lim;
	Buffer		buf;
	Page		page;
	Size		free = 0;

	*blk = InvalidBlockNumber;
	if (nblocks <= 1)
		return 0;
	HnswGetPageLimits(index, &lim);
	buf = ReadBuffer(index, nblocks - 1);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (HnswPageIsData(&lim, page, nblocks - 1))
	{
		free = ((PageHeader) page)->pd_upper - ((PageHeader) page)->pd_lower;
		*blk = nblocks - 1;
	}
	UnlockReleaseBuffer(buf);
	return free;
}

/*
 * Write bytes [head, vsize) of value into a chain of value tuples, and
 * return the TID of its first part in *first.  The parts are as the build
 * makes them (HnswPartSize), in the opposite order: the shortest first.
 * They are written last part first, each in its own WAL record with the TID
 * of the next, so that a part is complete before anything points at it;
 * the element is written after them.  The last written, the shortest, goes
 * where PlaceTuples finds room: a later element fills that page.  None goes
 * on block avoid, whose room the element's head is to take.
 */
static void
WriteChain(Relation index, const char *value, Size head, Size vsize,
		   bool building, BlockNumber avoid, ItemPointer first)
{
	Size		sizes[64];
	int			k = 0;
	Size		end = vsize;
	HnswValueTuple vtup = palloc(MAXALIGN(HNSW_VALUE_TUPLE_HEADER + HNSW_MAX_PART));

	for (Size rest = vsize - head; rest > 0; rest -= sizes[k++])
	{
		if (k == lengthof(sizes))
			elog(ERROR, "value of %zu bytes too large for index \"%s\"",
				 vsize, RelationGetRelationName(index));
		sizes[k] = HnswPartSize(rest);
	}
	ItemPointerSetInvalid(first);
	for (int j = 0; j < k; j++)
	{
		Size		vt;

		vt = HnswFormValueTuple(vtup, value + end - sizes[j], sizes[j],
								ItemPointerIsValid(first) ? first : NULL);
		PlaceTuples(index, (Pointer) vtup, vt, NULL, 0, building,
					InvalidBlockNumber, avoid, first, NULL);
		end -= sizes[j];
	}
	pfree(vtup);
}

/*
 * HnswWriteElement: write a new element (etup, whole, esize bytes) and its
 * neighbour tuple: in reusable space if there is some, else at the end of
 * the index.  Returns the element's TID.
 *
 * At the end of the index, an element goes whole with its neighbour tuple
 * on the last page if they fit there, else on a new page if they fit one,
 * in one WAL record (PlaceTuples).  A value that may be split
 * (HnswMaySplit) and does not fit the last page, or one that does not fit
 * any page, is split instead, as the build does: its head takes the room
 * left on the last page (or on a new page, added first), the rest goes into
 * a chain written before it (WriteChain).  A crash in between leaves
 * unreferenced value tuples, which nothing reads, and perhaps an empty page.
 */
void
HnswWriteElement(Relation index, HnswElementTuple etup, Size esize,
				 HnswNeighborTuple ntup, Size nsize, bool building,
				 ItemPointer etid)
{
	ItemPointerData ntid;
	ItemPointerData vtid;
	HnswPageLimits lim;
	Size		vsize = esize - offsetof(HnswElementTupleData, value);
	Size		pair = MAXALIGN(esize) + MAXALIGN(nsize) + 2 * sizeof(ItemIdData);
	BlockNumber last;
	Size		free;
	Size		head;
	HnswElementTuple ctup;
	Size		csize;

	if (!building && ReuseSpace(index, etup, esize, ntup, nsize, etid))
		return;

	HnswGetPageLimits(index, &lim);
	if (pair <= HNSW_PAGE_ROOM && !HnswMaySplit(lim.kind, vsize))
	{
		PlaceTuples(index, (Pointer) etup, esize, (Pointer) ntup, nsize,
					building, InvalidBlockNumber, InvalidBlockNumber, etid, &ntid);
		return;
	}

	free = LastPageFree(index, &last);
	head = pair <= free ? vsize : HnswHeadRoom(free, MAXALIGN(nsize), vsize);
	if (head == 0 && pair <= HNSW_PAGE_ROOM)
		head = vsize;			/* whole, on a new page */
	if (head == vsize)
	{
		PlaceTuples(index, (Pointer) etup, esize, (Pointer) ntup, nsize,
					building, InvalidBlockNumber, InvalidBlockNumber, etid, &ntid);
		return;
	}
	if (head == 0)
	{
		/*
		 * A new page for the head, added before the chain, so that the
		 * chain's last part goes on a page after it: the page later
		 * elements fill.
		 */
		Buffer		buf = HnswNewBuffer(index);
		HnswEdit	edit;

		HnswEditBegin(&edit, index, building);
		HnswInitPage(HnswEditRegister(&edit, buf, true), HNSW_PAGE_DATA);
		HnswEditFinish(&edit);
		last = BufferGetBlockNumber(buf);
		UnlockReleaseBuffer(buf);
		head = HnswHeadRoom(HNSW_PAGE_ROOM, MAXALIGN(nsize), vsize);
	}

	if (lim.version < HNSW_FORMAT_VERSION)
		HnswRaiseFormatVersion(index, building);
	WriteChain(index, etup->value, head, vsize, building, last, &vtid);
	ctup = palloc(HNSW_CHAINED_ELEMENT_SIZE(head));
	csize = HnswFormChainedElement(ctup, etup, vsize, head, &vtid, vsize);
	PlaceTuples(index, (Pointer) ctup, csize, (Pointer) ntup, nsize,
				building, last, InvalidBlockNumber, etid, &ntid);
	pfree(ctup);
}

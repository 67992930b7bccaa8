/*-------------------------------------------------------------------------
 *
 * hnswvacuum.c
 *	  VACUUM support for hnsw indexes (ambulkdelete, amvacuumcleanup).
 *
 * Bulk delete runs in five passes (see src/README.md, "Vacuum"):
 *
 * 1. RemoveHeapTids: every data page, under a share lock and, if something
 *	  changes, an exclusive one: remove the heap TIDs that VACUUM reports
 *	  dead.  An element left with none becomes DELETED, so that inserts stop
 *	  using it and scans stop returning it, except the entry point, which
 *	  pass 2 handles.  Elements already DELETED (by a VACUUM that was
 *	  interrupted) are collected too.
 * 2. FixEntryPoint: take HNSW_UPDATE_LOCK in ExclusiveLock mode, which waits
 *	  for inserts that started before pass 1 marked elements (they may have
 *	  chosen them as neighbours); if the entry point has no heap TID left,
 *	  make the highest live element, found by reading the index under the
 *	  lock, the entry point, then delete the old one.
 * 3. RepairGraph: every live element whose lists point at a DELETED
 *	  element gets, on each such layer, its surviving members, the live
 *	  neighbour closest to the furthest good member it lost (so that a long
 *	  edge keeps its direction), and replacements chosen by the heuristic
 *	  from the live neighbours of the deleted ones.  The work is
 *	  proportional to what was deleted.
 * 4. MarkReusable: the deleted elements become REUSABLE, but for those a
 *	  list may still point at because its repair gave up, and what their
 *	  pages offer for reuse is entered in the free space map.
 * 5. ReconnectUnreached, in every vacuum (also one with nothing to delete):
 *	  a walk of layer 0 from the entry point finds live elements it no
 *	  longer reaches; each gets a link from the nearest reached element a
 *	  search for its vector finds.
 *
 * IDENTIFICATION
 *	  src/hnswvacuum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include <math.h>

#include "storage/freespace.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

typedef struct DeadElement
{
	ItemPointerData tid;		/* hash key: the element */
	ItemPointerData neighbortid;	/* its neighbour tuple */
	int			level;
} DeadElement;

typedef struct HnswVacuumState
{
	IndexVacuumInfo *info;
	IndexBulkDeleteResult *stats;
	IndexBulkDeleteCallback callback;
	void	   *callback_state;
	Relation	index;
	int			m;
	int			dim;
	HnswDistance dist;
	HTAB	   *dead;			/* DeadElement by TID */
	HnswTidSet	deadset;		/* the same TIDs, for HnswRepairList */
	HnswTidSet	unrepaired;		/* deleted elements that a list still
								 * points at: a repair gave up */
	ItemPointerData entry;		/* the entry point when pass 1 began */
	MemoryContext tmpCtx;
	int64		nlinked;		/* unreached elements linked in pass 5 */
	HnswListCtx lctx;			/* for list changes */
	HnswPageLimits lim;			/* to check what pages say */
} HnswVacuumState;

/* Live (non-invalid) heap TIDs of an element */
static int
CountHeapTids(HnswElementTuple etup)
{
	int			n = 0;

	for (int i = 0; i < HNSW_HEAPTIDS; i++)
		if (ItemPointerIsValid(&etup->heaptids[i]))
			n++;
	return n;
}

/*
 * Pass 1: remove dead heap TIDs, mark elements left without any DELETED,
 * collect DELETED elements, count what remains.
 */
static void
RemoveHeapTids(HnswVacuumState *vs)
{
	Relation	index = vs->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	HnswPageLimits lim;
	HnswMetaPageData meta;

	HnswGetPageLimits(index, &lim);

	/*
	 * The entry point is never marked DELETED here, or inserts and scans
	 * would have nowhere to start until pass 2 moves it; pass 2 deletes it
	 * once it has moved it.  (An insert moving it meanwhile only makes it
	 * an ordinary element, handled by the next vacuum.)
	 */
	HnswReadMeta(index, &meta);
	ItemPointerSet(&vs->entry, meta.entry_blkno, meta.entry_offno);

	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < nblocks; blk++)
	{
		Buffer		buf;
		Page		page;
		OffsetNumber maxoff = InvalidOffsetNumber;
		bool		dirty = false;
		HnswEdit	edit;

		vacuum_delay_point();

		buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL,
								 vs->info->strategy);

		/*
		 * Look under a share lock first: most pages of a big index have
		 * nothing to remove, and scans and inserts need not wait for them.
		 */
		for (int mode = BUFFER_LOCK_SHARE;; mode = BUFFER_LOCK_EXCLUSIVE)
		{
			LockBuffer(buf, mode);
			page = BufferGetPage(buf);
			if (!HnswPageIsData(&lim, page, blk))
				break;
			maxoff = PageGetMaxOffsetNumber(page);

			/* does anything on the page change? */
			for (OffsetNumber off = FirstOffsetNumber; off <= maxoff && !dirty; off++)
			{
				HnswElementTuple etup = HnswPageGetElementOrNull(&lim, page, blk, off);

				if (etup == NULL || etup->state != HNSW_ELEMENT_LIVE)
					continue;
				for (int i = 0; i < HNSW_HEAPTIDS; i++)
					if (ItemPointerIsValid(&etup->heaptids[i]) &&
						vs->callback(&etup->heaptids[i], vs->callback_state))
						dirty = true;
				/* left without heap TIDs by a vacuum that did not finish */
				if (CountHeapTids(etup) == 0 &&
					!(ItemPointerGetBlockNumber(&vs->entry) == blk &&
					  ItemPointerGetOffsetNumber(&vs->entry) == off))
					dirty = true;
			}
			if (!dirty || mode == BUFFER_LOCK_EXCLUSIVE)
				break;
			/* something to change: look again under an exclusive lock */
			LockBuffer(buf, BUFFER_LOCK_UNLOCK);
			dirty = false;
		}
		if (PageIsNew(page))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}

		if (dirty)
		{
			HnswEditBegin(&edit, index, false);
			page = HnswEditRegister(&edit, buf, false);
		}

		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			HnswElementTuple etup = HnswPageGetElementOrNull(&lim, page, blk, off);
			ItemPointerData tid;

			if (etup == NULL || etup->state == HNSW_ELEMENT_REUSABLE)
				continue;
			ItemPointerSet(&tid, blk, off);

			if (etup->state == HNSW_ELEMENT_LIVE && dirty)
			{
				for (int i = 0; i < HNSW_HEAPTIDS; i++)
				{
					if (ItemPointerIsValid(&etup->heaptids[i]) &&
						vs->callback(&etup->heaptids[i], vs->callback_state))
					{
						ItemPointerSetInvalid(&etup->heaptids[i]);
						vs->stats->tuples_removed++;
					}
				}
				if (CountHeapTids(etup) == 0 && !ItemPointerEquals(&tid, &vs->entry))
					etup->state = HNSW_ELEMENT_DELETED;
			}

			if (etup->state == HNSW_ELEMENT_DELETED)
			{
				DeadElement *d;
				bool		found;

				d = hash_search(vs->dead, &tid, HASH_ENTER, &found);
				d->neighbortid = etup->neighbortid;
				d->level = etup->level;
				HnswTidSetAdd(&vs->deadset, HnswTidToRef(&tid));
			}
			else
				vs->stats->num_index_tuples += CountHeapTids(etup);
		}

		if (dirty)
			HnswEditFinish(&edit);
		UnlockReleaseBuffer(buf);
	}
	vs->stats->num_pages = nblocks;
}

/*
 * Pass 2: wait for inserts that may have picked deleted elements as
 * neighbours before pass 1 marked them, and move the entry point off a
 * deleted element.
 *
 * Inserts hold HNSW_UPDATE_LOCK for their whole duration, so taking it in
 * ExclusiveLock mode waits for every insert in progress.  Inserts that
 * start later never see the deleted elements, which searches skip.
 */
static void
FixEntryPoint(HnswVacuumState *vs)
{
	Relation	index = vs->index;
	HnswMetaPageData meta;

	LockPage(index, HNSW_UPDATE_LOCK, ExclusiveLock);
	HnswReadMeta(index, &meta);
	if (BlockNumberIsValid(meta.entry_blkno))
	{
		ItemPointerData entry;
		Buffer		buf;
		Page		page;
		HnswElementTuple etup;
		bool		dead;
		bool		empty;

		ItemPointerSet(&entry, meta.entry_blkno, meta.entry_offno);
		buf = ReadBuffer(index, meta.entry_blkno);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		etup = HnswPageGetElement(&vs->lim, page, meta.entry_blkno, meta.entry_offno);
		dead = etup->state != HNSW_ELEMENT_LIVE;
		empty = !dead && CountHeapTids(etup) == 0;
		UnlockReleaseBuffer(buf);

		if (dead || empty)
		{
			ItemPointerData tid;
			int			level;

			/*
			 * Another live element of the highest level takes over.  It is
			 * looked for now, under the lock, not taken from pass 1: an
			 * insert may have added the only live element since.
			 */
			if (HnswFindHighestLive(index, &entry, &tid, &level))
				HnswUpdateEntryPoint(index, &tid, level, false);
			else
				HnswUpdateEntryPoint(index, NULL, -1, false);
		}
		if (empty)
		{
			/* now the old entry point can go the way of the others */
			HnswEdit	edit;
			DeadElement *d;
			bool		found;

			buf = ReadBuffer(index, meta.entry_blkno);
			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			HnswEditBegin(&edit, index, false);
			page = HnswEditRegister(&edit, buf, false);
			etup = HnswPageGetElement(&vs->lim, page, meta.entry_blkno, meta.entry_offno);
			etup->state = HNSW_ELEMENT_DELETED;
			d = hash_search(vs->dead, &entry, HASH_ENTER, &found);
			d->neighbortid = etup->neighbortid;
			d->level = etup->level;
			HnswTidSetAdd(&vs->deadset, HnswTidToRef(&entry));
			HnswEditFinish(&edit);
			UnlockReleaseBuffer(buf);
		}
	}
	UnlockPage(index, HNSW_UPDATE_LOCK, ExclusiveLock);
}

/*
 * Replacement candidates for the deleted members of a list on layer lc:
 * the live members of their lists.  Where that yields fewer than the
 * list's capacity (the neighbourhood is mostly deleted), follow chains of
 * deleted elements further, up to HNSW_REPAIR_DEAD_LISTS lists, so that a
 * run of deleted elements is bridged by the live ones at its far end.
 */
#define HNSW_REPAIR_DEAD_LISTS	256

static int
ReplacementCandidates(HnswVacuumState *vs, ItemPointer members, int nmembers,
					  int lc, ItemPointerData *out, int maxout)
{
	int			m = vs->m;
	int			start = HNSW_LAYER_START(lc, m);
	int			cap = HNSW_LAYER_CAPACITY(lc, m);
	ItemPointerData queue[HNSW_REPAIR_DEAD_LISTS];
	int			depth[HNSW_REPAIR_DEAD_LISTS];
	int			head = 0;
	int			tail = 0;
	int			nout = 0;
	HnswTidSet	seen;

	HnswTidSetInit(&seen, 64);
	for (int i = 0; i < nmembers; i++)
	{
		HnswTidSetAdd(&seen, HnswTidToRef(&members[i]));
		if (HnswTidSetContains(&vs->deadset, HnswTidToRef(&members[i])) &&
			tail < lengthof(queue))
		{
			depth[tail] = 1;
			queue[tail++] = members[i];
		}
	}

	while (head < tail && nout < maxout)
	{
		int			d1 = depth[head];
		DeadElement *d = hash_search(vs->dead, &queue[head++], HASH_FIND, NULL);
		Buffer		buf;
		Page		page;
		OffsetNumber off;
		HnswNeighborTuple ntup;

		if (d == NULL || d->level < lc)
			continue;
		if (d1 > 1 && nout >= cap)
			break;				/* enough near by: no need to go further */
		if (!HnswCheckTid(&vs->lim, &d->neighbortid, ItemPointerGetBlockNumber(&d->tid),
						  ItemPointerGetOffsetNumber(&d->tid)))
			continue;
		off = ItemPointerGetOffsetNumber(&d->neighbortid);
		buf = HnswReadBuffer(vs->index, ItemPointerGetBlockNumber(&d->neighbortid));
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		{
			ntup = HnswPageGetNeighbors(&vs->lim, page,
										ItemPointerGetBlockNumber(&d->neighbortid), off);
			if (ntup->level >= lc)
			{
				for (int i = 0; i < cap; i++)
				{
					ItemPointer t = &ntup->tids[start + i];
					uint64		ref;

					if (!ItemPointerIsValid(t))
						break;
					ref = HnswTidToRef(t);
					if (HnswTidSetContains(&seen, ref))
						continue;
					if (HnswTidSetContains(&vs->deadset, ref))
					{
						if (tail < lengthof(queue))
						{
							HnswTidSetAdd(&seen, ref);
							depth[tail] = d1 + 1;
							queue[tail++] = *t;
						}
					}
					else if (nout < maxout)
					{
						HnswTidSetAdd(&seen, ref);
						out[nout++] = *t;
					}
				}
			}
		}
		UnlockReleaseBuffer(buf);
	}
	return nout;
}

/* Called for each live element of a sweep, its page share-locked */
typedef void (*SweepFn) (HnswVacuumState *vs, Page page, BlockNumber blk,
						 OffsetNumber off, HnswElementTuple etup, void *arg);

/*
 * Read every data page in order under a share lock and call fn for each
 * LIVE element on it.
 */
static void
SweepLiveElements(HnswVacuumState *vs, SweepFn fn, void *arg)
{
	Relation	index = vs->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);

	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < nblocks; blk++)
	{
		Buffer		buf;
		Page		page;
		OffsetNumber maxoff;

		vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL,
								 vs->info->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (!HnswPageIsData(&vs->lim, page, blk))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		maxoff = PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			HnswElementTuple etup = HnswPageGetElementOrNull(&vs->lim, page, blk, off);

			if (etup == NULL || etup->state != HNSW_ELEMENT_LIVE)
				continue;
			fn(vs, page, blk, off, etup, arg);
		}
		UnlockReleaseBuffer(buf);
	}
}

typedef struct Repair
{
	ItemPointerData etid;
	ItemPointerData ntid;
	uint64		layers;			/* bit lc: layer lc needs repair */
} Repair;

typedef struct RepairQueue
{
	Repair	   *repairs;
	int64		n;
	int64		max;
	ItemPointerData *revived;	/* dead elements found LIVE again */
	int64		nrevived;
	int64		maxrevived;
} RepairQueue;

/* Sweep callback: note an element with a list pointing at a deleted one */
static void
NoteRepair(HnswVacuumState *vs, Page page, BlockNumber blk, OffsetNumber off,
		   HnswElementTuple etup, void *arg)
{
	RepairQueue *rl = arg;
	int			m = vs->m;
	uint64		layers = 0;
	ItemPointerData tid;

	/*
	 * A dead element that is LIVE again was claimed by an insert when pass
	 * 1 read it (see ReuseSpace in hnswspace.c), and the insert, which
	 * pass 2 waited for, has made it a new element: it is not dead.
	 */
	ItemPointerSet(&tid, blk, off);
	if (HnswTidSetContains(&vs->deadset, HnswTidToRef(&tid)))
	{
		if (rl->nrevived == rl->maxrevived)
		{
			rl->maxrevived *= 2;
			rl->revived = repalloc_huge(rl->revived,
										sizeof(ItemPointerData) * rl->maxrevived);
		}
		rl->revived[rl->nrevived++] = tid;
	}

	if (!HnswCheckTid(&vs->lim, &etup->neighbortid, blk, off))
		return;					/* no lists (cannot be: checked as corrupt) */
	if (ItemPointerGetBlockNumber(&etup->neighbortid) != blk)
	{
		/* neighbour tuple elsewhere: check it in the repair step */
		layers = ~UINT64CONST(0);
	}
	else
	{
		OffsetNumber noff = ItemPointerGetOffsetNumber(&etup->neighbortid);
		HnswNeighborTuple ntup = HnswPageGetNeighbors(&vs->lim, page, blk, noff);

		for (int lc = 0; lc <= ntup->level; lc++)
		{
			int			start = HNSW_LAYER_START(lc, m);
			int			cap = HNSW_LAYER_CAPACITY(lc, m);

			for (int i = 0; i < cap; i++)
			{
				ItemPointer t = &ntup->tids[start + i];

				if (!HnswCheckTid(&vs->lim, t, blk, noff))
					break;
				if (HnswTidSetContains(&vs->deadset, HnswTidToRef(t)))
				{
					layers |= UINT64CONST(1) << lc;
					break;
				}
			}
		}
	}
	if (layers != 0)
	{
		if (rl->n == rl->max)
		{
			rl->max *= 2;
			rl->repairs = repalloc_huge(rl->repairs, sizeof(Repair) * rl->max);
		}
		ItemPointerSet(&rl->repairs[rl->n].etid, blk, off);
		rl->repairs[rl->n].ntid = etup->neighbortid;
		rl->repairs[rl->n].layers = layers;
		rl->n++;
	}
}

/*
 * Take the elements found LIVE again out of the dead ones, so that the
 * lists that point at them keep them and they are not made REUSABLE.
 */
static void
ForgetRevived(HnswVacuumState *vs, ItemPointerData *revived, int64 n)
{
	HASH_SEQ_STATUS seq;
	DeadElement *d;

	if (n == 0)
		return;
	for (int64 i = 0; i < n; i++)
		hash_search(vs->dead, &revived[i], HASH_REMOVE, NULL);
	HnswTidSetClear(&vs->deadset);
	hash_seq_init(&seq, vs->dead);
	while ((d = hash_seq_search(&seq)) != NULL)
		HnswTidSetAdd(&vs->deadset, HnswTidToRef(&d->tid));
}

/*
 * Pass 3: repair every list that points at a deleted element.
 *
 * A first sweep reads each page under a share lock and notes the live
 * elements with such lists; the lists are then rebuilt one at a time with
 * HnswRepairList, which re-reads them and copes with concurrent inserts.
 * A list that keeps changing under HnswRepairList may be left as it was
 * (HNSW_LIST_GAVE_UP): the deleted elements it held are noted in
 * vs->unrepaired, and pass 4 leaves them DELETED, for a later vacuum to
 * repair, since a list still points at them.
 */
static void
RepairGraph(HnswVacuumState *vs)
{
	Relation	index = vs->index;
	int			m = vs->m;
	RepairQueue	rl;
	Repair	   *repairs;
	int64		nrepairs;

	rl.max = 1024;
	rl.n = 0;
	rl.repairs = palloc(sizeof(Repair) * rl.max);
	rl.maxrevived = 16;
	rl.nrevived = 0;
	rl.revived = palloc(sizeof(ItemPointerData) * rl.maxrevived);
	SweepLiveElements(vs, NoteRepair, &rl);
	ForgetRevived(vs, rl.revived, rl.nrevived);
	pfree(rl.revived);
	repairs = rl.repairs;
	nrepairs = rl.n;

	for (int64 r = 0; r < nrepairs; r++)
	{
		MemoryContext old = MemoryContextSwitchTo(vs->tmpCtx);

		vacuum_delay_point();
		for (int lc = 0; lc <= HNSW_MAX_LEVEL; lc++)
		{
			ItemPointerData members[2 * HNSW_MAX_M];
			ItemPointerData extra[8 * 2 * HNSW_MAX_M];
			HnswListRepair req;
			int			nmembers = 0;
			int			nextra;
			int			start = HNSW_LAYER_START(lc, m);
			int			cap = HNSW_LAYER_CAPACITY(lc, m);
			Buffer		buf;
			Page		page;
			OffsetNumber noff = ItemPointerGetOffsetNumber(&repairs[r].ntid);
			HnswNeighborTuple ntup;
			bool		ok = false;

			if (!(repairs[r].layers & (UINT64CONST(1) << Min(lc, 63))))
				continue;

			/* the list as it is now */
			buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(&repairs[r].ntid));
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			{
				ntup = HnswPageGetNeighbors(&vs->lim, page,
											ItemPointerGetBlockNumber(&repairs[r].ntid), noff);
				if (ntup->level >= lc)
				{
					ok = true;
					for (; nmembers < cap; nmembers++)
					{
						if (!ItemPointerIsValid(&ntup->tids[start + nmembers]))
							break;
						members[nmembers] = ntup->tids[start + nmembers];
					}
				}
			}
			UnlockReleaseBuffer(buf);
			if (!ok)
				break;			/* no such layer: done with this element */

			nextra = ReplacementCandidates(vs, members, nmembers, lc,
										   extra, 4 * cap);
			req.etid = repairs[r].etid;
			req.ntid = repairs[r].ntid;
			req.lc = lc;
			req.extra = extra;
			req.nextra = nextra;
			req.drop = &vs->deadset;
			if (HnswRepairList(&vs->lctx, &req) == HNSW_LIST_GAVE_UP)
			{
				/*
				 * The list is as some insert left it.  Inserts add no
				 * deleted element to a list (their searches skip them), so
				 * the deleted elements it can hold are among the members
				 * read above.
				 */
				for (int i = 0; i < nmembers; i++)
					if (HnswTidSetContains(&vs->deadset, HnswTidToRef(&members[i])))
						HnswTidSetAdd(&vs->unrepaired, HnswTidToRef(&members[i]));
			}
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(vs->tmpCtx);
	}
	pfree(repairs);
}

/*
 * Read the layer-0 list of the live element at tid into out[]; returns how
 * many entries, or -1 if there is no live element there.
 */
static int
ReadLayer0(HnswVacuumState *vs, ItemPointer tid, ItemPointerData *out, void *vec,
		   ItemPointer ntidout)
{
	Relation	index = vs->index;
	BlockNumber blk = ItemPointerGetBlockNumber(tid);
	Buffer		buf;
	Buffer		nbuf;
	Page		npage;
	HnswElementTuple etup;
	HnswNeighborTuple ntup;
	ItemPointerData ntid;
	int			n = 0;

	if (!HnswCheckTid(&vs->lim, tid, InvalidBlockNumber, InvalidOffsetNumber))
		return -1;
	buf = HnswReadBuffer(index, blk);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	etup = HnswPageGetElement(&vs->lim, BufferGetPage(buf), blk,
							  ItemPointerGetOffsetNumber(tid));
	ntid = etup->neighbortid;
	if (etup->state != HNSW_ELEMENT_LIVE ||
		!HnswCheckTid(&vs->lim, &ntid, blk, ItemPointerGetOffsetNumber(tid)))
	{
		UnlockReleaseBuffer(buf);
		return -1;
	}
	if (vec)
	{
		const char *value = HnswElementValue(&vs->lim, etup, blk,
											 ItemPointerGetOffsetNumber(tid),
											 vec);

		if (value != vec)
			memcpy(vec, value, HnswDistValueSize(&vs->dist, value));
	}
	if (ntidout)
		*ntidout = ntid;

	nbuf = buf;
	if (ItemPointerGetBlockNumber(&ntid) != blk)
	{
		/* neighbour tuple on another page: one lock at a time */
		UnlockReleaseBuffer(buf);
		nbuf = HnswReadBuffer(index, ItemPointerGetBlockNumber(&ntid));
		LockBuffer(nbuf, BUFFER_LOCK_SHARE);
	}
	npage = BufferGetPage(nbuf);
	ntup = HnswPageGetNeighbors(&vs->lim, npage, ItemPointerGetBlockNumber(&ntid),
								ItemPointerGetOffsetNumber(&ntid));
	for (; n < HNSW_LAYER_CAPACITY(0, vs->m); n++)
	{
		if (!HnswCheckTid(&vs->lim, &ntup->tids[n], ItemPointerGetBlockNumber(&ntid),
						  ItemPointerGetOffsetNumber(&ntid)))
			break;
		out[n] = ntup->tids[n];
	}
	UnlockReleaseBuffer(nbuf);
	return n;
}

/*
 * A walk of layer 0 that marks what it reaches, in memory bounded by the
 * index's size in blocks: the set of reached elements and the set of those
 * still to expand are HnswTidBitmaps.  Elements to expand go on a small
 * stack, and into the pending bitmap when it is full.
 */
#define HNSW_WALK_STACK		65536

typedef struct ReachWalk
{
	HnswTidBitmap reached;
	HnswTidBitmap pending;		/* reached, not expanded, not on the stack */
	int64		npending;
	ItemPointerData *stack;
	int			nstack;
} ReachWalk;

/* Memory a walk of an index of nblocks blocks needs */
static Size
ReachWalkBytes(HnswVacuumState *vs, BlockNumber nblocks)
{
	return 2 * HnswTidBitmapBytes(nblocks, HnswMaxOffsets(HnswValueMinSize(vs->dist.vkind, vs->dim), vs->m)) +
		sizeof(ItemPointerData) * HNSW_WALK_STACK;
}

static void
ReachWalkPush(ReachWalk *w, ItemPointer tid)
{
	/*
	 * An element on a page added since the walk began is new: inserts keep
	 * what they add reachable, so the walk need not follow it.
	 */
	if (ItemPointerGetBlockNumber(tid) >= w->reached.nblocks)
		return;
	if (!HnswTidBitmapAdd(&w->reached, tid))
		return;
	if (w->nstack < HNSW_WALK_STACK)
		w->stack[w->nstack++] = *tid;
	else
	{
		HnswTidBitmapAdd(&w->pending, tid);
		w->npending++;
	}
}

/* Mark everything reachable on layer 0 from start */
static void
MarkReachable(HnswVacuumState *vs, ReachWalk *w, ItemPointer start)
{
	ItemPointerData list[2 * HNSW_MAX_M];
	int64		steps = 0;

	ReachWalkPush(w, start);
	while (w->nstack > 0 || w->npending > 0)
	{
		ItemPointerData cur;
		int			n;

		if (w->nstack == 0)
		{
			uint64		pos = 0;
			ItemPointerData tid;

			/* refill the stack from the pending set */
			while (w->nstack < HNSW_WALK_STACK &&
				   HnswTidBitmapNext(&w->pending, &pos, &tid))
			{
				HnswTidBitmapRemove(&w->pending, &tid);
				w->npending--;
				w->stack[w->nstack++] = tid;
			}
		}
		cur = w->stack[--w->nstack];
		n = ReadLayer0(vs, &cur, list, NULL, NULL);
		if ((++steps & 1023) == 0)
			vacuum_delay_point();
		for (int i = 0; i < n; i++)
			ReachWalkPush(w, &list[i]);
	}
}

/* Make the highest live element the entry point of an index that has none */
static bool
CreateEntryPoint(HnswVacuumState *vs, ItemPointer entry, int *level)
{
	Relation	index = vs->index;
	HnswMetaPageData meta;
	bool		found = false;

	LockPage(index, HNSW_UPDATE_LOCK, ExclusiveLock);
	HnswReadMeta(index, &meta);
	if (BlockNumberIsValid(meta.entry_blkno))
	{
		/* an insert made one meanwhile */
		ItemPointerSet(entry, meta.entry_blkno, meta.entry_offno);
		*level = meta.entry_level;
		found = true;
	}
	else if (HnswFindHighestLive(index, NULL, entry, level))
	{
		HnswUpdateEntryPoint(index, entry, *level, false);
		found = true;
	}
	UnlockPage(index, HNSW_UPDATE_LOCK, ExclusiveLock);
	return found;
}

/*
 * Link the unreached element u from the nearest element the walk reached,
 * found by a search for u's vector as an insert would do it, except that
 * layer 0 is searched from reached elements only: the entry point, and
 * where the descent through the upper layers lands if that is reached (the
 * upper layers may lead into the very part that layer 0 does not reach).
 * Layer 0 from reached elements never leaves the reached part.
 */
static void
ConnectElement(HnswVacuumState *vs, ReachWalk *w, ItemPointer entry,
			   int entrylevel, ItemPointer u, HnswCandidate *wbuf)
{
	Relation	index = vs->index;
	int			m = vs->m;
	int			efc = HnswGetEfConstruction(index);
	ItemPointerData list[2 * HNSW_MAX_M];
	void	   *vec = palloc(vs->dist.maxvsize);
	HnswLinkRequest req;
	HnswDiskGraph g;
	HnswSearch	s;
	HnswCandidate ep;
	HnswCandidate ep0;
	ItemPointerData eptid;
	int			nw;
	bool		linked = false;

	if (ReadLayer0(vs, u, list, vec, &req.tolist) < 0)
		return;					/* gone meanwhile */
	HnswDiskGraphInit(&g, index, &vs->dist, m, efc * m);
	g.query = vec;
	HnswSearchInit(&s, &hnsw_disk_graph_ops, &g, m, efc);
	if (!HnswDiskEntryCandidate(&g, entry, &ep0))
		return;
	ep = ep0;
	for (int lc = entrylevel; lc > 0; lc--)
		ep = HnswGreedySearch(&s, ep, lc);
	HnswSearchReset(&s, efc);
	HnswSearchAddEntry(&s, &ep0);
	HnswRefToTid(ep.ref, &eptid);
	if (ep.ref != ep0.ref && HnswTidBitmapContains(&w->reached, &eptid))
		HnswSearchAddEntry(&s, &ep);
	HnswSearchLayer(&s, 0, efc);
	nw = HnswSearchResultsSorted(&s, wbuf);

	req.to = *u;
	req.tovec = vec;
	req.reached = &w->reached;
	for (int i = 0; i < nw && !linked; i++)
	{
		HnswRefToTid(wbuf[i].ref, &req.from);
		if (ItemPointerEquals(&req.from, u) ||
			!HnswTidBitmapContains(&w->reached, &req.from))
			continue;
		HnswRefToTid(wbuf[i].aux, &req.fromlist);
		req.dist = wbuf[i].dist;
		linked = HnswLinkUnreached(&vs->lctx, &req);
	}
	if (linked)
	{
		vs->nlinked++;
		MarkReachable(vs, w, u);
	}
}

/*
 * Pass 5, in every vacuum: every live element must be reachable on layer 0
 * from the entry point.  Repairs can cut some off (their ways in all went
 * through deleted elements, alone or in islands that only link among
 * themselves), and so can a crash between an insert's records.  Walk layer
 * 0 from the entry point; link each live element the walk did not reach
 * from the nearest reached element (HnswLinkUnreached, which cuts nothing
 * else off); what it reaches is then reached too.  An index without an
 * entry point but with live elements (left so by a crash) gets one first.
 *
 * The walk reads each live element's list once; its memory follows the
 * index's size in blocks and must fit in maintenance_work_mem, or the pass
 * is skipped with a notice.  Concurrent inserts only add reachable
 * elements.
 */
static void
ReconnectUnreached(HnswVacuumState *vs)
{
	Relation	index = vs->index;
	HnswMetaPageData meta;
	ItemPointerData entry;
	int			level;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	int			maxoff = HnswMaxOffsets(HnswValueMinSize(vs->dist.vkind, vs->dim), vs->m);
	ReachWalk	w;
	HnswCandidate *wbuf;
	ItemPointerData *unreached;
	Size		need = ReachWalkBytes(vs, nblocks);

	if (need > (Size) maintenance_work_mem * 1024)
	{
		ereport(NOTICE,
				(errmsg("index \"%s\" was not checked for unreachable elements",
						RelationGetRelationName(index)),
				 errdetail("The check needs %zu kB of memory.", need / 1024 + 1),
				 errhint("Increase maintenance_work_mem to at least %zu kB.",
						 need / 1024 + 1)));
		return;
	}

	HnswReadMeta(index, &meta);
	ItemPointerSet(&entry, meta.entry_blkno, meta.entry_offno);
	level = meta.entry_level;
	if (!BlockNumberIsValid(meta.entry_blkno) &&
		!CreateEntryPoint(vs, &entry, &level))
		return;					/* no live element */

	HnswTidBitmapInit(&w.reached, index, nblocks, maxoff);
	HnswTidBitmapInit(&w.pending, index, nblocks, maxoff);
	w.npending = 0;
	w.nstack = 0;
	w.stack = palloc(sizeof(ItemPointerData) * HNSW_WALK_STACK);
	wbuf = palloc(sizeof(HnswCandidate) * (HnswGetEfConstruction(index) + 1));
	unreached = palloc(sizeof(ItemPointerData) * maxoff);

	MarkReachable(vs, &w, &entry);

	/* the pages as they were when the walk began; later ones are new */
	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < nblocks; blk++)
	{
		Buffer		buf;
		Page		page;
		int			nu = 0;

		vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL,
								 vs->info->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (HnswPageIsData(&vs->lim, page, blk))
		{
			OffsetNumber maxoffset = PageGetMaxOffsetNumber(page);

			for (OffsetNumber off = FirstOffsetNumber; off <= maxoffset && nu < maxoff; off++)
			{
				HnswElementTuple etup = HnswPageGetElementOrNull(&vs->lim, page, blk, off);
				ItemPointerData tid;

				if (etup == NULL || etup->state != HNSW_ELEMENT_LIVE)
					continue;
				ItemPointerSet(&tid, blk, off);
				if (!HnswTidBitmapContains(&w.reached, &tid))
					unreached[nu++] = tid;
			}
		}
		UnlockReleaseBuffer(buf);

		for (int i = 0; i < nu; i++)
		{
			MemoryContext old;

			if (HnswTidBitmapContains(&w.reached, &unreached[i]))
				continue;		/* reached through one linked before */
			old = MemoryContextSwitchTo(vs->tmpCtx);
			ConnectElement(vs, &w, &entry, level, &unreached[i], wbuf);
			MemoryContextSwitchTo(old);
			MemoryContextReset(vs->tmpCtx);
		}
	}
	if (vs->nlinked > 0)
		ereport(DEBUG1,
				(errmsg("index \"%s\": linked " INT64_FORMAT " elements that the entry point no longer reached",
						RelationGetRelationName(index), vs->nlinked)));
	pfree(unreached);
	pfree(wbuf);
	pfree(w.stack);
	HnswTidBitmapFree(&w.reached);
	HnswTidBitmapFree(&w.pending);
}

/*
 * Pass 4: deleted elements are now unreferenced, but for those a repair
 * gave up on (vs->unrepaired), which stay DELETED; make them REUSABLE and
 * record in the free space map what each of their pages offers for reuse
 * (HnswPageReuseOffer).
 */
static void
MarkReusable(HnswVacuumState *vs)
{
	Relation	index = vs->index;
	HASH_SEQ_STATUS seq;
	DeadElement *d;
	BlockNumber *blocks;
	int64		nblocks = 0;
	int64		ndead = hash_get_num_entries(vs->dead);

	/* the distinct pages of dead elements, in order */
	blocks = palloc(sizeof(BlockNumber) * Max(ndead, 1));
	hash_seq_init(&seq, vs->dead);
	while ((d = hash_seq_search(&seq)) != NULL)
		blocks[nblocks++] = ItemPointerGetBlockNumber(&d->tid);
	qsort(blocks, nblocks, sizeof(BlockNumber), HnswBlockCmp);

	for (int64 i = 0; i < nblocks; i++)
	{
		BlockNumber blk = blocks[i];
		Buffer		buf;
		Page		page;
		OffsetNumber maxoff;
		HnswEdit	edit;
		Size		offer;

		if (i > 0 && blocks[i - 1] == blk)
			continue;
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL,
								 vs->info->strategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		if (!HnswPageIsData(&vs->lim, BufferGetPage(buf), blk))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		HnswEditBegin(&edit, index, false);
		page = HnswEditRegister(&edit, buf, false);
		maxoff = PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			HnswElementTuple etup = HnswPageGetElementOrNull(&vs->lim, page, blk, off);
			ItemPointerData tid;

			if (etup == NULL)
				continue;
			ItemPointerSet(&tid, blk, off);
			if (etup->state == HNSW_ELEMENT_DELETED &&
				HnswTidSetContains(&vs->deadset, HnswTidToRef(&tid)) &&
				!HnswTidSetContains(&vs->unrepaired, HnswTidToRef(&tid)))
				etup->state = HNSW_ELEMENT_REUSABLE;
		}
		HnswEditFinish(&edit);
		offer = HnswPageReuseOffer(&vs->lim, BufferGetPage(buf), blk);
		UnlockReleaseBuffer(buf);
		RecordPageWithFreeSpace(index, blk, offer);
	}
	FreeSpaceMapVacuum(index);
	pfree(blocks);
}

IndexBulkDeleteResult *
hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	HnswVacuumState vs;
	HASHCTL		ctl;
	MemoryContext vacCtx;
	MemoryContext old;

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));

	vacCtx = AllocSetContextCreate(CurrentMemoryContext, "hnsw vacuum",
								   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(vacCtx);

	memset(&vs, 0, sizeof(vs));
	vs.info = info;
	vs.stats = stats;
	vs.callback = callback;
	vs.callback_state = callback_state;
	vs.index = info->index;
	vs.m = HnswGetMetaM(info->index);
	vs.dim = HnswGetDimensions(info->index);
	HnswInitDistance(&vs.dist, info->index, vs.dim);
	vs.lctx.index = info->index;
	vs.lctx.dist = &vs.dist;
	vs.lctx.m = vs.m;
	vs.lctx.building = false;
	vs.lctx.codes = HnswGetCodes(info->index, &vs.dist);
	HnswGetPageLimits(info->index, &vs.lim);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ItemPointerData);
	ctl.entrysize = sizeof(DeadElement);
	ctl.hcxt = vacCtx;
	vs.dead = hash_create("hnsw vacuum dead elements", 256, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	HnswTidSetInit(&vs.deadset, 256);
	HnswTidSetInit(&vs.unrepaired, 16);
	vs.tmpCtx = AllocSetContextCreate(vacCtx, "hnsw vacuum repair",
									  ALLOCSET_DEFAULT_SIZES);

	stats->num_index_tuples = 0;
	RemoveHeapTids(&vs);
	FixEntryPoint(&vs);
	if (hash_get_num_entries(vs.dead) > 0)
	{
		RepairGraph(&vs);
		MarkReusable(&vs);
	}

	/*
	 * Every vacuum checks that the entry point still reaches every live
	 * element: repairs, and inserts racing with a vacuum, can cut some off.
	 */
	ReconnectUnreached(&vs);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(vacCtx);
	return stats;
}

static bool
NothingDead(ItemPointer itemptr, void *state)
{
	return false;
}

IndexBulkDeleteResult *
hnswvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;

	if (stats == NULL)
	{
		/* no bulk delete ran: count, and finish an interrupted vacuum */
		stats = hnswbulkdelete(info, NULL, NothingDead, NULL);
	}
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}

/*-------------------------------------------------------------------------
 *
 * hnswvacuum.c
 *	  VACUUM support for hnsw indexes (ambulkdelete, amvacuumcleanup).
 *
 * Bulk delete removes dead heap TIDs from element tuples.  An element left
 * with no heap TID stays in the graph as a connector: scans walk through
 * it but never return it, and an identical vector inserted later does not
 * revive it.
 *
 * IDENTIFICATION
 *	  src/hnswvacuum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "commands/vacuum.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * Remove the heap TIDs that callback reports dead; count the rest.
 */
static void
RemoveHeapTids(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);

	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < nblocks; blk++)
	{
		Buffer		buf;
		Page		page;
		OffsetNumber maxoff;
		bool		dirty = false;
		HnswEdit	edit;

		vacuum_delay_point();

		buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL,
								 info->strategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		page = BufferGetPage(buf);
		if (PageIsNew(page) || !(HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}

		/* a first pass finds out whether the page changes at all */
		maxoff = PageGetMaxOffsetNumber(page);
		for (int pass = 0; pass < 2; pass++)
		{
			if (pass == 1)
			{
				if (!dirty)
					break;
				HnswEditBegin(&edit, index, false);
				page = HnswEditRegister(&edit, buf, false);
			}
			for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
			{
				HnswElementTuple etup;

				if (!ItemIdIsNormal(PageGetItemId(page, off)))
					continue;
				etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
				if (etup->type != HNSW_ELEMENT_TUPLE || etup->deleted)
					continue;
				for (int i = 0; i < HNSW_HEAPTIDS; i++)
				{
					if (!ItemPointerIsValid(&etup->heaptids[i]))
						continue;
					if (callback(&etup->heaptids[i], callback_state))
					{
						if (pass == 0)
							dirty = true;
						else
						{
							ItemPointerSetInvalid(&etup->heaptids[i]);
							stats->tuples_removed++;
						}
					}
				}
			}
		}
		if (dirty)
			HnswEditFinish(&edit);

		/* count what is left */
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			HnswElementTuple etup;

			if (!ItemIdIsNormal(PageGetItemId(page, off)))
				continue;
			etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
			if (etup->type != HNSW_ELEMENT_TUPLE || etup->deleted)
				continue;
			for (int i = 0; i < HNSW_HEAPTIDS; i++)
				if (ItemPointerIsValid(&etup->heaptids[i]))
					stats->num_index_tuples++;
		}
		UnlockReleaseBuffer(buf);
	}
	stats->num_pages = nblocks;
}

IndexBulkDeleteResult *
hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));
	stats->num_index_tuples = 0;
	RemoveHeapTids(info, stats, callback, callback_state);
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
		/* no bulk delete ran: just count */
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		RemoveHeapTids(info, stats, NothingDead, NULL);
	}
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}

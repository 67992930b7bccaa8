/*-------------------------------------------------------------------------
 *
 * hnswutils.c
 *	  Index options, and sets of element TIDs (the visited
 *	  set of a search, and bitmaps sized by blocks for passes over a whole
 *	  index).
 *
 * IDENTIFICATION
 *	  src/hnswutils.c
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
 * Options
 * ---------------------------------------------------------------------
 */
int
HnswGetM(Relation index)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;

	return opts ? opts->m : HNSW_DEFAULT_M;
}

int
HnswGetEfConstruction(Relation index)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;

	return opts ? opts->efConstruction : HNSW_DEFAULT_EF_CONSTRUCTION;
}

int
HnswGetQuantization(Relation index)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;

	return opts ? opts->quantization : HNSW_QUANTIZATION_AUTO;
}

/* Dimensions of the indexed column, from its typmod (-1 if none) */
int
HnswGetDimensions(Relation index)
{
	return TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;
}

/* ---------------------------------------------------------------------
 * Visited set of packed TIDs
 * ---------------------------------------------------------------------
 */
void
HnswTidSetInit(HnswTidSet *s, uint32 expected)
{
	uint32		cap = 64;

	while (cap < expected * 2)
		cap <<= 1;
	memset(s, 0, sizeof(*s));
	s->keys = palloc0(sizeof(uint64) * cap);
	s->used = palloc(sizeof(uint32) * (cap / 2 + 1));
	s->mask = cap - 1;
	s->count = 0;
}

/*
 * The visited bitmap scans borrow: one per backend, in TopMemoryContext,
 * all zeros while not lent.  It is not kept in the relcache entry: the
 * entry's rd_amcache is freed whenever the entry is invalidated, which can
 * happen while a scan that borrowed the bitmap is still open.
 */
static uint64 *spare_visitbits = NULL;
static uint32 *spare_visitwords = NULL;
static uint32 spare_visitnwords = 0;
static bool spare_visitlent = false;
static LocalTransactionId spare_visitlxid;	/* transaction of the borrower */

/*
 * Add a bitmap to a scan's visited set, for blocks below nblocks with at
 * most maxoffsets line pointers, unless it would take more than 4 MB.  The
 * bitmap is borrowed from the backend's spare one, which stays between
 * scans (allocating and zeroing it for every scan would cost more than the
 * search); HnswTidSetReturnBitmap gives it back, cleared.  A scan that
 * finds it lent (another hnsw scan is open in this backend) gets a bitmap
 * of its own.
 */
void
HnswTidSetUseBitmap(HnswTidSet *s, Relation index, BlockNumber nblocks,
					int maxoffsets)
{
	int			shift = 0;
	uint64		nbits;
	uint32		nwords;

	while ((1 << shift) <= maxoffsets)
		shift++;
	nbits = (uint64) nblocks << shift;
	if (nbits > (uint64) 32 * 1024 * 1024 || nblocks == 0)
		return;
	nwords = (uint32) ((nbits + 63) / 64);

	/*
	 * A scan ended by an error never gave the bitmap back.  Scans do not
	 * outlive their transaction, so one lent in an earlier transaction is
	 * free again, once cleared.
	 */
	if (spare_visitlent && spare_visitlxid != MyProc->lxid)
	{
		memset(spare_visitbits, 0, sizeof(uint64) * spare_visitnwords);
		spare_visitlent = false;
	}

	if (!spare_visitlent)
	{
		if (spare_visitnwords < nwords)
		{
			uint32		n = Max(nwords, spare_visitnwords * 2);

			if (spare_visitbits)
			{
				pfree(spare_visitbits);
				pfree(spare_visitwords);
				spare_visitbits = NULL;
				spare_visitwords = NULL;
				spare_visitnwords = 0;
			}
			spare_visitbits = MemoryContextAllocZero(TopMemoryContext,
													 sizeof(uint64) * n);
			spare_visitwords = MemoryContextAlloc(TopMemoryContext,
												  sizeof(uint32) * n);
			spare_visitnwords = n;
		}
		spare_visitlent = true;
		spare_visitlxid = MyProc->lxid;
		s->bits = spare_visitbits;
		s->usedwords = spare_visitwords;
		s->lent = true;
	}
	else
	{
		s->bits = palloc0(sizeof(uint64) * nwords);
		s->usedwords = palloc(sizeof(uint32) * nwords);
		s->lent = false;
	}
	s->nwords = nwords;
	s->nusedwords = 0;
	s->nblocks = nblocks;
	s->shift = shift;
}

/* Clear the set and give a borrowed bitmap back */
void
HnswTidSetReturnBitmap(HnswTidSet *s, Relation index)
{
	if (s->bits == NULL)
		return;
	HnswTidSetClear(s);
	if (s->lent && spare_visitbits == s->bits)
		spare_visitlent = false;
	s->bits = NULL;
	s->usedwords = NULL;
}

/* Empty the set, in time proportional to its size */
void
HnswTidSetClear(HnswTidSet *s)
{
	if (s->count > (s->mask + 1) / 16)
		memset(s->keys, 0, sizeof(uint64) * (s->mask + 1));
	else
	{
		for (uint32 i = 0; i < s->count; i++)
			s->keys[s->used[i]] = 0;
	}
	s->count = 0;
	if (s->bits)
	{
		if (s->nusedwords > s->nwords / 16)
			memset(s->bits, 0, sizeof(uint64) * s->nwords);
		else
		{
			for (uint32 i = 0; i < s->nusedwords; i++)
				s->bits[s->usedwords[i]] = 0;
		}
		s->nusedwords = 0;
	}
}

static void
TidSetGrow(HnswTidSet *s)
{
	uint64	   *old = s->keys;
	uint32		oldcap = s->mask + 1;

	s->keys = palloc0(sizeof(uint64) * oldcap * 2);
	pfree(s->used);
	s->used = palloc(sizeof(uint32) * (oldcap + 1));
	s->mask = oldcap * 2 - 1;
	s->count = 0;
	for (uint32 j = 0; j < oldcap; j++)
	{
		if (old[j] != 0)
		{
			uint32		i = HnswTidSetHash(old[j]) & s->mask;

			while (s->keys[i] != 0)
				i = (i + 1) & s->mask;
			s->keys[i] = old[j];
			s->used[s->count++] = i;
		}
	}
	pfree(old);
}

bool
HnswTidSetContains(const HnswTidSet *s, uint64 key)
{
	uint32		i;

	if (s->bits && (key >> 16) < s->nblocks && (key & 0xFFFF) < (1 << s->shift))
	{
		uint64		bit = ((key >> 16) << s->shift) | (key & 0xFFFF);

		return (s->bits[bit >> 6] & (UINT64CONST(1) << (bit & 63))) != 0;
	}
	i = HnswTidSetHash(key) & s->mask;

	for (;;)
	{
		if (s->keys[i] == key)
			return true;
		if (s->keys[i] == 0)
			return false;
		i = (i + 1) & s->mask;
	}
}

/* Add key; returns true if it was not there before */
bool
HnswTidSetAdd(HnswTidSet *s, uint64 key)
{
	uint32		i;

	Assert(key != 0);
	if (s->bits && (key >> 16) < s->nblocks && (key & 0xFFFF) < (1 << s->shift))
	{
		uint64		bit = ((key >> 16) << s->shift) | (key & 0xFFFF);
		uint64	   *word = &s->bits[bit >> 6];
		uint64		mask = UINT64CONST(1) << (bit & 63);

		if (*word & mask)
			return false;
		if (*word == 0)
			s->usedwords[s->nusedwords++] = (uint32) (bit >> 6);
		*word |= mask;
		return true;
	}
	if (unlikely(s->count * 2 >= s->mask))
		TidSetGrow(s);

	i = HnswTidSetHash(key) & s->mask;
	for (;;)
	{
		if (s->keys[i] == key)
			return false;
		if (s->keys[i] == 0)
		{
			s->keys[i] = key;
			s->used[s->count++] = i;
			return true;
		}
		i = (i + 1) & s->mask;
	}
}

/* ---------------------------------------------------------------------
 * Bitmap of element TIDs, sized by blocks (HnswTidBitmap)
 * ---------------------------------------------------------------------
 */

/*
 * Most line pointers a data page of an index with these values (the bytes
 * of the smallest, see HnswValueMinSize) and m can hold: every tuple is at
 * least as large as the smaller of an element tuple and a layer-0
 * neighbour tuple.
 */
int
HnswMaxOffsets(Size vsize, int m)
{
	Size		esize = MAXALIGN(HNSW_ELEMENT_TUPLE_SIZE(vsize));
	Size		nsize = MAXALIGN(HNSW_NEIGHBOR_TUPLE_SIZE(0, m));
	Size		smallest = Min(esize, nsize);

	/* a large value may be split into a head and value tuples */
	if (vsize >= HNSW_SPLIT_MIN_VALUE)
		smallest = Min(smallest,
					   Min(MAXALIGN(HNSW_CHAINED_ELEMENT_SIZE(HNSW_MIN_PART)),
						   MAXALIGN(HNSW_VALUE_TUPLE_HEADER + HNSW_MIN_PART)));
	return (int) ((HNSW_PAGE_CAPACITY + sizeof(ItemIdData)) /
				  (smallest + sizeof(ItemIdData)));
}

static int
TidBitmapShift(int maxoffsets)
{
	int			shift = 0;

	while ((1 << shift) <= maxoffsets)
		shift++;
	return shift;
}

/* Bytes a bitmap for nblocks blocks of up to maxoffsets line pointers takes */
Size
HnswTidBitmapBytes(BlockNumber nblocks, int maxoffsets)
{
	uint64		nbits = (uint64) Max(nblocks, 1) << TidBitmapShift(maxoffsets);

	return (Size) (((nbits + 63) / 64) * sizeof(uint64));
}

/*
 * A zeroed bitmap for TIDs in blocks below nblocks with offsets up to
 * maxoffsets, in CurrentMemoryContext.  The caller checks the size against
 * its memory budget first (HnswTidBitmapBytes).
 */
void
HnswTidBitmapInit(HnswTidBitmap *b, Relation index, BlockNumber nblocks,
				  int maxoffsets)
{
	Size		bytes = HnswTidBitmapBytes(nblocks, maxoffsets);

	b->index = index;
	b->nblocks = nblocks;
	b->shift = TidBitmapShift(maxoffsets);
	b->nwords = bytes / sizeof(uint64);
	b->words = palloc_extended(bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static inline uint64
TidBitmapBit(const HnswTidBitmap *b, ItemPointer tid)
{
	BlockNumber blk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);

	if (blk >= b->nblocks || blk == HNSW_METAPAGE_BLKNO ||
		off < FirstOffsetNumber || off >= (1 << b->shift))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" refers to an element at (%u,%u), outside the index",
						RelationGetRelationName(b->index), blk, off)));
	return ((uint64) blk << b->shift) | off;
}

/* Add tid; returns true if it was not there before */
bool
HnswTidBitmapAdd(HnswTidBitmap *b, ItemPointer tid)
{
	uint64		bit = TidBitmapBit(b, tid);
	uint64	   *word = &b->words[bit >> 6];
	uint64		mask = UINT64CONST(1) << (bit & 63);

	if (*word & mask)
		return false;
	*word |= mask;
	return true;
}

/* Is tid in the set?  A TID in a block past the bitmap's range is not. */
bool
HnswTidBitmapContains(const HnswTidBitmap *b, ItemPointer tid)
{
	uint64		bit;

	if (ItemPointerGetBlockNumberNoCheck(tid) >= b->nblocks)
		return false;
	bit = TidBitmapBit(b, tid);

	return (b->words[bit >> 6] & (UINT64CONST(1) << (bit & 63))) != 0;
}

void
HnswTidBitmapRemove(HnswTidBitmap *b, ItemPointer tid)
{
	uint64		bit = TidBitmapBit(b, tid);

	b->words[bit >> 6] &= ~(UINT64CONST(1) << (bit & 63));
}

/*
 * Iterate in TID order: set *pos to 0 first; each call stores the next TID
 * in the set into *tid and returns true, or returns false at the end.
 */
bool
HnswTidBitmapNext(const HnswTidBitmap *b, uint64 *pos, ItemPointer tid)
{
	uint64		bit = *pos;

	while ((bit >> 6) < b->nwords)
	{
		uint64		w = b->words[bit >> 6] >> (bit & 63);

		if (w == 0)
		{
			bit = ((bit >> 6) + 1) << 6;
			continue;
		}
		bit += __builtin_ctzll(w);
		ItemPointerSet(tid, (BlockNumber) (bit >> b->shift),
					   (OffsetNumber) (bit & ((1 << b->shift) - 1)));
		*pos = bit + 1;
		return true;
	}
	*pos = bit;
	return false;
}

void
HnswTidBitmapClear(HnswTidBitmap *b)
{
	memset(b->words, 0, b->nwords * sizeof(uint64));
}

void
HnswTidBitmapFree(HnswTidBitmap *b)
{
	if (b->words)
		pfree(b->words);
	b->words = NULL;
}


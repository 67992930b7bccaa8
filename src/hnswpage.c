/*-------------------------------------------------------------------------
 *
 * hnswpage.c
 *	  Pages, WAL and the buffer cache of an hnsw index: page changes, tuple
 *	  builders, the metapage, the relcache entry's buffer cache and page
 *	  limits, and the reports of damaged pages.
 *
 * All page changes go through HnswEdit: during ambuild it only marks
 * buffers dirty (the whole index is WAL-logged at the end of the build);
 * otherwise it is a GenericXLog record of at most MAX_GENERIC_XLOG_PAGES
 * pages.  Callers register a buffer before they change its page.  Reading
 * pages without trusting them: see hnsw_page.h.
 *
 * IDENTIFICATION
 *	  src/hnswpage.c
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
 * Pages and WAL
 * ---------------------------------------------------------------------
 */

/*
 * Start a set of page changes.  During a build (building = true) pages are
 * changed in place and marked dirty at the end; otherwise the changes form
 * one GenericXLog record.
 */
void
HnswEditBegin(HnswEdit *e, Relation index, bool building)
{
	e->index = index;
	e->building = building;
	e->nbufs = 0;
	e->state = building ? NULL : GenericXLogStart(index);
}

/*
 * Register an exclusively locked buffer and return the page to change.
 * Change nothing on the buffer's page before this call.  fullImage logs
 * the whole page (use it for freshly initialised pages).
 */
Page
HnswEditRegister(HnswEdit *e, Buffer buf, bool fullImage)
{
	if (e->nbufs >= MAX_GENERIC_XLOG_PAGES)
		elog(ERROR, "too many pages in one change of index \"%s\"",
			 RelationGetRelationName(e->index));
	e->bufs[e->nbufs++] = buf;
	if (e->building)
		return BufferGetPage(buf);
	return GenericXLogRegisterBuffer(e->state, buf,
									 fullImage ? GENERIC_XLOG_FULL_IMAGE : 0);
}

/*
 * Apply the changes: WAL-log them, or mark the buffers dirty during a
 * build.  Buffers stay locked and pinned; the caller releases them.
 */
void
HnswEditFinish(HnswEdit *e)
{
	if (e->building)
	{
		for (int i = 0; i < e->nbufs; i++)
			MarkBufferDirty(e->bufs[i]);
	}
	else
		GenericXLogFinish(e->state);
	e->nbufs = 0;
	e->state = NULL;
}

/* Throw the changes away (only valid before any page was changed in build) */
void
HnswEditAbort(HnswEdit *e)
{
	if (!e->building && e->state)
		GenericXLogAbort(e->state);
	e->nbufs = 0;
	e->state = NULL;
}

void
HnswInitPage(Page page, uint16 flags)
{
	HnswPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(HnswPageOpaqueData));
	opaque = HnswPageGetOpaque(page);
	opaque->flags = flags;
	opaque->page_id = HNSW_PAGE_ID;
}

/*
 * Fill an element tuple of HNSW_ELEMENT_TUPLE_SIZE(vsize) bytes: LIVE, of
 * the given level, holding the value (vsize bytes) and the first nheaptids
 * heap TIDs (the other slots invalid).  The caller sets neighbortid.  The
 * build and the insert form their tuples here.
 */
void
HnswFormElement(HnswElementTuple etup, int level, const void *value, Size vsize,
				const ItemPointerData *heaptids, int nheaptids)
{
	Assert(nheaptids >= 1 && nheaptids <= HNSW_HEAPTIDS);
	memset(etup, 0, HNSW_ELEMENT_TUPLE_SIZE(vsize));
	etup->type = HNSW_ELEMENT_TUPLE;
	etup->level = level;
	etup->state = HNSW_ELEMENT_LIVE;
	for (int i = 0; i < HNSW_HEAPTIDS; i++)
	{
		if (i < nheaptids)
			etup->heaptids[i] = heaptids[i];
		else
			ItemPointerSetInvalid(&etup->heaptids[i]);
	}
	memcpy(etup->value, value, vsize);
}

/*
 * Fill dst as the CHAINED form of the element whole (formed by
 * HnswFormElement, its neighbortid set, holding a value of vsize bytes):
 * the same header, the first headlen bytes of its value (zero past its
 * end: a SPARSE value may be shorter than the head of the place it takes),
 * and the chain (valuetid, valuecap).  Returns the size of dst,
 * HNSW_CHAINED_ELEMENT_SIZE(headlen).
 */
Size
HnswFormChainedElement(HnswElementTuple dst, const HnswElementTupleData *whole,
					   Size vsize, Size headlen, ItemPointer valuetid,
					   Size valuecap)
{
	HnswElementChainData *chain;

	Assert(headlen >= HNSW_MIN_PART && headlen <= valuecap && headlen <= PG_UINT16_MAX);
	Assert(vsize <= valuecap);
	memcpy(dst, whole, offsetof(HnswElementTupleData, value));
	dst->flags |= HNSW_ELEMENT_CHAINED;
	chain = HnswElementChain(dst);
	chain->valuetid = *valuetid;
	chain->headlen = (uint16) headlen;
	chain->valuecap = (uint32) valuecap;
	memcpy(HnswElementHead(dst), whole->value, Min(headlen, vsize));
	if (vsize < headlen)
		memset(HnswElementHead(dst) + vsize, 0, headlen - vsize);
	return HNSW_CHAINED_ELEMENT_SIZE(headlen);
}

/*
 * Fill a value tuple with n bytes of data and the TID of the next part
 * (invalid at the end).  Returns its size.
 */
Size
HnswFormValueTuple(HnswValueTuple vtup, const char *data, Size n,
				   ItemPointer next)
{
	memset(vtup, 0, HNSW_VALUE_TUPLE_HEADER);
	vtup->type = HNSW_VALUE_TUPLE;
	if (next)
		vtup->next = *next;
	else
		ItemPointerSetInvalid(&vtup->next);
	memcpy(vtup->data, data, n);
	return HNSW_VALUE_TUPLE_HEADER + n;
}

/*
 * Fill a neighbour tuple of HnswNeighborTupleSize(level, m, codesize) bytes
 * for an element of the given level, with every list empty, no good member
 * and every code zero.
 */
void
HnswFormNeighbors(HnswNeighborTuple ntup, int level, int m, Size codesize)
{
	memset(ntup, 0, HnswNeighborTupleSize(level, m, codesize));
	ntup->type = HNSW_NEIGHBOR_TUPLE;
	ntup->level = level;
	ntup->count = HNSW_NEIGHBOR_SLOTS(level, m);
	for (int i = 0; i < ntup->count; i++)
		ItemPointerSetInvalid(&ntup->tids[i]);
}

/*
 * Extend the index by one page.  Returns the new buffer pinned and
 * exclusively locked; its page is not initialised.
 */
Buffer
HnswNewBuffer(Relation index)
{
	Buffer		buf;
	bool		needLock = !RELATION_IS_LOCAL(index);

	if (needLock)
		LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	if (needLock)
		UnlockRelationForExtension(index, ExclusiveLock);
	return buf;
}

/* Raise an error unless page looks like one of ours */
void
HnswCheckPage(Relation index, Page page, BlockNumber blkno)
{
	if (PageIsNew(page) ||
		PageGetSpecialSize(page) != MAXALIGN(sizeof(HnswPageOpaqueData)) ||
		HnswPageGetOpaque(page)->page_id != HNSW_PAGE_ID)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains unexpected page at block %u",
						RelationGetRelationName(index), blkno)));
}

static void ReportBadMeta(Relation index, const char *detail) pg_attribute_noreturn();

/* Raise ERRCODE_INDEX_CORRUPTED for the metapage; detail is a sentence */
static void
ReportBadMeta(Relation index, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains a corrupted metapage at block %u",
					RelationGetRelationName(index), HNSW_METAPAGE_BLKNO),
			 errdetail_internal("%s", detail)));
}

/*
 * Copy the metapage contents into *meta and check every field but the
 * entry point's block number, which needs the size of the index (see
 * HnswReadMeta).  Takes and releases a share lock on the metapage.
 */
static void
ReadMetaFields(Relation index, HnswMetaPageData *meta)
{
	Buffer		buf;
	Page		page;
	HnswMetaPage m;
	int			dim = HnswGetDimensions(index);
	const HnswTypeInfo *type = HnswGetTypeInfo(index);
	int			maxdim = type->maxdim > 0 ? type->maxdim : HNSW_MAX_SPARSE_DIM;
	int			maxlevel;
	char	   *detail;

	buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	HnswCheckPage(index, page, HNSW_METAPAGE_BLKNO);
	if (!(HnswPageGetOpaque(page)->flags & HNSW_PAGE_META))
		ReportBadMeta(index, "Block 0 is not marked as a metapage.");
	m = HnswPageGetMeta(page);
	if (m->magic != HNSW_MAGIC_NUMBER)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not an hnsw index",
						RelationGetRelationName(index))));
	if (m->version < HNSW_OLDEST_FORMAT || m->version > HNSW_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has format version %u, expected %u",
						RelationGetRelationName(index), m->version,
						HNSW_FORMAT_VERSION),
				 errhint("REINDEX the index.")));
	*meta = *m;
	UnlockReleaseBuffer(buf);

	/*
	 * Older formats had no codes, and the bytes of the fields may not be
	 * there; without codes, the fields of codes mean nothing.
	 */
	if (meta->version < 4 || meta->codes == HNSW_CODE_NONE)
	{
		meta->codes = HNSW_CODE_NONE;
		meta->codebits = 0;
		meta->unused = 0;
		meta->codeseed = 0;
	}

	if (meta->m < HNSW_MIN_M || meta->m > HNSW_MAX_M)
		ReportBadMeta(index, psprintf("Its m is %u; m must be between %d and %d.",
									  meta->m, HNSW_MIN_M, HNSW_MAX_M));
	if (meta->dimensions < 1 || meta->dimensions > maxdim ||
		meta->dimensions != dim)
		ReportBadMeta(index, psprintf("It has %u dimensions; the indexed column has %d.",
									  meta->dimensions, dim));
	/* format 1 had only float4 values, and 0 in the kind's place */
	if (meta->kind != type->kind)
		ReportBadMeta(index, psprintf("It holds values of kind %u; the indexed column's type (%s) needs kind %d.",
									  meta->kind, type->typname, type->kind));
	if ((detail = HnswCodeFieldsProblem(meta)) != NULL)
		ReportBadMeta(index, detail);
	maxlevel = HnswIndexMaxLevel(meta->m, meta->codes != HNSW_CODE_NONE);
	if (meta->entry_level < -1 || meta->entry_level > maxlevel)
		ReportBadMeta(index, psprintf("Its entry level is %d; it must be between -1 and %d.",
									  meta->entry_level, maxlevel));
	if (meta->entry_blkno == InvalidBlockNumber)
	{
		if (meta->entry_offno != InvalidOffsetNumber || meta->entry_level != -1)
			ReportBadMeta(index, psprintf("It has no entry point, but entry offset %u and entry level %d.",
										  meta->entry_offno, meta->entry_level));
	}
	else if (meta->entry_blkno == HNSW_METAPAGE_BLKNO ||
			 meta->entry_offno < FirstOffsetNumber ||
			 meta->entry_offno > HnswMaxOffsets(HnswValueMinSize(meta->kind, meta->dimensions),
												meta->m) ||
			 meta->entry_level < 0)
		ReportBadMeta(index, psprintf("Its entry point (%u,%u) at level %d cannot be an element.",
									  meta->entry_blkno, meta->entry_offno,
									  meta->entry_level));
}

/*
 * Copy the metapage contents into *meta, checking every field: magic and
 * version, m, dimensions (those of the column), the entry level, and that
 * the entry point is a TID of a data page of the index (or none, at level
 * -1, when the index is empty).  Raises ERRCODE_INDEX_CORRUPTED otherwise.
 * Takes and releases a share lock on the metapage.
 */
void
HnswReadMeta(Relation index, HnswMetaPageData *meta)
{
	ReadMetaFields(index, meta);
	if (meta->entry_blkno != InvalidBlockNumber)
	{
		HnswPageLimits lim;
		ItemPointerData entry;

		HnswGetPageLimits(index, &lim);
		ItemPointerSet(&entry, meta->entry_blkno, meta->entry_offno);
		if (meta->entry_blkno >= lim.nblocks)
			HnswCheckTidSlow(&lim, &entry, HNSW_METAPAGE_BLKNO, InvalidOffsetNumber);
	}
}

/*
 * Make tid (at level) the entry point.  Caller holds HNSW_UPDATE_LOCK in
 * ExclusiveLock mode (or is the build), so nobody else moves it meanwhile.
 */
void
HnswUpdateEntryPoint(Relation index, ItemPointer tid, int level, bool building)
{
	Buffer		buf;
	Page		page;
	HnswMetaPage m;
	HnswEdit	edit;

	buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	HnswEditBegin(&edit, index, building);
	page = HnswEditRegister(&edit, buf, false);
	m = HnswPageGetMeta(page);
	if (tid)
	{
		m->entry_blkno = ItemPointerGetBlockNumber(tid);
		m->entry_offno = ItemPointerGetOffsetNumber(tid);
	}
	else
	{
		m->entry_blkno = InvalidBlockNumber;
		m->entry_offno = InvalidOffsetNumber;
	}
	m->entry_level = level;
	HnswEditFinish(&edit);
	UnlockReleaseBuffer(buf);
}

/* ---------------------------------------------------------------------
 * Buffer look-ups
 *
 * Every backend remembers, in the index's relcache entry (rd_amcache),
 * which shared buffer held each block the last time it read it.
 * ReadRecentBuffer() then pins that buffer after checking its tag, which
 * skips the buffer mapping table and its partition lock.  A stale entry
 * only costs a normal ReadBuffer.  The cache goes away with the relcache
 * entry, e.g. after REINDEX or TRUNCATE.
 * ---------------------------------------------------------------------
 */
/*
 * The relcache entry's part, rd_amcache, is one chunk in rd_indexcxt:
 * PostgreSQL frees it with a single pfree when the entry is invalidated
 * (RelationReloadIndexInfo), and keeps rd_indexcxt, so anything allocated
 * apart from it would leak.  It grows by being copied to a larger chunk;
 * nobody keeps a pointer into it between calls.
 */
typedef struct HnswRelCache
{
	HnswPageLimits lim;			/* lim.m is 0 until the metapage is read */
	BlockNumber nbufs;			/* entries in bufs */
	Buffer		bufs[FLEXIBLE_ARRAY_MEMBER];	/* InvalidBuffer if unknown */
} HnswRelCache;

/* Blocks beyond this are not remembered (4 MB of cache per index) */
#define HNSW_BUFFER_CACHE_MAX	(1024 * 1024)

static inline HnswRelCache *
GetRelCache(Relation index)
{
	if (unlikely(index->rd_amcache == NULL))
		index->rd_amcache = MemoryContextAllocZero(index->rd_indexcxt,
												   offsetof(HnswRelCache, bufs));
	return (HnswRelCache *) index->rd_amcache;
}

/* Read the limits of HnswPageLimits from the metapage */
static void
InitPageLimits(Relation index, HnswPageLimits *lim)
{
	HnswMetaPageData meta;

	ReadMetaFields(index, &meta);
	lim->index = index;
	lim->m = meta.m;
	lim->dim = meta.dimensions;
	lim->kind = meta.kind;
	lim->version = meta.version;
	lim->vsize = HnswValueMinSize(meta.kind, meta.dimensions);
	lim->maxnnz = meta.kind == HNSW_VALUE_SPARSE ? HnswGetTypeInfo(index)->maxnnz : 0;
	lim->maxvsize = meta.kind == HNSW_VALUE_SPARSE ?
		HNSW_SPARSE_VALUE_SIZE(lim->maxnnz) : lim->vsize;
	lim->codesize = meta.codes != HNSW_CODE_NONE ? HNSW_CODE_SIZE(meta.codebits) : 0;
	lim->maxlevel = HnswIndexMaxLevel(meta.m, meta.codes != HNSW_CODE_NONE);
	lim->maxoffsets = HnswMaxOffsets(lim->vsize, meta.m);
	lim->nblocks = RelationGetNumberOfBlocks(index);
}

/* Copy the index's limits into *lim: from the relcache entry, inline */
static inline void
GetPageLimits(Relation index, HnswPageLimits *lim)
{
	HnswRelCache *cache = GetRelCache(index);

	if (unlikely(cache->lim.m == 0))
	{
		HnswPageLimits fresh;

		InitPageLimits(index, &fresh);
		/* reading the metapage may have reset the relcache entry */
		cache = GetRelCache(index);
		cache->lim = fresh;
	}
	*lim = cache->lim;
}

/*
 * The limits that what is read from the index's pages is checked against
 * (hnsw_page.h), from the metapage (checked, see HnswReadMeta) and the
 * size of the index.  Cached in the relcache entry; *lim is a copy, whose
 * nblocks HnswCheckTidSlow may raise.
 */
void
HnswGetPageLimits(Relation index, HnswPageLimits *lim)
{
	GetPageLimits(index, lim);
}

/*
 * Raise the format version of an index of an older format to
 * HNSW_FORMAT_VERSION, before the first CHAINED element is written into
 * it: formats 1 and 2 have none (see src/README.md, "Metapage").  One WAL
 * record, the metapage alone locked; nothing else changes.  The index
 * then has format 4 without codes: the fields of codes say none.
 */
void
HnswRaiseFormatVersion(Relation index, bool building)
{
	Buffer		buf;
	HnswEdit	edit;
	HnswMetaPage m;
	HnswRelCache *cache;
	Page		page;

	buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	if (HnswPageGetMeta(BufferGetPage(buf))->version < HNSW_FORMAT_VERSION)
	{
		HnswEditBegin(&edit, index, building);
		page = HnswEditRegister(&edit, buf, false);
		m = HnswPageGetMeta(page);
		m->version = HNSW_FORMAT_VERSION;
		/* the fields format 4 added, past the old pd_lower: no codes */
		m->codes = HNSW_CODE_NONE;
		m->codebits = 0;
		m->unused = 0;
		m->codeseed = 0;
		((PageHeader) page)->pd_lower = ((char *) m + sizeof(HnswMetaPageData)) - (char *) page;
		HnswEditFinish(&edit);
	}
	UnlockReleaseBuffer(buf);
	cache = (HnswRelCache *) index->rd_amcache;
	if (cache != NULL && cache->lim.m != 0)
		cache->lim.version = HNSW_FORMAT_VERSION;
}

/*
 * m of the index as built, from the metapage.  The index options may have
 * changed since (ALTER INDEX ... SET); the graph's layout depends on the
 * value it was built with.  Cached in the relcache entry.
 */
int
HnswGetMetaM(Relation index)
{
	HnswPageLimits lim;

	GetPageLimits(index, &lim);
	return lim.m;
}

/*
 * The slow half of HnswCheckTid (hnsw_page.h), for a TID that is not
 * plainly inside the index.  If only its block is at or past lim->nblocks,
 * ask for the size of the index again (it may have grown since), and
 * return if the block is there now.  Otherwise raise
 * ERRCODE_INDEX_CORRUPTED, naming the TID and the tuple at (blkno, offno)
 * it was read from: offno InvalidOffsetNumber for the metapage, blkno
 * InvalidBlockNumber for a list the caller copied from a page.
 */
void
HnswCheckTidSlow(HnswPageLimits *lim, ItemPointer tid, BlockNumber blkno,
				 OffsetNumber offno)
{
	BlockNumber b = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber o = ItemPointerGetOffsetNumberNoCheck(tid);

	if (b != HNSW_METAPAGE_BLKNO && b != InvalidBlockNumber &&
		o != InvalidOffsetNumber && o <= lim->maxoffsets)
	{
		if (b >= lim->nblocks)
		{
			HnswRelCache *cache = (HnswRelCache *) lim->index->rd_amcache;

			lim->nblocks = RelationGetNumberOfBlocks(lim->index);
			if (cache != NULL && cache->lim.m != 0 &&
				cache->lim.nblocks < lim->nblocks)
				cache->lim.nblocks = lim->nblocks;
		}
		if (b < lim->nblocks)
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" refers to an element at (%u,%u), outside the index",
					RelationGetRelationName(lim->index), b, o),
			 blkno == InvalidBlockNumber ?
			 errdetail("The reference is in a neighbour list; the index has %u blocks of at most %d tuples.",
					   lim->nblocks, lim->maxoffsets) :
			 offno == InvalidOffsetNumber ?
			 errdetail("The reference is in the metapage at block %u; the index has %u blocks of at most %d tuples.",
					   blkno, lim->nblocks, lim->maxoffsets) :
			 errdetail("The reference is in the tuple at block %u, offset %u; the index has %u blocks of at most %d tuples.",
					   blkno, offno, lim->nblocks, lim->maxoffsets)));
}

/*
 * Report a line pointer that HnswPageGetItemIdChecked refused: raise
 * ERRCODE_INDEX_CORRUPTED.
 */
void
HnswReportBadPage(const HnswPageLimits *lim, BlockNumber blkno)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains unexpected page at block %u",
					RelationGetRelationName(lim->index), blkno)));
}

void
HnswReportBadItem(const HnswPageLimits *lim, Page page, BlockNumber blkno,
				  OffsetNumber offno)
{
	PageHeader	hdr = (PageHeader) page;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	char	   *detail;

	if (hdr->pd_special != HNSW_SPECIAL_OFFSET)
		detail = psprintf("The page's special space starts at %u, not at %u.",
						  hdr->pd_special, (unsigned) HNSW_SPECIAL_OFFSET);
	else if (offno < FirstOffsetNumber || offno > maxoff)
		detail = psprintf("The page has %u line pointers.", maxoff);
	else
	{
		ItemId		iid = PageGetItemId(page, offno);

		if (!ItemIdIsNormal(iid))
			detail = psprintf("The line pointer is not in use (flags %u).",
							  ItemIdGetFlags(iid));
		else
			detail = psprintf("The item at offset %u of length %u is not a MAXALIGNed item between %u and %u.",
							  ItemIdGetOffset(iid), ItemIdGetLength(iid),
							  hdr->pd_upper, (unsigned) HNSW_SPECIAL_OFFSET);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains a corrupted line pointer at block %u, offset %u",
					RelationGetRelationName(lim->index), blkno, offno),
			 errdetail_internal("%s", detail)));
}

/*
 * The checks of HnswCheckElement (hnsw_page.h) for any element: a CHAINED
 * one, a SPARSE one, or one that is damaged, which raises
 * ERRCODE_INDEX_CORRUPTED.
 */
HnswElementTuple
HnswCheckElementSlow(const HnswPageLimits *lim, Page page, ItemId iid,
					 BlockNumber blkno, OffsetNumber offno)
{
	HnswElementTuple etup = (HnswElementTuple) PageGetItem(page, iid);
	Size		len = ItemIdGetLength(iid);
	const char *value;
	Size		room;

	if (len < offsetof(HnswElementTupleData, value) ||
		etup->type != HNSW_ELEMENT_TUPLE ||
		etup->level > lim->maxlevel ||
		etup->state > HNSW_ELEMENT_REUSABLE ||
		(etup->flags & ~HNSW_ELEMENT_CHAINED) != 0)
		HnswReportBadElement(lim, page, blkno, offno);
	if (!(etup->flags & HNSW_ELEMENT_CHAINED))
	{
		value = etup->value;
		room = len - offsetof(HnswElementTupleData, value);
	}
	else
	{
		HnswElementChainData *chain = HnswElementChain(etup);

		/* a head of at least HNSW_MIN_PART bytes, inside the tuple */
		if (len < HNSW_CHAINED_ELEMENT_SIZE(HNSW_MIN_PART) ||
			chain->headlen < HNSW_MIN_PART ||
			HNSW_CHAINED_ELEMENT_SIZE(chain->headlen) > len ||
			chain->valuecap < chain->headlen ||
			chain->valuecap > lim->maxvsize)
			HnswReportBadElement(lim, page, blkno, offno);
		value = HnswElementHead(etup);
		room = chain->valuecap;
	}
	if (lim->kind == HNSW_VALUE_SPARSE)
	{
		int32		nnz = HnswSparseNnz(value);

		if (nnz < 0 || nnz > lim->maxnnz || room < HNSW_SPARSE_VALUE_SIZE(nnz))
			HnswReportBadElement(lim, page, blkno, offno);
	}
	else if (room < lim->vsize)
		HnswReportBadElement(lim, page, blkno, offno);
	return etup;
}

/*
 * Report an element tuple that HnswPageGetElement refused: raise
 * ERRCODE_INDEX_CORRUPTED.  The line pointer has been checked.
 */
void
HnswReportBadElement(const HnswPageLimits *lim, Page page, BlockNumber blkno,
					 OffsetNumber offno)
{
	ItemId		iid = PageGetItemId(page, offno);
	HnswElementTuple etup = (HnswElementTuple) PageGetItem(page, iid);
	char	   *detail;

	Size		len = ItemIdGetLength(iid);
	const char *value = etup->value;
	Size		room = len - Min(len, offsetof(HnswElementTupleData, value));

	if (len >= 1 && etup->type != HNSW_ELEMENT_TUPLE)
		detail = psprintf("The tuple's type is %u, not %u (an element).",
						  etup->type, HNSW_ELEMENT_TUPLE);
	else if (len < offsetof(HnswElementTupleData, value))
		detail = psprintf("The tuple is only %zu bytes long.", len);
	else if (etup->level > lim->maxlevel)
		detail = psprintf("Its level is %u; the index allows at most %d.",
						  etup->level, lim->maxlevel);
	else if (etup->state > HNSW_ELEMENT_REUSABLE)
		detail = psprintf("Its state is %u, not an element state.",
						  etup->state);
	else if ((etup->flags & ~HNSW_ELEMENT_CHAINED) != 0)
		detail = psprintf("Its flags are %u.", etup->flags);
	else if ((etup->flags & HNSW_ELEMENT_CHAINED) &&
			 (len < HNSW_CHAINED_ELEMENT_SIZE(HNSW_MIN_PART) ||
			  HnswElementChain(etup)->headlen < HNSW_MIN_PART ||
			  HNSW_CHAINED_ELEMENT_SIZE(HnswElementChain(etup)->headlen) > len ||
			  HnswElementChain(etup)->valuecap < HnswElementChain(etup)->headlen ||
			  HnswElementChain(etup)->valuecap > lim->maxvsize))
		detail = psprintf("The tuple is %zu bytes long and holds %u bytes of a chained value of %u; the index allows values of up to %zu bytes, at least %d of them in the element.",
						  len,
						  len >= HNSW_CHAINED_ELEMENT_SIZE(0) ? HnswElementChain(etup)->headlen : 0,
						  len >= HNSW_CHAINED_ELEMENT_SIZE(0) ? HnswElementChain(etup)->valuecap : 0,
						  lim->maxvsize, HNSW_MIN_PART);
	else
	{
		if (etup->flags & HNSW_ELEMENT_CHAINED)
		{
			value = HnswElementHead(etup);
			room = HnswElementChain(etup)->valuecap;
		}
		if (lim->kind != HNSW_VALUE_SPARSE)
			detail = psprintf("It holds %zu bytes of value; an element of %d dimensions needs %zu.",
							  room, lim->dim, lim->vsize);
		else if (HnswSparseNnz(value) < 0 || HnswSparseNnz(value) > lim->maxnnz)
			detail = psprintf("It has %d entries; the index allows from 0 to %d.",
							  HnswSparseNnz(value), lim->maxnnz);
		else
			detail = psprintf("It holds %zu bytes of value; an element of %d entries needs %zu.",
							  room, HnswSparseNnz(value),
							  HNSW_SPARSE_VALUE_SIZE(HnswSparseNnz(value)));
	}
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains a corrupted element tuple at block %u, offset %u",
					RelationGetRelationName(lim->index), blkno, offno),
			 errdetail_internal("%s", detail)));
}

/*
 * Report a neighbour tuple that HnswPageGetNeighbors refused: raise
 * ERRCODE_INDEX_CORRUPTED.  The line pointer has been checked.
 */
void
HnswReportBadNeighbors(const HnswPageLimits *lim, Page page,
					   BlockNumber blkno, OffsetNumber offno)
{
	ItemId		iid = PageGetItemId(page, offno);
	HnswNeighborTuple ntup = (HnswNeighborTuple) PageGetItem(page, iid);
	char	   *detail;

	if (ItemIdGetLength(iid) < offsetof(HnswNeighborTupleData, tids))
		detail = psprintf("The tuple is only %u bytes long.",
						  ItemIdGetLength(iid));
	else if (ntup->type != HNSW_NEIGHBOR_TUPLE)
		detail = psprintf("The tuple's type is %u, not %u (a neighbour tuple).",
						  ntup->type, HNSW_NEIGHBOR_TUPLE);
	else if (ntup->level > lim->maxlevel)
		detail = psprintf("Its level is %u; the index allows at most %d.",
						  ntup->level, lim->maxlevel);
	else if (ntup->count != HNSW_NEIGHBOR_SLOTS(ntup->level, lim->m))
		detail = psprintf("It has %u slots; level %u needs %d.",
						  ntup->count, ntup->level,
						  HNSW_NEIGHBOR_SLOTS(ntup->level, lim->m));
	else
		detail = psprintf("The tuple is %u bytes long; level %u needs %zu.",
						  ItemIdGetLength(iid), ntup->level,
						  HnswNeighborTupleSize(ntup->level, lim->m, lim->codesize));
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains a corrupted neighbour tuple at block %u, offset %u",
					RelationGetRelationName(lim->index), blkno, offno),
			 errdetail_internal("%s", detail)));
}

/*
 * Report a value tuple that HnswPageGetValueTuple refused: raise
 * ERRCODE_INDEX_CORRUPTED.  The line pointer has been checked.
 */
void
HnswReportBadValueTuple(const HnswPageLimits *lim, Page page,
						BlockNumber blkno, OffsetNumber offno)
{
	ItemId		iid = PageGetItemId(page, offno);
	HnswValueTuple vtup = (HnswValueTuple) PageGetItem(page, iid);
	char	   *detail;

	if (ItemIdGetLength(iid) >= 1 && vtup->type != HNSW_VALUE_TUPLE)
		detail = psprintf("The tuple's type is %u, not %u (a value tuple).",
						  vtup->type, HNSW_VALUE_TUPLE);
	else
		detail = psprintf("The tuple is %u bytes long; a value tuple needs at least %zu.",
						  ItemIdGetLength(iid),
						  HNSW_VALUE_TUPLE_HEADER + HNSW_MIN_PART);
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains a corrupted value tuple at block %u, offset %u",
					RelationGetRelationName(lim->index), blkno, offno),
			 errdetail_internal("%s", detail)));
}

/*
 * Walk the value of the CHAINED element etup, checked by HnswCheckElement,
 * at (blkno, offno): call piece(arg, data, pos, n) for its head and then
 * for the data of each value tuple of its chain, in order, with the bytes
 * [pos, pos + n) of the value, until the value's size is reached (parts
 * past it are not read; n is cut to the value's end).  piece is called
 * with the part's page share-locked.  Each page of the chain is
 * share-locked in turn, while the caller keeps what it holds; the caller
 * holds no exclusive lock (see "Locks" in src/README.md).  held[0 ..
 * nheld) are buffers the caller has pinned and share-locked: a part on one
 * of their pages is read there, without another pin and lock.  A chain
 * that ends before the value does, or leads to anything but value tuples,
 * raises ERRCODE_INDEX_CORRUPTED.
 *
 * A chain never changes its shape once written, but an element that
 * takes the place of a REUSABLE one writes its value into the chain: a
 * scan that read the element before may so see parts of two values.  It
 * only walks through such an element (see "Scans and vacuum").
 */
void
HnswWalkChain(HnswPageLimits *lim, HnswElementTuple etup, BlockNumber blkno,
			  OffsetNumber offno, const Buffer *held, int nheld,
			  HnswChainPiece piece, void *arg)
{
	HnswElementChainData *chain = HnswElementChain(etup);
	const char *head = HnswElementHead(etup);
	ItemPointerData tid;
	Size		need;
	Size		got;

	Assert(etup->flags & HNSW_ELEMENT_CHAINED);
	need = lim->kind == HNSW_VALUE_SPARSE ?
		HNSW_SPARSE_VALUE_SIZE(HnswSparseNnz(head)) : lim->vsize;
	got = Min((Size) chain->headlen, need);
	piece(arg, head, 0, got);
	tid = chain->valuetid;
	while (got < need)
	{
		BlockNumber vblk;
		OffsetNumber voff;
		Buffer		vbuf;
		HnswValueTuple vtup;
		Size		n;
		bool		mine = true;

		if (!HnswCheckTid(lim, &tid, blkno, offno))
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" contains an incomplete value at block %u, offset %u",
							RelationGetRelationName(lim->index), blkno, offno),
					 errdetail_internal("The chain ends after %zu bytes of %zu.",
										got, need)));
		vblk = ItemPointerGetBlockNumber(&tid);
		voff = ItemPointerGetOffsetNumber(&tid);
		vbuf = InvalidBuffer;
		for (int i = 0; i < nheld && mine; i++)
			if (BufferGetBlockNumber(held[i]) == vblk)
			{
				vbuf = held[i];
				mine = false;
			}
		if (mine)
		{
			vbuf = HnswReadBuffer(lim->index, vblk);
			LockBuffer(vbuf, BUFFER_LOCK_SHARE);
		}
		vtup = HnswPageGetValueTuple(lim, BufferGetPage(vbuf), vblk, voff);
		n = Min(ItemIdGetLength(PageGetItemId(BufferGetPage(vbuf), voff)) -
				HNSW_VALUE_TUPLE_HEADER, need - got);
		piece(arg, vtup->data, got, n);
		got += n;
		tid = vtup->next;
		if (mine)
			UnlockReleaseBuffer(vbuf);
	}
}

static void
CopyPiece(void *arg, const char *data, Size pos, Size n)
{
	memcpy((char *) arg + pos, data, n);
}

/*
 * The value of the element etup, checked by HnswCheckElement, at (blkno,
 * offno): etup->value itself, or for a CHAINED element its value copied
 * into buf (room for lim->maxvsize bytes) through HnswWalkChain, which
 * says which locks this takes and what it reports.
 */
const char *
HnswElementValueIn(HnswPageLimits *lim, HnswElementTuple etup,
				   BlockNumber blkno, OffsetNumber offno, char *buf,
				   const Buffer *held, int nheld)
{
	if (likely(!(etup->flags & HNSW_ELEMENT_CHAINED)))
		return etup->value;
	HnswWalkChain(lim, etup, blkno, offno, held, nheld, CopyPiece, buf);
	return buf;
}

/* HnswElementValueIn with no buffers held */
const char *
HnswElementValue(HnswPageLimits *lim, HnswElementTuple etup,
				 BlockNumber blkno, OffsetNumber offno, char *buf)
{
	return HnswElementValueIn(lim, etup, blkno, offno, buf, NULL, 0);
}

/*
 * Pin block blkno of the main fork of index and return its buffer, like
 * ReadBuffer().
 */
Buffer
HnswReadBuffer(Relation index, BlockNumber blkno)
{
	HnswRelCache *cache = GetRelCache(index);
	Buffer		buf;

	if (blkno < cache->nbufs)
	{
		buf = cache->bufs[blkno];
		if (BufferIsValid(buf) &&
			ReadRecentBuffer(index->rd_node, MAIN_FORKNUM, blkno, buf))
			return buf;
	}

	buf = ReadBuffer(index, blkno);

	if (blkno < HNSW_BUFFER_CACHE_MAX)
	{
		cache = GetRelCache(index);
		if (blkno >= cache->nbufs)
		{
			BlockNumber n = Min(Max(Max(blkno + 1, cache->nbufs * 2), 1024),
								HNSW_BUFFER_CACHE_MAX);
			HnswRelCache *grown;

			grown = MemoryContextAllocZero(index->rd_indexcxt,
										   offsetof(HnswRelCache, bufs) +
										   sizeof(Buffer) * n);
			memcpy(grown, cache,
				   offsetof(HnswRelCache, bufs) + sizeof(Buffer) * cache->nbufs);
			grown->nbufs = n;
			pfree(cache);
			index->rd_amcache = grown;
			cache = grown;
		}
		cache->bufs[blkno] = buf;
	}
	return buf;
}

int
HnswBlockCmp(const void *a, const void *b)
{
	BlockNumber x = *(const BlockNumber *) a;
	BlockNumber y = *(const BlockNumber *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}


/*-------------------------------------------------------------------------
 *
 * hnswutils.c
 *	  Page, tuple and WAL helpers, distance set-up and the on-disk graph.
 *
 * All page changes go through HnswEdit: during ambuild it only marks
 * buffers dirty (the whole index is WAL-logged at the end of the build);
 * otherwise it is a GenericXLog record of at most MAX_GENERIC_XLOG_PAGES
 * pages.  Callers register a buffer before they change its page.
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
 * Options and index column
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

/* Dimensions of the indexed column, from its typmod (-1 if none) */
int
HnswGetDimensions(Relation index)
{
	return TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;
}

/*
 * Check that the indexed column can be indexed: it has dimensions, not too
 * many, and ef_construction is at least 2 * m.  Raises an ERROR if not.
 */
void
HnswCheckIndexColumn(Relation index)
{
	int			dim = HnswGetDimensions(index);

	if (dim < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions")));
	if (dim > HNSW_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column cannot have more than %d dimensions for hnsw index",
						HNSW_MAX_DIM)));
	if (HnswGetEfConstruction(index) < 2 * HnswGetM(index))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be greater than or equal to 2 * m")));
}

/* ---------------------------------------------------------------------
 * Distances and values
 * ---------------------------------------------------------------------
 */

/*
 * Set up distance computation for an index whose vectors have dim
 * dimensions.  Support functions that this module implements are replaced
 * by direct kernel calls; the kernel is fixed here, once per scan or
 * insert.  Allocates in CurrentMemoryContext.
 */
void
HnswInitDistance(HnswDistance *d, Relation index, int dim)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, HNSW_DISTANCE_PROC);

	memset(d, 0, sizeof(*d));
	d->dim = dim;
	d->procinfo = proc;
	d->collation = index->rd_indcollation[0];
	if (OidIsValid(index_getprocid(index, 1, HNSW_NORM_PROC)))
	{
		d->normprocinfo = index_getprocinfo(index, 1, HNSW_NORM_PROC);
		d->normalize = true;
	}

	if (proc->fn_addr == vector_l2_squared_distance)
	{
		d->kind = HNSW_DIST_L2SQ;
		d->fn = hnsw_kernels->l2sq;
	}
	else if (proc->fn_addr == vector_negative_inner_product)
	{
		d->kind = HNSW_DIST_NEG_DOT;
		d->fn = hnsw_kernels->dot;
	}
	else if (proc->fn_addr == l1_distance)
	{
		d->kind = HNSW_DIST_L1;
		d->fn = hnsw_kernels->l1;
	}
	else
	{
		d->kind = HNSW_DIST_GENERIC;
		d->scratch1 = InitVector(dim);
		d->scratch2 = InitVector(dim);
	}
}

/*
 * Distance through the support function, for opclasses whose function the
 * index does not recognise.
 */
float
HnswDistGeneric(const HnswDistance *d, const float *a, const float *b)
{
	memcpy(d->scratch1->x, a, sizeof(float) * d->dim);
	memcpy(d->scratch2->x, b, sizeof(float) * d->dim);
	return (float) DatumGetFloat8(FunctionCall2Coll(d->procinfo, d->collation,
													PointerGetDatum(d->scratch1),
													PointerGetDatum(d->scratch2)));
}

/*
 * Turn an indexed value (a vector datum) into the float array the index
 * stores: a copy, normalised when the opclass has a norm function.  Returns
 * false if the value cannot be indexed (zero norm with a norm function).
 */
bool
HnswPrepareValue(const HnswDistance *d, Datum value, float *out)
{
	Vector	   *v = DatumGetVector(value);
	double		norm;

	if (v->dim != d->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", d->dim, v->dim)));
	memcpy(out, v->x, sizeof(float) * d->dim);

	if (d->normalize)
	{
		if (d->normprocinfo->fn_addr == vector_norm)
		{
			norm = 0.0;
			for (int i = 0; i < d->dim; i++)
				norm += (double) out[i] * (double) out[i];
			norm = sqrt(norm);
		}
		else
			norm = DatumGetFloat8(FunctionCall1Coll(d->normprocinfo,
													d->collation,
													PointerGetDatum(v)));
		if (!(norm > 0) || isinf(norm))
		{
			if ((Pointer) v != DatumGetPointer(value))
				pfree(v);
			return false;
		}
		for (int i = 0; i < d->dim; i++)
			out[i] = (float) (out[i] / norm);
	}

	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
	return true;
}

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
 * Fill a zeroed element tuple of HNSW_ELEMENT_TUPLE_SIZE(dim) bytes: LIVE,
 * of the given level, holding vec and the first nheaptids heap TIDs (the
 * other slots invalid).  The caller sets neighbortid.  The build and the
 * insert form their tuples here.
 */
void
HnswFormElement(HnswElementTuple etup, int dim, int level, const float *vec,
				const ItemPointerData *heaptids, int nheaptids)
{
	Assert(nheaptids >= 1 && nheaptids <= HNSW_HEAPTIDS);
	memset(etup, 0, HNSW_ELEMENT_TUPLE_SIZE(dim));
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
	memcpy(etup->vec, vec, sizeof(float) * dim);
}

/*
 * Fill a neighbour tuple of HNSW_NEIGHBOR_TUPLE_SIZE(level, m) bytes for an
 * element of the given level, with every list empty and no good member.
 */
void
HnswFormNeighbors(HnswNeighborTuple ntup, int level, int m)
{
	memset(ntup, 0, HNSW_NEIGHBOR_TUPLE_SIZE(level, m));
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
	int			maxlevel;

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
	if (m->version != HNSW_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has format version %u, expected %u",
						RelationGetRelationName(index), m->version,
						HNSW_FORMAT_VERSION),
				 errhint("REINDEX the index.")));
	*meta = *m;
	UnlockReleaseBuffer(buf);

	if (meta->m < HNSW_MIN_M || meta->m > HNSW_MAX_M)
		ReportBadMeta(index, psprintf("Its m is %u; m must be between %d and %d.",
									  meta->m, HNSW_MIN_M, HNSW_MAX_M));
	if (meta->dimensions < 1 || meta->dimensions > HNSW_MAX_DIM ||
		meta->dimensions != dim)
		ReportBadMeta(index, psprintf("It has %u dimensions; the indexed column has %d.",
									  meta->dimensions, dim));
	maxlevel = HnswMaxLevel(meta->m);
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
			 meta->entry_offno > HnswMaxOffsets(meta->dimensions, meta->m) ||
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
	lim->maxlevel = HnswMaxLevel(meta.m);
	lim->maxoffsets = HnswMaxOffsets(meta.dimensions, meta.m);
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

	if (ItemIdGetLength(iid) >= 1 && etup->type != HNSW_ELEMENT_TUPLE)
		detail = psprintf("The tuple's type is %u, not %u (an element).",
						  etup->type, HNSW_ELEMENT_TUPLE);
	else if (ItemIdGetLength(iid) < HNSW_ELEMENT_TUPLE_SIZE(lim->dim))
		detail = psprintf("The tuple is %u bytes long; an element of %d dimensions needs %zu.",
						  ItemIdGetLength(iid), lim->dim,
						  HNSW_ELEMENT_TUPLE_SIZE(lim->dim));
	else if (etup->level > lim->maxlevel)
		detail = psprintf("Its level is %u; the index allows at most %d.",
						  etup->level, lim->maxlevel);
	else
		detail = psprintf("Its state is %u, not an element state.",
						  etup->state);
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
						  HNSW_NEIGHBOR_TUPLE_SIZE(ntup->level, lim->m));
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains a corrupted neighbour tuple at block %u, offset %u",
					RelationGetRelationName(lim->index), blkno, offno),
			 errdetail_internal("%s", detail)));
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
 * Most line pointers a data page of an index with these dimensions and m
 * can hold: every tuple is at least as large as the smaller of an element
 * tuple and a layer-0 neighbour tuple.
 */
int
HnswMaxOffsets(int dim, int m)
{
	Size		esize = MAXALIGN(HNSW_ELEMENT_TUPLE_SIZE(dim));
	Size		nsize = MAXALIGN(HNSW_NEIGHBOR_TUPLE_SIZE(0, m));

	return (int) ((HNSW_PAGE_CAPACITY + sizeof(ItemIdData)) /
				  (Min(esize, nsize) + sizeof(ItemIdData)));
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

/*
 * The neighbours of c on layer lc.  c->aux is the neighbour tuple's TID,
 * read from c's element tuple (c->ref): it and every list entry are
 * checked before they are followed (hnsw_page.h); an element whose level
 * is now below lc (its space was reused) has none.
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
	GetPageLimits(g->index, &lim);
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
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	ntup = HnswPageGetNeighbors(&lim, page, nblk, noff);
	if (lc <= ntup->level)
	{
		int			cap;
		ItemPointer list = HnswNeighborList(&lim, ntup, lc, &cap);

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

/* Fill in dist, aux and flags of c from a checked element tuple */
static inline void
DiskElementDistance(HnswDiskGraph *g, HnswElementTuple etup, HnswCandidate *c)
{
	bool		live = false;

	if (etup->state != HNSW_ELEMENT_LIVE && !g->skipdead)
	{
		c->dist = INFINITY;
		c->flags = HNSW_CAND_ABSENT;
		return;
	}
	c->dist = HnswDist(g->dist, g->query, etup->vec);
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
	Size		tupbytes = HNSW_ELEMENT_TUPLE_SIZE(g->dist->dim);
	HnswPageLimits lim;
	int			done = 0;

	GetPageLimits(g->index, &lim);

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
		Buffer		bufs[HNSW_BATCH_PAGES];
		Page		pages[HNSW_BATCH_PAGES];
		ItemId		iids[2 * HNSW_MAX_M];
		int			bufidx[2 * HNSW_MAX_M];
		int			nbufs = 0;
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
			for (Size o = 0; o < tupbytes; o += 64)
				__builtin_prefetch(tup + o);
		}

		for (int i = done; i < end; i++)
		{
			BlockNumber blk = (BlockNumber) (cands[i].ref >> 16);
			OffsetNumber off = (OffsetNumber) (cands[i].ref & 0xFFFF);
			HnswElementTuple etup;

			etup = HnswCheckElement(&lim, pages[bufidx[i - done]],
									iids[i - done], blk, off);
			/* becomes c->aux, which inserts follow to add back-links */
			if (unlikely(!HnswCheckTid(&lim, &etup->neighbortid, blk, off)))
				HnswCheckTidSlow(&lim, &etup->neighbortid, blk, off);
			DiskElementDistance(g, etup, &cands[i]);
		}

		for (int b = 0; b < nbufs; b++)
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
				const float *a, const float *b, float *da, float *db,
				bool *present)
{
	int			order[2 * HNSW_MAX_M];
	Buffer		buf = InvalidBuffer;
	BlockNumber curblk = InvalidBlockNumber;
	HnswPageLimits lim;

	if (n > 2 * HNSW_MAX_M)
		elog(ERROR, "too many elements (%d) for one list of index \"%s\"",
			 n, RelationGetRelationName(index));
	GetPageLimits(index, &lim);
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
		da[i] = HnswDist(dist, a, etup->vec);
		if (db)
			db[i] = HnswDist(dist, b, etup->vec);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

const HnswGraphOps hnsw_disk_graph_ops = {
	DiskUnvisitedNeighbors,
	DiskDistances,
	DiskVisit,
	DiskResetVisited
};

void
HnswDiskGraphInit(HnswDiskGraph *g, Relation index, HnswDistance *dist, int m,
				  uint32 expected)
{
	g->index = index;
	g->dist = dist;
	g->query = NULL;
	g->m = m;
	g->ndistances = 0;
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

	GetPageLimits(g->index, &lim);
	if (unlikely(!HnswCheckTid(&lim, tid, HNSW_METAPAGE_BLKNO, InvalidOffsetNumber)))
		HnswCheckTidSlow(&lim, tid, HNSW_METAPAGE_BLKNO, InvalidOffsetNumber);
	c->ref = HnswTidToRef(tid);
	c->aux = 0;
	c->flags = 0;
	DiskDistances(g, c, 1);
	return !(c->flags & HNSW_CAND_ABSENT);
}

/*-------------------------------------------------------------------------
 *
 * hnswcheck.c
 *	  SQL-callable invariant checker and statistics for hnsw indexes.
 *
 * hnsw_index_check(regclass) reads every page of the index, in the manner
 * of amcheck, and raises ERRCODE_INDEX_CORRUPTED with a precise message at
 * the first broken invariant:
 *
 *	- the metapage has the right magic number and format version, and m,
 *	  dimensions and entry level in range;
 *	- every page is an hnsw page with a sane header, and every line pointer
 *	  an element or neighbour tuple inside the page, of the right size and
 *	  with a level the index's m allows;
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
 * Privileges.  Neither function is executable by PUBLIC (the install
 * script revokes it): superusers may call them, and roles a superuser
 * grants EXECUTE to, which may then inspect any hnsw index of the
 * database, like amcheck's functions.  Before any lock is requested, the
 * OID is looked up in the catalogue and must be an hnsw index, so that
 * naming another relation fails at once instead of queueing for its lock.
 * The heap pass evaluates the index's expressions and predicate as the
 * table's owner, in a security-restricted operation with its own GUC nest
 * level, as CREATE INDEX does.
 *
 * Memory.  Nothing is kept per element but bits: the sets of elements
 * (all, not LIVE, REUSABLE), of heap TIDs, and the visited set and
 * frontiers of the reachability walk are bitmaps sized by blocks
 * (HnswTidBitmap), and the only list, the TIDs and levels of elements
 * above layer 0, is 8 bytes per such element (about one in m).  Pages are
 * read again in each pass, one at a time, rather than kept.  The total is
 * checked against maintenance_work_mem before each allocation.
 *
 * The passes:
 *	1. every page in block order: pages, tuples, element sets, counts;
 *	2. every page in block order: each LIVE element's neighbour tuple (read
 *	   from its page) and lists; heap TIDs into their bitmap;
 *	3. the entry point, then a breadth-first walk of layer 0 from it, one
 *	   level of the walk at a time, each level's frontier in TID order;
 *	4. the table, for heapallindexed.
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

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "halfutils.h"
#include "hnsw.h"

/* A set of heap TIDs: one bit per line pointer, for every heap block */
typedef struct CheckHeapTids
{
	uint64	   *words;
	BlockNumber nblocks;		/* blocks covered */
	int			shift;			/* log2 of the bits per block */
} CheckHeapTids;

/* A tuple of a data page, as CheckReadTuple found it */
typedef struct CheckTuple
{
	uint8		type;			/* HNSW_ELEMENT_TUPLE, _NEIGHBOR_ or _VALUE_ */
	HnswElementTuple etup;		/* if an element */
	HnswNeighborTuple ntup;		/* if a neighbour tuple */
	HnswValueTuple vtup;		/* if a value tuple */
} CheckTuple;

typedef struct CheckState
{
	Relation	index;
	Relation	heap;
	HnswMetaPageData meta;
	BlockNumber nblocks;
	int			maxoffsets;		/* line pointers a data page can hold */
	int			maxlevel_m;		/* highest level m allows */
	Size		budget;			/* maintenance_work_mem, in bytes */
	Size		used;			/* bytes of sets allocated */

	/* element sets (pass 1) */
	HnswTidBitmap elements;		/* every element tuple */
	HnswTidBitmap notlive;		/* DELETED or REUSABLE */
	HnswTidBitmap reusable;		/* REUSABLE */
	HnswTidBitmap chained;		/* value tuples in an element's chain */
	char	   *chainbuf;		/* a chained element's value */
	uint64	   *upper;			/* level << 48 | TID ref, in TID order */
	int64		nupper;
	int64		maxupper;

	/* counts */
	int64		nelements;
	int64		nlive;			/* elements not detached */
	int64		nheaptids;
	int64		nchainedlive;	/* LIVE elements with a chained value */
	int64		nvaluetuples;	/* value tuples */
	int64		nchainparts;	/* value tuples in a chain */
	int64		valuetuplebytes;	/* their space, line pointers included */
	int			maxlevel;
	int64		nodes_per_level[HNSW_MAX_LEVEL + 1];
	int64		links_per_level[HNSW_MAX_LEVEL + 1];

	/* heap TIDs of LIVE elements */
	bool		checkheaptids;	/* check them against the table's size */
	bool		heapallindexed; /* also check the heap against the index */
	BlockNumber heapnblocks;	/* the table's size, as last measured */
	OffsetNumber maxheapoff;	/* highest heap TID offset seen */
	CheckHeapTids heaptids;
	HnswDistance dist;
	char	   *vecbuf;
	const HnswTypeInfo *type;	/* the column's type */

	/* codes (format 4) */
	Size		codesize;		/* 0 without codes */
	HnswCodes	codes;
	char	   *codebuf;		/* a code made again */
	char	   *codevalue;		/* a value, read for its code */
	float	   *rotowner;		/* the rotated value of a list's owner */
	float	   *rotmember;		/* and of one of its members */

	/* two page copies: the page being walked and the one it points at */
	BufferAccessStrategy strategy;
	char	   *pages[2];
	BlockNumber pageblk[2];
	bool		pagenew[2];
} CheckState;

#define CORRUPT(cs, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INDEX_CORRUPTED), \
			 errmsg("index \"%s\": %s", RelationGetRelationName((cs)->index), \
					psprintf(__VA_ARGS__))))

#define REF_MASK		((UINT64CONST(1) << 48) - 1)

static bool CheckTidInRange(CheckState *cs, ItemPointer tid);
static bool CheckReadTuple(CheckState *cs, Page page, bool pagenew,
						   ItemPointer tid, CheckTuple *t);

static LOCKMODE
CheckLockMode(void)
{
	return RecoveryInProgress() ? AccessShareLock : ShareLock;
}

/*
 * Account for an allocation of bytes (what names it in the error), which
 * must keep the total within maintenance_work_mem.
 */
static void
CheckReserve(CheckState *cs, Size bytes, const char *what)
{
	if (cs->used + bytes > cs->budget)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("checking index \"%s\" needs more than maintenance_work_mem (%d kB)",
						RelationGetRelationName(cs->index), maintenance_work_mem),
				 errdetail("The %s need %zu kB, on top of %zu kB already in use.",
						   what, (bytes + 1023) / 1024, (cs->used + 1023) / 1024),
				 errhint("Raise maintenance_work_mem for this session and call the function again.")));
	cs->used += bytes;
}

/* ----------------------------------------------------------------
 *		Reading pages
 * ----------------------------------------------------------------
 */

/*
 * Copy block blkno into page slot "slot", unless it is there already, and
 * check its header and special space.  No buffer lock is held on return,
 * and none is ever held while another is taken.  Sets cs->pagenew[slot]
 * for a page that was never initialised.
 */
static Page
CheckReadPage(CheckState *cs, int slot, BlockNumber blkno)
{
	Buffer		buf;
	Page		page = cs->pages[slot];
	PageHeader	ph = (PageHeader) page;

	if (cs->pageblk[slot] == blkno)
		return page;

	buf = ReadBufferExtended(cs->index, MAIN_FORKNUM, blkno, RBM_NORMAL,
							 cs->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(page, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);
	cs->pageblk[slot] = blkno;

	cs->pagenew[slot] = PageIsNew(page);
	if (cs->pagenew[slot])
		return page;
	if (ph->pd_special != BLCKSZ - MAXALIGN(sizeof(HnswPageOpaqueData)) ||
		HnswPageGetOpaque(page)->page_id != HNSW_PAGE_ID)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains unexpected page at block %u",
						RelationGetRelationName(cs->index), blkno)));
	if (ph->pd_lower < SizeOfPageHeaderData || ph->pd_lower > ph->pd_upper ||
		ph->pd_upper > ph->pd_special)
		CORRUPT(cs, "block %u has an invalid page header (lower %u, upper %u, special %u)",
				blkno, ph->pd_lower, ph->pd_upper, ph->pd_special);
	return page;
}

/*
 * For a pass over every page: block blkno copied into slot 0, checked to be
 * a data page, or NULL for a new page (an extension whose first write did
 * not survive a crash).
 */
static Page
CheckReadDataPage(CheckState *cs, BlockNumber blkno)
{
	Page		page = CheckReadPage(cs, 0, blkno);

	CHECK_FOR_INTERRUPTS();
	if (cs->pagenew[0])
		return NULL;
	if (!(HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
		CORRUPT(cs, "block %u is not a data page", blkno);
	return page;
}


/*
 * Check the value of the element at blk/off, value with room bytes (what
 * its tuple, or its head and chain, hold), against the index's kind
 * (HNSW_VALUE_* in hnsw_page.h): its length, and that it is a value the
 * type can hold: float4 and half values finite, the unused bits of a bit
 * string 0, a sparse vector's entries within the dimensions, strictly
 * ascending, non-zero and finite, and the bytes after it zero.
 */
static void
CheckValue(CheckState *cs, const char *value, Size room, BlockNumber blk,
		   OffsetNumber off)
{
	int			kind = cs->meta.kind;
	int			dim = cs->meta.dimensions;
	Size		vsize = HnswValueMinSize(kind, dim);

	if (kind == HNSW_VALUE_SPARSE)
	{
		int32		nnz;
		const int32 *idx;
		const float *val;

		if (room < vsize)
			CORRUPT(cs, "element (%u,%u) holds %zu bytes of value, too few for a sparse vector",
					blk, off, room);
		nnz = HnswSparseNnz(value);
		if (nnz < 0 || nnz > cs->type->maxnnz)
			CORRUPT(cs, "element (%u,%u) has %d entries, outside [0, %d]",
					blk, off, nnz, cs->type->maxnnz);
		vsize = HNSW_SPARSE_VALUE_SIZE(nnz);
		if (room < vsize)
			CORRUPT(cs, "element (%u,%u) holds %zu bytes of value, its %d entries need %zu",
					blk, off, room, nnz, vsize);
		idx = (const int32 *) (value + sizeof(int32));
		val = (const float *) (idx + nnz);
		for (int i = 0; i < nnz; i++)
		{
			if (idx[i] < 0 || idx[i] >= dim || (i > 0 && idx[i] <= idx[i - 1]))
				CORRUPT(cs, "element (%u,%u) has index %d at entry %d, out of order or outside [0, %d)",
						blk, off, idx[i], i, dim);
			if (val[i] == 0.0f || isnan(val[i]) || isinf(val[i]))
				CORRUPT(cs, "element (%u,%u) has value %g at entry %d",
						blk, off, val[i], i);
		}
		for (Size b = vsize; b < room; b++)
			if (value[b] != 0)
				CORRUPT(cs, "element (%u,%u) has non-zero bytes after its value",
						blk, off);
		return;
	}
	if (room != vsize)
		CORRUPT(cs, "element (%u,%u) holds %zu bytes of value, expected %zu",
				blk, off, room, vsize);
	if (kind == HNSW_VALUE_FLOAT4)
	{
		const float *v = (const float *) value;

		for (int i = 0; i < dim; i++)
			if (isnan(v[i]) || isinf(v[i]))
				CORRUPT(cs, "element (%u,%u) has value %g in dimension %d",
						blk, off, v[i], i + 1);
	}
	else if (kind == HNSW_VALUE_HALF)
	{
		const uint16 *v = (const uint16 *) value;

		for (int i = 0; i < dim; i++)
			if (HalfIsNan(v[i]) || HalfIsInf(v[i]))
				CORRUPT(cs, "element (%u,%u) has value %g in dimension %d",
						blk, off, HalfToFloat4(v[i]), i + 1);
	}
	else if (kind == HNSW_VALUE_BIT && dim % 8 != 0)
	{
		uint8		last = (uint8) value[vsize - 1];

		if ((last & (0xFF >> (dim % 8))) != 0)
			CORRUPT(cs, "element (%u,%u) has bits set past its length %d",
					blk, off, dim);
	}
}

/*
 * The value of the CHAINED element etup (len bytes, at blk/off), read into
 * cs->chainbuf from its head and chain: the head inside the tuple, the
 * tuple exactly as long as the head needs, every part a value tuple of at
 * least HNSW_MIN_PART bytes that no other chain holds, and the parts adding
 * up to valuecap exactly where the chain ends.  The parts are read into
 * page slot 1.  Returns the bytes read (valuecap).
 */
static Size
CheckChain(CheckState *cs, HnswElementTuple etup, Size len, BlockNumber blk,
		   OffsetNumber off)
{
	HnswElementChainData *chain;
	ItemPointerData tid;
	Size		got;
	Size		maxvsize = cs->meta.kind == HNSW_VALUE_SPARSE ?
		HNSW_SPARSE_VALUE_SIZE(cs->type->maxnnz) :
		HnswValueMinSize(cs->meta.kind, cs->meta.dimensions);

	if (len < HNSW_CHAINED_ELEMENT_SIZE(0))
		CORRUPT(cs, "chained element (%u,%u) has length %zu, too short for its chain",
				blk, off, len);
	chain = HnswElementChain(etup);
	if (chain->headlen < HNSW_MIN_PART || len != HNSW_CHAINED_ELEMENT_SIZE(chain->headlen))
		CORRUPT(cs, "chained element (%u,%u) has length %zu and a head of %u bytes",
				blk, off, len, chain->headlen);
	if (chain->valuecap <= chain->headlen || chain->valuecap > maxvsize)
		CORRUPT(cs, "chained element (%u,%u) holds %u bytes, outside (%u, %zu]",
				blk, off, chain->valuecap, chain->headlen, maxvsize);
	if (cs->chainbuf == NULL)
		cs->chainbuf = palloc(maxvsize);
	memcpy(cs->chainbuf, HnswElementHead(etup), chain->headlen);
	got = chain->headlen;
	tid = chain->valuetid;
	while (got < chain->valuecap)
	{
		Page		page;
		CheckTuple	t;
		Size		n;

		if (!CheckTidInRange(cs, &tid))
			CORRUPT(cs, "chain of element (%u,%u) ends after %zu bytes of %u",
					blk, off, got, chain->valuecap);
		page = CheckReadPage(cs, 1, ItemPointerGetBlockNumberNoCheck(&tid));
		if (!CheckReadTuple(cs, page, cs->pagenew[1], &tid, &t) ||
			t.type != HNSW_VALUE_TUPLE)
			CORRUPT(cs, "chain of element (%u,%u) leads to (%u,%u), not a value tuple",
					blk, off, ItemPointerGetBlockNumberNoCheck(&tid),
					ItemPointerGetOffsetNumberNoCheck(&tid));
		if (HnswTidBitmapContains(&cs->chained, &tid))
			CORRUPT(cs, "value tuple (%u,%u) is in two chains, one of element (%u,%u)",
					ItemPointerGetBlockNumberNoCheck(&tid),
					ItemPointerGetOffsetNumberNoCheck(&tid), blk, off);
		HnswTidBitmapAdd(&cs->chained, &tid);
		cs->nchainparts++;
		n = ItemIdGetLength(PageGetItemId(page, ItemPointerGetOffsetNumberNoCheck(&tid))) -
			HNSW_VALUE_TUPLE_HEADER;
		if (n > chain->valuecap - got)
			CORRUPT(cs, "chain of element (%u,%u) holds more than its %u bytes",
					blk, off, chain->valuecap);
		memcpy(cs->chainbuf + got, t.vtup->data, n);
		got += n;
		tid = t.vtup->next;
	}
	if (ItemPointerIsValid(&tid))
		CORRUPT(cs, "chain of element (%u,%u) goes on past its %u bytes",
				blk, off, chain->valuecap);
	return got;
}

/*
 * The tuple at tid on a data page (a copy in a page slot), checked: its
 * line pointer, type, length, level and slot count.  Returns false if the
 * page has no tuple at that offset (a new page, past the last line
 * pointer, or a line pointer that is not in use); raises corruption for a
 * tuple that is there but damaged.
 */
static bool
CheckReadTuple(CheckState *cs, Page page, bool pagenew, ItemPointer tid,
			   CheckTuple *t)
{
	BlockNumber blk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);
	PageHeader	ph = (PageHeader) page;
	ItemId		iid;
	Size		len;
	Pointer		tup;
	int			m = cs->meta.m;

	if (pagenew || off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		return false;
	iid = PageGetItemId(page, off);
	if (!ItemIdIsNormal(iid))
		return false;
	len = ItemIdGetLength(iid);
	if (ItemIdGetOffset(iid) < ph->pd_upper ||
		ItemIdGetOffset(iid) + len > ph->pd_special || len < 1)
		CORRUPT(cs, "line pointer (%u,%u) points outside the tuple space (offset %u, length %zu)",
				blk, off, ItemIdGetOffset(iid), len);
	tup = PageGetItem(page, iid);
	t->type = *(uint8 *) tup;
	t->etup = NULL;
	t->ntup = NULL;
	t->vtup = NULL;
	if (t->type == HNSW_ELEMENT_TUPLE)
	{
		HnswElementTuple etup = (HnswElementTuple) tup;

		if (len < offsetof(HnswElementTupleData, value))
			CORRUPT(cs, "element (%u,%u) has length %zu, too short for its header",
					blk, off, len);
		if ((etup->flags & ~HNSW_ELEMENT_CHAINED) != 0)
			CORRUPT(cs, "element (%u,%u) has unknown flags %u", blk, off, etup->flags);
		if (etup->state > HNSW_ELEMENT_REUSABLE)
			CORRUPT(cs, "element (%u,%u) has unknown state %d", blk, off, etup->state);
		if (etup->level > cs->maxlevel_m)
			CORRUPT(cs, "element (%u,%u) has level %d, above the highest level %d that m = %d allows",
					blk, off, etup->level, cs->maxlevel_m, m);
		t->etup = etup;
	}
	else if (t->type == HNSW_NEIGHBOR_TUPLE)
	{
		HnswNeighborTuple ntup = (HnswNeighborTuple) tup;

		if (len < offsetof(HnswNeighborTupleData, tids))
			CORRUPT(cs, "neighbour tuple (%u,%u) has length %zu, too short for its header",
					blk, off, len);
		if (ntup->level > cs->maxlevel_m)
			CORRUPT(cs, "neighbour tuple (%u,%u) has level %d, above the highest level %d that m = %d allows",
					blk, off, ntup->level, cs->maxlevel_m, m);
		if (ntup->count != HNSW_NEIGHBOR_SLOTS(ntup->level, m))
			CORRUPT(cs, "neighbour tuple (%u,%u) has %d slots for level %d, expected %d",
					blk, off, ntup->count, ntup->level,
					HNSW_NEIGHBOR_SLOTS(ntup->level, m));
		if (len < HnswNeighborTupleSize(ntup->level, m, cs->codesize))
			CORRUPT(cs, "neighbour tuple (%u,%u) has length %zu, level %d needs %zu",
					blk, off, len, ntup->level,
					HnswNeighborTupleSize(ntup->level, m, cs->codesize));
		t->ntup = ntup;
	}
	else if (t->type == HNSW_VALUE_TUPLE)
	{
		if (len < HNSW_VALUE_TUPLE_HEADER + HNSW_MIN_PART)
			CORRUPT(cs, "value tuple (%u,%u) has length %zu, less than %zu",
					blk, off, len, HNSW_VALUE_TUPLE_HEADER + HNSW_MIN_PART);
		t->vtup = (HnswValueTuple) tup;
	}
	else
		CORRUPT(cs, "tuple (%u,%u) has unknown type %d", blk, off, t->type);
	return true;
}

/*
 * Read the metapage into cs->meta and check it: magic and version, m and
 * dimensions in range and matching the index, the entry point's level.
 */
static void
CheckReadMeta(CheckState *cs)
{
	Page		page = CheckReadPage(cs, 0, HNSW_METAPAGE_BLKNO);
	HnswMetaPage meta;
	const HnswTypeInfo *type = HnswGetTypeInfo(cs->index);
	int			maxdim = type->maxdim > 0 ? type->maxdim : HNSW_MAX_SPARSE_DIM;
	char	   *detail;

	/* formats before 4 had a shorter metapage: up to codebits */
	if (cs->pagenew[0] || !(HnswPageGetOpaque(page)->flags & HNSW_PAGE_META) ||
		((PageHeader) page)->pd_lower < MAXALIGN(SizeOfPageHeaderData) +
		(HnswPageGetMeta(page)->version >= 4 ? sizeof(HnswMetaPageData) :
		 offsetof(HnswMetaPageData, codebits)))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains unexpected page at block %u",
						RelationGetRelationName(cs->index), HNSW_METAPAGE_BLKNO)));
	meta = HnswPageGetMeta(page);
	if (meta->magic != HNSW_MAGIC_NUMBER)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not an hnsw index",
						RelationGetRelationName(cs->index))));
	if (meta->version < HNSW_OLDEST_FORMAT || meta->version > HNSW_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has format version %u, expected %u",
						RelationGetRelationName(cs->index), meta->version,
						HNSW_FORMAT_VERSION),
				 errhint("REINDEX the index.")));
	cs->meta = *meta;
	cs->type = type;
	if (cs->meta.version < 4 || cs->meta.codes == HNSW_CODE_NONE)
	{
		cs->meta.codes = HNSW_CODE_NONE;
		cs->meta.codebits = 0;
		cs->meta.codeseed = 0;
	}
	if (cs->meta.m < HNSW_MIN_M || cs->meta.m > HNSW_MAX_M)
		CORRUPT(cs, "metapage has m = %u, outside [%d, %d]",
				cs->meta.m, HNSW_MIN_M, HNSW_MAX_M);
	if (cs->meta.kind != type->kind)
		CORRUPT(cs, "metapage has value kind %u, the column's type %s needs %d",
				cs->meta.kind, type->typname, type->kind);
	if (cs->meta.dimensions < 1 || cs->meta.dimensions > maxdim)
		CORRUPT(cs, "metapage has %u dimensions, outside [1, %d]",
				cs->meta.dimensions, maxdim);
	if (cs->meta.dimensions != HnswGetDimensions(cs->index))
		CORRUPT(cs, "metapage has %u dimensions, column has %d",
				cs->meta.dimensions, HnswGetDimensions(cs->index));
	if ((detail = HnswCodeFieldsProblem(&cs->meta)) != NULL)
		CORRUPT(cs, "metapage: %s", detail);
	if (cs->meta.codes != HNSW_CODE_NONE)
	{
		HnswDistance d;

		cs->codesize = HNSW_CODE_SIZE(cs->meta.codebits);
		HnswInitDistance(&d, cs->index, cs->meta.dimensions);
		HnswCodesInit(&cs->codes, cs->meta.dimensions, cs->meta.codebits,
					  cs->meta.codeseed, HnswCodesDotBase(&d));
		cs->codebuf = palloc(cs->codesize);
		cs->codevalue = palloc(HnswValueMinSize(cs->meta.kind, cs->meta.dimensions));
		cs->rotowner = palloc(sizeof(float) * cs->codes.pdim);
		cs->rotmember = palloc(sizeof(float) * cs->codes.pdim);
	}
	cs->maxlevel_m = HnswIndexMaxLevel(cs->meta.m, cs->codesize > 0);
	if (BlockNumberIsValid(cs->meta.entry_blkno) &&
		(cs->meta.entry_level < 0 || cs->meta.entry_level > cs->maxlevel_m))
		CORRUPT(cs, "metapage has entry level %d, outside [0, %d]",
				cs->meta.entry_level, cs->maxlevel_m);
	cs->maxoffsets = HnswMaxOffsets(HnswValueMinSize(cs->meta.kind, cs->meta.dimensions),
									cs->meta.m);
}

/* ----------------------------------------------------------------
 *		Element sets
 * ----------------------------------------------------------------
 */

/* Is tid inside the range of line pointers an element can have? */
static bool
CheckTidInRange(CheckState *cs, ItemPointer tid)
{
	BlockNumber blk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);

	return blk != HNSW_METAPAGE_BLKNO && blk < cs->nblocks &&
		off >= FirstOffsetNumber && off <= cs->maxoffsets;
}

static bool
CheckIsElement(CheckState *cs, ItemPointer tid)
{
	return CheckTidInRange(cs, tid) &&
		HnswTidBitmapContains(&cs->elements, tid);
}

/* Level of an element known to exist: looked up among the upper ones */
static int
CheckElementLevel(CheckState *cs, ItemPointer tid)
{
	uint64		ref = HnswTidToRef(tid);
	int64		lo = 0,
				hi = cs->nupper;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		uint64		r = cs->upper[mid] & REF_MASK;

		if (r == ref)
			return (int) (cs->upper[mid] >> 48);
		if (r < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void
CheckAddUpper(CheckState *cs, ItemPointer tid, int level)
{
	if (cs->nupper == cs->maxupper)
	{
		int64		newmax = Max(1024, cs->maxupper * 2);

		CheckReserve(cs, (newmax - cs->maxupper) * sizeof(uint64),
					 "levels of the elements above layer 0");
		if (cs->upper == NULL)
			cs->upper = MemoryContextAllocHuge(CurrentMemoryContext,
											   newmax * sizeof(uint64));
		else
			cs->upper = repalloc_huge(cs->upper, newmax * sizeof(uint64));
		cs->maxupper = newmax;
	}
	cs->upper[cs->nupper++] = ((uint64) level << 48) | HnswTidToRef(tid);
}

/*
 * A heap TID of a LIVE element: check that it can be a heap row of the
 * table.  The table is measured again before a TID past its end is
 * reported: on a hot standby, replay may extend it while we run.
 */
static void
CheckHeapTid(CheckState *cs, ItemPointer etid, ItemPointer htid)
{
	BlockNumber blk = ItemPointerGetBlockNumberNoCheck(htid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(htid);

	if (off > MaxHeapTuplesPerPage)
		CORRUPT(cs, "element (%u,%u) has heap TID (%u,%u), whose offset no heap page can have",
				ItemPointerGetBlockNumber(etid), ItemPointerGetOffsetNumber(etid),
				blk, off);
	if (blk >= cs->heapnblocks)
		cs->heapnblocks = RelationGetNumberOfBlocks(cs->heap);
	if (blk >= cs->heapnblocks)
		CORRUPT(cs, "element (%u,%u) has heap TID (%u,%u), past the end of table \"%s\" (%u blocks)",
				ItemPointerGetBlockNumber(etid), ItemPointerGetOffsetNumber(etid),
				blk, off, RelationGetRelationName(cs->heap), cs->heapnblocks);
	cs->maxheapoff = Max(cs->maxheapoff, off);
}

static int
BitsFor(int maxvalue)
{
	int			shift = 0;

	while ((1 << shift) <= maxvalue)
		shift++;
	return shift;
}

static void
CheckHeapTidsAdd(CheckHeapTids *h, ItemPointer tid)
{
	BlockNumber blk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);
	uint64		bit;

	/* only if pages changed since pass 1, which only replay can do */
	if (blk >= h->nblocks || off >= (1 << h->shift))
		return;
	bit = ((uint64) blk << h->shift) | off;
	h->words[bit >> 6] |= UINT64CONST(1) << (bit & 63);
}

static bool
CheckHeapTidsContains(const CheckHeapTids *h, ItemPointer tid)
{
	BlockNumber blk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);
	uint64		bit;

	if (blk >= h->nblocks || off >= (1 << h->shift))
		return false;
	bit = ((uint64) blk << h->shift) | off;
	return (h->words[bit >> 6] & (UINT64CONST(1) << (bit & 63))) != 0;
}

/* ----------------------------------------------------------------
 *		Pass 1: pages, tuples and element sets
 * ----------------------------------------------------------------
 */
static void
CollectElements(CheckState *cs)
{
	Size		setbytes;

	CheckReadMeta(cs);
	cs->nblocks = RelationGetNumberOfBlocks(cs->index);
	setbytes = HnswTidBitmapBytes(cs->nblocks, cs->maxoffsets);
	CheckReserve(cs, 4 * setbytes, "sets of elements");
	HnswTidBitmapInit(&cs->elements, cs->index, cs->nblocks, cs->maxoffsets);
	HnswTidBitmapInit(&cs->chained, cs->index, cs->nblocks, cs->maxoffsets);
	HnswTidBitmapInit(&cs->notlive, cs->index, cs->nblocks, cs->maxoffsets);
	HnswTidBitmapInit(&cs->reusable, cs->index, cs->nblocks, cs->maxoffsets);

	cs->maxlevel = -1;
	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < cs->nblocks; blk++)
	{
		Page		page = CheckReadDataPage(cs, blk);
		OffsetNumber maxoff;

		if (page == NULL)
			continue;
		maxoff = PageGetMaxOffsetNumber(page);
		if (maxoff > cs->maxoffsets)
			CORRUPT(cs, "block %u has %u line pointers, more than the %d that fit",
					blk, maxoff, cs->maxoffsets);

		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			ItemPointerData tid;
			CheckTuple	t;
			HnswElementTuple etup;
			int			nheaptids = 0;

			ItemPointerSet(&tid, blk, off);
			if (!CheckReadTuple(cs, page, false, &tid, &t))
				continue;
			if ((t.vtup || (t.etup && (t.etup->flags & HNSW_ELEMENT_CHAINED))) &&
				cs->meta.version < 3)
				CORRUPT(cs, "index of format %u has a chained value at (%u,%u)",
						cs->meta.version, blk, off);
			if (t.vtup)
			{
				cs->nvaluetuples++;
				cs->valuetuplebytes += MAXALIGN(ItemIdGetLength(PageGetItemId(page, off))) +
					sizeof(ItemIdData);
			}
			if (t.etup == NULL)
				continue;
			etup = t.etup;
			if (etup->flags & HNSW_ELEMENT_CHAINED)
			{
				Size		len = ItemIdGetLength(PageGetItemId(page, off));

				CheckValue(cs, cs->chainbuf, CheckChain(cs, etup, len, blk, off),
						   blk, off);
				if (etup->state == HNSW_ELEMENT_LIVE)
					cs->nchainedlive++;
			}
			else
				CheckValue(cs, etup->value,
						   ItemIdGetLength(PageGetItemId(page, off)) -
						   offsetof(HnswElementTupleData, value), blk, off);
			cs->nelements++;
			HnswTidBitmapAdd(&cs->elements, &tid);
			if (etup->level > 0)
				CheckAddUpper(cs, &tid, etup->level);
			if (etup->state != HNSW_ELEMENT_LIVE)
			{
				HnswTidBitmapAdd(&cs->notlive, &tid);
				if (etup->state == HNSW_ELEMENT_REUSABLE)
					HnswTidBitmapAdd(&cs->reusable, &tid);
				continue;
			}
			for (int i = 0; i < HNSW_HEAPTIDS; i++)
			{
				if (!ItemPointerIsValid(&etup->heaptids[i]))
					continue;
				nheaptids++;
				if (cs->checkheaptids)
					CheckHeapTid(cs, &tid, &etup->heaptids[i]);
			}
			cs->nlive++;
			cs->nheaptids += nheaptids;
			cs->maxlevel = Max(cs->maxlevel, etup->level);
			for (int l = 0; l <= etup->level; l++)
				cs->nodes_per_level[l]++;
		}
	}
}

/* ----------------------------------------------------------------
 *		Pass 2: neighbour lists
 * ----------------------------------------------------------------
 */

/*
 * The neighbour tuple of the element at etid, which must be one of its
 * level.  Reads it into page slot 1 unless it is on the page in slot 0
 * (the element's own page, read by the caller).
 */
static HnswNeighborTuple
CheckGetNeighbors(CheckState *cs, ItemPointer etid, HnswElementTuple etup)
{
	ItemPointer ntid = &etup->neighbortid;
	BlockNumber nblk = ItemPointerGetBlockNumberNoCheck(ntid);
	int			slot;
	CheckTuple	t;
	Page		page;

	if (CheckTidInRange(cs, ntid))
	{
		slot = (cs->pageblk[0] == nblk) ? 0 : 1;
		page = CheckReadPage(cs, slot, nblk);
		if (!cs->pagenew[slot] &&
			!(HnswPageGetOpaque(page)->flags & HNSW_PAGE_DATA))
			CORRUPT(cs, "block %u is not a data page", nblk);
		if (CheckReadTuple(cs, page, cs->pagenew[slot], ntid, &t) &&
			t.ntup != NULL)
		{
			if (t.ntup->level != etup->level)
				CORRUPT(cs, "element (%u,%u) has level %d but its neighbour tuple has level %d",
						ItemPointerGetBlockNumber(etid),
						ItemPointerGetOffsetNumber(etid),
						etup->level, t.ntup->level);
			return t.ntup;
		}
	}
	CORRUPT(cs, "element (%u,%u) points at (%u,%u), which is not a neighbour tuple",
			ItemPointerGetBlockNumber(etid), ItemPointerGetOffsetNumber(etid),
			nblk, ItemPointerGetOffsetNumberNoCheck(ntid));
	return NULL;				/* keep compiler quiet */
}

/*
 * Rotate the value of the element at tid (checked in pass 1: an element,
 * not REUSABLE when a list holds it) into out, read through the buffer
 * manager under a share lock; the checker's lock keeps writers away.
 * Returns its squared norm.
 */
static double
CheckRotateValue(CheckState *cs, ItemPointer tid, float *out)
{
	HnswPageLimits lim;
	HnswElementTuple etup;
	Buffer		buf;
	const char *value;
	double		sq;

	HnswGetPageLimits(cs->index, &lim);
	buf = ReadBufferExtended(cs->index, MAIN_FORKNUM, ItemPointerGetBlockNumber(tid),
							 RBM_NORMAL, cs->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	etup = HnswPageGetElement(&lim, BufferGetPage(buf), ItemPointerGetBlockNumber(tid),
							  ItemPointerGetOffsetNumber(tid));
	value = HnswElementValue(&lim, etup, ItemPointerGetBlockNumber(tid),
							 ItemPointerGetOffsetNumber(tid), cs->codevalue);
	sq = HnswRotate(&cs->codes, cs->meta.kind, value, out);
	UnlockReleaseBuffer(buf);
	return sq;
}

/*
 * With codes: the code area of the layer-0 list of n (the element at
 * etid) holds the owner's squared norm and, for every member, its code
 * relative to the owner, made again from their values; empty slots have
 * zero codes.
 */
static void
CheckListCodes(CheckState *cs, HnswNeighborTuple n, ItemPointer etid)
{
	int			m = cs->meta.m;
	BlockNumber eb = ItemPointerGetBlockNumber(etid);
	OffsetNumber eo = ItemPointerGetOffsetNumber(etid);
	float4		sq = (float4) CheckRotateValue(cs, etid, cs->rotowner);

	if (memcmp(HnswNeighborOwnerSq(n, m), &sq, sizeof(sq)) != 0)
		CORRUPT(cs, "element (%u,%u) has codes for another squared norm than its value's",
				eb, eo);
	for (int i = 0; i < HNSW_LAYER_CAPACITY(0, m); i++)
	{
		const char *code = HnswNeighborCode(n, m, cs->codesize, i);
		ItemPointer t = &n->tids[i];

		if (!ItemPointerIsValid(t))
		{
			for (Size b = 0; b < cs->codesize; b++)
				if (code[b] != 0)
					CORRUPT(cs, "element (%u,%u) has a code in empty slot %d of its layer 0 list",
							eb, eo, i);
			continue;
		}
		(void) CheckRotateValue(cs, t, cs->rotmember);
		HnswEncodeRotated(&cs->codes, cs->rotmember, cs->rotowner, cs->codebuf);
		if (memcmp(code, cs->codebuf, cs->codesize) != 0)
			CORRUPT(cs, "element (%u,%u) holds a code for neighbour (%u,%u) that does not match their values",
					eb, eo, ItemPointerGetBlockNumber(t), ItemPointerGetOffsetNumber(t));
		CHECK_FOR_INTERRUPTS();
	}
}

/* Check one LIVE element's lists; count its links per layer */
static void
CheckElementLinks(CheckState *cs, ItemPointer etid, HnswElementTuple etup)
{
	HnswNeighborTuple n = CheckGetNeighbors(cs, etid, etup);
	uint8	   *ngood = HnswNeighborGood(n);
	BlockNumber eb = ItemPointerGetBlockNumber(etid);
	OffsetNumber eo = ItemPointerGetOffsetNumber(etid);
	int			m = cs->meta.m;

	for (int lc = 0; lc <= etup->level; lc++)
	{
		int			start = HNSW_LAYER_START(lc, m);
		int			cap = HNSW_LAYER_CAPACITY(lc, m);
		bool		ended = false;
		int			nvalid = 0;

		for (int i = 0; i < cap; i++)
			if (ItemPointerIsValid(&n->tids[start + i]))
				nvalid++;
		if (ngood[lc] > nvalid)
			CORRUPT(cs, "element (%u,%u) has %d good neighbours on layer %d but only %d neighbours",
					eb, eo, ngood[lc], lc, nvalid);

		for (int i = 0; i < cap; i++)
		{
			ItemPointer t = &n->tids[start + i];

			if (!ItemPointerIsValid(t))
			{
				ended = true;
				continue;
			}
			if (ended)
				CORRUPT(cs, "element (%u,%u) has a gap in its layer %d list", eb, eo, lc);
			if (!CheckIsElement(cs, t))
				CORRUPT(cs, "element (%u,%u) has neighbour (%u,%u) on layer %d, which is not an element",
						eb, eo, ItemPointerGetBlockNumberNoCheck(t),
						ItemPointerGetOffsetNumberNoCheck(t), lc);
			if (HnswTidBitmapContains(&cs->reusable, t))
				CORRUPT(cs, "element (%u,%u) has neighbour (%u,%u) on layer %d, which was removed by vacuum",
						eb, eo, ItemPointerGetBlockNumber(t),
						ItemPointerGetOffsetNumber(t), lc);
			if (lc > 0 && CheckElementLevel(cs, t) < lc)
				CORRUPT(cs, "element (%u,%u) has neighbour (%u,%u) on layer %d, which only reaches layer %d",
						eb, eo, ItemPointerGetBlockNumber(t),
						ItemPointerGetOffsetNumber(t), lc,
						CheckElementLevel(cs, t));
			if (ItemPointerEquals(t, etid))
				CORRUPT(cs, "element (%u,%u) is its own neighbour on layer %d", eb, eo, lc);
			for (int j = 0; j < i; j++)
				if (ItemPointerEquals(t, &n->tids[start + j]))
					CORRUPT(cs, "element (%u,%u) lists neighbour (%u,%u) twice on layer %d",
							eb, eo, ItemPointerGetBlockNumber(t),
							ItemPointerGetOffsetNumber(t), lc);
			cs->links_per_level[lc]++;
		}
	}
	if (cs->codesize > 0)
		CheckListCodes(cs, n, etid);
}

/*
 * Every LIVE element's lists, page by page; with heapallindexed, also put
 * its heap TIDs into cs->heaptids.
 */
static void
CheckLinks(CheckState *cs)
{
	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < cs->nblocks; blk++)
	{
		Page		page = CheckReadDataPage(cs, blk);
		OffsetNumber maxoff;

		if (page == NULL)
			continue;
		maxoff = PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			ItemPointerData tid;
			CheckTuple	t;

			ItemPointerSet(&tid, blk, off);
			/* page was read in slot 0; the neighbour tuple may replace slot 1 */
			if (!CheckReadTuple(cs, page, false, &tid, &t) || t.etup == NULL ||
				t.etup->state != HNSW_ELEMENT_LIVE)
				continue;
			if (cs->heapallindexed)
				for (int i = 0; i < HNSW_HEAPTIDS; i++)
					if (ItemPointerIsValid(&t.etup->heaptids[i]))
						CheckHeapTidsAdd(&cs->heaptids, &t.etup->heaptids[i]);
			CheckElementLinks(cs, &tid, t.etup);
		}
	}
}

/* ----------------------------------------------------------------
 *		Pass 3: entry point and reachability
 * ----------------------------------------------------------------
 */

/* Is tid a LIVE element? */
static bool
CheckIsLive(CheckState *cs, ItemPointer tid)
{
	return CheckIsElement(cs, tid) && !HnswTidBitmapContains(&cs->notlive, tid);
}

/*
 * Check the entry point; count the LIVE elements reachable from it on
 * layer 0.  The walk goes breadth first, one level at a time: the frontier
 * and the next one are bitmaps, so each level reads its elements' pages
 * in block order and no queue grows with the index.
 */
static int64
CheckEntryAndReach(CheckState *cs)
{
	ItemPointerData entry;
	int			level;
	HnswTidBitmap visited;
	HnswTidBitmap frontier;
	HnswTidBitmap next;
	int64		reached = 1;
	int64		added = 1;
	Size		setbytes = HnswTidBitmapBytes(cs->nblocks, cs->maxoffsets);

	if (!BlockNumberIsValid(cs->meta.entry_blkno))
	{
		if (cs->nlive > 0)
			CORRUPT(cs, "index has %lld elements but no entry point",
					(long long) cs->nlive);
		return 0;
	}
	ItemPointerSet(&entry, cs->meta.entry_blkno, cs->meta.entry_offno);
	if (!CheckIsLive(cs, &entry))
		CORRUPT(cs, "entry point (%u,%u) is not a live element",
				cs->meta.entry_blkno, cs->meta.entry_offno);
	level = CheckElementLevel(cs, &entry);
	if (level != cs->meta.entry_level)
		CORRUPT(cs, "entry point has level %d, metapage says %d",
				level, cs->meta.entry_level);
	if (level != cs->maxlevel)
		CORRUPT(cs, "entry point has level %d, but the top level is %d",
				level, cs->maxlevel);

	/* the REUSABLE set has served; the walk needs three of its size */
	HnswTidBitmapFree(&cs->reusable);
	cs->used -= setbytes;
	CheckReserve(cs, 3 * setbytes, "sets of the reachability walk");
	HnswTidBitmapInit(&visited, cs->index, cs->nblocks, cs->maxoffsets);
	HnswTidBitmapInit(&frontier, cs->index, cs->nblocks, cs->maxoffsets);
	HnswTidBitmapInit(&next, cs->index, cs->nblocks, cs->maxoffsets);

	HnswTidBitmapAdd(&visited, &entry);
	HnswTidBitmapAdd(&frontier, &entry);
	while (added > 0)
	{
		uint64		pos = 0;
		ItemPointerData tid;
		HnswTidBitmap swap;

		added = 0;
		while (HnswTidBitmapNext(&frontier, &pos, &tid))
		{
			Page		page = CheckReadPage(cs, 0, ItemPointerGetBlockNumber(&tid));
			CheckTuple	t;
			HnswNeighborTuple n;

			CHECK_FOR_INTERRUPTS();
			if (!CheckReadTuple(cs, page, cs->pagenew[0], &tid, &t) ||
				t.etup == NULL)
				CORRUPT(cs, "element (%u,%u) is no longer an element",
						ItemPointerGetBlockNumber(&tid),
						ItemPointerGetOffsetNumber(&tid));
			n = CheckGetNeighbors(cs, &tid, t.etup);
			for (int i = 0; i < HNSW_LAYER_CAPACITY(0, cs->meta.m); i++)
			{
				if (!ItemPointerIsValid(&n->tids[i]))
					break;
				if (CheckIsLive(cs, &n->tids[i]) &&
					HnswTidBitmapAdd(&visited, &n->tids[i]))
				{
					HnswTidBitmapAdd(&next, &n->tids[i]);
					added++;
				}
			}
		}
		reached += added;
		swap = frontier;
		frontier = next;
		next = swap;
		HnswTidBitmapClear(&next);
	}
	HnswTidBitmapFree(&visited);
	HnswTidBitmapFree(&frontier);
	HnswTidBitmapFree(&next);
	cs->used -= 3 * setbytes;
	return reached;
}

/* ----------------------------------------------------------------
 *		Pass 4: the table
 * ----------------------------------------------------------------
 */

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
	if (!CheckHeapTidsContains(&cs->heaptids, tid))
		CORRUPT(cs, "heap row (%u,%u) is not in the index",
				ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
}

/*
 * Register the snapshot of the heap pass, which must be taken before the
 * index is read (pass 1), so that every row it sees was indexed before
 * then.  In READ COMMITTED it is a new snapshot, which an index always
 * serves.  With a transaction snapshot, the index may be too new for it:
 * a build that found HOT chains it could not index for older snapshots
 * (indcheckxmin) leaves out rows such a snapshot still sees.  Refuse then,
 * as the planner would refuse to use the index.
 */
static Snapshot
CheckHeapSnapshot(CheckState *cs)
{
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());

	if (IsolationUsesXactSnapshot() && cs->index->rd_index->indcheckxmin &&
		!TransactionIdPrecedes(HeapTupleHeaderGetXmin(cs->index->rd_indextuple->t_data),
							   snapshot->xmin))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("cannot check that index \"%s\" holds every row with this transaction's snapshot",
						RelationGetRelationName(cs->index)),
				 errdetail("The index was built after the snapshot was taken, and is not usable with it."),
				 errhint("Check it in a new transaction, or with heapallindexed => false.")));
	return snapshot;
}

/* Allocate the set of heap TIDs, once pass 1 has measured what it needs */
static void
CheckHeapTidsInit(CheckState *cs)
{
	CheckHeapTids *h = &cs->heaptids;
	Size		bytes;

	h->nblocks = Max(cs->heapnblocks, 1);
	h->shift = BitsFor(Max(cs->maxheapoff, FirstOffsetNumber));
	bytes = ((((uint64) h->nblocks << h->shift) + 63) / 64) * sizeof(uint64);
	CheckReserve(cs, bytes, "set of heap TIDs");
	h->words = palloc_extended(bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
CheckHeap(CheckState *cs, Snapshot snapshot)
{
	IndexInfo  *indexInfo = BuildIndexInfo(cs->index);
	TableScanDesc scan;

	HnswInitDistance(&cs->dist, cs->index, cs->meta.dimensions);
	cs->vecbuf = palloc(cs->dist.maxvsize);
	scan = table_beginscan_strat(cs->heap, snapshot, 0, NULL, true, false);
	indexInfo->ii_Concurrent = true;	/* rows visible to the snapshot */
	table_index_build_scan(cs->heap, cs->index, indexInfo, true, false,
						   CheckHeapCallback, cs, scan);
}

/* ----------------------------------------------------------------
 *		Opening the relations
 * ----------------------------------------------------------------
 */

/*
 * Refuse, before any lock is requested, an OID that is not an hnsw index:
 * the caller may name any relation, and must not queue for its lock.  The
 * catalogue is read without a lock; OpenHnswIndex checks again once the
 * index is locked.
 */
static void
CheckIsHnswIndex(Oid indexoid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
	Form_pg_class form;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", indexoid)));
	form = (Form_pg_class) GETSTRUCT(tup);
	if (form->relkind != RELKIND_INDEX ||
		form->relam != get_index_am_oid("hnsw", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an hnsw index", NameStr(form->relname))));
	ReleaseSysCache(tup);
}

/*
 * Lock the table, then the index, as everything else does; both by OID
 * after CheckIsHnswIndex.  The table gets AccessShareLock.  The index gets
 * ShareLock, which keeps inserts and vacuum out, so the index holds still.
 * A hot standby allows no more than AccessShareLock; there the index only
 * changes through WAL replay, whose records each leave it consistent.
 */
static void
OpenHnswIndex(CheckState *cs, Oid indexoid)
{
	Oid			heapoid;

	CheckIsHnswIndex(indexoid);
	heapoid = IndexGetRelation(indexoid, true);
	cs->heap = OidIsValid(heapoid) ? table_open(heapoid, AccessShareLock) : NULL;
	cs->index = index_open(indexoid, CheckLockMode());
	/* the index may have been dropped and its OID reused meanwhile */
	if (cs->index->rd_rel->relkind != RELKIND_INDEX ||
		cs->index->rd_rel->relam != get_index_am_oid("hnsw", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an hnsw index",
						RelationGetRelationName(cs->index))));
	if (cs->heap == NULL || heapoid != IndexGetRelation(indexoid, false))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("could not open the table of index \"%s\"",
						RelationGetRelationName(cs->index))));
	if (RELATION_IS_OTHER_TEMP(cs->index))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check index \"%s\" of another session's temporary table",
						RelationGetRelationName(cs->index))));

	/*
	 * An index left invalid by a failed CREATE INDEX CONCURRENTLY may be
	 * empty or half built, and nothing reads it: refuse, as amcheck does.
	 */
	if (!cs->index->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check index \"%s\"",
						RelationGetRelationName(cs->index)),
				 errdetail("Index is not valid.")));
}

static void
CloseHnswIndex(CheckState *cs)
{
	index_close(cs->index, CheckLockMode());
	table_close(cs->heap, AccessShareLock);
}

static void
CheckStateInit(CheckState *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->budget = (Size) maintenance_work_mem * 1024;
	cs->strategy = GetAccessStrategy(BAS_BULKREAD);
	for (int i = 0; i < 2; i++)
	{
		cs->pages[i] = palloc(BLCKSZ);
		cs->pageblk[i] = InvalidBlockNumber;
	}
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
	CheckState	cs;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int64		reachable;
	MemoryContext ctx;
	MemoryContext old;
	Snapshot	snapshot = NULL;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw check",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	CheckStateInit(&cs);
	OpenHnswIndex(&cs, indexoid);

	/*
	 * Run as the table's owner, so that the index's expressions and
	 * predicate run with that user's rights and no more, never with the
	 * caller's; forbid what a security-restricted operation forbids, and
	 * undo whatever settings they change.  An error undoes all of this
	 * with the transaction.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(cs.heap->rd_rel->relowner,
						   save_sec_context | SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();

	cs.checkheaptids = true;
	cs.heapallindexed = heapallindexed;
	cs.heapnblocks = RelationGetNumberOfBlocks(cs.heap);
	if (heapallindexed)
		snapshot = CheckHeapSnapshot(&cs);
	CollectElements(&cs);
	if (heapallindexed)
		CheckHeapTidsInit(&cs);
	CheckLinks(&cs);
	reachable = CheckEntryAndReach(&cs);
	if (heapallindexed)
	{
		CheckHeap(&cs, snapshot);
		UnregisterSnapshot(snapshot);
	}

	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	CloseHnswIndex(&cs);
	FreeAccessStrategy(cs.strategy);
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
 *		OUT m int, OUT ef_construction int, OUT dimensions int,
 *		OUT chained_elements bigint, OUT value_tuple_bytes bigint,
 *		OUT unreferenced_value_tuples bigint, OUT quantization text,
 *		OUT code_bits int, OUT code_bytes bigint)
 *
 * avg_degree[l + 1] is the mean number of links of elements on layer l.
 * chained_elements counts the LIVE elements whose value continues in value
 * tuples, value_tuple_bytes the space all value tuples take (line pointers
 * included), unreferenced_value_tuples those no chain holds (left by an
 * insert that a crash or an error cut short).  quantization names the
 * codes of the index ("none" without), code_bits the bits of one, and
 * code_bytes what the codes of the LIVE elements' lists take.  Versions
 * before 0.3.0 declare only the first nine columns, and 0.3.0 twelve; the
 * result follows the declaration.
 * Runs passes 1 and 2 of the check; evaluates no expression.
 */
Datum
hnsw_index_stats(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	CheckState	cs;
	TupleDesc	tupdesc;
	Datum		values[15];
	bool		nulls[15] = {false};
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
	CheckStateInit(&cs);
	OpenHnswIndex(&cs, indexoid);
	CollectElements(&cs);
	CheckLinks(&cs);
	CloseHnswIndex(&cs);
	FreeAccessStrategy(cs.strategy);
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
	values[9] = Int64GetDatum(cs.nchainedlive);
	values[10] = Int64GetDatum(cs.valuetuplebytes);
	values[11] = Int64GetDatum(cs.nvaluetuples - cs.nchainparts);
	values[12] = CStringGetTextDatum(cs.codesize > 0 ? "rabitq" : "none");
	values[13] = Int32GetDatum(cs.meta.codebits);
	values[14] = Int64GetDatum(cs.nlive * 2 * cs.meta.m * (int64) cs.codesize);
	if (tupdesc->natts != 9 && tupdesc->natts != 12 && tupdesc->natts != 15)
		elog(ERROR, "hnsw_index_stats declared with %d columns", tupdesc->natts);
	MemoryContextDelete(ctx);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

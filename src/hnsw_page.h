/*-------------------------------------------------------------------------
 *
 * hnsw_page.h
 *	  On-disk format of hnsw indexes: metapage, data pages and tuples.
 *
 * Everything in this file is stored on disk.  Runtime state lives in
 * hnsw.h.  A change to any structure here needs a new HNSW_FORMAT_VERSION
 * and a line in the format history below.
 *
 * Format history:
 *	  1		first format: metapage, element tuples, neighbour tuples.
 *	  2		the metapage names the kind of value the elements hold (float4,
 *			half, bit or sparse); element values are stored in their own
 *			type's encoding.  An index of format 1 is read as format 2 with
 *			float4 values, which is what it holds (its kind field was 0).
 *	  3		values larger than fit beside their element: an element may hold
 *			the first part of its value and chain the rest through value
 *			tuples (HNSW_VALUE_TUPLE).  Formats 1 and 2 have no chained
 *			elements and are read unchanged.
 *	  4		compact codes: the metapage may name a kind of code
 *			(HNSW_CODE_*); then every neighbour tuple holds, after its
 *			ngood bytes, the code of the member of each layer-0 slot,
 *			relative to the tuple's owner.
 *			Formats 1 to 3 have no codes and are read unchanged.
 *
 * IDENTIFICATION
 *	  src/hnsw_page.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_PAGE_H
#define HNSW_PAGE_H

#include "storage/block.h"
#include "storage/bufpage.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#define HNSW_MAGIC_NUMBER		0x484E5357	/* "HNSW" */
#define HNSW_FORMAT_VERSION		4
#define HNSW_OLDEST_FORMAT		1	/* still read */

#define HNSW_METAPAGE_BLKNO		0
#define HNSW_PAGE_ID			0xFF91	/* identifies our pages in dumps */

/* Page kinds, in HnswPageOpaqueData.flags */
#define HNSW_PAGE_META			(1 << 0)
#define HNSW_PAGE_DATA			(1 << 1)

/*
 * Special space at the end of every page.
 */
typedef struct HnswPageOpaqueData
{
	uint16		flags;			/* HNSW_PAGE_META or HNSW_PAGE_DATA */
	uint16		unused;			/* always 0 */
	uint32		unused2;		/* always 0 */
	uint16		unused3;		/* always 0 */
	uint16		page_id;		/* HNSW_PAGE_ID */
} HnswPageOpaqueData;

typedef HnswPageOpaqueData *HnswPageOpaque;

#define HnswPageGetOpaque(page) \
	((HnswPageOpaque) PageGetSpecialPointer(page))

/*
 * Metapage contents, stored right after the page header.  pd_lower points
 * just past it so that GenericXLog and full-page images cover it.
 */
typedef struct HnswMetaPageData
{
	uint32		magic;			/* HNSW_MAGIC_NUMBER */
	uint32		version;		/* HNSW_FORMAT_VERSION */
	uint32		dimensions;		/* vector dimensions of every element */
	uint16		m;				/* max links per layer (2*m on layer 0) */
	uint16		ef_construction;	/* candidate list size during inserts */
	BlockNumber entry_blkno;	/* entry point element, or InvalidBlockNumber */
	OffsetNumber entry_offno;	/* entry point element's line pointer */
	int16		entry_level;	/* entry point's level, -1 if index empty */
	uint16		kind;			/* HNSW_VALUE_*: what element values are */
	uint16		codes;			/* HNSW_CODE_*: codes in neighbour tuples
								 * (format 4; 0 in older formats) */
	uint16		codebits;		/* bits of a code; 0 without codes */
	uint16		unused;			/* always 0 */
	uint32		codeseed;		/* seed of the codes' rotation */
} HnswMetaPageData;

typedef HnswMetaPageData *HnswMetaPage;

#define HnswPageGetMeta(page) \
	((HnswMetaPage) PageGetContents(page))

/*
 * Kinds of element values (HnswMetaPageData.kind), and how each is stored
 * in an element tuple.  "dim" is the metapage's dimensions: the vector's
 * dimensions, the bit string's length in bits, or the sparse vector's
 * dimensions.
 *
 *	kind		value bytes				encoding
 *	FLOAT4		4 * dim					float4[dim]
 *	HALF		2 * dim					binary16[dim] (bit patterns)
 *	BIT			(dim + 7) / 8			bytes, first bit in the high-order
 *										bit of the first byte (as varbit);
 *										unused trailing bits are 0
 *	SPARSE		4 + 8 * nnz				int32 nnz, int32 indices[nnz]
 *										(0-based, strictly ascending),
 *										float4 values[nnz] (non-zero)
 */
#define HNSW_VALUE_FLOAT4		0
#define HNSW_VALUE_HALF			1
#define HNSW_VALUE_BIT			2
#define HNSW_VALUE_SPARSE		3
#define HNSW_VALUE_MAX_KIND		HNSW_VALUE_SPARSE

/* Bytes of a value of a fixed-size kind; for SPARSE, of an empty one */
static inline Size
HnswValueMinSize(int kind, int dim)
{
	switch (kind)
	{
		case HNSW_VALUE_HALF:
			return (Size) 2 * dim;
		case HNSW_VALUE_BIT:
			return ((Size) dim + 7) / 8;
		case HNSW_VALUE_SPARSE:
			return sizeof(int32);
		default:
			return (Size) 4 * dim;
	}
}

/* Number of entries of a sparse value */
static inline int32
HnswSparseNnz(const char *value)
{
	int32		nnz;

	memcpy(&nnz, value, sizeof(int32));
	return nnz;
}

#define HNSW_SPARSE_VALUE_SIZE(nnz)	(sizeof(int32) + (Size) 8 * (nnz))

/* Bytes of the value v (for SPARSE, v's nnz must have been checked) */
static inline Size
HnswValueSize(int kind, int dim, const char *v)
{
	if (kind == HNSW_VALUE_SPARSE)
		return HNSW_SPARSE_VALUE_SIZE(HnswSparseNnz(v));
	return HnswValueMinSize(kind, dim);
}

/* Tuple types: the first byte of every tuple on a data page */
#define HNSW_ELEMENT_TUPLE		1
#define HNSW_NEIGHBOR_TUPLE		2
#define HNSW_VALUE_TUPLE		3

/*
 * Element states (HnswElementTupleData.state):
 *
 *	LIVE		in the graph; returned by scans if it has a heap TID
 *	DELETED		VACUUM removed its last heap TID; scans and inserts skip it,
 *				but lists may still point at it until VACUUM repairs them
 *	REUSABLE	no list points at it any more; an insert may overwrite it
 *				and its neighbour tuple with a new element
 */
#define HNSW_ELEMENT_LIVE		0
#define HNSW_ELEMENT_DELETED	1
#define HNSW_ELEMENT_REUSABLE	2

/*
 * Heap TIDs kept inline in an element.  Identical vectors share one element
 * while it has a free slot; the next duplicate gets an element of its own.
 */
#define HNSW_HEAPTIDS			4

/*
 * Element tuple: one per distinct indexed vector.
 *
 *	offset	size		field
 *	0		1			type: HNSW_ELEMENT_TUPLE
 *	1		1			level: top layer of the element (0-based)
 *	2		1			state: HNSW_ELEMENT_LIVE, _DELETED or _REUSABLE
 *	3		1			flags: HNSW_ELEMENT_CHAINED or 0
 *	4		6			neighbortid: TID of the element's neighbour tuple
 *	10		2			unused
 *	12		24			heaptids[4]: heap TIDs; invalid TIDs mark free slots
 *	36		(varies)	value: the vector in the encoding of the index's
 *						kind (normalised for cosine)
 *
 * The value starts 4-byte aligned because tuples start MAXALIGNed.  An
 * element tuple may be longer than its value needs (a SPARSE element that
 * took the place of a bigger one); the rest is zero.
 *
 * A CHAINED element holds at offset 36 an HnswElementChainData instead,
 * and after it (offset 48) the first headlen bytes of its value; the rest
 * of the value is in the data of the value tuples chained from valuetid,
 * in order.  valuecap is what the head and the chain hold together, at
 * least the value's size; bytes past the value are zero.  A chain never
 * changes once written: an element that takes the place of a chained one
 * keeps its chain and writes its value into it.
 */
typedef struct HnswElementTupleData
{
	uint8		type;			/* HNSW_ELEMENT_TUPLE */
	uint8		level;			/* top layer of this element */
	uint8		state;			/* HNSW_ELEMENT_LIVE, _DELETED, _REUSABLE */
	uint8		flags;			/* HNSW_ELEMENT_CHAINED or 0 */
	ItemPointerData neighbortid;	/* the neighbour tuple of this element */
	uint16		unused2;		/* always 0 */
	ItemPointerData heaptids[HNSW_HEAPTIDS];	/* heap rows with this vector */
	char		value[FLEXIBLE_ARRAY_MEMBER];	/* the vector, see HNSW_VALUE_* */
} HnswElementTupleData;

typedef HnswElementTupleData *HnswElementTuple;

#define HNSW_ELEMENT_CHAINED	0x01

#define HNSW_ELEMENT_TUPLE_SIZE(vsize) \
	(offsetof(HnswElementTupleData, value) + (vsize))

/* What a CHAINED element holds where the value would start */
typedef struct HnswElementChainData
{
	ItemPointerData valuetid;	/* first value tuple of the chain */
	uint16		headlen;		/* bytes of the value in the element */
	uint32		valuecap;		/* bytes the head and the chain hold */
} HnswElementChainData;

#define HnswElementChain(etup)	((HnswElementChainData *) (etup)->value)
#define HnswElementHead(etup)	((etup)->value + sizeof(HnswElementChainData))
#define HNSW_CHAINED_ELEMENT_SIZE(headlen) \
	(offsetof(HnswElementTupleData, value) + sizeof(HnswElementChainData) + \
	 (headlen))

/*
 * Value tuple: a part of the value of a CHAINED element.  Its data is the
 * rest of the item (at least HNSW_MIN_PART bytes).
 *
 *	offset	size		field
 *	0		1			type: HNSW_VALUE_TUPLE
 *	1		3			unused
 *	4		6			next: the next part, or invalid at the end
 *	10		2			unused
 *	12		(varies)	data
 */
typedef struct HnswValueTupleData
{
	uint8		type;			/* HNSW_VALUE_TUPLE */
	uint8		unused;			/* always 0 */
	uint16		unused2;		/* always 0 */
	ItemPointerData next;		/* next part of the chain, or invalid */
	uint16		unused3;		/* always 0 */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} HnswValueTupleData;

typedef HnswValueTupleData *HnswValueTuple;

#define HNSW_VALUE_TUPLE_HEADER	offsetof(HnswValueTupleData, data)

/*
 * Values of at least HNSW_SPLIT_MIN_VALUE bytes of a fixed-size kind may
 * be split where a page ends, so that pages fill; smaller ones, and SPARSE
 * values, are split only when element and neighbour tuple do not fit an
 * empty page.  A head or a part holds at least HNSW_MIN_PART bytes.
 */
#define HNSW_SPLIT_MIN_VALUE	1000
#define HNSW_MIN_PART			64

/*
 * Neighbour tuple: the adjacency lists of one element, for every layer it
 * is on.  Layer 0 has 2*m slots, layers 1..level m slots each:
 *
 *	slots [0, 2m)					layer 0
 *	slots [2m + (l-1)m, 2m + lm)	layer l >= 1
 *
 * Each list is filled from the front; an invalid TID ends it.  Entries are
 * element TIDs.  After the slots, one byte per layer says how many entries
 * at the front of that layer's list the neighbour-selection heuristic
 * chose ("good"); the rest only fill the list up (keepPrunedConnections).
 * Inserts use this to update a full list without re-running the heuristic.
 * The tuple never changes size after it is written, so updates happen in
 * place.  When an insert reuses the space of an element
 * with a higher level, the tuple keeps its length and its level and count
 * fields describe the new element: the length is at least what they need.
 *
 *	offset	size		field
 *	0		1			type: HNSW_NEIGHBOR_TUPLE
 *	1		1			level: same as the element's
 *	2		2			count: number of slots, (level + 2) * m
 *	4		6 * count	tids: the slots
 *	4+6c	level + 1	ngood: good entries at the front of each layer's list
 */
typedef struct HnswNeighborTupleData
{
	uint8		type;			/* HNSW_NEIGHBOR_TUPLE */
	uint8		level;			/* top layer of the owning element */
	uint16		count;			/* number of slots */
	ItemPointerData tids[FLEXIBLE_ARRAY_MEMBER];	/* neighbour elements */
} HnswNeighborTupleData;

typedef HnswNeighborTupleData *HnswNeighborTuple;

#define HNSW_NEIGHBOR_SLOTS(level, m)	(((level) + 2) * (m))
#define HNSW_NEIGHBOR_TUPLE_SIZE(level, m) \
	(offsetof(HnswNeighborTupleData, tids) + \
	 sizeof(ItemPointerData) * HNSW_NEIGHBOR_SLOTS(level, m) + (level) + 1)

/* The ngood bytes of a neighbour tuple, one per layer */
#define HnswNeighborGood(ntup)	((uint8 *) &(ntup)->tids[(ntup)->count])

/* First slot and capacity of layer lc's list */
#define HNSW_LAYER_START(lc, m)		((lc) == 0 ? 0 : 2 * (m) + ((lc) - 1) * (m))
#define HNSW_LAYER_CAPACITY(lc, m)	((lc) == 0 ? 2 * (m) : (m))

/*
 * Compact codes (format 4, src/README.md "Compact codes").  With codes, a
 * neighbour tuple holds after its ngood bytes, from the next multiple of 4
 * bytes, a code area: the squared norm of the owner's value (float4), then
 * one code per layer-0 slot (2 * m of them), each of
 * HNSW_CODE_SIZE(codebits) bytes: the code of the element in the slot
 * relative to the owner, or zeros for an empty slot.  The code of x
 * relative to the owner e is the RaBitQ code of the residual x - e
 * (hnswcode.c), with r = R(x - e) and R the index's rotation:
 *
 *	offset	size			field
 *	0		4				base: float4; for l2 distances |x - e|^2, for
 *							inner products (and cosine) <x - e, e>
 *	4		4				shift: float4, sum_{i<B} sign(r_i) (R e)_i
 *	8		2				factor: binary16, |x - e|^2 / sum_{i<B} |r_i|
 *	10		2				err: binary16, the standard error of the
 *							estimate of <x - e, q - e> per unit of |q - e|
 *	12		codebits / 8	bits: bit i (bit i % 8 of byte i / 8) is 1 if
 *							r_i > 0
 *
 * codebits (B) is a multiple of 64, chosen when the index is built so that
 * a tuple of every level an element may have (HnswCodesLevelCap) fits a
 * page.  A code whose err is infinite is never trusted: a search reads the
 * member's value.
 */
#define HNSW_CODE_NONE			0
#define HNSW_CODE_RABITQ		1
#define HNSW_CODE_MAX_KIND		HNSW_CODE_RABITQ

/* The seed of the rotation of new indexes */
#define HNSW_CODE_SEED			0x52614269

typedef struct HnswCodeHeader
{
	float4		base;
	float4		shift;
	uint16		factor;			/* binary16 */
	uint16		err;			/* binary16 */
} HnswCodeHeader;

#define HNSW_CODE_SIZE(bits)	(sizeof(HnswCodeHeader) + (Size) (bits) / 8)

/* Where the code area of a neighbour tuple of this level starts */
#define HNSW_CODES_OFFSET(level, m) \
	TYPEALIGN(4, HNSW_NEIGHBOR_TUPLE_SIZE(level, m))

/* Bytes of a neighbour tuple with codes of codesize bytes (0: none) */
static inline Size
HnswNeighborTupleSize(int level, int m, Size codesize)
{
	if (codesize == 0)
		return HNSW_NEIGHBOR_TUPLE_SIZE(level, m);
	return HNSW_CODES_OFFSET(level, m) + sizeof(float4) + (Size) 2 * m * codesize;
}

/* The squared norm of the owner, at the start of the code area */
#define HnswNeighborOwnerSq(ntup, m) \
	((char *) (ntup) + HNSW_CODES_OFFSET((ntup)->level, (m)))

/* The code of layer-0 slot i of a neighbour tuple with codes */
#define HnswNeighborCode(ntup, m, codesize, i) \
	((char *) (ntup) + HNSW_CODES_OFFSET((ntup)->level, (m)) + sizeof(float4) + \
	 (Size) (i) * (codesize))

/* Space for tuples on an empty data page */
#define HNSW_PAGE_CAPACITY \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - \
	 MAXALIGN(sizeof(HnswPageOpaqueData)) - sizeof(ItemIdData))

/* Bytes for tuples and their line pointers on an empty data page */
#define HNSW_PAGE_ROOM	(HNSW_PAGE_CAPACITY + sizeof(ItemIdData))

/* Most data a value tuple alone on a page holds */
#define HNSW_MAX_PART \
	(TYPEALIGN_DOWN(MAXIMUM_ALIGNOF, HNSW_PAGE_ROOM - sizeof(ItemIdData)) - \
	 HNSW_VALUE_TUPLE_HEADER)

/*
 * Where values are split (src/README.md, "Values larger than a page").
 * HnswMaySplit: may a value of vsize bytes be split where a page ends,
 * rather than moved whole to the next page?  (Any value is split when its
 * element and neighbour tuple do not fit an empty page.)
 */
static inline bool
HnswMaySplit(int kind, Size vsize)
{
	return kind != HNSW_VALUE_SPARSE && vsize >= HNSW_SPLIT_MIN_VALUE;
}

/*
 * Data of the next value tuple, alone on a new page, for the rest bytes of
 * a value still to place: as much as fits, but leaving either nothing or
 * at least HNSW_MIN_PART bytes.
 */
static inline Size
HnswPartSize(Size rest)
{
	if (rest <= HNSW_MAX_PART)
		return rest;
	return Min(HNSW_MAX_PART, rest - HNSW_MIN_PART);
}

/*
 * How many of the vsize bytes of a value the head of a CHAINED element can
 * hold on a page with freespace bytes for tuples and line pointers, beside
 * a neighbour tuple of nsize (MAXALIGNed) bytes: as much as fits, leaving
 * at least HNSW_MIN_PART bytes to the chain.  0 if the head would hold
 * less than HNSW_MIN_PART bytes.
 */
static inline Size
HnswHeadRoom(Size freespace, Size nsize, Size vsize)
{
	Size		head;

	if (freespace < nsize + 2 * sizeof(ItemIdData) +
		MAXALIGN(HNSW_CHAINED_ELEMENT_SIZE(HNSW_MIN_PART)))
		return 0;
	head = TYPEALIGN_DOWN(MAXIMUM_ALIGNOF,
						  freespace - nsize - 2 * sizeof(ItemIdData)) -
		HNSW_CHAINED_ELEMENT_SIZE(0);
	if (vsize < head + HNSW_MIN_PART)
		head = vsize - Min(vsize, HNSW_MIN_PART);
	return head >= HNSW_MIN_PART ? head : 0;
}

/*
 * Reading pages without trusting them
 *
 * Nothing read from a page is used before it has been checked against the
 * limits below: a damaged index must raise ERRCODE_INDEX_CORRUPTED, never
 * read or write outside a page or an array.  The accessors here do the
 * checks in one place, inline, with a few compares on data the caller reads
 * anyway; the reporting functions (hnswpage.c) are out of line.
 *
 * What counts as corrupt rather than absent: line pointers are never
 * removed and a TID, once given out, always names a tuple of the same kind
 * (see src/README.md).  So a TID taken from a list or an element that names
 * no tuple, an unused line pointer, or a tuple of the other kind, is
 * corruption.  A DELETED or REUSABLE element, and an element whose level is
 * now below the layer a scan reached it on (its space was reused), are
 * normal and are left to the caller.
 */
typedef struct HnswPageLimits
{
	Relation	index;			/* for error messages */
	BlockNumber nblocks;		/* blocks known to exist: a TID at or past
								 * this makes HnswCheckTidSlow look again */
	int			m;				/* m from the metapage */
	int			dim;			/* dimensions from the metapage */
	int			kind;			/* value kind from the metapage */
	int			version;		/* format version from the metapage */
	Size		codesize;		/* bytes of a code, 0 without codes */
	Size		vsize;			/* bytes of a value (SPARSE: of an empty one) */
	int			maxnnz;			/* SPARSE: most entries a value may have */
	Size		maxvsize;		/* bytes of the largest value */
	int			maxlevel;		/* highest level an element may have */
	int			maxoffsets;		/* most line pointers a data page can have */
} HnswPageLimits;

/* Out of line, in hnswpage.c */
extern void HnswGetPageLimits(Relation index, HnswPageLimits *lim);
extern void HnswCheckTidSlow(HnswPageLimits *lim, ItemPointer tid,
							 BlockNumber blkno, OffsetNumber offno);
extern void HnswReportBadPage(const HnswPageLimits *lim, BlockNumber blkno)
			pg_attribute_noreturn();
extern void HnswReportBadItem(const HnswPageLimits *lim, Page page,
							  BlockNumber blkno, OffsetNumber offno)
			pg_attribute_noreturn();
extern HnswElementTuple HnswCheckElementSlow(const HnswPageLimits *lim, Page page,
											ItemId iid, BlockNumber blkno,
											OffsetNumber offno);
extern void HnswReportBadElement(const HnswPageLimits *lim, Page page,
								 BlockNumber blkno, OffsetNumber offno)
			pg_attribute_noreturn();
extern void HnswReportBadNeighbors(const HnswPageLimits *lim, Page page,
								   BlockNumber blkno, OffsetNumber offno)
			pg_attribute_noreturn();
extern void HnswReportBadValueTuple(const HnswPageLimits *lim, Page page,
									BlockNumber blkno, OffsetNumber offno)
			pg_attribute_noreturn();

/* Where the tuples of a data page may lie */
#define HNSW_SPECIAL_OFFSET	(BLCKSZ - MAXALIGN(sizeof(HnswPageOpaqueData)))

/*
 * The line pointer at offno of a data page (block blkno), checked as
 * amcheck's PageGetItemIdCareful does: offno is one of the page's line
 * pointers, the line pointer is in use, and its item lies MAXALIGNed
 * between pd_upper and the special space.  PostgreSQL has checked the page
 * header when it read the page (pd_lower <= pd_upper <= pd_special).
 * Raises ERRCODE_INDEX_CORRUPTED otherwise.  Caller holds a pin and a lock.
 */
static inline ItemId
HnswPageGetItemIdChecked(const HnswPageLimits *lim, Page page,
						 BlockNumber blkno, OffsetNumber offno)
{
	PageHeader	hdr = (PageHeader) page;
	ItemId		iid;

	/* offno >= 1 and its line pointer lies below pd_lower */
	if (unlikely(offno < FirstOffsetNumber ||
				 SizeOfPageHeaderData + offno * sizeof(ItemIdData) > hdr->pd_lower ||
				 hdr->pd_special != HNSW_SPECIAL_OFFSET))
		HnswReportBadItem(lim, page, blkno, offno);
	iid = PageGetItemId(page, offno);
	if (unlikely(!ItemIdIsNormal(iid) ||
				 ItemIdGetOffset(iid) < hdr->pd_upper ||
				 ItemIdGetOffset(iid) + ItemIdGetLength(iid) > HNSW_SPECIAL_OFFSET ||
				 ItemIdGetOffset(iid) != MAXALIGN(ItemIdGetOffset(iid))))
		HnswReportBadItem(lim, page, blkno, offno);
	return iid;
}

/*
 * The element tuple at offno: long enough for its value, of the
 * element kind, with a level and a state that can be.  Any state is
 * returned; the caller decides what DELETED and REUSABLE mean to it.  Its
 * neighbortid is not checked here: the caller checks it with HnswCheckTid
 * before it hands it on or follows it.
 *
 * HnswCheckElement does the checks on the tuple for a line pointer already
 * checked with HnswPageGetItemIdChecked, for a caller that prefetches a
 * batch of tuples before it reads any (DiskDistances).
 */
static pg_attribute_always_inline HnswElementTuple
HnswCheckElement(const HnswPageLimits *lim, Page page, ItemId iid,
				 BlockNumber blkno, OffsetNumber offno)
{
	HnswElementTuple etup = (HnswElementTuple) PageGetItem(page, iid);

	/* the common case inline: a whole element of a fixed-size kind */
	if (likely(ItemIdGetLength(iid) >= HNSW_ELEMENT_TUPLE_SIZE(lim->vsize) &&
			   etup->type == HNSW_ELEMENT_TUPLE &&
			   etup->level <= lim->maxlevel &&
			   etup->state <= HNSW_ELEMENT_REUSABLE &&
			   etup->flags == 0 &&
			   lim->kind != HNSW_VALUE_SPARSE))
		return etup;
	return HnswCheckElementSlow(lim, page, iid, blkno, offno);
}

static inline HnswElementTuple
HnswPageGetElement(const HnswPageLimits *lim, Page page, BlockNumber blkno,
				   OffsetNumber offno)
{
	return HnswCheckElement(lim, page,
							HnswPageGetItemIdChecked(lim, page, blkno, offno),
							blkno, offno);
}

/*
 * For a pass over every tuple of a data page: the element at offno, checked
 * as HnswPageGetElement does, or NULL if a neighbour tuple or a value tuple
 * is there (which is not checked: the caller does not read it).  A tuple of
 * any other kind raises ERRCODE_INDEX_CORRUPTED.
 */
static inline HnswElementTuple
HnswPageGetElementOrNull(const HnswPageLimits *lim, Page page, BlockNumber blkno,
						 OffsetNumber offno)
{
	ItemId		iid = HnswPageGetItemIdChecked(lim, page, blkno, offno);

	if (ItemIdGetLength(iid) >= 1 &&
		(*(uint8 *) PageGetItem(page, iid) == HNSW_NEIGHBOR_TUPLE ||
		 *(uint8 *) PageGetItem(page, iid) == HNSW_VALUE_TUPLE))
		return NULL;
	return HnswCheckElement(lim, page, iid, blkno, offno);
}

/*
 * Is this page one a pass over the index reads tuples from: a data page?
 * A new (all-zero) page, left by an extension that a crash cut short, is
 * not; neither is the metapage.  Anything else is corrupt.
 */
static inline bool
HnswPageIsData(const HnswPageLimits *lim, Page page, BlockNumber blkno)
{
	if (PageIsNew(page))
		return false;
	if (unlikely(((PageHeader) page)->pd_special != HNSW_SPECIAL_OFFSET ||
				 HnswPageGetOpaque(page)->page_id != HNSW_PAGE_ID ||
				 HnswPageGetOpaque(page)->flags != HNSW_PAGE_DATA))
		HnswReportBadPage(lim, blkno);
	return true;
}

/*
 * The neighbour tuple at offno: of the neighbour kind, a level that can be,
 * count equal to the slots that level needs, and long enough for them and
 * the ngood bytes (a reused tuple may be longer).  Every slot
 * ntup->tids[0 .. count) and HnswNeighborGood(ntup)[0 .. level] is then
 * inside the tuple; the TIDs in the slots are checked as they are read
 * (HnswCheckTid).
 */
static inline HnswNeighborTuple
HnswPageGetNeighbors(const HnswPageLimits *lim, Page page, BlockNumber blkno,
					 OffsetNumber offno)
{
	ItemId		iid = HnswPageGetItemIdChecked(lim, page, blkno, offno);
	HnswNeighborTuple ntup = (HnswNeighborTuple) PageGetItem(page, iid);

	if (unlikely(ItemIdGetLength(iid) < offsetof(HnswNeighborTupleData, tids) ||
				 ntup->type != HNSW_NEIGHBOR_TUPLE ||
				 ntup->level > lim->maxlevel ||
				 ntup->count != HNSW_NEIGHBOR_SLOTS(ntup->level, lim->m) ||
				 ItemIdGetLength(iid) < HnswNeighborTupleSize(ntup->level, lim->m,
															  lim->codesize)))
		HnswReportBadNeighbors(lim, page, blkno, offno);
	return ntup;
}

/*
 * The value tuple at offno: of the value kind, with at least HNSW_MIN_PART
 * bytes of data.  Its next TID is checked as it is followed (HnswCheckTid).
 */
static inline HnswValueTuple
HnswPageGetValueTuple(const HnswPageLimits *lim, Page page, BlockNumber blkno,
					  OffsetNumber offno)
{
	ItemId		iid = HnswPageGetItemIdChecked(lim, page, blkno, offno);
	HnswValueTuple vtup = (HnswValueTuple) PageGetItem(page, iid);

	if (unlikely(ItemIdGetLength(iid) < HNSW_VALUE_TUPLE_HEADER + HNSW_MIN_PART ||
				 vtup->type != HNSW_VALUE_TUPLE))
		HnswReportBadValueTuple(lim, page, blkno, offno);
	return vtup;
}

/*
 * Layer lc's list in a checked neighbour tuple: its first slot, and its
 * capacity in *cap.  The caller makes sure lc <= ntup->level.
 */
static inline ItemPointer
HnswNeighborList(const HnswPageLimits *lim, HnswNeighborTuple ntup, int lc,
				 int *cap)
{
	*cap = HNSW_LAYER_CAPACITY(lc, lim->m);
	return &ntup->tids[HNSW_LAYER_START(lc, lim->m)];
}

/*
 * Check a TID read from a page (a list slot, an element's neighbortid, the
 * entry point), found in the tuple at (blkno, offno), before it is
 * followed: a block of the index other than the metapage, and an offset a
 * data page can have.  Returns false if the TID is the end of a list: an
 * invalid TID, (InvalidBlockNumber, 0), or (0, 0); any other TID with
 * offset 0 is corrupt.  The block number is checked against lim->nblocks,
 * which only grows; past it, HnswCheckTidSlow asks the storage manager
 * again (the index may have grown) and raises ERRCODE_INDEX_CORRUPTED if
 * the block is still not there.
 */
static inline bool
HnswCheckTid(HnswPageLimits *lim, ItemPointer tid, BlockNumber blkno,
			 OffsetNumber offno)
{
	BlockNumber b = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber o = ItemPointerGetOffsetNumberNoCheck(tid);

	/* 0 < b < nblocks and 0 < o <= maxoffsets, as two unsigned compares */
	StaticAssertStmt(HNSW_METAPAGE_BLKNO == 0, "the metapage is block 0");
	if (likely((BlockNumber) (b - 1) < lim->nblocks - 1 &&
			   (uint32) o - 1 < (uint32) lim->maxoffsets))
		return true;
	if (o == InvalidOffsetNumber &&
		(b == InvalidBlockNumber || b == HNSW_METAPAGE_BLKNO))
		return false;
	HnswCheckTidSlow(lim, tid, blkno, offno);
	return true;
}

#endif							/* HNSW_PAGE_H */

/*-------------------------------------------------------------------------
 *
 * hnsw.h
 *	  Runtime declarations shared by the hnsw index access method.
 *
 * The on-disk format is in hnsw_page.h.  The graph algorithms (paper's
 * Algorithms 2 and 4, level assignment) are in hnswgraph.c and work on any
 * graph through HnswGraphOps, so that the in-memory build and the on-disk
 * insert and scan share one implementation.
 *
 * IDENTIFICATION
 *	  src/hnsw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSW_H
#define HNSW_H

#include <math.h>

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "common/pg_prng.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"

#include "halfutils.h"
#include "hnsw_distance.h"
#include "hnsw_page.h"
#include "vector.h"

/* Index options */
#define HNSW_DEFAULT_M				16
#define HNSW_MIN_M					2
#define HNSW_MAX_M					100
#define HNSW_DEFAULT_EF_CONSTRUCTION	64
#define HNSW_MIN_EF_CONSTRUCTION	4
#define HNSW_MAX_EF_CONSTRUCTION	1000
#define HNSW_DEFAULT_EF_SEARCH		40
#define HNSW_MIN_EF_SEARCH			1
#define HNSW_MAX_EF_SEARCH			1000

/* Index limits, by kind of value (see HnswTypeInfo) */
#define HNSW_MAX_DIM				16000	/* vector */
#define HNSW_MAX_HALF_DIM			16000	/* halfvec */
#define HNSW_MAX_BITS				64000	/* bit */
#define HNSW_MAX_NNZ				16000	/* sparsevec: non-zero entries */
#define HNSW_MAX_SPARSE_DIM			1000000000	/* sparsevec: its own limit */

/* Hard cap on levels, whatever m; see HnswMaxLevel() */
#define HNSW_MAX_LEVEL				32

/* Support procedures */
#define HNSW_DISTANCE_PROC			1
#define HNSW_NORM_PROC				2
#define HNSW_TYPE_INFO_PROC			3

/* Build phases for pg_stat_progress_create_index */
#define PROGRESS_HNSW_PHASE_LOAD	2
#define PROGRESS_HNSW_PHASE_LINK	3
#define PROGRESS_HNSW_PHASE_WRITE	4

/* Heavyweight page lock used as a lock tag (not a real page) */
#define HNSW_UPDATE_LOCK			0

/* The quantization option: which codes a new index keeps */
#define HNSW_AUTO_CODES_MAX_DIM		256 /* auto: no codes above this */
#define HNSW_QUANTIZATION_AUTO		0	/* rabitq where the opclass allows */
#define HNSW_QUANTIZATION_NONE		1
#define HNSW_QUANTIZATION_RABITQ	2

typedef struct HnswOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			m;				/* number of connections */
	int			efConstruction; /* size of dynamic candidate list */
	int			quantization;	/* HNSW_QUANTIZATION_* */
} HnswOptions;

/* GUCs */
typedef enum HnswIterativeScanMode
{
	HNSW_ITERATIVE_SCAN_OFF,
	HNSW_ITERATIVE_SCAN_RELAXED,
	HNSW_ITERATIVE_SCAN_STRICT
} HnswIterativeScanMode;

extern int	hnsw_ef_search;
extern int	hnsw_iterative_scan;
extern int	hnsw_max_scan_tuples;
extern bool hnsw_use_codes;
extern double hnsw_code_margin;
extern double hnsw_scan_mem_multiplier;

/*
 * What the index knows of the type of its column: the kind of value its
 * elements store, and the limits.  The opclass's FUNCTION 3 (type info)
 * returns one of these; an opclass without it indexes float4 vectors.
 */
typedef struct HnswTypeInfo
{
	int			kind;			/* HNSW_VALUE_* */
	const char *typname;		/* for messages: "vector", "halfvec", ... */
	int			maxdim;			/* most dimensions (bits) an index takes,
								 * or 0 for no limit */
	int			maxnnz;			/* SPARSE: most entries, or 0 */
} HnswTypeInfo;

extern const HnswTypeInfo *HnswGetTypeInfo(Relation index);

/*
 * How the index computes distances.  The support function is recognised by
 * address and replaced by a direct kernel call; anything else goes through
 * fmgr (HNSW_DIST_GENERIC).
 */
typedef enum HnswDistKind
{
	HNSW_DIST_L2SQ,				/* vector_l2_squared_distance */
	HNSW_DIST_NEG_DOT,			/* vector_negative_inner_product */
	HNSW_DIST_L1,				/* l1_distance */
	HNSW_DIST_HALF_L2SQ,		/* halfvec_l2_squared_distance */
	HNSW_DIST_HALF_NEG_DOT,		/* halfvec_negative_inner_product */
	HNSW_DIST_HALF_L1,			/* l1_distance(halfvec, halfvec) */
	HNSW_DIST_HAMMING,			/* hamming_distance */
	HNSW_DIST_JACCARD,			/* jaccard_distance */
	HNSW_DIST_SPARSE_L2SQ,		/* sparsevec_l2_squared_distance */
	HNSW_DIST_SPARSE_NEG_DOT,	/* sparsevec_negative_inner_product */
	HNSW_DIST_SPARSE_L1,		/* l1_distance(sparsevec, sparsevec) */
	HNSW_DIST_GENERIC			/* any other support function */
} HnswDistKind;

typedef struct HnswDistance
{
	HnswDistKind kind;
	HnswDistanceFn fn;			/* float4 kernel */
	HnswHalfDistanceFn hfn;		/* half kernel */
	const HnswTypeInfo *type;
	int			vkind;			/* type->kind, HNSW_VALUE_* */
	int			dim;			/* dimensions (bits for BIT) */
	Size		maxvsize;		/* bytes of the largest value indexed */
	bool		normalize;		/* has a norm proc: store unit vectors */
	FmgrInfo   *procinfo;		/* distance support proc (GENERIC) */
	FmgrInfo   *normprocinfo;	/* norm support proc, or NULL */
	Oid			collation;
	Pointer		scratch1;		/* datum buffers for GENERIC */
	Pointer		scratch2;
} HnswDistance;

extern float HnswDistOther(const HnswDistance *d, const char *a, const char *b);

/*
 * A sparse query densified once per scan or insert, for the inner-product
 * distances (sparsevec_ip_ops, sparsevec_cosine_ops): an element's
 * distance is then a gather over its entries, the same sum in the same
 * order as the merge.  Only for indexes of at most HNSW_DENSE_MAX_DIM
 * dimensions.
 */
#define HNSW_DENSE_MAX_DIM			(1 << 17)
extern float *HnswDensifyQuery(const HnswDistance *d, const void *query);
extern void HnswSparseScatter(float *dense, const char *v, bool set);
extern float HnswDistDense(const HnswDistance *d, const float *dense,
						   const char *value);

/* Bytes of the value v, stored in d's encoding */
static inline Size
HnswDistValueSize(const HnswDistance *d, const void *v)
{
	return HnswValueSize(d->vkind, d->dim, (const char *) v);
}

/*
 * Distance between two values in the index's encoding (see HNSW_VALUE_*
 * in hnsw_page.h), as the graph orders it.  Finite vectors can still give
 * an infinite or NaN distance (an inner product of large components
 * overflows to +Inf in one lane and -Inf in another).  NaN compares false
 * with everything, which would break the heaps and the search bound, so it
 * is ordered as +Infinity: such elements sort last, ties broken by TID,
 * and are still found and returned.  "Not an element" is never a distance
 * value: it is the HNSW_CAND_ABSENT flag.
 */
static inline float
HnswDist(const HnswDistance *d, const void *a, const void *b)
{
	float		r;

	switch (d->kind)
	{
		case HNSW_DIST_L2SQ:
		case HNSW_DIST_L1:
			r = d->fn((const float *) a, (const float *) b, d->dim);
			break;
		case HNSW_DIST_NEG_DOT:
			r = -d->fn((const float *) a, (const float *) b, d->dim);
			break;
		case HNSW_DIST_HALF_L2SQ:
		case HNSW_DIST_HALF_L1:
			r = d->hfn((const uint16 *) a, (const uint16 *) b, d->dim);
			break;
		case HNSW_DIST_HALF_NEG_DOT:
			r = -d->hfn((const uint16 *) a, (const uint16 *) b, d->dim);
			break;
		default:
			r = HnswDistOther(d, (const char *) a, (const char *) b);
			break;
	}
	return unlikely(isnan(r)) ? INFINITY : r;
}

/*
 * Graph search.  A node reference is an opaque 64-bit value: an element
 * index during the in-memory build, a packed element TID on disk.  "aux"
 * rides along with a node (the neighbour tuple TID on disk).
 */
typedef struct HnswCandidate
{
	float		dist;
	uint32		flags;			/* HNSW_CAND_* */
	uint64		ref;
	uint64		aux;
} HnswCandidate;

/* Candidate may be traversed but must not be returned (no live heap TID) */
#define HNSW_CAND_SKIP_RESULT	(1 << 0)
/* No usable element at ref: ignore the candidate altogether */
#define HNSW_CAND_ABSENT		(1 << 1)
/* dist is a lower bound estimated from a code, not the distance */
#define HNSW_CAND_ESTIMATE		(1 << 2)

typedef struct HnswGraphOps
{
	/*
	 * Store into out[] the neighbours of "c" on layer lc that were not yet
	 * visited, marking them visited.  Returns how many.  out has room for
	 * 2 * m entries.  Fills ref, aux and flags; a neighbour whose distance
	 * was estimated from its code gets the flag HNSW_CAND_ESTIMATE and the
	 * lower bound of its distance in dist.
	 */
	int			(*unvisited_neighbors) (void *ctx, const HnswCandidate *c,
										int lc, HnswCandidate *out);

	/*
	 * Compute cands[i].dist (and flags, aux) for n candidates whose ref is
	 * set.  A candidate that must be ignored altogether gets the flag
	 * HNSW_CAND_ABSENT; the distance is never NaN (see HnswDist).
	 */
	void		(*distances) (void *ctx, HnswCandidate *cands, int n);

	/* Mark a node visited; returns true if it already was */
	bool		(*visit) (void *ctx, uint64 ref);

	/* Forget every visited mark (between layers) */
	void		(*reset_visited) (void *ctx);

	/* Count n candidates left unread because of their estimates */
	void		(*skipped) (void *ctx, int n);
} HnswGraphOps;

/* A binary heap of candidates; min-heap or max-heap by distance */
typedef struct HnswHeap
{
	HnswCandidate *items;
	int			n;
	int			cap;
	bool		ismax;
} HnswHeap;

extern void HnswHeapInit(HnswHeap *h, int cap, bool ismax);
extern void HnswHeapPush(HnswHeap *h, const HnswCandidate *c);
extern HnswCandidate HnswHeapPop(HnswHeap *h);

static inline const HnswCandidate *
HnswHeapTop(const HnswHeap *h)
{
	return h->n > 0 ? &h->items[0] : NULL;
}

/*
 * State of a layer search (Algorithm 2), kept between calls so that a scan
 * can go on where it stopped.
 *
 * In stream mode the search forgets nothing it discovers: every element
 * enters cand, and every element that is not among the ef best (or falls
 * out of them) is kept in found.  The first batch expands exactly the
 * elements Algorithm 2 would; HnswSearchNextBatch() then refills res with
 * the best of found and resumes expanding, so that results come out in
 * batches of ef, each element once.
 */
typedef struct HnswSearch
{
	const HnswGraphOps *ops;
	void	   *ctx;
	int			m;
	bool		stream;			/* keep everything discovered */
	HnswHeap	cand;			/* min-heap: to expand */
	HnswHeap	res;			/* max-heap: best ef found */
	HnswHeap	found;			/* min-heap: found, not in res (stream) */
	HnswCandidate *nbuf;		/* neighbour batch, 2 * m */

	/*
	 * Stream mode: what the current batch discards waits in plain arrays
	 * and enters the heaps only if another batch is asked for, which most
	 * queries never do.
	 */
	HnswCandidate *later;		/* rejected: for cand and found */
	int			nlater;
	int			maxlater;
	HnswCandidate *laterfound;	/* pushed out of res: for found */
	int			nlaterfound;
	int			maxlaterfound;
} HnswSearch;

extern void HnswSearchInit(HnswSearch *s, const HnswGraphOps *ops, void *ctx,
						   int m, int ef);
extern void HnswSearchReset(HnswSearch *s, int ef);
extern void HnswSearchAddEntry(HnswSearch *s, const HnswCandidate *c);
extern void HnswSearchLayer(HnswSearch *s, int lc, int ef);
extern void HnswSearchNextBatch(HnswSearch *s, int ef);
extern int	HnswSearchResultsSorted(HnswSearch *s, HnswCandidate *out);
extern void HnswSortCandidates(HnswCandidate *c, int n);

/* Does a come after b in HnswSortCandidates' order (distance, then ref)? */
static inline bool
HnswCandidateAfter(const HnswCandidate *a, const HnswCandidate *b)
{
	return a->dist > b->dist || (a->dist == b->dist && a->ref > b->ref);
}
extern HnswCandidate HnswGreedySearch(HnswSearch *s, HnswCandidate ep, int lc);

/*
 * Algorithm 4, SELECT-NEIGHBORS-HEURISTIC.  cands are sorted by ascending
 * distance to the base element; pairdist(i, j) gives the distance between
 * candidates i and j.  Writes the indexes of kept candidates to keep[] and
 * returns how many (at most max).
 */
typedef float (*HnswPairDistFn) (void *ctx, int i, int j);
extern int	HnswSelectNeighbors(const HnswCandidate *cands, int ncands, int max,
								bool keepPruned, HnswPairDistFn pairdist,
								void *ctx, int *keep, int *ngood);

/*
 * Algorithm 1 (INSERT), the part both the in-memory build and the on-disk
 * insert share: descend to the new element's level, then on each layer
 * below search ef_construction candidates and choose neighbours with the
 * heuristic (HnswInsertSearchRun).  The graph is reached through the
 * search's HnswGraphOps; what differs besides is in HnswInsertOps.
 */
typedef struct HnswInsertOps
{
	/*
	 * Layer 0: w[0 .. n) are the candidates at distance 0 or less from the
	 * new vector, nearest first.  If one holds exactly the new vector and
	 * takes its heap TID, return true: the insert is done.
	 */
	bool		(*take_duplicate) (void *ctx, const HnswCandidate *w, int n);

	/*
	 * Make the vectors of w[0 .. n) available to pairdist, in that order;
	 * drop candidates whose vector is gone (moving the others up).  Returns
	 * how many are left.
	 */
	int			(*load) (void *ctx, HnswCandidate *w, int n);

	/* Distance between loaded candidates i and j */
	float		(*pairdist) (void *ctx, int i, int j);
} HnswInsertOps;

typedef struct HnswInsertSearch
{
	HnswSearch *search;			/* over the graph */
	const HnswInsertOps *ops;
	void	   *ctx;
	int			m;
	int			efc;
	HnswCandidate *w;			/* scratch: efc + 1 candidates */

	/* the result: per layer, the chosen neighbours, the good ones first */
	HnswCandidate *chosen[HNSW_MAX_LEVEL + 1];	/* 2 * m each, by caller */
	int			nchosen[HNSW_MAX_LEVEL + 1];
	int			ngood[HNSW_MAX_LEVEL + 1];
} HnswInsertSearch;

extern bool HnswInsertSearchRun(HnswInsertSearch *is, HnswCandidate ep,
								int entrylevel, int level, float selfdist);

/*
 * splitmix64 (Steele, Lea and Flood): the next 64 bits of the sequence of
 * state.  The signs of the codes' rotation come from the index's seed, and
 * the levels of inserted elements from their heap TIDs.
 */
static inline uint64
HnswSplitMix64(uint64 *state)
{
	uint64		z = (*state += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/*
 * Every neighbour selection keeps pruned connections (deviation 1 in
 * src/README.md): the graph is denser, and answers more queries per second
 * at equal recall.  A new element gets as many links as its lists hold.
 */
#define HNSW_KEEP_PRUNED		true
#define HnswNewLinks(lc, m)		HNSW_LAYER_CAPACITY(lc, m)

extern int	HnswRandomLevel(pg_prng_state *state, double ml, int maxlevel);
extern int	HnswTidLevel(ItemPointer heaptid, double ml, int maxlevel);
extern int	HnswMaxLevel(int m);
extern int	HnswMaxLevelCodes(int m, Size codesize);

/* hnswcode.c: compact codes (src/README.md, "Compact codes") */
typedef struct HnswCodes
{
	int			dim;			/* dimensions of the values */
	int			pdim;			/* padded to a power of 2, at least 64 */
	int			bits;			/* bits of a code */
	Size		size;			/* bytes of a code */
	uint32		seed;
	bool		dotbase;		/* the base of a code is <x - e, e> (inner
								 * products), not |x - e|^2 (l2) */
	uint64	   *signs;			/* 2 * pdim random signs, as bits */
	float	   *work;			/* pdim floats of scratch */
} HnswCodes;

/*
 * The default of hnsw.code_margin: estimates from codes get this many
 * standard errors of margin, and a neighbour whose estimate less the
 * margin is no closer than the search's bound is not read.  RaBitQ's
 * paper bounds its error with 1.9; a search is better served by a smaller
 * margin, which reads fewer neighbours for the little recall the
 * estimates' errors cost (src/README.md, "Compact codes").
 */
#define HNSW_CODE_CONFIDENCE		0.5

/* A query prepared for estimates (HnswCodeQueryInit) */
typedef struct HnswCodeQuery
{
	int			bits;
	Size		size;			/* bytes of a code */
	bool		l2;				/* squared l2 distance, else -<x, q> */
	float		sqnorm;			/* |q|^2 */
	float		norm;			/* |q| */
	float		rsum;			/* sum of q's rotated coordinates */
	float		confidence;		/* the margin, in standard errors */
	float	   *lut;			/* 16 sums per nibble of a code's bits */
} HnswCodeQuery;

extern int	HnswCodeBits(int dim, int m);
extern int	HnswCodesLevelCap(int m);
extern void HnswCodesInit(HnswCodes *c, int dim, int bits, uint32 seed,
						  bool dotbase);
extern double HnswRotate(const HnswCodes *c, int vkind, const char *v, float *out);
extern void HnswEncodeRotated(const HnswCodes *c, const float *rx, const float *re,
							  char *code);
extern void HnswUntrustedCode(const HnswCodes *c, char *code);
extern void HnswChooseCodes(Relation index, const HnswDistance *d, int m,
							HnswMetaPageData *meta);
extern bool HnswCodesSupported(const HnswDistance *d);
extern bool HnswCodesDotBase(const HnswDistance *d);
extern char *HnswCodeFieldsProblem(const HnswMetaPageData *meta);
extern bool HnswCodeQueryInit(const HnswCodes *c, HnswCodeQuery *q,
							  HnswDistKind dk, int vkind, const char *query);

/* Highest level of an element of an index with or without codes */
static inline int
HnswIndexMaxLevel(int m, bool codes)
{
	return codes ? HnswCodesLevelCap(m) : HnswMaxLevel(m);
}

/*
 * Where a search expanding an owner e stands, for the estimates of its
 * neighbours: e's exact distance from the query, and |q - e|.
 */
typedef struct HnswCodeOwner
{
	float		dist;			/* d(q, e), as the index orders distances */
	float		qe;				/* |q - e| */
} HnswCodeOwner;

/* The owner e of a list with squared norm esq, at distance dist */
static inline HnswCodeOwner
HnswCodeOwnerAt(const HnswCodeQuery *q, float dist, float esq)
{
	HnswCodeOwner o;
	float		qe2;

	o.dist = dist;
	/* l2: dist is |q - e|^2; inner product: dist is -<q, e> */
	qe2 = q->l2 ? dist : q->sqnorm + esq + 2.0f * dist;
	o.qe = sqrtf(Max(qe2, 0.0f));
	return o;
}

/*
 * A lower bound, with a margin of q->confidence standard errors, of the
 * distance from the query of q to the element of code, a member of the
 * list of owner o: its estimate less the margin.  A damaged code can give
 * NaN or -Infinity, which no bound rejects.
 */
static inline float
HnswCodeLowerBound(const HnswCodeQuery *q, const HnswCodeOwner *o, const char *code)
{
	HnswCodeHeader h;
	const uint8 *b = (const uint8 *) code + sizeof(HnswCodeHeader);
	const float *t = q->lut;
	float		s0 = 0,
				s1 = 0,
				s2 = 0,
				s3 = 0;
	int			nbytes = q->bits / 8;
	float		res;			/* <x - e, q - e>, estimated */
	float		margin;
	float		factor;
	float		err;

	memcpy(&h, code, sizeof(h));
	factor = HalfToFloat4(h.factor);
	err = HalfToFloat4(h.err);
	for (int j = 0; j < nbytes; j += 2, t += 64)
	{
		s0 += t[b[j] & 15];
		s1 += t[16 + (b[j] >> 4)];
		s2 += t[32 + (b[j + 1] & 15)];
		s3 += t[48 + (b[j + 1] >> 4)];
	}
	res = factor * (2.0f * ((s0 + s1) + (s2 + s3)) - q->rsum - h.shift);
	margin = q->confidence * err * o->qe;
	if (q->l2)
		return h.base + o->dist - 2.0f * res - 2.0f * margin;
	return o->dist - h.base - res - margin;
}

/* hnswutils.c: options */
extern int	HnswGetM(Relation index);
extern int	HnswGetEfConstruction(Relation index);
extern int	HnswGetQuantization(Relation index);
extern int	HnswGetDimensions(Relation index);

/* hnswvalue.c: the column's type, its values, and distances */
extern void HnswCheckIndexColumn(Relation index);
extern void HnswInitDistance(HnswDistance *d, Relation index, int dim);
extern bool HnswPrepareValue(const HnswDistance *d, Datum value, void *out);
extern void *HnswPrepareQuery(const HnswDistance *d, Datum value);

/* hnswpage.c: pages, WAL, the metapage and the buffer cache */
typedef struct HnswEdit
{
	Relation	index;
	bool		building;		/* inside ambuild: no WAL, mark dirty */
	GenericXLogState *state;
	int			nbufs;
	Buffer		bufs[MAX_GENERIC_XLOG_PAGES];
} HnswEdit;

extern void HnswEditBegin(HnswEdit *e, Relation index, bool building);
extern Page HnswEditRegister(HnswEdit *e, Buffer buf, bool fullImage);
extern void HnswEditFinish(HnswEdit *e);
extern void HnswEditAbort(HnswEdit *e);

extern void HnswInitPage(Page page, uint16 flags);
extern Size HnswFormChainedElement(HnswElementTuple dst,
								   const HnswElementTupleData *whole,
								   Size vsize, Size headlen,
								   ItemPointer valuetid, Size valuecap);
extern Size HnswFormValueTuple(HnswValueTuple vtup, const char *data, Size n,
							   ItemPointer next);
extern void HnswFormElement(HnswElementTuple etup, int level, const void *value,
							Size vsize, const ItemPointerData *heaptids,
							int nheaptids);
extern void HnswFormNeighbors(HnswNeighborTuple ntup, int level, int m,
							  Size codesize);
extern Buffer HnswNewBuffer(Relation index);
extern Buffer HnswReadBuffer(Relation index, BlockNumber blkno);
extern void HnswRaiseFormatVersion(Relation index, bool building);
typedef void (*HnswChainPiece) (void *arg, const char *data, Size pos, Size n);
extern void HnswWalkChain(HnswPageLimits *lim, HnswElementTuple etup,
						  BlockNumber blkno, OffsetNumber offno,
						  const Buffer *held, int nheld,
						  HnswChainPiece piece, void *arg);
extern const char *HnswElementValue(HnswPageLimits *lim, HnswElementTuple etup,
									BlockNumber blkno, OffsetNumber offno,
									char *buf);
extern const char *HnswElementValueIn(HnswPageLimits *lim, HnswElementTuple etup,
									  BlockNumber blkno, OffsetNumber offno,
									  char *buf, const Buffer *held, int nheld);
extern int	HnswGetMetaM(Relation index);
extern int	HnswBlockCmp(const void *a, const void *b);
extern void HnswReadMeta(Relation index, HnswMetaPageData *meta);
extern void HnswUpdateEntryPoint(Relation index, ItemPointer tid, int level,
								 bool building);
extern void HnswCheckPage(Relation index, Page page, BlockNumber blkno);

static inline uint64
HnswTidToRef(ItemPointer tid)
{
	return ((uint64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(tid);
}

static inline void
HnswRefToTid(uint64 ref, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (ref >> 16), (OffsetNumber) (ref & 0xFFFF));
}

/* A visited set of packed TIDs: open addressing, linear probing */
typedef struct HnswTidSet
{
	uint64	   *keys;			/* 0 = empty (block 0 is the metapage) */
	uint32	   *used;			/* slots in use, for a cheap clear */
	uint32		mask;
	uint32		count;

	/*
	 * Optional bitmap for TIDs with block < nblocks and offset < 1 << shift:
	 * one bit per possible TID, faster than the hash for scans.  Other TIDs
	 * still go to the hash.
	 */
	uint64	   *bits;
	uint32	   *usedwords;		/* words of bits that are not zero */
	uint32		nusedwords;
	uint32		nwords;
	BlockNumber nblocks;
	int			shift;
	bool		lent;			/* bits belong to the relcache entry */
} HnswTidSet;

static inline uint32
HnswTidSetHash(uint64 key)
{
	return (uint32) ((key * UINT64CONST(0x9E3779B97F4A7C15)) >> 32);
}

extern void HnswTidSetInit(HnswTidSet *s, uint32 expected);
extern bool HnswTidSetContains(const HnswTidSet *s, uint64 key);
extern void HnswTidSetUseBitmap(HnswTidSet *s, Relation index, BlockNumber nblocks,
								int maxoffsets);
extern void HnswTidSetReturnBitmap(HnswTidSet *s, Relation index);
extern void HnswTidSetClear(HnswTidSet *s);
extern bool HnswTidSetAdd(HnswTidSet *s, uint64 key);

/*
 * A set of element TIDs of one index as a bitmap: one bit for every line
 * pointer a page of the index can have, for every block.  Its size follows
 * the index's size in blocks, not the number of elements, and it is one
 * "huge" allocation, so it works for any index that fits the memory the
 * caller allows (maintenance_work_mem for vacuum and the checker).  Add
 * raises ERRCODE_INDEX_CORRUPTED for a TID outside the bitmap's range (a
 * caller whose index may grow meanwhile checks the block first); Contains
 * says such a TID is not in the set.
 */
typedef struct HnswTidBitmap
{
	Relation	index;			/* for error messages */
	uint64	   *words;
	BlockNumber nblocks;		/* blocks covered */
	int			shift;			/* log2 of the bits per block */
	uint64		nwords;
} HnswTidBitmap;

extern int	HnswMaxOffsets(Size vsize, int m);
extern Size HnswTidBitmapBytes(BlockNumber nblocks, int maxoffsets);
extern void HnswTidBitmapInit(HnswTidBitmap *b, Relation index,
							  BlockNumber nblocks, int maxoffsets);
extern bool HnswTidBitmapAdd(HnswTidBitmap *b, ItemPointer tid);
extern bool HnswTidBitmapContains(const HnswTidBitmap *b, ItemPointer tid);
extern void HnswTidBitmapRemove(HnswTidBitmap *b, ItemPointer tid);
extern bool HnswTidBitmapNext(const HnswTidBitmap *b, uint64 *pos,
							  ItemPointer tid);
extern void HnswTidBitmapClear(HnswTidBitmap *b);
extern void HnswTidBitmapFree(HnswTidBitmap *b);

/*
 * hnswdisk.c: on-disk graph access, shared by inserts and scans.  Reads one page at a
 * time under a share lock and keeps nothing locked between calls.
 */
typedef struct HnswDiskGraph
{
	Relation	index;
	HnswDistance *dist;
	const void *query;
	const float *densequery;	/* query densified (HnswDensifyQuery), or
								 * NULL */
	int			m;
	HnswTidSet	visited;
	char	   *valuebuf;		/* a chained element's value, when needed */
	MemoryContext cxt;			/* where valuebuf is allocated */
	const HnswCodeQuery *cq;	/* scans of an index with codes: estimate
								 * layer-0 neighbours from their codes;
								 * else NULL */
	int64		ndistances;		/* distances computed, for statistics */
	int64		nexpanded;		/* lists read */
	int64		nestimates;		/* distances estimated from codes */
	int64		nskipped;		/* estimated, and never read */
	int64		nbuffers;		/* buffer pins */
	bool		skipdead;		/* scans: walk through elements without heap
								 * TIDs, and detached ones, but flag them
								 * HNSW_CAND_SKIP_RESULT; otherwise detached
								 * ones are ignored */
} HnswDiskGraph;

extern const HnswGraphOps hnsw_disk_graph_ops;
extern void HnswDiskGraphInit(HnswDiskGraph *g, Relation index,
							  HnswDistance *dist, int m, uint32 expected);
extern void HnswDistancesTo(Relation index, HnswDistance *dist, ItemPointer tids,
							int n, const void *a, const void *b,
							float *da, float *db, bool *present);
extern bool HnswDiskEntryCandidate(HnswDiskGraph *g, ItemPointer tid,
								   HnswCandidate *c);

/* hnswspace.c: where new tuples go */

/*
 * The free space map of an hnsw index does not count free bytes.  For each
 * page it records what the page offers for reuse: the highest level of a
 * new element that one of its REUSABLE elements can take, as level + 1
 * steps of the map's resolution (BLCKSZ / 256 bytes), or 0 for nothing.
 * An insert of level l asks for HnswReuseAmount(l).  The amount stays far
 * below the map's largest request whatever the dimensions, and a slot that
 * fits exactly is found (the map rounds what a page has down and what is
 * asked for up, to whole steps).
 */
#define HNSW_FSM_STEP			(BLCKSZ / 256)

static inline Size
HnswReuseAmount(int level)
{
	return (Size) (level + 1) * HNSW_FSM_STEP;
}

extern int	HnswReusableLevel(const HnswPageLimits *lim, Page page,
							  BlockNumber blk, OffsetNumber off);
extern Size HnswPageReuseOffer(const HnswPageLimits *lim, Page page,
							   BlockNumber blk);
extern void HnswWriteElement(Relation index, HnswElementTuple etup, Size esize,
							 HnswNeighborTuple ntup, Size nsize, bool building,
							 ItemPointer etid);

/* hnswlist.c: reading and changing neighbour lists on disk */

/* What list changes need: the index, its distance, m, and whether in ambuild */
typedef struct HnswListCtx
{
	Relation	index;
	HnswDistance *dist;
	int			m;
	bool		building;		/* inside ambuild: no WAL */
	HnswCodes  *codes;			/* the index's codes, or NULL if none
								 * (HnswGetCodes) */
	const float *newrot;		/* the rotated value of the element an
								 * insert adds (HnswRotate), or NULL */
	ItemPointerData newtid;		/* its TID, or a stand-in for it */
} HnswListCtx;

/*
 * A change to one neighbour list: whose list, what it held when it was
 * read, and what it is to hold.
 */
typedef struct HnswListUpdate
{
	ItemPointerData etid;		/* the element */
	ItemPointerData ntid;		/* its neighbour tuple */
	int			lc;				/* the layer */
	bool		dirty;			/* newlist differs from old */
	uint8		oldngood;		/* good entries in old */
	uint8		newngood;		/* good entries in newlist */
	float		newdist;		/* distance of the element being added */
	void	   *ownervec;		/* the element's vector, once loaded */
	int			nevicted;		/* live members newlist leaves out */
	ItemPointerData evicted[2];
	int			nnew;
	ItemPointerData old[2 * HNSW_MAX_M];	/* the slots as read */
	ItemPointerData newlist[2 * HNSW_MAX_M];

	/*
	 * Layer 0 of an index with codes: the codes of the members newlist
	 * adds, made with no lock held before it is written (HnswListCodes).
	 */
	int			ncodes;
	ItemPointerData codetids[2 * HNSW_MAX_M];
	char	   *codes;			/* ncodes codes, or NULL */
} HnswListUpdate;

typedef enum HnswListResult
{
	HNSW_LIST_WRITTEN,			/* the changed list was written */
	HNSW_LIST_UNCHANGED,		/* the list needed no change */
	HNSW_LIST_GONE,				/* the element has no such list any more */
	HNSW_LIST_GAVE_UP			/* the list changed under every attempt:
								 * nothing was written */
} HnswListResult;

/* How often a list is computed again when it keeps changing */
#define HNSW_LIST_RETRIES		16

/* Compute u->newlist from u->old with no lock held; set u->dirty */
typedef void (*HnswListComputeFn) (const HnswListCtx *ctx, HnswListUpdate *u,
								   void *arg);

/* A repair of one list after VACUUM (HnswRepairList) */
typedef struct HnswListRepair
{
	ItemPointerData etid;		/* the element */
	ItemPointerData ntid;		/* its neighbour tuple */
	int			lc;				/* the layer */
	ItemPointerData *extra;		/* replacement candidates */
	int			nextra;
	HnswTidSet *drop;			/* members to drop */
} HnswListRepair;

extern HnswCodes *HnswGetCodes(Relation index, const HnswDistance *d);
extern void HnswListCodes(const HnswListCtx *ctx, HnswListUpdate *u);
extern void HnswMemberCode(const HnswListCtx *ctx, ItemPointer tid, const float *re,
						   char *code, float *work);
extern bool HnswListRead(const HnswListCtx *ctx, Page page, HnswListUpdate *u);
extern bool HnswListReadAgain(const HnswListCtx *ctx, HnswListUpdate *u);
extern bool HnswListApply(const HnswListCtx *ctx, Page page, HnswListUpdate *u);
extern void HnswListAdd(const HnswListCtx *ctx, HnswListUpdate *u,
						ItemPointer newtid, const void *newvec, bool force);
extern HnswListResult HnswListUpdateLoop(const HnswListCtx *ctx,
										 HnswListUpdate *u,
										 HnswListComputeFn compute, void *arg);
extern HnswListResult HnswRepairList(const HnswListCtx *ctx,
									 const HnswListRepair *req);

static inline bool
HnswTidEq(const ItemPointerData *a, const ItemPointerData *b)
{
	return a->ip_posid == b->ip_posid &&
		a->ip_blkid.bi_lo == b->ip_blkid.bi_lo &&
		a->ip_blkid.bi_hi == b->ip_blkid.bi_hi;
}

static inline bool
HnswTidIn(const ItemPointerData *tid, const ItemPointerData *tids, int n)
{
	for (int i = 0; i < n; i++)
		if (HnswTidEq(tid, &tids[i]))
			return true;
	return false;
}

/* hnswinsert.c */
extern bool hnswinsert(Relation index, Datum *values, bool *isnull,
					   ItemPointer heap_tid, Relation heap,
					   IndexUniqueCheck checkUnique, bool indexUnchanged,
					   IndexInfo *indexInfo);
extern char *HnswLoadValueCopy(Relation index, ItemPointer tid,
							   const HnswDistance *dist, char *scratch);
extern bool HnswLoadValue(Relation index, ItemPointer tid,
						  const HnswDistance *dist, void *out);
extern bool HnswLoadValueIn(Relation index, ItemPointer tid,
							const HnswDistance *dist, void *out, int maxstate);

/* A forced layer-0 link for vacuum's reconnection (HnswLinkUnreached) */
typedef struct HnswLinkRequest
{
	ItemPointerData from;		/* the reached element that is to link */
	ItemPointerData fromlist;	/* its neighbour tuple */
	float		dist;			/* distance between the two */
	ItemPointerData to;			/* the unreached element */
	ItemPointerData tolist;		/* its neighbour tuple */
	const void *tovec;			/* its vector */
	const HnswTidBitmap *reached;	/* elements reached so far, or NULL */
} HnswLinkRequest;

extern bool HnswLinkUnreached(const HnswListCtx *ctx,
							  const HnswLinkRequest *req);
extern bool HnswFindHighestLive(Relation index, ItemPointer exclude,
								ItemPointer tid, int *level);
extern void HnswInsertVector(Relation index, HnswDistance *dist,
							 const void *vec, ItemPointer heaptid,
							 bool building);

/* hnswbuild.c */
extern IndexBuildResult *hnswbuild(Relation heap, Relation index,
								   IndexInfo *indexInfo);
extern void hnswbuildempty(Relation index);

/* hnswscan.c */
extern IndexScanDesc hnswbeginscan(Relation index, int nkeys, int norderbys);
extern void hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys,
					   ScanKey orderbys, int norderbys);
extern bool hnswgettuple(IndexScanDesc scan, ScanDirection dir);
extern void hnswendscan(IndexScanDesc scan);

/* hnswvacuum.c */
extern IndexBulkDeleteResult *hnswbulkdelete(IndexVacuumInfo *info,
											 IndexBulkDeleteResult *stats,
											 IndexBulkDeleteCallback callback,
											 void *callback_state);
extern IndexBulkDeleteResult *hnswvacuumcleanup(IndexVacuumInfo *info,
												IndexBulkDeleteResult *stats);

/* hnswcost.c */
extern void hnswcostestimate(struct PlannerInfo *root, struct IndexPath *path,
							 double loop_count, Cost *indexStartupCost,
							 Cost *indexTotalCost,
							 Selectivity *indexSelectivity,
							 double *indexCorrelation, double *indexPages);

/* hnswvalidate.c */
extern bool hnswvalidate(Oid opclassoid);

#endif							/* HNSW_H */

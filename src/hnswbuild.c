/*-------------------------------------------------------------------------
 *
 * hnswbuild.c
 *	  Build an hnsw index (ambuild, ambuildempty).
 *
 * The graph is built in memory, the way hnswlib does it: vectors in
 * contiguous chunks, adjacency lists as arrays of element numbers, and one
 * array of visited tags.  When every row is in, the graph is laid out on
 * pages in one sequential pass: element tuple and neighbour tuple of each
 * element side by side, in breadth-first order of layer 0 from the entry
 * point, so that neighbours tend to share a page.  The placement is computed before
 * anything is written, so every neighbour TID is known when its list is
 * written.  No WAL is written during the build; the finished index is
 * logged with log_newpage_range.
 *
 * If the graph would outgrow maintenance_work_mem, what is built so far is
 * written out and the remaining rows are inserted through the on-disk
 * insert path (hnswinsert.c), still without WAL.
 *
 * IDENTIFICATION
 *	  src/hnswbuild.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "common/pg_prng.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * Elements per chunk: 2^chunkshift, at most 4096, and small enough that a
 * chunk takes no more than a sixteenth of maintenance_work_mem.
 */
#define BUILD_CHUNK_SHIFT_MAX	12
#define BUILD_CHUNK_SHIFT		(bs->chunkshift)
#define BUILD_CHUNK				(1 << BUILD_CHUNK_SHIFT)

typedef struct BuildElement
{
	uint8		level;
	uint8		nheaptids;
	ItemPointerData heaptids[HNSW_HEAPTIDS];
	uint32	   *upper;			/* lists of layers 1..level */
} BuildElement;

typedef struct HnswBuildState
{
	Relation	heap;
	Relation	index;
	IndexInfo  *indexInfo;

	int			dim;
	Size		vsize;			/* bytes of every value, 0 if they vary */
	int			m;
	int			efc;
	double		ml;
	int			maxlevel;
	HnswDistance dist;
	HnswMetaPageData codemeta;	/* codes, codebits, codeseed of the index */
	HnswCodes	codes;			/* if codemeta.codes is not NONE */
	Size		codesize;		/* bytes of a code, 0 without codes */

	/* the in-memory graph */
	int64		n;				/* elements */
	int64		nchunks;
	int64		maxchunks;
	char	  **vecchunks;		/* BUILD_CHUNK values each, vsize bytes
								 * apart; or, if sizes vary, BUILD_CHUNK
								 * pointers into the arena */
	char	   *arena;			/* values of varying size go here */
	Size		arenafree;
	uint32	  **l0chunks;		/* BUILD_CHUNK layer 0 lists each */
	BuildElement **elchunks;	/* BUILD_CHUNK elements each */
	int64		entry;			/* entry point, -1 if none */
	int			entrylevel;

	/* visited tags */
	uint32	   *tags;
	int64		ntags;
	uint32		epoch;

	/* search scratch */
	const char *query;
	float	   *dense;			/* the query densified (sparse inner
								 * products, see HnswDensifyQuery), or NULL;
								 * all zeros between inserts */
	float	   *pairdense;		/* likewise, element pairdenseid densified,
								 * for distances between elements */
	int64		pairdenseid;	/* -1 if none */
	HnswSearch	search;
	HnswCandidate *w;
	HnswCandidate *chosen[HNSW_MAX_LEVEL + 1];	/* good ones first */
	int			nchosen[HNSW_MAX_LEVEL + 1];
	int			ngood[HNSW_MAX_LEVEL + 1];
	ItemPointer heaptid;		/* heap row of the vector being inserted */

	/* memory */
	Size		memused;
	Size		memlimit;
	bool		ondisk;			/* overflowed: inserting on disk */
	MemoryContext graphCtx;
	MemoryContext tmpCtx;

	double		indtuples;
	double		reltuples;
	pg_prng_state prng;			/* levels; fixed seed: reproducible builds */
	int			chunkshift;		/* log2 of elements per chunk */
} HnswBuildState;

static inline char *
BuildVec(HnswBuildState *bs, int64 id)
{
	if (likely(bs->vsize > 0))
		return bs->vecchunks[id >> BUILD_CHUNK_SHIFT] +
			(Size) (id & (BUILD_CHUNK - 1)) * bs->vsize;
	return ((char **) bs->vecchunks[id >> BUILD_CHUNK_SHIFT])[id & (BUILD_CHUNK - 1)];
}


/*
 * Distance between elements a and b.  For sparse inner products, a is
 * densified (and stays so while the calls name the same a, as the
 * heuristic's do), and b's entries gathered: the same sum as the merge.
 */
static inline float
MemDistPair(HnswBuildState *bs, int64 a, int64 b)
{
	if (bs->pairdense == NULL)
		return HnswDist(&bs->dist, BuildVec(bs, a), BuildVec(bs, b));
	if (a != bs->pairdenseid)
	{
		if (bs->pairdenseid >= 0)
			HnswSparseScatter(bs->pairdense, BuildVec(bs, bs->pairdenseid), false);
		HnswSparseScatter(bs->pairdense, BuildVec(bs, a), true);
		bs->pairdenseid = a;
	}
	return HnswDistDense(&bs->dist, bs->pairdense, BuildVec(bs, b));
}

/* Bytes of element id's value */
static inline Size
BuildVecSize(HnswBuildState *bs, int64 id)
{
	return bs->vsize > 0 ? bs->vsize : HnswDistValueSize(&bs->dist, BuildVec(bs, id));
}

static inline BuildElement *
BuildEl(HnswBuildState *bs, int64 id)
{
	return &bs->elchunks[id >> BUILD_CHUNK_SHIFT][id & (BUILD_CHUNK - 1)];
}

/*
 * An adjacency list in memory is an array of 32-bit words:
 *
 *	[0]						count
 *	[1, cap]				ids of the neighbours
 *	[cap + 1, 2cap]			their distances to the owner (float4)
 *	[2cap + 1, ...]			one byte per neighbour: 1 if "good", i.e.
 *							kept by the heuristic rather than refilled
 *
 * Keeping distances and good flags lets a back-link update the list with
 * about cap distance computations instead of cap^2 (see MemAddLink).
 */
static inline Size
ListWords(int cap)
{
	return 1 + 2 * cap + (cap + 3) / 4;
}

static inline float *
ListDists(uint32 *list, int cap)
{
	return (float *) (list + 1 + cap);
}

static inline uint8 *
ListGood(uint32 *list, int cap)
{
	return (uint8 *) (list + 1 + 2 * cap);
}

/* Layer lc's list of element id: list[0] is the count, ids follow */
static inline uint32 *
BuildList(HnswBuildState *bs, int64 id, int lc)
{
	if (lc == 0)
		return bs->l0chunks[id >> BUILD_CHUNK_SHIFT] +
			(Size) (id & (BUILD_CHUNK - 1)) * ListWords(2 * bs->m);
	return BuildEl(bs, id)->upper + (Size) (lc - 1) * ListWords(bs->m);
}

/* ---------------------------------------------------------------------
 * HnswGraphOps over the in-memory graph; a candidate's ref is its number
 * ---------------------------------------------------------------------
 */
static bool
MemVisit(void *ctx, uint64 ref)
{
	HnswBuildState *bs = ctx;

	if (bs->tags[ref] == bs->epoch)
		return true;
	bs->tags[ref] = bs->epoch;
	return false;
}

static void
MemResetVisited(void *ctx)
{
	HnswBuildState *bs = ctx;

	if (++bs->epoch == 0)
	{
		memset(bs->tags, 0, sizeof(uint32) * bs->ntags);
		bs->epoch = 1;
	}
}

static int
MemUnvisitedNeighbors(void *ctx, const HnswCandidate *c, int lc, HnswCandidate *out)
{
	HnswBuildState *bs = ctx;
	uint32	   *list = BuildList(bs, c->ref, lc);
	uint32		count = list[0];
	int			n = 0;

	for (uint32 i = 1; i <= count; i++)
	{
		uint32		id = list[i];

		if (bs->tags[id] != bs->epoch)
		{
			bs->tags[id] = bs->epoch;
			out[n].ref = id;
			out[n].aux = 0;
			out[n].flags = 0;
			n++;
		}
	}
	return n;
}

static void
MemDistances(void *ctx, HnswCandidate *cands, int n)
{
	HnswBuildState *bs = ctx;

	if (bs->dense)
		for (int i = 0; i < n; i++)
			cands[i].dist = HnswDistDense(&bs->dist, bs->dense, BuildVec(bs, cands[i].ref));
	else
		for (int i = 0; i < n; i++)
			cands[i].dist = HnswDist(&bs->dist, bs->query, BuildVec(bs, cands[i].ref));
}

static const HnswGraphOps mem_graph_ops = {
	MemUnvisitedNeighbors,
	MemDistances,
	MemVisit,
	MemResetVisited
};

/*
 * Algorithm 1 over the in-memory graph (HnswInsertSearchRun): an identical
 * vector takes the heap TID while its element has a free slot; every
 * vector is in memory already.
 */
static bool
MemTakeDuplicate(void *ctx, const HnswCandidate *w, int n)
{
	HnswBuildState *bs = ctx;

	for (int i = 0; i < n; i++)
	{
		BuildElement *dup = BuildEl(bs, w[i].ref);

		if (dup->nheaptids < HNSW_HEAPTIDS &&
			BuildVecSize(bs, w[i].ref) == HnswDistValueSize(&bs->dist, bs->query) &&
			memcmp(BuildVec(bs, w[i].ref), bs->query, BuildVecSize(bs, w[i].ref)) == 0)
		{
			dup->heaptids[dup->nheaptids++] = *bs->heaptid;
			return true;
		}
	}
	return false;
}

static int
MemLoad(void *ctx, HnswCandidate *w, int n)
{
	return n;
}

static float
MemPairDist(void *ctx, int i, int j)
{
	HnswBuildState *bs = ctx;

	return MemDistPair(bs, bs->w[i].ref, bs->w[j].ref);
}

static const HnswInsertOps mem_insert_ops = {
	MemTakeDuplicate,
	MemLoad,
	MemPairDist
};

/* ---------------------------------------------------------------------
 * Building the graph in memory
 * ---------------------------------------------------------------------
 */

/* Bytes the graph needs for one more element at level, of vsize bytes */
static Size
ElementMemory(HnswBuildState *bs, int level, Size vsize)
{
	return sizeof(BuildElement) + vsize + (bs->vsize > 0 ? 0 : sizeof(char *)) +
		sizeof(uint32) * ListWords(2 * bs->m) +
		sizeof(uint32) * ListWords(bs->m) * level + sizeof(uint32);
}

/* Bytes one more chunk takes */
static Size
ChunkMemory(HnswBuildState *bs)
{
	return ((bs->vsize > 0 ? bs->vsize : sizeof(char *)) +
			sizeof(uint32) * ListWords(2 * bs->m) +
			sizeof(BuildElement) + sizeof(uint32)) * BUILD_CHUNK;
}

/* Make room for element number bs->n; allocates a new chunk if needed */
static void
EnsureCapacity(HnswBuildState *bs)
{
	MemoryContext old;

	if (bs->n < bs->nchunks * BUILD_CHUNK)
		return;

	old = MemoryContextSwitchTo(bs->graphCtx);
	if (bs->nchunks == bs->maxchunks)
	{
		bs->maxchunks *= 2;
		bs->vecchunks = repalloc(bs->vecchunks, sizeof(char *) * bs->maxchunks);
		bs->l0chunks = repalloc(bs->l0chunks, sizeof(uint32 *) * bs->maxchunks);
		bs->elchunks = repalloc(bs->elchunks, sizeof(BuildElement *) * bs->maxchunks);
	}
	bs->vecchunks[bs->nchunks] =
		MemoryContextAllocHuge(bs->graphCtx,
							   (bs->vsize > 0 ? bs->vsize : sizeof(char *)) * BUILD_CHUNK);
	bs->l0chunks[bs->nchunks] = MemoryContextAllocHuge(bs->graphCtx,
													   sizeof(uint32) * ListWords(2 * bs->m) * BUILD_CHUNK);
	bs->elchunks[bs->nchunks] = MemoryContextAllocHuge(bs->graphCtx,
													   sizeof(BuildElement) * BUILD_CHUNK);
	bs->nchunks++;

	bs->ntags = bs->nchunks * BUILD_CHUNK;
	if (bs->tags == NULL)
		bs->tags = MemoryContextAllocHuge(bs->graphCtx, sizeof(uint32) * bs->ntags);
	else
		bs->tags = repalloc_huge(bs->tags, sizeof(uint32) * bs->ntags);
	memset(bs->tags + (bs->ntags - BUILD_CHUNK), 0, sizeof(uint32) * BUILD_CHUNK);
	MemoryContextSwitchTo(old);
}

/*
 * Add a link to element "to" in the list of element "from" on layer lc;
 * dist is their distance.
 *
 * This is the update of Algorithm 1, shrinking a full list with Algorithm 4
 * (keepPruned), computed incrementally.  Lists are kept sorted by distance
 * with a flag per member saying whether the heuristic keeps it ("good") or
 * it only refills the list.  A member's status depends only on the members
 * before it, so inserting "to" at position p leaves [0, p) alone; "to" is
 * good unless a good member before it is closer to it than "from" is; and
 * members after it are re-examined only if something changed: a member
 * that was good can only be pruned by a newly good member, and one that
 * was pruned is checked against all good members before it.  The result is
 * the same list a full re-run would give, for about cap distance
 * computations instead of cap^2.  A full list then drops its furthest
 * pruned member, or its furthest member if all are good.
 */
static void
MemAddLink(HnswBuildState *bs, int64 from, int64 to, float dist, int lc)
{
	uint32	   *list = BuildList(bs, from, lc);
	int			cap = HNSW_LAYER_CAPACITY(lc, bs->m);
	int			count = list[0];
	uint32	   *ids = list + 1;
	float	   *dists = ListDists(list, cap);
	uint8	   *good = ListGood(list, cap);
	uint32		nids[2 * HNSW_MAX_M + 1];
	float		nds[2 * HNSW_MAX_M + 1];
	uint8		ngs[2 * HNSW_MAX_M + 1];
	uint8		changed[2 * HNSW_MAX_M + 1];
	bool		anychange;
	int			p = 0;
	int			n = count + 1;
	int			drop;

	/* merge "to" into a copy of the sorted list */
	while (p < count && dists[p] <= dist)
		p++;
	memcpy(nids, ids, sizeof(uint32) * p);
	memcpy(nds, dists, sizeof(float) * p);
	memcpy(ngs, good, p);
	nids[p] = (uint32) to;
	nds[p] = dist;
	memcpy(nids + p + 1, ids + p, sizeof(uint32) * (count - p));
	memcpy(nds + p + 1, dists + p, sizeof(float) * (count - p));
	memcpy(ngs + p + 1, good + p, count - p);
	memset(changed, 0, n);

	/* is "to" good? */
	ngs[p] = 1;
	for (int i = 0; i < p; i++)
	{
		if (ngs[i] &&
			MemDistPair(bs, to, nids[i]) < dist)
		{
			ngs[p] = 0;
			break;
		}
	}
	anychange = ngs[p] != 0;
	changed[p] = ngs[p];

	/* re-examine the members after it, if anything changed */
	for (int e = p + 1; e < n && anychange; e++)
	{
		uint8		was = ngs[e];
		uint8		now = 1;

		if (was)
		{
			/* only a newly good member can prune it */
			for (int i = p; i < e; i++)
			{
				if (changed[i] && ngs[i] &&
					MemDistPair(bs, nids[e], nids[i]) < nds[e])
				{
					now = 0;
					break;
				}
			}
		}
		else
		{
			for (int i = 0; i < e; i++)
			{
				if (ngs[i] &&
					MemDistPair(bs, nids[e], nids[i]) < nds[e])
				{
					now = 0;
					break;
				}
			}
		}
		if (now != was)
		{
			ngs[e] = now;
			changed[e] = 1;
		}
	}

	/* too long: drop the furthest pruned member, else the furthest */
	drop = -1;
	if (n > cap)
	{
		drop = n - 1;
		for (int i = n - 1; i >= 0; i--)
		{
			if (!ngs[i])
			{
				drop = i;
				break;
			}
		}
	}
	count = 0;
	for (int i = 0; i < n; i++)
	{
		if (i == drop)
			continue;
		ids[count] = nids[i];
		dists[count] = nds[i];
		good[count] = ngs[i];
		count++;
	}
	list[0] = count;
}


/*
 * Insert the row's vector (at bs->query) for heaptid into the in-memory
 * graph (Algorithm 1).  An identical vector already in the graph with a
 * free heap TID slot takes the heap TID instead.
 */
static void
MemInsert(HnswBuildState *bs, const char *vec, ItemPointer heaptid, int level)
{
	int64		id = bs->n;
	BuildElement *el;
	HnswCandidate ep;
	int			toplayer;
	Size		vsize = HnswDistValueSize(&bs->dist, vec);

	EnsureCapacity(bs);
	if (bs->vsize == 0)
	{
		/* values of varying size: from the arena, 4-byte aligned */
		Size		need = INTALIGN(vsize);

		if (bs->arenafree < need)
		{
			Size		chunk = Max(need, (Size) 1024 * 1024);

			bs->arena = MemoryContextAllocHuge(bs->graphCtx, chunk);
			bs->arenafree = chunk;
		}
		((char **) bs->vecchunks[id >> BUILD_CHUNK_SHIFT])[id & (BUILD_CHUNK - 1)] = bs->arena;
		bs->arena += need;
		bs->arenafree -= need;
	}
	memcpy(BuildVec(bs, id), vec, vsize);
	bs->query = BuildVec(bs, id);

	toplayer = bs->entry >= 0 ? Min(level, bs->entrylevel) : -1;
	if (bs->entry >= 0)
	{
		HnswInsertSearch is;
		bool		added;

		ep.ref = bs->entry;
		ep.aux = 0;
		ep.flags = 0;
		if (bs->dense)
			HnswSparseScatter(bs->dense, bs->query, true);
		ep.dist = HnswDist(&bs->dist, bs->query, BuildVec(bs, bs->entry));
		bs->heaptid = heaptid;
		is.search = &bs->search;
		is.ops = &mem_insert_ops;
		is.ctx = bs;
		is.m = bs->m;
		is.efc = bs->efc;
		is.w = bs->w;
		for (int lc = 0; lc <= toplayer; lc++)
			is.chosen[lc] = bs->chosen[lc];
		added = HnswInsertSearchRun(&is, ep, bs->entrylevel, level,
									HnswDist(&bs->dist, vec, vec));
		if (bs->dense)
			HnswSparseScatter(bs->dense, bs->query, false);
		if (!added)
			return;				/* an identical vector took the heap TID */
		for (int lc = 0; lc <= toplayer; lc++)
		{
			bs->nchosen[lc] = is.nchosen[lc];
			bs->ngood[lc] = is.ngood[lc];
		}
	}

	/* commit the element */
	el = BuildEl(bs, id);
	el->level = level;
	el->nheaptids = 1;
	el->heaptids[0] = *heaptid;
	el->upper = NULL;
	if (level > 0)
	{
		el->upper = MemoryContextAlloc(bs->graphCtx,
									   sizeof(uint32) * ListWords(bs->m) * level);
		for (int lc = 1; lc <= level; lc++)
			BuildList(bs, id, lc)[0] = 0;
	}
	BuildList(bs, id, 0)[0] = 0;
	bs->n++;
	bs->memused += ElementMemory(bs, level, vsize);

	for (int lc = toplayer; lc >= 0; lc--)
	{
		uint32	   *list = BuildList(bs, id, lc);
		int			cap = HNSW_LAYER_CAPACITY(lc, bs->m);

		int			order[2 * HNSW_MAX_M];

		/* lists are kept in distance order, each member flagged good or not */
		for (int i = 0; i < bs->nchosen[lc]; i++)
		{
			int			j = i;

			while (j > 0 && HnswCandidateAfter(&bs->chosen[lc][order[j - 1]],
											   &bs->chosen[lc][i]))
			{
				order[j] = order[j - 1];
				j--;
			}
			order[j] = i;
		}
		for (int k = 0; k < bs->nchosen[lc]; k++)
		{
			int			i = order[k];
			HnswCandidate *c = &bs->chosen[lc][i];

			ListDists(list, cap)[list[0]] = c->dist;
			ListGood(list, cap)[list[0]] = (uint8) (i < bs->ngood[lc]);
			list[++list[0]] = (uint32) c->ref;
			MemAddLink(bs, c->ref, id, c->dist, lc);
		}
	}

	if (bs->entry < 0 || level > bs->entrylevel)
	{
		bs->entry = id;
		bs->entrylevel = level;
	}
}

/* ---------------------------------------------------------------------
 * Writing the graph to pages
 * ---------------------------------------------------------------------
 */

/*
 * Write the metapage to a fresh buffer of forknum.  The caller logs it if
 * needed.
 */
static void
WriteMetaPage(Relation index, ForkNumber forknum, int dim, int m, int efc,
			  const HnswMetaPageData *codes, bool logit)
{
	Buffer		buf;
	Page		page;
	HnswMetaPage meta;
	int			kind = HnswGetTypeInfo(index)->kind;


	buf = ReadBufferExtended(index, forknum, P_NEW, RBM_NORMAL, NULL);
	Assert(BufferGetBlockNumber(buf) == HNSW_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);

	START_CRIT_SECTION();
	page = BufferGetPage(buf);
	HnswInitPage(page, HNSW_PAGE_META);
	meta = HnswPageGetMeta(page);
	meta->magic = HNSW_MAGIC_NUMBER;
	meta->version = HNSW_FORMAT_VERSION;
	meta->dimensions = dim;
	meta->m = m;
	meta->ef_construction = efc;
	meta->entry_blkno = InvalidBlockNumber;
	meta->entry_offno = InvalidOffsetNumber;
	meta->entry_level = -1;
	meta->kind = kind;
	meta->codes = codes->codes;
	meta->codebits = codes->codebits;
	meta->unused = 0;
	meta->codeseed = codes->codeseed;
	((PageHeader) page)->pd_lower = ((char *) meta + sizeof(HnswMetaPageData)) - (char *) page;
	MarkBufferDirty(buf);
	if (logit)
		log_newpage_buffer(buf, true);
	END_CRIT_SECTION();

	UnlockReleaseBuffer(buf);
}

/*
 * The order in which elements are written: breadth-first over layer 0 from
 * the entry point, then any element not reached.  Elements discovered from
 * the same element land next to each other, often on the same page, so
 * that a search reads fewer pages for the neighbours of one element.
 */
static uint32 *
BreadthFirstOrder(HnswBuildState *bs)
{
	uint32	   *order = palloc_extended(sizeof(uint32) * bs->n, MCXT_ALLOC_HUGE);
	int64		head = 0;
	int64		tail = 0;

	MemResetVisited(bs);
	order[tail++] = (uint32) bs->entry;
	bs->tags[bs->entry] = bs->epoch;
	while (head < tail)
	{
		uint32	   *list = BuildList(bs, order[head++], 0);

		for (uint32 j = 1; j <= list[0]; j++)
		{
			if (bs->tags[list[j]] != bs->epoch)
			{
				bs->tags[list[j]] = bs->epoch;
				order[tail++] = list[j];
			}
		}
	}
	for (int64 i = 0; i < bs->n; i++)
		if (bs->tags[i] != bs->epoch)
			order[tail++] = (uint32) i;
	Assert(tail == bs->n);
	return order;
}

/* ---------------------------------------------------------------------
 * Every element reachable
 *
 * Shrinking a full list (MemAddLink) drops its furthest member, which can
 * be that member's last way in: Algorithm 1 leaves such elements behind,
 * unreachable by any search, and so does hnswlib.  Before the graph is
 * written, MemConnectAll walks layer 0 from the entry point and links every
 * element the walk does not reach from the nearest element it does.
 *
 * The link must not cut off anything else.  When the nearest reached
 * element v has a full list, it gives up a member w, and w joins the list
 * of the newly linked element u first, so that the path v -> u -> w
 * replaces the edge v -> w.  u was unreached, so no reached element
 * depended on u's own list; to make room there, u drops a member that is
 * already reached if it has one.  Inserts (hnswinsert.c) and vacuum follow
 * the same rule: an edge is only removed once a path through the new
 * member replaces it.
 * ---------------------------------------------------------------------
 */

/* Position of id in list, or -1 */
static int
MemListFind(uint32 *list, uint32 id)
{
	for (uint32 j = 1; j <= list[0]; j++)
		if (list[j] == id)
			return (int) j - 1;
	return -1;
}

static void
MemListRemove(uint32 *list, int cap, int pos)
{
	uint32	   *ids = list + 1;
	float	   *dists = ListDists(list, cap);
	uint8	   *good = ListGood(list, cap);
	int			count = list[0];

	for (int j = pos; j < count - 1; j++)
	{
		ids[j] = ids[j + 1];
		dists[j] = dists[j + 1];
		good[j] = good[j + 1];
	}
	list[0] = count - 1;
}

/* Insert id at distance d, keeping the list in distance order; needs room */
static void
MemListInsert(uint32 *list, int cap, uint32 id, float d, uint8 isgood)
{
	uint32	   *ids = list + 1;
	float	   *dists = ListDists(list, cap);
	uint8	   *good = ListGood(list, cap);
	int			p = list[0];

	Assert(p < cap);
	while (p > 0 && dists[p - 1] > d)
	{
		ids[p] = ids[p - 1];
		dists[p] = dists[p - 1];
		good[p] = good[p - 1];
		p--;
	}
	ids[p] = id;
	dists[p] = d;
	good[p] = isgood;
	list[0]++;
}

/*
 * The member a full list gives up for a forced link: the furthest one the
 * heuristic did not choose, else the furthest.  With prefer (a reached
 * set), a member in it comes first.
 */
static int
MemListVictim(uint32 *list, int cap, const bool *prefer)
{
	uint8	   *good = ListGood(list, cap);
	int			count = list[0];

	if (prefer)
	{
		for (int j = count - 1; j >= 0; j--)
			if (!good[j] && prefer[list[j + 1]])
				return j;
		for (int j = count - 1; j >= 0; j--)
			if (prefer[list[j + 1]])
				return j;
	}
	for (int j = count - 1; j >= 0; j--)
		if (!good[j])
			return j;
	return count - 1;
}

/* Mark reached everything layer 0 leads to from start */
static int64
MemMarkReached(HnswBuildState *bs, int64 start, bool *reached, uint32 *queue)
{
	int64		head = 0;
	int64		tail = 0;

	if (reached[start])
		return 0;
	reached[start] = true;
	queue[tail++] = (uint32) start;
	while (head < tail)
	{
		uint32	   *list = BuildList(bs, queue[head++], 0);

		for (uint32 j = 1; j <= list[0]; j++)
		{
			if (!reached[list[j]])
			{
				reached[list[j]] = true;
				queue[tail++] = list[j];
			}
		}
	}
	return tail;
}

/*
 * Link the unreached element u from the nearest reached element, which a
 * search of layer 0 from the entry point finds (it only ever visits
 * reached elements).
 */
static void
MemConnect(HnswBuildState *bs, int64 u, bool *reached, uint32 *queue)
{
	int			cap = HNSW_LAYER_CAPACITY(0, bs->m);
	HnswCandidate ep;
	int			nw;
	int64		v = bs->entry;
	float		dv;
	uint32	   *vlist;
	uint32	   *ulist;

	bs->query = BuildVec(bs, u);
	ep.ref = bs->entry;
	ep.aux = 0;
	ep.flags = 0;
	ep.dist = HnswDist(&bs->dist, bs->query, BuildVec(bs, bs->entry));
	HnswSearchReset(&bs->search, bs->efc);
	HnswSearchAddEntry(&bs->search, &ep);
	HnswSearchLayer(&bs->search, 0, bs->efc);
	nw = HnswSearchResultsSorted(&bs->search, bs->w);
	for (int i = 0; i < nw; i++)
	{
		if ((int64) bs->w[i].ref != u && reached[bs->w[i].ref])
		{
			v = (int64) bs->w[i].ref;
			break;
		}
	}
	dv = HnswDist(&bs->dist, BuildVec(bs, v), bs->query);

	vlist = BuildList(bs, v, 0);
	ulist = BuildList(bs, u, 0);
	if ((int) vlist[0] == cap)
	{
		int			pos = MemListVictim(vlist, cap, NULL);
		uint32		w = vlist[pos + 1];

		/* w moves behind u first: v -> u -> w replaces v -> w */
		if (MemListFind(ulist, w) < 0)
		{
			if ((int) ulist[0] == cap)
				MemListRemove(ulist, cap, MemListVictim(ulist, cap, reached));
			MemListInsert(ulist, cap, w,
						  HnswDist(&bs->dist, BuildVec(bs, u), BuildVec(bs, w)), 0);
		}
		MemListRemove(vlist, cap, pos);
	}
	MemListInsert(vlist, cap, (uint32) u, dv, 0);
	MemMarkReached(bs, u, reached, queue);
}

/*
 * Link every element that layer 0 does not reach from the entry point.
 * A round links each unreached element once; making room in a linked
 * element's list only ever drops a reached member when there is one, so
 * one round almost always suffices.
 */
static void
MemConnectAll(HnswBuildState *bs)
{
	bool	   *reached;
	uint32	   *queue;
	int64		nreached;

	if (bs->n == 0)
		return;
	reached = palloc_extended(sizeof(bool) * bs->n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	queue = palloc_extended(sizeof(uint32) * bs->n, MCXT_ALLOC_HUGE);
	nreached = MemMarkReached(bs, bs->entry, reached, queue);
	for (int round = 0; nreached < bs->n; round++)
	{
		if (round == 8)
		{
			/* cannot happen, as far as we know; vacuum would finish it */
			elog(DEBUG1, "index \"%s\": " INT64_FORMAT " elements left unreached",
				 RelationGetRelationName(bs->index), bs->n - nreached);
			break;
		}
		for (int64 u = 0; u < bs->n; u++)
		{
			if (!reached[u])
			{
				MemConnect(bs, u, reached, queue);
				CHECK_FOR_INTERRUPTS();
			}
		}
		memset(reached, 0, sizeof(bool) * bs->n);
		nreached = MemMarkReached(bs, bs->entry, reached, queue);
	}
	pfree(reached);
	pfree(queue);
}

/*
 * The layout of the graph on pages, computed before anything is written,
 * exactly as PageAddItem will do it, so that every list can be written with
 * the TIDs of its members: etids[i] and ntids[i] receive where element i
 * and its neighbour tuple go, elements in the given order (breadth-first).
 * An element's neighbour tuple always follows it on its page.
 *
 * An element goes whole on the current page if it fits with its neighbour
 * tuple, else on a new page.  A value that may be split (HnswMaySplit), or
 * one whose element does not fit an empty page, is instead split: the
 * element takes the room the page has left for its head (or a new page's,
 * if that is too little), and the rest goes into value tuples, one per
 * new page, the last of which the next elements share.  heads[i] receives
 * the head's length (0 for a whole element) and vtids[i] the first value
 * tuple; the others are at offset 1 of the blocks that follow it.
 */
static void
PlanLayout(HnswBuildState *bs, const uint32 *order, ItemPointerData *etids,
		   ItemPointerData *ntids, uint16 *heads, ItemPointerData *vtids)
{
	int			m = bs->m;
	BlockNumber nextblk = RelationGetNumberOfBlocks(bs->index);
	BlockNumber blk = nextblk++;
	Size		freespace = HNSW_PAGE_ROOM;
	OffsetNumber off = 0;
	const Size	lp = sizeof(ItemIdData);

	for (int64 k = 0; k < bs->n; k++)
	{
		int64		i = order[k];
		Size		vsize = BuildVecSize(bs, i);
		Size		esize = MAXALIGN(HNSW_ELEMENT_TUPLE_SIZE(vsize));
		Size		nsize = MAXALIGN(HnswNeighborTupleSize(BuildEl(bs, i)->level, m,
														   bs->codesize));
		Size		head = 0;

		if (esize + nsize + 2 * lp > freespace)
		{
			if (HnswMaySplit(bs->dist.vkind, vsize) ||
				esize + nsize + 2 * lp > HNSW_PAGE_ROOM)
				head = HnswHeadRoom(freespace, nsize, vsize);
			if (head == 0)
			{
				blk = nextblk++;
				off = 0;
				freespace = HNSW_PAGE_ROOM;
				if (esize + nsize + 2 * lp > HNSW_PAGE_ROOM)
					head = HnswHeadRoom(freespace, nsize, vsize);
			}
		}
		heads[i] = (uint16) head;
		if (head > 0)
			esize = MAXALIGN(HNSW_CHAINED_ELEMENT_SIZE(head));
		ItemPointerSet(&etids[i], blk, ++off);
		ItemPointerSet(&ntids[i], blk, ++off);
		freespace -= esize + nsize + 2 * lp;

		/* the rest of a split value: a value tuple at the top of new pages */
		if (head > 0)
		{
			ItemPointerSet(&vtids[i], nextblk, FirstOffsetNumber);
			for (Size rest = vsize - head; rest > 0;)
			{
				Size		part = HnswPartSize(rest);

				blk = nextblk++;
				off = 1;
				freespace = HNSW_PAGE_ROOM - MAXALIGN(HNSW_VALUE_TUPLE_HEADER + part) - lp;
				rest -= part;
			}
		}
	}
}

/*
 * Move on to block wantblk, the next new page, in WriteLayout.
 */
static Buffer
NextLayoutPage(Relation index, Buffer buf, BlockNumber wantblk)
{
	if (BufferIsValid(buf))
	{
		if (BufferGetBlockNumber(buf) == wantblk)
			return buf;
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}
	buf = HnswNewBuffer(index);
	if (BufferGetBlockNumber(buf) != wantblk)
		elog(ERROR, "unexpected block %u while building index \"%s\", expected %u",
			 BufferGetBlockNumber(buf), RelationGetRelationName(index), wantblk);
	HnswInitPage(BufferGetPage(buf), HNSW_PAGE_DATA);
	return buf;
}

/* Add tup at offset off of the page of buf, as PlanLayout planned */
static void
AddLayoutTuple(Relation index, Buffer buf, Pointer tup, Size size,
			   OffsetNumber off)
{
	if (PageAddItem(BufferGetPage(buf), (Item) tup, size, off, false, false) != off)
		elog(ERROR, "failed to add tuple to index \"%s\"",
			 RelationGetRelationName(index));
}

/*
 * Write the graph to new pages at the end of the index, as PlanLayout
 * placed it, in one sequential pass.  No WAL: hnswbuild logs the finished
 * index.
 */
static void
WriteLayout(HnswBuildState *bs, const uint32 *order, const ItemPointerData *etids,
			const ItemPointerData *ntids, const uint16 *heads,
			const ItemPointerData *vtids)
{
	Relation	index = bs->index;
	int			m = bs->m;
	Buffer		buf = InvalidBuffer;
	HnswElementTuple etup = palloc0(MAXALIGN(HNSW_ELEMENT_TUPLE_SIZE(bs->dist.maxvsize)));
	HnswElementTuple ctup = palloc0(MAXALIGN(HNSW_CHAINED_ELEMENT_SIZE(HNSW_PAGE_ROOM)));
	HnswValueTuple vtup = palloc0(MAXALIGN(HNSW_VALUE_TUPLE_HEADER + HNSW_MAX_PART));
	Size		codesize = bs->codesize;
	HnswNeighborTuple ntup = palloc0(MAXALIGN(HnswNeighborTupleSize(bs->maxlevel, m,
																	codesize)));
	float	   *re = NULL;
	float	   *rx = NULL;
	float	   *rots = NULL;
	float4	   *sqs = NULL;
	int			pdim = bs->codes.pdim;

	if (codesize > 0)
	{
		Size		rotbytes = sizeof(float) * pdim * (Size) bs->n;

		re = palloc(sizeof(float) * pdim);
		rx = palloc(sizeof(float) * pdim);

		/*
		 * A code is made from the rotations of an element and of its owner.
		 * If maintenance_work_mem has room for the rotations of every
		 * element, each is made once; else twice per link.
		 */
		if (bs->memused + rotbytes + sizeof(float4) * bs->n <= bs->memlimit)
		{
			rots = palloc_extended(rotbytes, MCXT_ALLOC_HUGE);
			sqs = palloc_extended(sizeof(float4) * bs->n, MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < bs->n; i++)
			{
				sqs[i] = (float4) HnswRotate(&bs->codes, bs->dist.vkind, BuildVec(bs, i),
											 rots + pdim * i);
				CHECK_FOR_INTERRUPTS();
			}
		}
	}

	for (int64 k = 0; k < bs->n; k++)
	{
		int64		i = order[k];
		BuildElement *el = BuildEl(bs, i);
		Size		vsize = BuildVecSize(bs, i);
		Size		esize = HNSW_ELEMENT_TUPLE_SIZE(vsize);
		Size		nsize = HnswNeighborTupleSize(el->level, m, codesize);
		Pointer		tup = (Pointer) etup;
		const float *owner = re;	/* this element's rotation */

		HnswFormElement(etup, el->level, BuildVec(bs, i), vsize, el->heaptids,
						el->nheaptids);
		etup->neighbortid = ntids[i];
		if (heads[i] > 0)
		{
			esize = HnswFormChainedElement(ctup, etup, vsize, heads[i],
										   (ItemPointer) &vtids[i], vsize);
			tup = (Pointer) ctup;
		}
		HnswFormNeighbors(ntup, el->level, m, codesize);
		if (codesize > 0)
		{
			float4		sq;

			if (rots)
			{
				sq = sqs[i];
				owner = rots + (Size) pdim * i;
			}
			else
				sq = (float4) HnswRotate(&bs->codes, bs->dist.vkind, BuildVec(bs, i), re);
			memcpy(HnswNeighborOwnerSq(ntup, m), &sq, sizeof(sq));
		}
		for (int lc = 0; lc <= el->level; lc++)
		{
			uint32	   *list = BuildList(bs, i, lc);
			int			cap = HNSW_LAYER_CAPACITY(lc, m);
			uint8	   *good = ListGood(list, cap);
			int			start = HNSW_LAYER_START(lc, m);
			int			n = 0;

			/* the good members first, then the others */
			for (int pass = 1; pass >= 0; pass--)
				for (uint32 j = 0; j < list[0]; j++)
					if (good[j] == pass)
					{
						if (lc == 0 && codesize > 0)
						{
							/* the member's code, relative to this element */
							const float *r = rots ? rots + (Size) pdim * list[j + 1] : rx;

							if (!rots)
								HnswRotate(&bs->codes, bs->dist.vkind,
										   BuildVec(bs, list[j + 1]), rx);
							HnswEncodeRotated(&bs->codes, r, owner,
											  HnswNeighborCode(ntup, m, codesize, n));
						}
						ntup->tids[start + n++] = etids[list[j + 1]];
					}
			HnswNeighborGood(ntup)[lc] = 0;
			for (uint32 j = 0; j < list[0]; j++)
				HnswNeighborGood(ntup)[lc] += good[j];
		}

		buf = NextLayoutPage(index, buf, ItemPointerGetBlockNumber(&etids[i]));
		AddLayoutTuple(index, buf, tup, esize, ItemPointerGetOffsetNumber(&etids[i]));
		AddLayoutTuple(index, buf, (Pointer) ntup, nsize,
					   ItemPointerGetOffsetNumber(&ntids[i]));

		if (heads[i] > 0)
		{
			BlockNumber vblk = ItemPointerGetBlockNumber(&vtids[i]);
			const char *value = BuildVec(bs, i);

			for (Size pos = heads[i]; pos < vsize; vblk++)
			{
				Size		part = HnswPartSize(vsize - pos);
				ItemPointerData next;

				ItemPointerSet(&next, vblk + 1, FirstOffsetNumber);
				buf = NextLayoutPage(index, buf, vblk);
				AddLayoutTuple(index, buf, (Pointer) vtup,
							   HnswFormValueTuple(vtup, value + pos, part,
												  pos + part < vsize ? &next : NULL),
							   FirstOffsetNumber);
				pos += part;
			}
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (BufferIsValid(buf))
	{
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	pfree(etup);
	pfree(ctup);
	pfree(vtup);
	pfree(ntup);
	if (re)
	{
		pfree(re);
		pfree(rx);
	}
	if (rots)
	{
		pfree(rots);
		pfree(sqs);
	}
}

/*
 * Lay the in-memory graph out on pages after the metapage and point the
 * metapage at the entry point.  Frees the graph.
 */
static void
FlushGraph(HnswBuildState *bs)
{
	ItemPointerData *etids;
	ItemPointerData *ntids;
	ItemPointerData *vtids;
	uint16	   *heads;
	uint32	   *order;

	if (bs->n == 0)
		return;

	MemConnectAll(bs);
	order = BreadthFirstOrder(bs);
	etids = palloc_extended(sizeof(ItemPointerData) * bs->n, MCXT_ALLOC_HUGE);
	ntids = palloc_extended(sizeof(ItemPointerData) * bs->n, MCXT_ALLOC_HUGE);
	vtids = palloc_extended(sizeof(ItemPointerData) * bs->n, MCXT_ALLOC_HUGE);
	heads = palloc_extended(sizeof(uint16) * bs->n, MCXT_ALLOC_HUGE);
	PlanLayout(bs, order, etids, ntids, heads, vtids);
	WriteLayout(bs, order, etids, ntids, heads, vtids);
	HnswUpdateEntryPoint(bs->index, &etids[bs->entry], bs->entrylevel, true);

	pfree(order);
	pfree(etids);
	pfree(ntids);
	pfree(vtids);
	pfree(heads);
	MemoryContextReset(bs->graphCtx);
	if (bs->pairdense)
	{
		memset(bs->pairdense, 0, sizeof(float) * bs->dim);
		bs->pairdenseid = -1;
	}
	bs->n = 0;
	bs->nchunks = 0;
	bs->tags = NULL;
}

/* Allocate the graph's chunk directories in graphCtx */
static void
InitGraph(HnswBuildState *bs)
{
	MemoryContext old = MemoryContextSwitchTo(bs->graphCtx);

	bs->maxchunks = 16;
	bs->nchunks = 0;
	bs->vecchunks = palloc(sizeof(char *) * bs->maxchunks);
	bs->arena = NULL;
	bs->arenafree = 0;
	bs->l0chunks = palloc(sizeof(uint32 *) * bs->maxchunks);
	bs->elchunks = palloc(sizeof(BuildElement *) * bs->maxchunks);
	bs->tags = NULL;
	bs->ntags = 0;
	bs->epoch = 1;
	bs->n = 0;
	bs->entry = -1;
	bs->entrylevel = -1;
	bs->memused = 0;
	MemoryContextSwitchTo(old);
}

static void
BuildCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			  bool tupleIsAlive, void *state)
{
	HnswBuildState *bs = state;
	MemoryContext old;
	char	   *vec;

	if (isnull[0])
		return;

	old = MemoryContextSwitchTo(bs->tmpCtx);
	vec = palloc(bs->dist.maxvsize);
	if (HnswPrepareValue(&bs->dist, values[0], vec))
	{
		if (!bs->ondisk)
		{
			int			level = HnswRandomLevel(&bs->prng, bs->ml, bs->maxlevel);

			if (bs->memused + ElementMemory(bs, level, HnswDistValueSize(&bs->dist, vec)) +
				(bs->n % BUILD_CHUNK == 0 ? ChunkMemory(bs) : 0) > bs->memlimit &&
				bs->n > 0)
			{
				ereport(NOTICE,
						(errmsg("hnsw graph no longer fits into maintenance_work_mem after %ld tuples",
								(long) bs->indtuples),
						 errdetail("Building will take significantly more time."),
						 errhint("Increase maintenance_work_mem to speed up builds.")));
				FlushGraph(bs);
				bs->ondisk = true;
			}
			else
				MemInsert(bs, vec, tid, level);
		}
		if (bs->ondisk)
			HnswInsertVector(bs->index, &bs->dist, vec, tid, true);
		bs->indtuples++;
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
									 (int64) bs->indtuples);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmpCtx);
}

/*
 * ambuild: build the graph over every row of heap, then write and
 * WAL-log the index.
 */
IndexBuildResult *
hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	HnswBuildState bs;
	MemoryContext old;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data",
			 RelationGetRelationName(index));
	HnswCheckIndexColumn(index);

	memset(&bs, 0, sizeof(bs));
	bs.heap = heap;
	bs.index = index;
	bs.indexInfo = indexInfo;
	bs.dim = HnswGetDimensions(index);
	bs.m = HnswGetM(index);
	bs.efc = HnswGetEfConstruction(index);
	bs.ml = 1.0 / log(bs.m);
	bs.chunkshift = BUILD_CHUNK_SHIFT_MAX;
	while (bs.chunkshift > 4 &&
		   (HnswValueMinSize(HnswGetTypeInfo(index)->kind, bs.dim) +
			sizeof(char *) + sizeof(uint32) * ListWords(2 * bs.m))
		   << bs.chunkshift > (Size) maintenance_work_mem * 1024 / 16)
		bs.chunkshift--;
	pg_prng_seed(&bs.prng, UINT64CONST(0x484E5357));
	bs.memlimit = (Size) maintenance_work_mem * 1024;
	bs.graphCtx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build graph",
										ALLOCSET_DEFAULT_SIZES);
	bs.tmpCtx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build tuple",
									  ALLOCSET_DEFAULT_SIZES);
	HnswInitDistance(&bs.dist, index, bs.dim);
	HnswChooseCodes(index, &bs.dist, bs.m, &bs.codemeta);
	if (bs.codemeta.codes != HNSW_CODE_NONE)
	{
		HnswCodesInit(&bs.codes, bs.dim, bs.codemeta.codebits, bs.codemeta.codeseed,
					  HnswCodesDotBase(&bs.dist));
		bs.codesize = HNSW_CODE_SIZE(bs.codemeta.codebits);
	}
	bs.maxlevel = HnswIndexMaxLevel(bs.m, bs.codesize > 0);
	bs.vsize = bs.dist.vkind == HNSW_VALUE_SPARSE ? 0 :
		HnswValueMinSize(bs.dist.vkind, bs.dim);
	bs.pairdenseid = -1;
	if (bs.dist.kind == HNSW_DIST_SPARSE_NEG_DOT && bs.dim <= HNSW_DENSE_MAX_DIM)
	{
		bs.dense = palloc0(sizeof(float) * bs.dim);
		bs.pairdense = palloc0(sizeof(float) * bs.dim);
	}
	InitGraph(&bs);
	HnswSearchInit(&bs.search, &mem_graph_ops, &bs, bs.m, bs.efc);
	bs.w = palloc(sizeof(HnswCandidate) * (bs.efc + 1));
	for (int lc = 0; lc <= HNSW_MAX_LEVEL; lc++)
		bs.chosen[lc] = palloc(sizeof(HnswCandidate) * 2 * bs.m);

	WriteMetaPage(index, MAIN_FORKNUM, bs.dim, bs.m, bs.efc, &bs.codemeta, false);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_HNSW_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
								 (int64) Max(heap->rd_rel->reltuples, 0));
	old = CurrentMemoryContext;
	bs.reltuples = table_index_build_scan(heap, index, indexInfo, true, true,
										  BuildCallback, &bs, NULL);
	MemoryContextSwitchTo(old);

	if (!bs.ondisk)
		FlushGraph(&bs);

	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0,
						  RelationGetNumberOfBlocks(index), true);

	MemoryContextDelete(bs.graphCtx);
	MemoryContextDelete(bs.tmpCtx);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = bs.reltuples;
	result->index_tuples = bs.indtuples;
	return result;
}

/*
 * ambuildempty: the init fork of an unlogged index is an empty index: a
 * metapage with no entry point, WAL-logged.
 */
void
hnswbuildempty(Relation index)
{
	HnswDistance dist;
	HnswMetaPageData codes;

	HnswCheckIndexColumn(index);
	HnswInitDistance(&dist, index, HnswGetDimensions(index));
	HnswChooseCodes(index, &dist, HnswGetM(index), &codes);
	WriteMetaPage(index, INIT_FORKNUM, HnswGetDimensions(index),
				  HnswGetM(index), HnswGetEfConstruction(index), &codes, true);
}

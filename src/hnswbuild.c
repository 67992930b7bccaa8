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

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "common/pg_prng.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/condition_variable.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "hnsw.h"
#include "hnswregion.h"

/*
 * Elements per chunk: 2^chunkshift, at most 4096, and small enough that a
 * chunk takes no more than a sixteenth of maintenance_work_mem.
 */
#define BUILD_CHUNK_SHIFT_MAX	12
#define BUILD_CHUNK_SHIFT		(bs->chunkshift)
#define BUILD_CHUNK				(1 << BUILD_CHUNK_SHIFT)

/* Stages of a build, in order */
#define BUILD_STAGE_LOAD		0	/* scanning the heap into the graph */
#define BUILD_STAGE_ROTATE		1	/* rotating every value, for codes */
#define BUILD_STAGE_WRITE		2	/* writing the pages */
#define BUILD_STAGE_DONE		3

/* Locks over the lists of a parallel build: element id takes id % this */
#define BUILD_LIST_LOCKS		1024

/* Keys of the parallel build's table of contents */
#define PARALLEL_KEY_HNSW_SHARED	UINT64CONST(0xA000000000000001)
#define PARALLEL_KEY_QUERY_TEXT		UINT64CONST(0xA000000000000002)

/*
 * An element of the graph.  nheaptids is 0 while the element is being
 * inserted, and stays 0 if an identical vector took its heap TID instead
 * (a hole: never linked, never written).
 */
typedef struct BuildElement
{
	uint8		level;
	uint8		nheaptids;
	ItemPointerData heaptids[HNSW_HEAPTIDS];
	Size		upper;			/* offset of the lists of layers 1..level */
} BuildElement;

/*
 * A lock over lists, and its version, odd while a list under the lock
 * changes; a cache line each, so that participants working on different
 * lists do not share lines.
 */
typedef union BuildListLock
{
	struct
	{
		LWLock		lock;
		uint32		version;
	}			l;
	char		pad[PG_CACHE_LINE_SIZE];
} BuildListLock;

/*
 * What the participants of a build share: the graph's region, its entry
 * point, and the locks of a parallel build.  In a parallel build it is in
 * the parallel context's segment, followed by the parallel heap scan; in a
 * serial build it is in the backend's memory and no lock is taken.
 *
 * The graph in the region: a directory of 3 * maxchunks offsets, for each
 * chunk of BUILD_CHUNK elements the offsets of its values, its layer 0
 * lists and its BuildElements; and, bump-allocated, the lists of upper
 * layers and values of varying size.
 */
typedef struct HnswBuildShared
{
	/* set before the workers start */
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	int			tranche;
	int			chunkshift;

	HnswRegionShared region;

	/* under the region's lock in exclusive mode */
	Size		dir;			/* offset of the chunk directory */
	int64		maxchunks;

	pg_atomic_uint64 nalloc;	/* element numbers handed out */
	pg_atomic_uint64 ntuples;	/* rows indexed, for progress */

	LWLock		entrylock;		/* protects entry, entrylevel */
	int64		entry;			/* entry point, -1 if none */
	int			entrylevel;

	/* participants done scanning, and their counts */
	slock_t		mutex;
	int			ndone;
	double		reltuples;
	double		indtuples;
	ConditionVariable donecv;	/* for ndone, stage and ndonestage */

	/* writing the graph out (FlushGraph), set up by the leader */
	int			stage;			/* BUILD_STAGE_*, under mutex */
	int			nwriters;		/* participants in the stages */
	int			ndonestage;		/* of them, done with the stage, under
								 * mutex */
	int64		nlive;			/* elements to write */
	int64		nchunks;		/* chunks of the order */
	Size		order;			/* region offsets of the layout's arrays
								 * (BuildLayout) */
	Size		etids;
	Size		ntids;
	Size		vtids;
	Size		heads;
	Size		rots;			/* 0 if rotations are not kept */
	Size		sqs;
	Size		pos;
	Size		chunks;
	pg_atomic_uint64 nextrot;	/* next element to rotate */
	pg_atomic_uint64 nextchunk; /* next chunk to write */
	pg_atomic_uint64 nwritten;	/* elements written, for progress */

	BuildListLock listlocks[BUILD_LIST_LOCKS];

	/*
	 * ParallelTableScanDescData follows, at a BUFFERALIGN'ed offset, in a
	 * parallel build.
	 */
} HnswBuildShared;

#define ParallelTableScanFromHnswShared(shared) \
	(ParallelTableScanDesc) ((char *) (shared) + BUFFERALIGN(sizeof(HnswBuildShared)))

/* One participant's state */
typedef struct HnswBuildState
{
	Relation	heap;
	Relation	index;
	IndexInfo  *indexInfo;
	HnswBuildShared *shared;
	bool		parallel;		/* take the locks */

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

	/* the graph: in the region, valid between Enter and Leave */
	HnswRegion	region;
	Size	   *dirvec;			/* offsets of the chunks' values (or of
								 * their offsets, if sizes vary) */
	Size	   *dirl0;			/* of the chunks' layer 0 lists */
	Size	   *direl;			/* of the chunks' elements */
	int64		n;				/* element numbers, once the scan is done */
	int64		nlive;			/* elements, holes left out */
	int64		entry;			/* entry point, once the scan is done */
	int			entrylevel;

	/* visited tags, this participant's */
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
	uint32		listcopy[2 * HNSW_MAX_M + 1];	/* a list read under its
												 * lock */

	MemoryContext graphCtx;
	MemoryContext tmpCtx;

	double		indtuples;
	double		reltuples;
	bool		progress;		/* report tuples_done (the leader) */
	pg_prng_state prng;			/* levels; fixed seed per participant */
	int			chunkshift;		/* log2 of elements per chunk */
} HnswBuildState;

static inline char *
BuildVec(HnswBuildState *bs, int64 id)
{
	char	   *chunk = HnswRegionPtr(&bs->region, bs->dirvec[id >> BUILD_CHUNK_SHIFT]);

	if (likely(bs->vsize > 0))
		return chunk + (Size) (id & (BUILD_CHUNK - 1)) * bs->vsize;
	return HnswRegionPtr(&bs->region, ((Size *) chunk)[id & (BUILD_CHUNK - 1)]);
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
	return (BuildElement *) HnswRegionPtr(&bs->region, bs->direl[id >> BUILD_CHUNK_SHIFT]) +
		(id & (BUILD_CHUNK - 1));
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
		return (uint32 *) HnswRegionPtr(&bs->region, bs->dirl0[id >> BUILD_CHUNK_SHIFT]) +
			(Size) (id & (BUILD_CHUNK - 1)) * ListWords(2 * bs->m);
	return (uint32 *) HnswRegionPtr(&bs->region, BuildEl(bs, id)->upper) +
		(Size) (lc - 1) * ListWords(bs->m);
}

/* The lock over element id's lists and heap TIDs (parallel builds) */
static inline LWLock *
ListLock(HnswBuildState *bs, int64 id)
{
	return &bs->shared->listlocks[id % BUILD_LIST_LOCKS].l.lock;
}

/* Use the graph: Enter the region and find the chunk directory */
static void
GraphEnter(HnswBuildState *bs)
{
	HnswRegionEnter(&bs->region);
	bs->dirvec = (Size *) HnswRegionPtr(&bs->region, bs->shared->dir);
	bs->dirl0 = bs->dirvec + bs->shared->maxchunks;
	bs->direl = bs->dirl0 + bs->shared->maxchunks;
}

static void
GraphLeave(HnswBuildState *bs)
{
	HnswRegionLeave(&bs->region);
}

/* Make sure element id has a visited tag */
static inline void
EnsureTag(HnswBuildState *bs, int64 id)
{
	if (unlikely(id >= bs->ntags))
	{
		int64		ntags = Max(id + 1, Max(2 * bs->ntags, BUILD_CHUNK));
		MemoryContext old = MemoryContextSwitchTo(bs->graphCtx);

		if (bs->tags == NULL)
			bs->tags = palloc_extended(sizeof(uint32) * ntags, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		else
		{
			bs->tags = repalloc_huge(bs->tags, sizeof(uint32) * ntags);
			memset(bs->tags + bs->ntags, 0, sizeof(uint32) * (ntags - bs->ntags));
		}
		bs->ntags = ntags;
		MemoryContextSwitchTo(old);
	}
}

/* ---------------------------------------------------------------------
 * HnswGraphOps over the in-memory graph; a candidate's ref is its number
 * ---------------------------------------------------------------------
 */
static bool
MemVisit(void *ctx, uint64 ref)
{
	HnswBuildState *bs = ctx;

	EnsureTag(bs, ref);
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
	uint32		count;
	int			n = 0;

	if (bs->parallel)
	{
		/*
		 * Another participant may be changing the list: copy it, and keep
		 * the copy if the version of its lock did not change meanwhile (a
		 * sequence lock), else copy it under the lock.
		 */
		int			s = c->ref % BUILD_LIST_LOCKS;
		volatile uint32 *version = &bs->shared->listlocks[s].l.version;
		uint32		v = *version;

		pg_read_barrier();
		count = list[0];
		memcpy(bs->listcopy + 1, list + 1, sizeof(uint32) * count);
		pg_read_barrier();
		if ((v & 1) || *version != v)
		{
			LWLock	   *lock = ListLock(bs, c->ref);

			LWLockAcquire(lock, LW_SHARED);
			count = list[0];
			memcpy(bs->listcopy + 1, list + 1, sizeof(uint32) * count);
			LWLockRelease(lock);
		}
		list = bs->listcopy;
	}
	else
		count = list[0];

	/* the tags are scattered: ask for all of them first */
	for (uint32 i = 1; i <= count; i++)
		__builtin_prefetch(bs->tags + list[i]);
	for (uint32 i = 1; i <= count; i++)
	{
		uint32		id = list[i];

		EnsureTag(bs, id);
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

/* Start loading element id's value into the cache */
static inline void
PrefetchVec(HnswBuildState *bs, int64 id)
{
	const char *v = BuildVec(bs, id);
	Size		len = bs->vsize > 0 ? Min(bs->vsize, 1024) : 64;

	for (Size b = 0; b < len; b += 64)
		__builtin_prefetch(v + b);
}

static void
MemDistances(void *ctx, HnswCandidate *cands, int n)
{
	HnswBuildState *bs = ctx;

	/* as hnswlib does, the next values are on their way meanwhile */
	for (int i = 0; i < Min(n, 2); i++)
		PrefetchVec(bs, cands[i].ref);
	if (bs->dense)
		for (int i = 0; i < n; i++)
		{
			if (i + 2 < n)
				PrefetchVec(bs, cands[i + 2].ref);
			cands[i].dist = HnswDistDense(&bs->dist, bs->dense, BuildVec(bs, cands[i].ref));
		}
	else
		for (int i = 0; i < n; i++)
		{
			if (i + 2 < n)
				PrefetchVec(bs, cands[i + 2].ref);
			cands[i].dist = HnswDist(&bs->dist, bs->query, BuildVec(bs, cands[i].ref));
		}
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
		bool		taken = false;

		if (BuildVecSize(bs, w[i].ref) != HnswDistValueSize(&bs->dist, bs->query) ||
			memcmp(BuildVec(bs, w[i].ref), bs->query, BuildVecSize(bs, w[i].ref)) != 0)
			continue;
		if (bs->parallel)
			LWLockAcquire(ListLock(bs, w[i].ref), LW_EXCLUSIVE);
		if (dup->nheaptids < HNSW_HEAPTIDS)
		{
			dup->heaptids[dup->nheaptids++] = *bs->heaptid;
			taken = true;
		}
		if (bs->parallel)
			LWLockRelease(ListLock(bs, w[i].ref));
		if (taken)
			return true;
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

/* Bytes an element takes on average, of vsize bytes, chunk included */
static Size
ElementBytes(int m, Size vsize, bool varying)
{
	return MAXALIGN(sizeof(BuildElement)) + vsize + (varying ? sizeof(Size) : 0) +
		sizeof(uint32) * ListWords(2 * m) +
		MAXALIGN(sizeof(uint32) * ListWords(m)) / Max(m - 1, 1);
}

/* Bytes of the three arrays of a chunk */
static Size
ChunkBytes(HnswBuildState *bs, int part)
{
	switch (part)
	{
		case 0:
			return (bs->vsize > 0 ? bs->vsize : sizeof(Size)) * BUILD_CHUNK;
		case 1:
			return sizeof(uint32) * ListWords(2 * bs->m) * BUILD_CHUNK;
		default:
			return sizeof(BuildElement) * BUILD_CHUNK;
	}
}

/* Does chunk c of the graph exist?  Inside GraphEnter. */
static inline bool
HaveChunk(HnswBuildState *bs, int64 c)
{
	return c < bs->shared->maxchunks && bs->dirvec[c] != 0;
}

/*
 * Make chunk c of the graph, outside GraphEnter/Leave, unless somebody did
 * meanwhile.  Chunks and the directory are made with the region locked,
 * so that whoever looks one up between Enter and Leave finds it complete.
 */
static void
MakeChunk(HnswBuildState *bs, int64 c, int64 tuples)
{
	HnswBuildShared *shared = bs->shared;

	HnswRegionLock(&bs->region);
	if (c >= shared->maxchunks)
	{
		/* a directory twice as large, the old one copied */
		int64		max = Max(Max(2 * shared->maxchunks, c + 1), 64);
		Size		bytes = sizeof(Size) * 3 * max;
		Size		off = HnswRegionAlloc(&bs->region, bytes);
		Size	   *old;
		Size	   *dir;

		if (off == 0)
		{
			HnswRegionGrow(&bs->region, bytes, tuples);
			off = HnswRegionAlloc(&bs->region, bytes);
		}
		old = (Size *) HnswRegionPtr(&bs->region, shared->dir);
		dir = (Size *) HnswRegionPtr(&bs->region, off);
		memset(dir, 0, bytes);
		for (int part = 0; part < 3; part++)
			memcpy(dir + part * max, old + part * shared->maxchunks,
				   sizeof(Size) * shared->maxchunks);
		shared->dir = off;
		shared->maxchunks = max;
	}
	if (((Size *) HnswRegionPtr(&bs->region, shared->dir))[c] == 0)
	{
		Size		offs[3];

		for (int part = 0; part < 3; part++)
		{
			offs[part] = HnswRegionAlloc(&bs->region, ChunkBytes(bs, part));
			if (offs[part] == 0)
			{
				HnswRegionGrow(&bs->region, ChunkBytes(bs, part), tuples);
				offs[part] = HnswRegionAlloc(&bs->region, ChunkBytes(bs, part));
			}
		}
		for (int part = 0; part < 3; part++)
			((Size *) HnswRegionPtr(&bs->region, shared->dir))[part * shared->maxchunks + c] =
				offs[part];
	}
	HnswRegionUnlock(&bs->region);
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
MemAddLinkLocked(HnswBuildState *bs, int64 from, int64 to, float dist, int lc)
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


/* MemAddLinkLocked under the lock of from's lists */
static void
MemAddLink(HnswBuildState *bs, int64 from, int64 to, float dist, int lc)
{
	if (bs->parallel)
	{
		volatile uint32 *version = &bs->shared->listlocks[from % BUILD_LIST_LOCKS].l.version;

		LWLockAcquire(ListLock(bs, from), LW_EXCLUSIVE);
		(*version)++;
		pg_write_barrier();
		MemAddLinkLocked(bs, from, to, dist, lc);
		pg_write_barrier();
		(*version)++;
		LWLockRelease(ListLock(bs, from));
	}
	else
		MemAddLinkLocked(bs, from, to, dist, lc);
}

/*
 * Make a new element of level with value vec, not yet linked (a hole until
 * MemInsert commits it).  Outside GraphEnter/Leave; returns inside, with
 * the element's number.
 */
static int64
NewElement(HnswBuildState *bs, const char *vec, int level)
{
	HnswBuildShared *shared = bs->shared;
	Size		vsize = HnswDistValueSize(&bs->dist, vec);
	Size		upperbytes = sizeof(uint32) * ListWords(bs->m) * level;
	Size		valbytes = bs->vsize > 0 ? 0 : INTALIGN(vsize);
	int64		tuples = (int64) pg_atomic_read_u64(&shared->ntuples);
	int64		id;
	Size		upper = 0;
	Size		val = 0;
	BuildElement *el;

	id = (int64) pg_atomic_fetch_add_u64(&shared->nalloc, 1);
	if (id >= (int64) PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("index \"%s\" cannot have more than %u elements",
						RelationGetRelationName(bs->index), PG_UINT32_MAX - 1)));
	for (;;)
	{
		GraphEnter(bs);
		if (!HaveChunk(bs, id >> BUILD_CHUNK_SHIFT))
		{
			GraphLeave(bs);
			MakeChunk(bs, id >> BUILD_CHUNK_SHIFT, tuples);
			continue;
		}
		if (upperbytes + valbytes == 0)
			break;
		upper = HnswRegionAlloc(&bs->region, upperbytes + valbytes);
		if (upper != 0)
			break;
		GraphLeave(bs);
		HnswRegionMakeRoom(&bs->region, upperbytes + valbytes, tuples);
	}
	if (valbytes > 0)
	{
		val = upper + upperbytes;
		((Size *) HnswRegionPtr(&bs->region, bs->dirvec[id >> BUILD_CHUNK_SHIFT]))
			[id & (BUILD_CHUNK - 1)] = val;
	}
	memcpy(BuildVec(bs, id), vec, vsize);

	el = BuildEl(bs, id);
	el->level = level;
	el->nheaptids = 0;
	el->upper = level > 0 ? upper : 0;
	for (int lc = 0; lc <= level; lc++)
		BuildList(bs, id, lc)[0] = 0;
	return id;
}

/*
 * Insert the row's vector vec for heaptid into the in-memory graph
 * (Algorithm 1).  An identical vector already in the graph with a free
 * heap TID slot takes the heap TID instead.
 *
 * In a parallel build, other participants insert at the same time, as in
 * hnswlib: a list is read and changed under its lock (ListLock), one at a
 * time; an element is linked only once its own lists are complete; and an
 * insert whose level is above the entry point's holds the entry lock
 * throughout, so that the entry point only ever rises to a complete
 * element.  The region stays entered throughout, so nothing moves under
 * the insert.
 */
static void
MemInsert(HnswBuildState *bs, const char *vec, ItemPointer heaptid, int level)
{
	HnswBuildShared *shared = bs->shared;
	int64		id = NewElement(bs, vec, level);
	BuildElement *el;
	HnswCandidate ep;
	int			toplayer;
	int64		entry;
	int			entrylevel;
	bool		entrylocked = false;

	bs->query = BuildVec(bs, id);

	if (bs->parallel)
		LWLockAcquire(&shared->entrylock, LW_SHARED);
	entry = shared->entry;
	entrylevel = shared->entrylevel;
	if (bs->parallel)
	{
		LWLockRelease(&shared->entrylock);
		if (level > entrylevel)
		{
			/* this element may become the entry point: hold the lock */
			LWLockAcquire(&shared->entrylock, LW_EXCLUSIVE);
			entrylocked = true;
			entry = shared->entry;
			entrylevel = shared->entrylevel;
			if (level <= entrylevel)
			{
				LWLockRelease(&shared->entrylock);
				entrylocked = false;
			}
		}
	}

	toplayer = entry >= 0 ? Min(level, entrylevel) : -1;
	if (entry >= 0)
	{
		HnswInsertSearch is;
		bool		added;

		ep.ref = entry;
		ep.aux = 0;
		ep.flags = 0;
		if (bs->dense)
			HnswSparseScatter(bs->dense, bs->query, true);
		ep.dist = HnswDist(&bs->dist, bs->query, BuildVec(bs, entry));
		bs->heaptid = heaptid;
		is.search = &bs->search;
		is.ops = &mem_insert_ops;
		is.ctx = bs;
		is.m = bs->m;
		is.efc = bs->efc;
		is.w = bs->w;
		for (int lc = 0; lc <= toplayer; lc++)
			is.chosen[lc] = bs->chosen[lc];
		added = HnswInsertSearchRun(&is, ep, entrylevel, level,
									HnswDist(&bs->dist, vec, vec));
		if (bs->dense)
			HnswSparseScatter(bs->dense, bs->query, false);
		if (!added)
		{
			/*
			 * An identical vector took the heap TID: id stays a hole, unless
			 * it is the last element of a serial build.
			 */
			if (!bs->parallel)
				pg_atomic_write_u64(&shared->nalloc, id);
			if (entrylocked)
				LWLockRelease(&shared->entrylock);
			GraphLeave(bs);
			return;
		}
		for (int lc = 0; lc <= toplayer; lc++)
		{
			bs->nchosen[lc] = is.nchosen[lc];
			bs->ngood[lc] = is.ngood[lc];
		}
	}

	/* the element's own lists, in distance order, each member flagged good or not */
	for (int lc = toplayer; lc >= 0; lc--)
	{
		uint32	   *list = BuildList(bs, id, lc);
		int			cap = HNSW_LAYER_CAPACITY(lc, bs->m);
		int			order[2 * HNSW_MAX_M];

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
		}
	}

	/* commit the element, then link it from its neighbours */
	el = BuildEl(bs, id);
	el->heaptids[0] = *heaptid;
	if (bs->parallel)
		pg_write_barrier();
	el->nheaptids = 1;
	for (int lc = toplayer; lc >= 0; lc--)
		for (int i = 0; i < bs->nchosen[lc]; i++)
			MemAddLink(bs, bs->chosen[lc][i].ref, id, bs->chosen[lc][i].dist, lc);

	if (entry < 0 || level > entrylevel)
	{
		if (!bs->parallel || entrylocked)
		{
			shared->entry = id;
			shared->entrylevel = level;
		}
	}
	if (entrylocked)
		LWLockRelease(&shared->entrylock);
	GraphLeave(bs);
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
static void
BreadthFirstOrder(HnswBuildState *bs, uint32 *order)
{
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
		if (bs->tags[i] != bs->epoch && BuildEl(bs, i)->nheaptids > 0)
			order[tail++] = (uint32) i;
	Assert(tail == bs->nlive);
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
	for (int round = 0; nreached < bs->nlive; round++)
	{
		if (round == 8)
		{
			/* cannot happen, as far as we know; vacuum would finish it */
			elog(DEBUG1, "index \"%s\": " INT64_FORMAT " elements left unreached",
				 RelationGetRelationName(bs->index), bs->nlive - nreached);
			break;
		}
		for (int64 u = 0; u < bs->n; u++)
		{
			if (!reached[u] && BuildEl(bs, u)->nheaptids > 0)
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
static BlockNumber
PlanLayout(HnswBuildState *bs, const uint32 *order, ItemPointerData *etids,
		   ItemPointerData *ntids, uint16 *heads, ItemPointerData *vtids)
{
	int			m = bs->m;
	BlockNumber nextblk = RelationGetNumberOfBlocks(bs->index);
	BlockNumber blk = nextblk++;
	Size		freespace = HNSW_PAGE_ROOM;
	OffsetNumber off = 0;
	const Size	lp = sizeof(ItemIdData);

	for (int64 k = 0; k < bs->nlive; k++)
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
	return nextblk;
}

/*
 * Move on to block wantblk in WriteRange: a page FlushPlan made, which only
 * this participant writes to.
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
	buf = ReadBuffer(index, wantblk);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
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

/* The layout FlushPlan made, in the region; valid inside GraphEnter */
typedef struct BuildLayout
{
	uint32	   *order;
	ItemPointerData *etids;
	ItemPointerData *ntids;
	ItemPointerData *vtids;
	uint16	   *heads;
	float	   *rots;			/* rotations in the order written, or NULL */
	float4	   *sqs;			/* their squared norms */
	uint32	   *pos;			/* where element i is in order */
	int64	   *chunks;			/* where the chunks of order start */
} BuildLayout;

static void
GetLayout(HnswBuildState *bs, BuildLayout *l)
{
	HnswBuildShared *shared = bs->shared;
	HnswRegion *r = &bs->region;

	l->order = (uint32 *) HnswRegionPtr(r, shared->order);
	l->etids = (ItemPointerData *) HnswRegionPtr(r, shared->etids);
	l->ntids = (ItemPointerData *) HnswRegionPtr(r, shared->ntids);
	l->vtids = (ItemPointerData *) HnswRegionPtr(r, shared->vtids);
	l->heads = (uint16 *) HnswRegionPtr(r, shared->heads);
	l->rots = shared->rots ? (float *) HnswRegionPtr(r, shared->rots) : NULL;
	l->sqs = shared->rots ? (float4 *) HnswRegionPtr(r, shared->sqs) : NULL;
	l->pos = shared->rots ? (uint32 *) HnswRegionPtr(r, shared->pos) : NULL;
	l->chunks = (int64 *) HnswRegionPtr(r, shared->chunks);
}

/*
 * Write the elements at positions [k0, k1) of the order, as PlanLayout
 * placed them, on pages FlushPlan made.  Inside GraphEnter.  No WAL:
 * hnswbuild logs the finished index.
 */
static void
WriteRange(HnswBuildState *bs, const BuildLayout *l, int64 k0, int64 k1)
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
	const float *rots = l->rots;
	int			pdim = bs->codes.pdim;

	if (codesize > 0)
	{
		re = palloc(sizeof(float) * pdim);
		rx = palloc(sizeof(float) * pdim);
	}

	for (int64 k = k0; k < k1; k++)
	{
		int64		i = l->order[k];
		BuildElement *el = BuildEl(bs, i);
		Size		vsize = BuildVecSize(bs, i);
		Size		esize = HNSW_ELEMENT_TUPLE_SIZE(vsize);
		Size		nsize = HnswNeighborTupleSize(el->level, m, codesize);
		Pointer		tup = (Pointer) etup;
		const float *owner = re;	/* this element's rotation */

		HnswFormElement(etup, el->level, BuildVec(bs, i), vsize, el->heaptids,
						el->nheaptids);
		etup->neighbortid = l->ntids[i];
		if (l->heads[i] > 0)
		{
			esize = HnswFormChainedElement(ctup, etup, vsize, l->heads[i],
										   (ItemPointer) &l->vtids[i], vsize);
			tup = (Pointer) ctup;
		}
		HnswFormNeighbors(ntup, el->level, m, codesize);
		if (codesize > 0)
		{
			float4		sq;

			if (rots)
			{
				sq = l->sqs[k];
				owner = rots + (Size) pdim * k;
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
							const float *r = rots ? rots + (Size) pdim * l->pos[list[j + 1]] : rx;

							/* the next member's rotation: on its way */
							if (rots && j + 1 < list[0])
								for (int b = 0; b < pdim; b += 16)
									__builtin_prefetch(rots + (Size) pdim * l->pos[list[j + 2]] + b);
							if (!rots)
								HnswRotate(&bs->codes, bs->dist.vkind,
										   BuildVec(bs, list[j + 1]), rx);
							HnswEncodeRotated(&bs->codes, r, owner,
											  HnswNeighborCode(ntup, m, codesize, n));
						}
						ntup->tids[start + n++] = l->etids[list[j + 1]];
					}
			HnswNeighborGood(ntup)[lc] = 0;
			for (uint32 j = 0; j < list[0]; j++)
				HnswNeighborGood(ntup)[lc] += good[j];
		}

		buf = NextLayoutPage(index, buf, ItemPointerGetBlockNumber(&l->etids[i]));
		AddLayoutTuple(index, buf, tup, esize, ItemPointerGetOffsetNumber(&l->etids[i]));
		AddLayoutTuple(index, buf, (Pointer) ntup, nsize,
					   ItemPointerGetOffsetNumber(&l->ntids[i]));

		if (l->heads[i] > 0)
		{
			BlockNumber vblk = ItemPointerGetBlockNumber(&l->vtids[i]);
			const char *value = BuildVec(bs, i);

			for (Size pos = l->heads[i]; pos < vsize; vblk++)
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
		if ((k & 255) == 255)
		{
			uint64		done = pg_atomic_add_fetch_u64(&bs->shared->nwritten, 256);

			if (bs->progress)
				pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
			CHECK_FOR_INTERRUPTS();
		}
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
}

/*
 * Bytes from the region for the leader alone, inside GraphEnter (which it
 * may leave and enter again: pointers into the region must be found anew).
 */
static Size
LeaderAlloc(HnswBuildState *bs, Size bytes)
{
	Size		off = HnswRegionAlloc(&bs->region, bytes);

	if (off == 0)
	{
		GraphLeave(bs);
		HnswRegionMakeRoom(&bs->region, bytes,
						   (int64) pg_atomic_read_u64(&bs->shared->ntuples));
		GraphEnter(bs);
		off = HnswRegionAlloc(&bs->region, bytes);
	}
	return off;
}

/*
 * Plan writing the graph out, the leader alone once every row is in, inside
 * GraphEnter: link unreached elements, choose the order, place every
 * element on pages, make the pages, and cut the order into chunks that
 * begin on a page of their own, for the participants to write.  Returns
 * false if there is nothing to write.
 */
static bool
FlushPlan(HnswBuildState *bs)
{
	HnswBuildShared *shared = bs->shared;
	BuildLayout l;
	BlockNumber first;
	BlockNumber nblocks;
	int64		nchunks;
	int64		nc;

	bs->n = (int64) pg_atomic_read_u64(&shared->nalloc);
	bs->entry = shared->entry;
	bs->entrylevel = shared->entrylevel;
	bs->nlive = 0;
	for (int64 i = 0; i < bs->n; i++)
		if (BuildEl(bs, i)->nheaptids > 0)
			bs->nlive++;
	shared->nlive = bs->nlive;
	if (bs->nlive == 0)
		return false;
	EnsureTag(bs, bs->n - 1);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_HNSW_PHASE_LINK);
	MemConnectAll(bs);

	/* the layout's arrays, in the region: the participants read them */
	nchunks = Min(Max(bs->nlive / 1024, 1), 4096);
	shared->order = LeaderAlloc(bs, sizeof(uint32) * bs->n);
	shared->etids = LeaderAlloc(bs, sizeof(ItemPointerData) * bs->n);
	shared->ntids = LeaderAlloc(bs, sizeof(ItemPointerData) * bs->n);
	shared->vtids = LeaderAlloc(bs, sizeof(ItemPointerData) * bs->n);
	shared->heads = LeaderAlloc(bs, sizeof(uint16) * bs->n);
	shared->chunks = LeaderAlloc(bs, sizeof(int64) * (nchunks + 1));
	shared->rots = 0;
	if (bs->codesize > 0)
	{
		/*
		 * A code is made from the rotations of an element and of its
		 * owner.  If maintenance_work_mem has room for the rotations of
		 * every element (or the graph is in a file already), each is made
		 * once; else twice per link.
		 */
		Size		rotbytes = sizeof(float) * bs->codes.pdim * (Size) bs->nlive;
		Size		used = pg_atomic_read_u64(&shared->region.used);

		if (shared->region.kind == HNSW_REGION_FILE ||
			used + rotbytes + sizeof(float4) * bs->nlive <= shared->region.limit)
		{
			shared->rots = LeaderAlloc(bs, rotbytes);
			shared->sqs = LeaderAlloc(bs, sizeof(float4) * bs->nlive);
			shared->pos = LeaderAlloc(bs, sizeof(uint32) * bs->n);
		}
	}
	GetLayout(bs, &l);

	BreadthFirstOrder(bs, l.order);
	first = RelationGetNumberOfBlocks(bs->index);
	nblocks = PlanLayout(bs, l.order, l.etids, l.ntids, l.heads, l.vtids);
	if (l.pos)
		for (int64 k = 0; k < bs->nlive; k++)
			l.pos[l.order[k]] = (uint32) k;

	/* the pages, empty */
	for (BlockNumber blk = first; blk < nblocks; blk++)
	{
		Buffer		buf = HnswNewBuffer(bs->index);

		if (BufferGetBlockNumber(buf) != blk)
			elog(ERROR, "unexpected block %u while building index \"%s\", expected %u",
				 BufferGetBlockNumber(buf), RelationGetRelationName(bs->index), blk);
		HnswInitPage(BufferGetPage(buf), HNSW_PAGE_DATA);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}

	/* chunks of about equal length, each starting a page */
	nc = 0;
	for (int64 c = 0; c < nchunks; c++)
	{
		int64		k = bs->nlive * c / nchunks;

		while (k < bs->nlive &&
			   ItemPointerGetOffsetNumber(&l.etids[l.order[k]]) != FirstOffsetNumber)
			k++;
		if (k < bs->nlive && (nc == 0 || k > l.chunks[nc - 1]))
			l.chunks[nc++] = k;
	}
	l.chunks[0] = 0;
	l.chunks[nc] = bs->nlive;
	shared->nchunks = nc;
	pg_atomic_write_u64(&shared->nextrot, 0);
	pg_atomic_write_u64(&shared->nextchunk, 0);
	pg_atomic_write_u64(&shared->nwritten, 0);

	{
		const int	index[] = {
			PROGRESS_CREATEIDX_SUBPHASE,
			PROGRESS_CREATEIDX_TUPLES_TOTAL,
			PROGRESS_CREATEIDX_TUPLES_DONE
		};
		const int64 val[] = {PROGRESS_HNSW_PHASE_WRITE, bs->nlive, 0};

		pgstat_progress_update_multi_param(3, index, val);
	}
	return true;
}

/*
 * A participant's part of writing the graph out, inside GraphEnter: in
 * stage ROTATE, rotations of batches of elements; in stage WRITE, chunks of
 * the order.  Batches and chunks are taken one at a time, whoever is free.
 */
static void
FlushStage(HnswBuildState *bs, int stage)
{
	HnswBuildShared *shared = bs->shared;
	BuildLayout l;

	GetLayout(bs, &l);
	if (stage == BUILD_STAGE_ROTATE)
	{
		if (l.rots == NULL)
			return;
		for (;;)
		{
			int64		k0 = (int64) pg_atomic_fetch_add_u64(&shared->nextrot, 1024);

			if (k0 >= shared->nlive)
				break;
			for (int64 k = k0; k < Min(k0 + 1024, shared->nlive); k++)
				l.sqs[k] = (float4) HnswRotate(&bs->codes, bs->dist.vkind,
											   BuildVec(bs, l.order[k]),
											   l.rots + (Size) bs->codes.pdim * k);
			CHECK_FOR_INTERRUPTS();
		}
	}
	else
	{
		for (;;)
		{
			int64		c = (int64) pg_atomic_fetch_add_u64(&shared->nextchunk, 1);

			if (c >= shared->nchunks)
				break;
			WriteRange(bs, &l, l.chunks[c], l.chunks[c + 1]);
		}
	}
}

/*
 * Wait until the leader opens a stage after "after" (a worker), or until
 * every participant is done with stage (the leader, after its own part).
 * Returns the stage.
 */
static int
WaitStage(HnswBuildShared *shared, int after, bool leader, int stage)
{
	int			now = after;

	for (;;)
	{
		bool		ready;

		SpinLockAcquire(&shared->mutex);
		if (leader)
			ready = shared->ndonestage == shared->nwriters;
		else
		{
			now = shared->stage;
			ready = now > after;
		}
		SpinLockRelease(&shared->mutex);
		if (ready)
			break;
		if (leader && stage == BUILD_STAGE_WRITE)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
										 (int64) pg_atomic_read_u64(&shared->nwritten));
		ConditionVariableTimedSleep(&shared->donecv, 1000, WAIT_EVENT_PARALLEL_CREATE_INDEX_SCAN);
	}
	ConditionVariableCancelSleep();
	return now;
}

/* The leader opens stage for the nwriters participants */
static void
OpenStage(HnswBuildShared *shared, int stage)
{
	SpinLockAcquire(&shared->mutex);
	shared->stage = stage;
	shared->ndonestage = 0;
	SpinLockRelease(&shared->mutex);
	ConditionVariableBroadcast(&shared->donecv);
}

/* A participant is done with the stage */
static void
DoneStage(HnswBuildShared *shared)
{
	SpinLockAcquire(&shared->mutex);
	shared->ndonestage++;
	SpinLockRelease(&shared->mutex);
	ConditionVariableBroadcast(&shared->donecv);
}

/*
 * A worker, done scanning: take part in writing the graph out, if the
 * leader asks.
 */
static void
WorkerFlush(HnswBuildState *bs)
{
	HnswBuildShared *shared = bs->shared;
	int			stage = BUILD_STAGE_LOAD;

	while ((stage = WaitStage(shared, stage, false, 0)) != BUILD_STAGE_DONE)
	{
		GraphEnter(bs);
		FlushStage(bs, stage);
		GraphLeave(bs);
		DoneStage(shared);
	}
}

/*
 * The leader, once every participant is done scanning: write the graph out,
 * with the workers' help, and point the metapage at the entry point.
 */
static void
FlushGraph(HnswBuildState *bs)
{
	HnswBuildShared *shared = bs->shared;
	bool		any;
	ItemPointerData entrytid;

	GraphEnter(bs);
	any = FlushPlan(bs);
	GraphLeave(bs);
	if (any)
	{
		for (int stage = BUILD_STAGE_ROTATE; stage <= BUILD_STAGE_WRITE; stage++)
		{
			OpenStage(shared, stage);
			GraphEnter(bs);
			FlushStage(bs, stage);
			GraphLeave(bs);
			DoneStage(shared);
			WaitStage(shared, 0, true, stage);
		}
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, bs->nlive);
		GraphEnter(bs);
		entrytid = ((ItemPointerData *) HnswRegionPtr(&bs->region, shared->etids))[bs->entry];
		GraphLeave(bs);
		HnswUpdateEntryPoint(bs->index, &entrytid, bs->entrylevel, true);
	}
	OpenStage(shared, BUILD_STAGE_DONE);
}

/* Report the rows in so far (the leader) */
static void
ReportTuples(HnswBuildShared *shared)
{
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
								 (int64) pg_atomic_read_u64(&shared->ntuples));
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
		uint64		ntuples;

		MemInsert(bs, vec, tid, HnswRandomLevel(&bs->prng, bs->ml, bs->maxlevel));
		bs->indtuples++;
		ntuples = pg_atomic_add_fetch_u64(&bs->shared->ntuples, 1);
		if (bs->progress && (!bs->parallel || ntuples % 64 == 0))
			ReportTuples(bs->shared);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmpCtx);
}

/*
 * Set up participant's state for a build of index, whose graph shared
 * describes; seg is the region's segment if this process created it.
 */
static void
InitBuildState(HnswBuildState *bs, Relation heap, Relation index,
			   IndexInfo *indexInfo, HnswBuildShared *shared,
			   dsm_segment *seg, dsm_segment *pcxtseg, int participant)
{
	memset(bs, 0, sizeof(HnswBuildState));
	bs->heap = heap;
	bs->index = index;
	bs->indexInfo = indexInfo;
	bs->shared = shared;
	bs->parallel = shared->region.parallel;
	bs->dim = HnswGetDimensions(index);
	bs->m = HnswGetM(index);
	bs->efc = HnswGetEfConstruction(index);
	bs->ml = 1.0 / log(bs->m);
	bs->chunkshift = shared->chunkshift;
	pg_prng_seed(&bs->prng, UINT64CONST(0x484E5357) + participant);
	bs->graphCtx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build graph",
										 ALLOCSET_DEFAULT_SIZES);
	bs->tmpCtx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build tuple",
									   ALLOCSET_DEFAULT_SIZES);
	HnswInitDistance(&bs->dist, index, bs->dim);
	HnswChooseCodes(index, &bs->dist, bs->m, &bs->codemeta);
	if (bs->codemeta.codes != HNSW_CODE_NONE)
	{
		HnswCodesInit(&bs->codes, bs->dim, bs->codemeta.codebits, bs->codemeta.codeseed,
					  HnswCodesDotBase(&bs->dist));
		bs->codesize = HNSW_CODE_SIZE(bs->codemeta.codebits);
	}
	bs->maxlevel = HnswIndexMaxLevel(bs->m, bs->codesize > 0);
	bs->vsize = bs->dist.vkind == HNSW_VALUE_SPARSE ? 0 :
		HnswValueMinSize(bs->dist.vkind, bs->dim);
	bs->pairdenseid = -1;
	if (bs->dist.kind == HNSW_DIST_SPARSE_NEG_DOT && bs->dim <= HNSW_DENSE_MAX_DIM)
	{
		bs->dense = palloc0(sizeof(float) * bs->dim);
		bs->pairdense = palloc0(sizeof(float) * bs->dim);
	}
	bs->epoch = 1;
	HnswSearchInit(&bs->search, &mem_graph_ops, bs, bs->m, bs->efc);
	bs->w = palloc(sizeof(HnswCandidate) * (bs->efc + 1));
	for (int lc = 0; lc <= HNSW_MAX_LEVEL; lc++)
		bs->chosen[lc] = palloc(sizeof(HnswCandidate) * 2 * bs->m);
	HnswRegionAttach(&bs->region, &shared->region, seg, pcxtseg, bs->graphCtx);
}

static void
FreeBuildState(HnswBuildState *bs)
{
	HnswRegionDetach(&bs->region);
	MemoryContextDelete(bs->graphCtx);
	MemoryContextDelete(bs->tmpCtx);
}

/*
 * Scan the heap into the graph: all of it (scan NULL), or this
 * participant's part of a parallel scan.  Adds the counts to shared and
 * signals the leader.
 */
static void
ScanIntoGraph(HnswBuildState *bs, TableScanDesc scan)
{
	HnswBuildShared *shared = bs->shared;
	double		reltuples;

	reltuples = table_index_build_scan(bs->heap, bs->index, bs->indexInfo, true,
									   bs->progress, BuildCallback, bs, scan);
	SpinLockAcquire(&shared->mutex);
	shared->ndone++;
	shared->reltuples += reltuples;
	shared->indtuples += bs->indtuples;
	SpinLockRelease(&shared->mutex);
	ConditionVariableBroadcast(&shared->donecv);
}

/*
 * Bytes the graph of heap's rows is expected to need, from the table's
 * size; *extra receives what writing it out adds in the region: the
 * layout's arrays and, with codes, the rotations.
 */
static Size
ExpectedGraphBytes(Relation heap, Relation index, Size *extra)
{
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;
	int			m = HnswGetM(index);
	int			dim = HnswGetDimensions(index);
	int			kind = HnswGetTypeInfo(index)->kind;
	Size		vsize = HnswValueMinSize(kind, dim);
	bool		varying = kind == HNSW_VALUE_SPARSE;
	Size		perwrite = 3 * sizeof(ItemPointerData) + sizeof(uint16) + sizeof(uint32);
	HnswDistance dist;
	HnswMetaPageData codes;

	estimate_rel_size(heap, NULL, &pages, &tuples, &allvisfrac);
	tuples = Max(tuples, 0);
	if (varying)
		vsize = Min(vsize, 1024);
	HnswInitDistance(&dist, index, dim);
	HnswChooseCodes(index, &dist, m, &codes);
	if (codes.codes != HNSW_CODE_NONE)
	{
		Size		pdim = 64;

		while (pdim < (Size) dim)
			pdim *= 2;
		perwrite += sizeof(float) * pdim + sizeof(float4) + sizeof(uint32);
	}
	if (extra)
		*extra = (Size) tuples * perwrite;
	return (Size) tuples * ElementBytes(m, vsize, varying);
}

/* Elements per chunk: as many as fit a sixteenth of maintenance_work_mem */
static int
ChooseChunkShift(Relation index)
{
	int			m = HnswGetM(index);
	int			shift = BUILD_CHUNK_SHIFT_MAX;

	while (shift > 4 &&
		   (HnswValueMinSize(HnswGetTypeInfo(index)->kind, HnswGetDimensions(index)) +
			sizeof(Size) + sizeof(uint32) * ListWords(2 * m) + sizeof(BuildElement))
		   << shift > (Size) maintenance_work_mem * 1024 / 16)
		shift--;
	return shift;
}

/* ---------------------------------------------------------------------
 * Parallel build
 *
 * The leader plans workers as nbtree does (plan_create_index_workers: the
 * table's parallel_workers, max_parallel_maintenance_workers), and every
 * participant, the leader too unless parallel_leader_participation is off,
 * scans its share of the heap and inserts into the one shared graph.  The
 * leader then writes the graph out alone.  The graph's region is a shared
 * memory segment if maintenance_work_mem and the server allow, else a
 * temporary file: a build never fails for want of shared memory.
 * ---------------------------------------------------------------------
 */
typedef struct HnswLeader
{
	ParallelContext *pcxt;
	int			nparticipants;
	Snapshot	snapshot;
	dsm_segment *seg;			/* the region's segment, or NULL */
	HnswBuildShared *shared;
} HnswLeader;

static void
InitShared(HnswBuildShared *shared, Relation heap, Relation index,
		   bool isconcurrent, dsm_segment *pcxtseg, Size expect)
{
	int			tranche = LWLockNewTrancheId();

	memset(shared, 0, sizeof(HnswBuildShared));
	shared->heaprelid = RelationGetRelid(heap);
	shared->indexrelid = RelationGetRelid(index);
	shared->isconcurrent = isconcurrent;
	shared->tranche = tranche;
	shared->chunkshift = ChooseChunkShift(index);
	HnswRegionInitShared(&shared->region, (Size) maintenance_work_mem * 1024, expect,
						 pcxtseg, tranche);
	pg_atomic_init_u64(&shared->nalloc, 0);
	pg_atomic_init_u64(&shared->ntuples, 0);
	pg_atomic_init_u64(&shared->nextrot, 0);
	pg_atomic_init_u64(&shared->nextchunk, 0);
	pg_atomic_init_u64(&shared->nwritten, 0);
	shared->stage = BUILD_STAGE_LOAD;
	shared->nwriters = 1;
	shared->entry = -1;
	shared->entrylevel = -1;
	SpinLockInit(&shared->mutex);
	ConditionVariableInit(&shared->donecv);
	if (pcxtseg)
	{
		LWLockRegisterTranche(tranche, "hnsw build");
		LWLockInitialize(&shared->entrylock, tranche);
		for (int i = 0; i < BUILD_LIST_LOCKS; i++)
			LWLockInitialize(&shared->listlocks[i].l.lock, tranche);
	}
}

/*
 * Start a parallel build with up to request workers.  Returns false if no
 * worker could be launched (then build serially).
 */
static bool
BeginParallel(HnswLeader *leader, Relation heap, Relation index,
			  IndexInfo *indexInfo, int request)
{
	ParallelContext *pcxt;
	Size		estshared;
	HnswBuildShared *shared;
	char	   *sharedquery;
	int			querylen;
	bool		isconcurrent = indexInfo->ii_Concurrent;
	Size		extra;
	Size		expect = ExpectedGraphBytes(heap, index, &extra);
	Size		limit = (Size) maintenance_work_mem * 1024;
	dsm_segment *seg;

	memset(leader, 0, sizeof(HnswLeader));

	/*
	 * The graph's segment, sized for the whole graph with some slack and
	 * for writing it out, but no more than maintenance_work_mem.  Made first: its failure is caught
	 * in a subtransaction, which parallel mode forbids.
	 */
	seg = HnswRegionCreateDsm(Min(limit, expect + expect / 4 + extra + 16 * 1024 * 1024),
							  RelationGetRelationName(index));

	EnterParallelMode();
	pcxt = CreateParallelContext("hnsw", "HnswParallelBuildMain", request);

	if (!isconcurrent)
		leader->snapshot = SnapshotAny;
	else
		leader->snapshot = RegisterSnapshot(GetTransactionSnapshot());

	estshared = add_size(BUFFERALIGN(sizeof(HnswBuildShared)),
						 table_parallelscan_estimate(heap, leader->snapshot));
	shm_toc_estimate_chunk(&pcxt->estimator, estshared);
	shm_toc_estimate_keys(&pcxt->estimator, 1);
	if (debug_query_string)
	{
		querylen = strlen(debug_query_string);
		shm_toc_estimate_chunk(&pcxt->estimator, querylen + 1);
		shm_toc_estimate_keys(&pcxt->estimator, 1);
	}
	else
		querylen = 0;

	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		/* no segment for the context (too many of them): serial */
		if (IsMVCCSnapshot(leader->snapshot))
			UnregisterSnapshot(leader->snapshot);
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		if (seg)
			dsm_detach(seg);
		return false;
	}

	shared = shm_toc_allocate(pcxt->toc, estshared);
	InitShared(shared, heap, index, isconcurrent, pcxt->seg, expect);
	if (seg)
		HnswRegionUseDsm(&shared->region, seg);
	else
		HnswRegionUseFile(&shared->region);
	table_parallelscan_initialize(heap, ParallelTableScanFromHnswShared(shared),
								  leader->snapshot);
	shm_toc_insert(pcxt->toc, PARALLEL_KEY_HNSW_SHARED, shared);
	if (debug_query_string)
	{
		sharedquery = shm_toc_allocate(pcxt->toc, querylen + 1);
		memcpy(sharedquery, debug_query_string, querylen + 1);
		shm_toc_insert(pcxt->toc, PARALLEL_KEY_QUERY_TEXT, sharedquery);
	}

	leader->pcxt = pcxt;
	leader->seg = seg;
	leader->shared = shared;
	return true;
}

static void
EndParallel(HnswLeader *leader)
{
	WaitForParallelWorkersToFinish(leader->pcxt);
	if (IsMVCCSnapshot(leader->snapshot))
		UnregisterSnapshot(leader->snapshot);
	DestroyParallelContext(leader->pcxt);
	ExitParallelMode();
}

/*
 * A parallel worker: insert this worker's share of the heap into the
 * shared graph.
 */
PGDLLEXPORT void HnswParallelBuildMain(dsm_segment *seg, shm_toc *toc);

void
HnswParallelBuildMain(dsm_segment *seg, shm_toc *toc)
{
	HnswBuildShared *shared;
	char	   *sharedquery;
	Relation	heap;
	Relation	index;
	LOCKMODE	heapLockmode;
	LOCKMODE	indexLockmode;
	IndexInfo  *indexInfo;
	HnswBuildState bs;

	sharedquery = shm_toc_lookup(toc, PARALLEL_KEY_QUERY_TEXT, true);
	debug_query_string = sharedquery;
	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	shared = shm_toc_lookup(toc, PARALLEL_KEY_HNSW_SHARED, false);
	LWLockRegisterTranche(shared->tranche, "hnsw build");

	/* the lock modes index.c took in the leader */
	if (!shared->isconcurrent)
	{
		heapLockmode = ShareLock;
		indexLockmode = AccessExclusiveLock;
	}
	else
	{
		heapLockmode = ShareUpdateExclusiveLock;
		indexLockmode = RowExclusiveLock;
	}
	heap = table_open(shared->heaprelid, heapLockmode);
	index = index_open(shared->indexrelid, indexLockmode);
	indexInfo = BuildIndexInfo(index);
	indexInfo->ii_Concurrent = shared->isconcurrent;

	InitBuildState(&bs, heap, index, indexInfo, shared, NULL, seg,
				   ParallelWorkerNumber + 1);
	ScanIntoGraph(&bs, table_beginscan_parallel(heap,
												ParallelTableScanFromHnswShared(shared)));
	WorkerFlush(&bs);
	FreeBuildState(&bs);

	index_close(index, indexLockmode);
	table_close(heap, heapLockmode);
}

/* Wait for every participant's scan, reporting progress meanwhile */
static void
WaitForParticipants(HnswLeader *leader)
{
	HnswBuildShared *shared = leader->shared;

	for (;;)
	{
		int			ndone;

		SpinLockAcquire(&shared->mutex);
		ndone = shared->ndone;
		SpinLockRelease(&shared->mutex);
		ReportTuples(shared);
		if (ndone == leader->nparticipants)
			break;
		ConditionVariableTimedSleep(&shared->donecv, 1000, WAIT_EVENT_PARALLEL_CREATE_INDEX_SCAN);
	}
	ConditionVariableCancelSleep();
}

/*
 * Workers for a build, planned as index_build plans them for nbtree
 * (before PostgreSQL 17, it does so only for nbtree): the table's
 * parallel_workers, else its size, up to max_parallel_maintenance_workers.
 * nbtree's planning also leaves each participant 32MB of
 * maintenance_work_mem for its own sort; the graph is one for all
 * participants, so that limit does not apply, and the planning sees the
 * largest maintenance_work_mem.
 */
static int
PlanWorkers(Relation heap, Relation index)
{
	int			save = maintenance_work_mem;
	volatile int request = 0;

	maintenance_work_mem = MAX_KILOBYTES;
	PG_TRY();
	{
		request = plan_create_index_workers(RelationGetRelid(heap),
											RelationGetRelid(index));
	}
	PG_FINALLY();
	{
		maintenance_work_mem = save;
	}
	PG_END_TRY();
	return request;
}

/*
 * ambuild: build the graph over every row of heap, in parallel if
 * workers are planned, then write and WAL-log the index.
 */
IndexBuildResult *
hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	HnswBuildState bs;
	HnswBuildShared *shared;
	HnswLeader leader;
	bool		parallel = false;
	int			request = 0;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data",
			 RelationGetRelationName(index));
	HnswCheckIndexColumn(index);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
								 (int64) Max(heap->rd_rel->reltuples, 0));

	if (IsNormalProcessingMode() && !IsParallelWorker())
		request = PlanWorkers(heap, index);
	if (request > 0 && BeginParallel(&leader, heap, index, indexInfo, request))
	{
		/* attach first: the leader creates the region's file, if any */
		shared = leader.shared;
		InitBuildState(&bs, heap, index, indexInfo, shared, leader.seg, leader.pcxt->seg, 0);
		LaunchParallelWorkers(leader.pcxt);
		/* a worker that never starts must not leave us waiting for it */
		WaitForParallelWorkersToAttach(leader.pcxt);
		if (leader.pcxt->nworkers_launched == 0 && !parallel_leader_participation)
		{
			/* nobody would scan: build serially */
			FreeBuildState(&bs);
			EndParallel(&leader);
		}
		else
			parallel = true;
	}

	if (parallel)
	{
		leader.nparticipants = leader.pcxt->nworkers_launched +
			(parallel_leader_participation ? 1 : 0);
		ereport(DEBUG1,
				(errmsg("building index \"%s\" with %d parallel workers, graph in %s",
						RelationGetRelationName(index), leader.pcxt->nworkers_launched,
						HnswRegionKindName(shared->region.kind))));
	}
	else
	{
		shared = palloc(sizeof(HnswBuildShared));
		InitShared(shared, heap, index, false, NULL, ExpectedGraphBytes(heap, index, NULL));
		InitBuildState(&bs, heap, index, indexInfo, shared, NULL, NULL, 0);
	}
	bs.progress = true;
	WriteMetaPage(index, MAIN_FORKNUM, bs.dim, bs.m, bs.efc, &bs.codemeta, false);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_HNSW_PHASE_LOAD);
	if (!parallel)
		ScanIntoGraph(&bs, NULL);
	else
	{
		if (parallel_leader_participation)
			ScanIntoGraph(&bs, table_beginscan_parallel(heap,
														ParallelTableScanFromHnswShared(shared)));
		WaitForParticipants(&leader);
	}

	ereport(DEBUG1,
			(errmsg("index \"%s\": the graph of " INT64_FORMAT " rows takes %zu bytes, in %s",
					RelationGetRelationName(index),
					(int64) pg_atomic_read_u64(&shared->nalloc),
					(Size) pg_atomic_read_u64(&shared->region.used),
					HnswRegionKindName(shared->region.kind))));

	/* write the graph out, the workers helping */
	if (parallel)
		shared->nwriters = leader.pcxt->nworkers_launched + 1;
	FlushGraph(&bs);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = shared->reltuples;
	result->index_tuples = shared->indtuples;

	FreeBuildState(&bs);
	if (parallel)
		EndParallel(&leader);

	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0,
						  RelationGetNumberOfBlocks(index), true);
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

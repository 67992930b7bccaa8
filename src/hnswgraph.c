/*-------------------------------------------------------------------------
 *
 * hnswgraph.c
 *	  The HNSW graph algorithms: layer search, greedy descent, neighbour
 *	  selection and level assignment.
 *
 * These follow Malkov & Yashunin, "Efficient and robust approximate
 * nearest neighbor search using Hierarchical Navigable Small World graphs"
 * (arXiv:1603.09320), as hnswlib implements it.  They know nothing of
 * pages or buffers: the graph is reached through HnswGraphOps, which the
 * in-memory build (hnswbuild.c) and the on-disk graph (hnswdisk.c)
 * implement.  Deviations from the paper are listed in src/README.md.
 *
 * IDENTIFICATION
 *	  src/hnswgraph.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"

#include "hnsw.h"


/*
 * Binary heaps of candidates.  A max-heap keeps the largest distance on top,
 * a min-heap the smallest.  Heaps grow as needed in CurrentMemoryContext.
 */
static inline bool
HeapAbove(const HnswHeap *h, const HnswCandidate *a, const HnswCandidate *b)
{
	return h->ismax ? a->dist > b->dist : a->dist < b->dist;
}

void
HnswHeapInit(HnswHeap *h, int cap, bool ismax)
{
	h->cap = Max(cap, 16);
	h->items = palloc(sizeof(HnswCandidate) * h->cap);
	h->n = 0;
	h->ismax = ismax;
}

void
HnswHeapPush(HnswHeap *h, const HnswCandidate *c)
{
	int			i;

	if (h->n >= h->cap)
	{
		h->cap *= 2;
		h->items = repalloc_huge(h->items, sizeof(HnswCandidate) * h->cap);
	}
	i = h->n++;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!HeapAbove(h, c, &h->items[parent]))
			break;
		h->items[i] = h->items[parent];
		i = parent;
	}
	h->items[i] = *c;
}

HnswCandidate
HnswHeapPop(HnswHeap *h)
{
	HnswCandidate top = h->items[0];
	HnswCandidate last;
	int			i = 0;

	Assert(h->n > 0);
	last = h->items[--h->n];
	for (;;)
	{
		int			child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && HeapAbove(h, &h->items[child + 1], &h->items[child]))
			child++;
		if (!HeapAbove(h, &h->items[child], &last))
			break;
		h->items[i] = h->items[child];
		i = child;
	}
	if (h->n > 0)
		h->items[i] = last;
	return top;
}

/* Append c to a growing array */
static inline void
Defer(HnswCandidate **arr, int *n, int *max, const HnswCandidate *c)
{
	if (*n >= *max)
	{
		*max = Max(64, *max * 2);
		if (*arr == NULL)
			*arr = palloc(sizeof(HnswCandidate) * *max);
		else
			*arr = repalloc_huge(*arr, sizeof(HnswCandidate) * *max);
	}
	(*arr)[(*n)++] = *c;
}

/*
 * HnswSearchInit: set up a search over the graph behind ops/ctx, for up to
 * ef results.  Allocates in CurrentMemoryContext.
 */
void
HnswSearchInit(HnswSearch *s, const HnswGraphOps *ops, void *ctx, int m, int ef)
{
	s->ops = ops;
	s->ctx = ctx;
	s->m = m;
	s->stream = false;
	HnswHeapInit(&s->cand, 4 * ef, false);
	HnswHeapInit(&s->res, ef + 1, true);
	HnswHeapInit(&s->found, 16, false);
	s->nlater = s->nlaterfound = 0;
	s->maxlater = s->maxlaterfound = 0;
	s->later = s->laterfound = NULL;
	s->nbuf = palloc(sizeof(HnswCandidate) * 2 * m);
}

/* Empty both queues and the visited set, ready for another layer */
void
HnswSearchReset(HnswSearch *s, int ef)
{
	s->cand.n = 0;
	s->res.n = 0;
	s->found.n = 0;
	s->nlater = s->nlaterfound = 0;
	s->ops->reset_visited(s->ctx);
}

/*
 * Seed the search with an entry point whose distance is already known.
 * Marks it visited.
 */
void
HnswSearchAddEntry(HnswSearch *s, const HnswCandidate *c)
{
	s->ops->visit(s->ctx, c->ref);
	HnswHeapPush(&s->cand, c);
	if (!(c->flags & HNSW_CAND_SKIP_RESULT))
		HnswHeapPush(&s->res, c);
}

/*
 * Of the n neighbours in s->nbuf, keep in front those that need their
 * distance: every one whose distance is not an estimate, and every one
 * whose estimated lower bound is below the furthest of the ef best results
 * (or that could not be estimated: a NaN bound).  The others could not
 * enter the results, so Algorithm 2 would drop them after reading them;
 * they are dropped unread (a stream keeps them for later batches, as it
 * keeps what Algorithm 2 drops).  Returns how many are kept.
 */
static int
KeepPromising(HnswSearch *s, int n, int ef)
{
	int			k = 0;

	for (int i = 0; i < n; i++)
	{
		HnswCandidate *e = &s->nbuf[i];

		if ((e->flags & HNSW_CAND_ESTIMATE) && s->res.n >= ef &&
			e->dist >= s->res.items[0].dist)
		{
			if (s->stream)
				Defer(&s->later, &s->nlater, &s->maxlater, e);
			continue;
		}
		if (k != i)
			s->nbuf[k] = *e;
		k++;
	}
	if (k < n && s->ops->skipped)
		s->ops->skipped(s->ctx, n - k);
	return k;
}

/*
 * Algorithm 2, SEARCH-LAYER: expand the closest unexpanded candidate until
 * none is closer than the furthest of the ef best results.
 *
 * Candidates flagged HNSW_CAND_SKIP_RESULT (elements with no live heap row)
 * are traversed but never enter the results, as hnswlib treats deleted
 * elements.
 */
void
HnswSearchLayer(HnswSearch *s, int lc, int ef)
{
	const HnswGraphOps *ops = s->ops;

	while (s->cand.n > 0)
	{
		HnswCandidate c = s->cand.items[0];
		int			n;

		if (s->res.n >= ef && c.dist > s->res.items[0].dist)
			break;
		HnswHeapPop(&s->cand);

		n = ops->unvisited_neighbors(s->ctx, &c, lc, s->nbuf);
		if (n > 0)
			n = KeepPromising(s, n, ef);
		if (n == 0)
			continue;
		ops->distances(s->ctx, s->nbuf, n);

		for (int i = 0; i < n; i++)
		{
			HnswCandidate *e = &s->nbuf[i];

			if (e->flags & HNSW_CAND_ABSENT)
				continue;
			if (s->res.n < ef || e->dist < s->res.items[0].dist)
			{
				HnswHeapPush(&s->cand, e);
				if (!(e->flags & HNSW_CAND_SKIP_RESULT))
				{
					HnswHeapPush(&s->res, e);
					if (s->res.n > ef)
					{
						HnswCandidate out = HnswHeapPop(&s->res);

						if (s->stream)
							Defer(&s->laterfound, &s->nlaterfound,
								  &s->maxlaterfound, &out);
					}
				}
			}
			else if (s->stream)
			{
				/*
				 * Algorithm 2 would drop it; keep it for later batches.  Its
				 * distance is above the bound, so this batch would never
				 * expand it anyway.
				 */
				Defer(&s->later, &s->nlater, &s->maxlater, e);
			}
		}
	}
}

/* Put c, which a batch put aside, into the queues of the next one */
static inline void
PushLater(HnswSearch *s, const HnswCandidate *c)
{
	HnswHeapPush(&s->cand, c);
	if (!(c->flags & HNSW_CAND_SKIP_RESULT))
		HnswHeapPush(&s->found, c);
}

/*
 * Stream mode: after the caller has taken the results of the last batch,
 * start the next one with the ef best elements found so far that were not
 * returned, and expand until they are the ef best reachable.
 */
void
HnswSearchNextBatch(HnswSearch *s, int ef)
{
	Assert(s->stream);

	/*
	 * What the last batch put aside joins the queues now, with its
	 * distances: those it left unread are read first, a list's worth at a
	 * time.
	 */
	for (int i = 0; i < s->nlater;)
	{
		int			n = 0;

		while (i < s->nlater && n < 2 * s->m)
		{
			if (s->later[i].flags & HNSW_CAND_ESTIMATE)
				s->nbuf[n++] = s->later[i];
			else
				PushLater(s, &s->later[i]);
			i++;
		}
		if (n == 0)
			continue;
		s->ops->distances(s->ctx, s->nbuf, n);
		for (int j = 0; j < n; j++)
			if (!(s->nbuf[j].flags & HNSW_CAND_ABSENT))
				PushLater(s, &s->nbuf[j]);
	}
	for (int i = 0; i < s->nlaterfound; i++)
		HnswHeapPush(&s->found, &s->laterfound[i]);
	s->nlater = s->nlaterfound = 0;

	s->res.n = 0;
	while (s->res.n < ef && s->found.n > 0)
	{
		HnswCandidate c = HnswHeapPop(&s->found);

		HnswHeapPush(&s->res, &c);
	}
	HnswSearchLayer(s, 0, ef);
}

static int
CandidateCmp(const void *a, const void *b)
{
	const HnswCandidate *ca = a;
	const HnswCandidate *cb = b;

	if (ca->dist < cb->dist)
		return -1;
	if (ca->dist > cb->dist)
		return 1;
	/* ties: by reference, so that results are deterministic */
	if (ca->ref < cb->ref)
		return -1;
	if (ca->ref > cb->ref)
		return 1;
	return 0;
}

/*
 * Copy the current results to out[] in ascending distance order; returns
 * how many.  The search state is left untouched.
 */
int
HnswSearchResultsSorted(HnswSearch *s, HnswCandidate *out)
{
	int			n = s->res.n;

	memcpy(out, s->res.items, sizeof(HnswCandidate) * n);
	HnswSortCandidates(out, n);
	return n;
}

/* Sort by ascending distance (ties by reference); insertion sort when short */
void
HnswSortCandidates(HnswCandidate *c, int n)
{
	if (n > 64)
	{
		qsort(c, n, sizeof(HnswCandidate), CandidateCmp);
		return;
	}
	for (int i = 1; i < n; i++)
	{
		HnswCandidate t = c[i];
		int			j = i - 1;

		while (j >= 0 && (c[j].dist > t.dist ||
						  (c[j].dist == t.dist && c[j].ref > t.ref)))
		{
			c[j + 1] = c[j];
			j--;
		}
		c[j + 1] = t;
	}
}

/*
 * Greedy descent on an upper layer (Algorithm 2 with ef = 1): move to the
 * closest neighbour until no neighbour is closer.  Returns the local
 * minimum.  Resets the visited set first.
 */
HnswCandidate
HnswGreedySearch(HnswSearch *s, HnswCandidate ep, int lc)
{
	const HnswGraphOps *ops = s->ops;
	HnswCandidate cur = ep;
	bool		changed = true;

	ops->reset_visited(s->ctx);
	ops->visit(s->ctx, ep.ref);
	while (changed)
	{
		int			n;

		changed = false;
		n = ops->unvisited_neighbors(s->ctx, &cur, lc, s->nbuf);
		if (n == 0)
			break;
		ops->distances(s->ctx, s->nbuf, n);
		for (int i = 0; i < n; i++)
		{
			if (!(s->nbuf[i].flags & HNSW_CAND_ABSENT) &&
				s->nbuf[i].dist < cur.dist)
			{
				cur = s->nbuf[i];
				changed = true;
			}
		}
	}
	return cur;
}

/*
 * Algorithm 4, SELECT-NEIGHBORS-HEURISTIC, without extendCandidates, with
 * optional keepPrunedConnections.  cands[] must be sorted by ascending
 * distance to the base element.  A candidate is kept ("good") when it is
 * closer to the base than to every good candidate before it.  With
 * keepPruned, the list is then filled up to max with the closest pruned
 * candidates, which makes the graph denser: more recall for a given ef.
 * The first *ngood entries of keep[] are the good ones.
 */
int
HnswSelectNeighbors(const HnswCandidate *cands, int ncands, int max,
					bool keepPruned, HnswPairDistFn pairdist, void *ctx,
					int *keep, int *ngood)
{
	int			nkeep = 0;
	int			npruned = 0;
	int			prunedbuf[2 * HNSW_MAX_M + 1 + HNSW_MAX_EF_CONSTRUCTION];
	int		   *pruned = prunedbuf;

	if (ncands > lengthof(prunedbuf))
		pruned = palloc(sizeof(int) * ncands);

	for (int i = 0; i < ncands && nkeep < max; i++)
	{
		bool		good = true;

		for (int j = 0; j < nkeep; j++)
		{
			if (pairdist(ctx, i, keep[j]) < cands[i].dist)
			{
				good = false;
				break;
			}
		}
		if (good)
			keep[nkeep++] = i;
		else
			pruned[npruned++] = i;
	}
	if (ngood)
		*ngood = nkeep;
	if (keepPruned)
	{
		for (int i = 0; i < npruned && nkeep < max; i++)
			keep[nkeep++] = pruned[i];
	}
	if (pruned != prunedbuf)
		pfree(pruned);
	return nkeep;
}

/*
 * Algorithm 1, INSERT, up to the choice of neighbours: greedy descent from
 * ep (on layer entrylevel) to layer level + 1, then on each layer from
 * min(level, entrylevel) down to 0 a search of efc candidates (Algorithm
 * 2) from the nearest one found on the layer above, and the choice of
 * neighbours among them (Algorithm 4 with keepPrunedConnections).  On
 * layer 0, candidates at distance selfdist or less (the new vector's
 * distance to itself) are offered to ops->take_duplicate first.
 *
 * Fills is->chosen[lc], nchosen[lc] and ngood[lc] for every layer from
 * min(level, entrylevel) to 0 (the others are left empty).  Returns false
 * if a duplicate took the heap TID.
 */
bool
HnswInsertSearchRun(HnswInsertSearch *is, HnswCandidate ep, int entrylevel,
					int level, float selfdist)
{
	HnswSearch *s = is->search;
	int			toplayer = Min(level, entrylevel);

	memset(is->nchosen, 0, sizeof(is->nchosen));
	memset(is->ngood, 0, sizeof(is->ngood));

	for (int lc = entrylevel; lc > level; lc--)
		ep = HnswGreedySearch(s, ep, lc);

	for (int lc = toplayer; lc >= 0; lc--)
	{
		int			nw;
		int			keep[2 * HNSW_MAX_M];

		HnswSearchReset(s, is->efc);
		HnswSearchAddEntry(s, &ep);
		HnswSearchLayer(s, lc, is->efc);
		nw = HnswSearchResultsSorted(s, is->w);
		if (nw == 0)
			continue;
		ep = is->w[0];

		if (lc == 0)
		{
			int			ndup = 0;

			while (ndup < nw && is->w[ndup].dist <= selfdist)
				ndup++;
			if (ndup > 0 && is->ops->take_duplicate(is->ctx, is->w, ndup))
				return false;
		}

		nw = is->ops->load(is->ctx, is->w, nw);
		is->nchosen[lc] = HnswSelectNeighbors(is->w, nw, HnswNewLinks(lc, is->m),
											  HNSW_KEEP_PRUNED, is->ops->pairdist,
											  is->ctx, keep, &is->ngood[lc]);
		for (int i = 0; i < is->nchosen[lc]; i++)
			is->chosen[lc][i] = is->w[keep[i]];
	}
	return true;
}

/*
 * Highest level a neighbour tuple can have with this m and still fit on a
 * page, capped at HNSW_MAX_LEVEL.
 */
int
HnswMaxLevel(int m)
{
	return HnswMaxLevelCodes(m, 0);
}

/*
 * Highest level a neighbour tuple with codes of codesize bytes (0: none)
 * can have with this m and still fit on a page, capped at HNSW_MAX_LEVEL;
 * -1 if not even a level-0 one fits.
 */
int
HnswMaxLevelCodes(int m, Size codesize)
{
	int			level = HNSW_MAX_LEVEL;

	while (level >= 0 &&
		   MAXALIGN(HnswNeighborTupleSize(level, m, codesize)) > HNSW_PAGE_CAPACITY)
		level--;
	return level;
}

/* The level of U in (0, 1]: floor(-ln(U) * mL), at most maxlevel */
static int
LevelOf(double u, double ml, int maxlevel)
{
	int			level = (int) floor(-log(u) * ml);

	return Min(level, maxlevel);
}

/*
 * Draw a level: floor(-ln(U) * mL) with U uniform in (0, 1], mL = 1/ln(m).
 * The build passes a generator with a fixed seed, so that the same rows in
 * the same order give the same graph.
 */
int
HnswRandomLevel(pg_prng_state *state, double ml, int maxlevel)
{
	return LevelOf(1.0 - pg_prng_double(state), ml, maxlevel);
}

/*
 * The level of an element inserted for heaptid: the same distribution as
 * HnswRandomLevel's, with U made from a hash of the TID (splitmix64 of
 * block * 2^16 + offset, whose 53 high bits give U).  A fixed function of
 * the TID rather than a draw, so that the same rows inserted in the same
 * order give the same index in every session, as a serial build does; and
 * no generator is shared between backends (with one fixed seed each,
 * backends would all draw the same sequence).  Which TIDs hold live
 * rows does not depend on the hash, so the levels of the live elements
 * keep their distribution when TIDs are reused.
 */
int
HnswTidLevel(ItemPointer heaptid, double ml, int maxlevel)
{
	uint64		state = ((uint64) ItemPointerGetBlockNumberNoCheck(heaptid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(heaptid);
	uint64		bits = HnswSplitMix64(&state);

	return LevelOf(((bits >> 11) + 1) * (1.0 / (UINT64CONST(1) << 53)), ml, maxlevel);
}

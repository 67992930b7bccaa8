/*-------------------------------------------------------------------------
 *
 * hnswinsert.c
 *	  Insert one vector into an hnsw index on disk (aminsert).
 *
 * The insert follows Algorithm 1 of the paper: draw a level, then the
 * search and choice of neighbours that the build shares
 * (HnswInsertSearchRun, hnswgraph.c); then plan the back-links, write the
 * new element (hnswspace.c) and the back-links, under the rule that keeps
 * every element reachable (see "Back-links" below).  The forced link that
 * vacuum uses to reconnect an unreached element is here too, under the
 * same rule.
 *
 * Locking (see src/README.md): the insert holds the HNSW_UPDATE_LOCK page
 * lock in ShareLock mode throughout, or ExclusiveLock when its level is
 * above the entry point's, since it then moves the entry point.  It holds
 * at most one buffer lock at a time.  Lists change by read-copy-verify
 * (HnswListUpdateLoop, hnswlist.c).
 *
 * IDENTIFICATION
 *	  src/hnswinsert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "storage/bufmgr.h"
#include "storage/freespace.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * Copy the value of the element at tid into out, which has room for
 * dist->maxvsize bytes.  Returns false if there is no live element there.
 * Takes and releases a share lock.
 */
bool
HnswLoadValue(Relation index, ItemPointer tid, const HnswDistance *dist,
			  void *out)
{
	return HnswLoadValueIn(index, tid, dist, out, HNSW_ELEMENT_LIVE);
}

/*
 * HnswLoadValue for an element in state maxstate or a lower one: with
 * HNSW_ELEMENT_DELETED, also an element that vacuum has detached (it keeps
 * its value until it is REUSABLE).
 */
bool
HnswLoadValueIn(Relation index, ItemPointer tid, const HnswDistance *dist,
				void *out, int maxstate)
{
	Buffer		buf;
	HnswElementTuple etup;
	HnswPageLimits lim;
	bool		found = false;

	HnswGetPageLimits(index, &lim);
	if (!HnswCheckTid(&lim, tid, InvalidBlockNumber, InvalidOffsetNumber))
		return false;
	buf = HnswReadBuffer(index, ItemPointerGetBlockNumber(tid));
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	etup = HnswPageGetElement(&lim, BufferGetPage(buf), ItemPointerGetBlockNumber(tid),
							  ItemPointerGetOffsetNumber(tid));
	if (etup->state <= maxstate)
	{
		const char *value = HnswElementValue(&lim, etup,
											 ItemPointerGetBlockNumber(tid),
											 ItemPointerGetOffsetNumber(tid),
											 out);

		if (value != out)
			memcpy(out, value, HnswDistValueSize(dist, value));
		found = true;
	}
	UnlockReleaseBuffer(buf);
	return found;
}

/*
 * The value of the element at tid, copied into a new chunk of its own size
 * (in CurrentMemoryContext), or NULL if there is no live element there.
 * scratch has room for dist->maxvsize bytes.  Callers that keep many
 * values so use the memory the values need, not the most any can need
 * (128 kB for a sparse vector).
 */
char *
HnswLoadValueCopy(Relation index, ItemPointer tid, const HnswDistance *dist,
				  char *scratch)
{
	char	   *copy;
	Size		size;

	if (!HnswLoadValue(index, tid, dist, scratch))
		return NULL;
	size = HnswDistValueSize(dist, scratch);
	copy = palloc(size);
	memcpy(copy, scratch, size);
	return copy;
}

/*
 * Add heaptid to the element at tid if it holds exactly vec (of vsize
 * bytes) and has a free slot.  Returns true if it did.  A CHAINED element
 * takes no duplicates: comparing its value would read other pages under
 * an exclusive lock.
 */
static bool
AddHeapTid(Relation index, ItemPointer tid, const HnswDistance *dist,
		   const void *vec, ItemPointer heaptid, bool building)
{
	Buffer		buf;
	Page		page;
	HnswElementTuple etup;
	OffsetNumber off = ItemPointerGetOffsetNumber(tid);
	int			slot = -1;
	int			live = 0;
	HnswEdit	edit;
	HnswPageLimits lim;

	HnswGetPageLimits(index, &lim);
	if (!HnswCheckTid(&lim, tid, InvalidBlockNumber, InvalidOffsetNumber))
		return false;
	buf = ReadBuffer(index, ItemPointerGetBlockNumber(tid));
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	etup = HnswPageGetElement(&lim, page, ItemPointerGetBlockNumber(tid), off);
	if (etup->state != HNSW_ELEMENT_LIVE ||
		(etup->flags & HNSW_ELEMENT_CHAINED) ||
		HnswDistValueSize(dist, etup->value) != HnswDistValueSize(dist, vec) ||
		memcmp(etup->value, vec, HnswDistValueSize(dist, vec)) != 0)
	{
		UnlockReleaseBuffer(buf);
		return false;
	}
	for (int i = 0; i < HNSW_HEAPTIDS; i++)
	{
		if (ItemPointerIsValid(&etup->heaptids[i]))
			live++;
		else if (slot < 0)
			slot = i;
	}
	/*
	 * An element whose heap rows are all dead keeps its place in the graph
	 * until vacuum detaches it; reviving it would hand vacuum a live row in
	 * an element it may be about to remove, so only elements with a live
	 * row take more.
	 */
	if (slot < 0 || live == 0)
	{
		UnlockReleaseBuffer(buf);
		return false;
	}

	HnswEditBegin(&edit, index, building);
	page = HnswEditRegister(&edit, buf, false);
	etup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
	etup->heaptids[slot] = *heaptid;
	HnswEditFinish(&edit);
	UnlockReleaseBuffer(buf);
	return true;
}

static int
HnswListUpdateCmp(const void *a, const void *b)
{
	const HnswListUpdate *x = *(HnswListUpdate *const *) a;
	const HnswListUpdate *y = *(HnswListUpdate *const *) b;
	BlockNumber bx = ItemPointerGetBlockNumber(&x->ntid);
	BlockNumber by = ItemPointerGetBlockNumber(&y->ntid);

	return bx < by ? -1 : (bx > by ? 1 : 0);
}

/*
 * ups[] sorted by HnswListUpdateCmp: the end of the run of updates from g
 * on whose lists are on the same page, which are read, and written, with
 * one buffer lock.
 */
static int
SamePageEnd(HnswListUpdate **ups, int g, int n)
{
	BlockNumber blk = ItemPointerGetBlockNumber(&ups[g]->ntid);
	int			end = g;

	while (end < n && ItemPointerGetBlockNumber(&ups[end]->ntid) == blk)
		end++;
	return end;
}

/*
 * Back-links, and why no insert leaves an element unreachable.
 *
 * A full list that takes the new element u gives up a member w.  If that
 * edge was w's last way in, w would be lost to every search.  So an edge
 * v -> w of layer 0 is only ever given up once u's own layer-0 list holds
 * w: the path v -> u -> w then replaces it, and every element reachable
 * before the insert still is.  The insert therefore works in this order:
 *
 * 1. PlanBacklinks reads every list that is to take u and computes its new
 *	  contents, with a stand-in TID for u (its place is not known yet).
 * 2. ComposeLayer0 puts the members the layer-0 lists give up into u's own
 *	  list, which is written with u before any back-link: u is not
 *	  reachable yet, so nobody else changes its list meanwhile.
 * 3. ApplyBacklinks writes the planned lists that are unchanged since they
 *	  were read.  A list that changed is recomputed, and on layer 0 may
 *	  then give up only a member that u's list holds (ConstrainEviction).
 *
 * Upper layers only speed up the descent, and every element is on layer
 * 0, so their lists are updated without this rule.
 */

/* Stands in for the new element's TID until it is written */
static const ItemPointerData NewPlaceholder = {{0xFFFF, 0xFFFE}, 0xFFFF};

/* The new element, as the back-link code adds it to lists */
typedef struct NewElement
{
	ItemPointerData tid;		/* its TID, or NewPlaceholder */
	const void *vec;			/* its vector */
	ItemPointerData l0[2 * HNSW_MAX_M]; /* its layer-0 list, as written */
	int			nl0;
} NewElement;

/* The back-links an insert plans, all layers */
typedef struct BacklinkPlan
{
	HnswListUpdate *all;
	int			n;
} BacklinkPlan;

/* How ConstrainEviction treats a member the new element's list lacks */
typedef enum EvictionRule
{
	EVICT_ANY,					/* no rule (upper layers) */
	EVICT_PREFER,				/* give up one the new element holds, among
								 * the members the heuristic did not choose,
								 * if there is one; else keep the eviction */
	EVICT_REQUIRE				/* give up one the new element holds, or
								 * none */
} EvictionRule;

/*
 * On layer 0, a list may give up a member only if the new element's list
 * holds it (ne->l0).  If the member u->newlist leaves out is not there,
 * give up instead the last member that is, and keep the other at the end.
 * Planning an insert prefers that (a member the new element holds costs
 * nothing to give up, where another must join the new element's list);
 * once the new element is written it is required.  Returns false, and
 * clears u->dirty, if under EVICT_REQUIRE no member may go.
 */
static bool
ConstrainEviction(HnswListUpdate *u, const NewElement *ne, EvictionRule rule)
{
	int			j;
	int			first = rule == EVICT_PREFER ? u->newngood : 0;

	if (rule == EVICT_ANY || u->nevicted == 0 ||
		(u->nevicted == 1 && HnswTidIn(&u->evicted[0], ne->l0, ne->nl0)))
		return true;
	if (u->nevicted == 1)
	{
		for (j = u->nnew - 1; j >= first; j--)
			if (!HnswTidEq(&u->newlist[j], &ne->tid) &&
				HnswTidIn(&u->newlist[j], ne->l0, ne->nl0))
				break;
		if (j >= first)
		{
			ItemPointerData keep = u->evicted[0];

			u->evicted[0] = u->newlist[j];
			if (j < u->newngood)
				u->newngood--;
			memmove(&u->newlist[j], &u->newlist[j + 1],
					sizeof(ItemPointerData) * (u->nnew - j - 1));
			u->newlist[u->nnew - 1] = keep;
			return true;
		}
	}
	if (rule == EVICT_PREFER)
		return true;
	u->dirty = false;
	return false;
}

/*
 * Compute the list of u, as read, with the new element added (force: even
 * if the heuristic would not keep it), on layer 0 under the given eviction
 * rule.  Sets u->dirty.
 */
static void
ComputeBacklink(const HnswListCtx *ctx, HnswListUpdate *u, const NewElement *ne,
				bool force, EvictionRule rule)
{
	ItemPointerData newtid = ne->tid;

	HnswListAdd(ctx, u, &newtid, ne->vec, force);
	if (u->dirty && u->lc == 0)
		ConstrainEviction(u, ne, rule);
}

/*
 * Step 1: read the lists of the chosen neighbours, a page at a time, and
 * compute each with the new element added.
 */
static void
PlanBacklinks(const HnswListCtx *ctx, HnswCandidate **chosen, int *nchosen,
			  int toplayer, const NewElement *ne, BacklinkPlan *plan)
{
	HnswListUpdate **ups;
	int			n = 0;
	int			total = 0;

	for (int lc = 0; lc <= toplayer; lc++)
		total += nchosen[lc];
	plan->all = palloc0(sizeof(HnswListUpdate) * Max(total, 1));
	plan->n = total;
	if (total == 0)
		return;
	ups = palloc(sizeof(HnswListUpdate *) * total);
	for (int lc = toplayer; lc >= 0; lc--)
	{
		for (int i = 0; i < nchosen[lc]; i++)
		{
			HnswListUpdate *u = &plan->all[n];

			HnswRefToTid(chosen[lc][i].ref, &u->etid);
			HnswRefToTid(chosen[lc][i].aux, &u->ntid);
			u->lc = lc;
			u->newdist = chosen[lc][i].dist;
			ups[n++] = u;
		}
	}
	qsort(ups, n, sizeof(HnswListUpdate *), HnswListUpdateCmp);

	for (int g = 0; g < n;)
	{
		BlockNumber blk = ItemPointerGetBlockNumber(&ups[g]->ntid);
		int			end = SamePageEnd(ups, g, n);
		Buffer		buf;
		Page		page;

		buf = HnswReadBuffer(ctx->index, blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		for (int i = g; i < end; i++)
			ups[i]->dirty = HnswListRead(ctx, page, ups[i]);
		UnlockReleaseBuffer(buf);

		for (int i = g; i < end; i++)
			if (ups[i]->dirty)
				ComputeBacklink(ctx, ups[i], ne, false, EVICT_PREFER);
		g = end;
	}
	pfree(ups);
}

/* Does the planned list u take the new element? */
static inline bool
TakesNew(const HnswListUpdate *u, const NewElement *ne)
{
	return u->dirty && HnswTidIn(&ne->tid, u->newlist, u->nnew);
}

/*
 * What the planned layer-0 lists hold before and after this insert, as
 * (member, list) pairs sorted by member: a member such a list holds is
 * reachable through the list's owner, which the new element links to.
 */
typedef struct Cover
{
	uint64		ref;			/* the member */
	int			list;			/* index in plan->all */
} Cover;

typedef struct Covers
{
	Cover	   *c;
	int			n;
} Covers;

static int
CoverCmp(const void *a, const void *b)
{
	const Cover *x = a;
	const Cover *y = b;

	if (x->ref != y->ref)
		return x->ref < y->ref ? -1 : 1;
	return x->list - y->list;
}

static void
BuildCovers(BacklinkPlan *plan, Covers *cv)
{
	cv->n = 0;
	cv->c = palloc(sizeof(Cover) * Max(plan->n, 1) * 2 * HNSW_MAX_M);
	for (int i = 0; i < plan->n; i++)
	{
		HnswListUpdate *x = &plan->all[i];

		if (x->lc != 0)
			continue;
		for (int j = 0; j < lengthof(x->old) && ItemPointerIsValid(&x->old[j]); j++)
		{
			if (x->dirty && !HnswTidIn(&x->old[j], x->newlist, x->nnew))
				continue;
			cv->c[cv->n].ref = HnswTidToRef(&x->old[j]);
			cv->c[cv->n].list = i;
			cv->n++;
		}
	}
	qsort(cv->c, cv->n, sizeof(Cover), CoverCmp);
}

/* A planned list other than plan->all[not] that holds w throughout, or -1 */
static int
FindCover(const Covers *cv, ItemPointer w, int not)
{
	uint64		ref = HnswTidToRef(w);
	int			lo = 0;
	int			hi = cv->n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (cv->c[mid].ref < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < cv->n && cv->c[lo].ref == ref; lo++)
		if (cv->c[lo].list != not)
			return cv->c[lo].list;
	return -1;
}

/*
 * A planned layer-0 list gives up w, which neither the new element's chosen
 * neighbours nor their lists hold: give up instead one of its members the
 * heuristic did not choose that they do hold, if there is one.
 */
static void
PreferCoveredEviction(BacklinkPlan *plan, int i, const Covers *cv,
					  const NewElement *ne)
{
	HnswListUpdate *u = &plan->all[i];

	if (u->nevicted != 1 || HnswTidIn(&u->evicted[0], ne->l0, ne->nl0) ||
		FindCover(cv, &u->evicted[0], i) >= 0)
		return;
	for (int j = u->nnew - 1; j >= u->newngood; j--)
	{
		ItemPointerData keep = u->evicted[0];

		if (HnswTidEq(&u->newlist[j], &ne->tid) ||
			(!HnswTidIn(&u->newlist[j], ne->l0, ne->nl0) &&
			 FindCover(cv, &u->newlist[j], i) < 0))
			continue;
		u->evicted[0] = u->newlist[j];
		memmove(&u->newlist[j], &u->newlist[j + 1],
				sizeof(ItemPointerData) * (u->nnew - j - 1));
		u->newlist[u->nnew - 1] = keep;
		return;
	}
}

/*
 * Step 2: the new element's layer-0 list.  It must hold every member that
 * a planned layer-0 list gives up for it, and the old entry point when the
 * new element takes its place (everything reachable from the old one is
 * then reachable from the new one).  Those come first; the neighbours the
 * heuristic chose good fill the rest, then the others.  A planned list
 * whose evicted member finds no room is dropped from the plan.  Writes the
 * list to ne->l0 and its good count to *ngood.
 *
 * If no layer-0 list takes the new element, its nearest neighbour's list
 * is planned again, forced to take it, first.
 */
static void
ComposeLayer0(const HnswListCtx *ctx, BacklinkPlan *plan,
			  HnswCandidate *chosen0, int nchosen0, int ngood0,
			  ItemPointer oldentry, NewElement *ne, int *ngood)
{
	int			cap = HNSW_LAYER_CAPACITY(0, ctx->m);
	ItemPointerData req[2 * HNSW_MAX_M + 1];
	int			nreq = 0;
	bool		linked = false;
	HnswListUpdate *nearest = NULL;
	Covers		cv;
	int			keepgood;
	int			n = 0;

	for (int i = 0; i < plan->n; i++)
	{
		HnswListUpdate *u = &plan->all[i];

		if (u->lc != 0)
			continue;
		if (nearest == NULL || u->newdist < nearest->newdist)
			nearest = u;
		linked |= TakesNew(u, ne);
	}
	if (!linked && nearest != NULL && HnswListReadAgain(ctx, nearest))
		ComputeBacklink(ctx, nearest, ne, true, EVICT_PREFER);

	/*
	 * Give up members that stay reachable another way where possible; then
	 * see what each given-up member needs: nothing more if the new element
	 * chose it, its covering list's owner if another planned list holds it
	 * throughout (the path runs v -> new -> x -> w), else itself.  The
	 * covers are computed again after the swaps, which change lists.
	 */
	BuildCovers(plan, &cv);
	for (int i = 0; i < plan->n; i++)
		if (plan->all[i].lc == 0 && plan->all[i].dirty)
			PreferCoveredEviction(plan, i, &cv, ne);
	pfree(cv.c);
	BuildCovers(plan, &cv);

	if (oldentry != NULL)
		req[nreq++] = *oldentry;
	for (int i = 0; i < plan->n; i++)
	{
		HnswListUpdate *u = &plan->all[i];

		if (u->lc != 0 || !u->dirty || u->nevicted == 0)
			continue;
		if (nreq + u->nevicted > cap)
		{
			u->dirty = false;	/* no room to keep what it gives up */
			continue;
		}
		for (int e = 0; e < u->nevicted; e++)
		{
			ItemPointerData keep = u->evicted[e];
			int			x = FindCover(&cv, &u->evicted[e], i);

			if (!HnswTidIn(&keep, ne->l0, ne->nl0) && x >= 0)
				keep = plan->all[x].etid;
			if (!HnswTidIn(&keep, req, nreq))
				req[nreq++] = keep;
		}
	}
	pfree(cv.c);

	/*
	 * The list: the chosen good neighbours (required or not, as far as room
	 * is left after the required ones), the required ones that are not
	 * among them, then the other chosen neighbours.  Every required member
	 * is kept.
	 */
	{
		ItemPointerData good[2 * HNSW_MAX_M];
		ItemPointerData rest[2 * HNSW_MAX_M];
		int			ngoodc = 0;
		int			nrest = 0;
		int			room;

		for (int i = 0; i < nchosen0; i++)
		{
			ItemPointerData t;

			HnswRefToTid(chosen0[i].ref, &t);
			if (i < ngood0)
				good[ngoodc++] = t;
			else if (!HnswTidIn(&t, req, nreq))
				rest[nrest++] = t;
		}
		/* room for the good ones that are not required */
		room = cap - nreq;
		keepgood = 0;
		for (int i = 0; i < ngoodc; i++)
		{
			if (HnswTidIn(&good[i], req, nreq))
				ne->l0[n++] = good[i];
			else if (room > 0)
			{
				ne->l0[n++] = good[i];
				room--;
			}
			else
				continue;
			keepgood++;
		}
		for (int i = 0; i < nreq; i++)
			if (!HnswTidIn(&req[i], good, ngoodc))
				ne->l0[n++] = req[i];
		for (int i = 0; i < nrest && n < cap; i++)
			ne->l0[n++] = rest[i];
	}
	ne->nl0 = n;
	*ngood = keepgood;
}

/* A back-link computed again once the new element is written */
typedef struct RetryArg
{
	const NewElement *ne;
	bool		force;
} RetryArg;

static void
RetryCompute(const HnswListCtx *ctx, HnswListUpdate *u, void *arg)
{
	RetryArg   *r = arg;

	ComputeBacklink(ctx, u, r->ne, r->force, EVICT_REQUIRE);
}

/*
 * Make the list of u take the new element, now that it is written: read,
 * computed under the eviction rule on layer 0, and written if unchanged
 * meanwhile (HnswListUpdateLoop).  Returns true if the list holds the new
 * element at the end.
 */
static bool
RetryBacklink(const HnswListCtx *ctx, HnswListUpdate *u, const NewElement *ne,
			  bool force)
{
	RetryArg	r = {ne, force};

	switch (HnswListUpdateLoop(ctx, u, RetryCompute, &r))
	{
		case HNSW_LIST_WRITTEN:
			return HnswTidIn(&ne->tid, u->newlist, u->nnew);
		case HNSW_LIST_UNCHANGED:
			return HnswTidIn(&ne->tid, u->old, HNSW_LAYER_CAPACITY(u->lc, ctx->m));
		default:
			return false;
	}
}

/*
 * Step 3: write the planned lists, those on one page in one WAL record
 * (every record costs a comparison of the whole page).  Then, if no
 * layer-0 list holds the new element, make the nearest chosen neighbour
 * that can link to it do so regardless of the heuristic.
 */
static void
ApplyBacklinks(const HnswListCtx *ctx, BacklinkPlan *plan,
			   HnswCandidate *chosen0, int nchosen0, const NewElement *ne)
{
	HnswListUpdate **ups;
	int			n = 0;
	bool		linked0 = false;

	ups = palloc(sizeof(HnswListUpdate *) * Max(plan->n, 1));
	for (int i = 0; i < plan->n; i++)
	{
		HnswListUpdate *u = &plan->all[i];

		/* the stand-in becomes the real TID */
		for (int j = 0; j < u->nnew; j++)
			if (HnswTidEq(&u->newlist[j], &NewPlaceholder))
				u->newlist[j] = ne->tid;
		if (u->dirty)
		{
			HnswListCodes(ctx, u);
			ups[n++] = u;
		}
	}
	qsort(ups, n, sizeof(HnswListUpdate *), HnswListUpdateCmp);

	for (int g = 0; g < n;)
	{
		BlockNumber blk = ItemPointerGetBlockNumber(&ups[g]->ntid);
		int			end = SamePageEnd(ups, g, n);
		Buffer		buf;
		HnswEdit	edit;
		Page		page;
		bool		conflict[2 * HNSW_MAX_M * (HNSW_MAX_LEVEL + 1)];
		bool		anyapplied = false;

		buf = HnswReadBuffer(ctx->index, blk);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		HnswEditBegin(&edit, ctx->index, ctx->building);
		page = HnswEditRegister(&edit, buf, false);
		for (int i = g; i < end; i++)
		{
			conflict[i - g] = !HnswListApply(ctx, page, ups[i]);
			anyapplied |= !conflict[i - g];
		}
		if (anyapplied)
			HnswEditFinish(&edit);
		else
			HnswEditAbort(&edit);
		UnlockReleaseBuffer(buf);

		for (int i = g; i < end; i++)
		{
			bool		has;

			if (conflict[i - g])
				has = RetryBacklink(ctx, ups[i], ne, false);
			else
				has = HnswTidIn(&ne->tid, ups[i]->newlist, ups[i]->nnew);
			if (ups[i]->lc == 0 && has)
				linked0 = true;
		}
		g = end;
	}

	/* nobody links to it: the nearest neighbour that can must */
	for (int i = 0; i < nchosen0 && !linked0; i++)
	{
		HnswListUpdate	u;

		memset(&u, 0, sizeof(u));
		HnswRefToTid(chosen0[i].ref, &u.etid);
		HnswRefToTid(chosen0[i].aux, &u.ntid);
		u.lc = 0;
		u.newdist = chosen0[i].dist;
		linked0 = RetryBacklink(ctx, &u, ne, true);
	}
	if (!linked0 && nchosen0 > 0)
		elog(DEBUG1, "index \"%s\": no list could link to element (%u,%u)",
			 RelationGetRelationName(ctx->index),
			 ItemPointerGetBlockNumber(&ne->tid),
			 ItemPointerGetOffsetNumber(&ne->tid));
	pfree(ups);
}

/*
 * HnswLinkUnreached: make the element req->from link to req->to on layer 0
 * regardless of the heuristic, for vacuum, when no search could reach "to".
 *
 * If from's list is full, the member w it gives up first joins to's own
 * list, so that the path from -> to -> w replaces the edge from -> w (see
 * "Back-links" above).  Changing to's list cuts nothing off, since no
 * reached element goes through "to"; to make room there, "to" gives up a
 * member that req->reached holds, if it has one.  Each list changes through
 * HnswListUpdateLoop, one buffer lock at a time.  Returns true if from's
 * list holds "to" at the end.
 */
typedef struct LinkArg
{
	const HnswLinkRequest *req;
	NewElement	ne;
	bool		failed;			/* "to" could not take a member */
} LinkArg;

/* Compute "to"'s list holding w: a reached member makes room if needed */
static void
HoldCompute(const HnswListCtx *ctx, HnswListUpdate *uu, void *arg)
{
	LinkArg    *la = arg;
	const ItemPointerData *w = &la->ne.l0[0];
	int			cap = HNSW_LAYER_CAPACITY(0, ctx->m);
	int			count = 0;
	int			victim = -1;

	uu->dirty = false;
	while (count < cap && ItemPointerIsValid(&uu->old[count]))
		count++;
	if (HnswTidIn(w, uu->old, count))
		return;
	memcpy(uu->newlist, uu->old, sizeof(ItemPointerData) * count);
	uu->nnew = count;
	uu->newngood = uu->oldngood;
	if (count == cap)
	{
		for (int j = count - 1; j >= 0 && victim < 0; j--)
			if (la->req->reached &&
				HnswTidBitmapContains(la->req->reached, &uu->old[j]))
				victim = j;
		if (victim < 0)
			victim = count - 1;
		if (victim < uu->newngood)
			uu->newngood--;
		memmove(&uu->newlist[victim], &uu->newlist[victim + 1],
				sizeof(ItemPointerData) * (count - victim - 1));
		uu->nnew--;
	}
	uu->newlist[uu->nnew++] = *w;
	uu->dirty = true;
}

/*
 * Compute from's list with "to" added regardless of the heuristic; what it
 * gives up is, if possible, a member "to" holds already, else it is made
 * to hold it now, before from's list is written.
 */
static void
LinkCompute(const HnswListCtx *ctx, HnswListUpdate *uv, void *arg)
{
	LinkArg    *la = arg;
	const HnswLinkRequest *req = la->req;
	int			cap = HNSW_LAYER_CAPACITY(0, ctx->m);
	HnswListUpdate uu;

	HnswListAdd(ctx, uv, &la->ne.tid, la->ne.vec, true);
	if (!uv->dirty)
		return;

	memset(&uu, 0, sizeof(uu));
	uu.etid = req->to;
	uu.ntid = req->tolist;
	uu.lc = 0;
	if (!HnswListReadAgain(ctx, &uu))
	{
		uv->dirty = false;
		la->failed = true;
		return;
	}
	for (la->ne.nl0 = 0; la->ne.nl0 < cap && ItemPointerIsValid(&uu.old[la->ne.nl0]); la->ne.nl0++)
		la->ne.l0[la->ne.nl0] = uu.old[la->ne.nl0];
	ConstrainEviction(uv, &la->ne, EVICT_PREFER);

	for (int e = 0; e < uv->nevicted; e++)
	{
		HnswListResult r;

		if (HnswTidIn(&uv->evicted[e], la->ne.l0, la->ne.nl0))
			continue;
		la->ne.l0[0] = uv->evicted[e];	/* HoldCompute's argument */
		memset(&uu, 0, sizeof(uu));
		uu.etid = req->to;
		uu.ntid = req->tolist;
		uu.lc = 0;
		r = HnswListUpdateLoop(ctx, &uu, HoldCompute, la);
		if (r != HNSW_LIST_WRITTEN && r != HNSW_LIST_UNCHANGED)
		{
			uv->dirty = false;
			la->failed = true;
			return;
		}
	}
}

bool
HnswLinkUnreached(const HnswListCtx *ctx, const HnswLinkRequest *req)
{
	LinkArg		la;
	HnswListUpdate uv;

	memset(&la, 0, sizeof(la));
	la.req = req;
	la.ne.tid = req->to;
	la.ne.vec = req->tovec;
	memset(&uv, 0, sizeof(uv));
	uv.etid = req->from;
	uv.ntid = req->fromlist;
	uv.lc = 0;
	uv.newdist = req->dist;
	switch (HnswListUpdateLoop(ctx, &uv, LinkCompute, &la))
	{
		case HNSW_LIST_WRITTEN:
			return HnswTidIn(&req->to, uv.newlist, uv.nnew);
		case HNSW_LIST_UNCHANGED:
			return !la.failed &&
				HnswTidIn(&req->to, uv.old, HNSW_LAYER_CAPACITY(0, ctx->m));
		default:
			return false;
	}
}

/*
 * HnswFindHighestLive: the live element with heap TIDs of the highest
 * level, other than exclude (may be NULL), by reading every page under a
 * share lock.  For an entry point that is gone: vacuum calls it holding
 * HNSW_UPDATE_LOCK in ExclusiveLock mode, so that no insert adds an element
 * it would miss; an insert after a crash.  Returns false if there is none.
 */
bool
HnswFindHighestLive(Relation index, ItemPointer exclude, ItemPointer tid,
					int *level)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	bool		found = false;
	HnswPageLimits lim;

	HnswGetPageLimits(index, &lim);
	*level = -1;
	for (BlockNumber blk = HNSW_METAPAGE_BLKNO + 1; blk < nblocks; blk++)
	{
		Buffer		buf = ReadBuffer(index, blk);
		Page		page;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (HnswPageIsData(&lim, page, blk))
		{
			OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

			for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
			{
				HnswElementTuple etup = HnswPageGetElementOrNull(&lim, page, blk, off);

				if (etup != NULL &&
					etup->state == HNSW_ELEMENT_LIVE && etup->level > *level &&
					!(exclude && ItemPointerGetBlockNumber(exclude) == blk &&
					  ItemPointerGetOffsetNumber(exclude) == off))
				{
					bool		hasheap = false;

					for (int i = 0; i < HNSW_HEAPTIDS; i++)
						hasheap |= ItemPointerIsValid(&etup->heaptids[i]);
					if (!hasheap)
						continue;
					*level = etup->level;
					ItemPointerSet(tid, blk, off);
					found = true;
				}
			}
		}
		UnlockReleaseBuffer(buf);
	}
	return found;
}

/* Where an insert starts, and the lock it holds meanwhile */
typedef struct EntryState
{
	LOCKMODE	lockmode;		/* on HNSW_UPDATE_LOCK, unless building */
	HnswMetaPageData meta;		/* the metapage as last read under it */
	HnswCandidate ep;			/* the entry point, if any */
} EntryState;

/*
 * Take HNSW_UPDATE_LOCK for an insert of the given level (ShareLock; or
 * ExclusiveLock if the new element is to become the entry point, or the
 * entry point is gone) and find the entry point, as a candidate with its
 * distance to g->query.  Returns false if the index has no live element to
 * start from.  The lock is held on return (none when building).
 */
static bool
LockEntry(Relation index, HnswDiskGraph *g, int level, bool building,
		  EntryState *es)
{
	ItemPointerData entry;
	bool		have;

	es->lockmode = ShareLock;
	if (!building)
		LockPage(index, HNSW_UPDATE_LOCK, es->lockmode);
	HnswReadMeta(index, &es->meta);
	if (level > es->meta.entry_level && !building)
	{
		/* we may become the entry point: exclude other inserts */
		UnlockPage(index, HNSW_UPDATE_LOCK, es->lockmode);
		es->lockmode = ExclusiveLock;
		LockPage(index, HNSW_UPDATE_LOCK, es->lockmode);
		HnswReadMeta(index, &es->meta);
	}

	if (!BlockNumberIsValid(es->meta.entry_blkno))
		return false;
	ItemPointerSet(&entry, es->meta.entry_blkno, es->meta.entry_offno);
	have = HnswDiskEntryCandidate(g, &entry, &es->ep);
	if (!have && es->lockmode != ExclusiveLock && !building)
	{
		/*
		 * The entry point was deleted and vacuum has not moved it yet: we
		 * will make ourselves the entry point, which needs the exclusive
		 * lock.  Vacuum moves it under that lock too.
		 */
		UnlockPage(index, HNSW_UPDATE_LOCK, es->lockmode);
		es->lockmode = ExclusiveLock;
		LockPage(index, HNSW_UPDATE_LOCK, es->lockmode);
		HnswReadMeta(index, &es->meta);
		if (!BlockNumberIsValid(es->meta.entry_blkno))
			return false;
		ItemPointerSet(&entry, es->meta.entry_blkno, es->meta.entry_offno);
		have = HnswDiskEntryCandidate(g, &entry, &es->ep);
	}
	if (!have && !building)
	{
		int			elevel;

		/*
		 * Still no usable entry point, though the index has one: left so by
		 * a vacuum interrupted before it could move it.  Starting a new
		 * graph here would cut off the old one, so find its highest live
		 * element and make that the entry point.
		 */
		if (HnswFindHighestLive(index, NULL, &entry, &elevel))
		{
			HnswUpdateEntryPoint(index, &entry, elevel, false);
			es->meta.entry_level = elevel;
			have = HnswDiskEntryCandidate(g, &entry, &es->ep);
		}
	}
	return have;
}

/*
 * Algorithm 1 over the on-disk graph (HnswInsertSearchRun): an identical
 * vector takes the heap TID in its element (AddHeapTid); candidates'
 * vectors are loaded from their pages for the heuristic.
 */
typedef struct DiskInsertCtx
{
	Relation	index;
	HnswDistance *dist;
	const void *vec;			/* the new vector */
	ItemPointer heaptid;		/* its heap row */
	bool		building;
	char	  **vecs;			/* loaded candidates' values (each its own
								 * chunk) */
	char	   *scratch;		/* room for dist->maxvsize bytes */
} DiskInsertCtx;

static bool
DiskTakeDuplicate(void *ctx, const HnswCandidate *w, int n)
{
	DiskInsertCtx *d = ctx;

	for (int i = 0; i < n; i++)
	{
		ItemPointerData t;

		HnswRefToTid(w[i].ref, &t);
		if (AddHeapTid(d->index, &t, d->dist, d->vec, d->heaptid, d->building))
			return true;
	}
	return false;
}

static int
DiskLoad(void *ctx, HnswCandidate *w, int n)
{
	DiskInsertCtx *d = ctx;
	int			nv = 0;

	for (int i = 0; i < n; i++)
	{
		ItemPointerData t;

		HnswRefToTid(w[i].ref, &t);
		d->vecs[nv] = HnswLoadValueCopy(d->index, &t, d->dist, d->scratch);
		if (d->vecs[nv] != NULL)
			w[nv++] = w[i];
	}
	return nv;
}

static float
DiskPairDist(void *ctx, int i, int j)
{
	DiskInsertCtx *d = ctx;
	return HnswDist(d->dist, d->vecs[i], d->vecs[j]);
}

static const HnswInsertOps disk_insert_ops = {
	DiskTakeDuplicate,
	DiskLoad,
	DiskPairDist
};

/*
 * Insert vec (already normalised if the opclass wants it) for heap row
 * heaptid.  building means we are inside ambuild: no locks, no WAL.
 * Allocates in CurrentMemoryContext; the caller resets it.
 */
void
HnswInsertVector(Relation index, HnswDistance *dist, const void *vec,
				 ItemPointer heaptid, bool building)
{
	int			m = HnswGetMetaM(index);
	int			efc = HnswGetEfConstruction(index);
	Size		vsize = HnswDistValueSize(dist, vec);
	int			level;
	LOCKMODE	lockmode;
	HnswMetaPageData meta;
	HnswDiskGraph g;
	HnswSearch	s;
	HnswCandidate ep;
	HnswCandidate *w;
	HnswCandidate *chosen[HNSW_MAX_LEVEL + 1];
	int			nchosen[HNSW_MAX_LEVEL + 1];
	int			ngoodchosen[HNSW_MAX_LEVEL + 1];
	HnswElementTuple etup;
	HnswNeighborTuple ntup;
	Size		esize = HNSW_ELEMENT_TUPLE_SIZE(vsize);
	Size		nsize;
	ItemPointerData etid;
	ItemPointerData entrytid;
	bool		haveEntry;
	int			toplayer;
	NewElement	ne;
	BacklinkPlan plan;
	int			ngood0 = 0;
	HnswListCtx lctx = {index, dist, m, building};
	EntryState	es;
	Size		codesize;

	lctx.codes = HnswGetCodes(index, dist);
	level = HnswTidLevel(heaptid, 1.0 / log(m), HnswIndexMaxLevel(m, lctx.codes != NULL));

	HnswDiskGraphInit(&g, index, dist, m, efc * m);
	g.query = vec;
	g.densequery = HnswDensifyQuery(dist, vec);
	HnswSearchInit(&s, &hnsw_disk_graph_ops, &g, m, efc);
	w = palloc(sizeof(HnswCandidate) * (efc + 1));

	haveEntry = LockEntry(index, &g, level, building, &es);
	ep = es.ep;
	meta = es.meta;
	lockmode = es.lockmode;

	memset(nchosen, 0, sizeof(nchosen));
	memset(ngoodchosen, 0, sizeof(ngoodchosen));
	toplayer = haveEntry ? Min(level, meta.entry_level) : -1;
	if (haveEntry)
		HnswRefToTid(ep.ref, &entrytid);

	if (haveEntry)
	{
		DiskInsertCtx dctx;
		HnswInsertSearch is;

		dctx.index = index;
		dctx.dist = dist;
		dctx.vec = vec;
		dctx.heaptid = heaptid;
		dctx.building = building;
		dctx.vecs = palloc(sizeof(char *) * (efc + 1));
		dctx.scratch = palloc(dist->maxvsize);
		is.search = &s;
		is.ops = &disk_insert_ops;
		is.ctx = &dctx;
		is.m = m;
		is.efc = efc;
		is.w = w;
		for (int lc = 0; lc <= toplayer; lc++)
			is.chosen[lc] = palloc(sizeof(HnswCandidate) * 2 * m);
		if (!HnswInsertSearchRun(&is, ep, meta.entry_level, level,
								 HnswDist(dist, vec, vec)))
		{
			/* an identical vector took our heap TID */
			if (!building)
				UnlockPage(index, HNSW_UPDATE_LOCK, lockmode);
			return;
		}
		for (int lc = 0; lc <= toplayer; lc++)
		{
			chosen[lc] = is.chosen[lc];
			nchosen[lc] = is.nchosen[lc];
			ngoodchosen[lc] = is.ngood[lc];
		}
	}

	/* the new element and its neighbour tuple */
	etup = palloc(esize);
	HnswFormElement(etup, level, vec, vsize, heaptid, 1);
	codesize = lctx.codes ? lctx.codes->size : 0;
	nsize = HnswNeighborTupleSize(level, m, codesize);
	ntup = palloc(nsize);
	HnswFormNeighbors(ntup, level, m, codesize);
	if (lctx.codes)
	{
		float	   *rot = palloc(sizeof(float) * lctx.codes->pdim);
		float4		sq = (float4) HnswRotate(lctx.codes, dist->vkind, vec, rot);

		lctx.newrot = rot;
		lctx.newtid = NewPlaceholder;
		memcpy(HnswNeighborOwnerSq(ntup, m), &sq, sizeof(sq));
	}

	/*
	 * Plan the back-links; layer 0 of the new element follows from them.
	 * While planning, ne.l0 holds the neighbours it chose.
	 */
	ne.tid = NewPlaceholder;
	ne.vec = vec;
	ne.nl0 = 0;
	for (int i = 0; toplayer >= 0 && i < nchosen[0]; i++)
		HnswRefToTid(chosen[0][i].ref, &ne.l0[ne.nl0++]);
	PlanBacklinks(&lctx, chosen, nchosen, toplayer, &ne, &plan);
	if (toplayer >= 0)
		ComposeLayer0(&lctx, &plan, chosen[0], nchosen[0], ngoodchosen[0],
					  level > meta.entry_level ? &entrytid : NULL, &ne, &ngood0);
	for (int i = 0; i < ne.nl0; i++)
		ntup->tids[i] = ne.l0[i];
	if (lctx.codes)
	{
		float	   *work = palloc(sizeof(float) * lctx.codes->pdim);

		for (int i = 0; i < ne.nl0; i++)
			HnswMemberCode(&lctx, &ne.l0[i], lctx.newrot,
						   HnswNeighborCode(ntup, m, codesize, i), work);
		pfree(work);
	}
	HnswNeighborGood(ntup)[0] = ngood0;
	for (int lc = 1; lc <= toplayer; lc++)
	{
		for (int i = 0; i < nchosen[lc]; i++)
			HnswRefToTid(chosen[lc][i].ref, &ntup->tids[HNSW_LAYER_START(lc, m) + i]);
		/* keep[] lists the good neighbours first */
		HnswNeighborGood(ntup)[lc] = ngoodchosen[lc];
	}

	HnswWriteElement(index, etup, esize, ntup, nsize, building, &etid);

	/* back-links */
	ne.tid = etid;
	lctx.newtid = etid;
	ApplyBacklinks(&lctx, &plan, chosen[0], nchosen[0], &ne);

	if (level > meta.entry_level || !haveEntry)
		HnswUpdateEntryPoint(index, &etid, level, building);

	if (!building)
		UnlockPage(index, HNSW_UPDATE_LOCK, lockmode);
}

/*
 * aminsert: index one heap row.  NULLs are not indexed, nor zero vectors
 * when the opclass normalises.
 */
bool
hnswinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
		   Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
		   IndexInfo *indexInfo)
{
	MemoryContext tmp;
	MemoryContext old;
	HnswDistance dist;
	void	   *vec;
	int			dim;

	if (isnull[0])
		return false;

	tmp = AllocSetContextCreate(CurrentMemoryContext, "hnsw insert",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(tmp);

	dim = HnswGetDimensions(index);
	HnswInitDistance(&dist, index, dim);
	vec = palloc(dist.maxvsize);
	if (HnswPrepareValue(&dist, values[0], vec))
		HnswInsertVector(index, &dist, vec, heap_tid, false);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
	return false;
}

/*-------------------------------------------------------------------------
 *
 * hnswlist.c
 *	  Reading and changing the neighbour lists of an hnsw index on disk.
 *
 * A list is changed by read-copy-verify (HnswListUpdateLoop): read under a
 * share lock into an HnswListUpdate, its new contents computed with no lock
 * held (which loads other elements' vectors), and written under an
 * exclusive lock only if it is still what was read; otherwise computed
 * again.  Concurrent writers thus never lose each other's changes, and no
 * writer holds two buffer locks.  The computations are adding a member
 * (HnswListAdd, Algorithm 1's update of a neighbour's list, from the list's
 * good/pruned split) and repairing a list after VACUUM (HnswRepairList).
 * On the page, HnswListApply moves as few members as it can, so that the
 * WAL record holds the slots that changed.
 *
 * IDENTIFICATION
 *	  src/hnswlist.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "storage/bufmgr.h"

#include "hnsw.h"

typedef struct PairDistCtx
{
	const HnswDistance *dist;
	char	  **vecs;			/* n values */
} PairDistCtx;

static float
PairDist(void *ctx, int i, int j)
{
	PairDistCtx *p = ctx;

	return HnswDist(p->dist, p->vecs[i], p->vecs[j]);
}

/*
 * Load the vector of the owner of u into u->ownervec, once, in
 * CurrentMemoryContext.  Returns false if the owner is not a live element.
 */
static bool
LoadOwner(const HnswListCtx *ctx, HnswListUpdate *u)
{
	if (u->ownervec != NULL)
		return true;
	u->ownervec = palloc(ctx->dist->maxvsize);
	if (HnswLoadValue(ctx->index, &u->etid, ctx->dist, u->ownervec))
		return true;
	pfree(u->ownervec);
	u->ownervec = NULL;
	return false;
}

/*
 * The neighbour tuple of u on page (block u->ntid's), checked, if it still
 * has layer u->lc (its element's space may have been reused by an element
 * of a lower level): else NULL.
 */
static HnswNeighborTuple
ListTuple(const HnswListCtx *ctx, Page page, HnswListUpdate *u)
{
	HnswPageLimits lim;
	HnswNeighborTuple ntup;

	HnswGetPageLimits(ctx->index, &lim);
	ntup = HnswPageGetNeighbors(&lim, page, ItemPointerGetBlockNumber(&u->ntid),
								ItemPointerGetOffsetNumber(&u->ntid));
	if (ntup->level < u->lc)
		return NULL;
	return ntup;
}

/*
 * Copy the list of u from page (locked by the caller) into u->old.  Returns
 * false if the element has no such list any more.
 */
bool
HnswListRead(const HnswListCtx *ctx, Page page, HnswListUpdate *u)
{
	HnswNeighborTuple ntup = ListTuple(ctx, page, u);

	if (ntup == NULL)
		return false;
	memcpy(u->old, &ntup->tids[HNSW_LAYER_START(u->lc, ctx->m)],
		   sizeof(ItemPointerData) * HNSW_LAYER_CAPACITY(u->lc, ctx->m));
	u->oldngood = Min(HnswNeighborGood(ntup)[u->lc], HNSW_LAYER_CAPACITY(u->lc, ctx->m));
	return true;
}

/* Read the list of u again, under a share lock; false if it is gone */
bool
HnswListReadAgain(const HnswListCtx *ctx, HnswListUpdate *u)
{
	Buffer		buf = HnswReadBuffer(ctx->index, ItemPointerGetBlockNumber(&u->ntid));
	bool		found;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	found = HnswListRead(ctx, BufferGetPage(buf), u);
	UnlockReleaseBuffer(buf);
	return found;
}

/*
 * The codes of an index of distance d (hnsw_page.h, "Compact codes"), set
 * up in CurrentMemoryContext, or NULL if it has none.
 */
HnswCodes *
HnswGetCodes(Relation index, const HnswDistance *d)
{
	HnswMetaPageData meta;
	HnswCodes  *c;

	HnswReadMeta(index, &meta);
	if (meta.codes == HNSW_CODE_NONE)
		return NULL;
	c = palloc(sizeof(HnswCodes));
	HnswCodesInit(c, meta.dimensions, meta.codebits, meta.codeseed,
				  HnswCodesDotBase(d));
	return c;
}

/*
 * The code of the element at tid relative to an owner whose rotated value
 * is re, into code; work has room for the rotation (pdim floats).  A
 * DELETED element keeps its value, and a list may still hold it until
 * vacuum repairs it: it gets its code too.  A REUSABLE element, which no
 * list may hold, gets an untrusted code (a search reads it in full).
 */
void
HnswMemberCode(const HnswListCtx *ctx, ItemPointer tid, const float *re,
			   char *code, float *work)
{
	char	   *value;

	if (ctx->newrot != NULL && HnswTidEq(tid, &ctx->newtid))
	{
		HnswEncodeRotated(ctx->codes, ctx->newrot, re, code);
		return;
	}
	value = palloc(ctx->dist->maxvsize);
	if (HnswLoadValueIn(ctx->index, tid, ctx->dist, value, HNSW_ELEMENT_DELETED))
	{
		HnswRotate(ctx->codes, ctx->dist->vkind, value, work);
		HnswEncodeRotated(ctx->codes, work, re, code);
	}
	else
		HnswUntrustedCode(ctx->codes, code);
	pfree(value);
}

/*
 * Make the codes of the members u->newlist adds to a layer-0 list of an
 * index with codes, relative to the list's owner, with no lock held;
 * HnswListApply copies the codes of the members that stay from the page.
 * If the owner is no longer a live element, they are untrusted.
 */
void
HnswListCodes(const HnswListCtx *ctx, HnswListUpdate *u)
{
	Size		size;
	int			count = 0;
	int			cap;
	float	   *re = NULL;
	float	   *work = NULL;

	if (ctx->codes == NULL || u->lc != 0 || !u->dirty)
		return;
	size = ctx->codes->size;
	cap = HNSW_LAYER_CAPACITY(0, ctx->m);
	while (count < cap && ItemPointerIsValid(&u->old[count]))
		count++;
	if (u->codes == NULL)
		u->codes = palloc(size * cap);
	u->ncodes = 0;
	for (int j = 0; j < u->nnew; j++)
	{
		char	   *code;

		if (HnswTidIn(&u->newlist[j], u->old, count))
			continue;
		code = u->codes + size * u->ncodes;
		u->codetids[u->ncodes++] = u->newlist[j];
		if (re == NULL && LoadOwner(ctx, u))
		{
			re = palloc(sizeof(float) * ctx->codes->pdim);
			work = palloc(sizeof(float) * ctx->codes->pdim);
			HnswRotate(ctx->codes, ctx->dist->vkind, u->ownervec, re);
		}
		if (re != NULL)
			HnswMemberCode(ctx, &u->newlist[j], re, code, work);
		else
			HnswUntrustedCode(ctx->codes, code);
	}
	if (re != NULL)
	{
		pfree(re);
		pfree(work);
	}
}

/*
 * Move the codes of layer 0 of ntup along with its members: before holds
 * the slots as they were (u->old), the tuple's slots are now as
 * HnswListApply arranged them.  Members that were there keep their codes;
 * new ones take theirs from u (HnswListCodes); empty slots get zeros.
 */
static void
MoveCodes(const HnswListCtx *ctx, HnswNeighborTuple ntup, const HnswListUpdate *u)
{
	Size		size = ctx->codes->size;
	int			cap = HNSW_LAYER_CAPACITY(0, ctx->m);
	char	   *before = palloc(size * cap);

	memcpy(before, HnswNeighborCode(ntup, ctx->m, size, 0), size * cap);
	for (int i = 0; i < cap; i++)
	{
		char	   *dst = HnswNeighborCode(ntup, ctx->m, size, i);
		const char *src = NULL;

		if (!ItemPointerIsValid(&ntup->tids[i]))
		{
			memset(dst, 0, size);
			continue;
		}
		for (int k = 0; k < cap && src == NULL; k++)
			if (HnswTidEq(&ntup->tids[i], &u->old[k]))
				src = before + size * k;
		for (int k = 0; k < u->ncodes && src == NULL; k++)
			if (HnswTidEq(&ntup->tids[i], &u->codetids[k]))
				src = u->codes + size * k;
		if (src != NULL)
			memcpy(dst, src, size);
		else
			HnswUntrustedCode(ctx->codes, dst);	/* not made: never wrong */
	}
	pfree(before);
}

/*
 * The slots for u->newlist with as few changed from u->old as possible: a
 * list keeps its good members in front, but the order within the good
 * members and within the others does not matter, so a member that stays
 * in its part keeps its slot, and the others fill the slots left free.  A
 * generic WAL record holds the bytes that changed, so this keeps the WAL of
 * a list that takes one member to a slot or two, where writing the list in
 * distance order would shift every member behind the new one.
 */
static void
ArrangeSlots(const HnswListUpdate *u, int cap, ItemPointerData *slots)
{
	bool		placed[2 * HNSW_MAX_M];
	bool		filled[2 * HNSW_MAX_M];

	memset(placed, 0, sizeof(placed));
	memset(filled, 0, sizeof(filled));
	for (int i = 0; i < u->nnew; i++)
	{
		int			lo = i < u->newngood ? 0 : u->newngood;
		int			hi = i < u->newngood ? u->newngood : u->nnew;

		for (int j = lo; j < hi; j++)
		{
			if (!placed[j] && HnswTidEq(&u->newlist[j], &u->old[i]))
			{
				slots[i] = u->newlist[j];
				placed[j] = filled[i] = true;
				break;
			}
		}
	}
	for (int part = 0; part < 2; part++)
	{
		int			lo = part == 0 ? 0 : u->newngood;
		int			hi = part == 0 ? u->newngood : u->nnew;
		int			j = lo;

		for (int i = lo; i < hi; i++)
		{
			if (filled[i])
				continue;
			while (placed[j])
				j++;
			slots[i] = u->newlist[j];
			placed[j] = true;
		}
	}
	for (int i = u->nnew; i < cap; i++)
		ItemPointerSetInvalid(&slots[i]);
}

/*
 * Write u->newlist to page (exclusively locked and registered by the
 * caller) if the list still holds u->old.  Returns false if it changed.
 */
bool
HnswListApply(const HnswListCtx *ctx, Page page, HnswListUpdate *u)
{
	HnswNeighborTuple ntup = ListTuple(ctx, page, u);
	int			start = HNSW_LAYER_START(u->lc, ctx->m);
	int			cap = HNSW_LAYER_CAPACITY(u->lc, ctx->m);

	if (ntup == NULL)
		return true;			/* nothing to do any more */
	if (memcmp(u->old, &ntup->tids[start], sizeof(ItemPointerData) * cap) != 0 ||
		HnswNeighborGood(ntup)[u->lc] != u->oldngood)
		return false;
	ArrangeSlots(u, cap, &ntup->tids[start]);
	HnswNeighborGood(ntup)[u->lc] = u->newngood;
	if (ctx->codes != NULL && u->lc == 0)
		MoveCodes(ctx, ntup, u);
	return true;
}

/*
 * HnswListAdd: add one new element (newtid, with vector newvec at distance
 * u->newdist from the list's owner) to the list of u as read: the update of Algorithm 1, shrinking
 * a full list as Algorithm 4 with keepPrunedConnections would, done
 * incrementally from the list's good/pruned split.
 *
 * The distances of the members to the owner, and of the good ones to the
 * new element, are computed on their pages (no copies, no pairwise
 * distances).  The new element is good unless a good member closer to the
 * owner is closer to it than the owner is; if it is good, it demotes the
 * good members further from the owner that are closer to it than to the
 * owner.  (A full re-run could also promote members those demoted ones had
 * pruned; this does not.)  A full list takes it only if it is good.  The
 * list is then the good members, then the
 * others by distance, up to its capacity (u->newlist is in that order;
 * on the page, HnswListApply moves as few members as it can).  Members that
 * are no longer live elements drop out.
 */
void
HnswListAdd(const HnswListCtx *ctx, HnswListUpdate *u, ItemPointer newtid,
			const void *newvec, bool force)
{
	float		newdist = u->newdist;
	int			cap = HNSW_LAYER_CAPACITY(u->lc, ctx->m);
	int			count = 0;
	float		downer[2 * HNSW_MAX_M];
	float		dnew[2 * HNSW_MAX_M];
	bool		good[2 * HNSW_MAX_M + 1];
	bool		present[2 * HNSW_MAX_M];
	bool		newgood = true;
	int			order[2 * HNSW_MAX_M + 1];
	float		key[2 * HNSW_MAX_M + 1];
	int			n = 0;
	int			ngood = 0;
	bool		same;

	u->dirty = false;
	u->nevicted = 0;
	while (count < cap && ItemPointerIsValid(&u->old[count]))
	{
		if (HnswTidEq(&u->old[count], newtid))
			return;				/* already linked */
		count++;
	}

	if (!LoadOwner(ctx, u))
		return;					/* the owner is gone */
	HnswDistancesTo(ctx->index, ctx->dist, u->old, count, u->ownervec, newvec,
					downer, dnew, present);

	for (int i = 0; i < count; i++)
		good[i] = i < u->oldngood;

	/* is the new element good? */
	for (int i = 0; i < count && newgood; i++)
		if (good[i] && present[i] && downer[i] <= newdist && dnew[i] < newdist)
			newgood = false;
	/*
	 * A full list takes the new element only if the heuristic would keep
	 * it (unless forced): replacing a member that only fills the list up by
	 * another such member changes little for searches, and costs a page
	 * write (and its WAL, a full-page image after each checkpoint) for most
	 * back-links.  A list with room takes it either way.
	 */
	if (!newgood && !force && count == cap)
		return;
	/* it demotes the good members further out that it is closer to */
	if (newgood)
		for (int i = 0; i < count; i++)
			if (good[i] && present[i] && downer[i] > newdist && dnew[i] < downer[i])
				good[i] = false;

	/* good members first, then the others, each by distance to the owner */
	for (int i = 0; i <= count; i++)
	{
		bool		g = i < count ? good[i] : newgood;
		float		d = i < count ? downer[i] : newdist;
		int			j;

		if (i < count && !present[i])
			continue;			/* not a live element any more */
		key[n] = d;
		j = n++;
		while (j > 0)
		{
			int			prev = order[j - 1];
			bool		pg = prev < count ? good[prev] : newgood;

			if ((pg && !g) || (pg == g && key[j - 1] <= d))
				break;
			order[j] = order[j - 1];
			key[j] = key[j - 1];
			j--;
		}
		order[j] = i;
		key[j] = d;
	}
	n = Min(n, cap);

	u->nnew = 0;
	for (int j = 0; j < n; j++)
	{
		int			i = order[j];

		u->newlist[u->nnew++] = i < count ? u->old[i] : *newtid;
		if (i < count ? good[i] : newgood)
			ngood++;
	}
	u->newngood = ngood;

	/*
	 * force: the new element must get this link even if the heuristic would
	 * leave it out (it has no other way in).  It takes the place of the
	 * last member, the furthest of those the heuristic only kept to fill
	 * the list, if there is one.
	 */
	if (force && !HnswTidIn(newtid, u->newlist, u->nnew))
	{
		if (u->nnew < cap)
			u->newlist[u->nnew++] = *newtid;
		else
		{
			u->newlist[u->nnew - 1] = *newtid;
			if (u->newngood == u->nnew)
				u->newngood--;
		}
	}

	/* the live members the new list gives up */
	u->nevicted = 0;
	for (int i = 0; i < count; i++)
		if (present[i] && !HnswTidIn(&u->old[i], u->newlist, u->nnew) &&
			u->nevicted < lengthof(u->evicted))
			u->evicted[u->nevicted++] = u->old[i];

	/* write only if the members or the split change */
	same = (u->nnew == count && u->newngood == u->oldngood);
	for (int j = 0; j < u->nnew && same; j++)
		same = HnswTidIn(&u->newlist[j], u->old, count);
	u->dirty = !same;
}

/*
 * Copy the value of the dropped element w into vec and its neighbour
 * tuple's TID into *ntid, if w is a DELETED element with a list on layer
 * lc (a dropped member keeps its value and lists until VACUUM makes it
 * REUSABLE).  Returns false otherwise.
 */
static bool
LoadDropped(const HnswListCtx *ctx, ItemPointer w, int lc, void *vec,
			ItemPointer ntid)
{
	HnswPageLimits lim;
	HnswElementTuple etup;
	Buffer		buf;
	bool		found;

	HnswGetPageLimits(ctx->index, &lim);
	if (!HnswCheckTid(&lim, w, InvalidBlockNumber, InvalidOffsetNumber))
		return false;
	buf = HnswReadBuffer(ctx->index, ItemPointerGetBlockNumber(w));
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	etup = HnswPageGetElement(&lim, BufferGetPage(buf), ItemPointerGetBlockNumber(w),
							  ItemPointerGetOffsetNumber(w));
	*ntid = etup->neighbortid;
	found = etup->state == HNSW_ELEMENT_DELETED && etup->level >= lc &&
		HnswCheckTid(&lim, ntid, ItemPointerGetBlockNumber(w),
					 ItemPointerGetOffsetNumber(w));
	if (found)
	{
		const char *value = HnswElementValue(&lim, etup,
											 ItemPointerGetBlockNumber(w),
											 ItemPointerGetOffsetNumber(w),
											 vec);

		if (value != vec)
			memcpy(vec, value, HnswDistValueSize(ctx->dist, value));
	}
	UnlockReleaseBuffer(buf);
	return found;
}

/*
 * Into *out, the live member of the layer-u->lc list of a dropped element
 * (value wvec, neighbour tuple ntid) closest to it, other than the owner
 * of u and the members in drop.  Returns false if there is none.
 */
static bool
NearestToDropped(const HnswListCtx *ctx, HnswListUpdate *u, ItemPointer ntid,
				 const void *wvec, HnswTidSet *drop, ItemPointer out)
{
	HnswPageLimits lim;
	int			cap = HNSW_LAYER_CAPACITY(u->lc, ctx->m);
	int			start = HNSW_LAYER_START(u->lc, ctx->m);
	ItemPointerData list[2 * HNSW_MAX_M];
	float		dw[2 * HNSW_MAX_M];
	bool		present[2 * HNSW_MAX_M];
	HnswNeighborTuple ntup;
	Buffer		buf;
	int			n = 0;
	int			best = -1;

	HnswGetPageLimits(ctx->index, &lim);
	buf = HnswReadBuffer(ctx->index, ItemPointerGetBlockNumber(ntid));
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	ntup = HnswPageGetNeighbors(&lim, BufferGetPage(buf), ItemPointerGetBlockNumber(ntid),
								ItemPointerGetOffsetNumber(ntid));
	if (ntup->level >= u->lc)
	{
		for (; n < cap; n++)
		{
			ItemPointer t = &ntup->tids[start + n];

			if (!HnswCheckTid(&lim, t, ItemPointerGetBlockNumber(ntid),
							  ItemPointerGetOffsetNumber(ntid)))
				break;
			list[n] = *t;
		}
	}
	UnlockReleaseBuffer(buf);

	HnswDistancesTo(ctx->index, ctx->dist, list, n, wvec, NULL, dw, NULL, present);
	for (int i = 0; i < n; i++)
	{
		if (!present[i] || HnswTidEq(&list[i], &u->etid) ||
			HnswTidSetContains(drop, HnswTidToRef(&list[i])))
			continue;
		if (best < 0 || dw[i] < dw[best])
			best = i;
	}
	if (best < 0)
		return false;
	*out = list[best];
	return true;
}

/*
 * The bridge of a repaired list: of its dropped good members (those the
 * heuristic chose, good[0 .. ngood)), the one furthest from the owner is
 * w, and the bridge is w's own live neighbour closest to w, into *out.
 * Returns false if there is none.
 *
 * The fill below chooses among candidates by their distance to the owner,
 * and those closest to it often all lie on its own side: a long edge into
 * another cluster (made by the build while the clusters were small) would
 * give way to a short one within the owner's cluster, and the other
 * cluster lose one of its few ways in.  The bridge keeps the edge's
 * direction.  Only the longest such edge of a list is kept so: bridging
 * every dropped good member takes the places of closer candidates, and
 * costs recall on data without clusters.
 */
static bool
RepairBridge(const HnswListCtx *ctx, HnswListUpdate *u, const ItemPointerData *good,
			 int ngood, HnswTidSet *drop, ItemPointer out)
{
	Size		stride = ctx->dist->maxvsize;
	char	   *vec = palloc(stride);
	char	   *farvec = palloc(stride);
	ItemPointerData ntid;
	ItemPointerData farntid;
	float		fardist = -1;
	bool		found = false;

	ItemPointerSetInvalid(&farntid);
	for (int i = 0; i < ngood; i++)
	{
		ItemPointerData w = good[i];
		float		d;

		if (!LoadDropped(ctx, &w, u->lc, vec, &ntid))
			continue;
		d = HnswDist(ctx->dist, u->ownervec, vec);
		if (d > fardist)
		{
			char	   *swap = farvec;

			farvec = vec;
			vec = swap;
			farntid = ntid;
			fardist = d;
		}
	}
	if (fardist >= 0)
		found = NearestToDropped(ctx, u, &farntid, farvec, drop, out);
	pfree(vec);
	pfree(farvec);
	return found;
}

/*
 * Repair the list of u after VACUUM: drop its members that are in
 * req->drop and fill their places.  The surviving members keep their
 * places and status.  If good members were dropped, the bridge of the
 * list (RepairBridge) joins first, as good, unless the list holds it
 * already.  The places still free are filled from the extra candidates,
 * chosen by the heuristic among themselves by distance to the owner, as
 * not good.  Sets u->dirty; takes no lock but to read vectors and the
 * dropped member's list.
 */
static void
RepairCompute(const HnswListCtx *ctx, HnswListUpdate *u, void *arg)
{
	const HnswListRepair *req = arg;
	ItemPointerData *extra = req->extra;
	int			nextra = req->nextra;
	HnswTidSet *drop = req->drop;
	HnswDistance *dist = ctx->dist;
	int			cap = HNSW_LAYER_CAPACITY(u->lc, ctx->m);
	int			count = 0;
	int			slots;
	HnswCandidate *cs;
	char	  **vecs;
	char	   *scratch;
	int		   *keep;
	int			nc = 0;
	int			nkeep;
	PairDistCtx pctx;
	ItemPointerData others[2 * HNSW_MAX_M];
	int			nothers = 0;
	ItemPointerData goodgone[2 * HNSW_MAX_M];
	int			ngoodgone = 0;
	ItemPointerData bridge;

	u->dirty = false;
	u->nnew = 0;
	u->newngood = 0;
	while (count < cap && ItemPointerIsValid(&u->old[count]))
		count++;
	for (int i = 0; i < count; i++)
	{
		if (HnswTidSetContains(drop, HnswTidToRef(&u->old[i])))
		{
			u->dirty = true;
			if (i < u->oldngood)
				goodgone[ngoodgone++] = u->old[i];
		}
		else if (i < u->oldngood)
			u->newlist[u->nnew++] = u->old[i];
		else
			others[nothers++] = u->old[i];
	}
	if (!u->dirty)
		return;

	/* the good members, the bridge, then the others */
	if (ngoodgone > 0 && LoadOwner(ctx, u) &&
		RepairBridge(ctx, u, goodgone, ngoodgone, drop, &bridge) &&
		!HnswTidIn(&bridge, u->newlist, u->nnew) &&
		!HnswTidIn(&bridge, others, nothers))
		u->newlist[u->nnew++] = bridge;
	u->newngood = u->nnew;
	memcpy(&u->newlist[u->nnew], others, sizeof(ItemPointerData) * nothers);
	u->nnew += nothers;

	/* candidates: the extras that are new, live and not the owner */
	slots = cap - u->nnew;
	if (slots == 0 || nextra == 0)
		return;
	if (!LoadOwner(ctx, u))
		return;
	cs = palloc(sizeof(HnswCandidate) * nextra);
	vecs = palloc(sizeof(char *) * nextra);
	scratch = palloc(dist->maxvsize);
	keep = palloc(sizeof(int) * nextra);
	for (int i = 0; i < nextra; i++)
	{
		char	   *v;

		if (HnswTidEq(&extra[i], &u->etid) ||
			HnswTidSetContains(drop, HnswTidToRef(&extra[i])) ||
			HnswTidIn(&extra[i], u->newlist, u->nnew) ||
			(v = HnswLoadValueCopy(ctx->index, &extra[i], dist, scratch)) == NULL)
			continue;
		vecs[nc] = v;
		cs[nc].dist = HnswDist(dist, u->ownervec, v);
		cs[nc].ref = HnswTidToRef(&extra[i]);
		cs[nc].aux = nc;
		cs[nc].flags = 0;
		nc++;
	}
	HnswSortCandidates(cs, nc);
	{
		/* PairDist wants the vectors in sorted order */
		char	  **sorted = palloc(sizeof(char *) * Max(nc, 1));

		for (int i = 0; i < nc; i++)
			sorted[i] = vecs[cs[i].aux];
		pctx.dist = dist;
		pctx.vecs = sorted;
		nkeep = HnswSelectNeighbors(cs, nc, slots, HNSW_KEEP_PRUNED,
									PairDist, &pctx, keep, NULL);
		pfree(sorted);
	}
	for (int i = 0; i < nkeep; i++)
		HnswRefToTid(cs[keep[i]].ref, &u->newlist[u->nnew++]);
	for (int i = 0; i < nc; i++)
		pfree(vecs[i]);
	pfree(cs);
	pfree(vecs);
	pfree(scratch);
	pfree(keep);
}

/*
 * HnswListUpdateLoop: change the list of u (u->etid, u->ntid, u->lc set by
 * the caller) by compute, which computes u->newlist from u->old with no
 * lock held and sets u->dirty.  This is the one way lists change after the
 * build, read-copy-verify: the list is read under a share lock, computed,
 * and written under an exclusive lock only if it has not changed
 * meanwhile; otherwise it is read and computed again, up to
 * HNSW_LIST_RETRIES times.  At most one buffer lock is held at any time
 * (compute may change other lists, one at a time, before this one is
 * written).
 *
 * Returns HNSW_LIST_WRITTEN if it wrote the changed list,
 * HNSW_LIST_UNCHANGED if the list needed no change, HNSW_LIST_GONE if the
 * element has no such list any more, and HNSW_LIST_GAVE_UP if the list
 * changed under every attempt, in which case nothing was written.
 */
HnswListResult
HnswListUpdateLoop(const HnswListCtx *ctx, HnswListUpdate *u,
				   HnswListComputeFn compute, void *arg)
{
	for (int attempt = 0; attempt < HNSW_LIST_RETRIES; attempt++)
	{
		Buffer		buf;
		HnswEdit	edit;
		bool		applied;

		if (!HnswListReadAgain(ctx, u))
			return HNSW_LIST_GONE;
		compute(ctx, u, arg);
		if (!u->dirty)
			return HNSW_LIST_UNCHANGED;
		HnswListCodes(ctx, u);

		buf = HnswReadBuffer(ctx->index, ItemPointerGetBlockNumber(&u->ntid));
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		HnswEditBegin(&edit, ctx->index, ctx->building);
		applied = HnswListApply(ctx, HnswEditRegister(&edit, buf, false), u);
		if (applied)
			HnswEditFinish(&edit);
		else
			HnswEditAbort(&edit);
		UnlockReleaseBuffer(buf);
		if (applied)
			return HNSW_LIST_WRITTEN;
		/* changed under us: compute again */
	}
	return HNSW_LIST_GAVE_UP;
}

/*
 * HnswRepairList: repair a list after VACUUM (see RepairCompute).  A
 * repair that gives up leaves the list pointing where it did.
 */
HnswListResult
HnswRepairList(const HnswListCtx *ctx, const HnswListRepair *req)
{
	HnswListUpdate u;

	memset(&u, 0, sizeof(u));
	u.etid = req->etid;
	u.ntid = req->ntid;
	u.lc = req->lc;
	return HnswListUpdateLoop(ctx, &u, RepairCompute, (void *) req);
}

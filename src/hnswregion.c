/*-------------------------------------------------------------------------
 *
 * hnswregion.c
 *	  The memory a build keeps its graph in.
 *
 * The graph of a build (hnswbuild.c) lives in one region of bytes and
 * refers to its parts by offset.  Where the region is can change while the
 * graph grows:
 *
 *	LOCAL	the backend's memory; a serial build starts here and doubles it
 *			as needed, up to maintenance_work_mem.
 *	DSM		a dynamic shared memory segment, sized for the whole graph; a
 *			parallel build starts here when maintenance_work_mem allows.
 *	FILE	a temporary file (temp_tablespaces, temp_file_limit), mapped
 *			into every participant; where a graph goes that outgrows
 *			maintenance_work_mem or its segment, or whose segment could
 *			not be had.  The kernel keeps its pages in memory while it
 *			can, so the build goes on at close to in-memory speed.
 *
 * Every use of the region is bracketed by HnswRegionEnter/Leave, which in
 * a parallel build hold the region's lock in shared mode.  Changing where
 * the region is (HnswRegionMakeRoom) takes the lock in exclusive mode, so
 * that nobody holds a pointer into it, moves or grows it and bumps the
 * generation; each participant maps the new place at its next Enter.
 * Allocation is a bump of an atomic counter.
 *
 * IDENTIFICATION
 *	  src/hnswregion.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/mman.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "hnswregion.h"

#define REGION_MB			((Size) 1024 * 1024)
#define REGION_FILE_NAME	"hnswgraph"

static const char *
SizeText(Size bytes)
{
	if (bytes >= 10 * 1024 * REGION_MB)
		return psprintf("%zu GB", (bytes + 512 * REGION_MB) / (1024 * REGION_MB));
	return psprintf("%zu MB", (bytes + REGION_MB - 1) / REGION_MB);
}

const char *
HnswRegionKindName(HnswRegionKind kind)
{
	switch (kind)
	{
		case HNSW_REGION_LOCAL:
			return "memory";
		case HNSW_REGION_DSM:
			return "shared memory";
		case HNSW_REGION_FILE:
			return "temporary file";
	}
	return "?";
}

/*
 * Set up what the participants share.  pcxtseg is the parallel context's
 * segment, NULL for a serial build.  The region starts LOCAL (serial) or
 * with no place; HnswRegionUseDsm or HnswRegionUseFile give it one.
 */
void
HnswRegionInitShared(HnswRegionShared *sh, Size limit, Size expect,
					 dsm_segment *pcxtseg, int tranche)
{
	memset(sh, 0, sizeof(HnswRegionShared));
	if (pcxtseg)
	{
		LWLockInitialize(&sh->lock, tranche);
		SharedFileSetInit(&sh->fileset, pcxtseg);
	}
	pg_atomic_init_u32(&sh->generation, 1);
	pg_atomic_init_u32(&sh->waiting, 0);
	pg_atomic_init_u64(&sh->used, HNSW_REGION_START);
	sh->kind = HNSW_REGION_LOCAL;
	sh->limit = limit;
	sh->expect = expect;
	sh->parallel = pcxtseg != NULL;
}

/*
 * Create a segment of size bytes for the graph of a parallel build, or
 * return NULL with a NOTICE if it cannot be had (for example, a small
 * /dev/shm).  Must be called before entering parallel mode: a failure is
 * caught in a subtransaction.  The segment's mapping belongs to the current
 * resource owner.
 */
dsm_segment *
HnswRegionCreateDsm(Size size, const char *relname)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	dsm_segment *seg = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
		/* keep it past the subtransaction's resource owner */
		if (seg)
			dsm_pin_mapping(seg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(edata);
		ereport(NOTICE,
				(errmsg("could not get %s of shared memory for the parallel build of index \"%s\"",
						SizeText(size), relname),
				 errdetail("The graph is built in a temporary file instead: %s.",
						   edata->message),
				 errhint("Dynamic shared memory comes from what dynamic_shared_memory_type names, for example /dev/shm; a build asks for up to maintenance_work_mem.")));
		FreeErrorData(edata);
		seg = NULL;
	}
	PG_END_TRY();

	if (seg)
	{
		/* back to the transaction's resource owner */
		dsm_unpin_mapping(seg);
		return seg;
	}
	ereport(DEBUG1,
			(errmsg("no dynamic shared memory segment for the parallel build of index \"%s\"",
					relname)));
	return NULL;
}

/* The region is seg, created by HnswRegionCreateDsm */
void
HnswRegionUseDsm(HnswRegionShared *sh, dsm_segment *seg)
{
	sh->kind = HNSW_REGION_DSM;
	sh->seg = dsm_segment_handle(seg);
	sh->size = dsm_segment_map_length(seg);
}

/* The region is a temporary file, created at the first attach */
void
HnswRegionUseFile(HnswRegionShared *sh)
{
	sh->kind = HNSW_REGION_FILE;
	sh->hasfile = false;
}

/* ---------------------------------------------------------------------
 * Mapping the temporary file
 * ---------------------------------------------------------------------
 */

/*
 * Unmap the file when the build's memory goes, error or not.  arg is the
 * HnswRegionMapping in that memory, which MapFile and ReleasePlace keep up
 * to date.
 */
static void
RegionResetCallback(void *arg)
{
	HnswRegionMapping *map = arg;

	if (map->base != NULL)
		munmap(map->base, map->len);
	map->base = NULL;
}

/*
 * Ask for transparent huge pages for the region's memory: the graph is read
 * at random, and TLB misses cost a large part of a build otherwise (a
 * serial GloVe-100 build took 1.25 times as long without).  Only the 2 MB
 * pages wholly inside it; a hint, whose failure does not matter.  Shared
 * memory gets them only where the kernel allows it for shmem
 * (transparent_hugepage/shmem_enabled).
 */
static void
AdviseHugePages(char *base, Size size)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = 2 * 1024 * 1024;
	uintptr_t	start = TYPEALIGN(huge, (uintptr_t) base);
	uintptr_t	end = TYPEALIGN_DOWN(huge, (uintptr_t) base + size);

	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/* Write zeros to the file from offset from up to offset to */
static void
ExtendFile(HnswRegion *r, Size from, Size to)
{
	const Size	piece = REGION_MB;
	char	   *zeros = palloc0(piece);

	while (from < to)
	{
		int			amount = (int) Min(piece, to - from);

		if (FileWrite(r->file, zeros, amount, from, WAIT_EVENT_BUFFILE_WRITE) != amount)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not extend temporary file \"%s\" to %zu bytes: %m",
							FilePathName(r->file), to)));
		from += amount;
		CHECK_FOR_INTERRUPTS();
	}
	pfree(zeros);
}

/* Write bytes of data at offset 0 of the file */
static void
WriteFile(HnswRegion *r, const char *data, Size bytes)
{
	Size		pos = 0;

	while (pos < bytes)
	{
		int			amount = (int) Min((Size) 64 * REGION_MB, bytes - pos);

		if (FileWrite(r->file, (char *) data + pos, amount, pos,
					  WAIT_EVENT_BUFFILE_WRITE) != amount)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write to temporary file \"%s\": %m",
							FilePathName(r->file))));
		pos += amount;
		CHECK_FOR_INTERRUPTS();
	}
}

/* Map sh->reserve bytes of the file (which may be shorter) */
static void
MapFile(HnswRegion *r)
{
	HnswRegionShared *sh = r->sh;
	void	   *p;
	int			fd;

	if (r->kind == HNSW_REGION_FILE && r->base != NULL)
		munmap(r->base, r->mapped);
	r->base = NULL;
	r->map->base = NULL;
	(void) FileSize(r->file);	/* reopens it if fd.c closed it */
	fd = FileGetRawDesc(r->file);
	p = mmap(NULL, sh->reserve, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not map temporary file \"%s\": %m",
						FilePathName(r->file))));
	r->base = p;
	r->mapped = sh->reserve;
	r->kind = HNSW_REGION_FILE;
	r->map->base = p;
	r->map->len = r->mapped;
}

/* Let go of the region's current place in this process */
static void
ReleasePlace(HnswRegion *r)
{
	switch (r->kind)
	{
		case HNSW_REGION_LOCAL:
			if (r->base)
				pfree(r->base);
			break;
		case HNSW_REGION_DSM:
			if (r->seg)
				dsm_detach(r->seg);
			r->seg = NULL;
			break;
		case HNSW_REGION_FILE:
			if (r->base)
				munmap(r->base, r->mapped);
			r->mapped = 0;
			r->map->base = NULL;
			break;
	}
	r->base = NULL;
}

/* Map the region where sh says it is, as of its current generation */
static void
Remap(HnswRegion *r)
{
	HnswRegionShared *sh = r->sh;

	switch (sh->kind)
	{
		case HNSW_REGION_LOCAL:
			/* only a serial build, which moves it itself */
			break;
		case HNSW_REGION_DSM:
			if (r->seg == NULL)
			{
				r->seg = dsm_attach(sh->seg);
				if (r->seg == NULL)
					elog(ERROR, "could not attach to the shared memory of a parallel hnsw build");
				r->base = dsm_segment_address(r->seg);
				r->kind = HNSW_REGION_DSM;
				AdviseHugePages(r->base, sh->size);
			}
			break;
		case HNSW_REGION_FILE:
			if (r->kind != HNSW_REGION_FILE)
			{
				ReleasePlace(r);
				r->file = FileSetOpen(&sh->fileset.fs, REGION_FILE_NAME, O_RDWR);
				MapFile(r);
			}
			else if (r->mapped != sh->reserve)
				MapFile(r);
			break;
	}
	r->size = sh->size;
	r->generation = pg_atomic_read_u32(&sh->generation);
}

/*
 * Move the region into a new temporary file of at least need bytes.  The
 * caller holds the lock exclusively (parallel) and has written nothing it
 * still needs outside [0, used).
 */
static void
MoveToFile(HnswRegion *r, Size need)
{
	HnswRegionShared *sh = r->sh;
	Size		used = pg_atomic_read_u64(&sh->used);
	Size		size = Max(need + need / 2, 64 * REGION_MB);
	char	   *old = r->base;
	File		file;

	size = TYPEALIGN(REGION_MB, size);
	if (sh->parallel)
		file = FileSetCreate(&sh->fileset.fs, REGION_FILE_NAME);
	else
		file = OpenTemporaryFile(false);
	r->file = file;
	if (old != NULL)
		WriteFile(r, old, used);
	else
		used = 0;
	ExtendFile(r, used, size);
	/* address space for the graph expected, so that it rarely moves */
	sh->reserve = TYPEALIGN(REGION_MB,
							Max(2 * size, Min(2 * sh->expect, (Size) 256 * 1024 * REGION_MB)));
	sh->size = size;
	sh->hasfile = true;

	/* let go of the old place; the other participants do at their Enter */
	if (r->kind == HNSW_REGION_FILE)
		elog(ERROR, "hnsw build region is a file already");
	ReleasePlace(r);
	sh->kind = HNSW_REGION_FILE;
	MapFile(r);
}

/*
 * Attach to the region: the leader with seg, the segment it created (or
 * NULL), a worker with NULL.  cxt is the build's memory context: the
 * region's local memory lives there, and a mapping is undone when it goes.
 */
void
HnswRegionAttach(HnswRegion *r, HnswRegionShared *sh, dsm_segment *seg,
				 dsm_segment *pcxtseg, MemoryContext cxt)
{
	MemoryContextCallback *cb;

	memset(r, 0, sizeof(HnswRegion));
	r->sh = sh;
	r->cxt = cxt;
	r->pcxtseg = pcxtseg;
	r->kind = HNSW_REGION_LOCAL;
	r->file = -1;

	r->map = MemoryContextAllocZero(cxt, sizeof(HnswRegionMapping));
	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	cb->func = RegionResetCallback;
	cb->arg = r->map;
	MemoryContextRegisterResetCallback(cxt, cb);

	if (pcxtseg)
		SharedFileSetAttach(&sh->fileset, pcxtseg);

	switch (sh->kind)
	{
		case HNSW_REGION_LOCAL:
			{
				Size		size = Min(sh->limit, Max(Min(sh->expect + sh->expect / 8,
														  256 * REGION_MB),
													  16 * REGION_MB));

				size = Max(size, 2 * HNSW_REGION_START);
				r->base = MemoryContextAllocHuge(cxt, size);
				AdviseHugePages(r->base, size);
				sh->size = size;
				r->size = size;
			}
			break;
		case HNSW_REGION_DSM:
			if (seg)
			{
				r->seg = seg;
				r->ownseg = true;
				r->base = dsm_segment_address(seg);
				r->kind = HNSW_REGION_DSM;
				AdviseHugePages(r->base, sh->size);
			}
			break;
		case HNSW_REGION_FILE:
			if (!sh->hasfile)
				MoveToFile(r, 0);
			break;
	}
	if (r->base == NULL)
		Remap(r);
	r->size = sh->size;
	r->generation = pg_atomic_read_u32(&sh->generation);
}

/* Unmap or free the region in this process */
void
HnswRegionDetach(HnswRegion *r)
{
	ReleasePlace(r);
	if (r->file >= 0)
		FileClose(r->file);
	r->file = -1;
}

/*
 * Start using the region: until HnswRegionLeave, pointers into it stay
 * valid.  Maps the region anew if it moved.
 */
void
HnswRegionEnter(HnswRegion *r)
{
	if (r->sh->parallel)
	{
		/*
		 * A shared lock is granted while others hold it, however long an
		 * exclusive request waits; so queue behind a waiting
		 * HnswRegionLock instead of starving it.
		 */
		if (pg_atomic_read_u32(&r->sh->waiting) > 0)
		{
			LWLockAcquire(&r->sh->lock, LW_EXCLUSIVE);
			LWLockRelease(&r->sh->lock);
		}
		LWLockAcquire(&r->sh->lock, LW_SHARED);
	}
	if (pg_atomic_read_u32(&r->sh->generation) != r->generation)
		Remap(r);
}

void
HnswRegionLeave(HnswRegion *r)
{
	if (r->sh->parallel)
		LWLockRelease(&r->sh->lock);
}

/*
 * Hand out bytes (MAXALIGNed) between Enter and Leave: returns their
 * offset, or 0 if the region is full; then Leave, HnswRegionMakeRoom and
 * Enter again.
 */
Size
HnswRegionAlloc(HnswRegion *r, Size bytes)
{
	uint64		old;

	bytes = MAXALIGN(bytes);
	old = pg_atomic_fetch_add_u64(&r->sh->used, bytes);
	if (old + bytes > r->size)
	{
		pg_atomic_fetch_sub_u64(&r->sh->used, bytes);
		return 0;
	}
	return (Size) old;
}

/*
 * Take the region for changes, outside Enter/Leave: in a parallel build,
 * wait until no participant is using it.  Until HnswRegionUnlock, nobody
 * else uses it, and what it holds may be rearranged.
 */
void
HnswRegionLock(HnswRegion *r)
{
	HnswRegionShared *sh = r->sh;

	if (sh->parallel)
	{
		/* Enter yields to us (see there) while we wait */
		pg_atomic_fetch_add_u32(&sh->waiting, 1);
		LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
		pg_atomic_fetch_sub_u32(&sh->waiting, 1);
	}
	if (pg_atomic_read_u32(&sh->generation) != r->generation)
		Remap(r);
}

void
HnswRegionUnlock(HnswRegion *r)
{
	if (r->sh->parallel)
		LWLockRelease(&r->sh->lock);
}

/*
 * Make room for bytes more, outside Enter/Leave.  tuples is how many rows
 * are in, for the NOTICE a graph gives when it outgrows
 * maintenance_work_mem.  The region may move.
 */
void
HnswRegionMakeRoom(HnswRegion *r, Size bytes, int64 tuples)
{
	HnswRegionLock(r);
	HnswRegionGrow(r, bytes, tuples);
	HnswRegionUnlock(r);
}

/*
 * Between HnswRegionLock and Unlock: make sure bytes more can be handed
 * out, growing or moving the region if needed.
 */
void
HnswRegionGrow(HnswRegion *r, Size bytes, int64 tuples)
{
	HnswRegionShared *sh = r->sh;
	Size		used;
	Size		need;

	bytes = MAXALIGN(bytes);
	used = pg_atomic_read_u64(&sh->used);
	need = used + bytes;
	if (need <= r->size)
		return;					/* somebody else made room meanwhile */

	if (sh->kind != HNSW_REGION_FILE && need > sh->limit && !sh->noticed)
	{
		Size		expect = Max(sh->expect, need + need / 2);

		sh->noticed = true;
		ereport(NOTICE,
				(errmsg("hnsw graph no longer fits into maintenance_work_mem after %ld tuples",
						(long) tuples),
				 errdetail("The graph needs about %s; the rest of it is built in a temporary file.",
						   SizeText(expect)),
				 errhint("Increase maintenance_work_mem to speed up builds.")));
	}

	switch (sh->kind)
	{
		case HNSW_REGION_LOCAL:
			if (need <= sh->limit)
			{
				Size		size = Min(sh->limit, Max(need, 2 * sh->size));

				r->base = repalloc_huge(r->base, size);
				AdviseHugePages(r->base, size);
				sh->size = size;
			}
			else
				MoveToFile(r, need);
			break;
		case HNSW_REGION_DSM:
			MoveToFile(r, need);
			break;
		case HNSW_REGION_FILE:
			{
				Size		size = TYPEALIGN(REGION_MB, Max(need, sh->size + sh->size / 2));

				ExtendFile(r, sh->size, size);
				sh->size = size;
				if (size > sh->reserve)
				{
					sh->reserve = TYPEALIGN(REGION_MB, 2 * size);
					MapFile(r);
				}
			}
			break;
	}
	r->size = sh->size;
	r->generation = pg_atomic_add_fetch_u32(&sh->generation, 1);
}

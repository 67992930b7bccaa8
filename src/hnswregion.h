/*-------------------------------------------------------------------------
 *
 * hnswregion.h
 *	  The memory a build keeps its graph in (hnswregion.c).
 *
 * A region is one range of bytes addressed by offsets, so that processes
 * that map it at different addresses, and a region that moves, share the
 * same references.  It starts in the backend's own memory, or for a
 * parallel build in dynamic shared memory, and when it would outgrow
 * maintenance_work_mem (or the shared memory cannot be had) it continues
 * in a temporary file, mapped into every participant.
 *
 * IDENTIFICATION
 *	  src/hnswregion.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef HNSWREGION_H
#define HNSWREGION_H

#include "port/atomics.h"
#include "storage/dsm.h"
#include "storage/fd.h"
#include "storage/lwlock.h"
#include "storage/sharedfileset.h"

typedef enum HnswRegionKind
{
	HNSW_REGION_LOCAL,			/* the backend's memory (serial build) */
	HNSW_REGION_DSM,			/* a dynamic shared memory segment */
	HNSW_REGION_FILE			/* a temporary file, mapped */
} HnswRegionKind;

/*
 * What every participant shares about the region.  In a serial build it is
 * in the backend's memory and its lock is never taken.
 */
typedef struct HnswRegionShared
{
	LWLock		lock;			/* shared while using the region, exclusive
								 * while changing where it is */
	pg_atomic_uint32 generation;	/* bumped whenever it moves or grows */
	pg_atomic_uint32 waiting;	/* participants waiting in HnswRegionLock */
	pg_atomic_uint64 used;		/* bytes handed out */
	HnswRegionKind kind;
	Size		size;			/* bytes that may be handed out */
	Size		reserve;		/* FILE: address space a mapping takes */
	Size		limit;			/* maintenance_work_mem, in bytes */
	Size		expect;			/* bytes the whole graph should need */
	bool		parallel;
	dsm_handle	seg;			/* DSM: the segment */
	bool		hasfile;		/* FILE: created */
	bool		noticed;		/* the maintenance_work_mem NOTICE was given */
	SharedFileSet fileset;		/* parallel: where the file is */
} HnswRegionShared;

/* A mapping of the file, for undoing it on error */
typedef struct HnswRegionMapping
{
	void	   *base;
	Size		len;
} HnswRegionMapping;

/* One process's view of the region */
typedef struct HnswRegion
{
	HnswRegionShared *sh;
	char	   *base;
	Size		size;			/* as of generation */
	uint32		generation;
	HnswRegionKind kind;		/* of what is mapped */
	dsm_segment *seg;			/* DSM attached */
	bool		ownseg;			/* created by us: detach only at the end */
	dsm_segment *pcxtseg;		/* parallel context's segment (fileset) */
	File		file;
	Size		mapped;			/* FILE: bytes mapped */
	HnswRegionMapping *map;		/* the same, in cxt */
	MemoryContext cxt;
} HnswRegion;

/* Offset 0 is never handed out */
#define HNSW_REGION_START	64

extern void HnswRegionInitShared(HnswRegionShared *sh, Size limit, Size expect,
								 dsm_segment *pcxtseg, int tranche);
extern dsm_segment *HnswRegionCreateDsm(Size size, const char *relname);
extern void HnswRegionUseDsm(HnswRegionShared *sh, dsm_segment *seg);
extern void HnswRegionUseFile(HnswRegionShared *sh);
extern void HnswRegionAttach(HnswRegion *r, HnswRegionShared *sh,
							 dsm_segment *seg, dsm_segment *pcxtseg,
							 MemoryContext cxt);
extern void HnswRegionDetach(HnswRegion *r);
extern void HnswRegionEnter(HnswRegion *r);
extern void HnswRegionLeave(HnswRegion *r);
extern Size HnswRegionAlloc(HnswRegion *r, Size bytes);
extern void HnswRegionLock(HnswRegion *r);
extern void HnswRegionUnlock(HnswRegion *r);
extern void HnswRegionGrow(HnswRegion *r, Size bytes, int64 tuples);
extern void HnswRegionMakeRoom(HnswRegion *r, Size bytes, int64 tuples);
extern const char *HnswRegionKindName(HnswRegionKind kind);

static inline char *
HnswRegionPtr(HnswRegion *r, Size off)
{
	return r->base + off;
}

#endif							/* HNSWREGION_H */

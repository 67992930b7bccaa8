/*-------------------------------------------------------------------------
 *
 * hnswlib_index.cpp
 *	  The C interface of hnswlib_index.h over hnswlib's HierarchicalNSW.
 *	  Nothing here changes what hnswlib does: one call of this file is one
 *	  call of hnswlib, plus copying the labels of a result out of its
 *	  priority queue.
 *
 *	  hnswlib chooses its distance kernels when it is compiled: __SSE__
 *	  (every x86-64 compiler) gives USE_SSE, __AVX__ USE_AVX and
 *	  __AVX512F__ USE_AVX512, and at run time it takes the widest of those
 *	  the CPU has.  The Makefile compiles this file with the flags of the
 *	  rest of bench/ (no -march), so by default that is SSE;
 *	  HNSWLIB_CXXFLAGS (e.g. -mavx2 -mfma) changes it.
 *
 * IDENTIFICATION
 *	  bench/hnswlib_index.cpp
 *
 *-------------------------------------------------------------------------
 */
#include <exception>
#include <string>

#include "hnswlib.h"

extern "C"
{
#include "ann_common.h"
}
#include "hnswlib_index.h"

struct HnswlibIndex
{
	hnswlib::SpaceInterface<float> *space;	/* the index points into it */
	hnswlib::HierarchicalNSW<float> *hnsw;
};

static hnswlib::SpaceInterface<float> *
make_space(HnswlibSpace space, int dim)
{
	if (space == HNSWLIB_IP)
		return new hnswlib::InnerProductSpace(dim);
	return new hnswlib::L2Space(dim);
}

HnswlibIndex *
hnswlib_create(HnswlibSpace space, int dim, long n, int m, int efc, uint64_t seed)
{
	HnswlibIndex *index = new HnswlibIndex;

	index->space = make_space(space, dim);
	try
	{
		index->hnsw = new hnswlib::HierarchicalNSW<float>(index->space, (size_t) n,
														  (size_t) m, (size_t) efc,
														  (size_t) seed);
	}
	catch (const std::exception &e)
	{
		die("hnswlib: %s", e.what());
	}
	return index;
}

void
hnswlib_add(HnswlibIndex *index, const float *v, long id)
{
	try
	{
		index->hnsw->addPoint(v, (hnswlib::labeltype) id);
	}
	catch (const std::exception &e)
	{
		die("hnswlib: row %ld: %s", id, e.what());
	}
}

long
hnswlib_count(const HnswlibIndex *index)
{
	return (long) index->hnsw->cur_element_count;
}

size_t
hnswlib_bytes(const HnswlibIndex *index)
{
	return index->hnsw->indexFileSize();
}

void
hnswlib_save(HnswlibIndex *index, const char *path)
{
	try
	{
		index->hnsw->saveIndex(std::string(path));
	}
	catch (const std::exception &e)
	{
		die("hnswlib: could not save \"%s\": %s", path, e.what());
	}
}

HnswlibIndex *
hnswlib_load(HnswlibSpace space, int dim, const char *path)
{
	HnswlibIndex *index = new HnswlibIndex;

	index->space = make_space(space, dim);
	try
	{
		index->hnsw = new hnswlib::HierarchicalNSW<float>(index->space, std::string(path));
	}
	catch (const std::exception &e)
	{
		die("hnswlib: could not load \"%s\": %s", path, e.what());
	}
	return index;
}

void
hnswlib_set_ef(HnswlibIndex *index, int ef)
{
	index->hnsw->setEf((size_t) ef);
}

int
hnswlib_search(const HnswlibIndex *index, const float *q, int k, int32_t *ids)
{
	std::priority_queue<std::pair<float, hnswlib::labeltype>> res;
	int			n;

	try
	{
		res = index->hnsw->searchKnn(q, (size_t) k);
	}
	catch (const std::exception &e)
	{
		die("hnswlib: %s", e.what());
	}
	/* the queue's top is the farthest */
	n = (int) res.size();
	for (int i = n - 1; i >= 0; i--)
	{
		ids[i] = (int32_t) res.top().second;
		res.pop();
	}
	return n;
}

void
hnswlib_free(HnswlibIndex *index)
{
	delete index->hnsw;
	delete index->space;
	delete index;
}

/*
 * The name of a distance function hnswlib may pick, and, for those that
 * call a function through one of hnswlib's function pointers (the 16-wide
 * kernels and the "Residuals" ones), the name of what that pointer holds.
 */
typedef struct KernelName
{
	hnswlib::DISTFUNC<float> f;
	const char *name;
} KernelName;

static const KernelName kernel_names[] = {
	{hnswlib::L2Sqr, "L2Sqr (scalar)"},
	{hnswlib::InnerProductDistance, "InnerProductDistance (scalar)"},
#if defined(USE_SSE)
	{hnswlib::L2SqrSIMD16ExtSSE, "L2SqrSIMD16ExtSSE"},
	{hnswlib::L2SqrSIMD4Ext, "L2SqrSIMD4Ext (SSE)"},
	{hnswlib::L2SqrSIMD4ExtResiduals, "L2SqrSIMD4ExtResiduals (SSE)"},
	{hnswlib::InnerProductDistanceSIMD16ExtSSE, "InnerProductDistanceSIMD16ExtSSE"},
	{hnswlib::InnerProductDistanceSIMD4ExtSSE, "InnerProductDistanceSIMD4ExtSSE"},
	{hnswlib::InnerProductSIMD16ExtSSE, "InnerProductSIMD16ExtSSE"},
	{hnswlib::InnerProductSIMD4ExtSSE, "InnerProductSIMD4ExtSSE"},
#endif
#if defined(USE_AVX)
	{hnswlib::L2SqrSIMD16ExtAVX, "L2SqrSIMD16ExtAVX"},
	{hnswlib::InnerProductDistanceSIMD16ExtAVX, "InnerProductDistanceSIMD16ExtAVX"},
	{hnswlib::InnerProductDistanceSIMD4ExtAVX, "InnerProductDistanceSIMD4ExtAVX"},
	{hnswlib::InnerProductSIMD16ExtAVX, "InnerProductSIMD16ExtAVX"},
	{hnswlib::InnerProductSIMD4ExtAVX, "InnerProductSIMD4ExtAVX"},
#endif
#if defined(USE_AVX512)
	{hnswlib::L2SqrSIMD16ExtAVX512, "L2SqrSIMD16ExtAVX512"},
	{hnswlib::InnerProductDistanceSIMD16ExtAVX512, "InnerProductDistanceSIMD16ExtAVX512"},
	{hnswlib::InnerProductSIMD16ExtAVX512, "InnerProductSIMD16ExtAVX512"},
#endif
};

static const char *
kernel_name(hnswlib::DISTFUNC<float> f)
{
	for (const KernelName &k : kernel_names)
		if (k.f == f)
			return k.name;
	return "?";
}

const char *
hnswlib_simd(void)
{
	static std::string out;

	out.clear();
#if defined(USE_SSE)
	out += " USE_SSE";
#endif
#if defined(USE_AVX)
	out += " USE_AVX";
#endif
#if defined(USE_AVX512)
	out += " USE_AVX512";
#endif
	return out.empty() ? "none" : out.c_str() + 1;
}

const char *
hnswlib_kernel(HnswlibSpace space, int dim)
{
	static std::string out;
	hnswlib::SpaceInterface<float> *s = make_space(space, dim);
	hnswlib::DISTFUNC<float> f = s->get_dist_func();

#if defined(USE_SSE) || defined(USE_AVX) || defined(USE_AVX512)
	if (f == hnswlib::L2SqrSIMD16ExtResiduals)
		out = std::string("L2SqrSIMD16ExtResiduals over ") + kernel_name(hnswlib::L2SqrSIMD16Ext);
	else if (f == hnswlib::InnerProductDistanceSIMD16ExtResiduals)
		out = std::string("InnerProductDistanceSIMD16ExtResiduals over ") +
			kernel_name(hnswlib::InnerProductSIMD16Ext);
	else if (f == hnswlib::InnerProductDistanceSIMD4ExtResiduals)
		out = std::string("InnerProductDistanceSIMD4ExtResiduals over ") +
			kernel_name(hnswlib::InnerProductSIMD4Ext);
	else
#endif
		out = kernel_name(f);
	delete s;
	return out.c_str();
}

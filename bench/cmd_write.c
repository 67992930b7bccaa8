/*-------------------------------------------------------------------------
 *
 * cmd_write.c
 *	  The "write" commands of the benchmark driver: concurrent single-row
 *	  INSERTs into a table with an HNSW index, the ground truth of a table
 *	  after a seeded random delete, and a check that inserted rows can be
 *	  found.  Works with any extension that offers the "vector" type.
 *	  bench/write.sh drives them; see bench/WRITE.md.
 *
 *	  vbench write insert   --conn C --file F --from A --count N
 *							[--clients K] [--sync on|off] [--label L]
 *							[--csv FILE] [--tag TEXT]
 *	  vbench write delete   --base F --query F --metric M --seed S
 *							[--frac 0.1] [--k 10] --ids OUT --gt OUT
 *	  vbench write selfhit  --conn C --file F --from A --count N --metric M
 *
 * insert sends rows A .. A+N-1 of F as
 *
 *	  INSERT INTO items (id, embedding) VALUES ($1, $2)
 *
 * (row i gets id i, binary parameters, one prepared statement per
 * connection, autocommit) from K connections, each on its own thread,
 * which take the next row from a shared counter, so that every row is
 * inserted exactly once whatever the speed of each client.  It prints
 * "rows,seconds,rows_per_s,p50_ms,p99_ms" and appends the same to --csv.
 * The clock starts when every connection is open and prepared.
 *
 * delete chooses round(frac * n) base rows by a shuffle seeded with S,
 * writes their ids (one a line) to --ids, and writes to --gt the exact k
 * nearest remaining rows of every query (ivecs; ids are base rows), by
 * brute force in double precision.
 *
 * selfhit looks up every row A .. A+N-1 of F with ORDER BY ... LIMIT 1 and
 * prints the share that finds itself (same id, or a vector at distance 0).
 *
 * IDENTIFICATION
 *	  bench/cmd_write.c
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

#include "ann_pg.h"
#include "stats.h"
#include "vbench.h"

#define MAX_CLIENTS 64

const OptSpec write_insert_opts[] = {
	OPT("file", OPT_STR, file, "vectors to insert from (fvecs)"),
	OPT("from", OPT_LONG, from, "first row of --file to insert"),
	OPT("count", OPT_LONG, count, "rows to insert"),
	OPT("clients", OPT_INT, clients, "concurrent connections (1)"),
	OPT("sync", OPT_ONOFF, sync, "synchronous_commit on or off (on)"),
	OPT("tag", OPT_STR, tag, "run name written to the CSV"),
	OPT_END
};

const OptSpec write_delete_opts[] = {
	OPT("frac", OPT_DOUBLE, frac, "share of the base rows to delete (0.1)"),
	OPT("ids", OPT_STR, ids, "file of the deleted ids, one a line"),
	OPT_END
};

const OptSpec write_selfhit_opts[] = {
	OPT("file", OPT_STR, file, "vectors to look up (fvecs)"),
	OPT("from", OPT_LONG, from, "first row of --file"),
	OPT("count", OPT_LONG, count, "rows to look up"),
	OPT_END
};

/* ---------------------------------------------------------------- insert */

typedef struct InsertShared
{
	const Options *opt;
	const FvecSet *set;
	long		next;			/* next row offset to insert, atomically */
	pthread_barrier_t ready;
	double	   *lat;			/* per row offset */
} InsertShared;

typedef struct InsertClient
{
	InsertShared *sh;
	PGconn	   *conn;
	long		done;
} InsertClient;

static void *
insert_client(void *arg)
{
	InsertClient *c = arg;
	InsertShared *sh = c->sh;
	const FvecSet *set = sh->set;
	int			dim = set->dim;
	char	   *vbuf = xmalloc(4 + 4 * (size_t) dim);
	uint32_t	idbuf;
	const char *values[2] = {(const char *) &idbuf, vbuf};
	int			lengths[2] = {4, 0};
	int			formats[2] = {1, 1};

	pthread_barrier_wait(&sh->ready);
	for (;;)
	{
		long		off = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
		long		row;
		double		t0;
		PGresult   *res;

		if (off >= sh->opt->count)
			break;
		row = sh->opt->from + off;
		idbuf = htonl((uint32_t) row);
		lengths[1] = (int) (encode_vector(vbuf, fvec_row(set, row), dim) - vbuf);
		t0 = now_seconds();
		res = PQexecPrepared(c->conn, "ins", 2, values, lengths, formats, 1);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die("INSERT of row %ld failed: %s", row, PQerrorMessage(c->conn));
		PQclear(res);
		sh->lat[off] = now_seconds() - t0;
		c->done++;
	}
	free(vbuf);
	return NULL;
}

void
write_insert(const Options *opt)
{
	FvecSet		set;
	InsertShared sh;
	InsertClient clients[MAX_CLIENTS];
	pthread_t	threads[MAX_CLIENTS];
	double		t0;
	double		secs;
	LatencySummary ls;

	if (opt->conninfo == NULL || opt->file == NULL || opt->count <= 0)
		die("insert needs --conn, --file and --count");
	if (opt->clients < 1 || opt->clients > MAX_CLIENTS)
		die("--clients must be between 1 and %d", MAX_CLIENTS);
	fvec_load(opt->file, &set);
	if (opt->from < 0 || opt->from + opt->count > set.n)
		die("rows %ld .. %ld are not all in %s (%ld rows)", opt->from,
			opt->from + opt->count - 1, opt->file, set.n);

	memset(&sh, 0, sizeof(sh));
	sh.opt = opt;
	sh.set = &set;
	sh.lat = xmalloc(sizeof(double) * opt->count);
	pthread_barrier_init(&sh.ready, NULL, opt->clients + 1);

	for (int i = 0; i < opt->clients; i++)
	{
		clients[i].sh = &sh;
		clients[i].done = 0;
		clients[i].conn = connect_db(opt->conninfo, false);
		exec_cmd(clients[i].conn, opt->sync ? "SET synchronous_commit = on" :
				 "SET synchronous_commit = off");
		prepare(clients[i].conn, "ins",
				"INSERT INTO items (id, embedding) VALUES ($1::int4, $2::vector)", 2);
		if (pthread_create(&threads[i], NULL, insert_client, &clients[i]) != 0)
			die("pthread_create failed");
	}

	pthread_barrier_wait(&sh.ready);
	t0 = now_seconds();
	for (int i = 0; i < opt->clients; i++)
		pthread_join(threads[i], NULL);
	secs = now_seconds() - t0;

	ls = latency_summary(sh.lat, opt->count);
	printf("%ld,%.3f,%.1f,%.3f,%.3f\n", opt->count, secs, opt->count / secs,
		   ls.p50_ms, ls.p99_ms);
	if (opt->csv != NULL)
	{
		FILE	   *csv = csv_append(opt->csv, "label,tag,clients,synchronous_commit,"
									 "rows,seconds,rows_per_s,p50_ms,p99_ms");

		fprintf(csv, "%s,%s,%d,%s,%ld,%.3f,%.1f,%.3f,%.3f\n",
				opt->label, opt->tag ? opt->tag : "",
				opt->clients, opt->sync ? "on" : "off", opt->count, secs,
				opt->count / secs, ls.p50_ms, ls.p99_ms);
		xfclose(csv, opt->csv);
	}

	for (int i = 0; i < opt->clients; i++)
		PQfinish(clients[i].conn);
	pthread_barrier_destroy(&sh.ready);
	free(sh.lat);
	fvec_free(&set);
}

/* ---------------------------------------------------------------- delete */

void
write_delete(const Options *opt)
{
	FvecSet		base;
	FvecSet		query;
	Rng			rng;
	long		ndel;
	long	   *perm;
	char	   *deleted;
	ExactContext ec;
	Neighbour  *top;
	FILE	   *f;

	if (opt->base == NULL || opt->query == NULL || opt->ids == NULL ||
		opt->gt == NULL || !opt->have_metric)
		die("delete needs --base, --query, --metric, --ids and --gt");
	fvec_load(opt->base, &base);
	fvec_load(opt->query, &query);
	if (base.dim != query.dim)
		die("dimension mismatch");

	/* seeded Fisher-Yates shuffle; the first ndel rows are deleted */
	ndel = lround(opt->frac * base.n);
	perm = xmalloc(sizeof(long) * base.n);
	for (long i = 0; i < base.n; i++)
		perm[i] = i;
	rng_seed(&rng, opt->seed);
	for (long i = base.n - 1; i > 0; i--)
	{
		long		j = (long) (rng_next(&rng) % (uint64_t) (i + 1));
		long		t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	deleted = calloc(base.n, 1);
	f = xfopen(opt->ids, "w");
	for (long i = 0; i < ndel; i++)
	{
		deleted[perm[i]] = 1;
		fprintf(f, "%ld\n", perm[i]);
	}
	xfclose(f, opt->ids);

	exact_init(&ec, opt->metric, &base, opt->k);
	ec.excluded = deleted;
	top = xmalloc(sizeof(Neighbour) * opt->k);

	f = xfopen(opt->gt, "w");
	for (long q = 0; q < query.n; q++)
	{
		const float *qv = fvec_row(&query, q);

		if (exact_knn(&ec, qv, vec_norm(qv, query.dim), 0, top) < opt->k)
			die("query %ld: fewer than %d remaining neighbours", q, opt->k);
		{
			int32_t		k = opt->k;

			fwrite(&k, 4, 1, f);
			for (int i = 0; i < opt->k; i++)
				fwrite(&top[i].id, 4, 1, f);
		}
	}
	xfclose(f, opt->gt);
	printf("%ld\n", ndel);

	free(perm);
	free(deleted);
	free((double *) ec.basenorm);
	free(top);
	fvec_free(&base);
	fvec_free(&query);
}

/* --------------------------------------------------------------- selfhit */

void
write_selfhit(const Options *opt)
{
	FvecSet		set;
	PGconn	   *conn;
	char		sql[256];
	char	   *vbuf;
	long		hits = 0;
	PGresult   *res;

	if (opt->conninfo == NULL || opt->file == NULL || opt->count <= 0 ||
		!opt->have_metric)
		die("selfhit needs --conn, --file, --count and --metric");
	fvec_load(opt->file, &set);
	if (opt->from < 0 || opt->from + opt->count > set.n)
		die("rows out of range");
	vbuf = xmalloc(4 + 4 * (size_t) set.dim);
	conn = connect_db(opt->conninfo, false);
	exec_cmd(conn, "SET enable_seqscan = off");
	snprintf(sql, sizeof(sql),
			 "SELECT id, (embedding %s $1::vector)::float8 FROM items "
			 "ORDER BY embedding %s $1::vector LIMIT 1",
			 metric_operator(opt->metric), metric_operator(opt->metric));
	prepare(conn, "self", sql, 1);

	for (long i = 0; i < opt->count; i++)
	{
		long		row = opt->from + i;
		const char *values[1] = {vbuf};
		int			lengths[1];
		int			formats[1] = {1};

		lengths[0] = (int) (encode_vector(vbuf, fvec_row(&set, row), set.dim) - vbuf);
		res = PQexecPrepared(conn, "self", 1, values, lengths, formats, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die("query failed: %s", PQerrorMessage(conn));
		if (PQntuples(res) == 1 &&
			(atol(PQgetvalue(res, 0, 0)) == row ||
			 fabs(atof(PQgetvalue(res, 0, 1))) < 1e-6))
			hits++;
		PQclear(res);
	}
	printf("%.4f\n", (double) hits / opt->count);
	PQfinish(conn);
	free(vbuf);
	fvec_free(&set);
}

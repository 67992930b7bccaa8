/*-------------------------------------------------------------------------
 *
 * ann_pg.c
 *	  libpq helpers of the benchmark driver.
 *
 * IDENTIFICATION
 *	  bench/ann_pg.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "ann_common.h"
#include "ann_pg.h"
#include "../src/halfutils.h"

static void
show_notice(void *arg, const char *message)
{
	fprintf(stderr, "  server: %s", message);
}

static void
quiet_notice(void *arg, const char *message)
{
}

PGconn *
connect_db(const char *conninfo, bool show_notices)
{
	PGconn	   *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK)
		die("could not connect: %s", PQerrorMessage(conn));
	PQsetNoticeProcessor(conn, show_notices ? show_notice : quiet_notice, NULL);
	return conn;
}

void
prepare(PGconn *conn, const char *name, const char *sql, int nparams)
{
	PGresult   *res = PQprepare(conn, name, sql, nparams, NULL);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("PREPARE failed: %s", PQerrorMessage(conn));
	PQclear(res);
}

PGresult *
exec_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		PQresultStatus(res) != PGRES_TUPLES_OK)
		die("%s\nfailed: %s", sql, PQerrorMessage(conn));
	return res;
}

void
exec_cmd(PGconn *conn, const char *sql)
{
	PQclear(exec_ok(conn, sql));
}

void
exec_quiet(PGconn *conn, const char *sql)
{
	exec_cmd(conn, "SET client_min_messages = warning");
	exec_cmd(conn, sql);
	exec_cmd(conn, "RESET client_min_messages");
}

char *
encode_vector(char *p, const float *v, int dim)
{
	put_u16(&p, (uint16_t) dim);
	put_u16(&p, 0);
	for (int i = 0; i < dim; i++)
	{
		uint32_t	bits;

		memcpy(&bits, &v[i], 4);
		put_u32(&p, bits);
	}
	return p;
}

char *
encode_halfvec(char *p, const float *v, int dim)
{
	put_u16(&p, (uint16_t) dim);
	put_u16(&p, 0);
	for (int i = 0; i < dim; i++)
		put_u16(&p, Float4ToHalf(v[i]));
	return p;
}

char *
encode_sparsevec(char *p, int dim, int nnz, const int32_t *idx, const float *val)
{
	put_u32(&p, (uint32_t) dim);
	put_u32(&p, (uint32_t) nnz);
	put_u32(&p, 0);
	for (int i = 0; i < nnz; i++)
		put_u32(&p, (uint32_t) idx[i]);
	for (int i = 0; i < nnz; i++)
	{
		uint32_t	bits;

		memcpy(&bits, &val[i], 4);
		put_u32(&p, bits);
	}
	return p;
}

char *
encode_sparse_text(char *p, int dim, int nnz, const int32_t *idx, const float *val)
{
	*p++ = '{';
	for (int i = 0; i < nnz; i++)
		p += sprintf(p, i ? ",%d:%.9g" : "%d:%.9g", idx[i] + 1, val[i]);
	p += sprintf(p, "}/%d", dim);
	return p;
}

char *
encode_text(char *p, const float *v, int dim)
{
	*p++ = '[';
	for (int i = 0; i < dim; i++)
		p += sprintf(p, i ? ",%.9g" : "%.9g", v[i]);
	*p++ = ']';
	*p = '\0';
	return p;
}

void
copy_begin(CopyBuf *cb, PGconn *conn, const char *sql, bool binary)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN)
		die("COPY failed: %s", PQerrorMessage(conn));
	PQclear(res);
	cb->conn = conn;
	cb->binary = binary;
	cb->size = 1 << 20;
	cb->buf = xmalloc(cb->size);
	cb->used = 0;
	if (binary)
	{
		static const char sig[11] = "PGCOPY\n\377\r\n";	/* + final \0 */
		char	   *p = cb->buf;

		memcpy(p, sig, 11);
		p += 11;
		put_u32(&p, 0);			/* flags */
		put_u32(&p, 0);			/* header extension length */
		cb->used = p - cb->buf;
	}
}

char *
copy_reserve(CopyBuf *cb, size_t need)
{
	if (need > cb->size)
		die("COPY row of %zu bytes does not fit the buffer", need);
	if (cb->used + need > cb->size)
	{
		if (PQputCopyData(cb->conn, cb->buf, (int) cb->used) != 1)
			die("COPY failed: %s", PQerrorMessage(cb->conn));
		cb->used = 0;
	}
	return cb->buf + cb->used;
}

void
copy_commit(CopyBuf *cb, char *end)
{
	cb->used = end - cb->buf;
}

void
copy_end(CopyBuf *cb)
{
	PGresult   *res;

	if (cb->binary)
	{
		char	   *p = copy_reserve(cb, 2);

		put_u16(&p, 0xFFFF);	/* trailer */
		copy_commit(cb, p);
	}
	if (cb->used > 0 && PQputCopyData(cb->conn, cb->buf, (int) cb->used) != 1)
		die("COPY failed: %s", PQerrorMessage(cb->conn));
	if (PQputCopyEnd(cb->conn, NULL) != 1)
		die("COPY failed: %s", PQerrorMessage(cb->conn));
	res = PQgetResult(cb->conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("COPY failed: %s", PQerrorMessage(cb->conn));
	PQclear(res);
	free(cb->buf);
	cb->buf = NULL;
}

PGresult *
exec_query(PGconn *conn, const char *stmt, const QueryParams *qp, long q)
{
	PGresult   *res = PQexecPrepared(conn, stmt, qp->nparams,
									 qp->values + q * qp->nparams,
									 qp->lengths + q * qp->nparams,
									 qp->formats, 1);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("query failed: %s", PQerrorMessage(conn));
	return res;
}

double
run_queries(PGconn *conn, const char *stmt, const QueryParams *qp, int k,
			int32_t *ids, int *nrows, double *lat)
{
	double		t0 = now_seconds();

	for (long q = 0; q < qp->nq; q++)
	{
		double		s = now_seconds();
		PGresult   *res = exec_query(conn, stmt, qp, q);
		int			n = PQntuples(res);

		if (n > k)
			n = k;
		for (int r = 0; r < n; r++)
		{
			uint32_t	v;

			memcpy(&v, PQgetvalue(res, r, 0), 4);
			ids[q * k + r] = (int32_t) ntohl(v);
		}
		nrows[q] = n;
		PQclear(res);
		lat[q] = now_seconds() - s;
	}
	return now_seconds() - t0;
}

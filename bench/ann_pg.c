/*-------------------------------------------------------------------------
 *
 * ann_pg.c
 *	  libpq helpers shared by the benchmark drivers.
 *
 * IDENTIFICATION
 *	  bench/ann_pg.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "ann_common.h"
#include "ann_pg.h"

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
exec_cmd(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		PQresultStatus(res) != PGRES_TUPLES_OK)
		die("%s\nfailed: %s", sql, PQerrorMessage(conn));
	PQclear(res);
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

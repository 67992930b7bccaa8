/*-------------------------------------------------------------------------
 *
 * ann_pg.h
 *	  libpq helpers shared by the benchmark drivers: connecting, running a
 *	  statement that must succeed, and the binary wire format of vectors
 *	  (COPY BINARY and binary query parameters).
 *
 * IDENTIFICATION
 *	  bench/ann_pg.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ANN_PG_H
#define ANN_PG_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "libpq-fe.h"

/* Append a 16- or 32-bit integer in network byte order at *p */
static inline void
put_u16(char **p, uint16_t v)
{
	uint16_t	n = htons(v);

	memcpy(*p, &n, 2);
	*p += 2;
}

static inline void
put_u32(char **p, uint32_t v)
{
	uint32_t	n = htonl(v);

	memcpy(*p, &n, 4);
	*p += 4;
}

/*
 * Connect or die.  Server notices go to stderr marked "server:" if
 * show_notices, and nowhere otherwise.
 */
extern PGconn *connect_db(const char *conninfo, bool show_notices);

/* Run a statement that must succeed, or die */
extern void exec_cmd(PGconn *conn, const char *sql);

/*
 * Write vector v in the binary form of the "vector" type (int16 dim,
 * int16 zero, float4[dim], big-endian) at p; returns the end.
 */
extern char *encode_vector(char *p, const float *v, int dim);

#endif							/* ANN_PG_H */

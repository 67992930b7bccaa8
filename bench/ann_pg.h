/*-------------------------------------------------------------------------
 *
 * ann_pg.h
 *	  libpq helpers of the benchmark driver: connecting, statements that
 *	  must succeed, the one wire encoding of vectors (binary and text, for
 *	  COPY and query parameters), COPY through a buffer, and running a set
 *	  of queries with timing.
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

/* Prepare statement name with nparams parameters of unspecified type, or die */
extern void prepare(PGconn *conn, const char *name, const char *sql, int nparams);

/* Run a statement that must succeed; the result is the caller's to clear */
extern PGresult *exec_ok(PGconn *conn, const char *sql);

/* Run a statement with client_min_messages = warning (DROP ... IF EXISTS) */
extern void exec_quiet(PGconn *conn, const char *sql);

/*
 * Write vector v in the binary form of the "vector" type (int16 dim,
 * int16 zero, float4[dim], big-endian) at p; returns the end.
 */
extern char *encode_vector(char *p, const float *v, int dim);

/*
 * Write vector v in the text form "[x,y,...]" at p, NUL-terminated, with
 * "%.9g" (which round-trips every float4); returns the end (the NUL).  It
 * needs at most TEXT_VECTOR_MAX(dim) bytes.
 */
extern char *encode_text(char *p, const float *v, int dim);

#define TEXT_VECTOR_MAX(dim) (16 * (size_t) (dim) + 8)

/*
 * Write vector v in the binary form of the "halfvec" type (int16 dim,
 * int16 zero, binary16[dim], big-endian) at p, each value rounded to the
 * nearest half (ties to even, as the server rounds); returns the end.
 * The text form of a halfvec is encode_text's.
 */
extern char *encode_halfvec(char *p, const float *v, int dim);

/*
 * Write a sparse vector (nnz 0-based ascending indices idx, values val,
 * dimension dim) in the binary form of the "sparsevec" type (int32 dim,
 * int32 nnz, int32 zero, int32 idx[nnz], float4 val[nnz], big-endian) at
 * p; returns the end.  SPARSEVEC_BIN_SIZE(nnz) bytes.
 */
extern char *encode_sparsevec(char *p, int dim, int nnz, const int32_t *idx,
							  const float *val);

#define SPARSEVEC_BIN_SIZE(nnz) (12 + 8 * (size_t) (nnz))

/*
 * Write the same in the text form "{i:v,...}/dim" (1-based indices, "%.9g")
 * at p, NUL-terminated; returns the end (the NUL).  At most
 * TEXT_SPARSEVEC_MAX(nnz) bytes.
 */
extern char *encode_sparse_text(char *p, int dim, int nnz, const int32_t *idx,
								const float *val);

#define TEXT_SPARSEVEC_MAX(nnz) (28 * (size_t) (nnz) + 16)

/*
 * COPY ... FROM STDIN through a buffer.  copy_begin starts the COPY (and
 * writes the binary header if binary); copy_reserve returns where at
 * least need bytes may be written, sending what is buffered first when
 * they would not fit; copy_commit marks the buffer used up to end;
 * copy_end writes the binary trailer, ends the COPY and checks its
 * result.
 */
typedef struct CopyBuf
{
	PGconn	   *conn;
	bool		binary;
	char	   *buf;
	size_t		size;
	size_t		used;
} CopyBuf;

extern void copy_begin(CopyBuf *cb, PGconn *conn, const char *sql, bool binary);
extern char *copy_reserve(CopyBuf *cb, size_t need);
extern void copy_commit(CopyBuf *cb, char *end);
extern void copy_end(CopyBuf *cb);

/*
 * The parameters of a prepared statement for each of nq queries: query
 * q's nparams values start at values[q * nparams] (lengths likewise);
 * formats[j] is the format of parameter j (1: binary).
 */
typedef struct QueryParams
{
	int			nparams;
	long		nq;
	const char **values;
	int		   *lengths;
	int			formats[2];
} QueryParams;

/*
 * Execute prepared statement stmt for query q, asking for binary results;
 * dies unless it returns rows.  The result is the caller's to clear.
 */
extern PGresult *exec_query(PGconn *conn, const char *stmt,
							const QueryParams *qp, long q);

/*
 * Execute stmt once for every query, timing each execution from sending
 * it to clearing its result.  Keeps the first k ids (column 0, int4) of
 * query q at ids[q * k], their count at nrows[q] and the seconds at
 * lat[q].  Returns the wall time of the whole pass, in seconds.
 */
extern double run_queries(PGconn *conn, const char *stmt, const QueryParams *qp,
						  int k, int32_t *ids, int *nrows, double *lat);

#endif							/* ANN_PG_H */

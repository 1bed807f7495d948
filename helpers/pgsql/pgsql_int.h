/* pgsql_int.h - what the files of the PostgreSQL store share.
 *
 *   pgsql.c     the backend: start-up, shut-down, the hooks the loop calls
 *   conf.c      the options (those of helpers/sql/conf.c)
 *   conninfo.c  CONNINFO: checked (no password in it), the connect keywords
 *   conn.c      the connection: connecting, losing it, the back-off
 *   setup.c     each new connection: the session, the statements, checks
 *   wait.c      bounded waits for the synchronous steps of setup.c
 *   pipeline.c  the queries on the wire: pipeline mode, what answers what
 *   inflight.c  the lookups in flight: start, re-sends, time-outs
 *   results.c   a query's result, for its lookup
 *   judge.c     a finished query's rows for helpers/sql/judge.c; errors
 *
 * What does not depend on the engine (the options, :user and :realm, the
 * verdict on a row) is in helpers/sql/ (sql.h), shared with the MariaDB
 * store.  All state is in the configuration (struct sql_conf, from the
 * options) and the context (struct pb_ctx, made by init): none at file
 * scope.
 */
#ifndef DH_PGSQL_INT_H
#define DH_PGSQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "backend.h"
#include "clock.h"
#include "digest.h"
#include "notes.h"
#include "sql.h"

/* -j when it is not given: the pipeline takes many lookups at once. */
#define PB_DEFAULT_INFLIGHT 16

/* The connection.  pc is NULL when there is none; then the next attempt
 * is not made before retry_at_ms. */
struct pb_conn {
	PGconn *pc;
	unsigned gen;		/* bumped whenever pc is dropped */
	long long retry_at_ms;
	int backoff_ms;		/* 0: the last connection was fine */
	bool outage_logged;	/* an attempt failed since the last success */
	bool utf8;		/* the client encoding is UTF8 */
	const char *down_why;	/* the BH message while there is none */
	char where[256];	/* host:port of the connection in use or last */
	char last_fail[256];	/* the failure logged last in this outage */
};

/* What an entry of the pipeline is: one query, or a sync point. */
enum pb_qkind {
	PB_Q_LOOKUP,
	PB_Q_GROUPS,
	PB_Q_SYNC,
};

struct pb_pending {
	unsigned slot;		/* the lookup it is for (queries) */
	unsigned seq;		/* the lookup's send: stale when it differs */
	enum pb_qkind kind;
	bool got;		/* its result came; the NULL after it has not */
};

/* The pipeline's entries in the order the server answers them: a ring. */
struct pb_fifo {
	struct pb_pending *e;
	unsigned cap, head, n;
};

/* A lookup's slot.
 *
 *   FREE   -> SENT (start, on a connection) or QUEUED (the send failed)
 *   SENT   -> FREE (answered), QUEUED (aborted by an earlier query's error
 *             in its pipeline, or its connection was lost for the first
 *             time) or LOST (lost a second time)
 *   QUEUED -> SENT (sent at the next dispatch) or FREE (answered BH)
 *   LOST   -> FREE (answered BH at the next dispatch)
 */
enum pb_slot_state {
	PB_FREE,
	PB_QUEUED,
	PB_SENT,
	PB_LOST,
};

struct pb_lookup {
	enum pb_slot_state state;
	unsigned losses;	/* connections lost with it on the wire */
	unsigned token;
	unsigned seq;		/* bumped at every send */
	long long deadline_ms;	/* SENT: the server is hung after this */
	char *user;		/* copies: the request line is gone by then */
	size_t user_len;
	char *realm;
	size_t realm_len;
	const struct digest_alg *alg;
	bool have_row;		/* found; the groups' result is awaited */
	char ha1[DIGEST_HEX_MAX + 1];	/* with have_row; wiped when freed */
};

struct pb_ctx {
	const struct sql_conf *c;
	const char **kw;	/* PQconnectdbParams keywords ... */
	const char **val;	/* ... and values (val[i] may be c->secret) */
	struct sql_stmt look;
	struct sql_stmt groups;	/* sql NULL: no groups */
	struct pb_conn conn;
	struct pb_lookup *s;	/* the lookups in flight (-j slots) */
	unsigned ns;
	unsigned seq;		/* the last send's number */
	struct pb_fifo fifo;
	unsigned unsynced;	/* queries sent since the last sync point */
	bool flush_pending;	/* libpq holds bytes the socket did not take */
	struct notes notes;	/* the annotations of the reply being made */
	struct sql_judge judge;	/* what was logged, and when */
};

static inline long long
pb_now_ms(void)
{
	return clock_now_ns() / 1000000;
}

/* conf.c */
void *pb_conf_new(void);
void pb_conf_free(void *conf);
int pb_option(void *conf, int opt, const char *arg, const char **err_r);

/* conninfo.c */
int pb_conninfo_check(const char *conninfo, char *err, size_t errlen);
void pb_connect_params(struct pb_ctx *x, const char *conninfo);
void pb_one_line(const char *msg, char *out, size_t outlen);

/* wait.c: the synchronous steps of a new connection, bounded by a
 * deadline.  pb_collect: the results of what was just sent, until its
 * end; the first error, else the last result; NULL when the connection
 * was lost or the deadline passed. */
PGresult *pb_collect(PGconn *pc, int sent, long long deadline_ms);

/* setup.c */
enum pb_setup {
	PB_SETUP_OK,
	PB_SETUP_LOST,		/* the connection failed during the setup */
	PB_SETUP_REFUSED,	/* the server refused a statement or a check */
};
enum pb_setup pb_setup(struct pb_ctx *x, PGconn *pc, char *err,
    size_t errlen);
const char *pb_sqlstate(const PGresult *r);
const char *pb_primary(const PGresult *r);

/* conn.c */
bool pb_connected(const struct pb_ctx *x);
int pb_conn_start(struct pb_ctx *x, char *err, size_t errlen);
bool pb_conn_ensure(struct pb_ctx *x);
void pb_conn_close(struct pb_ctx *x);
void pb_conn_lost(struct pb_ctx *x, const char *why);

/* pipeline.c */
void pb_fifo_init(struct pb_fifo *f, unsigned cap);
void pb_fifo_clear(struct pb_fifo *f);
int pb_send(struct pb_ctx *x, struct pb_lookup *s);
int pb_push(struct pb_ctx *x);
void pb_take_results(struct pb_ctx *x, backend_done_fn *done, void *loop);

/* inflight.c */
void pb_mark_lost(struct pb_ctx *x);
void pb_answer(struct pb_lookup *s, enum backend_result v,
    struct backend_answer *a, backend_done_fn *done, void *loop);
void pb_table_free(struct pb_ctx *x);
enum backend_result pb_start(void *ctx, const struct backend_query *q,
    unsigned token, struct backend_answer *a);
void pb_dispatch(void *ctx, backend_done_fn *done, void *loop);
int pb_next_timeout(void *ctx);

/* results.c: r is cleared */
void pb_on_result(struct pb_ctx *x, const struct pb_pending *p, PGresult *r,
    backend_done_fn *done, void *loop);

/* judge.c */
enum backend_result pb_judge_row(struct pb_ctx *x, struct pb_lookup *s,
    PGresult *r, struct backend_answer *a);
enum backend_result pb_judge_groups(const PGresult *r, struct notes *nt);
enum backend_result pb_judge_error(struct pb_ctx *x, const struct pb_lookup *s,
    const PGresult *r, const char **err_r);

#endif

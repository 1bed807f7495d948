/* conn.c - the one connection to the server: connecting, losing it, the
 * back-off between attempts.
 *
 * An attempt is one PQconnectdbParams: libpq goes down CONNINFO's host
 * list (host=a,b port=p1,p2), with connect_timeout for each host and
 * target_session_attrs deciding which it keeps, so fail-over is libpq's.
 * It blocks the helper, bounded by connect_timeout per host; then the
 * session is set up (setup.c), every step bounded by -t.  While no server
 * can be used every lookup answers BH (never ERR), and attempts come with
 * a growing back-off.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "log.h"
#include "pgsql_int.h"

static const char *const down_msg[] = {
	[PB_SETUP_LOST] = "PostgreSQL server unreachable",
	[PB_SETUP_REFUSED] = "PostgreSQL session setup failed",
};

bool
pb_connected(const struct pb_ctx *x)
{
	return x->conn.pc != NULL;
}

/* Drop the connection, if any, and what was on its wire. */
void
pb_conn_close(struct pb_ctx *x)
{
	if (x->conn.pc != NULL) {
		PQfinish(x->conn.pc);
		x->conn.gen++;
	}
	x->conn.pc = NULL;
	pb_fifo_clear(&x->fifo);
	x->unsynced = 0;
	x->flush_pending = false;
}

/* No connection: the next attempt waits for the back-off. */
static void
wait_retry(struct pb_ctx *x)
{
	struct pb_conn *cn = &x->conn;

	/* after a connection that was fine until now: one attempt at once */
	backoff_next(&cn->backoff_ms, &cn->retry_at_ms, pb_now_ms());
}

/* The connection in use failed (why; NULL: libpq's message): the lookups
 * on its wire are sent once more on the next one, or answered BH
 * (inflight.c), and the next attempt may come at once. */
void
pb_conn_lost(struct pb_ctx *x, const char *why)
{
	char msg[512];

	if (why == NULL) {
		pb_one_line(PQerrorMessage(x->conn.pc), msg, sizeof(msg));
		why = msg[0] != '\0' ? msg : "connection closed";
	}
	log_error("PostgreSQL connection to %s lost: %s", x->conn.where, why);
	pb_mark_lost(x);
	pb_conn_close(x);
	/* an outage until the next connection, which logs its end; the
	 * first failed attempt is still logged (its message differs) */
	x->conn.outage_logged = true;
	x->conn.last_fail[0] = '\0';
	x->conn.down_why = down_msg[PB_SETUP_LOST];
	wait_retry(x);
}

/* Server notices (a FATAL that came between queries is one): only their
 * kind is logged, with -d; their text may quote the data. */
static void
on_notice(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);

	(void)arg;
	log_debug("server notice: %s, SQLSTATE %s", sev != NULL ? sev : "?",
	    pb_sqlstate(r));
}

/* The new connection pc passed the setup: it is the one in use. */
static void
connected(struct pb_ctx *x, PGconn *pc)
{
	struct pb_conn *cn = &x->conn;
	const char *enc = PQparameterStatus(pc, "client_encoding");
	char where[sizeof(cn->where)];

	snprintf(where, sizeof(where), "%s:%s", PQhost(pc), PQport(pc));
	if (cn->where[0] != '\0' && strcmp(cn->where, where) != 0)
		log_info("PostgreSQL now using %s instead of %s", where, cn->where);
	else if (cn->outage_logged)
		log_info("PostgreSQL connection to %s is back", where);
	else
		log_debug("connected to %s, database %s, user %s", where,
		    PQdb(pc), PQuser(pc));
	memcpy(cn->where, where, sizeof(where));
	cn->pc = pc;
	cn->utf8 = enc != NULL && strcmp(enc, "UTF8") == 0;
	cn->outage_logged = false;
	cn->last_fail[0] = '\0';
	cn->backoff_ms = 0;
}

/* One attempt.  Returns how it went, with the reason in err. */
static enum pb_setup
attempt(struct pb_ctx *x, char *err, size_t errlen)
{
	PGconn *pc = PQconnectdbParams(x->kw, x->val, 1);
	enum pb_setup rc;

	err[0] = '\0';
	if (pc == NULL || PQstatus(pc) != CONNECTION_OK) {
		pb_one_line(pc != NULL ? PQerrorMessage(pc) : "out of memory",
		    err, errlen);
		PQfinish(pc);
		return PB_SETUP_LOST;
	}
	PQsetNoticeReceiver(pc, on_notice, x);
	rc = pb_setup(x, pc, err, errlen);
	if (rc == PB_SETUP_LOST && PQstatus(pc) == CONNECTION_BAD)
		pb_one_line(PQerrorMessage(pc), err, errlen);
	else if (rc == PB_SETUP_LOST)
		snprintf(err, errlen, "%s:%s did not answer the session setup within %lld ms",
		    PQhost(pc), PQport(pc), sql_wait_ms(x->c));
	if (rc != PB_SETUP_OK) {
		PQfinish(pc);
		return rc;
	}
	connected(x, pc);
	return PB_SETUP_OK;
}

/* An attempt failed with rc: logged when it is the first of an outage or
 * fails otherwise than the one before; then the back-off. */
static void
failed(struct pb_ctx *x, enum pb_setup rc, const char *err)
{
	struct pb_conn *cn = &x->conn;

	if (!cn->outage_logged || strncmp(cn->last_fail, err,
	    sizeof(cn->last_fail) - 1) != 0)
		log_error("PostgreSQL %s: %s; lookups answer BH until it is %s",
		    rc == PB_SETUP_REFUSED ? "session setup refused" :
		    "connection failed", err,
		    rc == PB_SETUP_REFUSED ? "fixed" : "back");
	else
		log_debug("PostgreSQL connection failed again: %s", err);
	snprintf(cn->last_fail, sizeof(cn->last_fail), "%s", err);
	cn->outage_logged = true;
	cn->down_why = down_msg[rc];
	wait_retry(x);
}

/* At start-up: a server that refuses the helper's statements is the
 * start-up error (-1, in err); one that cannot be reached is not, and
 * lookups answer BH until it can be. */
int
pb_conn_start(struct pb_ctx *x, char *err, size_t errlen)
{
	enum pb_setup rc = attempt(x, err, errlen);

	if (rc == PB_SETUP_REFUSED)
		return -1;
	if (rc == PB_SETUP_LOST) {
		/* the first retry waits for the back-off too */
		x->conn.backoff_ms = BACKOFF_MIN_MS;
		failed(x, rc, err);
	}
	return 0;
}

/* A connection to send on: the one there is, or a new one when the
 * back-off allows an attempt now. */
bool
pb_conn_ensure(struct pb_ctx *x)
{
	char err[1024];
	enum pb_setup rc;

	if (pb_connected(x))
		return true;
	if (pb_now_ms() < x->conn.retry_at_ms)
		return false;
	rc = attempt(x, err, sizeof(err));
	if (rc == PB_SETUP_OK)
		return true;
	failed(x, rc, err);
	return false;
}

/* setup.c - a new connection, before the first lookup goes out on it:
 * the session's settings, the schema check, the helper's statements
 * prepared and checked, then pipeline mode.
 *
 * Done on every connection, so a server that comes back after a restart
 * or a fail-over is checked like the first.  At start-up a refusal is
 * the one-line start-up error; later it is logged and lookups answer BH
 * until a connection passes again (digest_pgsql_auth(8), "CHECKS").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgschema.h"
#include "pgsql_int.h"
#include "secret.h"

/* The type of both parameters: text, so :user and :realm are compared
 * as text whatever the query's columns are (the OID of text). */
#define PB_TEXTOID 25

const char *
pb_sqlstate(const PGresult *r)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return s != NULL ? s : "";
}

const char *
pb_primary(const PGresult *r)
{
	const char *s = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	return s != NULL ? s : "unexpected result";
}

/* Run what was just sent (sent: the PQsend... call's return); its result
 * must have status want.  *r_r keeps it when r_r is not NULL. */
static enum pb_setup
run(struct pb_ctx *x, PGconn *pc, int sent, ExecStatusType want,
    const char *what, PGresult **r_r, char *err, size_t errlen)
{
	PGresult *r = pb_collect(pc, sent, pb_now_ms() + sql_wait_ms(x->c));

	if (r == NULL)
		return PB_SETUP_LOST;
	if (PQresultStatus(r) != want) {
		snprintf(err, errlen, "%s: %s", what, pb_primary(r));
		PQclear(r);
		return PB_SETUP_REFUSED;
	}
	if (r_r != NULL)
		*r_r = r;
	else
		PQclear(r);
	return PB_SETUP_OK;
}

/* The session only reads, its statements have -t, and a backslash in a
 * string literal is an ordinary character (as params.c reads -q). */
static enum pb_setup
session(struct pb_ctx *x, PGconn *pc, char *err, size_t errlen)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	    "SET default_transaction_read_only = on; SET statement_timeout = %lld; SET standard_conforming_strings = on",
	    1000LL * x->c->timeout_s);
	return run(x, pc, PQsendQuery(pc, sql), PGRES_COMMAND_OK,
	    "cannot set the session up", NULL, err, errlen);
}

/* The default schema must be there, and not newer than this helper. */
static enum pb_setup
schema(struct pb_ctx *x, PGconn *pc, char *err, size_t errlen)
{
	PGresult *r = pb_collect(pc, PQsendQuery(pc, PGSCHEMA_VERSION_QUERY),
	    pb_now_ms() + sql_wait_ms(x->c));
	enum pb_setup st = PB_SETUP_REFUSED;
	long v;

	if (r == NULL)
		return PB_SETUP_LOST;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (strcmp(pb_sqlstate(r), "42P01") == 0)
			snprintf(err, errlen, "no digest-helpers schema in the database; create it with 'digest_passwd --pgsql CONNINFO --init' or give a query with -q");
		else
			snprintf(err, errlen, "cannot read the schema version: %s",
			    pb_primary(r));
	} else if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		snprintf(err, errlen, "the digest_schema_version table is empty; run 'digest_passwd --pgsql CONNINFO --init'");
	} else if ((v = strtol(PQgetvalue(r, 0, 0), NULL, 10)) > PGSCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %ld is newer than this helper knows (%d); upgrade digest-helpers",
		    v, PGSCHEMA_VERSION);
	} else {
		st = PB_SETUP_OK;
	}
	PQclear(r);
	return st;
}

/* The columns the server says st returns, checked (helpers/sql/stmt.c). */
static int
check_columns(const struct sql_stmt *st, const PGresult *d, char *err,
    size_t errlen)
{
	int n = PQnfields(d), i, rc;
	const char **names = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*names));

	for (i = 0; i < n; i++)
		names[i] = PQfname(d, i);
	rc = sql_check_columns(st, names, n, err, errlen);
	free(names);
	return rc;
}

/* Prepare st on pc, then look at what the server made of it. */
static enum pb_setup
prepare(struct pb_ctx *x, PGconn *pc, const struct sql_stmt *st, char *err,
    size_t errlen)
{
	static const Oid types[2] = { PB_TEXTOID, PB_TEXTOID };
	PGresult *d = NULL;
	enum pb_setup rc;

	rc = run(x, pc, PQsendPrepare(pc, st->name, st->sql, st->nparams, types),
	    PGRES_COMMAND_OK, sql_kind_bad(st->kind), NULL, err, errlen);
	if (rc == PB_SETUP_OK)
		rc = run(x, pc, PQsendDescribePrepared(pc, st->name),
		    PGRES_COMMAND_OK, sql_kind_bad(st->kind), &d, err, errlen);
	if (rc == PB_SETUP_OK && check_columns(st, d, err, errlen) < 0)
		rc = PB_SETUP_REFUSED;
	PQclear(d);
	return rc;
}

/* A query of the admin's must only read.  The session refuses writes
 * anyway; running the statement once, with empty parameters, in a
 * read-only transaction that is rolled back, turns a query that would
 * write (INSERT ... RETURNING, a data-modifying WITH, nextval()) into a
 * start-up error instead of a BH at every lookup.  Any other error of
 * that run (a cast of the empty string, say) is the data's, not the
 * query's, and is let pass. */
static enum pb_setup
trial(struct pb_ctx *x, PGconn *pc, const struct sql_stmt *st, char *err,
    size_t errlen)
{
	static const char *const empty[2] = { "", "" };
	PGresult *r;
	enum pb_setup rc;

	rc = run(x, pc, PQsendQuery(pc, "BEGIN READ ONLY"), PGRES_COMMAND_OK,
	    "cannot begin a transaction", NULL, err, errlen);
	if (rc != PB_SETUP_OK)
		return rc;
	r = pb_collect(pc, PQsendQueryPrepared(pc, st->name, st->nparams,
	    empty, NULL, NULL, 0), pb_now_ms() + sql_wait_ms(x->c));
	if (r == NULL)
		return PB_SETUP_LOST;
	if (PQresultStatus(r) == PGRES_FATAL_ERROR &&
	    strcmp(pb_sqlstate(r), "25006") == 0) {
		snprintf(err, errlen, "%s: it must only read, but %s",
		    sql_kind_bad(st->kind), pb_primary(r));
		rc = PB_SETUP_REFUSED;
	} else if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
		log_debug("%s: a trial run with empty parameters failed (SQLSTATE %s); not a refusal",
		    st->name, pb_sqlstate(r));
	}
	PQclear(r);
	if (run(x, pc, PQsendQuery(pc, "ROLLBACK"), PGRES_COMMAND_OK,
	    "cannot roll back", NULL, err, errlen) != PB_SETUP_OK)
		return PB_SETUP_LOST;
	return rc;
}

enum pb_setup
pb_setup(struct pb_ctx *x, PGconn *pc, char *err, size_t errlen)
{
	enum pb_setup rc;

	if (PQsetnonblocking(pc, 1) != 0)
		return PB_SETUP_LOST;
	rc = session(x, pc, err, errlen);
	if (rc == PB_SETUP_OK && x->look.kind == SQL_LOOKUP)
		rc = schema(x, pc, err, errlen);
	if (rc == PB_SETUP_OK)
		rc = prepare(x, pc, &x->look, err, errlen);
	if (rc == PB_SETUP_OK && x->groups.sql != NULL)
		rc = prepare(x, pc, &x->groups, err, errlen);
	if (rc == PB_SETUP_OK && x->look.kind == SQL_LOOKUP_CUSTOM)
		rc = trial(x, pc, &x->look, err, errlen);
	if (rc == PB_SETUP_OK && x->groups.kind == SQL_GROUPS_CUSTOM)
		rc = trial(x, pc, &x->groups, err, errlen);
	if (rc == PB_SETUP_OK && PQenterPipelineMode(pc) != 1)
		rc = PB_SETUP_LOST;
	return rc;
}

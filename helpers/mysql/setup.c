/* setup.c - a new connection, before the first lookup runs on it: the
 * session's settings, the schema check, the helper's statements
 * prepared and checked (server-side prepared statements: every value is
 * bound, never written into the SQL).
 *
 * Done on every connection, so a server that comes back after a restart
 * or a fail-over is checked like the first.  At start-up a refusal is
 * the one-line start-up error; later it is logged and lookups answer BH
 * until a connection passes again (digest_mysql_auth(8), "CHECKS").
 */
#include "config.h"

#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "myschema.h"
#include "mysql_int.h"
#include "secret.h"

/* MySQL's name for ER_STATEMENT_TIMEOUT's variable (max_execution_time),
 * and the error of a server that has neither. */
#define MY_ER_MYSQL_TIMEOUT_VAR_MISSING ER_UNKNOWN_SYSTEM_VARIABLE

bool
my_errno_lost(unsigned e)
{
	/* the client's own errors (2000-2999, 5000-5999: the network, the
	 * protocol), and the server going away or killing the session */
	return (e >= 2000 && e < 3000) || (e >= 5000 && e < 6000) ||
	    e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED ||
	    e == 4031 /* MySQL 8: the client was disconnected */;
}

/* Bind w's user and realm to st's placeholders, in st's order.  The
 * values are the slot's NUL-ended copies; k holds the binds. */
void
my_bind_params(const struct sql_stmt *st, struct my_conn *k,
    const struct sql_who *w)
{
	int i;

	memset(k->par, 0, sizeof(k->par));
	for (i = 0; i < st->nparams; i++) {
		bool user = st->order[i] == 0;

		k->par_len[i] = user ? w->user_len : w->realm_len;
		k->par[i].buffer_type = MYSQL_TYPE_STRING;
		k->par[i].buffer = (void *)(user ? w->user : w->realm);
		k->par[i].buffer_length = k->par_len[i];
		k->par[i].length = &k->par_len[i];
	}
}

/* The session only reads, its statements stop after -t, and strings and
 * quotes are read as params.c read -q (backslash escapes on, "..." a
 * string).  The time-out is MariaDB's max_statement_time, or MySQL's
 * max_execution_time (which only covers SELECTs). */
static enum my_setup
session(struct my_ctx *x, MYSQL *m, char *err, size_t errlen)
{
	long long dl = my_now_ms() + sql_wait_ms(&x->c->sql);
	bool lost = false;
	char sql[128];

	if (my_query(m, "SET SESSION TRANSACTION READ ONLY", dl, &lost) < 0 ||
	    my_query(m, "SET SESSION sql_mode = REPLACE(REPLACE(REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', ''), 'ANSI_QUOTES', ''), ',,', ',')",
	    dl, &lost) < 0)
		goto fail;
	snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %d",
	    x->c->sql.timeout_s);
	if (my_query(m, sql, dl, &lost) == 0)
		return MY_SETUP_OK;
	if (lost || mysql_errno(m) != MY_ER_MYSQL_TIMEOUT_VAR_MISSING)
		goto fail;
	snprintf(sql, sizeof(sql), "SET SESSION max_execution_time = %lld",
	    1000LL * x->c->sql.timeout_s);
	if (my_query(m, sql, dl, &lost) == 0)
		return MY_SETUP_OK;
fail:
	if (lost)
		return MY_SETUP_LOST;
	snprintf(err, errlen, "cannot set the session up: %s", mysql_error(m));
	return MY_SETUP_REFUSED;
}

/* The default schema must be there, and not newer than this helper. */
static enum my_setup
schema(struct my_ctx *x, MYSQL *m, char *err, size_t errlen)
{
	long long dl = my_now_ms() + sql_wait_ms(&x->c->sql);
	MYSQL_STMT *st = mysql_stmt_init(m);
	enum my_setup rc = MY_SETUP_REFUSED;
	long long v = 0;
	my_bool isnull = 1;
	MYSQL_BIND b = { .buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &v,
		.is_null = &isnull };
	bool lost = false;

	if (st == NULL)
		return MY_SETUP_LOST;
	if (my_prepare(st, MYSCHEMA_VERSION_QUERY, dl, &lost) < 0) {
		if (lost)
			rc = MY_SETUP_LOST;
		else if (mysql_stmt_errno(st) == ER_NO_SUCH_TABLE)
			snprintf(err, errlen, "no digest-helpers schema in the database; create it with 'digest_passwd --mysql FILE --init' or give a query with -q");
		else
			snprintf(err, errlen, "cannot read the schema version: %s",
			    mysql_stmt_error(st));
	} else if (my_execute(st, dl, &lost) < 0 || my_store(st, dl, &lost) < 0 ||
	    mysql_stmt_bind_result(st, &b) != 0) {
		rc = lost ? MY_SETUP_LOST : MY_SETUP_REFUSED;
		snprintf(err, errlen, "cannot read the schema version: %s",
		    mysql_stmt_error(st));
	} else if (mysql_stmt_fetch(st) != 0 || isnull) {
		snprintf(err, errlen, "the digest_schema_version table is empty; run 'digest_passwd --mysql FILE --init'");
	} else if (v > MYSCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %lld is newer than this helper knows (%d); upgrade digest-helpers",
		    v, MYSCHEMA_VERSION);
	} else {
		rc = MY_SETUP_OK;
	}
	mysql_stmt_close(st);
	return rc;
}

/* The columns the server says st returns, checked (helpers/sql/stmt.c);
 * and the placeholders it counted. */
static int
check_columns(const struct sql_stmt *sq, MYSQL_STMT *st, char *err,
    size_t errlen)
{
	MYSQL_RES *md = mysql_stmt_result_metadata(st);
	unsigned n = md != NULL ? mysql_num_fields(md) : 0, i;
	const char **names;
	int rc;

	if (mysql_stmt_param_count(st) != (unsigned long)sq->nparams) {
		snprintf(err, errlen, "%s: the server counts %lu parameters, not %d",
		    sql_kind_bad(sq->kind), mysql_stmt_param_count(st), sq->nparams);
		mysql_free_result(md);
		return -1;
	}
	names = xcalloc(n > 0 ? n : 1, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = mysql_fetch_field_direct(md, i)->name;
	rc = sql_check_columns(sq, names, (int)n, err, errlen);
	free(names);
	mysql_free_result(md);
	return rc;
}

/* Prepare sq on k's connection, into *st_r, then look at what the
 * server made of it. */
static enum my_setup
prepare(struct my_ctx *x, MYSQL *m, const struct sql_stmt *sq,
    MYSQL_STMT **st_r, char *err, size_t errlen)
{
	long long dl = my_now_ms() + sql_wait_ms(&x->c->sql);
	bool lost = false;

	*st_r = mysql_stmt_init(m);
	if (*st_r == NULL)
		return MY_SETUP_LOST;
	if (my_prepare(*st_r, sq->sql, dl, &lost) < 0) {
		if (lost)
			return MY_SETUP_LOST;
		/* MariaDB checks a function's writes when it prepares */
		snprintf(err, errlen, "%s: %s%s", sql_kind_bad(sq->kind),
		    mysql_stmt_errno(*st_r) == ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION ?
		    "it must only read, but " : "", mysql_stmt_error(*st_r));
		return MY_SETUP_REFUSED;
	}
	if (check_columns(sq, *st_r, err, errlen) < 0)
		return MY_SETUP_REFUSED;
	return MY_SETUP_OK;
}

/* A query of the admin's must only read.  The session refuses writes
 * anyway; running the statement once, with empty parameters, in a
 * read-only transaction that is rolled back, turns a query that would
 * write (a function that inserts, a sequence's NEXTVAL) into a start-up
 * error instead of a BH at every lookup.  Any other error of that run is
 * the data's, not the query's, and is let pass. */
static enum my_setup
trial(struct my_ctx *x, struct my_conn *k, const struct sql_stmt *sq,
    MYSQL_STMT *st, char *err, size_t errlen)
{
	static const struct sql_who empty = { .user = "", .realm = "" };
	long long dl = my_now_ms() + sql_wait_ms(&x->c->sql);
	enum my_setup rc = MY_SETUP_OK;
	bool lost = false;

	if (my_query(k->m, "START TRANSACTION READ ONLY", dl, &lost) < 0)
		goto fail;
	my_bind_params(sq, k, &empty);
	if (mysql_stmt_bind_param(st, k->par) != 0)
		goto fail;
	if (my_execute(st, dl, &lost) == 0) {
		if (my_store(st, dl, &lost) < 0 && lost)
			return MY_SETUP_LOST;
	} else if (lost) {
		return MY_SETUP_LOST;
	} else if (mysql_stmt_errno(st) == ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION) {
		snprintf(err, errlen, "%s: it must only read, but %s",
		    sql_kind_bad(sq->kind), mysql_stmt_error(st));
		rc = MY_SETUP_REFUSED;
	} else {
		log_debug("%s: a trial run with empty parameters failed (error %u); not a refusal",
		    sq->name, mysql_stmt_errno(st));
	}
	mysql_stmt_free_result(st);
	if (my_query(k->m, "ROLLBACK", dl, &lost) < 0)
		return MY_SETUP_LOST;
	return rc;
fail:
	if (lost)
		return MY_SETUP_LOST;
	snprintf(err, errlen, "cannot begin a transaction: %s", mysql_error(k->m));
	return MY_SETUP_REFUSED;
}

enum my_setup
my_setup(struct my_ctx *x, struct my_conn *k, char *err, size_t errlen)
{
	enum my_setup rc;

	rc = session(x, k->m, err, errlen);
	if (rc == MY_SETUP_OK && x->look.kind != SQL_LOOKUP_CUSTOM)
		rc = schema(x, k->m, err, errlen);
	if (rc == MY_SETUP_OK)
		rc = prepare(x, k->m, &x->look, &k->look, err, errlen);
	if (rc == MY_SETUP_OK && x->groups.sql != NULL)
		rc = prepare(x, k->m, &x->groups, &k->groups, err, errlen);
	if (rc == MY_SETUP_OK && x->look.kind == SQL_LOOKUP_CUSTOM)
		rc = trial(x, k, &x->look, k->look, err, errlen);
	if (rc == MY_SETUP_OK && x->groups.kind == SQL_GROUPS_CUSTOM)
		rc = trial(x, k, &x->groups, k->groups, err, errlen);
	return rc;
}

/* judge.c - a finished PostgreSQL query, for its lookup: the rows handed
 * to the verdict every SQL store shares (helpers/sql/judge.c), and the
 * query errors, which are PostgreSQL's own (SQLSTATEs).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pgsql_int.h"
#include "secret.h"

/* -q: the columns after the first, as annotations named by the column
 * (checked at setup); a NULL adds nothing. */
static void
add_columns(const PGresult *r, struct notes *nt)
{
	int n = PQnfields(r), i;

	for (i = 1; i < n && nt != NULL; i++) {
		struct sql_val v = {
			.p = PQgetvalue(r, 0, i),
			.n = (size_t)PQgetlength(r, 0, i),
			.null = PQgetisnull(r, 0, i) != 0,
		};

		sql_add_note(nt, PQfname(r, i), &v);
	}
}

enum backend_result
pb_judge_row(struct pb_ctx *x, struct pb_lookup *s, PGresult *r,
    struct backend_answer *a)
{
	const struct sql_who w = {
		.user = s->user, .user_len = s->user_len,
		.realm = s->realm, .realm_len = s->realm_len, .alg = s->alg,
	};
	int rows = PQntuples(r);
	struct sql_val first = { .null = true };
	enum backend_result v;
	bool enabled;

	if (rows == 1 && PQnfields(r) >= 1) {
		first.p = PQgetvalue(r, 0, 0);
		first.n = (size_t)PQgetlength(r, 0, 0);
		first.null = PQgetisnull(r, 0, 0) != 0;
	}
	enabled = rows == 1 && PQnfields(r) >= 2 &&
	    strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	v = sql_judge_row(&x->judge, x->look.kind, &w,
	    (unsigned long long)(rows < 0 ? 0 : rows), &first, enabled, a);
	if (!first.null)	/* the HA1 or password, in libpq's result */
		secret_wipe(PQgetvalue(r, 0, 0), first.n);
	if (v == BACKEND_FOUND && x->look.kind == SQL_LOOKUP_CUSTOM)
		add_columns(r, a->notes);
	return v;
}

enum backend_result
pb_judge_groups(const PGresult *r, struct notes *nt)
{
	int rows = PQntuples(r), i;

	for (i = 0; i < rows && nt != NULL; i++) {
		struct sql_val v = {
			.p = PQgetvalue(r, i, 0),
			.n = (size_t)PQgetlength(r, i, 0),
			.null = PQgetisnull(r, i, 0) != 0,
		};

		sql_add_note(nt, "group", &v);
	}
	return BACKEND_FOUND;
}

/* A query that failed on a connection that is still fine.  The server's
 * message is logged, except for data exceptions (SQLSTATE class 22),
 * whose messages quote values, which may be stored HA1s or passwords. */
enum backend_result
pb_judge_error(struct pb_ctx *x, const struct pb_lookup *s,
    const PGresult *r, const char **err_r)
{
	const char *st = pb_sqlstate(r);
	bool timeout = strcmp(st, "57014") == 0;

	if (strcmp(st, "22021") == 0) {
		/* a name that is not valid in the client encoding: no row can
		 * hold it (start() catches this for UTF8 already) */
		log_debug("user name or realm is not valid in the client encoding");
		return BACKEND_NOT_FOUND;
	}
	*err_r = timeout ? "PostgreSQL query timed out" : "PostgreSQL query failed";
	if (!sql_log_now(&x->judge, st))
		return BACKEND_FAIL;
	if (timeout)
		log_error("PostgreSQL query timed out (-t %d s)", x->c->timeout_s);
	else if (strncmp(st, "22", 2) == 0)
		log_error("PostgreSQL %s failed: a data exception, SQLSTATE %s (its message is not logged: it may quote stored values)",
		    s->have_row ? "group query" : "lookup", st);
	else
		log_error("PostgreSQL %s failed: %s (SQLSTATE %s)",
		    s->have_row ? "group query" : "lookup", pb_primary(r), st);
	return BACKEND_FAIL;
}

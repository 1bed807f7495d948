/* results.c - a query's result, for the lookup it belongs to: the
 * verdict (judge.c), the groups that complete it, a query the server did
 * not run (sent again), or an error that means the connection is gone
 * (the lookups on it are sent once more, conn.c and inflight.c).
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "pgsql_int.h"
#include "secret.h"

/* An error result that means the connection is going or gone: the
 * server is shutting down (57P01-57P03), or libpq lost it (class 08, or
 * none at all). */
static bool
connection_gone(const struct pb_ctx *x, const PGresult *r)
{
	const char *st = pb_sqlstate(r);

	return PQstatus(x->conn.pc) == CONNECTION_BAD || st[0] == '\0' ||
	    strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0;
}

/* The lookup query's result: the verdict, or with groups to come, the
 * HA1 kept until they do.  The annotations gather in x->notes: the group
 * query's result is the very next one. */
static void
lookup_result(struct pb_ctx *x, struct pb_lookup *s, PGresult *r,
    backend_done_fn *done, void *loop)
{
	struct backend_answer a = { .ha1 = "", .notes = &x->notes, .err = NULL };
	enum backend_result v;

	notes_reset(&x->notes);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		v = pb_judge_row(x, s, r, &a);
	} else if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
		v = pb_judge_error(x, s, r, &a.err);
	} else {
		v = BACKEND_FAIL;
		a.err = "PostgreSQL query failed";
	}
	PQclear(r);
	if (v == BACKEND_FOUND && x->groups.sql != NULL) {
		memcpy(s->ha1, a.ha1, sizeof(s->ha1));
		secret_wipe(a.ha1, sizeof(a.ha1));
		s->have_row = true;
		return;
	}
	pb_answer(s, v, &a, done, loop);
}

/* The group query's result: the groups join the annotations.  A failed
 * group query is BH: an OK without groups the user has would answer the
 * proxy's ACLs wrongly. */
static void
groups_result(struct pb_ctx *x, struct pb_lookup *s, PGresult *r,
    backend_done_fn *done, void *loop)
{
	struct backend_answer a = { .ha1 = "", .notes = &x->notes, .err = NULL };
	enum backend_result v = BACKEND_FAIL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		v = pb_judge_groups(r, a.notes);
	else if (PQresultStatus(r) == PGRES_FATAL_ERROR)
		(void)pb_judge_error(x, s, r, &a.err);
	PQclear(r);
	if (v != BACKEND_FOUND) {
		a.err = a.err != NULL ? a.err : "PostgreSQL query failed";
		pb_answer(s, BACKEND_FAIL, &a, done, loop);
		return;
	}
	memcpy(a.ha1, s->ha1, sizeof(a.ha1));
	pb_answer(s, BACKEND_FOUND, &a, done, loop);
}

void
pb_on_result(struct pb_ctx *x, const struct pb_pending *p, PGresult *r,
    backend_done_fn *done, void *loop)
{
	struct pb_lookup *s = &x->s[p->slot];
	ExecStatusType st = PQresultStatus(r);

	if (s->state != PB_SENT || s->seq != p->seq ||
	    (p->kind == PB_Q_GROUPS && !s->have_row)) {
		PQclear(r);	/* its lookup was answered already */
		return;
	}
	if (st == PGRES_PIPELINE_ABORTED) {
		log_debug("lookup %u not run (an earlier query of its batch failed); sending it again",
		    s->token);
		s->state = PB_QUEUED;	/* never run: no loss counted */
		s->have_row = false;
		PQclear(r);
		return;
	}
	if (st == PGRES_FATAL_ERROR && connection_gone(x, r)) {
		PQclear(r);
		pb_conn_lost(x, NULL);
		return;
	}
	if (p->kind == PB_Q_LOOKUP)
		lookup_result(x, s, r, done, loop);
	else
		groups_result(x, s, r, done, loop);
}

/* exec.c - a lookup on a connection: the lookup statement, then (when it
 * found the user and there are groups) the group statement, each
 * executed and its result stored with the library's non-blocking calls
 * (mysql_stmt_execute_start/_cont, mysql_stmt_store_result_start/_cont),
 * one step whenever the loop finds the socket ready.  The stored rows
 * are read locally and handed to the verdict every SQL store shares
 * (helpers/sql/judge.c).
 *
 * An error that means the connection is gone sends the lookup once more
 * on another (inflight.c); any other error is BH.
 */
#include "config.h"

#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mysql_int.h"
#include "secret.h"

/* MySQL 8's statement time-out (max_execution_time). */
#define MY_ER_MYSQL_QUERY_TIMEOUT 3024

static void
go_idle(struct my_conn *k)
{
	k->state = MC_IDLE;
	k->slot = -1;
	k->wait = 0;
}

/* Column i of the current row, read whole into a buffer of its own
 * (wiped and freed by val_free): no length is guessed in advance. */
static int
column(MYSQL_STMT *st, unsigned i, unsigned long len, my_bool isnull,
    struct sql_val *v)
{
	MYSQL_BIND b = { .buffer_type = MYSQL_TYPE_STRING };
	unsigned long got = 0;

	v->null = isnull != 0;
	v->n = 0;
	/* a NULL's length is not set by the library: never sized by it */
	v->p = xmalloc(v->null ? 1 : len + 1);
	if (v->null)
		return 0;
	b.buffer = (void *)v->p;
	b.buffer_length = len + 1;
	b.length = &got;
	if (mysql_stmt_fetch_column(st, &b, i, 0) != 0)
		return -1;
	v->n = got < len ? got : len;
	return 0;
}

static void
val_free(struct sql_val *v)
{
	if (v->p != NULL) {
		secret_wipe((void *)v->p, v->n);
		free((void *)v->p);
	}
	v->p = NULL;
}

/* Fetch the next stored row with no buffers, so that each column's
 * length is known (MYSQL_DATA_TRUNCATED is how that looks).  Returns 0,
 * 1 at the end, -1 on an error. */
static int
next_row(MYSQL_STMT *st, MYSQL_BIND *b, unsigned long *len, my_bool *nul,
    unsigned n)
{
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		len[i] = 0;
		nul[i] = 0;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].length = &len[i];
		b[i].is_null = &nul[i];
	}
	if (mysql_stmt_bind_result(st, b) != 0)
		return -1;
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA)
		return 1;
	return rc == 0 || rc == MYSQL_DATA_TRUNCATED ? 0 : -1;
}

/* The row's other columns, as -q's annotations named by the column
 * (checked at setup). */
static void
add_columns(MYSQL_STMT *st, const unsigned long *len, const my_bool *nul,
    unsigned n, struct notes *nt)
{
	MYSQL_RES *md = mysql_stmt_result_metadata(st);
	struct sql_val v;
	unsigned i;

	for (i = 1; md != NULL && i < n; i++) {
		if (column(st, i, len[i], nul[i], &v) == 0)
			sql_add_note(nt, mysql_fetch_field_direct(md, i)->name, &v);
		val_free(&v);
	}
	mysql_free_result(md);
}

/* The joined lookup's groups (MYSCHEMA_LOOKUP_GROUPS): the third column
 * of the current row and of each row after it; a NULL (no group) adds
 * nothing.  0, or -1 when a row cannot be read. */
static int
joined_groups(MYSQL_STMT *st, MYSQL_BIND *b, unsigned long *len,
    my_bool *nul, unsigned n, struct notes *nt)
{
	struct sql_val v;
	int rc = 0;

	while (rc == 0) {
		if (column(st, 2, len[2], nul[2], &v) < 0) {
			val_free(&v);
			return -1;
		}
		sql_add_note(nt, "group", &v);
		val_free(&v);
		rc = next_row(st, b, len, nul, n);
	}
	return rc < 0 ? -1 : 0;
}

/* The lookup's stored result: the verdict, and -q's annotations or the
 * joined lookup's groups. */
static enum backend_result
judge_lookup(struct my_ctx *x, struct my_conn *k, struct my_lookup *s,
    struct backend_answer *a)
{
	MYSQL_STMT *st = k->look;
	bool joined = x->look.kind == SQL_LOOKUP_GROUPS;
	/* the joined lookup's rows are the one user's groups */
	unsigned long long rows = joined && mysql_stmt_num_rows(st) > 1 ? 1 :
	    mysql_stmt_num_rows(st);
	unsigned n = mysql_stmt_field_count(st);
	MYSQL_BIND *b = xcalloc(n + 1, sizeof(*b));
	unsigned long *len = xcalloc(n + 1, sizeof(*len));
	my_bool *nul = xcalloc(n + 1, sizeof(*nul));
	struct sql_val first = { .null = true }, en = { .null = true };
	enum backend_result r = BACKEND_FAIL;
	bool enabled = false;

	a->err = "MariaDB result unreadable";
	if (rows == 1 && n >= 1 && (next_row(st, b, len, nul, n) != 0 ||
	    column(st, 0, len[0], nul[0], &first) < 0 ||
	    (x->look.kind != SQL_LOOKUP_CUSTOM && n >= 2 &&
	    column(st, 1, len[1], nul[1], &en) < 0)))
		goto out;
	if (!en.null)
		enabled = !(en.n == 1 && en.p[0] == '0');
	r = sql_judge_row(&x->judge, x->look.kind, &s->who, rows, &first,
	    enabled, a);
	if (r == BACKEND_FOUND && x->look.kind == SQL_LOOKUP_CUSTOM)
		add_columns(st, len, nul, n, a->notes);
	if (r == BACKEND_FOUND && joined && n == 3 &&
	    joined_groups(st, b, len, nul, n, a->notes) < 0) {
		/* an OK without all the user's groups would answer the
		 * proxy's ACLs wrongly */
		secret_wipe(a->ha1, sizeof(a->ha1));
		r = BACKEND_FAIL;
	}
out:
	val_free(&first);
	val_free(&en);
	free(b);
	free(len);
	free(nul);
	mysql_stmt_free_result(st);
	return r;
}

/* The group statement's stored rows: a group="..." each. */
static enum backend_result
judge_groups(struct my_conn *k, struct notes *nt)
{
	MYSQL_STMT *st = k->groups;
	MYSQL_BIND b;
	unsigned long len;
	my_bool nul;
	struct sql_val v;
	int rc;

	while ((rc = next_row(st, &b, &len, &nul, 1)) == 0) {
		if (column(st, 0, len, nul, &v) < 0) {
			val_free(&v);
			rc = -1;
			break;
		}
		sql_add_note(nt, "group", &v);
		val_free(&v);
	}
	mysql_stmt_free_result(st);
	return rc < 0 ? BACKEND_FAIL : BACKEND_FOUND;
}

/* A statement failed on a connection that is still there.  The server's
 * message is logged (once a minute per error), except for data errors
 * (SQLSTATE class 22), whose messages may quote stored values. */
static enum backend_result
judge_error(struct my_ctx *x, const struct my_lookup *s, MYSQL_STMT *st,
    const char **err_r)
{
	unsigned e = mysql_stmt_errno(st);
	const char *state = mysql_stmt_sqlstate(st);
	bool timeout = e == ER_STATEMENT_TIMEOUT || e == MY_ER_MYSQL_QUERY_TIMEOUT;
	char code[6];

	*err_r = timeout ? "MariaDB query timed out" : "MariaDB query failed";
	snprintf(code, sizeof(code), "%u", e);
	if (!sql_log_now(&x->judge, code))
		return BACKEND_FAIL;
	if (timeout)
		log_error("MariaDB query timed out (-t %d s)", x->c->sql.timeout_s);
	else if (strncmp(state, "22", 2) == 0)
		log_error("MariaDB %s failed: a data error, error %u, SQLSTATE %s (its message is not logged: it may quote stored values)",
		    s->have_row ? "group query" : "lookup", e, state);
	else
		log_error("MariaDB %s failed: %s (error %u, SQLSTATE %s)",
		    s->have_row ? "group query" : "lookup", mysql_stmt_error(st),
		    e, state);
	return BACKEND_FAIL;
}

/* Start executing st for s; the next step is next. */
static int
execute(struct my_conn *k, const struct sql_stmt *sq, MYSQL_STMT *st,
    struct my_lookup *s, enum my_step next, int *ret)
{
	my_bind_params(sq, k, &s->who);
	k->step = next;
	if (mysql_stmt_bind_param(st, k->par) != 0) {
		*ret = 1;
		return 0;
	}
	return mysql_stmt_execute_start(ret, st);
}

/* The step k->step ended with ret (0: fine).  Goes on until a call must
 * wait (returns its MYSQL_WAIT_*) or the lookup is answered (0). */
static int
advance(struct my_ctx *x, struct my_conn *k, int ret, backend_done_fn *done,
    void *loop)
{
	struct my_lookup *s = &x->s[k->slot];
	MYSQL_STMT *st = k->step <= MS_LOOK_STORE ? k->look : k->groups;
	struct backend_answer a = { .ha1 = "", .notes = &k->notes, .err = NULL };
	enum backend_result v = BACKEND_FAIL;
	char why[512];

	if (ret != 0) {
		if (my_errno_lost(mysql_stmt_errno(st))) {
			snprintf(why, sizeof(why), "%s", mysql_stmt_error(st));
			my_conn_lost(x, k, why);
			return 0;
		}
		v = judge_error(x, s, st, &a.err);
		mysql_stmt_free_result(st);
		go_idle(k);
		a.notes = NULL;
		my_answer(s, v, &a, done, loop);
		return 0;
	}
	switch (k->step) {
	case MS_LOOK_EXEC:
		k->step = MS_LOOK_STORE;
		return mysql_stmt_store_result_start(&k->ret, st);
	case MS_GROUPS_EXEC:
		k->step = MS_GROUPS_STORE;
		return mysql_stmt_store_result_start(&k->ret, st);
	case MS_LOOK_STORE:
		notes_reset(&k->notes);
		v = judge_lookup(x, k, s, &a);
		if (v == BACKEND_FOUND && x->groups.sql != NULL) {
			memcpy(s->ha1, a.ha1, sizeof(s->ha1));
			secret_wipe(a.ha1, sizeof(a.ha1));
			s->have_row = true;
			return execute(k, &x->groups, k->groups, s,
			    MS_GROUPS_EXEC, &k->ret);
		}
		break;
	case MS_GROUPS_STORE:
		/* a failed group read is BH: an OK without the groups the
		 * user has would answer the proxy's ACLs wrongly */
		v = judge_groups(k, a.notes);
		if (v == BACKEND_FOUND)
			memcpy(a.ha1, s->ha1, sizeof(a.ha1));
		else
			a.err = "MariaDB result unreadable";
		break;
	}
	go_idle(k);
	my_answer(s, v, &a, done, loop);
	return 0;
}

/* Go on from a call that ended (status 0) or wait for it. */
static void
settle_call(struct my_ctx *x, struct my_conn *k, int status,
    backend_done_fn *done, void *loop)
{
	while (status == 0 && k->state == MC_BUSY)
		status = advance(x, k, k->ret, done, loop);
	if (k->state != MC_BUSY)
		return;
	k->wait = status;
	if (status & MYSQL_WAIT_TIMEOUT)
		k->wait_until_ms = my_now_ms() + mysql_get_timeout_value_ms(k->m);
}

void
my_run(struct my_ctx *x, struct my_conn *k, struct my_lookup *s,
    backend_done_fn *done, void *loop)
{
	s->state = MY_RUNNING;
	s->have_row = false;
	s->deadline_ms = my_now_ms() + sql_wait_ms(&x->c->sql);
	k->state = MC_BUSY;
	k->slot = (int)(s - x->s);
	settle_call(x, k, execute(k, &x->look, k->look, s, MS_LOOK_EXEC,
	    &k->ret), done, loop);
}

void
my_exec_step(struct my_ctx *x, struct my_conn *k, int events,
    backend_done_fn *done, void *loop)
{
	MYSQL_STMT *st = k->step <= MS_LOOK_STORE ? k->look : k->groups;
	int status;

	if (k->step == MS_LOOK_EXEC || k->step == MS_GROUPS_EXEC)
		status = mysql_stmt_execute_cont(&k->ret, st, events);
	else
		status = mysql_stmt_store_result_cont(&k->ret, st, events);
	settle_call(x, k, status, done, loop);
}
